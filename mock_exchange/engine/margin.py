"""Margin reference data: borrow rates per asset, and scripted forced-liquidation records.

The emulator has no margin trading: it serves what clients read about margin (borrow rates,
margin pairs, an empty margin account, forced liquidations a script recorded) so that unmodified
clients load and query as against Binance. Daily interest rates are configurable per asset
(``ServerConfig.borrow_rates`` or the ``borrow_rate`` control action); the history of a rate is
its current value at each day's 00:00 UTC.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .types import AccountId

__all__ = ["DEFAULT_DAILY_RATES", "DEFAULT_RATE", "Margin"]

DAY_MS = 86_400_000
# daily interest rates (VIP 0) in the range Binance shows for these assets
DEFAULT_DAILY_RATES: dict[str, Decimal] = {
    "BTC": Decimal("0.00026125"),
    "ETH": Decimal("0.00023"),
    "BNB": Decimal("0.0003"),
    "USDT": Decimal("0.000475"),
    "USDC": Decimal("0.000425"),
}
DEFAULT_RATE = Decimal("0.0002")


@dataclass
class Margin:
    """Borrow rates by asset and each account's scripted forced liquidations."""

    daily: dict[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_DAILY_RATES))
    liquidations: dict[AccountId, list[dict[str, Any]]] = field(default_factory=dict)
    _order_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def rate(self, asset: str) -> Decimal:
        """Return ``asset``'s daily interest rate."""
        return self.daily.get(asset.upper(), DEFAULT_RATE)

    def set_rate(self, asset: str, daily: Decimal) -> None:
        """Set ``asset``'s daily interest rate (>= 0)."""
        if daily < 0:
            raise ValueError("a daily interest rate must be >= 0")
        self.daily[asset.upper()] = daily

    def history(self, asset: str, start: int, end: int) -> list[tuple[int, Decimal]]:
        """Return (day start, rate) for every day boundary in ``[start, end]``, newest first."""
        first = -(-start // DAY_MS) * DAY_MS
        days = range(first, end + 1, DAY_MS)
        return [(day, self.rate(asset)) for day in reversed(days)]

    def record_liquidation(self, owner: AccountId, record: dict[str, Any]) -> dict[str, Any]:
        """Remember a forced liquidation of ``owner`` (``forceLiquidationRec`` lists it);
        return it with its ``orderId``."""
        row = {"orderId": next(self._order_ids), **record}
        self.liquidations.setdefault(owner, []).append(row)
        return row
