"""Seeded background order flow, one flow per symbol, trading around each symbol's fair price.

Each symbol has its own flow (:class:`_Flow`) with its own generator and its own rate
(``rate * market.activity`` actions per second of clock time, exponential gaps), so adding a
market never thins another one out, and the same seed gives every symbol the same tape. A flow
reads its symbol's latent fair price (:mod:`.fair`) and places real orders through the engine,
so every trade, depth change and ticker it causes is the engine's own:

- makers rest orders at drawn distances behind the best price on their side (:mod:`.liquidity`),
  never crossing; while the spread is wider than a tick most makers improve it;
- cancels keep about :data:`~.liquidity.ORDERS_PER_SIDE` orders a side, and pull stale quotes
  (a bid above the fair price, an ask below it) first;
- takers send market orders (some of them liquidations on futures) that lean towards the fair
  price, so the book follows it.

:meth:`Activity.run_until` performs every action due, in time order across symbols; with the same
seed and the same sequence of calls, the market is the same.
"""

from __future__ import annotations

import heapq
import math
import random
from decimal import Decimal

from ..errors import ExchangeError
from .book import Side
from .core import Engine, EngineEvent
from .fair import FairPath, PricePath
from .liquidity import ORDERS_PER_SIDE, distance, order_qty, span_ticks
from .markets import Market
from .types import derive_seed

__all__ = ["Activity"]

_MAX_ACTIONS_PER_CALL = 2000  # per flow: a large clock jump skips ahead, not replays hours
TAKER_SHARE = 0.3  # of actions: market orders
IMPROVE_SHARE = 0.9  # of maker orders while the spread is wider than a tick: at the inside
REQUOTE_SHARE = 0.5  # of cancels: pull a stale best quote when there is one
_CANCEL_SHARE = 0.3  # of maker actions at the target book size: cancels (rises steeply above)
_TAKER_SCALE = 1.0  # taker sizes relative to maker sizes
_LEAN = 0.00005  # relative distance of fair from mid that makes takers lean ~84/16


class _Flow:
    """The background flow of one symbol."""

    def __init__(
        self,
        engine: Engine,
        market: Market,
        path: FairPath,
        seed: int,
        liquidation_share: float,
        target: int,
    ) -> None:
        self.engine = engine
        self.market = market
        self.path = path
        self.rng = random.Random(seed)
        self.liquidation_share = liquidation_share
        self.target = target
        self.resting: dict[Side, list[int]] = {"BUY": [], "SELL": []}
        self.rate = 0.0
        self.next_at: int | None = None  # the clock millisecond of the next action
        self.due = 0.0  # its exact time: gaps shorter than 1 ms accumulate, never round up

    def schedule(self, after: float) -> None:
        """Draw the next action's time, an exponential gap after ``after`` (ms)."""
        self.due = after + self.rng.expovariate(self.rate) * 1000
        self.next_at = int(self.due)

    def act(self, t: int) -> list[EngineEvent]:
        m, rng = self.market, self.rng
        book = self.engine.book(m.symbol)
        fair = self.path.at(t)
        bid, ask = book.best_bid(), book.best_ask()
        try:
            if bid is None or ask is None:
                return self._make("BUY" if bid is None else "SELL", fair, bid, ask, t)
            mid = (float(bid[0]) + float(ask[0])) / 2
            if rng.random() < TAKER_SHARE:
                lean = math.tanh((fair - mid) / (mid * _LEAN))
                return self._take("BUY" if rng.random() < 0.5 + 0.45 * lean else "SELL", t)
            side: Side = "BUY" if rng.random() < 0.5 else "SELL"
            if ask[0] - bid[0] > m.tick_size and rng.random() < IMPROVE_SHARE:
                # a wide spread is closed from the side the fair price is on
                return self._make("BUY" if fair > mid else "SELL", fair, bid, ask, t)
            if rng.random() < _CANCEL_SHARE * (len(book.orders) / (2 * self.target)) ** 4:
                return self._cancel(side, fair, t)
            return self._make(side, fair, bid, ask, t)
        except ExchangeError:
            return []  # a filter said no: the flow just skips this action

    def _make(
        self,
        side: Side,
        fair: float,
        bid: tuple[Decimal, Decimal] | None,
        ask: tuple[Decimal, Decimal] | None,
        t: int,
    ) -> list[EngineEvent]:
        m, rng = self.market, self.rng
        tick = m.tick_size
        wide = bid is not None and ask is not None and ask[0] - bid[0] > tick
        d = 0 if wide and rng.random() < IMPROVE_SHARE else distance(rng, span_ticks(m, fair))
        base = m.round_price(Decimal(repr(fair)))
        if side == "BUY":
            top = base if ask is None else min(base, ask[0] - tick)
            price = top - d * tick
        else:
            top = base + tick if bid is None else max(base + tick, bid[0] + tick)
            price = top + d * tick
        if price < m.min_price or price > m.max_price:
            return []
        qty = order_qty(rng, m, price)
        result, events = self.engine.place_order(
            m.symbol, side, "LIMIT", quantity=qty, price=price, now=t
        )
        if result.status in ("NEW", "PARTIALLY_FILLED"):
            ids = self.resting[side]
            ids.append(result.order_id)
            if len(ids) > 2 * self.target:
                # ids of orders filled or cancelled elsewhere are otherwise dropped only when a
                # cancel draws them, which is rare while the book is below target: left alone
                # the list grew for as long as the emulator ran (issue 15's soak growth)
                book = self.engine.book(m.symbol)
                ids[:] = [i for i in ids if i in book.orders]
        return events

    def _cancel(self, side: Side, fair: float, t: int) -> list[EngineEvent]:
        book = self.engine.book(self.market.symbol)
        if self.rng.random() < REQUOTE_SHARE:
            best = book.best_bid() if side == "BUY" else book.best_ask()
            stale = best is not None and (
                float(best[0]) > fair if side == "BUY" else float(best[0]) < fair
            )
            if best is not None and stale:
                queue = book.side(side).queues[best[0]]
                mine = next((o for o in queue if o.owner is None), None)
                if mine is not None:
                    return self.engine.cancel_order(self.market.symbol, mine.order_id, now=t)[1]
        ids = self.resting[side]
        for _ in range(8):  # ids of filled orders are dropped as they are met
            if not ids:
                return []
            i = self.rng.randrange(len(ids))
            order_id = ids[i]
            ids[i] = ids[-1]
            ids.pop()
            if order_id in book.orders:
                return self.engine.cancel_order(self.market.symbol, order_id, now=t)[1]
        return []

    def _take(self, side: Side, t: int) -> list[EngineEvent]:
        m = self.market
        price = self.engine.last_price(m.symbol)
        qty = min(order_qty(self.rng, m, price, _TAKER_SCALE), m.market_max_qty)
        if self.liquidation_share > 0 and self.rng.random() < self.liquidation_share:
            return self.engine.liquidate(m.symbol, side, qty, now=t)[1]
        return self.engine.place_order(m.symbol, side, "MARKET", quantity=qty, now=t)[1]


