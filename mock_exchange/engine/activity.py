"""Seeded background order flow: a random walk of fair prices driving makers and takers.

The flow places real orders through the engine, so every trade, depth change and ticker it
causes is the engine's own. Action times are drawn from an exponential distribution at
``rate`` actions per second of clock time; with the same seed and the same sequence of
:meth:`Activity.run_until` calls, the market is the same.
"""

from __future__ import annotations

import math
import random
from decimal import Decimal

from ..errors import ExchangeError
from .book import Side
from .core import Engine, EngineEvent

__all__ = ["Activity"]

_MAX_ACTIONS_PER_CALL = 2000  # a large clock jump skips ahead instead of replaying hours


class Activity:
    """Background market activity for every symbol of an engine."""

    def __init__(
        self,
        engine: Engine,
        rate: float,
        *,
        seed: int | None = None,
        max_resting: int = 60,
        liquidation_share: float = 0.0,
    ) -> None:
        self.engine = engine
        self.rng = random.Random(engine.seed if seed is None else seed)
        self.rate = max(0.0, rate)
        self.max_resting = max_resting
        self.liquidation_share = liquidation_share
        self.fair: dict[str, float] = {s: float(m.initial_price) for s, m in engine.markets.items()}
        self.next_at: int | None = None
        self.actions = 0

    def set_rate(self, rate: float) -> None:
        """Change the rate (actions per second, 0 = fully scripted market)."""
        self.rate = max(0.0, rate)
        self.next_at = None

    def warm_up(self, start: int, end: int) -> list[EngineEvent]:
        """Play the flow from ``start`` to ``end`` (back-dated history before serving)."""
        if self.rate <= 0 or end <= start:
            return []
        self.next_at = start
        return self.run_until(end)

    def _gap_ms(self) -> int:
        return max(1, int(self.rng.expovariate(self.rate) * 1000))

    def run_until(self, now: int) -> list[EngineEvent]:
        """Perform every action due up to ``now`` and return the events they caused."""
        if self.rate <= 0:
            return []
        if self.next_at is None:
            self.next_at = now + self._gap_ms()
        events: list[EngineEvent] = []
        done = 0
        while self.next_at <= now:
            if done >= _MAX_ACTIONS_PER_CALL:
                self.next_at = now + self._gap_ms()
                break
            events.extend(self._act(self.next_at))
            self.next_at += self._gap_ms()
            done += 1
        return events

    def _act(self, t: int) -> list[EngineEvent]:
        if not self.engine.markets:
            return []
        symbols = sorted(self.engine.markets)
        symbol = symbols[self.rng.randrange(len(symbols))]
        m = self.engine.markets[symbol]
        fair = self.fair[symbol] * math.exp(self.rng.gauss(0.0, 0.0004))
        self.fair[symbol] = fair
        self.actions += 1
        book = self.engine.book(symbol)
        side: Side = "BUY" if self.rng.random() < 0.5 else "SELL"
        events: list[EngineEvent] = []
        try:
            if self.rng.random() < 0.55 or not book.levels("SELL" if side == "BUY" else "BUY", 1):
                # maker: join the book a little away from fair
                resting = [o for o in book.orders.values() if o.side == side]
                if len(resting) >= self.max_resting:
                    far = (
                        min(resting, key=lambda o: o.price)
                        if side == "BUY"
                        else max(resting, key=lambda o: o.price)
                    )
                    _, ev = self.engine.cancel_order(symbol, far.order_id, now=t)
                    events.extend(ev)
                off = self.rng.uniform(0.0001, 0.003)
                raw = fair * (1 - off) if side == "BUY" else fair * (1 + off)
                price = m.round_price(Decimal(repr(raw)))
                if price < m.min_price:
                    return events
                notional = max(m.min_notional, m.min_qty * price) * Decimal(self.rng.randint(2, 60))
                qty = m.round_qty(notional / price) + m.step_size
                _, ev = self.engine.place_order(
                    symbol,
                    side,
                    "LIMIT",
                    quantity=qty,
                    price=price,
                    now=t,
                )
            else:
                price = self.engine.last_price(symbol)
                notional = max(m.min_notional, m.min_qty * price) * Decimal(self.rng.randint(2, 20))
                qty = min(m.round_qty(notional / price) + m.step_size, m.market_max_qty)
                if self.liquidation_share > 0 and self.rng.random() < self.liquidation_share:
                    _, ev = self.engine.liquidate(symbol, side, qty, now=t)
                    events.extend(ev)
                    return events
                _, ev = self.engine.place_order(
                    symbol,
                    side,
                    "MARKET",
                    quantity=qty,
                    now=t,
                )
            events.extend(ev)
        except ExchangeError:
            pass  # a filter said no: the flow just skips this action
        return events
