"""Minute bars of a sampled price (mark, index, premium index), and the klines built from them.

Binance's mark, index and premium index klines are bars of samples, not of trades: the count
field is the number of samples (60 a minute for mark and index prices, 12 for the premium
index). :class:`PriceBars` keeps one bar per minute for a day and a minute, as the trade tape
keeps its minute buckets, and aggregates them into any interval.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from decimal import Decimal

from .intervals import DAY_MS, MINUTE_MS, interval_start, kline_opens, next_interval_start

__all__ = ["PriceBar", "PriceBars"]


@dataclass
class PriceBar:
    """Open, high, low and close of the samples in ``[start, end)``, and their count."""

    start: int
    end: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    count: int

    def add(self, value: Decimal) -> None:
        """Take one more sample."""
        self.high = max(self.high, value)
        self.low = min(self.low, value)
        self.close = value
        self.count += 1


class PriceBars:
    """Minute bars of one sampled price, kept a day and a minute."""

    def __init__(self) -> None:
        self.bars: deque[PriceBar] = deque()

    def add(self, t: int, value: Decimal) -> None:
        """Record the sample ``value`` taken at ``t`` (samples arrive in time order)."""
        start = t - t % MINUTE_MS
        if self.bars and self.bars[-1].start == start:
            self.bars[-1].add(value)
        else:
            self.bars.append(PriceBar(start, start + MINUTE_MS, value, value, value, value, 1))
            while self.bars[0].start < start - DAY_MS - MINUTE_MS:
                self.bars.popleft()

    def prepend(self, bars: list[PriceBar]) -> None:
        """Put minute bars from before the samples (the history) in front of them.

        A history bar and a sampled bar of the same minute become one bar.
        """
        live = list(self.bars)
        merged = list(bars)
        if merged and live and merged[-1].start == live[0].start:
            first, last = merged.pop(), live.pop(0)
            merged.append(
                PriceBar(
                    first.start,
                    first.end,
                    first.open,
                    max(first.high, last.high),
                    min(first.low, last.low),
                    last.close,
                    first.count + last.count,
                )
            )
        self.bars = deque(merged + live)

    def klines(
        self,
        interval: str,
        now: int,
        *,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int = 500,
    ) -> list[PriceBar]:
        """Return up to ``limit`` bars of ``interval``, oldest first (``1s`` is not served)."""
        if not self.bars:
            return []
        first = interval_start(self.bars[0].start, interval)
        if first < self.bars[0].start:
            first = next_interval_start(first, interval)
        opens = kline_opens(
            interval, first, now, start_time=start_time, end_time=end_time, limit=limit
        )
        return [self._bar(interval, o) for o in opens]

    def _bar(self, interval: str, start: int) -> PriceBar:
        end = next_interval_start(start, interval)
        inside = [b for b in self.bars if start <= b.start < end]
        if not inside:
            before = [b for b in self.bars if b.start < start]
            p = before[-1].close if before else self.bars[0].open
            return PriceBar(start, end, p, p, p, p, 0)
        return PriceBar(
            start,
            end,
            inside[0].open,
            max(b.high for b in inside),
            min(b.low for b in inside),
            inside[-1].close,
            sum(b.count for b in inside),
        )
