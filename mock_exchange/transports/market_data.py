"""Public market-data queries shared by REST and the WS API: general, book, trades and klines.

Each query takes a :class:`Query` (venue, exchange, parameters, time) and returns ``(result,
weight)``; REST routes and WS API methods map to the same functions, so ``GET /api/v3/depth``
and the WS API ``depth`` method cannot disagree. A query is written as a body plus a weight
function (:func:`weighted`): the weight is computed from the parameters first, and a request
that fails still costs it (Binance charges failed requests their documented weight), carried
on the raised :class:`~mock_exchange.errors.ExchangeError`. Tickers live in
:mod:`.tickers`, futures-only queries in :mod:`.futures_data`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..engine.core import Engine
from ..engine.exchange import Exchange
from ..engine.markets import Market, MarketKind
from ..engine.tape import INTERVAL_MS
from ..errors import ExchangeError
from . import payloads as pl
from .params import Params, invalid
from .venues import VENUE_SPECS, RestSpec, tier

__all__ = [
    "Query",
    "QueryHandler",
    "agg_trades",
    "avg_price",
    "depth",
    "exchange_info",
    "historical_trades",
    "klines",
    "ping",
    "server_time",
    "trades",
    "weighted",
]


@dataclass(frozen=True)
class Query:
    """One market-data request as a handler sees it (``micros``: answer in microseconds)."""

    venue: MarketKind
    exchange: Exchange
    params: Params
    now: int
    micros: bool = False

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

    def _status(self) -> str | None:
        return self.params.symbol_status() if self.spec.symbol_status else None

    def market(self) -> Market:
        """Return the market of the mandatory ``symbol``.

        Raises:
            ExchangeError: -1102 without it, -1121 for an unknown one, -1122/-1220 when
                ``symbolStatus`` is not a status or not the symbol's.
        """
        m = self.engine.market(self.params.symbol())
        status = self._status()
        if status is not None and m.status != status:
            raise ExchangeError(
                -1220, "The symbol's status does not match the requested symbolStatus."
            )
        return m

    def symbol(self) -> str:
        """Return the mandatory, known ``symbol`` (see :meth:`market`)."""
        return self.market().symbol

    def symbols_or_all(self) -> tuple[list[str], bool]:
        """Return (symbols, True if one ``symbol`` was named); all symbols when none named.

        With ``symbolStatus``, one named symbol must have it (-1220); of several, those
        without it are left out.
        """
        names = self.params.symbols()
        status = self._status()
        if names is None:
            chosen = sorted(self.engine.markets)
        else:
            for name in names:
                self.engine.market(name)
            chosen = names
        single = self.params.has("symbol")
        if status is not None:
            if single:
                self.market()
            else:
                chosen = [s for s in chosen if self.engine.markets[s].status == status]
        return chosen, single

    def interval(self) -> str:
        """Return the mandatory kline ``interval``.

        Raises:
            ExchangeError: -1120 for an interval Binance does not have.
        """
        interval = self.params.text("interval", required=True)
        if interval not in INTERVAL_MS:
            raise ExchangeError(-1120, "Invalid interval.")
        return interval


QueryHandler = Callable[[Query], tuple[Any, int]]
Weight = Callable[[Query], int]


def weighted(weight: Weight | int) -> Callable[[Callable[[Query], Any]], QueryHandler]:
    """Make a query from a body and its weight (a number or a function of the request).

    The weight is computed before the body runs; when the body raises, the error carries the
    weight, which the transport charges.
    """

    def wrap(body: Callable[[Query], Any]) -> QueryHandler:
        def handler(q: Query) -> tuple[Any, int]:
            w = weight(q) if callable(weight) else weight
            try:
                return body(q), w
            except ExchangeError as err:
                err.weight = w
                raise

        handler.__doc__ = body.__doc__
        handler.__name__ = body.__name__
        return handler

    return wrap


# -- general ------------------------------------------------------------------------------


@weighted(1)
def ping(q: Query) -> Any:
    """``GET /api/v3/ping``, ``/fapi/v1/ping``, ``/dapi/v1/ping``; WS API ``ping``."""
    return {}


@weighted(1)
def server_time(q: Query) -> Any:
    """``GET /api/v3/time``, ``/fapi/v1/time``, ``/dapi/v1/time``; WS API ``time``."""
    return {"serverTime": q.now}


@weighted(lambda q: q.spec.exchange_info_weight)
def exchange_info(q: Query) -> Any:
    """``GET /api/v3/exchangeInfo`` (symbol(s), permissions, symbolStatus), ``/fapi``, ``/dapi``."""
    markets = list(q.engine.markets.values())
    names = q.params.symbols()
    if names is not None:
        for name in names:
            q.engine.market(name)
        markets = [m for m in markets if m.symbol in names]
    perms = None
    if q.spec.permissions_filter and q.params.has("permissions"):
        perms = q.params.names("permissions")
    status = q.params.symbol_status() if q.spec.symbol_status else None
    if (perms is not None or status is not None) and names is not None:
        raise ExchangeError(-1128, "Combination of optional parameters invalid.")
    if perms is not None and not {"SPOT", "MARGIN"} & set(perms):
        markets = []
    if status is not None:
        markets = [m for m in markets if m.status == status]
    return q.spec.exchange_info(markets, q.now)


# -- book and trades ----------------------------------------------------------------------


def _depth_limit(q: Query) -> int:
    spec = q.spec
    limit = q.params.soft_limit(spec.depth_default, spec.depth_max)
    if spec.depth_steps is not None:
        limit = next(v for v in spec.depth_steps if limit <= v)
    return limit


@weighted(lambda q: tier(q.spec.depth_weights, _depth_limit(q)))
def depth(q: Query) -> Any:
    """``GET /api/v3/depth``, ``/fapi/v1/depth``, ``/dapi/v1/depth``; WS API ``depth``.

    Limits above the maximum are truncated; futures round a limit up to a valid one.
    """
    m = q.market()
    q.params.limit(q.spec.depth_default, q.spec.depth_max)  # a malformed limit is refused
    last_id, bids, asks = q.engine.depth(m.symbol, _depth_limit(q))
    return q.style.depth_rest(m, last_id, bids, asks, q.now)


@weighted(lambda q: q.spec.trades_weight)
def trades(q: Query) -> Any:
    """``GET /api/v3/trades``, ``/fapi/v1/trades``, ``/dapi/v1/trades``; WS ``trades.recent``."""
    m = q.market()
    rows = q.engine.tape(m.symbol).trades_from(None, q.params.limit(500, 1000))
    return [q.style.trade_rest(m, t) for t in rows]


@weighted(lambda q: q.spec.historical_trades_weight)
def historical_trades(q: Query) -> Any:
    """``GET /api/v3/historicalTrades`` (and futures); WS API ``trades.historical`` (``fromId``)."""
    m = q.market()
    limit = q.params.limit(500, 1000)
    rows = q.engine.tape(m.symbol).trades_from(q.params.integer("fromId"), limit)
    return [q.style.trade_rest(m, t) for t in rows]


@weighted(lambda q: q.spec.agg_trades_weight)
def agg_trades(q: Query) -> Any:
    """``GET /api/v3/aggTrades`` (and futures); WS API ``trades.aggregate``.

    ``fromId``: from that id; ``startTime`` (with or without ``endTime``): the oldest from
    there; ``endTime`` alone: the newest up to it, so paging backwards works; nothing: the
    newest. Times may be sent in ms or µs.
    """
    m = q.market()
    rows = q.engine.tape(m.symbol).agg_trades(
        q.now,
        from_id=q.params.integer("fromId"),
        start=q.params.time("startTime"),
        end=q.params.time("endTime"),
        limit=q.params.limit(500, 1000),
    )
    return [q.style.agg_trade_rest(m, a) for a in rows]


# -- klines -------------------------------------------------------------------------------

_TZ_MIN, _TZ_MAX = -12 * 60, 14 * 60


def tz_offset(q: Query) -> int:
    """Return the ``timeZone`` parameter as an offset in ms (0 when absent).

    Hours (``8``, ``-1``) or hours and minutes (``05:45``, ``-1:00``), in -12:00..+14:00.

    Raises:
        ExchangeError: -1130 for anything else.
    """
    text = q.params.text("timeZone")
    if text is None:
        return 0
    sign = -1 if text.startswith("-") else 1
    body = text[1:] if text[:1] in "+-" else text
    hours, _, minutes = body.partition(":")
    if (
        not hours.isdigit()
        or len(hours) > 2
        or (minutes and (not minutes.isdigit() or len(minutes) != 2))
    ):
        raise invalid("timeZone")
    total = sign * (int(hours) * 60 + int(minutes or 0))
    if not _TZ_MIN <= total <= _TZ_MAX or int(minutes or 0) >= 60:
        raise invalid("timeZone")
    return total * 60_000


@weighted(lambda q: tier(q.spec.kline_weights, q.params.soft_limit(500, q.spec.klines_max)))
def klines(q: Query) -> Any:
    """``GET /api/v3/klines``, ``uiKlines``, ``/fapi/v1/klines``, ``/dapi/v1/klines``; WS API."""
    m = q.market()
    interval = q.interval()
    rows = q.engine.klines(
        m.symbol,
        interval,
        q.now,
        start_time=q.params.time("startTime"),
        end_time=q.params.time("endTime"),
        limit=q.params.limit(500, q.spec.klines_max),
        offset_ms=tz_offset(q) if q.spec.kline_time_zone else 0,
    )
    return [q.style.kline_rest(m, k) for k in rows]


@weighted(2)
def avg_price(q: Query) -> Any:
    """``GET /api/v3/avgPrice``; WS API ``avgPrice``."""
    m = q.market()
    price, last = q.engine.avg_price(m.symbol, q.now)
    return {"mins": 5, "price": m.price_str(price), "closeTime": last}
