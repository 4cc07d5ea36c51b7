"""Stream and REST payloads built from engine state, field for field as Binance sends them.

Spot and futures differ in small ways that clients rely on (spot ``bookTicker`` and partial
depth have no ``e``/``E``; futures events carry ``T`` and ``pu``; futures tickers have no
bid/ask). Builders whose shape depends on the venue are methods of a payload style:
:class:`Payloads` (spot, here) and the futures styles of
:mod:`mock_exchange.transports.derivatives_payloads`, which override only what differs; each venue
names its style (:mod:`mock_exchange.transports.venues`). The others are plain functions.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from ..engine.core import AggTrade, DepthUpdate, Engine
from ..engine.markets import Market, fmt
from ..engine.tape import Kline, TickerStats, Trade

__all__ = [
    "REST_NAMES",
    "Payloads",
    "avg_price_event",
    "depth_levels",
    "kline_event",
    "kline_rest",
    "mini_ticker_event",
    "sorted_levels",
    "ticker_fields",
    "window_ticker_event",
]

Levels = list[list[str]]


def depth_levels(
    m: Market, levels: list[tuple[Decimal, Decimal]] | dict[Decimal, Decimal]
) -> Levels:
    """Format ``[price, qty]`` pairs as Binance strings."""
    pairs = levels.items() if isinstance(levels, dict) else levels
    return [[m.price_str(p), m.qty_str(q)] for p, q in pairs]


# -- trades -------------------------------------------------------------------------------


# -- klines -------------------------------------------------------------------------------


def _kline_body(m: Market, k: Kline, interval: str, closed: bool) -> dict[str, Any]:
    return {
        "t": k.open_time,
        "T": k.close_time,
        "s": m.symbol,
        "i": interval,
        "f": k.first_id,
        "L": k.last_id,
        "o": m.price_str(k.open),
        "c": m.price_str(k.close),
        "h": m.price_str(k.high),
        "l": m.price_str(k.low),
        "v": m.qty_str(k.volume),
        "n": k.count,
        "x": closed,
        "q": m.price_str(k.quote_volume),
        "V": m.qty_str(k.taker_buy_volume),
        "Q": m.price_str(k.taker_buy_quote),
        "B": "0",
    }


def kline_event(
    m: Market, k: Kline, interval: str, closed: bool, now: int, *, continuous: bool = False
) -> dict[str, Any]:
    """Return the ``<symbol>@kline_<interval>`` (or ``continuousKline``) event."""
    body = _kline_body(m, k, interval, closed)
    if continuous:
        del body["s"]
        return {"e": "continuous_kline", "E": now, "ps": m.pair, "ct": "PERPETUAL", "k": body}
    return {"e": "kline", "E": now, "s": m.symbol, "k": body}


def kline_rest(m: Market, k: Kline) -> list[Any]:
    """Return one row of ``GET /api/v3/klines``."""
    return [
        k.open_time,
        m.price_str(k.open),
        m.price_str(k.high),
        m.price_str(k.low),
        m.price_str(k.close),
        m.qty_str(k.volume),
        k.close_time,
        m.price_str(k.quote_volume),
        k.count,
        m.qty_str(k.taker_buy_volume),
        m.price_str(k.taker_buy_quote),
        "0",
    ]


# -- tickers ------------------------------------------------------------------------------


def _best(engine: Engine, symbol: str) -> tuple[tuple[Decimal, Decimal], tuple[Decimal, Decimal]]:
    book = engine.book(symbol)
    zero = (Decimal(0), Decimal(0))
    return book.best_bid() or zero, book.best_ask() or zero


def _stats_fields(m: Market, s: TickerStats) -> dict[str, Any]:
    return {
        "p": m.price_str(s.change),
        "P": fmt(s.change_percent, 3),
        "w": m.price_str(s.vwap),
        "x": m.price_str(s.prev_close),
        "c": m.price_str(s.last),
        "Q": m.qty_str(s.last_qty),
        "o": m.price_str(s.open),
        "h": m.price_str(s.high),
        "l": m.price_str(s.low),
        "v": m.qty_str(s.volume),
        "q": m.price_str(s.quote_volume),
        "O": s.open_time,
        "C": s.close_time,
        "F": s.first_id,
        "L": s.last_id,
        "n": s.count,
    }


_SPOT_TICKER_ORDER = "pPwxcQbBaAohlvqOCFLn"
_FUTURES_TICKER_ORDER = "pPwcQohlvqOCFLn"
_WINDOW_ORDER = "pPohlcwvqOCFLn"
_MINI_ORDER = "cohlvq"


def ticker_fields(
    engine: Engine,
    symbol: str,
    now: int,
    window_ms: int = 86_400_000,
    *,
    start: int | None = None,
    aligned: bool = False,
) -> dict[str, Any]:
    """Return the one-letter ticker fields of ``symbol`` (window statistics and best quotes)."""
    m = engine.market(symbol)
    stats = engine.ticker_stats(symbol, window_ms, now=now, start=start, aligned=aligned)
    fields = _stats_fields(m, stats)
    bid, ask = _best(engine, symbol)
    fields.update(
        {
            "b": m.price_str(bid[0]),
            "B": m.qty_str(bid[1]),
            "a": m.price_str(ask[0]),
            "A": m.qty_str(ask[1]),
        }
    )
    return fields


def mini_ticker_event(engine: Engine, symbol: str, now: int) -> dict[str, Any]:
    """Return the ``<symbol>@miniTicker`` event (``24hrMiniTicker``)."""
    fields = ticker_fields(engine, symbol, now)
    return {"e": "24hrMiniTicker", "E": now, "s": symbol, **{k: fields[k] for k in _MINI_ORDER}}


WINDOW_MS = {"1h": 3_600_000, "4h": 14_400_000, "1d": 86_400_000}


def window_ticker_event(engine: Engine, symbol: str, window: str, now: int) -> dict[str, Any]:
    """Return the ``<symbol>@ticker_<window>`` event (``1hTicker``, ``4hTicker``, ``1dTicker``).

    Its open time ``O`` is on a whole minute, as the rolling-window tickers' is.
    """
    fields = ticker_fields(engine, symbol, now, WINDOW_MS[window], aligned=True)
    return {"e": f"{window}Ticker", "E": now, "s": symbol, **{k: fields[k] for k in _WINDOW_ORDER}}


REST_NAMES = {
    "p": "priceChange",
    "P": "priceChangePercent",
    "w": "weightedAvgPrice",
    "x": "prevClosePrice",
    "c": "lastPrice",
    "Q": "lastQty",
    "b": "bidPrice",
    "B": "bidQty",
    "a": "askPrice",
    "A": "askQty",
    "o": "openPrice",
    "h": "highPrice",
    "l": "lowPrice",
    "v": "volume",
    "q": "quoteVolume",
    "O": "openTime",
    "C": "closeTime",
    "F": "firstId",
    "L": "lastId",
    "n": "count",
}
_REST_MINI_ORDER = "ohlcvqOCFLn"


def avg_price_event(engine: Engine, symbol: str, now: int) -> dict[str, Any]:
    """Return the ``<symbol>@avgPrice`` event."""
    m = engine.market(symbol)
    price, last = engine.avg_price(symbol, now)
    return {"e": "avgPrice", "E": now, "s": symbol, "i": "5m", "w": m.price_str(price), "T": last}


# -- depth --------------------------------------------------------------------------------


# -- the venue-dependent shapes -----------------------------------------------------------


class Payloads:
    """Spot shapes of the payloads whose fields differ between spot and futures."""

    ticker_order = _SPOT_TICKER_ORDER
    trade_rest_extra: ClassVar[dict[str, Any]] = {"isBestMatch": True}
    agg_rest_extra: ClassVar[dict[str, Any]] = {"M": True}

    def kline_rest(self, m: Market, k: Kline) -> list[Any]:
        """Return one row of ``GET /api/v3/klines``."""
        return kline_rest(m, k)

    def trade_event(self, m: Market, t: Trade, now: int) -> dict[str, Any]:
        """Return the ``<symbol>@trade`` event."""
        return {
            "e": "trade",
            "E": now,
            "s": m.symbol,
            "t": t.trade_id,
            "p": m.price_str(t.price),
            "q": m.qty_str(t.qty),
            "T": t.time,
            "m": t.buyer_is_maker,
            "M": True,
        }

    def trade_rest(self, m: Market, t: Trade) -> dict[str, Any]:
        """Return one row of ``GET /api/v3/trades`` (or ``/fapi/v1/trades``)."""
        return {
            "id": t.trade_id,
            "price": m.price_str(t.price),
            "qty": m.qty_str(t.qty),
            "quoteQty": m.price_str(t.quote_qty),
            "time": t.time,
            "isBuyerMaker": t.buyer_is_maker,
            **self.trade_rest_extra,
        }

    def agg_trade_event(self, m: Market, a: AggTrade, now: int) -> dict[str, Any]:
        """Return the ``<symbol>@aggTrade`` event."""
        return {
            "e": "aggTrade",
            "E": now,
            "s": m.symbol,
            "a": a.agg_id,
            "p": m.price_str(a.price),
            "q": m.qty_str(a.qty),
            **self._net_qty(m, a),
            "f": a.first_trade_id,
            "l": a.last_trade_id,
            "T": a.time,
            "m": a.buyer_is_maker,
            **self.agg_rest_extra,
        }

    def agg_trade_rest(self, m: Market, a: AggTrade) -> dict[str, Any]:
        """Return one row of ``GET /api/v3/aggTrades`` (or ``/fapi/v1/aggTrades``)."""
        return {
            "a": a.agg_id,
            "p": m.price_str(a.price),
            "q": m.qty_str(a.qty),
            "f": a.first_trade_id,
            "l": a.last_trade_id,
            "T": a.time,
            "m": a.buyer_is_maker,
            **self.agg_rest_extra,
        }

    def ticker_event(self, engine: Engine, symbol: str, now: int) -> dict[str, Any]:
        """Return the ``<symbol>@ticker`` event (``24hrTicker``)."""
        fields = ticker_fields(engine, symbol, now)
        return {
            "e": "24hrTicker",
            "E": now,
            "s": symbol,
            **{k: fields[k] for k in self.ticker_order},
        }

    def ticker_rest(
        self,
        engine: Engine,
        symbol: str,
        now: int,
        *,
        window_ms: int = 86_400_000,
        mini: bool = False,
        rolling: bool = False,
        start: int | None = None,
        close: int | None = None,
    ) -> dict[str, Any]:
        """Return a ``ticker/24hr``, rolling ``ticker`` or ``ticker/tradingDay`` object.

        ``rolling`` opens the window on a whole minute; ``start``/``close`` give a trading
        day's bounds (its statistics run from ``start`` to now, ``closeTime`` is ``close``).
        """
        fields = ticker_fields(
            engine, symbol, now, window_ms, start=start, aligned=rolling or start is not None
        )
        if close is not None:
            fields["C"] = close
        if mini:
            order = _REST_MINI_ORDER
        elif rolling or start is not None:
            order = "pPwohlcvqOCFLn"
        else:
            order = self.ticker_order
        return {"symbol": symbol, **{REST_NAMES[k]: fields[k] for k in order}}

    def _quotes(self, engine: Engine, symbol: str) -> dict[str, Any]:
        m = engine.market(symbol)
        bid, ask = _best(engine, symbol)
        return {
            "s": symbol,
            "b": m.price_str(bid[0]),
            "B": m.qty_str(bid[1]),
            "a": m.price_str(ask[0]),
            "A": m.qty_str(ask[1]),
        }

    def book_ticker_event(self, engine: Engine, symbol: str, now: int) -> dict[str, Any]:
        """Return the ``<symbol>@bookTicker`` event (spot: no ``e``/``E``)."""
        return {"u": engine.update_id(symbol), **self._quotes(engine, symbol)}

    def book_ticker_rest(self, engine: Engine, symbol: str, now: int) -> dict[str, Any]:
        """Return one ``GET /api/v3/ticker/bookTicker`` object."""
        q = self._quotes(engine, symbol)
        return {
            "symbol": symbol,
            "bidPrice": q["b"],
            "bidQty": q["B"],
            "askPrice": q["a"],
            "askQty": q["A"],
        }

    def ticker_price_rest(self, engine: Engine, symbol: str, now: int) -> dict[str, Any]:
        """Return one ``GET /api/v3/ticker/price`` object."""
        return {
            "symbol": symbol,
            "price": engine.market(symbol).price_str(engine.last_price(symbol)),
        }

    def depth_rest(
        self,
        m: Market,
        last_id: int,
        bids: list[tuple[Decimal, Decimal]],
        asks: list[tuple[Decimal, Decimal]],
        now: int,
    ) -> dict[str, Any]:
        """Return ``GET /api/v3/depth`` (``/fapi/v1/depth`` adds ``E`` and ``T``)."""
        return {
            "lastUpdateId": last_id,
            **self._snapshot_times(now),
            "bids": depth_levels(m, bids),
            "asks": depth_levels(m, asks),
        }

    def partial_depth_event(
        self,
        engine: Engine,
        symbol: str,
        levels: int,
        now: int,
        first_id: int,
        prev_last: int,
    ) -> dict[str, Any]:
        """Return ``<symbol>@depth<levels>``: spot sends a bare snapshot."""
        last_id, bids, asks = engine.depth(symbol, levels)
        return self.depth_rest(engine.market(symbol), last_id, bids, asks, now)

    def depth_diff_event(
        self, m: Market, d: DepthUpdate, now: int, prev_last: int
    ) -> dict[str, Any]:
        """Return the ``<symbol>@depth`` diff event for the merged update ``d``."""
        bids, asks = sorted_levels(m, d.bids, reverse=True), sorted_levels(m, d.asks)
        return self._depth_update(m, now, d.time, d.first_id, d.last_id, prev_last, bids, asks)

    # -- where the futures shapes add fields (spot: none) ------------------------------------

    def _net_qty(self, m: Market, a: AggTrade) -> dict[str, Any]:
        """The aggregate trade's quantity without RPI orders (futures ``nq``)."""
        return {}

    def _snapshot_times(self, now: int) -> dict[str, Any]:
        """The event and transaction times of a depth snapshot (futures ``E``, ``T``)."""
        return {}

    def _event_time(self, time: int) -> dict[str, Any]:
        """The transaction time an event carries after ``E`` (futures ``T``)."""
        return {}

    def _prev_update_id(self, prev_last: int) -> dict[str, Any]:
        """The last update id of the previous event (futures ``pu``)."""
        return {}

    def _depth_update(
        self,
        m: Market,
        now: int,
        time: int,
        first_id: int,
        last_id: int,
        prev_last: int,
        bids: Levels,
        asks: Levels,
    ) -> dict[str, Any]:
        """Return a ``depthUpdate`` event with this style's time and update-id fields."""
        return {
            "e": "depthUpdate",
            "E": now,
            **self._event_time(time),
            "s": m.symbol,
            "U": first_id,
            "u": last_id,
            **self._prev_update_id(prev_last),
            "b": bids,
            "a": asks,
        }


def sorted_levels(m: Market, levels: dict[Decimal, Decimal], *, reverse: bool = False) -> Levels:
    return depth_levels(m, dict(sorted(levels.items(), reverse=reverse)))