class Activity:
    """Background market activity for every symbol of an engine, one flow per symbol."""

    def __init__(
        self,
        engine: Engine,
        rate: float,
        *,
        seed: int | None = None,
        paths: dict[str, FairPath] | None = None,
        max_resting: int = ORDERS_PER_SIDE,
        liquidation_share: float = 0.0,
    ) -> None:
        """Build the flows.

        Args:
            rate: actions per second of a market with ``activity`` 1 (0 = scripted market).
            seed: the flows' seed (default: the engine's).
            paths: fair prices by symbol (default: a random walk from the initial price).
            max_resting: resting background orders per side the flows keep up.
        """
        self.engine = engine
        base_seed = engine.seed if seed is None else seed
        now = engine.clock.now_ms()
        self.flows: dict[str, _Flow] = {}
        for symbol, m in sorted(engine.markets.items()):
            path = (paths or {}).get(symbol) or PricePath(
                derive_seed(base_seed, m.kind, symbol, "fair"), float(m.initial_price), now
            )
            seed_s = derive_seed(base_seed, m.kind, symbol, "flow")
            self.flows[symbol] = _Flow(engine, m, path, seed_s, liquidation_share, max_resting)
        self.rate = 0.0
        self.actions = 0
        self.set_rate(rate)

    @property
    def next_at(self) -> int | None:
        """The time of the next action of any flow (None when none is scheduled)."""
        times = [f.next_at for f in self.flows.values() if f.next_at is not None]
        return min(times) if times else None

    def set_rate(self, rate: float) -> None:
        """Change the rate (actions per second of a market with activity 1; 0 = scripted)."""
        self.rate = max(0.0, rate)
        for flow in self.flows.values():
            flow.rate = self.rate * max(0.0, flow.market.activity)
            flow.next_at = None

    def warm_up(self, start: int, end: int) -> list[EngineEvent]:
        """Play the flow from ``start`` to ``end`` (back-dated history before serving)."""
        if self.rate <= 0 or end <= start:
            return []
        for flow in self.flows.values():
            if flow.rate > 0:
                flow.schedule(start)
            else:
                flow.next_at = None
        return self.run_until(end)

    def run_until(self, now: int) -> list[EngineEvent]:
        """Perform every action due up to ``now``, in time order; return the events."""
        if self.rate <= 0:
            return []
        heap: list[tuple[float, str]] = []  # (exact time, symbol): time order across symbols
        for symbol, flow in self.flows.items():
            if flow.rate <= 0:
                continue
            if flow.next_at is None:
                flow.schedule(now)
            if flow.next_at is not None and flow.next_at <= now:
                heap.append((flow.due, symbol))
        heapq.heapify(heap)
        events: list[EngineEvent] = []
        done: dict[str, int] = {}
        while heap:
            due, symbol = heapq.heappop(heap)
            flow = self.flows[symbol]
            if done.get(symbol, 0) >= _MAX_ACTIONS_PER_CALL:
                flow.schedule(now)
                continue
            events.extend(flow.act(int(due)))
            self.actions += 1
            done[symbol] = done.get(symbol, 0) + 1
            flow.schedule(due)
            if flow.next_at is not None and flow.next_at <= now:
                heapq.heappush(heap, (flow.due, symbol))
        return events
