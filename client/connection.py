"""The asyncio adapter: supervised market-stream connections and WS API connections.

One read task per socket feeds the sans-I/O core (:mod:`client.protocol`) and routes each
event: ACKs and errors to the request that asked, stream data to the stream's channel and then
to its waiters. Keepalive, timeouts, reconnection with backoff, resubscription, the
``serverShutdown`` handover and control-message pacing live here and nowhere else. What the
socket layer raises (OSError, TLS errors, timeouts, a refused upgrade) reaches this module
already translated, by :func:`client.transport.translate_exception`, the one place that does it.

Every waiter gets a value or an exception: when a socket ends, pending requests and waiters fail
with :class:`~client.errors.ConnectionClosed`; a supervised connection then reconnects with
jittered backoff and re-subscribes every live stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import (
    BaseError,
    ConnectionClosed,
    RequestTimeout,
    UnsubscribeError,
    error_from_binance,
)
from .protocol.backoff import POLICY_DELAY, backoff, is_retryable, least_delay
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
from .protocol.ws_api import WsApiProtocol, WsApiResponse
from .telemetry import Telemetry
from .transport import OnMessage, WebSocket, translate_exception

__all__ = [
    "ConnectionSettings",
    "StreamConnection",
    "WsApiConnection",
    "translate_exception",
]

log = logging.getLogger("client")


@dataclass(frozen=True)
class ConnectionSettings:
    """Timers and limits of a connection (seconds; small values make tests fast).

    Attributes:
        open_timeout: bound on the TCP + WebSocket handshake.
        keepalive: interval of our pings (None: only answer the server's pings).
        keepalive_timeout: a peer that leaves a ping unanswered this long is dead; so a dead
            peer is detected within ``keepalive + keepalive_timeout``.
        reconnect: reconnect with backoff and re-subscribe after an unexpected close.
        backoff_initial, backoff_cap: the jittered exponential backoff between attempts.
        max_streams: streams per connection (Binance allows 1024).
        control_rate: Binance's limit of incoming frames per second on a stream connection (5
            on spot; JSON messages, pings and pongs all count). The pacer keeps one under it,
            evenly spaced, and charges our pings and pongs to the same budget.
        max_size: the largest message accepted; a bigger one fails the socket with 1009.
        policy_delay: the least pause before reconnecting after a 1008 close (Binance's
            message-rate rule) or a rate limit without ``Retry-After``.
    """

    open_timeout: float = 10.0
    keepalive: float | None = 20.0
    keepalive_timeout: float | None = 20.0
    reconnect: bool = True
    backoff_initial: float = 0.1
    backoff_cap: float = 30.0
    max_streams: int = 1024
    control_rate: float = 5.0
    max_size: int = 16 * 1024 * 1024
    policy_delay: float = POLICY_DELAY


async def _dial(
    url: str,
    settings: ConnectionSettings,
    on_message: OnMessage,
    pacer: _Pacer | None = None,
) -> WebSocket:
    """Open ``url`` (raises the client's errors only: the transport translates)."""
    return await WebSocket.connect(
        url,
        on_message,
        open_timeout=settings.open_timeout,
        keepalive=settings.keepalive,
        keepalive_timeout=settings.keepalive_timeout,
        max_size=settings.max_size,
        pacer=pacer,
    )


class _Pacer:
    """Space the frames we send on a connection evenly, under Binance's per-second limit.

    Binance counts every frame a client sends on a market-stream connection (JSON control
    messages, pings and pongs) and closes with 1008 above ``limit`` a second. JSON messages
    and our pings wait here, one at a time, until ``1 / (limit - 1)`` s after the previous
    frame; a pong, which must not wait, goes at once and counts as the previous frame. So any
    second holds at most ``limit - 1`` paced frames plus a pong that went in between: one of
    headroom for jitter. Spacing is measured when a waiter wakes, so a stalled loop does not
    release a burst.
    """

    def __init__(self, limit: float) -> None:
        self.interval = 1.0 / max(1.0, limit - 1)
        self._last = float("-inf")  # loop time of the last frame sent
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        """Wait until a frame may go (the caller sends it at once)."""
        async with self._lock:
            loop = asyncio.get_running_loop()
            delay = self._last + self.interval - loop.time()
            if delay > 0:
                # a rate limit, not a wait for an event: Binance disconnects above 5/s
                await asyncio.sleep(delay)
            self._last = loop.time()

    def charge(self) -> None:
        """Count a frame that went now without waiting (a pong)."""
        self._last = max(self._last, asyncio.get_running_loop().time())


def _resolve(fut: asyncio.Future[Any], value: Any) -> None:
    if not fut.done():
        fut.set_result(value)


def _reject(fut: asyncio.Future[Any], err: BaseException) -> None:
    if not fut.done():
        fut.set_exception(err)
        fut.exception()  # retrieved by whoever awaits; never "exception never retrieved"


class StreamConnection:
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
        self.state = "idle"
        self.messages_received = 0
        self.reconnects = 0
        self.handovers = 0
        self.close_reason: BaseError | None = None
        self._ws: WebSocket | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._kick = asyncio.Event()
        self._shutdown_notice = asyncio.Event()
        self._attempt: asyncio.Future[BaseError | None] | None = None
        self._stopped = False
        self._restore: list[str] = []
        self._requests: dict[int, asyncio.Future[Ack]] = {}
        self._subscribing: dict[str, asyncio.Future[None]] = {}
        self._waiters: dict[str, list[asyncio.Future[str]]] = {}
        self._pacer = _Pacer(self.settings.control_rate)
        self._tasks: set[asyncio.Task[None]] = set()
        self._hold: BaseError | None = None  # set while a pause the server imposed runs

    # -- lifecycle ---------------------------------------------------------------------------

    async def ensure_open(self) -> None:
        """Open the socket if it is not open (concurrent callers share one attempt).

        Raises:
            NetworkError: the connection could not be opened (or was closed by the client).
        """
        while self.state != "open":
            if self._stopped:
                raise self.close_reason or ConnectionClosed(f"{self.url}: closed by the client")
            if self._hold is not None:
                raise self._hold  # a ban or a 1008: fail now rather than wait it out
            if self._attempt is None or self._attempt.done():
                self._attempt = asyncio.get_running_loop().create_future()
            attempt = self._attempt
            if self._supervisor is None or self._supervisor.done():
                self._supervisor = asyncio.create_task(
                    self._supervise(), name=f"client.supervisor {self.url}"
                )
            self._kick.set()
            err = await asyncio.shield(attempt)
            if err is not None:
                raise err

    async def close(self, code: int = 1000) -> None:
        """Stop reconnecting, close the socket, and fail everything pending."""
        self._stopped = True
        ws, sup = self._ws, self._supervisor
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close(code=code)
        for task in [*self._tasks, *([sup] if sup is not None else [])]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._supervisor = None
        err = ConnectionClosed(f"{self.url}: closed by the client", code=code)
        self._drop(err)
        self._restore = []
        self.channels.clear()
        self.state = "closed"
        if self._attempt is not None:
            _resolve(self._attempt, err)

    def _publish_attempt(self, err: BaseError | None) -> None:
        if self._attempt is not None:
            _resolve(self._attempt, err)
            self._attempt = None

    async def _supervise(self) -> None:
        """Own the socket: dial, read, hand over on ``serverShutdown``, reconnect on loss."""
        delays = None
        first = self.reconnects == 0 and self.state == "idle"
        while not self._stopped:
            self.state = "connecting"
            try:
                ws = await _dial(self.url, self.settings, self._on_message, self._pacer)
            except BaseError as dial_err:
                self.state = "closed"
                self.close_reason = dial_err
                self.telemetry.emit("error", self.url, str(dial_err))
                self._publish_attempt(dial_err)
                if not (self.settings.reconnect and self._restore and is_retryable(dial_err)):
                    return
                delays = delays or self._backoff()
                await self._pause(next(delays), dial_err)
                continue
            delays = None
            self._ws, self.state, self.close_reason = ws, "open", None
            if first:
                self.telemetry.emit("connect", self.url)
                first = False
            else:
                self.reconnects += 1
                self.telemetry.emit("reconnect", self.url, f"reconnect #{self.reconnects}")
            self._publish_attempt(None)
            err = await self._run(ws)
            self._drop(err)
            if self._stopped:
                return
            if not (self.settings.reconnect and self._restore and is_retryable(err)):
                return
            delays = self._backoff()
            await self._pause(next(delays), err)

    def _backoff(self) -> Any:
        return backoff(self.settings.backoff_initial, self.settings.backoff_cap)

    async def _pause(self, delay: float, err: BaseError) -> None:
        """Wait ``delay`` before the next attempt, or less if someone asks to connect now.

        The server's ``Retry-After`` and the pause after a 1008 close (:func:`least_delay`)
        are waited out in full; callers asking to connect meanwhile get ``err`` at once.
        """
        floor = least_delay(err, self.settings.policy_delay)
        if floor > 0:
            self._hold = err
            try:
                await asyncio.sleep(floor)  # a delay the server imposed, not a wait for an event
            finally:
                self._hold = None
        self._kick.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._kick.wait(), max(0.0, delay - floor))

    async def _run(self, ws: WebSocket) -> BaseError:
        """Read ``ws`` (and its successors after a handover) until the link is lost."""
        reader = asyncio.create_task(self._read(ws), name=f"client.reader {self.url}")
        try:
            if self._restore:
                restore, self._restore = self._restore, []
                await self._restore_subscriptions(restore)
            while True:
                self._shutdown_notice.clear()
                notice = asyncio.create_task(self._shutdown_notice.wait())
                try:
                    await asyncio.wait({reader, notice}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    notice.cancel()
                if reader.done():
                    return reader.result()
                new = await self._handover(ws)
                if new is not None:
                    old_reader, ws = reader, new[0]
                    reader = new[1]
                    old_reader.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await old_reader
        finally:
            if not reader.done():
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader

    async def _restore_subscriptions(self, streams: list[str]) -> None:
        try:
            await self.subscribe(streams, self.settings.open_timeout)
        except BaseError as err:
            self.telemetry.emit("error", self.url, f"re-subscribe failed: {err}")
            return
        if self.on_resubscribed is not None:
            self.on_resubscribed(self, streams)

    async def _handover(self, old: WebSocket) -> tuple[WebSocket, asyncio.Task[BaseError]] | None:
        """Move every stream to a fresh socket before the announced shutdown drops ``old``."""
        self.telemetry.emit("reconnect", self.url, "serverShutdown: handing over")
        try:
            new = await _dial(self.url, self.settings, self._on_message, self._pacer)
        except BaseError as err:
            self.telemetry.emit("error", self.url, f"handover dial failed: {err}")
            return None
        reader = asyncio.create_task(self._read(new), name=f"client.reader {self.url}")
        active = self.protocol.subscriptions.live()
        try:
            if active:
                rid, text = self.protocol.resubscribe(active)
                await self._control(rid, text, self.settings.open_timeout, "SUBSCRIBE", ws=new)
        except BaseError as err:
            self.telemetry.emit("error", self.url, f"handover subscribe failed: {err}")
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
            await new.close()
            return None
        self._ws = new
        self.handovers += 1
        with contextlib.suppress(Exception):
            await old.close(1000)
        for ch in self.channels.values():
            ch.reset()
        if self.on_resubscribed is not None:
            self.on_resubscribed(self, active)
        return new, reader

    async def _read(self, ws: WebSocket) -> BaseError:
        """Wait until ``ws`` ends (its frames arrive through :meth:`_on_message`)."""
        return await ws.wait_closed()

    def _drop(self, err: BaseError) -> None:
        """The socket is gone: fail everything pending and remember what to restore."""
        was_open = self._ws is not None
        self._ws = None
        if self.state != "closed" or was_open:
            self.state = "closed"
            self.close_reason = err
        self._restore = [*self._restore, *self.protocol.reset()]
        for fut in list(self._requests.values()):
            _reject(fut, err)
        self._requests.clear()
        for sub in list(self._subscribing.values()):
            _reject(sub, err)
        self._subscribing.clear()
        for waiters in self._waiters.values():
            for w in waiters:
                _reject(w, err)
        self._waiters.clear()
        for ch in self.channels.values():
            ch.reset()
        if was_open:
            self.telemetry.emit("close", self.url, str(err))

    # -- routing -----------------------------------------------------------------------------

    def _on_message(self, ws: WebSocket, payload: bytes) -> None:
        """Route one message: data to its channel and waiters, answers to their requests."""
        self.messages_received += 1
        if self.telemetry.active:
            self.telemetry.emit("recv", self.url, payload.decode("utf-8", "replace"))
        event = self.protocol.receive(payload)
        if type(event) is StreamData:
            stream, data = event
            ch = self.channels.get(stream)
            if ch is not None and not ch.handle(data):
                return
            # the first message of a read batch wakes the waiters; the rest find none
            if self._waiters:
                for fut in self._waiters.pop(stream, ()):
                    if not fut.done():
                        fut.set_result(stream)
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
                _resolve(req, event)
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
            req = self._requests.pop(event.request_id, None) if event.request_id else None
            if req is not None:
                _reject(req, err)
            else:
                log.warning("%s: unmatched error from server: %s", self.url, event.msg)
        elif isinstance(event, ServerShutdown):
            self.telemetry.emit("error", self.url, "serverShutdown received")
            self._shutdown_notice.set()
        elif isinstance(event, Unparsed) and isinstance(event.raw, bytes):
            ws.reject_if_not_utf8(payload)  # not JSON: fail with 1007 if not even UTF-8

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
            await self._pacer.wait()
            sock = ws or self._ws
            if sock is None:
                raise self.close_reason or ConnectionClosed(f"{self.url}: not connected")
            self.telemetry.emit("send", self.url, text)
            await sock.send(text)
            async with asyncio.timeout(timeout):
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
            _reject(pending, ConnectionClosed(f"{self.url}: closed while subscribing"))
            raise
        except BaseError as exc:
            _reject(pending, exc)
        else:
            _resolve(pending, None)
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
            _resolve(fut, stream)

    def fail_waiters(self, stream: str, err: BaseError) -> None:
        """Fail every waiter of ``stream`` with ``err``."""
        for fut in self._waiters.pop(stream, []):
            _reject(fut, err)

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
            "reconnects": self.reconnects,
            "handovers": self.handovers,
            "close_reason": str(self.close_reason) if self.close_reason else None,
        }


