"""One reconnect supervisor for every kind of connection.

A :class:`Supervisor` owns one logical connection's socket: it dials, serves the socket until it
ends, hands over to a fresh socket when the server announces ``serverShutdown``, and reconnects
with jittered backoff when the connection has state worth restoring. What is specific to a kind
of connection comes in as :class:`Hooks`:

* ``dial()`` opens a socket. A market-stream connection dials its URL; a user-data connection
  may build a fresh URL (a new listen key) each time.
* ``restore(ws, handover)`` brings the session back on ``ws``: re-SUBSCRIBE for market streams,
  re-logon and re-subscribe for the WebSocket API. On a handover it runs before the switch
  and may raise to keep the old socket. On a new socket a restore that raises gives the
  socket up with that error, as if it had ended with it: the backoff and ``is_retryable``
  decide what follows, so a session that did not come back is retried, not left half-up.
* ``lost(ws, err)`` the socket is gone: fail what was pending on it, remember what to restore.
* ``wants_reconnect()`` is there anything to restore? Without it the supervisor stops, and the
  next :meth:`Supervisor.ensure_open` dials again.
* ``retire(old)`` after a handover: close the old socket now, or when its answers are in.

Backoff: the delays grow from ``backoff_initial`` to ``backoff_cap`` and start over only after a
connection has stayed up ``backoff_reset`` seconds: a handshake followed by an immediate close
does not reset them, so a server that accepts, ACKs and closes meets ever longer pauses instead
of a reconnect storm. A caller waiting in :meth:`ensure_open` cuts short only the first pause of
a run (the one after a healthy connection); in a grown pause it waits, bounded by its own
timeout, rather than trigger another attempt at once. A pause the server imposed
(``Retry-After``, the pause after a 1008 close) is never cut short: callers get its error at
once. If the supervisor task dies of a bug, its waiters fail with NetworkError, and the next
:meth:`Supervisor.ensure_open` starts a new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .connection import ConnectionSettings, resolve
from .errors import BaseError, ConnectionClosed, NetworkError, RequestTimeout
from .protocol.backoff import backoff, is_retryable, least_delay
from .telemetry import Telemetry
from .transport import WebSocket

__all__ = ["Hooks", "Supervised", "Supervisor"]

log = logging.getLogger("client")


@dataclass(frozen=True)
class Hooks:
    """What one kind of connection plugs into the :class:`Supervisor` (see the module doc)."""

    dial: Callable[[], Awaitable[WebSocket]]
    restore: Callable[[WebSocket, bool], Awaitable[None]]
    lost: Callable[[WebSocket | None, BaseError], None]
    wants_reconnect: Callable[[], bool]
    retire: Callable[[WebSocket], Awaitable[None]]


class Supervisor:
    """Own the socket of one logical connection (see the module doc).

    Attributes:
        state: ``idle``, ``connecting``, ``open`` or ``closed``.
        ws: the current socket while open.
        reconnects: sockets opened after the first, handovers not included.
        handovers: sockets switched to on ``serverShutdown``.
        close_reason: why the last socket ended or the last attempt failed.
        last_delay: the last backoff pause chosen, in seconds.
    """

    def __init__(
        self, url: str, hooks: Hooks, settings: ConnectionSettings, telemetry: Telemetry
    ) -> None:
        self.url = url
        self.hooks = hooks
        self.settings = settings
        self.telemetry = telemetry
        self.state = "idle"
        self.ws: WebSocket | None = None
        self.reconnects = 0
        self.handovers = 0
        self.close_reason: BaseError | None = None
        self.last_delay: float | None = None
        self._task: asyncio.Task[None] | None = None
        self._attempt: asyncio.Future[BaseError | None] | None = None
        self._wake = asyncio.Event()
        self._notice = asyncio.Event()
        self._stopped = False
        self._connected_once = False
        self._hold: BaseError | None = None  # set while a pause the server imposed runs
        self._kickable = True  # False while a grown backoff runs: callers wait it out

    @property
    def stopped(self) -> bool:
        """True once :meth:`close` was called."""
        return self._stopped

    async def ensure_open(self, timeout: float | None = None) -> WebSocket:
        """Return the open socket, dialing if needed (concurrent callers share one attempt).

        Raises:
            RequestTimeout: not open within ``timeout`` seconds (None: the attempts' own
                bounds, ``open_timeout`` per dial plus any backoff pause).
            NetworkError: the connection could not be opened, was closed by the client, or is
                in a pause the server imposed (that error at once).
        """
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            ws = self.ws
            if self.state == "open" and ws is not None:
                return ws
            if self._stopped:
                raise self.close_reason or ConnectionClosed(f"{self.url}: closed by the client")
            if self._hold is not None:
                raise self._hold  # a ban or a 1008: fail now rather than wait it out
            if self._attempt is None or self._attempt.done():
                self._attempt = loop.create_future()
            attempt = self._attempt
            if self._task is None or self._task.done():
                self._task = asyncio.create_task(
                    self._supervise(), name=f"client.supervisor {self.url}"
                )
                self._task.add_done_callback(self._on_task_done)
            if self._kickable:
                self._wake.set()
            try:
                async with asyncio.timeout_at(deadline):
                    err = await asyncio.shield(attempt)
            except TimeoutError:
                assert timeout is not None
                last = f" (last error: {self.close_reason})" if self.close_reason else ""
                raise RequestTimeout(
                    f"{self.url}: not connected within {int(timeout * 1000)} ms{last}"
                ) from None
            if err is not None:
                raise err

    def handover(self) -> None:
        """The server announced ``serverShutdown``: move to a fresh socket before it goes."""
        self._notice.set()

    async def close(self, code: int = 1000) -> None:
        """Stop reconnecting, close the socket and fail what is pending; never raises."""
        self._stopped = True
        ws, task = self.ws, self._task
        if ws is not None:
            try:
                await ws.close(code=code)
            except Exception:  # a code we may not send, a dying socket: drop it instead
                ws.abort("closed by the client")
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task  # a task that died of a bug has failed its waiters already
        self._task = None
        err = ConnectionClosed(f"{self.url}: closed by the client", code=code)
        self._lose(err)
        self.state = "closed"
        self._publish(err)

    # -- the loop ----------------------------------------------------------------------------

    def _publish(self, err: BaseError | None) -> None:
        if self._attempt is not None:
            resolve(self._attempt, err)
            self._attempt = None

    def _should_retry(self, err: BaseError) -> bool:
        return (
            not self._stopped
            and self.settings.reconnect
            and self.hooks.wants_reconnect()
            and is_retryable(err)
        )

    def _delays(self) -> Iterator[float]:
        return backoff(self.settings.backoff_initial, self.settings.backoff_cap)

    async def _supervise(self) -> None:
        """Dial, serve, and reconnect while there is something to restore."""
        loop = asyncio.get_running_loop()
        delays: Iterator[float] | None = None
        step = 0  # pauses taken in this run of the backoff
        while not self._stopped:
            self.state = "connecting"
            try:
                ws = await self.hooks.dial()
            except BaseError as dial_err:
                self.state, self.close_reason = "closed", dial_err
                self.telemetry.emit("error", self.url, str(dial_err))
                self._publish(dial_err)
                if not self._should_retry(dial_err):
                    return
                if delays is None:
                    delays, step = self._delays(), 0
                await self._pause(next(delays), dial_err, kickable=step == 0)
                step += 1
                continue
            self.ws, self.state, self.close_reason = ws, "open", None
            if self._connected_once:
                self.reconnects += 1
                text = f"reconnect #{self.reconnects}"
                self.telemetry.emit("reconnect", self.url, text, delay=self.last_delay)
            else:
                self._connected_once = True
                self.telemetry.emit("connect", self.url)
            self._publish(None)
            opened = loop.time()
            err = await self._serve(ws)
            self._lose(err)
            if not self._should_retry(err):
                return
            if delays is None or loop.time() - opened >= self.settings.backoff_reset:
                delays, step = self._delays(), 0  # it was healthy: start the backoff over
            await self._pause(next(delays), err, kickable=step == 0)
            step += 1

    def _lose(self, err: BaseError) -> None:
        """The current socket is gone (or never came): record why, tell the connection."""
        ws, self.ws = self.ws, None
        if self.state != "closed" or ws is not None:
            self.state, self.close_reason = "closed", err
        if ws is not None:
            self.telemetry.emit("close", self.url, str(err))
        self.hooks.lost(ws, err)

    async def _pause(self, delay: float, err: BaseError, *, kickable: bool) -> None:
        """Wait ``delay`` before the next attempt; a caller may cut it short if ``kickable``.

        The server's ``Retry-After`` and the pause after a 1008 close (:func:`least_delay`)
        are waited out in full; callers asking to connect meanwhile get ``err`` at once.
        """
        self.last_delay = delay
        floor = least_delay(err, self.settings.policy_delay)
        if floor > 0:
            self._hold = err
            try:
                await asyncio.sleep(floor)  # a delay the server imposed, not a wait for an event
            finally:
                self._hold = None
        self._wake.clear()
        self._kickable = kickable
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.0, delay - floor))
        finally:
            self._kickable = True

    async def _serve(self, ws: WebSocket) -> BaseError:
        """Restore the session on ``ws`` and serve it (and its successors) until it ends; a
        restore that fails ends ``ws`` with its error."""
        first = ws
        restore = asyncio.create_task(self._restore(ws), name=f"client.restore {self.url}")
        try:
            while True:
                self._notice.clear()
                closed = asyncio.ensure_future(ws.wait_closed())
                notice = asyncio.ensure_future(self._notice.wait())
                waits: set[asyncio.Future[Any]] = {closed, notice}
                if not restore.done():
                    waits.add(restore)
                try:
                    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    notice.cancel()
                    if not closed.done():
                        closed.cancel()
                failed = restore.result() if restore.done() else None
                if failed is not None and ws is first:
                    with contextlib.suppress(Exception):
                        await ws.close(1000, "session not restored")
                    return failed
                if closed.done() and not closed.cancelled():
                    return closed.result()
                if self._notice.is_set():
                    new = await self._handover(ws)
                    if new is not None:
                        ws = new
        finally:
            if not restore.done():
                restore.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await restore

    async def _restore(self, ws: WebSocket) -> BaseError | None:
        """Run the restore hook on new socket ``ws``; return what made it fail (None: done)."""
        try:
            await self.hooks.restore(ws, False)
        except BaseError as err:
            self.telemetry.emit("error", self.url, f"restore failed: {err}")
            return err
        return None

    async def _handover(self, old: WebSocket) -> WebSocket | None:
        """Move to a fresh socket before the announced shutdown drops ``old``."""
        self.telemetry.emit("reconnect", self.url, "serverShutdown: handing over")
        try:
            new = await self.hooks.dial()
        except BaseError as err:
            self.telemetry.emit("error", self.url, f"handover dial failed: {err}")
            return None
        try:
            await self.hooks.restore(new, True)
        except BaseError as err:
            self.telemetry.emit("error", self.url, f"handover restore failed: {err}")
            with contextlib.suppress(Exception):
                await new.close()
            return None
        self.ws = new
        self.handovers += 1
        await self.hooks.retire(old)
        return new

    def _on_task_done(self, task: asyncio.Task[None]) -> None:
        """Fail every waiter when the supervisor died of something it did not expect."""
        if task.cancelled() or task.exception() is None:
            return
        exc = task.exception()
        log.error("%s: connection supervisor failed", self.url, exc_info=exc)
        err = NetworkError(f"{self.url}: connection supervisor failed: {type(exc).__name__}")
        err.__cause__ = exc
        if self.ws is not None:
            self.ws.abort("connection supervisor failed")
        self._lose(err)
        self._publish(err)


class Supervised:
    """What a connection kind built on a :class:`Supervisor` reports about its socket."""

    supervisor: Supervisor

    @property
    def state(self) -> str:
        """``idle``, ``connecting``, ``open`` or ``closed``."""
        return self.supervisor.state

    @property
    def handovers(self) -> int:
        """Sockets switched to on ``serverShutdown``."""
        return self.supervisor.handovers

    @property
    def close_reason(self) -> BaseError | None:
        """Why the last socket ended or the last attempt failed."""
        return self.supervisor.close_reason
