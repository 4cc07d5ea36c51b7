"""Unified structures (CCXT field names) and typed identifiers."""

from __future__ import annotations

from typing import Any, NewType, NotRequired, TypedDict

from .errors import BaseError

__all__ = [
    "OHLCV",
    "Balance",
    "BalanceAccount",
    "BorrowRate",
    "Conversion",
    "Fee",
    "IsolatedBorrowRate",
    "Liquidation",
    "Market",
    "MarketId",
    "Order",
    "OrderBook",
    "OrderId",
    "Position",
    "Symbol",
    "Ticker",
    "Trade",
]

Symbol = NewType("Symbol", str)
"""A CCXT symbol: ``BTC/USDT`` (spot), ``BTC/USDT:USDT`` (USD-M), ``BTC/USD:BTC`` (COIN-M)."""

MarketId = NewType("MarketId", str)
"""A Binance symbol id: ``BTCUSDT``."""

OrderId = NewType("OrderId", str)
"""A Binance order id, as text (CCXT's ``order["id"]``)."""


class Market(TypedDict):
    """One market from ``exchangeInfo``."""

    id: MarketId
    symbol: Symbol
    base: str
    quote: str
    settle: str | None
    type: str
    spot: bool
    swap: bool
    future: bool
    contract: bool
    linear: bool | None
    inverse: bool | None
    contractSize: float | None
    expiry: int | None
    active: bool
    precision: dict[str, float | None]
    limits: dict[str, dict[str, float | None]]
    info: dict[str, Any]


class Ticker(TypedDict):
    """A ticker, as CCXT's ``safe_ticker`` shapes it."""

    symbol: Symbol
    timestamp: int | None
    datetime: str | None
    high: float | None
    low: float | None
    bid: float | None
    bidVolume: float | None
    ask: float | None
    askVolume: float | None
    vwap: float | None
    open: float | None
    close: float | None
    last: float | None
    previousClose: float | None
    change: float | None
    percentage: float | None
    average: float | None
    baseVolume: float | None
    quoteVolume: float | None
    markPrice: float | None
    indexPrice: float | None
    info: dict[str, Any]


class Fee(TypedDict):
    """A trade fee (public trades carry none)."""

    cost: float | None
    currency: str | None


class Trade(TypedDict):
    """A public trade, as CCXT's ``safe_trade`` shapes it."""

    info: dict[str, Any]
    timestamp: int | None
    datetime: str | None
    symbol: Symbol
    id: str | None
    order: str | None
    type: str | None
    side: str | None
    takerOrMaker: str | None
    price: float | None
    amount: float | None
    cost: float | None
    fee: Fee
    fees: list[Fee]


OHLCV = list[float | int | None]
"""One candle ``[timestamp, open, high, low, close, volume]``, as CCXT returns it."""


class OrderBook(TypedDict):
    """An order book: levels ``[price, amount]`` best first; ``nonce`` is Binance's update id."""

    symbol: Symbol
    bids: list[list[float]]
    asks: list[list[float]]
    timestamp: int | None
    datetime: str | None
    nonce: int | None


class Liquidation(TypedDict):
    """A liquidation (``forceOrder``), as CCXT's ``safe_liquidation`` shapes it."""

    info: dict[str, Any]
    symbol: Symbol
    contracts: float | None
    contractSize: float | None
    price: float | None
    side: str | None
    baseValue: float | None
    quoteValue: float | None
    timestamp: int | None
    datetime: str | None


class Order(TypedDict):
    """An order, as CCXT's ``safe_order`` shapes it (status ``open``, ``closed``,
    ``canceled``, ``expired`` or ``rejected``). A rejected entry of ``create_orders`` also
    carries the client error under ``error``."""

    info: dict[str, Any]
    id: str | None
    clientOrderId: str | None
    timestamp: int | None
    datetime: str | None
    lastTradeTimestamp: int | None
    lastUpdateTimestamp: int | None
    symbol: Symbol | None
    type: str | None
    timeInForce: str | None
    postOnly: bool | None
    reduceOnly: bool | None
    side: str | None
    price: float | None
    triggerPrice: float | None
    stopPrice: float | None
    takeProfitPrice: float | None
    stopLossPrice: float | None
    amount: float | None
    cost: float | None
    average: float | None
    filled: float | None
    remaining: float | None
    status: str | None
    fee: Fee | None
    fees: list[Fee]
    trades: list[Trade]
    error: NotRequired[BaseError]


class BalanceAccount(TypedDict):
    """One currency of a balance: ``free + used == total`` (``debt`` on margin accounts)."""

    free: float | None
    used: float | None
    total: float | None


class Balance(TypedDict):
    """A balance, as CCXT's ``safe_balance`` shapes it.

    ``free``/``used``/``total`` map currency -> amount; each currency is also a key of its
    own (``balance["BTC"]["free"]``, a :class:`BalanceAccount`; read it with ``cast`` or
    ``balance["free"]["BTC"]`` under mypy). ``debt`` appears on margin accounts.
    """

    info: Any
    timestamp: int | None
    datetime: str | None
    free: dict[str, float | None]
    used: dict[str, float | None]
    total: dict[str, float | None]


class Position(TypedDict):
    """A futures position, as CCXT's ``safe_position`` shapes it."""

    info: dict[str, Any]
    id: str | None
    symbol: Symbol | None
    timestamp: int | None
    datetime: str | None
    contracts: float | None
    contractSize: float | None
    side: str | None
    notional: float | None
    leverage: float | None
    unrealizedPnl: float | None
    realizedPnl: float | None
    collateral: float | None
    entryPrice: float | None
    markPrice: float | None
    liquidationPrice: float | None
    marginMode: str | None
    hedged: bool | None
    maintenanceMargin: float | None
    maintenanceMarginPercentage: float | None
    initialMargin: float | None
    initialMarginPercentage: float | None
    marginRatio: float | None
    positionMargin: float | None
    percentage: float | None
    lastUpdateTimestamp: int | None
    lastPrice: float | None
    stopLossPrice: float | None
    takeProfitPrice: float | None


class BorrowRate(TypedDict):
    """A cross-margin borrow rate: ``rate`` per ``period`` (ms, one day)."""

    info: dict[str, Any]
    currency: str | None
    rate: float | None
    period: int
    timestamp: int | None
    datetime: str | None


class IsolatedBorrowRate(TypedDict):
    """The borrow rates of an isolated-margin pair (base and quote), per ``period`` (ms)."""

    info: dict[str, Any]
    symbol: Symbol | None
    base: str | None
    baseRate: float | None
    quote: str | None
    quoteRate: float | None
    period: int
    timestamp: int | None
    datetime: str | None


class Conversion(TypedDict):
    """A convert quote or trade (``POST /sapi/v1/convert/getQuote``, ``acceptQuote``)."""

    info: dict[str, Any]
    timestamp: int | None
    datetime: str | None
    id: str | None
    fromCurrency: str | None
    fromAmount: float | None
    toCurrency: str | None
    toAmount: float | None
    price: float | None
    fee: float | None
