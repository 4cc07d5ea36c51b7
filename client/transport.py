"""A client WebSocket on an asyncio transport, driving :mod:`client.protocol.frames`.

Every frame of a TCP read is parsed and handed to ``on_message`` synchronously inside
``data_received``: no queue, no future and no task per message. Server pings are answered at
once (while the send buffer is full, only the latest, when it drains: a peer that pings but does
not read cannot grow our memory); our own pings (every ``keepalive`` seconds) must be answered
within ``keepalive_timeout`` or the peer is declared dead and the socket aborted. The end of
the socket is reported once, as a :class:`~client.errors.ConnectionClosed` from
:meth:`WebSocket.wait_closed` whose ``code`` is the one the server sent (1006 if none came) and
``sent_code`` ours.

:func:`translate_exception` is the one place where what the socket layer raises (``OSError``,
TLS errors, timeouts, a refused upgrade) becomes the client's error tree.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import ssl
from collections.abc import Callable
from typing import Protocol, cast
from urllib.parse import urlsplit

import orjson

from .errors import BaseError, ConnectionClosed, NetworkError, RequestTimeout, error_from_binance
from .protocol.frames import (
    BINARY,
    CLOSE,
    PING,
    PONG,
    TEXT,
    FrameParser,
    HandshakeError,
    HandshakeReader,
    ProtocolError,
    close_payload,
    encode_frame,
    handshake_request,
    host_header,
    new_key,
    parse_close,
)
from .telemetry import RateLimitedLog

__all__ = ["OnMessage", "Pacer", "WebSocket", "translate_exception"]

log = logging.getLogger("client")

OnMessage = Callable[["WebSocket", bytes], None]
"""Called with the socket and the payload of every text or binary message."""

HAPPY_EYEBALLS_DELAY = 0.25
"""Seconds before racing the next address of a host (RFC 8305)."""


class Pacer(Protocol):
    """The budget of frames we may send per second on a connection (Binance counts pings and
    pongs with JSON messages)."""

    async def wait(self) -> None:
        """Wait for a slot, then take it."""

    def charge(self) -> None:
        """Take a slot now for a frame that cannot wait (a pong)."""


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # loading the CA store costs milliseconds: do it once, not per dial
    return ssl.create_default_context()


def translate_exception(exc: BaseException, url: str) -> BaseError:
    """Map what the socket layer raised while opening ``url`` to the client's tree.

    A refused upgrade goes through :func:`~client.errors.error_from_binance` with its HTTP
    status, Binance's JSON ``code``/``msg`` from the body and its ``Retry-After``: 429 is
    :class:`~client.errors.RateLimitExceeded`, 418 :class:`~client.errors.DDoSProtection`,
    5xx :class:`~client.errors.ExchangeNotAvailable`.
    """
    if isinstance(exc, BaseError):
        return exc
    if isinstance(exc, HandshakeError):
        if exc.status in (0, 101):  # not a refusal: a 101 that breaks RFC 6455, or no HTTP
            return NetworkError(f"{url}: {exc}")
        code: object = None
        msg: object = exc.body.decode("utf-8", "replace")[:200]
        try:
            body = orjson.loads(exc.body)
        except orjson.JSONDecodeError:
            body = None
        if isinstance(body, dict):
            code, msg = body.get("code"), body.get("msg", msg)
        return error_from_binance(
            code,
            msg,
            status=exc.status,
            context=f"{url}: handshake refused with HTTP {exc.status}",
            retry_after=exc.retry_after,
        )
    if isinstance(exc, TimeoutError):
        return RequestTimeout(f"{url}: timed out opening the connection")
    return NetworkError(f"{url}: {type(exc).__name__}: {exc}")


class WebSocket(asyncio.Protocol):
    """One client WebSocket. Open it with :meth:`connect`."""

    def __init__(
        self,
        url: str,
        on_message: OnMessage,
        *,
        keepalive: float | None,
        keepalive_timeout: float | None,
        max_size: int,
        pacer: Pacer | None = None,
    ) -> None:
        self.url = url
        self.on_message = on_message
        self.keepalive = keepalive
        self.keepalive_timeout = keepalive_timeout
        self.pacer = pacer
        self.parser = FrameParser(max_size)
        self.close_code: int | None = None
        self.close_reason = ""
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._transport: asyncio.Transport | None = None
        self._key = new_key()
        self._handshake: HandshakeReader | None = HandshakeReader(self._key)
        self._open: asyncio.Future[None] = loop.create_future()
        self._closed: asyncio.Future[ConnectionClosed] = loop.create_future()
        self._close_sent: tuple[int, str] | None = None
        self._close_rcvd: tuple[int, str] | None = None
        self._local_reason: str | None = None  # why we ended it (keepalive, protocol error)
        self._batch: list[bytes | tuple[int, bytes]] = []
        self._binary = False
        self._pong = asyncio.Event()
        self._keepalive_task: asyncio.Task[None] | None = None
        self._writable = asyncio.Event()
        self._writable.set()
        self._log = RateLimitedLog(log)
        self._held_pong: bytes | None = None  # the latest ping's payload while writing is paused

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    async def connect(
        cls,
        url: str,
        on_message: OnMessage,
        *,
        open_timeout: float,
        keepalive: float | None = None,
        keepalive_timeout: float | None = None,
        max_size: int = 16 * 1024 * 1024,
        pacer: Pacer | None = None,
        label: str | None = None,
    ) -> WebSocket:
        """Open a WebSocket to ``url`` (``ws://`` or ``wss://``).

        The socket is aborted if anything, cancellation included, interrupts the opening.
        ``label`` names the socket in errors, logs and :attr:`url` instead of ``url`` (a URL
        that carries a listen key is dialled, never shown).

        Raises:
            RequestTimeout: no connection and handshake within ``open_timeout``.
            RateLimitExceeded, DDoSProtection, ExchangeNotAvailable, ExchangeError: the server
                refused the upgrade (HTTP 429, 418, 5xx, other).
            ConnectionClosed: the server closed the socket during the handshake.
            NetworkError: not a WebSocket URL, connection refused, TLS failure, or a 101
                that is not a valid WebSocket answer.
        """
        self: WebSocket | None = None
        ok = False
        name = label or url
        try:
            parts = urlsplit(url)
            if parts.scheme not in ("ws", "wss") or not parts.hostname:
                raise NetworkError(f"{name}: not a ws:// or wss:// URL")
            secure = parts.scheme == "wss"
            port = parts.port or (443 if secure else 80)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            self = cls(
                name, on_message, keepalive=keepalive, keepalive_timeout=keepalive_timeout,
                max_size=max_size, pacer=pacer,
            )  # fmt: skip
            try:
                async with asyncio.timeout(open_timeout):
                    await self._loop.create_connection(
                        lambda: self,
                        parts.hostname,
                        port,
                        ssl=_ssl_context() if secure else None,
                        happy_eyeballs_delay=HAPPY_EYEBALLS_DELAY,
                    )
                    assert self._transport is not None
                    host = host_header(parts.hostname, parts.port, secure)
                    self._transport.write(handshake_request(host, target, self._key))
                    await asyncio.shield(self._open)
            except TimeoutError:
                # a refusal whose body never ended is still a refusal
                refusal = self._handshake.refusal if self._handshake is not None else None
                if refusal is None:
                    raise
                raise refusal from None
            ok = True
        except ConnectionClosed as exc:
            raise ConnectionClosed(
                f"{name}: closed during the handshake ({exc})", code=exc.code, reason=exc.reason
            ) from exc
        except Exception as exc:
            raise translate_exception(exc, name) from exc
        finally:
            if not ok and self is not None:
                self.abort()
        if self.keepalive:
            self._keepalive_task = asyncio.create_task(
                self._keep_alive(), name=f"client.keepalive {name}"
            )
        return self

    # -- asyncio.Protocol --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport."""
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        """Finish the handshake, then parse frames and dispatch every message."""
        hs = self._handshake
        if hs is not None:
            if self._open.done():
                return  # after a refusal: HTTP, not frames
            try:
                rest = hs.feed(data)
            except HandshakeError as exc:
                self._open.set_exception(exc)
                self._open.exception()  # connect() raises it; never "never retrieved"
                return
            if rest is None:
                return
            self._handshake = None
            self._open.set_result(None)
            if not rest:
                return
            data = rest
        try:
            messages = self.parser.messages(data)
        except ProtocolError as exc:
            self._fail(exc.code, str(exc))
            return
        self._batch = messages  # _fail empties it: nothing after a failure is dispatched
        on_message = self.on_message
        for message in messages:
            if type(message) is bytes:  # a text message
                try:
                    on_message(self, message)
                except Exception:  # a routing bug must not take the socket down
                    self._log.exception("handler", "%s: message handler failed", self.url)
                continue
            opcode, payload = cast("tuple[int, bytes]", message)
            if opcode == BINARY:
                self._binary = True
                try:
                    on_message(self, payload)
                except Exception:
                    self._log.exception("handler", "%s: message handler failed", self.url)
                finally:
                    self._binary = False
            elif opcode == PING:
                self._pong_to(payload)
            elif opcode == PONG:
                self._pong.set()
            elif opcode == CLOSE:
                self._on_close_frame(payload)
                break

    def _on_close_frame(self, payload: bytes) -> None:
        try:
            self._close_rcvd = parse_close(payload)
        except ProtocolError as exc:
            self._fail(exc.code, str(exc))
            return
        if self._close_sent is None:
            self._close_sent = self._close_rcvd
            self._write(encode_frame(CLOSE, payload[:2]))
        if self._transport is not None:
            self._transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        """Report the end of the socket once: the code received (or 1006) and the code sent."""
        if self._close_rcvd is not None:
            code, reason = self._close_rcvd
        else:
            code, reason = 1006, self._local_reason or str(exc or "connection lost")
        sent = self._close_sent[0] if self._close_sent is not None else None
        self.close_code, self.close_reason = code, reason
        text = f"{self.url}: connection closed (code {code}) {reason}".rstrip()
        if sent is not None and sent != code:
            text += f" (we sent {sent})"
        err = ConnectionClosed(text, code=code, reason=reason, sent_code=sent)
        if not self._open.done():
            refusal = self._handshake.eof() if self._handshake is not None else None
            self._open.set_exception(refusal or err)
            self._open.exception()
        if not self._closed.done():
            self._closed.set_result(err)
        self._writable.set()
        if self._keepalive_task is not None:
            self._keepalive_task.cancel()

    def pause_writing(self) -> None:
        """Hold senders while the transport's buffer is full."""
        self._writable.clear()

    def resume_writing(self) -> None:
        """Let senders go on; send the pong held while paused."""
        self._writable.set()
        held, self._held_pong = self._held_pong, None
        if held is not None:
            self._pong_to(held)

    def _pong_to(self, payload: bytes) -> None:
        """Answer a ping; while writing is paused keep only the latest one's pong (RFC 6455
        5.5.3), so a peer that pings but does not read cannot grow our buffer."""
        if not self._writable.is_set():
            self._held_pong = payload
            return
        if self.pacer is not None:
            self.pacer.charge()
        self._write(encode_frame(PONG, payload))

    # -- use ---------------------------------------------------------------------------------

    @property
    def writing_paused(self) -> bool:
        """True while the transport's send buffer is over its high-water mark."""
        return not self._writable.is_set()

    @property
    def write_buffer_size(self) -> int:
        """Bytes written but not yet handed to the socket."""
        t = self._transport
        return t.get_write_buffer_size() if t is not None else 0

    @property
    def closed(self) -> bool:
        """True once the socket is closing or closed."""
        t = self._transport
        return self._closed.done() or self._close_sent is not None or t is None or t.is_closing()

    def _closing_error(self) -> ConnectionClosed:
        if self._closed.done():
            return self._closed.result()
        rcvd = self._close_rcvd[0] if self._close_rcvd is not None else None
        sent = self._close_sent[0] if self._close_sent is not None else None
        return ConnectionClosed(f"{self.url}: closing", code=rcvd, sent_code=sent)

    def _write(self, data: bytes) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(data)

    async def send(self, text: str) -> None:
        """Send a text message (waits while the transport's buffer is full: callers bound the
        wait with their timeout).

        Raises:
            ConnectionClosed: the socket is closing or closed (before or while waiting).
        """
        if self.closed:
            raise self._closing_error()
        if not self._writable.is_set():
            await self._writable.wait()
            if self.closed:
                raise self._closing_error()
        assert self._transport is not None
        self._transport.write(encode_frame(TEXT, text.encode()))

    async def ping(self, payload: bytes = b"") -> None:
        """Send a ping (the pong is noted by the keepalive); paced when a pacer is set.

        While writing is paused no ping is queued: a peer that does not read will not answer
        it either, and the keepalive timeout then ends the connection.
        """
        if self.pacer is not None:
            await self.pacer.wait()
        if self._writable.is_set():
            self._write(encode_frame(PING, payload))

    async def close(self, code: int = 1000, reason: str = "", timeout: float = 2.0) -> None:
        """Start the closing handshake and wait (bounded) for the socket to end.

        Raises:
            ValueError: ``code`` may not be sent (1004, 1006, 1015, ...).
        """
        body = close_payload(code, reason)
        if self._closed.done():
            return
        if self._close_sent is None:
            self._close_sent = (code, reason)
            self._write(encode_frame(CLOSE, body))
        try:
            await asyncio.wait_for(asyncio.shield(self._closed), timeout)
        except TimeoutError:
            self.abort(f"no answer to our close ({code}) within {timeout} s")
            await asyncio.shield(self._closed)

    def abort(self, reason: str = "aborted") -> None:
        """Drop the TCP connection at once (the end reports code 1006)."""
        if self._local_reason is None:
            self._local_reason = reason
        if self._transport is not None:
            self._transport.abort()

    def _fail(self, code: int, reason: str) -> None:
        """Fail the connection (RFC 6455 7.1.7): send ``code`` if we can, then drop it."""
        self._batch.clear()
        self._local_reason = reason
        if self._close_sent is None:
            self._close_sent = (code, reason)
            self._write(encode_frame(CLOSE, close_payload(code, reason)))
        self.abort(reason)

    def reject_if_not_utf8(self, payload: bytes) -> None:
        """Fail with 1007 when ``payload``, a message its consumer could not decode, is text
        that is not UTF-8 (RFC 6455 8.1); called only off the hot path, after a JSON error."""
        if self._binary:
            return
        try:
            payload.decode()
        except UnicodeDecodeError:
            self._fail(1007, "text message is not UTF-8")

    async def wait_closed(self) -> ConnectionClosed:
        """Wait until the socket has ended; return the error that describes the end."""
        return await asyncio.shield(self._closed)

    async def _keep_alive(self) -> None:
        """Ping every ``keepalive`` seconds; a pong must come within ``keepalive_timeout``."""
        assert self.keepalive is not None
        while not self.closed:
            await asyncio.sleep(self.keepalive)  # a timer, not a wait for something
            self._pong.clear()
            await self.ping(os.urandom(4))
            if self.keepalive_timeout is None:
                continue
            try:
                await asyncio.wait_for(self._pong.wait(), self.keepalive_timeout)
            except TimeoutError:
                self._fail(1011, "keepalive ping timeout")
                return
