"""Margin borrow rates and Binance Convert, over ``/sapi`` (prod and demo; testnet has none).

* ``fetch_cross_borrow_rate`` (``GET /sapi/v1/margin/interestRateHistory``, the latest entry),
  ``fetch_cross_borrow_rates`` (``GET /sapi/v1/margin/crossMarginData``, every coin),
* ``fetch_isolated_borrow_rate(s)`` (``GET /sapi/v1/margin/isolatedMarginData``),
* ``fetch_convert_quote`` (``POST /sapi/v1/convert/getQuote``) and ``create_convert_trade``
  (``POST /sapi/v1/convert/acceptQuote``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ArgumentsRequired, BadSymbol
from ..options import exchange_params
from ..protocol.account import (
    parse_borrow_rate,
    parse_conversion,
    parse_isolated_borrow_rate,
)
from ..protocol.order_request import decimal_text
from ..types import BorrowRate, Conversion, IsolatedBorrowRate
from ..venues import VENUES
from .private import PrivateBase

__all__ = ["MarginMethods"]

_SAPI = VENUES["margin"]


class MarginMethods(PrivateBase):
    """Borrow rates (cross and isolated margin) and Convert quotes and trades."""

    async def _sapi(
        self, verb: Any, path: str, req: dict[str, Any], params: Mapping[str, Any] | None
    ) -> Any:
        opts = self._opts(params)
        return await self._signed_rest(verb, _SAPI, path, {**req, **exchange_params(params)}, opts)

    async def fetch_cross_borrow_rate(
        self, code: str, params: Mapping[str, Any] | None = None
    ) -> BorrowRate:
        """Return the current daily cross-margin rate of currency ``code``
        (``GET /sapi/v1/margin/interestRateHistory``, its latest entry).

        Raises:
            BadSymbol: Binance lists no rate for ``code``.
        """
        rows = await self._sapi(
            "GET", "/sapi/v1/margin/interestRateHistory", {"asset": code}, params
        )
        if not rows:
            raise BadSymbol(f"binance has no cross-margin borrow rate for {code}")
        latest = max(rows, key=lambda r: int(r.get("timestamp") or 0))
        return parse_borrow_rate(latest)

    async def fetch_cross_borrow_rates(
        self, params: Mapping[str, Any] | None = None
    ) -> dict[str, BorrowRate]:
        """Return the daily cross-margin rate of every currency, for the account's VIP level
        (``GET /sapi/v1/margin/crossMarginData``)."""
        rows = await self._sapi("GET", "/sapi/v1/margin/crossMarginData", {}, params)
        out: dict[str, BorrowRate] = {}
        for row in rows if isinstance(rows, list) else []:
            rate = parse_borrow_rate(row)
            if rate["currency"]:
                out[rate["currency"]] = rate
        return out

    async def fetch_isolated_borrow_rates(
        self, params: Mapping[str, Any] | None = None
    ) -> dict[str, IsolatedBorrowRate]:
        """Return the daily base and quote rates of every isolated-margin pair
        (``GET /sapi/v1/margin/isolatedMarginData``), keyed by symbol."""
        await self.load_markets()
        rows = await self._sapi("GET", "/sapi/v1/margin/isolatedMarginData", {}, params)
        out: dict[str, IsolatedBorrowRate] = {}
        for row in rows if isinstance(rows, list) else []:
            rate = parse_isolated_borrow_rate(row, self._lookup("spot"))
            if rate["symbol"]:
                out[rate["symbol"]] = rate
        return out

    async def fetch_isolated_borrow_rate(
        self, symbol: str, params: Mapping[str, Any] | None = None
    ) -> IsolatedBorrowRate:
        """Return the daily base and quote rates of one isolated-margin pair
        (``GET /sapi/v1/margin/isolatedMarginData?symbol=``).

        Raises:
            BadSymbol: the pair has no isolated margin.
        """
        m = await self.market(symbol, {"type": "spot"})
        rows = await self._sapi(
            "GET", "/sapi/v1/margin/isolatedMarginData", {"symbol": m["id"]}, params
        )
        for row in rows if isinstance(rows, list) else []:
            if row.get("symbol") == m["id"]:
                return parse_isolated_borrow_rate(row, self._lookup("spot"))
        raise BadSymbol(f"binance has no isolated-margin borrow rate for {symbol}")

    # -- convert ---------------------------------------------------------------------------

    async def fetch_convert_quote(
        self,
        from_code: str,
        to_code: str,
        amount: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> Conversion:
        """Ask for a quote to convert ``amount`` of ``from_code`` into ``to_code``
        (``POST /sapi/v1/convert/getQuote``; ``toAmount`` in params quotes the other way).

        Raises:
            ArgumentsRequired: neither ``amount`` nor ``toAmount``.
        """
        req: dict[str, Any] = {"fromAsset": from_code, "toAsset": to_code}
        if amount is not None:
            req["fromAmount"] = decimal_text(amount)
        elif "toAmount" not in exchange_params(params):
            raise ArgumentsRequired("fetch_convert_quote needs an amount (or toAmount)")
        raw = await self._sapi("POST", "/sapi/v1/convert/getQuote", req, params)
        return parse_conversion(raw, from_code, to_code)

    async def create_convert_trade(
        self,
        id: str,
        from_code: str,
        to_code: str,
        amount: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> Conversion:
        """Accept quote ``id`` (``POST /sapi/v1/convert/acceptQuote``); the answer says
        whether the conversion is done (``orderStatus``)."""
        raw = await self._sapi("POST", "/sapi/v1/convert/acceptQuote", {"quoteId": id}, params)
        return parse_conversion(raw, from_code, to_code)
