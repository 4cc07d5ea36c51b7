"""Sans-I/O core of the client: plain synchronous code, no asyncio, no sockets, no clock reads."""

from __future__ import annotations

from .parsers import parse_market, parse_ticker
from .stream_names import StreamName, format_stream, parse_stream
from .stream_protocol import Ack, ControlError, Event, StreamData, StreamProtocol, Unparsed
from .subscriptions import SubscriptionTable, SubState

__all__ = [
    "Ack",
    "ControlError",
    "Event",
    "StreamData",
    "StreamName",
    "StreamProtocol",
    "SubState",
    "SubscriptionTable",
    "Unparsed",
    "format_stream",
    "parse_market",
    "parse_stream",
    "parse_ticker",
]
