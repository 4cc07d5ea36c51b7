"""Markets: ``load_markets`` and ``market`` (symbol and id lookup per venue)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..errors import BadRequest, BadSymbol, BaseError
from ..protocol.parsers import parse_market
from ..types import Market, Symbol
from ..venues import MARKET_TYPES, VENUES, market_venue
from .base import ExchangeBase

__all__ = ["MarketsBase"]


class MarketsBase(ExchangeBase):
    """Loads and resolves markets; every method that takes a symbol builds on it."""

    markets: dict[Symbol, Market]
    markets_by_id: dict[str, Market]
    market_errors: dict[str, BaseError]
    _by_type_id: dict[str, dict[str, Market]]
    _markets_lock: asyncio.Lock

    async def load_markets(
        self, reload: bool = False, params: Mapping[str, Any] | None = None
    ) -> dict[Symbol, Market]:
        """Load markets once from ``GET /api/v3/exchangeInfo``, ``/fapi/v1/exchangeInfo`` and
        ``/dapi/v1/exchangeInfo`` (concurrently) and cache them.

        A market type whose exchangeInfo fails is left out (its error is kept in
        ``market_errors`` and raised when one of its symbols is used); when every type fails,
        the first error is raised.
        """
        opts = self._opts(params)
        async with self._markets_lock:
            if self.markets and not reload:
                return self.markets
            timeout = int(opts["timeout"])
            urls = [self._rest_base(VENUES[t], opts) + "/exchangeInfo" for t in MARKET_TYPES]
            results = await asyncio.gather(
                *(self._rest_get(url, None, timeout) for url in urls),
                return_exceptions=True,
            )
            markets: list[Market] = []
            errors: dict[str, BaseError] = {}
            for mtype, data in zip(MARKET_TYPES, results, strict=True):
                if isinstance(data, BaseException):
                    if not isinstance(data, BaseError):
                        raise data
                    errors[mtype] = data
                    continue
                markets.extend(
                    parse_market(s, mtype)
                    for s in data.get("symbols", [])
                    if "baseAsset" in s and "quoteAsset" in s
                )
            if len(errors) == len(MARKET_TYPES):
                raise errors[MARKET_TYPES[0]]
            self.market_errors = errors
            self.markets = {m["symbol"]: m for m in markets}
            self._by_type_id = {t: {} for t in MARKET_TYPES}
            for m in markets:
                self._by_type_id[market_venue(m).name][m["id"]] = m
            self.markets_by_id = dict(self._by_type_id["spot"])
            return self.markets

    async def market(self, symbol: str, params: Mapping[str, Any] | None = None) -> Market:
        """Return the market of a CCXT symbol (``BTC/USDT``) or a Binance id (``BTCUSDT``).

        A bare id is looked up among the markets of the ``type`` option (spot by default).

        Raises:
            BadSymbol: the symbol is not among the loaded markets.
        """
        opts = self._opts(params)
        await self.load_markets()
        m = self.markets.get(Symbol(symbol))
        if m is None:
            mtype = self._venue(opts).name
            m = self._by_type_id[mtype].get(symbol.upper())
            if m is None and mtype in self.market_errors:
                raise BadSymbol(
                    f"binance {mtype} markets are unavailable ({self.market_errors[mtype]}); "
                    f"cannot resolve {symbol}"
                )
        if m is None:
            raise BadSymbol(f"binance does not have market symbol {symbol}")
        return m

    async def _markets(self, symbols: Sequence[str], opts: Mapping[str, Any]) -> list[Market]:
        ms = [await self.market(s, opts) for s in symbols]
        if len({market_venue(m).name for m in ms}) > 1:
            raise BadRequest("symbols must all be of one market type (spot, USD-M or COIN-M)")
        return ms

    def _lookup(self, mtype: str) -> Callable[[str], Market | None]:
        """Find a market of venue ``mtype`` by Binance id (for all-market streams)."""
        return self._by_type_id[mtype].get
