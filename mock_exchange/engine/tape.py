"""Trade tape: the trades of one symbol, aggregated into buckets, klines, agg trades and tickers.

Three bucket series (one second, one minute, one day wide) keep memory bounded on long runs
while every statistic stays an exact sum of the engine's trades: klines of ``1s`` come from the
second series (kept one hour), ``1m``..``1d`` from the minute series (kept a day and a minute),
``3d``/``1w``/``1M`` from the day series (kept 400 days). History older than a series keeps is
not reported, rather than invented. A synthetic history from before the start
(:mod:`.history`) may precede the live trades (:meth:`Tape.set_past`).
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from .intervals import (
    DAY_MS,
    HOUR_MS,
    INTERVAL_MS,
    MINUTE_MS,
    SECOND_MS,
    interval_start,
    kline_opens,
    next_interval_start,
)
from .trades import AggTrade, Bucket, Kline, TickerStats, Trade

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = [
    "DAY_MS",
    "INTERVAL_MS",
    "MINUTE_MS",
    "AggTrade",
    "Bucket",
    "Kline",
    "PastTrades",
    "Tape",
    "TickerStats",
    "Trade",
    "interval_start",
    "next_interval_start",
]

_KEPT_AGGS = 20_000  # live aggregate trades kept for aggTrades queries


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

    def add_bucket(self, b: Bucket, *, copy: bool) -> None:
        """Add a finished bucket of history (as wide as the series' or narrower: merged).

        With ``copy`` the series never holds ``b`` itself (it may merge into what it holds).
        """
        start = b.start - b.start % self.width
        if self.buckets and self.buckets[-1].start == start:
            self.buckets[-1].merge(b)
        elif start == b.start and not copy:
            self.buckets.append(b)
        else:
            self.buckets.append(replace(b, start=start))

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


class PastTrades(Protocol):
    """Trades before the live tape (a synthetic history), read by the tape's queries.

    Everything it returns is in time order and ends before ``end``, where the live tape starts.
    """

    end: int

    def minute_buckets(self) -> Sequence[Bucket]:
        """Return one bucket per minute that has trades, oldest first."""
        ...

    def trades_between(self, start: int, end: int, limit: int | None = None) -> list[Trade]:
        """Return trades with ``start <= time < end`` (the first ``limit``)."""
        ...

    def aggs_between(self, start: int, end: int, limit: int | None = None) -> list[AggTrade]:
        """Return aggregate trades with ``start <= time < end`` (the first ``limit``)."""
        ...

    def last_trades(self, before: int, count: int) -> list[Trade]:
        """Return the last ``count`` trades before ``before``."""
        ...

    def last_minute(self) -> tuple[list[Trade], list[AggTrade]] | None:
        """Return the trades and aggregate trades of the last minute with trades (None: none)."""
        ...

    def last_aggs(self, before: int, count: int) -> list[AggTrade]:
        """Return the last ``count`` aggregate trades before ``before``."""
        ...

    def trades_from_id(self, first: int, limit: int) -> list[Trade]:
        """Return up to ``limit`` trades from id ``first`` on."""
        ...

    def aggs_from_id(self, first: int, limit: int) -> list[AggTrade]:
        """Return up to ``limit`` aggregate trades from id ``first`` on."""
        ...


class Tape:
    """The trades of one symbol: bucket series, the last trades and the last agg trades.

    A tape may have a :class:`PastTrades` history (:meth:`set_past`, drawn on first use): its
    minute buckets join the minute and day series, its last trades the recent ones, and the
    queries (:meth:`agg_trades`, :meth:`trades_from`) read it where the live tape has nothing.
    """

    def __init__(
        self,
        initial_price: Decimal,
        recent: int = 1000,
        origin: int | None = None,
        agg_base: int = 0,
    ) -> None:
        self.recent: deque[Trade] = deque(maxlen=recent)
        self.aggs: deque[AggTrade] = deque(maxlen=_KEPT_AGGS)
        self.past: PastTrades | None = None
        self._past_loader: Callable[[], PastTrades] | None = None
        self.last_price = initial_price
        self.last_qty = Decimal(0)
        self.last_time: int | None = None
        self.origin = origin  # earliest time the tape covers (None: from the first trade)
        self._next_agg = agg_base
        self.seconds = _Series(SECOND_MS, HOUR_MS, initial_price)
        self.minutes = _Series(MINUTE_MS, DAY_MS + MINUTE_MS, initial_price)
        self.days = _Series(DAY_MS, 400 * DAY_MS, initial_price)

    @property
    def next_agg_id(self) -> int:
        """The id the next aggregate trade will get."""
        return self._next_agg

    @property
    def buckets(self) -> deque[Bucket]:
        """The minute buckets (what the tickers are computed from)."""
        self._ensure_past()
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

    def set_past(self, loader: Callable[[], PastTrades]) -> None:
        """Give the tape a history, built by ``loader`` when a query first needs it.

        The history ends where the live tape starts and its ids run up to just below the live
        ids, so it can join the tape after live trades happened: its minute and day buckets go
        before (and merge into) the live ones, its last minute's trades before the recent ones.
        """
        self._past_loader = loader

    def _ensure_past(self) -> None:
        loader = self._past_loader
        if loader is None:
            return
        self._past_loader = None
        past = self.past = loader()
        minutes = list(past.minute_buckets())
        for series in (self.minutes, self.days):
            live = list(series.buckets)
            series.buckets.clear()
            for b in minutes:
                series.add_bucket(b, copy=series is self.days)
            for b in live:
                series.add_bucket(b, copy=False)
        if minutes:
            self.origin = min(minutes[0].start, self.origin or minutes[0].start)
        last = past.last_minute()
        if last is not None:
            trades, aggs = last
            self.recent = deque([*trades, *self.recent], maxlen=self.recent.maxlen)
            self.aggs = deque([*aggs, *self.aggs], maxlen=self.aggs.maxlen)
            if self.last_time is None:
                t = trades[-1]
                self.last_price, self.last_qty, self.last_time = t.price, t.qty, t.time

    def recent_trades(self) -> list[Trade]:
        """Return the most recent trades (up to 1 000), oldest first."""
        self._ensure_past()
        return list(self.recent)

    def agg_trades(
        self,
        now: int,
        *,
        from_id: int | None = None,
        start: int | None = None,
        end: int | None = None,
        limit: int = 500,
    ) -> list[AggTrade]:
        """Return aggregate trades as ``aggTrades`` does, oldest first.

        ``from_id``: from that id on; ``start`` (and ``end``): the oldest from ``start``;
        ``end`` alone: the newest up to ``end``; nothing: the newest. Times are inclusive.
        """
        self._ensure_past()
        live = list(self.aggs)
        past = self.past
        if from_id is not None:
            out: list[AggTrade] = []
            first_live = live[0].agg_id if live else self._next_agg
            if past is not None and from_id < first_live:
                out = past.aggs_from_id(from_id, limit)
            newest = out[-1].agg_id if out else from_id - 1
            out += [a for a in live if a.agg_id > newest and a.agg_id >= from_id]
            return out[:limit]
        if start is not None:
            hi = now if end is None else end
            out = []
            if past is not None and start < past.end:
                out = past.aggs_between(start, min(hi + 1, past.end), limit)
            out += [a for a in live if start <= a.time <= hi]
            return out[:limit]
        hi = now if end is None else end
        out = [a for a in live if a.time <= hi][-limit:]
        if len(out) < limit and past is not None:
            older = past.last_aggs(min(hi + 1, past.end), limit)
            if out:
                older = [a for a in older if a.agg_id < out[0].agg_id]
            out = older[len(older) - (limit - len(out)) :] + out
        return out

    def trades_from(self, from_id: int | None, limit: int) -> list[Trade]:
        """Return trades from id ``from_id`` on (the newest without it), oldest first."""
        self._ensure_past()
        live = list(self.recent)
        past = self.past
        if from_id is None:
            out = live[-limit:]
            if len(out) < limit and past is not None:
                older = past.last_trades(past.end, limit)
                if out:
                    older = [t for t in older if t.trade_id < out[0].trade_id]
                out = older[len(older) - (limit - len(out)) :] + out
            return out
        out = []
        first_live = live[0].trade_id if live else None
        if past is not None and (first_live is None or from_id < first_live):
            out = past.trades_from_id(from_id, limit)
        newest = out[-1].trade_id if out else from_id - 1
        out += [t for t in live if t.trade_id > newest and t.trade_id >= from_id]
        return out[:limit]

    def vwap(self, since: int, now: int) -> Decimal | None:
        """Return the volume-weighted price of the trades after ``since`` (None: no trade)."""
        self._ensure_past()
        self._prune(now)
        past_end = self.past.end if self.past is not None else 0
        fine = since >= max(past_end, self.seconds.pruned_until or 0)
        series = self.seconds if fine else self.minutes
        inside = [b for b in series.buckets if b.start >= since - since % series.width]
        volume = sum((b.volume for b in inside), Decimal(0))
        if not volume:
            return None
        return sum((b.quote_volume for b in inside), Decimal(0)) / volume

    def _prune(self, now: int) -> None:
        for series in (self.seconds, self.minutes, self.days):
            series.prune(now)

    def stats(
        self,
        now: int,
        window_ms: int = DAY_MS,
        *,
        start: int | None = None,
        aligned: bool = False,
    ) -> TickerStats:
        """Return the statistics of the trades in the window ending at ``now``.

        The window is ``window_ms`` back from ``now`` (or from ``start``), widened to a whole
        minute; ``aligned`` (or a ``start``) reports that minute as the open time, as
        rolling-window tickers do, otherwise the open time is ``now - window_ms``.
        """
        self._ensure_past()
        self._prune(now)
        open_time = now - window_ms if start is None else start
        first = open_time - open_time % MINUTE_MS
        if aligned or start is not None:
            open_time = first
        inside = [b for b in self.minutes.buckets if b.start >= first]
        prev_close = self.minutes.close_before_time(first)
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
        self._ensure_past()
        series = self._series_for(interval)
        end = next_interval_start(start, interval, offset_ms)
        inside = series.between(start, end)
        if series is self.seconds and self.past is not None and start < self.past.end:
            inside = _bucket_of(start, self.past.trades_between(start, min(end, self.past.end)))
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
        self._ensure_past()
        self._prune(now)
        series = self._series_for(interval)
        known_from = self.origin if self.origin is not None else now
        if series.pruned_until is not None:
            known_from = max(known_from, series.pruned_until)
        if series is self.seconds and self.past is not None:
            known_from = max(now - HOUR_MS, self.origin or now)
        first = interval_start(max(known_from, 0), interval, offset_ms)
        if series.pruned_until is not None and first < series.pruned_until:
            first = next_interval_start(first, interval, offset_ms)
        opens = kline_opens(
            interval,
            first,
            now,
            start_time=start_time,
            end_time=end_time,
            limit=limit,
            offset_ms=offset_ms,
        )
        return [self.kline(interval, o, offset_ms) for o in opens]


def _bucket_of(start: int, trades: list[Trade]) -> list[Bucket]:
    """Return the trades as one bucket (none when there are none)."""
    if not trades:
        return []
    b = Bucket.of(start, trades[0])
    for t in trades[1:]:
        b.add(t)
    return [b]
