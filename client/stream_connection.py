"""Market-stream connections (``/stream``): SUBSCRIBE bookkeeping, routing, restore by SUBSCRIBE.

One socket feeds the sans-I/O core (:class:`~client.protocol.stream_protocol.StreamProtocol`)
and each event is routed: ACKs and errors to the request that asked, stream data to the
stream's channel and then to its waiters. The socket's life (dial, reconnect with backoff,
the ``serverShutdown`` handover) belongs to a :class:`~client.supervisor.Supervisor`; this
module supplies its hooks: restore re-SUBSCRIBEs every stream the lost socket carried, and a
handover re-SUBSCRIBEs the live streams on the new socket before the old one is closed.

Every waiter gets a value or an exception: when a socket ends, pending requests and waiters fail
with :class:`~client.errors.ConnectionClosed`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from orjson import JSONDecodeError, loads

from .connection import ConnectionSettings, FramePacer, dial, reject, resolve
from .errors import (
    BaseError,
    ConnectionClosed,
    RequestTimeout,
    UnsubscribeError,
    error_from_binance,
)
from .protocol.channels import BookChannel, Channel
from .protocol.stream_protocol import (
    Ack,
    ControlError,
    ServerShutdown,
    StreamData,
    StreamProtocol,
    Unparsed,
)
from .protocol.subscriptions import SubState
from .supervisor import Hooks, Supervised, Supervisor
from .telemetry import RateLimitedLog, Telemetry
from .transport import WebSocket

__all__ = ["StreamConnection"]

log = logging.getLogger("client")


class StreamConnection(Supervised):
    """A supervised market-stream WebSocket shared by every watch on its URL (``/stream``).

    Args:
        url: the combined-stream URL.
        telemetry: where lifecycle and wire events go.
        settings: timers and limits.
        on_resubscribed: called with the streams re-subscribed after a reconnect or a
            ``serverShutdown`` handover (the exchange resyncs books there).
    """

    def __init__(
        self,
        url: str,
        telemetry: Telemetry,
        settings: ConnectionSettings | None = None,
        *,
        on_resubscribed: Callable[[StreamConnection, list[str]], None] | None = None,
    ) -> None:
        self.url = url
        self.telemetry = telemetry
        self.settings = settings or ConnectionSettings()
        self.on_resubscribed = on_resubscribed
        self.protocol = StreamProtocol()
        self.channels: dict[str, Channel] = {}
        self.messages_received = 0
        self._restore: list[str] = []
        self._handed_over: list[str] = []
        self._requests: dict[int, asyncio.Future[Ack]] = {}
        self._subscribing: dict[str, asyncio.Future[None]] = {}
        self._waiters: dict[str, list[asyncio.Future[str]]] = {}
        self._pacer = FramePacer(self.settings.control_rate)
        self._tasks: set[asyncio.Task[None]] = set()
        self._log = RateLimitedLog(log)
        self.supervisor = Supervisor(
            url,
            Hooks(
                dial=self._dial,
                restore=self._restore_on,
                lost=self._drop,
                wants_reconnect=lambda: bool(self._restore),
                retire=self._retire,
            ),
            self.settings,
            telemetry,
        )

    @property
    def reconnects(self) -> int:
        """Sockets opened after the first (handovers not included)."""
        return self.supervisor.reconnects

    # -- lifecycle ---------------------------------------------------------------------------

    async def ensure_open(self, timeout: float | None = None) -> None:
        """Open the socket if it is not open (concurrent callers share one attempt).

        Raises:
            RequestTimeout: not open within ``timeout`` seconds.
            NetworkError: the connection could not be opened (or was closed by the client).
        """
        await self.supervisor.ensure_open(timeout)

    async def close(self, code: int = 1000) -> None:
        """Stop reconnecting, close the socket, and fail everything pending; never raises."""
        await self.supervisor.close(code)
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._restore = []
        self.channels.clear()

    # -- supervisor hooks --------------------------------------------------------------------

    async def _dial(self) -> WebSocket:
        return await dial(self.url, self.settings, self._on_message, self._pacer)

    async def _restore_on(self, ws: WebSocket, handover: bool) -> None:
        """Re-SUBSCRIBE: what the lost socket carried, or (handover) the live streams on ``ws``."""
        if handover:
            active = self.protocol.subscriptions.live()
            if active:
                rid, text = self.protocol.resubscribe(active)
                await self._control(rid, text, self.settings.open_timeout, "SUBSCRIBE", ws=ws)
            self._handed_over = active
            return
        if not self._restore:
            return
        restore, self._restore = self._restore, []
        try:
            await self.subscribe(restore, self.settings.open_timeout)
        except BaseError as err:
            self.telemetry.emit("error", self.url, f"re-subscribe failed: {err}")
            return
        if self.on_resubscribed is not None:
            self.on_resubscribed(self, restore)

    async def _retire(self, old: WebSocket) -> None:
        """After a handover: close the old socket, then reset what it fed and resync books."""
        with contextlib.suppress(Exception):
            await old.close(1000)
        for ch in self.channels.values():
            ch.reset()
        if self.on_resubscribed is not None:
            self.on_resubscribed(self, self._handed_over)

    def _drop(self, ws: WebSocket | None, err: BaseError) -> None:
        """The socket is gone: fail everything pending and remember what to restore."""
        self._restore = [*self._restore, *self.protocol.reset()]
        for fut in list(self._requests.values()):
            reject(fut, err)
        self._requests.clear()
        for sub in list(self._subscribing.values()):
            reject(sub, err)
        self._subscribing.clear()
        for waiters in self._waiters.values():
            for w in waiters:
                reject(w, err)
        self._waiters.clear()
        for ch in self.channels.values():
            ch.reset()

    # -- routing -----------------------------------------------------------------------------

    def _on_message(self, ws: WebSocket, payload: bytes) -> None:
        """Route one message: data to its channel and waiters, answers to their requests."""
        self.messages_received += 1
        if self.telemetry.active:
            self.telemetry.emit("recv", self.url, payload.decode("utf-8", "replace"))
        try:
            msg = loads(payload)
        except JSONDecodeError:
            msg = None
        else:
            # the hot path, inline: the envelope of a stream this connection has a channel for
            # (no channel is named like a control answer or ``!serverShutdown``)
            if type(msg) is dict:
                stream = msg.get("stream")
                ch = self.channels.get(stream) if isinstance(stream, str) else None
                if ch is not None and "data" in msg:
                    if ch.handle(msg["data"]) and self._waiters:
                        self._wake(stream)  # type: ignore[arg-type]  # a channel's name
                    return
        event = self.protocol.receive(payload) if msg is None else self.protocol.event_of(msg)
        if type(event) is StreamData:
            if event.stream not in self.channels:  # data of a stream we hold no channel for
                self._wake(event.stream)
        elif isinstance(event, Ack):
            self.telemetry.emit(
                "ack",
                self.url,
                "",
                request_id=event.request_id,
                method=event.method,
                streams=list(event.streams),
            )
            req = self._requests.pop(event.request_id, None)
            if req is not None:
                resolve(req, event)
        elif isinstance(event, ControlError):
            self._on_control_error(event)
        elif isinstance(event, ServerShutdown):
            self.telemetry.emit("error", self.url, "serverShutdown received")
            if ws is self.supervisor.ws:
                self.supervisor.handover()
        elif isinstance(event, Unparsed) and isinstance(event.raw, bytes):
            ws.reject_if_not_utf8(payload)  # not JSON: fail with 1007 if not even UTF-8

    def _wake(self, stream: str) -> None:
        # the first message of a read batch wakes the waiters; the rest find none
        for fut in self._waiters.pop(stream, ()):
            if not fut.done():
                fut.set_result(stream)

    def _on_control_error(self, event: ControlError) -> None:
        self.telemetry.emit(
            "error",
            self.url,
            event.msg,
            request_id=event.request_id,
            code=event.code,
            method=event.method,
        )
        context = f"{event.method} {list(event.streams)}"
        err = error_from_binance(event.code, event.msg, context=context)
        req = self._requests.pop(event.request_id, None) if event.request_id else None
        if req is not None:
            reject(req, err)
        else:
            self._log.warning(
                f"unmatched {event.code}",
                "%s: unmatched error from server: %s",
                self.url,
                event.msg,
            )

    # -- requests ----------------------------------------------------------------------------

    async def _control(
        self,
        request_id: int,
        text: str,
        timeout: float,
        what: str,
        *,
        ws: WebSocket | None = None,
    ) -> Ack:
        fut: asyncio.Future[Ack] = asyncio.get_running_loop().create_future()
        self._requests[request_id] = fut
        try:
            # pacing and a send held by a full buffer count against the timeout too
            async with asyncio.timeout(timeout):
                await self._pacer.wait()
                sock = ws or self.supervisor.ws
                if sock is None:
                    raise self.close_reason or ConnectionClosed(f"{self.url}: not connected")
                self.telemetry.emit("send", self.url, text)
                await sock.send(text)
                return await asyncio.shield(fut)
        except TimeoutError:
            self._requests.pop(request_id, None)
            self.protocol.forget(request_id)
            raise RequestTimeout(
                f"{self.url}: no answer to {what} (id {request_id}) within {int(timeout * 1000)} ms"
            ) from None
        except BaseException:
            self._requests.pop(request_id, None)
            self.protocol.forget(request_id)
            raise

    def stream_count(self) -> int:
        """Return the streams subscribed, being subscribed, or to be restored."""
        return len(self.protocol.subscriptions) + len(self._restore)

    def has_room(self, streams: list[str]) -> bool:
        """True when ``streams`` fit within ``max_streams`` on this connection."""
        states = self.protocol.subscriptions
        new = sum(1 for s in streams if states.state(s) is SubState.ABSENT)
        return self.stream_count() + new <= self.settings.max_streams

    async def subscribe(self, streams: list[str], timeout: float) -> None:
        """Subscribe the ``streams`` not yet (being) subscribed in one SUBSCRIBE; wait for ACKs.

        Uses ``SUBSCRIBE``. Raises:
            RequestTimeout: no ACK in time. BadRequest: the server refused a stream.
            NetworkError: the connection failed.
        """
        states = self.protocol.subscriptions
        need = [
            s
            for s in dict.fromkeys(streams)
            if states.state(s) is SubState.ABSENT and s not in self._subscribing
        ]
        pending: asyncio.Future[None] | None = None
        if need:
            pending = asyncio.get_running_loop().create_future()
            for s in need:
                self._subscribing[s] = pending
            # the exchange runs in a task the connection owns, so a caller that is cancelled
            # mid-way does not leave the server subscribed to a stream we think is absent
            task = asyncio.create_task(self._subscribe_now(need, pending, timeout))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            # our own SUBSCRIBE is bounded by the task's timeout and always settles
            await asyncio.shield(pending)
        await self._await_subscribes(streams, timeout)

    async def _await_subscribes(self, streams: list[str], timeout: float) -> None:
        """Wait (bounded) for the SUBSCRIBEs in flight for any of ``streams``."""
        futs = {id(f): f for s in streams if (f := self._subscribing.get(s)) is not None}
        for f in futs.values():
            try:
                async with asyncio.timeout(timeout):
                    await asyncio.shield(f)
            except TimeoutError:
                what = " ".join(streams)
                raise RequestTimeout(f"{self.url}: no ACK for SUBSCRIBE {what}") from None

    async def _subscribe_now(
        self, need: list[str], pending: asyncio.Future[None], timeout: float
    ) -> None:
        rid, text = self.protocol.subscribe(need)
        self.telemetry.emit("subscribe", self.url, text, request_id=rid, streams=need)
        try:
            await self._control(rid, text, timeout, f"SUBSCRIBE {' '.join(need)}")
        except asyncio.CancelledError:
            reject(pending, ConnectionClosed(f"{self.url}: closed while subscribing"))
            raise
        except BaseError as exc:
            reject(pending, exc)
        else:
            resolve(pending, None)
        finally:
            for s in need:
                if self._subscribing.get(s) is pending:
                    del self._subscribing[s]

    async def unsubscribe(self, streams: list[str], timeout: float) -> None:
        """Send ``UNSUBSCRIBE`` for ``streams`` and wait for the ACK; their waiters fail.

        Raises:
            UnsubscribeError: a stream is not subscribed on this connection.
        """
        states = self.protocol.subscriptions
        await self._await_subscribes(streams, timeout)
        missing = [
            s for s in streams if states.state(s) is not SubState.ACTIVE and s not in self._restore
        ]
        if missing:
            raise UnsubscribeError(f"{self.url}: {' '.join(missing)} is not subscribed")
        for s in streams:
            self.fail_waiters(s, UnsubscribeError(f"{s} was unwatched"))
            self.channels.pop(s, None)
        self._restore = [s for s in self._restore if s not in streams]
        active = [s for s in streams if states.state(s) is SubState.ACTIVE]
        if active:
            rid, text = self.protocol.unsubscribe(active)
            await self._control(rid, text, timeout, f"UNSUBSCRIBE {' '.join(active)}")

    async def list_subscriptions(self, timeout: float) -> list[str]:
        """Ask the server which streams this socket carries (``LIST_SUBSCRIPTIONS``)."""
        rid, text = self.protocol.list_subscriptions()
        ack = await self._control(rid, text, timeout, "LIST_SUBSCRIPTIONS")
        return list(ack.result or [])

    def waiter(self, streams: list[str]) -> asyncio.Future[str]:
        """Return a future for the next update of any of ``streams`` (its result names it)."""
        fut: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        for s in streams:
            self._waiters.setdefault(s, []).append(fut)
        return fut

    def drop_waiter(self, streams: list[str], fut: asyncio.Future[str]) -> None:
        """Forget a waiter (done or abandoned) under each of ``streams``."""
        for s in streams:
            waiters = self._waiters.get(s)
            if waiters and fut in waiters:
                waiters.remove(fut)
                if not waiters:
                    del self._waiters[s]

    def wake(self, stream: str) -> None:
        """Wake the waiters of ``stream`` (a book became synced outside the read loop)."""
        for fut in self._waiters.pop(stream, []):
            resolve(fut, stream)

    def fail_waiters(self, stream: str, err: BaseError) -> None:
        """Fail every waiter of ``stream`` with ``err``."""
        for fut in self._waiters.pop(stream, []):
            reject(fut, err)

    def info(self) -> dict[str, Any]:
        """Return the connection's state for inspection."""
        return {
            "url": self.url,
            "state": self.state,
            "subscriptions": self.protocol.subscriptions.snapshot(),
            "restoring": list(self._restore),
            "pending_requests": len(self._requests),
            "waiters": {s: len(w) for s, w in self._waiters.items() if w},
            "cache": {s: ch.size() for s, ch in self.channels.items()},
            "books": {
                s: {
                    "state": ch.sync.state.value,
                    "nonce": ch.sync.nonce,
                    "resyncs": ch.sync.resyncs,
                }
                for s, ch in self.channels.items()
                if isinstance(ch, BookChannel)
            },
            "messages_received": self.messages_received,
            "send_buffer": ws.write_buffer_size if (ws := self.supervisor.ws) else 0,
            "reconnects": self.reconnects,
            "handovers": self.handovers,
            "backoff": self.supervisor.last_delay,
            "close_reason": str(self.close_reason) if self.close_reason else None,
        }
