"""An asyncio Binance client with the CCXT Pro surface.

``async with client.Binance({"binanceEnv": "testnet"}) as ex: await ex.watch_ticker("BTC/USDT")``
"""

from __future__ import annotations

from . import errors
from .connection import ConnectionSettings
from .environments import ENVIRONMENTS, Endpoints, endpoints_for
from .errors import (
    ArgumentsRequired,
    AuthenticationError,
    BadRequest,
    BadSymbol,
    BaseError,
    BookSyncError,
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
from .stream_connection import StreamConnection
from .telemetry import WireEvent, redact
from .types import OHLCV, Liquidation, Market, MarketId, OrderBook, Symbol, Ticker, Trade
from .venues import VENUES, Venue
from .ws_api_connection import WsApiConnection

__all__ = [
    "ENVIRONMENTS",
    "OHLCV",
    "VENUES",
    "ArgumentsRequired",
    "AuthenticationError",
    "BadRequest",
    "BadSymbol",
    "BaseError",
    "Binance",
    "BookSyncError",
    "ConnectionClosed",
    "ConnectionSettings",
    "DDoSProtection",
    "Endpoints",
    "ExchangeError",
    "ExchangeNotAvailable",
    "InsufficientFunds",
    "InvalidOrder",
    "Liquidation",
    "Market",
    "MarketId",
    "NetworkError",
    "NotSupported",
    "OrderBook",
    "OrderNotFound",
    "PermissionDenied",
    "RateLimitExceeded",
    "RequestTimeout",
    "StreamConnection",
    "Symbol",
    "Ticker",
    "Trade",
    "UnsubscribeError",
    "Venue",
    "WireEvent",
    "WsApiConnection",
    "binance",
    "endpoints_for",
    "errors",
    "redact",
]
