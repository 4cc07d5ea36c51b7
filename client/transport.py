"""A client WebSocket on an asyncio transport, driving :mod:`client.protocol.frames`.

Every frame of a TCP read is parsed and handed to ``on_message`` synchronously inside
``data_received``: no queue, no future and no task per message. Server pings are answered at
once; our own pings (every ``keepalive`` seconds) must be answered within ``keepalive_timeout``
or the peer is declared dead and the socket aborted with code 1011. The end of the socket is
reported once, as a :class:`~client.errors.ConnectionClosed` from :meth:`WebSocket.wait_closed`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
from collections.abc import Callable
from urllib.parse import urlsplit

from .errors import ConnectionClosed, NetworkError, RequestTimeout
from .protocol.frames import (
    BINARY,
    CLOSE,
    PING,
    PONG,
    TEXT,
    FrameParser,
    HandshakeError,
    ProtocolError,
    check_handshake,
    close_payload,
    encode_frame,
    handshake_request,
    new_key,
    parse_close,
)

__all__ = ["OnMessage", "WebSocket"]

log = logging.getLogger("client")

OnMessage = Callable[["WebSocket", bytes], None]
"""Called with the socket and the payload of every text or binary message."""


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
    ) -> None:
        self.url = url
        self.on_message = on_message
        self.keepalive = keepalive
        self.keepalive_timeout = keepalive_timeout
        self.parser = FrameParser(max_size)
        self.close_code: int | None = None
        self.close_reason = ""
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._transport: asyncio.Transport | None = None
        self._key = new_key()
        self._head = b""
        self._open: asyncio.Future[None] = loop.create_future()
        self._closed: asyncio.Future[ConnectionClosed] = loop.create_future()
        self._close_sent: tuple[int, str] | None = None
        self._close_rcvd: tuple[int, str] | None = None
        self._local_abort: tuple[int, str] | None = None
        self._pong = asyncio.Event()
        self._keepalive_task: asyncio.Task[None] | None = None
        self._writable = asyncio.Event()
        self._writable.set()

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
    ) -> WebSocket:
        """Open a WebSocket to ``url`` (``ws://`` or ``wss://``).

        Raises:
            RequestTimeout: no connection and handshake within ``open_timeout``.
            NetworkError: connection refused, TLS failure or a refused handshake.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("ws", "wss") or not parts.hostname:
            raise NetworkError(f"{url}: not a ws:// or wss:// URL")
        secure = parts.scheme == "wss"
        port = parts.port or (443 if secure else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self = cls(
            url, on_message, keepalive=keepalive, keepalive_timeout=keepalive_timeout,
            max_size=max_size,
        )  # fmt: skip
        try:
            async with asyncio.timeout(open_timeout):
                await self._loop.create_connection(
                    lambda: self,
                    parts.hostname,
                    port,
                    ssl=ssl.create_default_context() if secure else None,
                )
                assert self._transport is not None
                self._transport.write(handshake_request(parts.netloc, target, self._key))
                await asyncio.shield(self._open)
        except TimeoutError:
            self.abort()
            raise RequestTimeout(f"{url}: timed out opening the connection") from None
        except HandshakeError as exc:
            self.abort()
            raise NetworkError(f"{url}: {exc}") from exc
        except (OSError, ssl.SSLError) as exc:
            self.abort()
            raise NetworkError(f"{url}: {type(exc).__name__}: {exc}") from exc
        except ConnectionClosed as exc:
            raise NetworkError(f"{url}: closed during the handshake ({exc})") from exc
        if self.keepalive:
            self._keepalive_task = asyncio.create_task(
                self._keep_alive(), name=f"client.keepalive {url}"
            )
        return self

    # -- asyncio.Protocol --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport."""
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        """Finish the handshake, then parse frames and dispatch every message."""
        if not self._open.done():
            self._head += data
            end = self._head.find(b"\r\n\r\n")
            if end < 0:
                return
            head, data = self._head[:end], self._head[end + 4 :]
            self._head = b""
            try:
                check_handshake(head, self._key)
            except HandshakeError as exc:
                self._open.set_exception(exc)
                return
            self._open.set_result(None)
            if not data:
                return
        try:
            messages = self.parser.feed(data)
        except ProtocolError as exc:
            self._fail(1002, str(exc))
            return
        on_message = self.on_message
        for opcode, payload in messages:
            if opcode in (TEXT, BINARY):
                try:
                    on_message(self, payload)
                except Exception:  # a routing bug must not take the socket down
                    log.exception("%s: message handler failed", self.url)
            elif opcode == PING:
                self._write(encode_frame(PONG, payload))
            elif opcode == PONG:
                self._pong.set()
            elif opcode == CLOSE:
                self._close_rcvd = parse_close(payload)
                if self._close_sent is None:
                    self._close_sent = self._close_rcvd
                    self._write(encode_frame(CLOSE, payload[:2]))
                if self._transport is not None:
                    self._transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        """Report the end of the socket once, with its close code."""
        if self._close_rcvd is not None:
            code, reason = self._close_rcvd
        elif self._local_abort is not None:
            code, reason = self._local_abort
        else:
            code, reason = 1006, str(exc or "connection lost")
        self.close_code, self.close_reason = code, reason
        err = ConnectionClosed(
            f"{self.url}: connection closed (code {code}) {reason}".rstrip(), code=code,
            reason=reason,
        )  # fmt: skip
        if not self._open.done():
            self._open.set_exception(err)
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
        """Let senders go on."""
        self._writable.set()

    # -- use ---------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once the socket is closing or closed."""
        return self._closed.done() or self._close_sent is not None

    def _write(self, data: bytes) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(data)

    async def send(self, text: str) -> None:
        """Send a text message (waits while the transport's buffer is full).

        Raises:
            ConnectionClosed: the socket is closing or closed.
        """
        if self.closed:
            raise (
                self._closed.result()
                if self._closed.done()
                else ConnectionClosed(
                    f"{self.url}: closing", code=self._close_sent[0] if self._close_sent else None
                )
            )
        await self._writable.wait()
        self._write(encode_frame(TEXT, text.encode()))

    async def ping(self, payload: bytes = b"") -> None:
        """Send a ping (the pong is noted by the keepalive)."""
        self._write(encode_frame(PING, payload))

    async def close(self, code: int = 1000, reason: str = "", timeout: float = 2.0) -> None:
        """Start the closing handshake and wait (bounded) for the socket to end."""
        if self._closed.done():
            return
        if self._close_sent is None:
            self._close_sent = (code, reason)
            self._local_abort = (code, reason)
            self._write(encode_frame(CLOSE, close_payload(code, reason)))
        try:
            await asyncio.wait_for(asyncio.shield(self._closed), timeout)
        except TimeoutError:
            self.abort()
            await asyncio.shield(self._closed)

    def abort(self, code: int = 1006, reason: str = "aborted") -> None:
        """Drop the TCP connection at once."""
        if self._local_abort is None:
            self._local_abort = (code, reason)
        if self._transport is not None:
            self._transport.abort()

    def _fail(self, code: int, reason: str) -> None:
        self._local_abort = (code, reason)
        if self._close_sent is None:
            self._close_sent = (code, reason)
            self._write(encode_frame(CLOSE, close_payload(code, reason)))
        self.abort(code, reason)

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
