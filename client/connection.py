"""The asyncio adapter for one market-stream connection.

One read task per connection feeds :class:`~client.protocol.StreamProtocol` and routes each
event: ACKs and errors to the request that asked, stream data to the waiters of that stream.
Foreign exceptions (websockets, OSError, timeouts) are translated to the client's errors here
and nowhere else. When the socket ends, every pending request and waiter fails with
:class:`~client.errors.ConnectionClosed`: nobody is left waiting in silence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection, connect

from .errors import (
    BaseError,
    ConnectionClosed,
    NetworkError,
    RequestTimeout,
    UnsubscribeError,
    error_from_binance,
)
from .protocol.stream_protocol import Ack, ControlError, StreamData, StreamProtocol
from .protocol.subscriptions import SubState
from .telemetry import Telemetry

__all__ = ["StreamConnection", "translate_exception"]

log = logging.getLogger("client")


def translate_exception(exc: BaseException, url: str) -> BaseError:
    """Map a foreign exception from the socket layer to the client's tree."""
    if isinstance(exc, BaseError):
        return exc
    if isinstance(exc, websockets.ConnectionClosed):
        rcvd = exc.rcvd
        code = rcvd.code if rcvd is not None else None
        reason = rcvd.reason if rcvd is not None else ""
        return ConnectionClosed(
            f"{url}: connection closed (code {code}) {reason}".rstrip(), code=code, reason=reason
        )
    if isinstance(exc, TimeoutError):
        return RequestTimeout(f"{url}: timed out opening the connection")
    if isinstance(exc, websockets.InvalidStatus):
        return NetworkError(f"{url}: handshake refused with HTTP {exc.response.status_code}")
    return NetworkError(f"{url}: {type(exc).__name__}: {exc}")


