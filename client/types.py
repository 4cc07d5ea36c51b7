"""Unified structures (CCXT field names) and typed identifiers."""

from __future__ import annotations

from typing import Any, NewType, NotRequired, TypedDict

__all__ = [
    "OHLCV",
    "BalanceAccount",
    "Balances",
    "Fee",
    "Liquidation",
    "Market",
    "MarketId",
    "Order",
    "OrderBook",
    "Position",
    "Symbol",
    "Ticker",
    "Trade",
]

Symbol = NewType("Symbol", str)
"""A CCXT symbol: ``BTC/USDT`` (spot), ``BTC/USDT:USDT`` (USD-M), ``BTC/USD:BTC`` (COIN-M)."""

MarketId = NewType("MarketId", str)
"""A Binance symbol id: ``BTCUSDT``."""


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
    """An order, as CCXT's ``safe_order`` shapes it (``stopPrice`` is CCXT's deprecated alias
    of ``triggerPrice``; the margin fields are present on futures orders only)."""

    info: dict[str, Any]
    id: str | None
    clientOrderId: str | None
    timestamp: int | None
    datetime: str | None
    lastTradeTimestamp: int | None
    lastUpdateTimestamp: int | None
    symbol: Symbol
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
    trades: list[Trade]
    fees: list[Fee]
    marginMode: NotRequired[str | None]
    leverage: NotRequired[float | None]
    hedged: NotRequired[bool | None]


class BalanceAccount(TypedDict):
    """One currency of a balance: ``debt`` only on margin accounts."""

    free: float | None
    used: float | None
    total: float | None
    debt: NotRequired[float | None]


Balances = dict[str, Any]
"""A balance, as CCXT's ``safe_balance`` shapes it: ``info``, ``timestamp``, ``datetime``, the
per-field maps ``free``/``used``/``total`` (and ``debt``) keyed by currency, and one
:class:`BalanceAccount` under each currency code (``balance["BTC"]["free"]``)."""


class Position(TypedDict):
    """A futures position, as CCXT's ``safe_position`` shapes it."""

    info: dict[str, Any]
    id: str | None
    symbol: Symbol
    timestamp: int | None
    datetime: str | None
    lastUpdateTimestamp: int | None
    hedged: bool | None
    side: str | None
    contracts: float | None
    contractSize: float | None
    entryPrice: float | None
    markPrice: float | None
    lastPrice: float | None
    notional: float | None
    leverage: float | None
    collateral: float | None
    positionMargin: NotRequired[float | None]
    initialMargin: float | None
    initialMarginPercentage: float | None
    maintenanceMargin: float | None
    maintenanceMarginPercentage: float | None
    unrealizedPnl: float | None
    realizedPnl: float | None
    liquidationPrice: float | None
    marginMode: str | None
    marginRatio: float | None
    percentage: float | None
    stopLossPrice: float | None
    takeProfitPrice: float | None
