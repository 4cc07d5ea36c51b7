"""``fetch_*_ws``: market data over the WebSocket API, requests matched by id.

Which methods a venue's WebSocket API has (spot: ``ticker.24hr``, ``trades.recent``,
``klines``; futures: ``ticker.book`` and ``depth`` only) is read from its row in
:mod:`client.venues`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import NotSupported
from ..options import check_timeframe
from ..protocol.parsers import parse_ohlcv, parse_order_book, parse_ticker, parse_trade
from ..types import OHLCV, OrderBook, Ticker, Trade
from ..venues import market_venue
from .markets import MarketsBase

__all__ = ["WsFetchMethods"]


class WsFetchMethods(MarketsBase):
    """WebSocket API requests for market data."""

    async def fetch_ticker_ws(self, symbol: str, params: Mapping[str, Any] | None = None) -> Ticker:
        """Return the 24 h ticker over the WebSocket API (spot ``ticker.24hr``; futures
        ``ticker.book``, best bid/ask only, as Binance's futures WS API offers)."""
        opts = self._opts(params)
        m = await self.market(symbol, opts)
        v = market_venue(m)
        method = str(opts.get("method", v.ws_ticker_method))
        raw = await self._request(v.name, method, {"symbol": m["id"]}, opts)
        return parse_ticker(raw, m["symbol"], m)

    async def fetch_order_book_ws(
        self, symbol: str, limit: int | None = None, params: Mapping[str, Any] | None = None
    ) -> OrderBook:
        """Return a depth snapshot over the WebSocket API (``depth``)."""
        opts = self._opts(params)
        m = await self.market(symbol, opts)
        req: dict[str, Any] = {"symbol": m["id"]}
        if limit is not None:
            req["limit"] = limit
        raw = await self._request(market_venue(m).name, "depth", req, opts)
        return parse_order_book(raw, m["symbol"], limit)

    async def fetch_trades_ws(
        self,
        symbol: str,
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[Trade]:
        """Return recent trades over the spot WebSocket API (``trades.recent``; with ``since``,
        ``trades.aggregate`` with ``startTime``).

        Raises:
            NotSupported: a futures symbol (Binance's futures WS API has no trades method).
        """
        opts = self._opts(params)
        m = await self.market(symbol, opts)
        v = market_venue(m)
        if not v.ws_trades:
            raise NotSupported("fetch_trades_ws: Binance's futures WebSocket API has no trades")
        req: dict[str, Any] = {"symbol": m["id"]}
        if limit is not None:
            req["limit"] = limit
        method = "trades.recent"
        if since is not None:
            method, req["startTime"] = "trades.aggregate", since
        raw = await self._request(v.name, method, req, opts)
        return [parse_trade(t, m["symbol"]) for t in raw]

    async def fetch_ohlcv_ws(
        self,
        symbol: str,
        timeframe: str = "1m",
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[OHLCV]:
        """Return candles over the spot WebSocket API (``klines``).

        Raises:
            NotSupported: a futures symbol (Binance's futures WS API has no klines).
        """
        opts = self._opts(params)
        m = await self.market(symbol, opts)
        v = market_venue(m)
        if not v.ws_klines:
            raise NotSupported("fetch_ohlcv_ws: Binance's futures WebSocket API has no klines")
        req: dict[str, Any] = {"symbol": m["id"], "interval": check_timeframe(timeframe)}
        if since is not None:
            req["startTime"] = since
        if limit is not None:
            req["limit"] = limit
        raw = await self._request(v.name, "klines", req, opts)
        return [parse_ohlcv(k) for k in raw]
