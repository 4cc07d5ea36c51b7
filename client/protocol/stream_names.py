"""Stream names: parse ``btcusdt@kline_1m`` into parts and format them back.

Handlers are looked up by the parsed channel, never by substring.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["StreamName", "format_stream", "parse_stream"]


@dataclass(frozen=True)
class StreamName:
    """A stream: market id in lower case (None for ``!...`` all-market streams), channel, params.

    ``btcusdt@kline_1m`` is ``StreamName("btcusdt", "kline", ("1m",))``;
    ``btcusdt@depth@100ms`` is ``StreamName("btcusdt", "depth", ("100ms",))``;
    ``!miniTicker@arr`` is ``StreamName(None, "miniTicker", ("arr",))``.
    """

    market_id: str | None
    channel: str
    params: tuple[str, ...] = ()

    def __str__(self) -> str:
        return format_stream(self)


_UNDERSCORE_CHANNELS = ("kline", "continuousKline", "ticker", "indexPriceKline", "markPriceKline")


_WINDOWS = ("1h", "4h", "1d")


def _takes_suffix(channel: str, arg: str) -> bool:
    # ``ticker_1h`` is a rolling window; a plain ``ticker`` keeps its params after ``@``
    return channel != "ticker" or arg in _WINDOWS


def parse_stream(name: str) -> StreamName:
    """Parse a stream name.

    Raises:
        ValueError: empty parts or a name without a channel.
    """
    parts = name.split("@")
    if any(not p for p in parts) or len(parts) < 2:
        raise ValueError(f"not a stream name: {name!r}")
    head, first, rest = parts[0], parts[1], tuple(parts[2:])
    if head.startswith("!"):
        return StreamName(None, head[1:], (first, *rest))
    channel, sep, arg = first.partition("_")
    if sep and channel in _UNDERSCORE_CHANNELS and _takes_suffix(channel, arg):
        return StreamName(head, channel, (arg, *rest))
    if first.startswith("depth") and first[5:].isdigit():
        return StreamName(head, "depth", (first[5:], *rest))
    return StreamName(head, first, rest)


def format_stream(s: StreamName) -> str:
    """Format a :class:`StreamName` back to the wire name (inverse of :func:`parse_stream`)."""
    if s.market_id is None:
        return "@".join((f"!{s.channel}", *s.params))
    params = list(s.params)
    if s.channel in _UNDERSCORE_CHANNELS and params and _takes_suffix(s.channel, params[0]):
        first = f"{s.channel}_{params.pop(0)}"
    elif s.channel == "depth" and params and params[0].isdigit():
        first = f"depth{params.pop(0)}"
    else:
        first = s.channel
    return "@".join((s.market_id, first, *params))
