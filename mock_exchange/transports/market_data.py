"""Public market-data queries shared by REST and the WS API.

Each query takes a :class:`Query` (venue, exchange, parameters, time) and returns ``(result,
weight)``; REST routes and WS API methods map to the same functions, so ``GET /api/v3/depth``
and the WS API ``depth`` method cannot disagree. Errors are raised as
:class:`~mock_exchange.errors.ExchangeError` with Binance's codes and messages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..engine.core import Engine
from ..engine.exchange import Exchange
from ..engine.markets import MarketKind
from ..engine.tape import INTERVAL_MS
from ..errors import ExchangeError
from . import payloads as pl
from .params import Params, illegal, mandatory
from .venues import VENUE_SPECS, RestSpec, tier

__all__ = ["Query", "QueryHandler", "parse_window", "queries"]


@dataclass(frozen=True)
class Query:
    """One market-data request as a handler sees it."""

    venue: MarketKind
    exchange: Exchange
    params: Params
    now: int

    @property
    def engine(self) -> Engine:
        """The engine of the request's venue."""
        return self.exchange.engine(self.venue)

    @property
    def spec(self) -> RestSpec:
        """The venue's limits and weights."""
        return VENUE_SPECS[self.venue].rest

    @property
    def style(self) -> pl.Payloads:
        """The venue's payload shapes."""
        return VENUE_SPECS[self.venue].payloads

    def symbol(self) -> str:
        """Return the mandatory, known ``symbol``."""
        symbol = self.params.symbol()
        self.engine.market(symbol)
        return symbol

    def symbols_or_all(self) -> tuple[list[str], bool]:
        """Return (symbols, True if one ``symbol`` was named); all symbols when none named."""
        names = self.params.symbols()
        if names is None:
            return sorted(self.engine.markets), False
        for name in names:
            self.engine.market(name)
        return names, self.params.has("symbol")


QueryHandler = Callable[[Query], tuple[Any, int]]


def ping(q: Query) -> tuple[Any, int]:
    """``GET /api/v3/ping``, ``/fapi/v1/ping``; WS API ``ping``: an empty object."""
    return {}, 1


def server_time(q: Query) -> tuple[Any, int]:
    """``GET /api/v3/time``, ``/fapi/v1/time``; WS API ``time``: the engine clock."""
    return {"serverTime": q.now}, 1


def exchange_info(q: Query) -> tuple[Any, int]:
    """``GET /api/v3/exchangeInfo`` (symbol, symbols, permissions), ``/fapi``, ``/dapi``."""
    markets = list(q.engine.markets.values())
    names = q.params.symbols()
    if names is not None:
        for name in names:
            q.engine.market(name)
        markets = [m for m in markets if m.symbol in names]
    perms = None
    if q.spec.permissions_filter and q.params.has("permissions"):
        perms = q.params.names("permissions")
    if perms is not None:
        if names is not None:
            raise ExchangeError(-1128, "Combination of optional parameters invalid.")
        if not {"SPOT", "MARGIN"} & set(perms):
            markets = []
    return q.spec.exchange_info(markets, q.now), q.spec.exchange_info_weight


def depth(q: Query) -> tuple[Any, int]:
    """``GET /api/v3/depth``, ``/fapi/v1/depth``, ``/dapi/v1/depth``; WS API ``depth``.

    Limits above the maximum are truncated; futures round a limit up to a valid one.
    """
    symbol = q.symbol()
    spec = q.spec
    limit = q.params.limit(spec.depth_default, spec.depth_max)
    if spec.depth_steps is not None:
        limit = next(v for v in spec.depth_steps if limit <= v)
    last_id, bids, asks = q.engine.depth(symbol, limit)
    body = q.style.depth_rest(q.engine.market(symbol), last_id, bids, asks, q.now)
    return body, tier(spec.depth_weights, limit)


def trades(q: Query) -> tuple[Any, int]:
    """``GET /api/v3/trades``, ``/fapi/v1/trades``; WS API ``trades.recent``."""
    symbol = q.symbol()
    m = q.engine.market(symbol)
    limit = q.params.limit(500, 1000)
    rows = q.engine.recent_trades(symbol)[-limit:]
    return [q.style.trade_rest(m, t) for t in rows], q.spec.trades_weight


