"""The clock driver: one task that runs the emulator at every tick of its clock.

Running, it wakes every 100 ms of clock time (and at the next background action); frozen, it
sleeps until the clock is advanced. Each wake runs :meth:`Emulator.step
<mock_exchange.emulator.Emulator.step>` for the time that passed, so periodic streams, funding,
activity and connection rules all follow the emulator clock, never the wall clock. A reset
that restarts the clock (even backwards) makes the driver start over from the new time.

A tick that fails is logged (the first time that failure is seen, with its traceback; a
failure repeated tick after tick is logged once, and its end is logged too) and the driver
goes on with the next tick: one bad input must not stop the clock for every connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from .emulator import Emulator

__all__ = ["TICK_MS", "ClockDriver"]

TICK_MS = 100
log = logging.getLogger("mock_exchange")


class ClockDriver:
    """Drive ``emulator`` from its clock in a task this driver owns."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self._task: asyncio.Task[None] | None = None
        self._failure: str | None = None  # the last tick's failure, logged once
        self._repeats = 0

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

    def _run_step(self, now: int, prev: int) -> None:
        """Run one tick; log a failure instead of letting it end the driver."""
        emu = self.emulator
        try:
            if prev == now:  # starting: schedule the activity from now (history is warmed up)
                for activity in emu.activities.values():
                    activity.run_until(now)
            else:
                emu.step(now, prev)
        except Exception as exc:  # any failure: the next tick must still run
            text = f"{type(exc).__name__}: {exc}"
            if isinstance(exc, BaseExceptionGroup):
                text = "; ".join(f"{type(e).__name__}: {e}" for e in exc.exceptions)
            if text == self._failure:
                self._repeats += 1
                return
            self._failure, self._repeats = text, 0
            log.error("clock tick %d -> %d failed: %s", prev, now, text, exc_info=exc)
            return
        if self._failure is not None:
            log.warning(
                "clock ticks work again after %d repeats of: %s", self._repeats, self._failure
            )
            self._failure, self._repeats = None, 0

    async def _drive(self) -> None:
        emu = self.emulator
        now = emu.clock.now_ms()
        self._run_step(now, now)
        prev, restarts = now, emu.clock_restarts
        while True:
            due = prev // TICK_MS * TICK_MS + TICK_MS
            nxt = self._next_activity()
            if nxt is not None:
                due = min(due, nxt)
            await self._sleep_until(due)
            now = emu.clock.now_ms()
            if emu.clock_restarts != restarts:  # a reset restarted the clock: start over there
                self._run_step(now, now)
                prev, restarts = now, emu.clock_restarts
                continue
            if now <= prev:
                continue
            self._run_step(now, prev)
            prev = now
