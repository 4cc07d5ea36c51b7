"""Trade tape: the trades of one symbol, aggregated into buckets, klines, agg trades and tickers.

Three bucket series (one second, one minute, one day wide) keep memory bounded on long runs
while every statistic stays an exact sum of the engine's trades: klines of ``1s`` come from the
second series (kept one hour), ``1m``..``1d`` from the minute series (kept a day and a minute),
``3d``/``1w``/``1M`` from the day series (kept 400 days). History older than a series keeps is
not reported, rather than invented.
"""

from __future__ import annotations

import calendar
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from .types import AccountId

__all__ = [
    "DAY_MS",
    "INTERVAL_MS",
    "MINUTE_MS",
    "AggTrade",
    "Bucket",
    "Kline",
    "Tape",
    "TickerStats",
    "Trade",
    "interval_start",
    "next_interval_start",
]

SECOND_MS = 1000
MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
WEEK_MS = 7 * DAY_MS
_MONDAY_OFFSET = 4 * DAY_MS  # 1970-01-01 was a Thursday; weeks start on Monday

INTERVAL_MS: dict[str, int] = {
    "1s": SECOND_MS,
    "1m": MINUTE_MS,
    "3m": 3 * MINUTE_MS,
    "5m": 5 * MINUTE_MS,
    "15m": 15 * MINUTE_MS,
    "30m": 30 * MINUTE_MS,
    "1h": HOUR_MS,
    "2h": 2 * HOUR_MS,
    "4h": 4 * HOUR_MS,
    "6h": 6 * HOUR_MS,
    "8h": 8 * HOUR_MS,
    "12h": 12 * HOUR_MS,
    "1d": DAY_MS,
    "3d": 3 * DAY_MS,
    "1w": WEEK_MS,
    "1M": 31 * DAY_MS,  # nominal; calendar months are computed exactly
}


def interval_start(t: int, interval: str, offset_ms: int = 0) -> int:
    """Return the open time of the ``interval`` kline containing ``t``.

    ``offset_ms`` shifts the boundaries (``+08:00`` klines use 8 h). Weeks start on Monday,
    months on the first day of the calendar month, other intervals on multiples of their
    length since the epoch.
    """
    local = t + offset_ms
    if interval == "1M":
        d = datetime.fromtimestamp(local / 1000, UTC)
        return calendar.timegm((d.year, d.month, 1, 0, 0, 0)) * 1000 - offset_ms
    if interval == "1w":
        return local - (local - _MONDAY_OFFSET) % WEEK_MS - offset_ms
    width = INTERVAL_MS[interval]
    return local - local % width - offset_ms


def next_interval_start(start: int, interval: str, offset_ms: int = 0) -> int:
    """Return the open time of the kline after the one opening at ``start``."""
    if interval == "1M":
        d = datetime.fromtimestamp((start + offset_ms) / 1000, UTC)
        year, month = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
        return calendar.timegm((year, month, 1, 0, 0, 0)) * 1000 - offset_ms
    return start + INTERVAL_MS[interval]


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
    maker_owner: AccountId | None = None
    taker_owner: AccountId | None = None

    @property
    def owner(self) -> AccountId | None:
        """The public trade belongs to nobody; each side's account is named above."""
        return None


@dataclass
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


@dataclass
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


class _Series:
    """Buckets of one width, dropped once older than ``retention`` ms."""

    def __init__(self, width: int, retention: int, initial_price: Decimal) -> None:
        self.width = width
        self.retention = retention
        self.buckets: deque[Bucket] = deque()
        self.close_before = initial_price  # close of the last pruned bucket
        self.pruned_until: int | None = None  # no bucket before this time is known

    def add(self, t: Trade, start: int) -> None:
        if self.buckets and self.buckets[-1].start == start:
            self.buckets[-1].add(t)
        else:
            self.buckets.append(Bucket.of(start, t))

    def prune(self, now: int) -> None:
        horizon = now - self.retention
        while self.buckets and self.buckets[0].start < horizon:
            self.close_before = self.buckets.popleft().close
            self.pruned_until = horizon

    def between(self, start: int, end: int) -> list[Bucket]:
        return [b for b in self.buckets if start <= b.start < end]

    def close_before_time(self, t: int) -> Decimal:
        before = [b for b in self.buckets if b.start < t]
        return before[-1].close if before else self.close_before