def historical_trades(q: Query) -> tuple[Any, int]:
    """``GET /api/v3/historicalTrades``; WS API ``trades.historical`` (``fromId``)."""
    symbol = q.symbol()
    m = q.engine.market(symbol)
    limit = q.params.limit(500, 1000)
    rows = q.engine.recent_trades(symbol)
    from_id = q.params.integer("fromId")
    rows = (
        [t for t in rows if t.trade_id >= from_id][:limit] if from_id is not None else rows[-limit:]
    )
    return [q.style.trade_rest(m, t) for t in rows], q.spec.historical_trades_weight


def agg_trades(q: Query) -> tuple[Any, int]:
    """``GET /api/v3/aggTrades``, ``/fapi/v1/aggTrades``; WS API ``trades.aggregate``."""
    symbol = q.symbol()
    m = q.engine.market(symbol)
    limit = q.params.limit(500, 1000)
    rows = list(q.engine.tape(symbol).aggs)
    from_id = q.params.integer("fromId")
    start = q.params.integer("startTime")
    end = q.params.integer("endTime")
    if from_id is not None:
        rows = [a for a in rows if a.agg_id >= from_id][:limit]
    elif start is not None or end is not None:
        lo = start if start is not None else 0
        hi = end if end is not None else q.now
        rows = [a for a in rows if lo <= a.time <= hi][:limit]
    else:
        rows = rows[-limit:]
    return [q.style.agg_trade_rest(m, a) for a in rows], q.spec.agg_trades_weight


_TZ = re.compile(r"^([+-]?)(\d{1,2})(?::(\d{2}))?$")


def _tz_offset(q: Query) -> int:
    text = q.params.text("timeZone")
    if text is None:
        return 0
    match = _TZ.match(text)
    if match is None or int(match.group(2)) > 14:
        raise illegal("timeZone", "[-12:00 to +14:00]")
    sign = -1 if match.group(1) == "-" else 1
    return sign * (int(match.group(2)) * 3_600_000 + int(match.group(3) or 0) * 60_000)


def klines(q: Query) -> tuple[Any, int]:
    """``GET /api/v3/klines``, ``uiKlines``, ``/fapi/v1/klines``; WS API ``klines``/``uiKlines``."""
    symbol = q.symbol()
    m = q.engine.market(symbol)
    interval = q.params.text("interval", required=True)
    if interval not in INTERVAL_MS:
        raise ExchangeError(-1120, "Invalid interval.")
    limit = q.params.limit(500, q.spec.klines_max)
    rows = q.engine.klines(
        symbol,
        interval,
        q.now,
        start_time=q.params.integer("startTime"),
        end_time=q.params.integer("endTime"),
        limit=limit,
        offset_ms=_tz_offset(q) if q.spec.kline_time_zone else 0,
    )
    return [pl.kline_rest(m, k) for k in rows], tier(q.spec.kline_weights, limit)


def avg_price(q: Query) -> tuple[Any, int]:
    """``GET /api/v3/avgPrice``; WS API ``avgPrice``."""
    symbol = q.symbol()
    m = q.engine.market(symbol)
    price, last = q.engine.avg_price(symbol, q.now)
    return {"mins": 5, "price": m.price_str(price), "closeTime": last}, 2


def _per_symbol(
    q: Query, row: Callable[[str], dict[str, Any]], one: int, many: int
) -> tuple[Any, int]:
    names, single = q.symbols_or_all()
    if single:
        return row(names[0]), one
    return [row(s) for s in names], many


def ticker_price(q: Query) -> tuple[Any, int]:
    """``GET /api/v3/ticker/price``, ``/fapi/v2/ticker/price``; WS API ``ticker.price``."""
    one, many = q.spec.ticker_price_weights
    return _per_symbol(q, lambda s: q.style.ticker_price_rest(q.engine, s, q.now), one, many)


def book_ticker(q: Query) -> tuple[Any, int]:
    """``GET /api/v3/ticker/bookTicker``, ``/fapi/v1/ticker/bookTicker``; WS ``ticker.book``."""
    one, many = q.spec.book_ticker_weights
    return _per_symbol(q, lambda s: q.style.book_ticker_rest(q.engine, s, q.now), one, many)


