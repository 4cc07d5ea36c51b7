"""Binance's clock as seen from ours: the offset signed requests add to local time.

A signed request carries ``timestamp``, and Binance refuses it (``-1021``) when that is 1 s
ahead of its clock or older than ``recvWindow``. :class:`ServerClock` measures the offset once,
before the first signed request (one ``GET /api/v3/time`` round trip, its midpoint taken as
the moment the server read its clock), and again whenever a request comes back with ``-1021``,
so a skewed local clock still signs valid timestamps. Concurrent ``-1021``\\ s share one
measurement (:attr:`ServerClock.generation` tells a caller whether someone re-measured since
it signed).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from .protocol.signing import estimate_offset

__all__ = ["ServerClock"]

FetchServerTime = Callable[[], Awaitable[int]]
"""Return Binance's ``serverTime`` (epoch ms), e.g. from ``GET /api/v3/time``."""


class ServerClock:
    """The offset between Binance's clock and the local one (see the module doc).

    Args:
        clock: local epoch seconds (injected in tests).
        adjust: measure the offset; False signs with the local clock as is.

    Attributes:
        offset_ms: ``server - local`` in ms (0 until measured).
        generation: how many measurements were taken.
    """

    def __init__(self, clock: Callable[[], float] = time.time, *, adjust: bool = True) -> None:
        self.clock = clock
        self.adjust = adjust
        self.offset_ms = 0
        self.generation = 0
        self._lock = asyncio.Lock()

    def now_ms(self) -> int:
        """Binance's time now, by the last measured offset."""
        return int(self.clock() * 1000) + self.offset_ms

    async def ensure(self, fetch: FetchServerTime) -> None:
        """Measure the offset unless it was measured (or adjusting is off)."""
        if self.adjust and self.generation == 0:
            await self.remeasure(fetch, 0)

    async def remeasure(self, fetch: FetchServerTime, seen: int) -> None:
        """Measure again, unless another caller did since generation ``seen``.

        Raises:
            What ``fetch`` raises (the offset is then unchanged).
        """
        if not self.adjust:
            return
        async with self._lock:
            if self.generation != seen:
                return  # someone measured while we waited
            sent = self.clock() * 1000
            server = await fetch()
            received = self.clock() * 1000
            self.offset_ms = estimate_offset(sent, server, received)
            self.generation += 1
