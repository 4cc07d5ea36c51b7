"""The asyncio WebSocket transport over loopback (and a fake transport for exact reads):
cancellation, refused upgrades mapped to Binance errors, RFC 6455 violations failed with the
right close code, close codes kept apart by direction, and the handshake's edges."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from typing import Any

import orjson
import pytest

from client.errors import (
    ConnectionClosed,
    DDoSProtection,
    ExchangeNotAvailable,
    NetworkError,
    RateLimitExceeded,
)
from client.protocol.frames import BINARY, CLOSE, PING, TEXT, HandshakeError, parse_close
from client.transport import WebSocket

from .conftest import Serve
from .test_frames import server_frame, unmask
from .test_frames_hardening import BAN_BODY, LIMIT_BODY, refusal
from .test_transport import accept, read_frame


def drop(_ws: WebSocket, _payload: bytes) -> None:
    """Ignore a message."""


def accept_key(head: bytes) -> bytes:
    """Return the Sec-WebSocket-Accept for the request head ``head``."""
    key = next(
        x.split(b":", 1)[1].strip()
        for x in head.split(b"\r\n")
        if x.lower().startswith(b"sec-websocket-key")
    )
    return base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())


class FakeTransport(asyncio.Transport):
    """Records what the protocol writes, for feeding reads by hand."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Record one write."""
        self.written.append(bytes(data))

    def is_closing(self) -> bool:
        """True after close() or abort()."""
        return self.closing

    def close(self) -> None:
        """Start closing."""
        self.closing = True

    def abort(self) -> None:
        """Drop at once."""
        self.closing = True


async def fed(key: str | None = None) -> tuple[WebSocket, FakeTransport, list[bytes]]:
    """Return a socket mid-handshake on a fake transport, and the list its messages go to."""
    got: list[bytes] = []
    ws = WebSocket(
        "ws://h/x", lambda _ws, p: got.append(p), keepalive=None, keepalive_timeout=None,
        max_size=1 << 20,
    )  # fmt: skip
    t = FakeTransport()
    ws.connection_made(t)
    return ws, t, got


def good_head(ws: WebSocket) -> bytes:
    """Return a valid 101 head for ``ws``'s key."""
    acc = accept_key(b"Sec-WebSocket-Key: " + ws._key.encode())
    return (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + acc + b"\r\n\r\n"
    )