class Tape:
    """The trades of one symbol: bucket series, the last trades and the last agg trades."""

    def __init__(
        self, initial_price: Decimal, recent: int = 1000, origin: int | None = None
    ) -> None:
        self.recent: deque[Trade] = deque(maxlen=recent)
        self.aggs: deque[AggTrade] = deque(maxlen=recent)
        self.last_price = initial_price
        self.last_qty = Decimal(0)
        self.last_time: int | None = None
        self.origin = origin  # earliest time the tape covers (None: from the first trade)
        self._next_agg = 0
        self.seconds = _Series(SECOND_MS, HOUR_MS, initial_price)
        self.minutes = _Series(MINUTE_MS, DAY_MS + MINUTE_MS, initial_price)
        self.days = _Series(DAY_MS, 400 * DAY_MS, initial_price)

    @property
    def buckets(self) -> deque[Bucket]:
        """The minute buckets (what the tickers are computed from)."""
        return self.minutes.buckets

    def add(self, t: Trade) -> AggTrade:
        """Record a trade (trades arrive in time order); return the agg trade it belongs to."""
        for series in (self.seconds, self.minutes, self.days):
            series.add(t, t.time - t.time % series.width)
        self.recent.append(t)
        self.last_price = t.price
        self.last_qty = t.qty
        self.last_time = t.time
        if self.origin is None or t.time < self.origin:
            self.origin = t.time
        last = self.aggs[-1] if self.aggs else None
        if (
            last is not None
            and last.taker_order_id == t.taker_order_id
            and last.price == t.price
            and last.time == t.time
        ):
            last.qty += t.qty
            last.last_trade_id = t.trade_id
            agg = last
        else:
            agg = AggTrade(
                t.symbol,
                self._next_agg,
                t.price,
                t.qty,
                t.trade_id,
                t.trade_id,
                t.time,
                t.buyer_is_maker,
                t.taker_order_id,
            )
            self._next_agg += 1
            self.aggs.append(agg)
        self._prune(t.time)
        return agg

    def _prune(self, now: int) -> None:
        for series in (self.seconds, self.minutes, self.days):
            series.prune(now)

    def stats(self, now: int, window_ms: int = DAY_MS) -> TickerStats:
        """Return the statistics of the trades in the minute-aligned window ending at ``now``."""
        self._prune(now)
        open_time = now - window_ms
        start = open_time - open_time % MINUTE_MS
        inside = [b for b in self.minutes.buckets if b.start >= start]
        prev_close = self.minutes.close_before_time(start)
        if not inside:
            p = self.last_price
            zero = Decimal(0)
            return TickerStats(open_time, now, p, p, p, p, zero, prev_close, zero, zero, -1, -1, 0)
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

    def _series_for(self, interval: str) -> _Series:
        if interval == "1s":
            return self.seconds
        if interval in ("3d", "1w", "1M"):
            return self.days
        return self.minutes

    def kline(self, interval: str, start: int, offset_ms: int = 0) -> Kline:
        """Return the ``interval`` kline opening at ``start`` (no trades: flat at last close)."""
        series = self._series_for(interval)
        end = next_interval_start(start, interval, offset_ms)
        inside = series.between(start, end)
        if not inside:
            p = series.close_before_time(start)
            if self.last_time is not None and self.last_time < start:
                p = self.last_price
            zero = Decimal(0)
            return Kline(start, end - 1, p, p, p, p, zero, zero, zero, zero, -1, -1, 0)
        return Kline(
            open_time=start,
            close_time=end - 1,
            open=inside[0].open,
            high=max(b.high for b in inside),
            low=min(b.low for b in inside),
            close=inside[-1].close,
            volume=sum((b.volume for b in inside), Decimal(0)),
            quote_volume=sum((b.quote_volume for b in inside), Decimal(0)),
            taker_buy_volume=sum((b.taker_buy_volume for b in inside), Decimal(0)),
            taker_buy_quote=sum((b.taker_buy_quote for b in inside), Decimal(0)),
            first_id=inside[0].first_id,
            last_id=inside[-1].last_id,
            count=sum(b.count for b in inside),
        )

    def klines(
        self,
        interval: str,
        now: int,
        *,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int = 500,
        offset_ms: int = 0,
    ) -> list[Kline]:
        """Return up to ``limit`` klines, oldest first, within the history the tape keeps.

        Without ``start_time`` the newest klines (ending with the open one) are returned, as
        Binance does; a ``start_time`` after ``now`` finds none.
        """
        if start_time is not None and start_time > now:
            return []
        self._prune(now)
        series = self._series_for(interval)
        known_from = self.origin if self.origin is not None else now
        if series.pruned_until is not None:
            known_from = max(known_from, series.pruned_until)
        first = interval_start(max(known_from, 0), interval, offset_ms)
        if series.pruned_until is not None and first < series.pruned_until:
            first = next_interval_start(first, interval, offset_ms)
        last_open = interval_start(
            now if end_time is None else min(end_time, now), interval, offset_ms
        )
        if start_time is not None:
            begin = max(first, interval_start(start_time, interval, offset_ms))
            if begin < start_time:
                begin = next_interval_start(begin, interval, offset_ms)
            opens: list[int] = []
            t = begin
            while t <= last_open and len(opens) < limit:
                opens.append(t)
                t = next_interval_start(t, interval, offset_ms)
        else:
            opens = []
            t = last_open
            while t >= first and len(opens) < limit:
                opens.append(t)
                t = interval_start(t - 1, interval, offset_ms)
            opens.reverse()
        return [self.kline(interval, o, offset_ms) for o in opens]