class StreamConnection:
    """A supervised market-stream WebSocket shared by every watch on its URL."""

    def __init__(
        self,
        url: str,
        telemetry: Telemetry,
        *,
        open_timeout: float = 10.0,
        ping_interval: float | None = 20.0,
        ping_timeout: float | None = 20.0,
    ) -> None:
        self.url = url
        self.telemetry = telemetry
        self.open_timeout = open_timeout
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.protocol = StreamProtocol()
        self.state = "idle"
        self.messages_received = 0
        self.reconnects = 0
        self.close_reason: BaseError | None = None
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._open_lock = asyncio.Lock()
        self._requests: dict[int, asyncio.Future[Ack]] = {}
        self._subscribing: dict[str, asyncio.Future[None]] = {}
        self._waiters: dict[str, list[asyncio.Future[Any]]] = {}
        self.last: dict[str, Any] = {}

    # -- lifecycle ---------------------------------------------------------------------------

    async def ensure_open(self) -> None:
        """Open the socket if it is not open (concurrent callers share one attempt).

        Raises:
            NetworkError: the connection could not be opened.
        """
        async with self._open_lock:
            if self.state == "open":
                return
            self.state = "connecting"
            try:
                self._ws = await connect(
                    self.url,
                    open_timeout=self.open_timeout,
                    ping_interval=self.ping_interval,
                    ping_timeout=self.ping_timeout,
                    max_size=16 * 1024 * 1024,
                    compression=None,
                )
            except Exception as exc:
                self.state = "closed"
                err = translate_exception(exc, self.url)
                self.telemetry.emit("error", self.url, str(err))
                raise err from exc
            self.state = "open"
            self.close_reason = None
            self.telemetry.emit("connect", self.url)
            self._reader = asyncio.create_task(self._read_loop(), name=f"client.reader {self.url}")

    async def close(self, code: int = 1000) -> None:
        """Close the socket and fail everything pending with ConnectionClosed."""
        ws, reader = self._ws, self._reader
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close(code=code)
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        self._shutdown(ConnectionClosed(f"{self.url}: closed by the client", code=code))

    def _shutdown(self, err: BaseError) -> None:
        if self.state == "closed" and self._ws is None:
            return
        self.state = "closed"
        self._ws = None
        self._reader = None
        self.close_reason = err
        self.protocol.reset()
        for fut in list(self._requests.values()):
            if not fut.done():
                fut.set_exception(err)
        self._requests.clear()
        for sub in list(self._subscribing.values()):
            if not sub.done():
                sub.set_exception(err)
        self._subscribing.clear()
        for waiters in self._waiters.values():
            for fut in waiters:
                if not fut.done():
                    fut.set_exception(err)
        self._waiters.clear()
        self.telemetry.emit("close", self.url, str(err))

    async def _read_loop(self) -> None:
        ws = self._ws
        assert ws is not None
        err: BaseError
        try:
            async for frame in ws:
                self.messages_received += 1
                if self.telemetry.active:
                    self.telemetry.emit(
                        "recv", self.url, frame if isinstance(frame, str) else "<binary>"
                    )
                self._on_event(frame)
            code, reason = ws.close_code, ws.close_reason or ""
            err = ConnectionClosed(
                f"{self.url}: connection closed (code {code}) {reason}".rstrip(),
                code=code,
                reason=reason,
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            err = translate_exception(exc, self.url)
        self._shutdown(err)

    # -- routing -----------------------------------------------------------------------------

    def _on_event(self, frame: str | bytes) -> None:
        event = self.protocol.receive(frame)
        if isinstance(event, StreamData):
            self.last[event.stream] = event.data
            waiters = self._waiters.pop(event.stream, None)
            if waiters:
                for fut in waiters:
                    if not fut.done():
                        fut.set_result(event.data)
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
            if req is not None and not req.done():
                req.set_result(event)
        elif isinstance(event, ControlError):
            self.telemetry.emit(
                "error",
                self.url,
                event.msg,
                request_id=event.request_id,
                code=event.code,
                method=event.method,
            )
            err = error_from_binance(
                event.code, event.msg, context=f"{event.method} {list(event.streams)}"
            )
            if event.request_id is not None:
                req = self._requests.pop(event.request_id, None)
                if req is not None and not req.done():
                    req.set_exception(err)
                    return
            log.warning("%s: unmatched error from server: %s", self.url, event.msg)

    # -- requests ----------------------------------------------------------------------------

    async def _send(self, text: str) -> None:
        ws = self._ws
        if ws is None or self.state != "open":
            raise self.close_reason or ConnectionClosed(f"{self.url}: not connected")
        self.telemetry.emit("send", self.url, text)
        try:
            await ws.send(text)
        except Exception as exc:
            raise translate_exception(exc, self.url) from exc

    async def _control(self, request_id: int, text: str, timeout: float, what: str) -> Ack:
        fut: asyncio.Future[Ack] = asyncio.get_running_loop().create_future()
        self._requests[request_id] = fut
        try:
            await self._send(text)
            return await asyncio.wait_for(asyncio.shield(fut), timeout)
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

    async def subscribe(self, stream: str, timeout: float) -> None:
        """Subscribe ``stream`` unless it is already (being) subscribed; wait for the ACK.

        Raises:
            RequestTimeout: no ACK in time. BadRequest: the server refused the stream.
            NetworkError: the connection failed.
        """
        state = self.protocol.subscriptions.state(stream)
        if state is SubState.ACTIVE:
            return
        pending = self._subscribing.get(stream)
        if pending is None:
            pending = asyncio.get_running_loop().create_future()
            self._subscribing[stream] = pending
            rid, text = self.protocol.subscribe([stream])
            self.telemetry.emit("subscribe", self.url, text, request_id=rid, streams=[stream])
            try:
                await self._control(rid, text, timeout, f"SUBSCRIBE {stream}")
            except BaseException as exc:
                self._subscribing.pop(stream, None)
                if not pending.done():
                    pending.set_exception(
                        exc if isinstance(exc, Exception) else ConnectionClosed("cancelled")
                    )
                    pending.exception()  # mark retrieved: the error is raised to this caller
                raise
            self._subscribing.pop(stream, None)
            if not pending.done():
                pending.set_result(None)
            return
        await asyncio.wait_for(asyncio.shield(pending), timeout)

    async def unsubscribe(self, stream: str, timeout: float) -> None:
        """Unsubscribe ``stream`` and wait for the ACK; its waiters fail with UnsubscribeError.

        Raises:
            UnsubscribeError: the stream is not subscribed on this connection.
        """
        if self.protocol.subscriptions.state(stream) is not SubState.ACTIVE:
            raise UnsubscribeError(f"{self.url}: {stream} is not subscribed")
        self.fail_waiters(stream, UnsubscribeError(f"{stream} was unwatched"))
        rid, text = self.protocol.unsubscribe([stream])
        await self._control(rid, text, timeout, f"UNSUBSCRIBE {stream}")
        self.last.pop(stream, None)

    def next_data(self, stream: str) -> asyncio.Future[Any]:
        """Return a future for the next event of ``stream`` (register before subscribing)."""
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(stream, []).append(fut)
        return fut

    def drop_waiter(self, stream: str, fut: asyncio.Future[Any]) -> None:
        """Forget a waiter that its caller gave up on."""
        waiters = self._waiters.get(stream)
        if waiters and fut in waiters:
            waiters.remove(fut)
            if not waiters:
                del self._waiters[stream]

    def fail_waiters(self, stream: str, err: BaseError) -> None:
        """Fail every waiter of ``stream`` with ``err``."""
        for fut in self._waiters.pop(stream, []):
            if not fut.done():
                fut.set_exception(err)

    def info(self) -> dict[str, Any]:
        """Return the connection's state for inspection."""
        return {
            "url": self.url,
            "state": self.state,
            "subscriptions": self.protocol.subscriptions.snapshot(),
            "pending_requests": len(self._requests),
            "waiters": {s: len(w) for s, w in self._waiters.items() if w},
            "cache": {"streams": len(self.last)},
            "messages_received": self.messages_received,
            "reconnects": self.reconnects,
            "close_reason": str(self.close_reason) if self.close_reason else None,
        }
