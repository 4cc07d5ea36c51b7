"""Market-stream names as the server understands them.

``btcusdt@depth20@100ms`` parses to ``StreamKey(symbol="BTCUSDT", channel="depth",
params=("20", "100ms"))``; ``!miniTicker@arr`` to ``StreamKey(None, "miniTicker", ("arr",))``.
Parsing is by grammar, never by substring, and rejects anything Binance would not carry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["KLINE_INTERVALS", "StreamKey", "parse_stream"]

KLINE_INTERVALS = (
    "1s",
    "1m",
    "3m",
    "5m",
    "15m",
    "30m",
    "1h",
    "2h",
    "4h",
    "6h",
    "8h",
    "12h",
    "1d",
    "3d",
    "1w",
    "1M",
)
_WINDOWS = ("1h", "4h", "1d")
_SYMBOL = re.compile(r"^[a-z0-9_]{2,40}$")


@dataclass(frozen=True)
class StreamKey:
    """A parsed stream name: upper-case symbol (None for all-market), channel, parameters."""

    symbol: str | None
    channel: str
    params: tuple[str, ...] = ()


def _spot_channel(rest: list[str]) -> tuple[str, tuple[str, ...]] | None:
    head, tail = rest[0], rest[1:]
    if head in ("trade", "aggTrade", "miniTicker", "ticker", "bookTicker", "avgPrice") and not tail:
        return head, ()
    if head.startswith("kline_"):
        interval = head[len("kline_") :]
        if interval in KLINE_INTERVALS and tail in ([], ["+08:00"]):
            return "kline", (interval, *tail)
        return None
    if head.startswith("ticker_") and head[len("ticker_") :] in _WINDOWS and not tail:
        return "ticker", (head[len("ticker_") :],)
    if head == "depth" or (head.startswith("depth") and head[5:] in ("5", "10", "20")):
        levels = head[5:]
        if tail in ([], ["100ms"], ["1000ms"]):
            return "depth", ((levels,) if levels else ()) + tuple(tail)
    return None


def parse_stream(name: str) -> StreamKey | None:
    """Parse a spot stream name; return None when it is not a valid spot stream."""
    if not name or name != name.strip():
        return None
    parts = name.split("@")
    if parts[0].startswith("!"):
        channel = parts[0][1:]
        if channel == "miniTicker" and parts[1:] == ["arr"]:
            return StreamKey(None, "miniTicker", ("arr",))
        if channel.startswith("ticker_") and channel[7:] in _WINDOWS and parts[1:] == ["arr"]:
            return StreamKey(None, "ticker", (channel[7:], "arr"))
        return None
    if len(parts) < 2 or not _SYMBOL.match(parts[0]):
        return None
    parsed = _spot_channel(parts[1:])
    if parsed is None:
        return None
    return StreamKey(parts[0].upper(), parsed[0], parsed[1])
