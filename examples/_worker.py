"""A supervised owner of the latest value of a stream: the shape of the kit's workers.

:class:`Supervised` consumes an async iterator (``stream_ticker``, later ``stream_orders``) in a
task it owns, keeps the latest value, and when the stream fails it records the error, runs a
``reset`` hook (close the connection so the next attempt dials afresh), waits a jittered,
growing backoff and opens the stream again. ``stop()`` cancels the task, waits for it, runs the
``close`` hook (close the connection) and leaves the last error readable. A non-retryable error
(refused credentials, an unknown symbol) ends supervision in the ``failed`` state instead of
retrying forever.

``ticker_worker.py`` wraps it around ``stream_ticker``; the order-event worker will wrap the
same class around ``stream_orders`` with an authenticated session (``ws_auth`` reused, with
``newUpdates``), so only the stream factory and the hooks differ.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Generic, Literal, TypeVar

from client.protocol.backoff import backoff, is_retryable, least_delay

__all__ = ["State", "StreamEnded", "Supervised"]

log = logging.getLogger("examples.worker")

T = TypeVar("T")

State = Literal["idle", "running", "backing_off", "failed", "stopped"]


class StreamEnded(Exception):
    """The stream finished without an error (a stream of updates should not): restart it."""


class Supervised(Generic[T]):
    """Own the latest value of a stream consumed in a supervised task.

    Args:
        name: for logs and the task name.
        open_stream: return a new async iterator of values (called for every attempt).
        on_value: called with each value after it became :attr:`latest`.
        reset: awaited after a failure, before the backoff (e.g. close the connection).
        close: awaited by :meth:`stop` after the task ended (e.g. close the connection).
        retryable: whether an error is worth another attempt (default: the client's rule,
            with a stream that ended counting as retryable).
        backoff_initial / backoff_cap: seconds of the first and the longest wait.
        rng: the jitter's random source (seed it for reproducible waits).
    """

    def __init__(
        self,
        name: str,
        open_stream: Callable[[], AsyncIterator[T]],
        *,
        on_value: Callable[[T], None] | None = None,
        reset: Callable[[BaseException], Awaitable[None]] | None = None,
        close: Callable[[], Awaitable[None]] | None = None,
        retryable: Callable[[BaseException], bool] | None = None,
        backoff_initial: float = 0.5,
        backoff_cap: float = 30.0,
        rng: random.Random | None = None,
    ) -> None:
        self.name = name
        self._open = open_stream
        self._on_value = on_value
        self._reset = reset
        self._close = close
        self._retryable = retryable or (lambda e: isinstance(e, StreamEnded) or is_retryable(e))
        self._backoff = (backoff_initial, backoff_cap)
        self._rng = rng
        self.state: State = "idle"
        self.latest: T | None = None
        self.updates = 0
        self.attempts = 0
        self.restarts = 0
        self.last_error: BaseException | None = None
        self.last_delay = 0.0
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    def __repr__(self) -> str:
        err = type(self.last_error).__name__ if self.last_error else None
        return (
            f"<Supervised {self.name} {self.state} updates={self.updates} "
            f"restarts={self.restarts} last_error={err}>"
        )

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start consuming (once; a stopped owner cannot be restarted)."""
        if self.state != "idle":
            raise RuntimeError(f"{self.name}: already started")
        self._set_state("running")
        self._task = asyncio.create_task(self._supervise(), name=f"supervised {self.name}")

    async def stop(self) -> None:
        """Cancel the task, wait for it, run ``close``; the last error stays readable."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._close is not None:
            try:
                await self._close()
            except Exception as exc:  # closing must not hide what happened before
                log.warning("%s: close failed: %s", self.name, exc)
        if self.state != "failed":
            self._set_state("stopped")

    async def __aenter__(self) -> Supervised[T]:
        self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def done(self) -> bool:
        """Return True once supervision ended (stopped, or failed for good)."""
        return self.state in ("failed", "stopped")

    async def wait_until(
        self, predicate: Callable[[Supervised[T]], bool], timeout: float | None = None
    ) -> None:
        """Wait until ``predicate(self)`` holds, re-checked at every value and state change.

        Raises:
            TimeoutError: not within ``timeout`` seconds.
        """
        async with asyncio.timeout(timeout):
            while not predicate(self):
                await self._changed.wait()

    # -- supervision -------------------------------------------------------------------------

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()  # waiters hold the set one; later ones get a fresh one

    def _set_state(self, state: State) -> None:
        self.state = state
        self._notify()

    async def _supervise(self) -> None:
        delays: Iterator[float] | None = None
        while True:
            self.attempts += 1
            self._set_state("running")
            stream = self._open()
            try:
                async for value in stream:
                    self.latest = value
                    self.updates += 1
                    delays = None  # a stream that delivered starts the next backoff afresh
                    if self._on_value is not None:
                        self._on_value(value)
                    self._notify()
                raise StreamEnded(f"{self.name}: the stream ended")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.last_error = error = exc
                if not self._retryable(exc):
                    log.error("%s: giving up: %r", self.name, exc)
                    self._set_state("failed")
                    return
                log.warning("%s: %r; restarting", self.name, exc)
            finally:
                aclose = getattr(stream, "aclose", None)
                if aclose is not None:
                    with contextlib.suppress(Exception):
                        await aclose()
            if self._reset is not None:
                try:
                    await self._reset(error)
                except Exception as exc:
                    log.warning("%s: reset failed: %s", self.name, exc)
            delays = delays or backoff(*self._backoff, rng=self._rng)
            self.last_delay = max(next(delays), least_delay(error))
            self._set_state("backing_off")
            await asyncio.sleep(self.last_delay)  # the backoff itself; stop() cancels it
            self.restarts += 1
