"""The liquidation price of a position: the mark at which its margin meets its maintenance.

Binance publishes a closed formula per mode; the emulator solves the same condition it uses to
liquidate (:mod:`.risk`) by bisection, so the price it reports is exactly where it would
liquidate: for a cross position, ``cross wallet + unrealised PnL (all cross positions) =
maintenance margin (all cross positions)`` with the other positions held at their marks; for
an isolated one, ``isolated wallet + its unrealised PnL = its maintenance margin``. A position
that no price can liquidate (fully collateralised) reports 0.
"""

from __future__ import annotations

from decimal import Decimal

from .brackets import Brackets
from .positions import Position

__all__ = ["liquidation_price"]

_ZERO = Decimal(0)
_STEPS = 90


def liquidation_price(
    pos: Position, collateral: Decimal, others: Decimal, brackets: Brackets
) -> Decimal:
    """Return the liquidation price of ``pos`` (0 when there is none).

    Args:
        collateral: the wallet backing it (cross wallet, or the isolated wallet).
        others: the other cross positions' unrealised PnL minus their maintenance margin.
    """
    if pos.amount == 0 or pos.entry == 0:
        return _ZERO

    def surplus(price: Decimal) -> Decimal:
        maint = brackets.maint_margin(pos.notional(price))
        return collateral + others + pos.unrealized(price) - maint

    long = pos.amount > 0
    if long:
        lo, hi = pos.entry / 10**9, pos.entry
        if surplus(lo) > 0:
            return _ZERO
        if surplus(hi) <= 0:
            return hi
    else:
        lo, hi = pos.entry, pos.entry * 10**6
        if surplus(hi) > 0:
            return _ZERO
        if surplus(lo) <= 0:
            return lo
    for _ in range(_STEPS):
        mid = (lo + hi) / 2
        below = surplus(mid) <= 0
        if long:
            lo, hi = (mid, hi) if below else (lo, mid)
        else:
            lo, hi = (lo, mid) if below else (mid, hi)
    return (lo + hi) / 2