class WsApiConnection:
    """A WebSocket API connection (``/ws-api/v3``, ``/ws-fapi/v1``): requests matched by id.

    It opens lazily on the first request. When it drops, pending requests fail with
    ConnectionClosed and the next request dials again. On ``serverShutdown`` new requests go
    to a fresh socket while the old one finishes its pending answers.
    """

    def __init__(
        self, url: str, telemetry: Telemetry, settings: ConnectionSettings | None = None
    ) -> None:
        self.url = url
        self.telemetry = telemetry
        self.settings = settings or ConnectionSettings()
        self.protocol = WsApiProtocol()
        self.state = "idle"
        self.reconnects = 0
        self.close_reason: BaseError | None = None
        self._ws: WebSocket | None = None
        self._lock = asyncio.Lock()
        self._requests: dict[str, tuple[asyncio.Future[WsApiResponse], WebSocket]] = {}
        self._readers: dict[WebSocket, asyncio.Task[None]] = {}
        self._stopped = False
        self._connected_once = False

    async def ensure_open(self) -> WebSocket:
        """Return the open socket, dialing one if needed."""
        async with self._lock:
            if self._stopped:
                raise ConnectionClosed(f"{self.url}: closed by the client")
            if self._ws is not None:
                return self._ws
            self.state = "connecting"
            try:
                ws = await _dial(self.url, self.settings, self._on_message)
            except BaseError as err:
                self.state, self.close_reason = "closed", err
                self.telemetry.emit("error", self.url, str(err))
                raise
            if self._connected_once:
                self.reconnects += 1
            self._connected_once = True
            self._ws, self.state = ws, "open"
            self.telemetry.emit("connect", self.url)
            self._readers[ws] = asyncio.create_task(self._read(ws), name=f"client.wsapi {self.url}")
            return ws

    async def request(self, method: str, params: Mapping[str, Any] | None, timeout: float) -> Any:
        """Send one request and return its ``result``.

        Raises:
            RequestTimeout: no answer in time. ExchangeError subclasses: Binance refused it.
            NetworkError: the connection failed.
        """
        ws = await self.ensure_open()
        rid, text = self.protocol.request(method, params)
        fut: asyncio.Future[WsApiResponse] = asyncio.get_running_loop().create_future()
        self._requests[rid] = (fut, ws)
        try:
            self.telemetry.emit("send", self.url, text)
            await ws.send(text)
            async with asyncio.timeout(timeout):
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

    def _retire_if_idle(self, ws: WebSocket) -> None:
        if ws is not self._ws and not any(w is ws for _, w in self._requests.values()):
            task = self._readers.get(ws)
            if task is not None:
                task.cancel()

    def _on_message(self, ws: WebSocket, payload: bytes) -> None:
        if self.telemetry.active:
            self.telemetry.emit("recv", self.url, payload.decode("utf-8", "replace"))
        event = self.protocol.receive(payload)
        if isinstance(event, WsApiResponse):
            entry = self._requests.get(event.request_id)
            if entry is not None:
                _resolve(entry[0], event)
        elif event is None:
            ws.reject_if_not_utf8(payload)
        elif ws is self._ws:
            self.telemetry.emit("reconnect", self.url, "serverShutdown: new socket")
            self._ws = None  # the next request dials a fresh socket
            self._retire_if_idle(ws)

    async def _read(self, ws: WebSocket) -> None:
        """Wait until ``ws`` ends, then fail its pending requests."""
        try:
            err: BaseError = await ws.wait_closed()
        except asyncio.CancelledError:
            await ws.close()
            self._fail(ws, ConnectionClosed(f"{self.url}: socket retired"))
            self._readers.pop(ws, None)
            raise
        self._fail(ws, err)
        self._readers.pop(ws, None)

    def _fail(self, ws: WebSocket, err: BaseError) -> None:
        for rid, (fut, w) in list(self._requests.items()):
            if w is ws:
                _reject(fut, err)
                self._requests.pop(rid, None)
        if ws is self._ws:
            self._ws, self.state, self.close_reason = None, "closed", err
            self.telemetry.emit("close", self.url, str(err))

    async def close(self) -> None:
        """Close every socket and fail pending requests."""
        self._stopped = True
        for ws, task in list(self._readers.items()):
            with contextlib.suppress(Exception):
                await ws.close()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._readers.clear()
        self._ws, self.state = None, "closed"

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
            "close_reason": str(self.close_reason) if self.close_reason else None,
        }
