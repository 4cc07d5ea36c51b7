"""Synthetic trade history before the emulator's start: minute summaries now, trades on demand.

Replaying a day of the background flow through the engine would take minutes, so the history
before the clock's start (:data:`HISTORY_MINUTES`, enough for ``klines?limit=1000`` on ``1m``
and the 24 h tickers) is built in two steps that agree exactly:

1. :class:`History` draws, in O(1) per minute, each minute's summary: open, high, low, close,
   taker-buy and taker-sell volume and quote volume (as integers of ticks and steps), trade and
   aggregate-trade counts and their first ids. The counts and sizes follow the live flow's
   (``rate * market.activity`` actions per second, :mod:`.activity`), so klines and tickers do
   not change character where the history meets the live tape; prices walk back from the
   market's initial price (or, for a perpetual, follow its index symbol's history times a
   mean-reverting basis).
2. :meth:`History.minute_trades` generates a minute's trades and aggregate trades on demand from
   the minute's own seed, constructed so that their sums are exactly the summary: free trades
   follow a price path through the open, high, low and close, and "balancing" aggregate trades
   near the middle of the range, at two adjacent ticks, carry the volume and quote volume that
   remain. Minutes with few trades are drawn freely and summarised from their trades.

Everything is integers until :meth:`History.bucket` and :meth:`History.minute_trades` convert
to the tape's exact decimals. Same seed, same start time, same rate: the same history.
"""

from __future__ import annotations

import math
import random
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from .fair import BASIS_MEAN, DAILY_VOLATILITY
from .liquidity import unit_qty
from .markets import Market
from .tape import MINUTE_MS, AggTrade, Bucket, Trade
from .types import derive_seed

__all__ = [
    "AGGS_PER_TRADE",
    "HISTORY_MINUTES",
    "TRADES_PER_ACTION",
    "History",
    "HistoryMinute",
]

HISTORY_MINUTES = 1500  # 25 h: klines?limit=1000 on 1m, and a full 24 h ticker window
TRADES_PER_ACTION = 0.6  # measured on the live flow (benchmarks/market.py)
AGGS_PER_TRADE = 0.93
_TRADES_PER_TAKER = 1.9
_SMALL = 24  # minutes with fewer aggregate trades are drawn freely
_MINUTE_VOL = DAILY_VOLATILITY * math.sqrt(MINUTE_MS / 86_400_000)
_CACHE = 8  # generated minutes kept
_MEAN_OVER_MEDIAN = math.exp(0.5)  # of the log-normal order sizes


@dataclass(frozen=True, slots=True)
class HistoryMinute:
    """The summary of one minute of history (prices in ticks, quantities in steps).

    ``end`` is the end of the span it covers (exclusive): a whole minute, except the last one,
    which ends where the live tape starts.
    """

    start: int
    end: int
    seed: int
    aggs: int
    trades: int
    first_trade_id: int
    first_agg_id: int
    open: int
    high: int
    low: int
    close: int
    buy_volume: int
    sell_volume: int
    buy_quote: int
    sell_quote: int
    basis: float  # perpetuals: the premium over the index this minute (0 on spot)


# One generated aggregate trade: (time, price in ticks, buyer is maker, fill quantities).
_Agg = tuple[int, int, bool, list[int]]
_Generated = tuple[list[Trade], list[AggTrade]]  # a minute's trades and aggregate trades
_T = TypeVar("_T", Trade, AggTrade)


def _trades(generated: _Generated) -> list[Trade]:
    return generated[0]


def _aggs(generated: _Generated) -> list[AggTrade]:
    return generated[1]


