"""An asyncio Binance client with the CCXT Pro surface.

``async with client.Binance({"binanceEnv": "testnet"}) as ex: await ex.watch_ticker("BTC/USDT")``
"""

from __future__ import annotations

from . import errors
from .connection import ConnectionSettings
from .credentials import Credentials, required_credentials
from .environments import ENVIRONMENTS, Endpoints, endpoints_for
from .errors import (
    AccountSuspended,
    ArgumentsRequired,
    AuthenticationError,
    BadRequest,
    BadSymbol,
    BaseError,
    BookSyncError,
    ConnectionClosed,
    DDoSProtection,
    DuplicateOrderId,
    ExchangeError,
    ExchangeNotAvailable,
    InsufficientFunds,
    InvalidNonce,
    InvalidOrder,
    MarketClosed,
    NetworkError,
    NotSupported,
    OperationRejected,
    OrderImmediatelyFillable,
    OrderNotFillable,
    OrderNotFound,
    PermissionDenied,
    RateLimitExceeded,
    RequestInterrupted,
    RequestTimeout,
    UnsubscribeError,
)
from .exchange import Binance, binance
from .method_table import MethodInfo, method_info, method_table
from .server_time import ServerClock
from .stream_connection import StreamConnection
from .telemetry import WireEvent, redact
from .types import (
    OHLCV,
    Balance,
    BorrowRate,
    Conversion,
    IsolatedBorrowRate,
    Liquidation,
    Market,
    MarketId,
    Order,
    OrderBook,
    OrderId,
    Position,
    Symbol,
    Ticker,
    Trade,
)
from .user_data import WsAuth
from .venues import VENUES, Venue
from .ws_api_connection import WsApiConnection

__all__ = [
    "ENVIRONMENTS",
    "OHLCV",
    "VENUES",
    "AccountSuspended",
    "ArgumentsRequired",
    "AuthenticationError",
    "BadRequest",
    "BadSymbol",
    "Balance",
    "BaseError",
    "Binance",
    "BookSyncError",
    "BorrowRate",
    "ConnectionClosed",
    "ConnectionSettings",
    "Conversion",
    "Credentials",
    "DDoSProtection",
    "DuplicateOrderId",
    "Endpoints",
    "ExchangeError",
    "ExchangeNotAvailable",
    "InsufficientFunds",
    "InvalidNonce",
    "InvalidOrder",
    "IsolatedBorrowRate",
    "Liquidation",
    "Market",
    "MarketClosed",
    "MarketId",
    "MethodInfo",
    "NetworkError",
    "NotSupported",
    "OperationRejected",
    "Order",
    "OrderBook",
    "OrderId",
    "OrderImmediatelyFillable",
    "OrderNotFillable",
    "OrderNotFound",
    "PermissionDenied",
    "Position",
    "RateLimitExceeded",
    "RequestInterrupted",
    "RequestTimeout",
    "ServerClock",
    "StreamConnection",
    "Symbol",
    "Ticker",
    "Trade",
    "UnsubscribeError",
    "Venue",
    "WireEvent",
    "WsApiConnection",
    "WsAuth",
    "binance",
    "endpoints_for",
    "errors",
    "method_info",
    "method_table",
    "redact",
    "required_credentials",
]
