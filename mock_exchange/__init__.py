"""A local Binance: engine, transports on one port by the URL rule, and a control API.

Start one with ``async with MockExchange() as mx:`` or ``python -m mock_exchange serve``.
"""

from __future__ import annotations

from .control import Control, Fault, JournalEntry
from .engine.clock import ControlledClock, SystemClock, VirtualClock
from .engine.core import Engine
from .engine.markets import DEFAULT_MARKETS, Market, markets_from_config
from .errors import ExchangeError, StreamControlError
from .routing import URL_RULE, rewrite_url
from .server import MockExchange, ServerConfig

__all__ = [
    "DEFAULT_MARKETS",
    "URL_RULE",
    "Control",
    "ControlledClock",
    "Engine",
    "ExchangeError",
    "Fault",
    "JournalEntry",
    "Market",
    "MockExchange",
    "ServerConfig",
    "StreamControlError",
    "SystemClock",
    "VirtualClock",
    "markets_from_config",
    "rewrite_url",
]
