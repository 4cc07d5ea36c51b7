"""WebSocket API connections (``/ws-api/v3``, ``/ws-fapi/v1``): requests matched by id, events.

Requests are matched to answers by id through :class:`~client.protocol.ws_api.WsApiProtocol`;
frames that answer nothing become events: user data (``{"subscriptionId","event"}``) goes to
:attr:`WsApiConnection.on_event`, ``serverShutdown`` starts a handover. The socket's life
belongs to a :class:`~client.supervisor.Supervisor`:

* Without session state the connection dials lazily: on the first request, and again on the
  next request after a drop (pending requests fail with ConnectionClosed).
* With session state (:attr:`WsApiConnection.restore_steps`: a logon, a user-data subscribe,
  each re-signed when replayed) it reconnects by itself and replays the steps on the new
  socket; a handover replays them on the fresh socket before switching.
* On ``serverShutdown`` new requests go to a fresh socket while the old one finishes its
  pending answers, then closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from .connection import ConnectionSettings, dial, reject, resolve
from .errors import BaseError, ConnectionClosed, RequestTimeout, error_from_binance
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


class WsApiConnection(Supervised):
    """A WebSocket API connection: requests matched by id, pushed events, session restore.

    Attributes:
        restore_steps: session state to replay on every new socket, in order (none today; the
            private half adds ``session.logon`` and ``userDataStream.subscribe``).
        on_event: called with every pushed :class:`~client.protocol.ws_api.WsApiEvent`.
    """

    def __init__(
        self, url: str, telemetry: Telemetry, settings: ConnectionSettings | None = None
    ) -> None:
        self.url = url
        self.telemetry = telemetry
        self.settings = settings or ConnectionSettings()
        self.protocol = WsApiProtocol()
        self.restore_steps: list[RestoreStep] = []
        self.on_event: Callable[[WsApiEvent], None] | None = None
        self.events_received = 0
        self._requests: dict[str, tuple[asyncio.Future[WsApiResponse], WebSocket]] = {}
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

    async def request(self, method: str, params: Mapping[str, Any] | None, timeout: float) -> Any:
        """Send one request and return its ``result``.

        Raises:
            RequestTimeout: no answer in time. ExchangeError subclasses: Binance refused it.
            NetworkError: the connection failed.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        ws = await self.ensure_open(timeout)
        return await self.request_on(ws, method, params, max(0.0, deadline - loop.time()))

    async def request_on(
        self, ws: WebSocket, method: str, params: Mapping[str, Any] | None, timeout: float
    ) -> Any:
        """Send one request on socket ``ws`` (a restore step's fresh socket) and return its
        ``result``; raises as :meth:`request`."""
        rid, text = self.protocol.request(method, params)
        fut: asyncio.Future[WsApiResponse] = asyncio.get_running_loop().create_future()
        self._requests[rid] = (fut, ws)
        try:
            # a send held by a full buffer counts against the timeout too
            async with asyncio.timeout(timeout):
                self.telemetry.emit("send", self.url, text)
                await ws.send(text)
                resp = await asyncio.shield(fut)
        except TimeoutError:
            raise RequestTimeout(
                f"{self.url}: no answer to {method} (id {rid}) within {int(timeout * 1000)} ms"
            ) from None
        finally:
            self._requests.pop(rid, None)
            self.protocol.forget(rid)
            self._retire_if_idle(ws)
        if not resp.ok:
            raise error_from_binance(resp.code, resp.msg, status=resp.status, context=method)
        return resp.result

    # -- supervisor hooks --------------------------------------------------------------------

    async def _dial(self) -> WebSocket:
        return await dial(self.url, self.settings, self._on_message)

    async def _restore_on(self, ws: WebSocket, handover: bool) -> None:
        """Replay the session state on ``ws`` (nothing to replay without private calls)."""
        for step in list(self.restore_steps):
            await step(self, ws)

    def _lost(self, ws: WebSocket | None, err: BaseError) -> None:
        """The current socket is gone: fail the requests sent on it."""
        self._fail(ws, err)

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

    def _retire_if_idle(self, ws: WebSocket) -> None:
        if ws is not self.supervisor.ws and not any(w is ws for _, w in self._requests.values()):
            entry = self._retiring.get(ws)
            if entry is not None:
                entry[1].set()

    def _fail(self, ws: WebSocket | None, err: BaseError) -> None:
        for rid, (fut, w) in list(self._requests.items()):
            if ws is None or w is ws:
                reject(fut, err)
                self._requests.pop(rid, None)

    # -- routing -----------------------------------------------------------------------------

    def _on_message(self, ws: WebSocket, payload: bytes) -> None:
        if self.telemetry.active:
            self.telemetry.emit("recv", self.url, payload.decode("utf-8", "replace"))
        event = self.protocol.receive(payload)
        if isinstance(event, WsApiResponse):
            entry = self._requests.get(event.request_id)
            if entry is not None:
                resolve(entry[0], event)
        elif event is None:
            ws.reject_if_not_utf8(payload)
        elif isinstance(event, WsApiEvent):
            self.events_received += 1
            if self.on_event is not None:
                self.on_event(event)
        elif isinstance(event, ServerShutdown):
            if ws is self.supervisor.ws:
                self.supervisor.handover()
        elif isinstance(event, UnsolicitedError):
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
        self._retiring.clear()

    def info(self) -> dict[str, Any]:
        """Return the connection's state for inspection."""
        return {
            "url": self.url,
            "state": self.state,
            "subscriptions": {},
            "pending_requests": len(self._requests),
            "waiters": {},
            "cache": {},
            "reconnects": self.reconnects,
            "handovers": self.handovers,
            "events_received": self.events_received,
            "send_buffer": ws.write_buffer_size if (ws := self.supervisor.ws) else 0,
            "close_reason": str(self.close_reason) if self.close_reason else None,
        }
