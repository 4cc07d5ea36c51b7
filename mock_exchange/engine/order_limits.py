"""The unfilled order count (``ORDERS`` rate limit) of one account, on fixed calendar windows.

Binance counts new orders per account in every ``ORDERS`` interval (spot: 10 seconds and
1 day, as ``exchangeInfo`` publishes them). A new order adds one to each interval's count; the
first fill of an order (as taker or maker) takes one off again, so orders that trade do not use
up the limit; canceled and expired orders change nothing. When an interval is full the next
order is refused with HTTP 429 ``-1015``. Windows start on whole intervals of the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import ExchangeError

__all__ = ["SPOT_ORDER_LIMITS", "OrderCounter", "OrderLimit"]

_UNIT_MS = {"SECOND": 1000, "MINUTE": 60_000, "HOUR": 3_600_000, "DAY": 86_400_000}
_LETTER = {"SECOND": "S", "MINUTE": "M", "HOUR": "H", "DAY": "D"}


@dataclass(frozen=True)
class OrderLimit:
    """One ``ORDERS`` interval: ``limit`` unfilled orders per ``interval_num`` ``interval``."""

    interval: str
    interval_num: int
    limit: int

    @property
    def window_ms(self) -> int:
        """The interval's length in ms."""
        return _UNIT_MS[self.interval] * self.interval_num

    @property
    def header(self) -> str:
        """The REST response header carrying this interval's count."""
        return f"X-MBX-ORDER-COUNT-{self.interval_num}{_LETTER[self.interval]}"

    @classmethod
    def from_rate_limit(cls, row: dict[str, Any]) -> OrderLimit:
        """Build from an ``exchangeInfo.rateLimits`` row of type ``ORDERS``."""
        return cls(str(row["interval"]), int(row["intervalNum"]), int(row["limit"]))


SPOT_ORDER_LIMITS: tuple[OrderLimit, ...] = (
    OrderLimit("SECOND", 10, 100),
    OrderLimit("DAY", 1, 200_000),
)


@dataclass
class OrderCounter:
    """The unfilled order counts of one account for each interval."""

    limits: tuple[OrderLimit, ...] = SPOT_ORDER_LIMITS
    _counts: dict[OrderLimit, tuple[int, int]] = field(default_factory=dict)

    def count(self, limit: OrderLimit, now: int) -> int:
        """Return the count of ``limit``'s current window."""
        window, count = self._counts.get(limit, (-1, 0))
        return count if window == now // limit.window_ms else 0

    def check(self, now: int) -> None:
        """Refuse a new order when an interval is full.

        Raises:
            ExchangeError: HTTP 429 -1015 naming the full interval.
        """
        for limit in self.limits:
            if self.count(limit, now) >= limit.limit:
                raise ExchangeError(
                    -1015,
                    f"Too many new orders; current limit is {limit.limit} orders per "
                    f"{limit.interval_num} {limit.interval}.",
                    429,
                )

    def _move(self, now: int, delta: int) -> None:
        for limit in self.limits:
            self._counts[limit] = (
                now // limit.window_ms,
                max(0, self.count(limit, now) + delta),
            )

    def placed(self, now: int) -> None:
        """Count one new order."""
        self._move(now, 1)

    def first_fill(self, now: int) -> None:
        """An order traded for the first time: one less unfilled order."""
        self._move(now, -1)

    def withdraw(self, now: int) -> None:
        """Take back the count of an order the engine refused after it was counted."""
        self._move(now, -1)

    def rate_limits(self, now: int) -> list[dict[str, Any]]:
        """Return the ``ORDERS`` rows of ``rateLimits`` / ``GET /api/v3/rateLimit/order``."""
        return [
            {
                "rateLimitType": "ORDERS",
                "interval": limit.interval,
                "intervalNum": limit.interval_num,
                "limit": limit.limit,
                "count": self.count(limit, now),
            }
            for limit in self.limits
        ]

    def headers(self, now: int) -> dict[str, str]:
        """Return the ``X-MBX-ORDER-COUNT-*`` headers of a successful order response."""
        return {limit.header: str(self.count(limit, now)) for limit in self.limits}