def _mini(q: Query) -> bool:
    kind = (q.params.text("type") or "FULL").upper()
    if kind not in ("FULL", "MINI"):
        raise illegal("type", "FULL, MINI")
    return kind == "MINI"


def ticker_24hr(q: Query) -> tuple[Any, int]:
    """``GET /api/v3/ticker/24hr`` (FULL/MINI), ``/fapi/v1/ticker/24hr``; WS ``ticker.24hr``."""
    spec = q.spec
    mini = _mini(q) if spec.ticker_types else False
    names, single = q.symbols_or_all()

    def row(symbol: str) -> dict[str, Any]:
        return q.style.ticker_rest(q.engine, symbol, q.now, mini=mini)

    if single:
        return row(names[0]), spec.ticker_24hr_one
    named = q.params.has("symbols")
    weight = tier(spec.ticker_24hr_named, len(names)) if named else spec.ticker_24hr_all
    return [row(s) for s in names], weight


_WINDOW = re.compile(r"^([1-9]\d?)([mhd])$")
_WINDOW_UNITS = {"m": (60_000, 59), "h": (3_600_000, 23), "d": (86_400_000, 7)}


def parse_window(text: str) -> int:
    """Return the length in ms of a rolling-window size (``1m``..``59m``, ``1h``..``23h``,
    ``1d``..``7d``).

    Raises:
        ExchangeError: -1100 for anything else.
    """
    match = _WINDOW.match(text)
    if match is not None:
        unit_ms, top = _WINDOW_UNITS[match.group(2)]
        if int(match.group(1)) <= top:
            return int(match.group(1)) * unit_ms
    raise illegal("windowSize", "1m..59m, 1h..23h, 1d..7d")


def ticker_window(q: Query) -> tuple[Any, int]:
    """``GET /api/v3/ticker`` (rolling window); WS API ``ticker``."""
    if not q.params.has("symbol") and not q.params.has("symbols"):
        raise mandatory("symbol")
    window = parse_window(q.params.text("windowSize") or "1d")
    mini = _mini(q)
    names, single = q.symbols_or_all()

    def row(symbol: str) -> dict[str, Any]:
        return q.style.ticker_rest(
            q.engine, symbol, q.now, window_ms=window, mini=mini, rolling=True
        )

    weight = min(4 * len(names), 200)
    if single:
        return row(names[0]), weight
    return [row(s) for s in names], weight


def premium_index(q: Query) -> tuple[Any, int]:
    """``GET /fapi/v1/premiumIndex``: mark, index and funding of one symbol or all."""
    names, single = q.symbols_or_all()
    rows = [pl.premium_index_rest(q.exchange.mark(q.venue, s, q.now)) for s in names]
    return (rows[0] if single else rows), 1


def funding_rate(q: Query) -> tuple[Any, int]:
    """``GET /fapi/v1/fundingRate``: settled funding rates, oldest first."""
    symbol = q.params.symbol() if q.params.has("symbol") else None
    if symbol is not None:
        q.engine.market(symbol)
    limit = q.params.limit(100, 1000)
    start = q.params.integer("startTime")
    end = q.params.integer("endTime")
    rows = q.exchange.funding[q.venue].rows(symbol)
    if start is not None:
        rows = [r for r in rows if r.time >= start][:limit]
    else:
        if end is not None:
            rows = [r for r in rows if r.time <= end]
        rows = rows[-limit:]
    return [pl.funding_rate_rest(r) for r in rows], 1


def queries() -> dict[str, QueryHandler]:
    """Return the query functions by name (the routing tables refer to them)."""
    return {
        "ping": ping,
        "time": server_time,
        "exchangeInfo": exchange_info,
        "depth": depth,
        "trades": trades,
        "historicalTrades": historical_trades,
        "aggTrades": agg_trades,
        "klines": klines,
        "avgPrice": avg_price,
        "tickerPrice": ticker_price,
        "bookTicker": book_ticker,
        "ticker24hr": ticker_24hr,
        "tickerWindow": ticker_window,
        "premiumIndex": premium_index,
        "fundingRate": funding_rate,
    }
