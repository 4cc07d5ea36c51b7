"""Stream and REST payloads built from engine state, field for field as Binance sends them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..engine.core import Engine
from ..engine.markets import fmt

__all__ = ["spot_ticker_event", "spot_ticker_rest"]


def _ticker_fields(engine: Engine, symbol: str, now: int) -> dict[str, Any]:
    m = engine.market(symbol)
    s = engine.ticker_stats(symbol, now=now)
    bids = engine.book(symbol).best_bid() or (Decimal(0), Decimal(0))
    asks = engine.book(symbol).best_ask() or (Decimal(0), Decimal(0))
    return {
        "p": m.price_str(s.change),
        "P": fmt(s.change_percent, 3),
        "w": m.price_str(s.vwap),
        "x": m.price_str(s.prev_close),
        "c": m.price_str(s.last),
        "Q": m.qty_str(s.last_qty),
        "b": m.price_str(bids[0]),
        "B": m.qty_str(bids[1]),
        "a": m.price_str(asks[0]),
        "A": m.qty_str(asks[1]),
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


def spot_ticker_event(engine: Engine, symbol: str, now: int) -> dict[str, Any]:
    """Return the ``<symbol>@ticker`` event (``24hrTicker``) for ``symbol`` at ``now``."""
    return {"e": "24hrTicker", "E": now, "s": symbol, **_ticker_fields(engine, symbol, now)}


_REST_NAMES = {
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


def spot_ticker_rest(engine: Engine, symbol: str, now: int) -> dict[str, Any]:
    """Return the ``GET /api/v3/ticker/24hr`` FULL object for ``symbol`` at ``now``."""
    fields = _ticker_fields(engine, symbol, now)
    return {"symbol": symbol, **{_REST_NAMES[k]: v for k, v in fields.items()}}
