"""Clocks for the engine: the wall clock, and a virtual clock that moves only when told to."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

__all__ = ["MAX_TIME_MS", "Clock", "ControlledClock", "SystemClock", "VirtualClock", "check_time"]

# 9999-12-31T23:59:59.999Z: the last instant a calendar (datetime) can name. Past it, monthly
# klines and dates cannot be computed, so the emulator's clock never goes there.
MAX_TIME_MS = 253_402_300_799_999


def check_time(now_ms: int) -> int:
    """Return ``now_ms`` when it is a time the emulator can represent (0..year 9999).

    Raises:
        ValueError: before the epoch or after :data:`MAX_TIME_MS`.
    """
    if not 0 <= now_ms <= MAX_TIME_MS:
        raise ValueError(f"the clock stays between 0 and {MAX_TIME_MS} (year 9999), not {now_ms}")
    return now_ms


class Clock(Protocol):
    """What the engine needs from time: the current Unix time in milliseconds."""

    def now_ms(self) -> int: ...


class SystemClock:
    """The wall clock, optionally shifted by a fixed offset (to emulate server time skew)."""

    def __init__(self, offset_ms: int = 0) -> None:
        self.offset_ms = offset_ms

    def now_ms(self) -> int:
        """Return wall-clock Unix time in ms plus the offset."""
        return int(time.time() * 1000) + self.offset_ms


class VirtualClock:
    """A clock that only moves through :meth:`advance` or :meth:`set`.

    Listeners are called synchronously after every move, so a server can wake the tasks that
    wait for a point in virtual time.
    """

    def __init__(self, start_ms: int = 1_767_225_600_000) -> None:  # 2026-01-01T00:00:00Z
        self._now = start_ms
        self._listeners: list[Callable[[int], None]] = []

    def now_ms(self) -> int:
        """Return the virtual time in ms."""
        return self._now

    def advance(self, ms: int) -> int:
        """Move the clock forward by ``ms`` (>= 0) and return the new time."""
        if ms < 0:
            raise ValueError("a virtual clock never moves backwards")
        return self.set(self._now + ms)

    def set(self, now_ms: int) -> int:
        """Move the clock to ``now_ms`` (not before the current time) and notify listeners."""
        if now_ms < self._now:
            raise ValueError("a virtual clock never moves backwards")
        self._now = now_ms
        for listener in list(self._listeners):
            listener(now_ms)
        return now_ms

    def add_listener(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(now_ms)`` after every move."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[int], None]) -> None:
        """Stop calling ``listener``; unknown listeners are ignored."""
        if listener in self._listeners:
            self._listeners.remove(listener)


class ControlledClock:
    """The emulator's clock: wall time that can be frozen, advanced and resumed.

    Running, it reads the wall clock plus an offset; frozen, it is a virtual clock that only
    :meth:`advance` moves. :meth:`advance` works in both modes (running, it grows the
    offset), and time never goes backwards, so listeners see a monotonic clock.
    """

    def __init__(self, *, frozen: bool = False, start_ms: int | None = None) -> None:
        self._offset = 0
        self._frozen_at: int | None = None
        self._listeners: list[Callable[[int], None]] = []
        wall = self._wall()  # read once: two reads may straddle a millisecond
        if start_ms is not None:
            self._offset = check_time(start_ms) - wall
        if frozen:
            self._frozen_at = wall + self._offset

    @staticmethod
    def _wall() -> int:
        return int(time.time() * 1000)

    @property
    def frozen(self) -> bool:
        """True while the clock only moves by :meth:`advance`."""
        return self._frozen_at is not None

    def now_ms(self) -> int:
        """Return the emulator's current time in ms."""
        if self._frozen_at is not None:
            return self._frozen_at
        return self._wall() + self._offset

    def freeze(self) -> int:
        """Stop the clock at the current time; return it."""
        if self._frozen_at is None:
            self._frozen_at = self.now_ms()
        return self._frozen_at

    def resume(self) -> int:
        """Let the clock run again from where it stands (never backwards); return now."""
        if self._frozen_at is not None:
            self._offset = self._frozen_at - self._wall()
            self._frozen_at = None
        return self.now_ms()

    def advance(self, ms: int) -> int:
        """Move the clock forward by ``ms`` (>= 0), notify listeners, return the new time.

        Raises:
            ValueError: ``ms`` is negative or would take the clock past :data:`MAX_TIME_MS`;
                the clock does not move.
        """
        if ms < 0:
            raise ValueError("the clock never moves backwards")
        check_time(self.now_ms() + ms)
        if self._frozen_at is not None:
            self._frozen_at += ms
        else:
            self._offset += ms
        now = self.now_ms()
        for listener in list(self._listeners):
            listener(now)
        return now

    def restart(self, *, frozen: bool = False, start_ms: int | None = None) -> int:
        """Start the clock again at ``start_ms`` (default: the wall clock), frozen or running.

        The one move that may go backwards (a reset that restores a scenario's clock);
        listeners are notified and the new time is returned.

        Raises:
            ValueError: ``start_ms`` outside 0..:data:`MAX_TIME_MS`; the clock does not move.
        """
        wall = self._wall()
        offset = 0 if start_ms is None else check_time(start_ms) - wall
        self._offset = offset
        self._frozen_at = wall + offset if frozen else None
        now = self.now_ms()
        for listener in list(self._listeners):
            listener(now)
        return now

    def add_listener(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(now_ms)`` after every :meth:`advance`."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[int], None]) -> None:
        """Stop calling ``listener``; unknown listeners are ignored."""
        if listener in self._listeners:
            self._listeners.remove(listener)
