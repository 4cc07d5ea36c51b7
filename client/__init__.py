"""An asyncio Binance client with the CCXT Pro surface.

``async with client.Binance({"binanceEnv": "testnet"}) as ex: await ex.watch_ticker("BTC/USDT")``
"""

from __future__ import annotations

from . import errors
from .connection import StreamConnection
from .environments import ENVIRONMENTS, Endpoints, endpoints_for
from .errors import (
    AuthenticationError,
    BadRequest,
    BadSymbol,
    BaseError,
    ConnectionClosed,
    DDoSProtection,
    ExchangeError,
    ExchangeNotAvailable,
    InsufficientFunds,
    InvalidOrder,
    NetworkError,
    NotSupported,
    OrderNotFound,
    PermissionDenied,
    RateLimitExceeded,
    RequestTimeout,
    UnsubscribeError,
)
from .exchange import Binance, binance
from .telemetry import WireEvent, redact
from .types import Market, MarketId, Symbol, Ticker

__all__ = [
    "ENVIRONMENTS",
    "AuthenticationError",
    "BadRequest",
    "BadSymbol",
    "BaseError",
    "Binance",
    "ConnectionClosed",
    "DDoSProtection",
    "Endpoints",
    "ExchangeError",
    "ExchangeNotAvailable",
    "InsufficientFunds",
    "InvalidOrder",
    "Market",
    "MarketId",
    "NetworkError",
    "NotSupported",
    "OrderNotFound",
    "PermissionDenied",
    "RateLimitExceeded",
    "RequestTimeout",
    "StreamConnection",
    "Symbol",
    "Ticker",
    "UnsubscribeError",
    "WireEvent",
    "binance",
    "endpoints_for",
    "errors",
    "redact",
]
