"""WebSocket API connections (``/ws-api/v3``, ``/ws-fapi/v1``): requests matched by id, events.

Requests are matched to answers by id through :class:`~client.protocol.ws_api.WsApiProtocol`;
frames that answer nothing become events: user data (``{"subscriptionId","event"}``) goes to
:attr:`WsApiConnection.on_event` with the socket it came on, ``serverShutdown`` starts a
handover; :attr:`WsApiConnection.on_lost` hears of every socket that ended. The socket's life
belongs to a :class:`~client.supervisor.Supervisor`:

* Without session state the connection dials lazily: on the first request, and again on the
  next request after a drop (pending requests fail with ConnectionClosed).
* With session state (:attr:`WsApiConnection.restore_steps`: a logon, a user-data subscribe,
  each re-signed when replayed) it reconnects by itself and replays the steps on the new
  socket; a handover replays them on the fresh socket before switching. A step refused for
  good is replayed no more; a step that failed otherwise fails the user-data watchers at once
  (:attr:`WsApiConnection.on_restore_failed`) and gives the socket up, so the supervisor's
  backoff paces the next attempt, rather than leaving the session half-restored.
* On ``serverShutdown`` new requests go to a fresh socket while the old one finishes its
  pending answers, then closes.
* Requests wait until a new socket's restore steps are done (a request sent right after a
  reconnect must not overtake the replayed logon), and :meth:`WsApiConnection.add_restore_step`
  brings a new piece of state up on the open socket before later requests go.
* A request in flight when its socket drops fails with
  :class:`~client.errors.RequestInterrupted`, which says whether the frame had left
  (``may_have_reached``); one that had not left is sent again on the next socket, within its
  timeout.
* :attr:`WsApiConnection.session_key` is the API key a ``session.logon`` bound to the current
  socket (a logon restore step sets it with :meth:`WsApiConnection.logged_on`); a request's
  ``build`` callback sees it and leaves out ``apiKey``/``signature`` when the session stands in
  for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from .connection import ConnectionSettings, dial, reject, resolve
from .errors import (
    BaseError,
    ConnectionClosed,
    RequestInterrupted,
    RequestTimeout,
    error_from_binance,
)
from .protocol.backoff import is_retryable
from .protocol.ws_api import (
    ServerShutdown,
    UnsolicitedError,
    WsApiEvent,
    WsApiProtocol,
    WsApiResponse,
)
from .supervisor import Hooks, Supervised, Supervisor
from .telemetry import RateLimitedLog, Telemetry
from .transport import WebSocket

__all__ = ["RestoreStep", "WsApiConnection"]

log = logging.getLogger("client")

RestoreStep = Callable[["WsApiConnection", WebSocket], Awaitable[None]]
"""Bring one piece of session state back on a fresh socket (send it with
:meth:`WsApiConnection.request_on`); raise a client error to give the socket up."""

BuildParams = Callable[[str | None], Mapping[str, Any] | None]
"""Build a request's params just before it is sent, given the API key the socket is logged on
with (None: not logged on), so a timestamp is fresh and a signature is added only if needed."""

_SEND_ATTEMPTS = 3  # sockets a request that never left may try within its timeout


class _Pending:
    """One request awaiting its answer: the future, its socket, and whether it left."""

    __slots__ = ("fut", "method", "sent", "ws")

    def __init__(self, fut: asyncio.Future[WsApiResponse], ws: WebSocket, method: str) -> None:
        self.fut, self.ws, self.method, self.sent = fut, ws, method, False


class WsApiConnection(Supervised):
    """A WebSocket API connection: requests matched by id, pushed events, session restore.

    Attributes:
        restore_steps: session state to replay on every new socket, in order (a
            ``session.logon``, a ``userDataStream.subscribe``); add named steps with
            :meth:`add_restore_step`.
        on_event: called with the socket and every pushed
            :class:`~client.protocol.ws_api.WsApiEvent` (user data is routed by socket and
            ``subscriptionId``: ids count from 0 on every socket).
        on_lost: called with a socket that ended (None: a dial failed) and the error.
        on_restore_failed: called with a new socket and the error when its restore failed
            in a way a new socket may cure (the socket is then given up and dialled again
            after the supervisor's backoff).
    """

    def __init__(
        self, url: str, telemetry: Telemetry, settings: ConnectionSettings | None = None
    ) -> None:
        self.url = url
        self.telemetry = telemetry
        self.settings = settings or ConnectionSettings()
        self.protocol = WsApiProtocol()
        self.restore_steps: list[RestoreStep] = []
        self.on_event: Callable[[WebSocket, WsApiEvent], None] | None = None
        self.on_lost: Callable[[WebSocket | None, BaseError], None] | None = None
        self.on_restore_failed: Callable[[WebSocket, BaseError], None] | None = None
        self.events_received = 0
        self._requests: dict[str, _Pending] = {}
        self._step_names: dict[str, RestoreStep] = {}
        self._ready: dict[WebSocket, asyncio.Future[None]] = {}
        self._session_keys: dict[WebSocket, str] = {}
        self._applied: dict[WebSocket, set[RestoreStep]] = {}
        self._restore_errors: dict[WebSocket, tuple[RestoreStep, BaseError]] = {}
        self._gone = asyncio.Event()  # set when the supervisor lets a socket go
        self._retiring: dict[WebSocket, tuple[asyncio.Task[None], asyncio.Event]] = {}
        self._log = RateLimitedLog(log)
        self.supervisor = Supervisor(
            url,
            Hooks(
                dial=self._dial,
                restore=self._restore_on,
                lost=self._lost,
                wants_reconnect=lambda: bool(self.restore_steps),
                retire=self._retire,
            ),
            self.settings,
            telemetry,
        )

    @property
    def reconnects(self) -> int:
        """Sockets opened after the first, a handover's included (as before the supervisor)."""
        return self.supervisor.reconnects + self.supervisor.handovers

    async def ensure_open(self, timeout: float | None = None) -> WebSocket:
        """Return the open socket, dialing one if needed.

        Raises:
            RequestTimeout: not open within ``timeout`` seconds. NetworkError: the dial failed.
        """
        return await self.supervisor.ensure_open(timeout)

    async def request(
        self,
        method: str,
        params: Mapping[str, Any] | None,
        timeout: float,
        *,
        build: BuildParams | None = None,
    ) -> Any:
        """Send one request and return its ``result``.

        The request waits until the socket's restore steps (a logon) are done. ``build``, if
        given, makes the params at the last moment from the socket's :attr:`session_key`
        (``params`` is then ignored). A request whose socket drops before its frame left is
        sent again on the next socket while ``timeout`` lasts.

        Raises:
            RequestTimeout: no answer in time. ExchangeError subclasses: Binance refused it.
            RequestInterrupted: the socket dropped with the request in flight.
            NetworkError: the connection failed.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        for attempt in range(_SEND_ATTEMPTS):
            ws = await self.ensure_open(max(0.0, deadline - loop.time()))
            await self._wait_ready(ws, deadline, method)
            last = attempt + 1 >= _SEND_ATTEMPTS
            if ws.closed and not last:
                await self._wait_closed(ws, deadline)
                continue  # dropped while the session came back: nothing left yet
            body = build(self._session_keys.get(ws)) if build is not None else params
            try:
                return await self.request_on(ws, method, body, max(0.0, deadline - loop.time()))
            except RequestInterrupted as err:
                if err.may_have_reached or last:
                    raise
                await self._wait_closed(ws, deadline)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _wait_closed(self, ws: WebSocket, deadline: float) -> None:
        """Wait (until ``deadline``) until the supervisor has let go of closing socket ``ws``,
        so the request looks for a socket again only once there is news."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout_at(deadline):
                await ws.wait_closed()
                while self.supervisor.ws is ws:
                    self._gone.clear()
                    await self._gone.wait()

    async def request_on(
        self, ws: WebSocket, method: str, params: Mapping[str, Any] | None, timeout: float
    ) -> Any:
        """Send one request on socket ``ws`` (a restore step's fresh socket) and return its
        ``result``; raises as :meth:`request` (but sends only once)."""
        rid, text = self.protocol.request(method, params)
        pending = _Pending(asyncio.get_running_loop().create_future(), ws, method)
        self._requests[rid] = pending
        try:
            # a send held by a full buffer counts against the timeout too
            async with asyncio.timeout(timeout):
                self.telemetry.emit("send", self.url, text)
                try:
                    await ws.send(text)
                except ConnectionClosed as err:
                    raise self._interrupted(pending, rid, err) from err
                pending.sent = True
                resp = await asyncio.shield(pending.fut)
        except TimeoutError:
            left = "sent; execution status unknown" if pending.sent else "not sent"
            raise RequestTimeout(
                f"{self.url}: no answer to {method} (id {rid}) within "
                f"{int(timeout * 1000)} ms ({left})"
            ) from None
        finally:
            self._requests.pop(rid, None)
            self.protocol.forget(rid)
            self._retire_if_idle(ws)
        if not resp.ok:
            raise error_from_binance(
                resp.code, resp.msg, status=resp.status, context=method, data=resp.data
            )
        return resp.result

    def _interrupted(self, pending: _Pending, rid: str, err: BaseError) -> RequestInterrupted:
        """The error for a request whose socket went: it says whether the frame had left."""
        if pending.sent:
            fate = "it was sent and may have reached the exchange (check before resending)"
        else:
            fate = "it was not sent (safe to resend)"
        close = err if isinstance(err, ConnectionClosed) else None
        out = RequestInterrupted(
            f"{self.url}: connection lost with {pending.method} (id {rid}) in flight: {fate}; "
            f"{err}",
            method=pending.method,
            request_id=rid,
            may_have_reached=pending.sent,
            code=close.code if close else None,
            reason=close.reason if close else "",
            sent_code=close.sent_code if close else None,
        )
        out.__cause__ = err
        return out

    # -- session state -----------------------------------------------------------------------

    @property
    def session_key(self) -> str | None:
        """The API key ``session.logon`` bound to the current socket (None: not logged on)."""
        ws = self.supervisor.ws
        return None if ws is None else self._session_keys.get(ws)

    def key_of(self, ws: WebSocket) -> str | None:
        """The API key ``session.logon`` bound to socket ``ws`` (None: not logged on)."""
        return self._session_keys.get(ws)

    def logged_on(self, ws: WebSocket, api_key: str | None) -> None:
        """Record that ``ws`` is logged on with ``api_key`` (None: logged out)."""
        if api_key is None:
            self._session_keys.pop(ws, None)
        elif not ws.closed:
            self._session_keys[ws] = api_key

    async def add_restore_step(self, name: str, step: RestoreStep, timeout: float) -> None:
        """Keep ``step`` as session state replayed on every new socket, and bring it up on the
        open socket now: requests made after this wait for it. A step already kept under
        ``name`` is not run again (this waits for the socket to be ready instead).

        Raises:
            RequestTimeout: not connected or not ready within ``timeout``. What ``step``
                raises (the step stays kept and is replayed on the next socket).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if name not in self._step_names:
            self._step_names[name] = step
            self.restore_steps.append(step)
        step = self._step_names[name]
        ws = await self.ensure_open(timeout)
        await self._wait_ready(ws, deadline, name)
        if step in self._applied.get(ws, ()) or ws.closed:
            return  # the socket's restore ran it (or the socket is gone: the next one will)
        failed = self._restore_errors.get(ws)
        if failed is not None and failed[0] is step:
            raise failed[1]  # the socket's restore tried it: report that, do not resend
        gate: asyncio.Future[None] = loop.create_future()
        self._ready[ws] = gate
        try:
            await step(self, ws)
            self._applied.setdefault(ws, set()).add(step)
        finally:
            resolve(gate, None)

    def remove_restore_step(self, name: str) -> None:
        """Stop replaying the step kept under ``name`` (nothing is sent)."""
        step = self._step_names.pop(name, None)
        if step is not None and step in self.restore_steps:
            self.restore_steps.remove(step)

    async def _wait_ready(self, ws: WebSocket, deadline: float, what: str) -> None:
        gate = self._ready.get(ws)
        if gate is not None and not gate.done():
            await self._wait_gate(gate, deadline, what)

    async def _wait_gate(self, gate: asyncio.Future[None], deadline: float, what: str) -> None:
        try:
            async with asyncio.timeout_at(deadline):
                await asyncio.shield(gate)
        except TimeoutError:
            raise RequestTimeout(f"{self.url}: session not restored in time for {what}") from None

    # -- supervisor hooks --------------------------------------------------------------------

    async def _dial(self) -> WebSocket:
        ws = await dial(self.url, self.settings, self._on_message)
        if self.restore_steps:
            # requests wait at this gate until the restore steps are done on ``ws``
            self._ready[ws] = asyncio.get_running_loop().create_future()
        return ws

    async def _restore_on(self, ws: WebSocket, handover: bool) -> None:
        """Replay the session state on ``ws``; then let the requests waiting for it go.

        A step refused for good (not :func:`is_retryable`) would be refused on every socket:
        it is replayed no more and the other steps go on. Any other failure on a new socket
        fails the watchers of :attr:`on_restore_failed` at once and gives the socket up (the
        supervisor reconnects after its backoff and replays every step); the requests waiting
        for the session stay at its gate until the socket is gone, then move to the next.
        """
        gate = self._ready.get(ws)
        applied = self._applied.setdefault(ws, set())
        lost = False
        try:
            for step in list(self.restore_steps):
                if step in applied or step not in self.restore_steps:
                    continue
                try:
                    await step(self, ws)
                except BaseError as err:
                    self._restore_errors[ws] = (step, err)
                    if handover or is_retryable(err):
                        lost = not handover
                        if lost and self.on_restore_failed is not None:
                            self.on_restore_failed(ws, err)
                        raise
                    self._drop_step(step)
                    self.telemetry.emit("error", self.url, f"restore step dropped: {err}")
                    continue
                applied.add(step)
        finally:
            if gate is not None and not lost:
                resolve(gate, None)

    def _drop_step(self, step: RestoreStep) -> None:
        """Replay ``step`` no more (whatever name it was kept under)."""
        for name in [n for n, s in self._step_names.items() if s is step]:
            del self._step_names[name]
        if step in self.restore_steps:
            self.restore_steps.remove(step)

    def _lost(self, ws: WebSocket | None, err: BaseError) -> None:
        """The current socket is gone: fail the requests sent on it, forget its session."""
        self._gone.set()
        self._fail(ws, err)
        if ws is not None:
            self._forget(ws)
        if self.on_lost is not None:
            self.on_lost(ws, err)

    def _forget(self, ws: WebSocket) -> None:
        self._session_keys.pop(ws, None)
        self._applied.pop(ws, None)
        self._restore_errors.pop(ws, None)
        gate = self._ready.pop(ws, None)
        if gate is not None:
            resolve(gate, None)

    async def _retire(self, old: WebSocket) -> None:
        """After a handover: let ``old`` finish its pending answers, then close it."""
        idle = asyncio.Event()
        task = asyncio.create_task(self._drain(old, idle), name=f"client.wsapi.retire {self.url}")
        self._retiring[old] = (task, idle)
        self._retire_if_idle(old)

    async def _drain(self, ws: WebSocket, idle: asyncio.Event) -> None:
        """Wait until retired ``ws`` is idle (then close it) or ends; fail what it still owed."""
        closed = asyncio.ensure_future(ws.wait_closed())
        quiet = asyncio.ensure_future(idle.wait())
        try:
            await asyncio.wait({closed, quiet}, return_when=asyncio.FIRST_COMPLETED)
            if not closed.done():
                with contextlib.suppress(Exception):
                    await ws.close()
            err: BaseError = (
                closed.result()
                if closed.done()
                else ConnectionClosed(f"{self.url}: socket retired")
            )
        finally:
            quiet.cancel()
            closed.cancel()
            self._retiring.pop(ws, None)
        self._fail(ws, err)
        self._forget(ws)
        if self.on_lost is not None:
            self.on_lost(ws, err)

    def _retire_if_idle(self, ws: WebSocket) -> None:
        if ws is not self.supervisor.ws and not any(p.ws is ws for p in self._requests.values()):
            entry = self._retiring.get(ws)
            if entry is not None:
                entry[1].set()

    def _fail(self, ws: WebSocket | None, err: BaseError) -> None:
        for rid, pending in list(self._requests.items()):
            if ws is None or pending.ws is ws:
                reject(pending.fut, self._interrupted(pending, rid, err))
                self._requests.pop(rid, None)

    # -- routing -----------------------------------------------------------------------------

    def _on_message(self, ws: WebSocket, payload: bytes) -> None:
        if self.telemetry.active:
            self.telemetry.emit("recv", self.url, payload.decode("utf-8", "replace"))
        event = self.protocol.receive(payload)
        if isinstance(event, WsApiResponse):
            entry = self._requests.get(event.request_id)
            if entry is not None:
                resolve(entry.fut, event)
        elif event is None:
            ws.reject_if_not_utf8(payload)
        elif isinstance(event, WsApiEvent):
            self.events_received += 1
            if self.on_event is not None:
                self.on_event(ws, event)
        elif isinstance(event, ServerShutdown):
            if ws is self.supervisor.ws:
                self.supervisor.handover()
        elif isinstance(event, UnsolicitedError):
            if event.status == 401:
                self._session_keys.pop(ws, None)  # the logged-on key was revoked
            self.telemetry.emit("error", self.url, event.msg, code=event.code)
            self._log.warning(
                f"unsolicited {event.code}",
                "%s: error from server: %s %s",
                self.url,
                event.code,
                event.msg,
            )

    async def close(self) -> None:
        """Close every socket and fail pending requests; never raises."""
        await self.supervisor.close()
        for ws, (task, _) in list(self._retiring.items()):
            with contextlib.suppress(Exception):
                await ws.close()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            self._fail(ws, ConnectionClosed(f"{self.url}: closed by the client"))
            self._forget(ws)
        self._retiring.clear()

    def info(self) -> dict[str, Any]:
        """Return the connection's state for inspection."""
        return {
            "url": self.url,
            "state": self.state,
            "subscriptions": {},
            "logged_on": self.session_key is not None,
            "restore_steps": list(self._step_names),
            "pending_requests": len(self._requests),
            "waiters": {},
            "cache": {},
            "reconnects": self.reconnects,
            "handovers": self.handovers,
            "events_received": self.events_received,
            "send_buffer": ws.write_buffer_size if (ws := self.supervisor.ws) else 0,
            "close_reason": str(self.close_reason) if self.close_reason else None,
        }
