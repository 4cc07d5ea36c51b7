"""Unified structures (CCXT field names) and typed identifiers."""

from __future__ import annotations

from typing import Any, NewType, TypedDict

__all__ = [
    "OHLCV",
    "Fee",
    "Liquidation",
    "Market",
    "MarketId",
    "OrderBook",
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