async def test_cancelled_connect_closes_the_socket(serve: Serve) -> None:
    """Cancelling connect() while the server delays the 101 closes the TCP connection."""
    asked = asyncio.Event()
    eof = asyncio.get_running_loop().create_future()

    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        asked.set()
        eof.set_result(await reader.read())  # b"" once the client drops the socket

    task = asyncio.ensure_future(WebSocket.connect(await serve(slow), drop, open_timeout=5))
    await asyncio.wait_for(asked.wait(), 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.wait_for(eof, 2) == b""


@pytest.mark.parametrize(
    ("status", "reason", "body", "extra", "cls", "retry_after"),
    [
        (418, "I'm a teapot", BAN_BODY, "Retry-After: 120\r\n", DDoSProtection, 120.0),
        (429, "Too Many Requests", LIMIT_BODY, "Retry-After: 7\r\n", RateLimitExceeded, 7.0),
        (503, "Service Unavailable", b"", "", ExchangeNotAvailable, None),
    ],
    ids=["418", "429", "503"],
)
async def test_refused_upgrade_maps_to_binance_errors(
    serve: Serve,
    status: int,
    reason: str,
    body: bytes,
    extra: str,
    cls: type[Exception],
    retry_after: float | None,
) -> None:
    """A refused upgrade raises the error its status and JSON body name, keeping Retry-After."""

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(refusal(status, reason, body, extra))
        await reader.read()

    with pytest.raises(cls) as info:
        await WebSocket.connect(await serve(refuse), drop, open_timeout=2)
    err = info.value
    assert type(err) is cls and f"HTTP {status}" in str(err)
    assert getattr(err, "status", None) == status and getattr(err, "retry_after", 0) == retry_after
    if body:
        assert orjson.loads(body)["msg"] in str(err)


async def test_long_ping_is_not_echoed(serve: Serve) -> None:
    """A 126-byte ping is answered with a 1002 close, not a pong."""
    first = asyncio.get_running_loop().create_future()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        writer.write(server_frame(PING, b"p" * 126))
        first.set_result(await read_frame(reader))
        await reader.read()

    ws = await WebSocket.connect(await serve(script), drop, open_timeout=2)
    op, body = await asyncio.wait_for(first, 2)
    assert op == CLOSE and parse_close(body)[0] == 1002
    err = await asyncio.wait_for(ws.wait_closed(), 2)
    assert err.code == 1006 and err.sent_code == 1002


async def test_one_byte_close_is_not_echoed(serve: Serve) -> None:
    """A close frame with a 1-byte body is answered with 1002, not echoed."""
    reply = asyncio.get_running_loop().create_future()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        writer.write(server_frame(CLOSE, b"\x03"))
        reply.set_result(await read_frame(reader))
        await reader.read()

    ws = await WebSocket.connect(await serve(script), drop, open_timeout=2)
    op, body = await asyncio.wait_for(reply, 2)
    assert op == CLOSE and parse_close(body)[0] == 1002
    assert (await asyncio.wait_for(ws.wait_closed(), 2)).sent_code == 1002
    with pytest.raises(ValueError):
        await ws.close(1006)


async def test_send_while_closing_raises(serve: Serve) -> None:
    """send() after the transport started closing raises ConnectionClosed, never drops."""

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        await reader.read()

    ws = await WebSocket.connect(await serve(script), drop, open_timeout=2)
    ws.abort()
    with pytest.raises(ConnectionClosed):
        await ws.send("lost?")
    assert (await ws.wait_closed()).code == 1006


async def test_unanswered_close_reports_1006(serve: Serve) -> None:
    """A close the server never answers ends as 1006, with our 1000 kept as the code sent."""
    seen = asyncio.get_running_loop().create_future()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        seen.set_result(await read_frame(reader))
        await reader.read()

    ws = await WebSocket.connect(await serve(script), drop, open_timeout=2)
    await ws.close(timeout=0.1)
    err = await ws.wait_closed()
    assert err.code == 1006 and err.sent_code == 1000 and (await seen)[0] == CLOSE


async def test_head_split_across_reads_and_frames_in_the_same_read() -> None:
    """A 101 split over many reads opens the socket; frames after it in a read are parsed."""
    ws, _, got = await fed()
    head = good_head(ws)
    for i in range(len(head) - 1):
        ws.data_received(head[i : i + 1])
    assert not ws._open.done()
    ws.data_received(head[-1:] + server_frame(TEXT, b'{"a":1}') + server_frame(TEXT, b"2"))
    assert ws._open.done() and got == [b'{"a":1}', b"2"]

    ws, _, got = await fed()
    ws.data_received(good_head(ws) + server_frame(TEXT, b"x"))
    assert got == [b"x"]


async def test_bytes_after_a_refusal_are_ignored() -> None:
    """After a non-101, later bytes are neither parsed as frames nor answered with a close."""
    ws, t, got = await fed()
    ws.data_received(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    assert isinstance(ws._open.exception(), HandshakeError)
    ws.data_received(bytes((0x81, 0x81)) + b"mask" + b"x" + server_frame(TEXT, b"y"))
    assert t.written == [] and got == []


@pytest.mark.parametrize(
    ("head", "match"),
    [
        (b"HTTP/1.1 200 OK\r\n" + b"X-Filler: " + b"f" * 20_000, "head over"),
        (b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\r\n", "Upgrade"),
        (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", "Connection"),
        (b"HTTP/1.0 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", "HTTP/1.1"),
    ],
    ids=["endless-head", "no-upgrade", "no-connection", "http-1.0"],
)
async def test_bad_handshake_heads_are_refused(serve: Serve, head: bytes, match: str) -> None:
    """An endless head is cut at 16 KiB; a 101 without Upgrade/Connection or not HTTP/1.1
    is refused."""

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(head)
        await reader.read()

    with pytest.raises(NetworkError, match=match):
        await WebSocket.connect(await serve(script), drop, open_timeout=2)


async def test_binary_and_plain_text_do_not_fail() -> None:
    """Undecodable binary and non-JSON UTF-8 text are not UTF-8 violations."""
    ws, t, _ = await fed()
    ws.on_message = lambda w, p: w.reject_if_not_utf8(p)
    ws.data_received(good_head(ws) + server_frame(BINARY, b"\xff") + server_frame(TEXT, b"hi"))
    assert t.written == [] and not t.closing
    ws.data_received(server_frame(TEXT, b"\xff") + server_frame(TEXT, b"after"))
    assert unmask(t.written[0])[0] == CLOSE and t.closing


async def test_request_never_carries_user_info(serve: Serve) -> None:
    """The upgrade request's Host is host:port, without the URL's user:pass."""
    head = asyncio.get_running_loop().create_future()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head.set_result(await reader.readuntil(b"\r\n\r\n"))
        writer.close()

    url = await serve(script)
    port = url.split(":")[2].split("/")[0]
    with pytest.raises(NetworkError):
        await WebSocket.connect(url.replace("ws://", "ws://user:secret@"), drop, open_timeout=2)
    text = (await head).decode()
    assert f"\r\nHost: 127.0.0.1:{port}\r\n" in text and "secret" not in text


async def test_close_during_handshake_keeps_its_code(serve: Serve) -> None:
    """A server that hangs up before the 101 gives ConnectionClosed with code 1006."""

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.close()

    with pytest.raises(ConnectionClosed) as info:
        await WebSocket.connect(await serve(script), drop, open_timeout=2)
    assert info.value.code == 1006 and "during the handshake" in str(info.value)


async def test_dial_reuses_one_tls_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every wss:// dial uses the one cached TLS context and Happy Eyeballs at 250 ms."""
    calls: list[dict[str, Any]] = []

    async def fake(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        raise ConnectionRefusedError("refused")

    monkeypatch.setattr(asyncio.get_running_loop(), "create_connection", fake)
    for _ in range(2):
        with pytest.raises(NetworkError, match="ConnectionRefusedError"):
            await WebSocket.connect("wss://stream.binance.com:9443/ws", drop, open_timeout=2)
    assert calls[0]["ssl"] is calls[1]["ssl"] is not None
    assert calls[0]["happy_eyeballs_delay"] == 0.25
