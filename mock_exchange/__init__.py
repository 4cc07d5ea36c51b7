"""A local Binance: engine, transports on one port by the URL rule, and a control API.

Start one with ``async with MockExchange() as mx:`` or ``python -m mock_exchange serve``.
"""

from __future__ import annotations

from .config import ServerConfig, check_setup, config_from_setup
from .control import CONTROL_ACTIONS, SCRIPT_ACTIONS, ControlAction, action_schema, check_action
from .emulator import Emulator
from .engine.clock import ControlledClock, SystemClock, VirtualClock
from .engine.core import Engine
from .engine.markets import DEFAULT_MARKETS, Market, markets_from_config
from .errors import ExchangeError, StreamControlError
from .faults import Control, Fault, JournalEntry
from .hosts import URL_RULE, rewrite_url
from .server import MockExchange
from .setup_accounts import KEY_TYPES, GeneratedAccount, generate_account, generate_accounts

__all__ = [
    "CONTROL_ACTIONS",
    "DEFAULT_MARKETS",
    "KEY_TYPES",
    "SCRIPT_ACTIONS",
    "URL_RULE",
    "Control",
    "ControlAction",
    "ControlledClock",
    "Emulator",
    "Engine",
    "ExchangeError",
    "Fault",
    "GeneratedAccount",
    "JournalEntry",
    "Market",
    "MockExchange",
    "ServerConfig",
    "StreamControlError",
    "SystemClock",
    "VirtualClock",
    "action_schema",
    "check_action",
    "check_setup",
    "config_from_setup",
    "generate_account",
    "generate_accounts",
    "markets_from_config",
    "rewrite_url",
]
