"""The clock driver: one task that runs the emulator at every tick of its clock.

Running, it wakes every 100 ms of clock time (and at the next background action); frozen, it
sleeps until the clock is advanced. Each wake runs :meth:`Emulator.step
<mock_exchange.emulator.Emulator.step>` for the time that passed, so periodic streams, funding,
activity and connection rules all follow the emulator clock, never the wall clock.
"""

from __future__ import annotations

import asyncio
import contextlib

from .emulator import Emulator

__all__ = ["TICK_MS", "ClockDriver"]

TICK_MS = 100


class ClockDriver:
    """Drive ``emulator`` from its clock in a task this driver owns."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the driver task."""
        self._task = asyncio.create_task(self._drive(), name="mock_exchange.driver")

    async def stop(self) -> None:
        """Cancel the driver task and wait for it."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _sleep_until(self, due: int) -> None:
        emu = self.emulator
        while (now := emu.clock.now_ms()) < due:
            emu.wake.clear()
            timeout = None if emu.clock.frozen else (due - now) / 1000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(emu.wake.wait(), timeout)
            if emu.wake.is_set():
                return

    def _next_activity(self) -> int | None:
        times = [a.next_at for a in self.emulator.activities.values() if a.next_at is not None]
        return min(times) if times else None

    async def _drive(self) -> None:
        emu = self.emulator
        now = emu.clock.now_ms()
        for activity in emu.activities.values():
            activity.run_until(now)
        prev = now
        while True:
            due = prev // TICK_MS * TICK_MS + TICK_MS
            nxt = self._next_activity()
            if nxt is not None:
                due = min(due, nxt)
            await self._sleep_until(due)
            now = emu.clock.now_ms()
            if now <= prev:
                continue
            emu.step(now, prev)
            prev = now
