"""The shape of a liquid book: where resting orders sit and how large orders are.

Distances from the top of the book are drawn log-uniformly in ``distance + SPREAD_SOFTNESS``
ticks out to :data:`DEPTH_SPAN` of the price, so the levels near the top are dense (the best
few ticks each hold several orders) and thin out further away: a few hundred levels per side.
Order sizes are log-normal around a market's unit size (:func:`unit_qty`, about 1 500 USDT of
notional, or 20 contracts on COIN-M); takers draw from the same law, so a market order of normal
size fills one to a few makers and walks at most a few levels. The seeded opening book
(:func:`ladder`) is drawn from the same shape the background flow keeps up.
"""

from __future__ import annotations

import math
import random
from decimal import Decimal

from .book import RestingOrder
from .markets import Market
from .orders import OrderRecord
from .types import Side, derive_seed

__all__ = [
    "DEPTH_SPAN",
    "ORDERS_PER_SIDE",
    "distance",
    "ladder",
    "opening_orders",
    "order_qty",
    "span_ticks",
    "unit_qty",
]

DEPTH_SPAN = 0.005  # resting orders reach 0.5 % of the price from the top of the book
ORDERS_PER_SIDE = 500  # resting background orders per side the flow keeps up
SPREAD_SOFTNESS = 12  # ticks: how flat the density is near the top
_SIZE_SIGMA = 1.0  # log-normal spread of order sizes
_UNIT_NOTIONALS = 300  # a unit order is this many minimum notionals


def unit_qty(m: Market, price: float) -> float:
    """Return the median order size of ``m`` at ``price`` (base asset, or contracts)."""
    if m.kind == "coinm":
        return float(m.min_qty) * 20
    notional = float(m.min_notional) * _UNIT_NOTIONALS
    return max(notional / price, float(m.min_qty) * 10)


def span_ticks(m: Market, price: float) -> int:
    """Return how many ticks from the top the resting orders reach."""
    return max(50, int(price * DEPTH_SPAN / float(m.tick_size)))


def distance(rng: random.Random, span: int) -> int:
    """Draw a distance in ticks from the top of the book (0 = at the top)."""
    c = SPREAD_SOFTNESS
    return min(span, int(c * (math.exp(rng.random() * math.log1p(span / c)) - 1)))


def order_qty(rng: random.Random, m: Market, price: Decimal, scale: float = 1.0) -> Decimal:
    """Draw an order quantity at ``price``: log-normal, on the step, above the filters' minimums."""
    unit = unit_qty(m, float(price)) * scale
    qty = m.round_qty(Decimal(repr(unit * math.exp(rng.gauss(0.0, _SIZE_SIGMA)))))
    floor = m.min_qty
    if m.min_notional > 0 and price > 0:
        floor = max(floor, m.round_qty(m.min_notional / price) + m.step_size)
    return min(max(qty, floor), m.max_qty)


def ladder(
    m: Market, price: Decimal, rng: random.Random, per_side: int = ORDERS_PER_SIDE
) -> list[tuple[Side, Decimal, Decimal]]:
    """Return the opening book around ``price``: ``per_side`` orders a side, one-tick spread.

    The best bid is ``price`` rounded to the tick and the best ask one tick above it; each side
    gets an order at the top and ``per_side - 1`` more at drawn distances. Prices never cross.
    """
    tick = m.tick_size
    bid = max(m.round_price(price), m.min_price)
    ask = bid + tick
    span = span_ticks(m, float(price))
    out: list[tuple[Side, Decimal, Decimal]] = []
    sides: tuple[tuple[Side, Decimal, int], ...] = (("BUY", bid, -1), ("SELL", ask, 1))
    for side, top, sign in sides:
        for i in range(per_side):
            d = 0 if i == 0 else distance(rng, span)
            p = top + sign * d * tick
            if p < m.min_price or p > m.max_price:
                continue
            out.append((side, p, order_qty(rng, m, p)))
    return out


def opening_orders(
    m: Market, seed: int, first_id: int, now: int
) -> list[tuple[OrderRecord, RestingOrder]]:
    """Return the opening book of ``m`` as background order records and resting orders.

    Drawn from the symbol's own generator (so adding markets changes no other book); ids are
    ``first_id`` on.
    """
    rng = random.Random(derive_seed(seed, m.kind, m.symbol, "book"))
    out: list[tuple[OrderRecord, RestingOrder]] = []
    for i, (side, price, qty) in enumerate(ladder(m, m.initial_price, rng)):
        record = OrderRecord(
            first_id + i, m.symbol, side, "LIMIT", "GTC", price, qty, None, None, None, now,
            working_time=now,
        )  # fmt: skip
        out.append((record, RestingOrder(record.order_id, side, price, qty, None, now)))
    return out
