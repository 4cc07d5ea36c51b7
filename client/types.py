"""Unified structures (CCXT field names) and typed identifiers."""

from __future__ import annotations

from typing import Any, NewType, TypedDict

__all__ = ["Market", "MarketId", "Symbol", "Ticker"]

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
    linear: bool | None
    inverse: bool | None
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