class History:
    """The synthetic history of one market, ending at ``end`` (the live tape's start)."""

    def __init__(
        self,
        market: Market,
        seed: int,
        end: int,
        rate: float,
        *,
        next_trade_id: int,
        next_agg_id: int,
        underlying: History | None = None,
        minutes: int = HISTORY_MINUTES,
    ) -> None:
        """Draw the minute summaries.

        Args:
            rate: the background rate (actions per second of a market with activity 1).
            next_trade_id, next_agg_id: the ids the live tape starts at; the history's ids run
                up to just below them, so it can be drawn after live trades happened.
            underlying: the index symbol's history a perpetual follows (None: its own walk).
        """
        self.market = market
        self.underlying = underlying
        self.tick = market.tick_size
        self.step = market.step_size
        self.end = end
        self._tick_f = float(self.tick)
        self._min_ticks = max(1, int(market.min_price / self.tick))
        self._step_f = float(self.step)
        rng = random.Random(derive_seed(seed, market.kind, market.symbol, "history"))
        last_start = end - end % MINUTE_MS
        if last_start == end:
            last_start -= MINUTE_MS
        starts = [last_start - i * MINUTE_MS for i in range(minutes - 1, -1, -1)]
        closes, bases = self._closes(rng, starts, underlying)
        trades_per_minute = max(0.0, rate * market.activity) * TRADES_PER_ACTION * 60
        drafts: list[HistoryMinute] = []
        prev_close = closes[0] * math.exp(_MINUTE_VOL * rng.gauss(0.0, 1.0))
        for start, close, basis in zip(starts, closes, bases, strict=True):
            span = min(end, start + MINUTE_MS) - start
            minute = self._minute(
                rng, start, start + span, prev_close, close, basis,
                trades_per_minute * span / MINUTE_MS,
            )  # fmt: skip
            prev_close = close
            if minute is not None:
                drafts.append(minute)
        trade_id = next_trade_id - sum(mi.trades for mi in drafts)
        agg_id = next_agg_id - sum(mi.aggs for mi in drafts)
        self.minutes: list[HistoryMinute] = []
        for mi in drafts:
            self.minutes.append(replace(mi, first_trade_id=trade_id, first_agg_id=agg_id))
            trade_id += mi.trades
            agg_id += mi.aggs
        self.next_trade_id = next_trade_id
        self.next_agg_id = next_agg_id
        self._cache: OrderedDict[int, tuple[list[Trade], list[AggTrade]]] = OrderedDict()

    # -- summaries ---------------------------------------------------------------------------

    def _closes(
        self, rng: random.Random, starts: list[int], underlying: History | None
    ) -> tuple[list[float], list[float]]:
        """Return each minute's close price and basis, oldest first, ending at the initial price."""
        n = len(starts)
        initial = float(self.market.initial_price)
        if underlying is None or not underlying.minutes:
            closes = [initial] * n
            for i in range(n - 2, -1, -1):
                closes[i] = closes[i + 1] * math.exp(-_MINUTE_VOL * rng.gauss(0.0, 1.0))
            return closes, [0.0] * n
        index = {mi.start: float(mi.close) * float(underlying.tick) for mi in underlying.minutes}
        ratio = initial / (float(underlying.market.initial_price) * (1 + BASIS_MEAN))
        bases = [BASIS_MEAN] * n
        for i in range(n - 2, -1, -1):
            bases[i] = BASIS_MEAN + 0.5 * (bases[i + 1] - BASIS_MEAN) + 0.00002 * rng.gauss(0, 1)
        level = float(underlying.market.initial_price)
        closes = []
        for start, basis in zip(starts, bases, strict=True):
            level = index.get(start, level)
            closes.append(level * ratio * (1 + basis))
        closes[-1] = initial
        return closes, bases

    def _ticks(self, price: float) -> int:
        return max(self._min_ticks, round(price / self._tick_f))

    def _minute(
        self,
        rng: random.Random,
        start: int,
        end: int,
        open_price: float,
        close_price: float,
        basis: float,
        mean_trades: float,
    ) -> HistoryMinute | None:
        """Draw one minute's summary (its ids are given afterwards, counting back)."""
        normal = rng.gauss
        mean_aggs = mean_trades * AGGS_PER_TRADE
        aggs = round(mean_aggs + math.sqrt(mean_aggs) * normal(0.0, 1.0)) if mean_aggs else 0
        if aggs <= 0:
            return None
        extra = max(0, round(aggs * (1 / AGGS_PER_TRADE - 1) * (1 + 0.2 * normal(0.0, 1.0))))
        trades = aggs + extra
        o, c = self._ticks(open_price), self._ticks(close_price)
        if aggs == 1:
            c = o  # one trade: it opens and closes the minute
        hi, lo = max(o, c), min(o, c)
        if aggs >= 4:
            wiggle = _MINUTE_VOL * 0.6 * c
            hi += round(abs(normal(0.0, 1.0)) * wiggle)
            lo = max(1, lo - round(abs(normal(0.0, 1.0)) * wiggle))
        volume = round(trades * self._unit_steps(c) * (1 + 0.25 * normal(0.0, 1.0)))
        volume = max(volume, 12 * trades + 24)
        lean = 0.1 if c > o else -0.1 if c < o else 0.0
        buy = round(volume * min(0.8, max(0.2, 0.5 + lean + 0.08 * normal(0.0, 1.0))))
        seed = rng.getrandbits(63)
        sell = volume - buy
        if aggs < _SMALL:
            args = (start, end, aggs, trades, o, c, lo, hi, self._unit_steps(c))
            generated = _free_aggs(random.Random(seed), *args)
            return _summarise(start, end, seed, generated, basis)
        buy_quote = buy * lo + buy * (hi - lo) * rng.randrange(375, 626) // 1000
        sell_quote = sell * lo + sell * (hi - lo) * rng.randrange(375, 626) // 1000
        return HistoryMinute(
            start, end, seed, aggs, trades, 0, 0, o, hi, lo, c,
            buy, sell, buy_quote, sell_quote, basis,
        )  # fmt: skip

    def _unit_steps(self, price_ticks: int) -> float:
        """Return the mean fill size in steps at a price (what the live flow's fills average)."""
        price = price_ticks * self._tick_f
        return unit_qty(self.market, price) * _MEAN_OVER_MEDIAN / _TRADES_PER_TAKER / self._step_f

    def bucket(self, mi: HistoryMinute) -> Bucket:
        """Return the tape bucket (exact decimals) of a history minute."""
        tick, step = self.tick, self.step
        return Bucket(
            mi.start,
            mi.open * tick,
            mi.high * tick,
            mi.low * tick,
            mi.close * tick,
            (mi.buy_volume + mi.sell_volume) * step,
            (mi.buy_quote + mi.sell_quote) * tick * step,
            mi.buy_volume * step,
            mi.buy_quote * tick * step,
            mi.first_trade_id,
            mi.first_trade_id + mi.trades - 1,
            mi.trades,
        )

    # -- trades on demand --------------------------------------------------------------------

    def minute_trades(self, mi: HistoryMinute) -> tuple[list[Trade], list[AggTrade]]:
        """Return the trades and aggregate trades of a history minute (sums: its summary)."""
        cached = self._cache.get(mi.start)
        if cached is not None:
            self._cache.move_to_end(mi.start)
            return cached
        rng = random.Random(mi.seed)
        if mi.aggs < _SMALL:
            unit = self._unit_steps(mi.close)
            args = (mi.start, mi.end, mi.aggs, mi.trades, mi.open, mi.close, mi.low, mi.high, unit)
            generated = _free_aggs(rng, *args)
        else:
            generated = _constrained_aggs(rng, mi)
        symbol, tick, step = self.market.symbol, self.tick, self.step
        trades: list[Trade] = []
        aggs: list[AggTrade] = []
        trade_id = mi.first_trade_id
        for i, (t, p, maker_buys, fills) in enumerate(generated):
            price = p * tick
            first = trade_id
            for q in fills:
                qty = q * step
                trades.append(Trade(symbol, trade_id, price, qty, qty * price, t, maker_buys, 0, 0))
                trade_id += 1
            total = sum(fills) * step
            aggs.append(
                AggTrade(symbol, mi.first_agg_id + i, price, total, first, trade_id - 1, t,
                         maker_buys, 0)
            )  # fmt: skip
        self._cache[mi.start] = (trades, aggs)
        while len(self._cache) > _CACHE:
            self._cache.popitem(last=False)
        return trades, aggs

    def minute_buckets(self) -> list[Bucket]:
        """Return every minute's bucket, oldest first."""
        return [self.bucket(mi) for mi in self.minutes]

    def trades_between(self, start: int, end: int, limit: int | None = None) -> list[Trade]:
        """Return the trades with ``start <= time < end`` (the first ``limit``)."""
        return self._forward(
            self.minute_index(start), _trades, lambda t: start <= t.time < end, end, limit
        )

    def aggs_between(self, start: int, end: int, limit: int | None = None) -> list[AggTrade]:
        """Return the aggregate trades with ``start <= time < end`` (the first ``limit``)."""
        return self._forward(
            self.minute_index(start), _aggs, lambda a: start <= a.time < end, end, limit
        )

    def trades_from_id(self, first: int, limit: int) -> list[Trade]:
        """Return up to ``limit`` trades from id ``first`` on."""
        index = self.minute_of_id(first, agg=False)
        return self._forward(index, _trades, lambda t: t.trade_id >= first, None, limit)

    def aggs_from_id(self, first: int, limit: int) -> list[AggTrade]:
        """Return up to ``limit`` aggregate trades from id ``first`` on."""
        index = self.minute_of_id(first, agg=True)
        return self._forward(index, _aggs, lambda a: a.agg_id >= first, None, limit)

    def last_minute(self) -> tuple[list[Trade], list[AggTrade]] | None:
        """Return the trades and aggregate trades of the last minute (None: no history)."""
        return self.minute_trades(self.minutes[-1]) if self.minutes else None

    def last_trades(self, before: int, count: int) -> list[Trade]:
        """Return the last ``count`` trades before ``before``."""
        return self._backward(before, count, _trades)

    def last_aggs(self, before: int, count: int) -> list[AggTrade]:
        """Return the last ``count`` aggregate trades before ``before``."""
        return self._backward(before, count, _aggs)

    def _forward(
        self,
        index: int,
        pick: Callable[[_Generated], list[_T]],
        keep: Callable[[_T], bool],
        end: int | None,
        limit: int | None,
    ) -> list[_T]:
        """Collect what ``keep`` accepts from minute ``index`` on, until ``end`` or ``limit``."""
        out: list[_T] = []
        for mi in self.minutes[index:]:
            if (end is not None and mi.start >= end) or (limit is not None and len(out) >= limit):
                break
            out += [x for x in pick(self.minute_trades(mi)) if keep(x)]
        return out if limit is None else out[:limit]

    def _backward(
        self, before: int, count: int, pick: Callable[[_Generated], list[_T]]
    ) -> list[_T]:
        """Collect the last ``count`` items before time ``before``, minute by minute back."""
        out: list[_T] = []
        i = min(self.minute_index(before), len(self.minutes) - 1)
        while i >= 0 and len(out) < count:
            out = [x for x in pick(self.minute_trades(self.minutes[i])) if x.time < before] + out
            i -= 1
        return out[-count:] if count else []

    def minute_index(self, t: int) -> int:
        """Return the index of the first minute ending after time ``t`` (len when none)."""
        lo, hi = 0, len(self.minutes)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.minutes[mid].end <= t:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def minute_of_id(self, value: int, *, agg: bool) -> int:
        """Return the index of the minute holding trade (or aggregate trade) id ``value``.

        Ids before the history give 0; ids after it give ``len(minutes)``.
        """
        lo, hi = 0, len(self.minutes)
        while lo < hi:
            mid = (lo + hi) // 2
            mi = self.minutes[mid]
            last = mi.first_agg_id + mi.aggs if agg else mi.first_trade_id + mi.trades
            if last <= value:
                lo = mid + 1
            else:
                hi = mid
        return lo


