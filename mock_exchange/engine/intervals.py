"""Kline intervals: their lengths, where each kline opens, and which klines a query returns."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime

__all__ = [
    "DAY_MS",
    "HOUR_MS",
    "INTERVAL_MS",
    "MINUTE_MS",
    "SECOND_MS",
    "interval_start",
    "kline_opens",
    "next_interval_start",
]

SECOND_MS = 1000
MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
WEEK_MS = 7 * DAY_MS
_MONDAY_OFFSET = 4 * DAY_MS  # 1970-01-01 was a Thursday; weeks start on Monday

INTERVAL_MS: dict[str, int] = {
    "1s": SECOND_MS,
    "1m": MINUTE_MS,
    "3m": 3 * MINUTE_MS,
    "5m": 5 * MINUTE_MS,
    "15m": 15 * MINUTE_MS,
    "30m": 30 * MINUTE_MS,
    "1h": HOUR_MS,
    "2h": 2 * HOUR_MS,
    "4h": 4 * HOUR_MS,
    "6h": 6 * HOUR_MS,
    "8h": 8 * HOUR_MS,
    "12h": 12 * HOUR_MS,
    "1d": DAY_MS,
    "3d": 3 * DAY_MS,
    "1w": WEEK_MS,
    "1M": 31 * DAY_MS,  # nominal; calendar months are computed exactly
}


def interval_start(t: int, interval: str, offset_ms: int = 0) -> int:
    """Return the open time of the ``interval`` kline containing ``t``.

    ``offset_ms`` shifts the boundaries (``+08:00`` klines use 8 h). Weeks start on Monday,
    months on the first day of the calendar month, other intervals on multiples of their
    length since the epoch.
    """
    local = t + offset_ms
    if interval == "1M":
        d = datetime.fromtimestamp(local / 1000, UTC)
        return calendar.timegm((d.year, d.month, 1, 0, 0, 0)) * 1000 - offset_ms
    if interval == "1w":
        return local - (local - _MONDAY_OFFSET) % WEEK_MS - offset_ms
    width = INTERVAL_MS[interval]
    return local - local % width - offset_ms


def next_interval_start(start: int, interval: str, offset_ms: int = 0) -> int:
    """Return the open time of the kline after the one opening at ``start``."""
    if interval == "1M":
        d = datetime.fromtimestamp((start + offset_ms) / 1000, UTC)
        year, month = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
        return calendar.timegm((year, month, 1, 0, 0, 0)) * 1000 - offset_ms
    return start + INTERVAL_MS[interval]


def kline_opens(
    interval: str,
    first: int,
    now: int,
    *,
    start_time: int | None,
    end_time: int | None,
    limit: int,
    offset_ms: int = 0,
) -> list[int]:
    """Return the open times a klines query answers, oldest first.

    ``first`` is the earliest open time with data. Without ``start_time`` the newest klines
    (ending with the open one) are returned, as Binance does; with it, the oldest from there.
    """
    last_open = interval_start(now if end_time is None else min(end_time, now), interval, offset_ms)
    opens: list[int] = []
    if start_time is not None:
        t = max(first, interval_start(start_time, interval, offset_ms))
        if t < start_time:
            t = next_interval_start(t, interval, offset_ms)
        while t <= last_open and len(opens) < limit:
            opens.append(t)
            t = next_interval_start(t, interval, offset_ms)
        return opens
    t = last_open
    while t >= first and len(opens) < limit:
        opens.append(t)
        t = interval_start(t - 1, interval, offset_ms)
    opens.reverse()
    return opens
