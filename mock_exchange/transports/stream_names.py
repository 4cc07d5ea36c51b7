"""Market-stream names as the server understands them, per venue.

``btcusdt@depth20@100ms`` parses to ``StreamKey("BTCUSDT", "depth", ("20", "100"))`` (levels,
then the update period in ms); ``!miniTicker@arr`` to ``StreamKey(None, "miniTicker",
("arr",))``. Parsing is by grammar, never by substring, and rejects anything the venue would not
carry. :func:`stream_period` gives each stream's update period and :func:`futures_category`
the USD-M entry point (``/public`` or ``/market``) that carries it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..engine.markets import MarketKind
from ..engine.tape import INTERVAL_MS
from .venues import VENUE_SPECS, StreamSpec

__all__ = [
    "KLINE_INTERVALS",
    "LISTEN_KEY_CHANNEL",
    "STREAM_CATALOGUE",
    "StreamKey",
    "futures_category",
    "parse_stream",
    "stream_period",
]

KLINE_INTERVALS = tuple(INTERVAL_MS)
_SYMBOL = re.compile(r"^[a-z0-9_]{2,40}$")
_PUBLIC_CHANNELS = frozenset({"depth", "bookTicker", "trade"})
# a live listen key subscribed as a stream: ``StreamKey(None, "listenKey", (key,))``
LISTEN_KEY_CHANNEL = "listenKey"


# What each venue serves: (name pattern, an example the grammar accepts). The generated table
# in docs/emulator.md is built from this; a test parses every example.
STREAM_CATALOGUE: dict[MarketKind, tuple[tuple[str, str], ...]] = {
    "spot": (
        ("<symbol>@trade", "btcusdt@trade"),
        ("<symbol>@aggTrade", "btcusdt@aggTrade"),
        ("<symbol>@kline_<interval>[@+08:00]", "btcusdt@kline_1m@+08:00"),
        ("<symbol>@miniTicker", "btcusdt@miniTicker"),
        ("!miniTicker@arr", "!miniTicker@arr"),
        ("<symbol>@ticker", "btcusdt@ticker"),
        ("<symbol>@ticker_<1h|4h|1d>", "btcusdt@ticker_4h"),
        ("!ticker_<1h|4h|1d>@arr", "!ticker_1h@arr"),
        ("<symbol>@bookTicker", "btcusdt@bookTicker"),
        ("<symbol>@depth<5|10|20>[@100ms|@1000ms]", "btcusdt@depth5@100ms"),
        ("<symbol>@depth[@100ms|@1000ms]", "btcusdt@depth@100ms"),
        ("<symbol>@avgPrice", "btcusdt@avgPrice"),
    ),
    "usdm": (
        ("<symbol>@trade (/public)", "btcusdt@trade"),
        ("<symbol>@aggTrade", "btcusdt@aggTrade"),
        ("<symbol>@markPrice[@1s]", "btcusdt@markPrice@1s"),
        ("!markPrice@arr[@1s]", "!markPrice@arr@1s"),
        ("<symbol>@forceOrder", "btcusdt@forceOrder"),
        ("!forceOrder@arr", "!forceOrder@arr"),
        ("<symbol>@depth[@100ms|@250ms|@500ms] (/public)", "btcusdt@depth@500ms"),
        ("<symbol>@depth<5|10|20>[@100ms|@250ms|@500ms] (/public)", "btcusdt@depth10"),
        ("<symbol>@bookTicker, !bookTicker (/public)", "!bookTicker"),
        ("<symbol>@kline_<interval>", "btcusdt@kline_5m"),
        ("<pair>_perpetual@continuousKline_<interval>", "btcusdt_perpetual@continuousKline_1m"),
        ("<symbol>@ticker, !ticker@arr", "!ticker@arr"),
        ("<symbol>@miniTicker, !miniTicker@arr", "btcusdt@miniTicker"),
    ),
    "coinm": (
        ("<symbol>@aggTrade", "btcusd_perp@aggTrade"),
        ("<symbol>@depth[@100ms|@250ms|@500ms]", "btcusd_perp@depth@100ms"),
        ("<symbol>@depth<5|10|20>[...]", "btcusd_perp@depth20"),
        ("<symbol>@bookTicker", "btcusd_perp@bookTicker"),
        ("<symbol>@markPrice[@1s]", "btcusd_perp@markPrice"),
        ("<symbol>@kline_<interval>", "btcusd_perp@kline_1h"),
        ("<symbol>@ticker, <symbol>@miniTicker", "btcusd_perp@ticker"),
        ("<symbol>@forceOrder", "btcusd_perp@forceOrder"),
    ),
}


@dataclass(frozen=True)
class StreamKey:
    """A parsed stream name: upper-case symbol (None for all-market), channel, parameters."""

    symbol: str | None
    channel: str
    params: tuple[str, ...] = ()


def _depth(head: str, tail: list[str], spec: StreamSpec) -> tuple[str, ...] | None:
    levels = head[5:]
    if levels not in ("", "5", "10", "20") or len(tail) > 1:
        return None
    speed = spec.depth_speeds.get(tail[0] if tail else "")
    if speed is None:
        return None
    return levels, speed


def _channel(rest: list[str], spec: StreamSpec) -> tuple[str, tuple[str, ...]] | None:
    head, tail = rest[0], rest[1:]
    if head in spec.channels and not tail:
        return head, ()
    if head == "markPrice" and spec.mark_price and tail in ([], ["1s"]):
        return "markPrice", tuple(tail)
    if head.startswith("kline_"):
        interval = head[len("kline_") :]
        if interval in KLINE_INTERVALS and tuple(tail) in spec.kline_offsets:
            return "kline", (interval, *tail)
        return None
    if head.startswith("ticker_") and head[7:] in spec.ticker_windows and not tail:
        return "ticker", (head[7:],)
    if head.startswith("depth"):
        params = _depth(head, tail, spec)
        return None if params is None else ("depth", params)
    return None


def parse_stream(name: str, venue: MarketKind = "spot") -> StreamKey | None:
    """Parse a stream name of ``venue``; return None when the venue has no such stream."""
    if not name or name != name.strip():
        return None
    spec = VENUE_SPECS[venue].streams
    parts = name.split("@")
    if parts[0].startswith("!"):
        found = spec.all_market.get((parts[0][1:], tuple(parts[1:])))
        return None if found is None else StreamKey(None, found[0], found[1])
    if len(parts) < 2 or not _SYMBOL.match(parts[0]):
        return None
    head = parts[1]
    if spec.continuous_kline and head.startswith("continuousKline_") and len(parts) == 2:
        pair, _, contract = parts[0].rpartition("_")
        interval = head[len("continuousKline_") :]
        if pair and contract == "perpetual" and interval in KLINE_INTERVALS:
            return StreamKey(pair.upper(), "continuousKline", (contract, interval))
        return None
    parsed = _channel(parts[1:], spec)
    if parsed is None:
        return None
    return StreamKey(parts[0].upper(), parsed[0], parsed[1])


def stream_period(venue: MarketKind, key: StreamKey) -> int | None:
    """Return the update period of a stream in ms; None for real-time streams."""
    spec = VENUE_SPECS[venue].streams
    ch = key.channel
    if ch in ("trade", "aggTrade", "bookTicker", LISTEN_KEY_CHANNEL):
        return None
    if ch == "forceOrder":
        return 1000  # a snapshot of the latest liquidation per symbol each second
    if ch == "depth":
        return int(key.params[1])
    if ch in ("kline", "continuousKline"):
        interval = key.params[0] if ch == "kline" else key.params[1]
        return 1000 if interval == "1s" else spec.kline_period_ms
    if ch == "markPrice":
        return 1000 if "1s" in key.params else 3000
    if ch == "ticker" and key.symbol is not None:
        return spec.symbol_ticker_period_ms
    return 1000


def futures_category(key: StreamKey) -> Literal["public", "market"]:
    """Return the USD-M entry point carrying ``key``: ``/public`` (book data) or ``/market``."""
    return "public" if key.channel in _PUBLIC_CHANNELS else "market"
