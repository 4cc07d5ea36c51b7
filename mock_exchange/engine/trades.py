"""The trade records of one symbol: trades, aggregate trades, buckets, klines, ticker stats.

Plain data: :mod:`.tape` keeps them and aggregates buckets into klines and tickers.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .types import AccountId

__all__ = ["AggTrade", "Bucket", "Kline", "TickerStats", "Trade"]


@dataclass(frozen=True, slots=True)
class Trade:
    """One execution between a maker and a taker."""

    symbol: str
    trade_id: int
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    time: int
    buyer_is_maker: bool
    maker_order_id: int
    taker_order_id: int
    maker_owner: AccountId | None = None
    taker_owner: AccountId | None = None

    @property
    def owner(self) -> AccountId | None:
        """The public trade belongs to nobody; each side's account is named above."""
        return None


@dataclass(slots=True)
class AggTrade:
    """Trades of one taker order at one price, aggregated as ``aggTrades`` reports them."""

    symbol: str
    agg_id: int
    price: Decimal
    qty: Decimal
    first_trade_id: int
    last_trade_id: int
    time: int
    buyer_is_maker: bool
    taker_order_id: int

    @property
    def owner(self) -> AccountId | None:
        """Aggregate trades are public."""
        return None


@dataclass(slots=True)
class Bucket:
    """Aggregated trades of one time slot."""

    start: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    quote_volume: Decimal
    taker_buy_volume: Decimal
    taker_buy_quote: Decimal
    first_id: int
    last_id: int
    count: int

    @classmethod
    def of(cls, start: int, t: Trade) -> Bucket:
        """Return a bucket holding just ``t``."""
        buy = not t.buyer_is_maker
        return cls(
            start,
            t.price,
            t.price,
            t.price,
            t.price,
            t.qty,
            t.quote_qty,
            t.qty if buy else Decimal(0),
            t.quote_qty if buy else Decimal(0),
            t.trade_id,
            t.trade_id,
            1,
        )

    def merge(self, other: Bucket) -> None:
        """Add a later bucket's trades to this one."""
        self.high = max(self.high, other.high)
        self.low = min(self.low, other.low)
        self.close = other.close
        self.volume += other.volume
        self.quote_volume += other.quote_volume
        self.taker_buy_volume += other.taker_buy_volume
        self.taker_buy_quote += other.taker_buy_quote
        self.last_id = other.last_id
        self.count += other.count

    def add(self, t: Trade) -> None:
        """Add a later trade to the bucket."""
        self.high = max(self.high, t.price)
        self.low = min(self.low, t.price)
        self.close = t.price
        self.volume += t.qty
        self.quote_volume += t.quote_qty
        if not t.buyer_is_maker:
            self.taker_buy_volume += t.qty
            self.taker_buy_quote += t.quote_qty
        self.last_id = t.trade_id
        self.count += 1


@dataclass(frozen=True)
class Kline:
    """One candle: ``[open_time, close_time]`` with the trades inside it."""

    open_time: int
    close_time: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    quote_volume: Decimal
    taker_buy_volume: Decimal
    taker_buy_quote: Decimal
    first_id: int
    last_id: int
    count: int


@dataclass(frozen=True)
class TickerStats:
    """Rolling-window statistics of one symbol, as the 24 h ticker reports them."""

    open_time: int
    close_time: int
    open: Decimal
    high: Decimal
    low: Decimal
    last: Decimal
    last_qty: Decimal
    prev_close: Decimal
    volume: Decimal
    quote_volume: Decimal
    first_id: int
    last_id: int
    count: int

    @property
    def change(self) -> Decimal:
        return self.last - self.open

    @property
    def change_percent(self) -> Decimal:
        return (self.change / self.open * 100) if self.open else Decimal(0)

    @property
    def vwap(self) -> Decimal:
        return (self.quote_volume / self.volume) if self.volume else Decimal(0)