def _summarise(start: int, end: int, seed: int, aggs: list[_Agg], basis: float) -> HistoryMinute:
    prices = [p for _, p, _, _ in aggs]
    buy = sell = buy_quote = sell_quote = 0
    for _, p, maker_buys, fills in aggs:
        q = sum(fills)
        if maker_buys:
            sell += q
            sell_quote += q * p
        else:
            buy += q
            buy_quote += q * p
    trades = sum(len(f) for _, _, _, f in aggs)
    return HistoryMinute(
        start, end, seed, len(aggs), trades, 0, 0, prices[0], max(prices),
        min(prices), prices[-1], buy, sell, buy_quote, sell_quote, basis,
    )  # fmt: skip


def _times(rng: random.Random, start: int, end: int, n: int) -> list[int]:
    return sorted(rng.randrange(start, max(start + 1, end)) for _ in range(n))


def _fills(rng: random.Random, n_aggs: int, n_trades: int, single: set[int]) -> list[int]:
    counts = [1] * n_aggs
    open_slots = [i for i in range(n_aggs) if i not in single] or list(range(n_aggs))
    for _ in range(n_trades - n_aggs):
        counts[open_slots[rng.randrange(len(open_slots))]] += 1
    return counts


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """Split ``total`` into ``parts`` positive integers (``total >= parts``)."""
    if parts == 1:
        return [total]
    cuts = sorted(rng.sample(range(1, total), parts - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]


def _spread(rng: random.Random, total: int, counts: list[int]) -> list[int]:
    """Give each item at least its count, and ``total`` in all, in log-normal shares."""
    spare = total - sum(counts)
    weights = [c * math.exp(rng.gauss(0.0, 0.8)) for c in counts]
    scale = spare / sum(weights)
    out = [c + int(w * scale) for c, w in zip(counts, weights, strict=True)]
    out[-1] += total - sum(out)
    return out


def _free_aggs(
    rng: random.Random, start: int, end: int, n_aggs: int, n_trades: int, o: int, c: int,
    lo: int, hi: int, unit: float,
) -> list[_Agg]:  # fmt: skip
    """Draw a small minute freely: from ``o`` to ``c``, touching ``lo`` and ``hi``.

    The prices reach exactly ``lo`` and ``hi`` (the minute's drawn range), so the summary
    made from these trades reproduces the arguments they were drawn from.
    """
    times = _times(rng, start, end, n_aggs)
    counts = _fills(rng, n_aggs, n_trades, set())
    hi_at, lo_at = rng.sample(range(1, n_aggs - 1), 2) if n_aggs >= 4 else (-1, -1)
    out: list[_Agg] = []
    for i, t in enumerate(times):
        if i == 0:
            p = o
        elif i == n_aggs - 1:
            p = c
        elif i == hi_at:
            p = hi
        elif i == lo_at:
            p = lo
        else:
            p = rng.randint(lo, hi)
        fills = [max(1, round(unit * math.exp(rng.gauss(-0.5, 1.0)))) for _ in range(counts[i])]
        out.append((t, p, rng.random() < 0.5, fills))
    return out


def _constrained_aggs(rng: random.Random, mi: HistoryMinute) -> list[_Agg]:
    """Generate a minute whose sums are exactly its summary (see the module docstring)."""
    n = mi.aggs
    times = _times(rng, mi.start, mi.end, n)
    hi_at, lo_at = rng.sample(range(1, n - 1), 2)
    anchors = {0, n - 1, hi_at, lo_at}
    path = _path(rng, n, mi.open, mi.close, mi.low, mi.high)
    path[0], path[-1], path[hi_at], path[lo_at] = mi.open, mi.close, mi.high, mi.low
    inner = [i for i in range(n) if i not in anchors]
    rng.shuffle(inner)
    n_buy = min(
        len(inner) - 4, max(4, round(len(inner) * mi.buy_volume / (mi.buy_volume + mi.sell_volume)))
    )
    buyer = set(inner[:n_buy]) | {i for i in anchors if rng.random() < 0.5}
    mid2 = mi.low + mi.high  # twice the middle of the range
    balancing: dict[bool, list[int]] = {}
    for is_buy in (True, False):
        side = sorted(
            (i for i in inner if (i in buyer) == is_buy), key=lambda i: (abs(2 * path[i] - mid2), i)
        )
        balancing[is_buy] = side[: max(2, round(0.6 * len(side)))]
    single = {i for side in balancing.values() for i in side[:2]}
    counts = _fills(rng, n, mi.trades, single)
    qty = [0] * n
    for is_buy in (True, False):
        volume = mi.buy_volume if is_buy else mi.sell_volume
        quote = mi.buy_quote if is_buy else mi.sell_quote
        held = set(balancing[is_buy])
        free = [i for i in range(n) if (i in buyer) == is_buy and i not in held]
        free_total = max(sum(counts[i] for i in free), int(volume * rng.uniform(0.15, 0.3)))
        for i, q in zip(free, _spread(rng, free_total, [counts[i] for i in free]), strict=True):
            qty[i] = q
        rest = volume - free_total
        rest_quote = quote - sum(qty[i] * path[i] for i in free)
        b, k = divmod(rest_quote, rest)  # k units at b + 1, rest - k at b
        if not (mi.low <= b <= mi.high and (k == 0 or b < mi.high)):
            raise AssertionError(f"history minute {mi.start}: balance price {b} off range")
        group = balancing[is_buy]
        small, big = (k, rest - k) if k <= rest - k else (rest - k, k)
        small_at = b + 1 if small == k else b
        take = [group[0]]
        used = counts[group[0]]
        for i in group[2:]:
            if used + counts[i] > small // 2 or len(take) * 2 >= len(group):
                break
            take.append(i)
            used += counts[i]
        taken = set(take)
        others = [i for i in group if i not in taken]
        if small == 0:
            others, take = group, []
        for ids, amount, price in ((take, small, small_at), (others, big, 2 * b + 1 - small_at)):
            if not ids:
                continue
            for i, q in zip(ids, _spread(rng, amount, [counts[i] for i in ids]), strict=True):
                qty[i] = q
                path[i] = price
    return [(times[i], path[i], i not in buyer, _split(rng, qty[i], counts[i])) for i in range(n)]


def _path(rng: random.Random, n: int, o: int, c: int, lo: int, hi: int) -> list[int]:
    """Return a Brownian bridge from ``o`` to ``c`` in ``n`` points, clipped to ``[lo, hi]``."""
    scale = max(1.0, (hi - lo) / (2 * math.sqrt(n)))
    walk = [0.0]
    for _ in range(n - 1):
        walk.append(walk[-1] + scale * rng.gauss(0.0, 1.0))
    last = walk[-1]
    out = []
    for i, w in enumerate(walk):
        x = o + (c - o) * i / (n - 1) + w - last * i / (n - 1)
        out.append(min(hi, max(lo, round(x))))
    return out
