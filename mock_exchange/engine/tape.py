"""Trade tape: per-minute buckets of trades, from which tickers (and later klines) derive.

Minute buckets keep memory bounded on long runs (at most one day of buckets per symbol plus a
short list of recent trades) while the statistics stay exact sums of the engine's trades.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from decimal import Decimal

__all__ = ["DAY_MS", "MINUTE_MS", "Bucket", "Tape", "TickerStats", "Trade"]

MINUTE_MS = 60_000
DAY_MS = 86_400_000


@dataclass(frozen=True)
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


@dataclass
class Bucket:
    """Aggregated trades of one minute."""

    start: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    quote_volume: Decimal
    first_id: int
    last_id: int
    count: int

    def add(self, t: Trade) -> None:
        self.high = max(self.high, t.price)
        self.low = min(self.low, t.price)
        self.close = t.price
        self.volume += t.qty
        self.quote_volume += t.quote_qty
        self.last_id = t.trade_id
        self.count += 1


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


class Tape:
    """The trades of one symbol: minute buckets for one day and the last ``recent`` trades."""

    def __init__(self, initial_price: Decimal, recent: int = 1000) -> None:
        self.buckets: deque[Bucket] = deque()
        self.recent: deque[Trade] = deque(maxlen=recent)
        self.last_price = initial_price
        self.last_qty = Decimal(0)
        self._close_before: Decimal = initial_price  # last price of pruned buckets

    def add(self, t: Trade) -> None:
        """Record a trade (trades arrive in time order)."""
        start = t.time - t.time % MINUTE_MS
        if self.buckets and self.buckets[-1].start == start:
            self.buckets[-1].add(t)
        else:
            self.buckets.append(
                Bucket(
                    start,
                    t.price,
                    t.price,
                    t.price,
                    t.price,
                    t.qty,
                    t.quote_qty,
                    t.trade_id,
                    t.trade_id,
                    1,
                )
            )
        self.recent.append(t)
        self.last_price = t.price
        self.last_qty = t.qty
        self._prune(t.time)

    def _prune(self, now: int) -> None:
        horizon = now - DAY_MS - MINUTE_MS
        while self.buckets and self.buckets[0].start < horizon:
            self._close_before = self.buckets.popleft().close

    def stats(self, now: int, window_ms: int = DAY_MS) -> TickerStats:
        """Return the statistics of the trades in the minute-aligned window ending at ``now``."""
        self._prune(now)
        open_time = now - window_ms
        start = open_time - open_time % MINUTE_MS
        inside = [b for b in self.buckets if b.start >= start]
        before = [b for b in self.buckets if b.start < start]
        prev_close = before[-1].close if before else self._close_before
        if not inside:
            p = self.last_price
            return TickerStats(
                open_time,
                now,
                p,
                p,
                p,
                p,
                Decimal(0),
                prev_close,
                Decimal(0),
                Decimal(0),
                -1,
                -1,
                0,
            )
        return TickerStats(
            open_time=open_time,
            close_time=now,
            open=inside[0].open,
            high=max(b.high for b in inside),
            low=min(b.low for b in inside),
            last=self.last_price,
            last_qty=self.last_qty,
            prev_close=prev_close,
            volume=sum((b.volume for b in inside), Decimal(0)),
            quote_volume=sum((b.quote_volume for b in inside), Decimal(0)),
            first_id=inside[0].first_id,
            last_id=inside[-1].last_id,
            count=sum(b.count for b in inside),
        )
