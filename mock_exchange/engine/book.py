"""An exact-decimal limit order book with price-time priority.

Bids and asks are price levels holding FIFO queues of resting orders. The book knows nothing
about update ids or events: :mod:`mock_exchange.engine.core` wraps every change it makes.
"""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal

from .types import AccountId, Side

__all__ = ["Book", "RestingOrder", "Side"]


@dataclass
class RestingOrder:
    """An order on the book: its remaining quantity changes as it fills."""

    order_id: int
    side: Side
    price: Decimal
    remaining: Decimal
    owner: AccountId | None  # None: background activity
    time: int


@dataclass
class _Levels:
    """One side of the book: sorted prices, FIFO queue and total per price."""

    prices: list[Decimal] = field(default_factory=list)  # ascending
    queues: dict[Decimal, deque[RestingOrder]] = field(default_factory=dict)
    totals: dict[Decimal, Decimal] = field(default_factory=dict)

    def add(self, order: RestingOrder) -> Decimal:
        if order.price not in self.queues:
            bisect.insort(self.prices, order.price)
            self.queues[order.price] = deque()
            self.totals[order.price] = Decimal(0)
        self.queues[order.price].append(order)
        self.totals[order.price] += order.remaining
        return self.totals[order.price]

    def reduce(self, price: Decimal, qty: Decimal) -> Decimal:
        """Lower the level total by ``qty``; drop the level when it empties; return the total."""
        total = self.totals[price] - qty
        if total <= 0 or not self.queues[price]:
            self._drop(price)
            return Decimal(0)
        self.totals[price] = total
        return total

    def _drop(self, price: Decimal) -> None:
        del self.queues[price]
        del self.totals[price]
        i = bisect.bisect_left(self.prices, price)
        del self.prices[i]


class Book:
    """A two-sided book for one symbol."""

    def __init__(self) -> None:
        self.bids = _Levels()
        self.asks = _Levels()
        self.orders: dict[int, RestingOrder] = {}

    def side(self, side: Side) -> _Levels:
        """Return the levels of ``side``."""
        return self.bids if side == "BUY" else self.asks

    def best_bid(self) -> tuple[Decimal, Decimal] | None:
        """Return (price, total quantity) of the best bid, or None."""
        if not self.bids.prices:
            return None
        p = self.bids.prices[-1]
        return p, self.bids.totals[p]

    def best_ask(self) -> tuple[Decimal, Decimal] | None:
        """Return (price, total quantity) of the best ask, or None."""
        if not self.asks.prices:
            return None
        p = self.asks.prices[0]
        return p, self.asks.totals[p]

    def add(self, order: RestingOrder) -> Decimal:
        """Rest ``order`` at the back of its level; return the new level total."""
        self.orders[order.order_id] = order
        return self.side(order.side).add(order)

    def remove(self, order_id: int) -> RestingOrder | None:
        """Take a resting order off the book; return it, or None if it is not resting."""
        order = self.orders.pop(order_id, None)
        if order is None:
            return None
        levels = self.side(order.side)
        levels.queues[order.price].remove(order)
        levels.reduce(order.price, order.remaining)
        return order

    def levels(self, side: Side, limit: int | None = None) -> list[tuple[Decimal, Decimal]]:
        """Return up to ``limit`` (price, total) pairs, best first."""
        lv = self.side(side)
        prices = reversed(lv.prices) if side == "BUY" else iter(lv.prices)
        out: list[tuple[Decimal, Decimal]] = []
        for p in prices:
            if limit is not None and len(out) >= limit:
                break
            out.append((p, lv.totals[p]))
        return out

    def level_total(self, side: Side, price: Decimal) -> Decimal:
        """Return the total resting quantity at ``price`` on ``side`` (0 if none)."""
        return self.side(side).totals.get(price, Decimal(0))
