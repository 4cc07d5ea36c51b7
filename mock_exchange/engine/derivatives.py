"""Futures prices derived from the engines: index, mark, premium and funding rate.

The index of a perpetual is the last price of its spot index symbol (``BTCUSDT`` for both
USD-M ``BTCUSDT`` and COIN-M ``BTCUSD_PERP``), or the contract's own last price when no spot
market backs it. The mark price is the median of the index, the contract's mid price and its
last price (Binance uses a median of three index-based estimates). The funding rate follows
Binance's formula: premium index ``P = (mark - index) / index``, interest ``I = 0.01 %`` per
8 h, rate ``P + clamp(I - P, -0.05 %, 0.05 %)``. Funding is settled every 8 h (00, 08, 16 UTC).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal

from .core import Engine

__all__ = ["FUNDING_INTERVAL_MS", "FundingHistory", "MarkPrice", "mark_price", "next_funding_time"]

FUNDING_INTERVAL_MS = 8 * 3_600_000
INTEREST_RATE = Decimal("0.0001")
_CLAMP = Decimal("0.0005")


@dataclass(frozen=True)
class MarkPrice:
    """Mark, index and funding state of one perpetual at one time."""

    symbol: str
    mark: Decimal
    index: Decimal
    settle: Decimal
    funding_rate: Decimal
    next_funding_time: int
    time: int


def next_funding_time(now: int) -> int:
    """Return the next funding settlement time after ``now``."""
    return (now // FUNDING_INTERVAL_MS + 1) * FUNDING_INTERVAL_MS


def mark_price(futures: Engine, symbol: str, index: Decimal | None, now: int) -> MarkPrice:
    """Compute the mark state of ``symbol`` on the ``futures`` engine at ``now``.

    Args:
        index: the index price (the spot price); None uses the contract's last price.
    """
    m = futures.market(symbol)
    last = futures.last_price(symbol)
    idx = last if index is None else index
    book = futures.book(symbol)
    bid, ask = book.best_bid(), book.best_ask()
    mid = (bid[0] + ask[0]) / 2 if bid and ask else last
    mark = sorted((idx, mid, last))[1]
    mark = m.round_price(mark)
    premium = (mark - idx) / idx if idx else Decimal(0)
    rate = premium + min(max(INTEREST_RATE - premium, -_CLAMP), _CLAMP)
    return MarkPrice(symbol, mark, idx, idx, rate, next_funding_time(now), now)


@dataclass
class FundingHistory:
    """Settled funding rates per symbol (what ``GET /fapi/v1/fundingRate`` lists)."""

    limit: int = 1000
    settled: dict[str, deque[MarkPrice]] = field(default_factory=dict)
    last_settlement: int | None = None

    def settle_due(self, now: int, marks: dict[str, MarkPrice]) -> bool:
        """Record one settlement per symbol if a funding time passed since the last call.

        Returns True when a settlement was recorded.
        """
        boundary = now // FUNDING_INTERVAL_MS * FUNDING_INTERVAL_MS
        if self.last_settlement is None:
            self.last_settlement = boundary
            return False
        if boundary <= self.last_settlement:
            return False
        self.last_settlement = boundary
        for symbol, mp in marks.items():
            rows = self.settled.setdefault(symbol, deque(maxlen=self.limit))
            rows.append(
                MarkPrice(symbol, mp.mark, mp.index, mp.settle, mp.funding_rate, boundary, boundary)
            )
        return True

    def rows(self, symbol: str | None) -> list[MarkPrice]:
        """Return settlements (one symbol or all), oldest first."""
        if symbol is not None:
            return list(self.settled.get(symbol, ()))
        return sorted((r for rows in self.settled.values() for r in rows), key=lambda r: r.time)
