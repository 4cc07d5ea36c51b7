"""The asyncio WebSocket adapter over a loopback link: handshake refusal, pings, close codes,
protocol errors and the dead-peer keepalive."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from client.errors import ConnectionClosed, ExchangeError, NetworkError, RequestTimeout
from client.transport import WebSocket

from .test_frames import server_frame, unmask

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Read the upgrade request and answer 101."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode()
    key = next(
        x.split(":", 1)[1].strip()
        for x in head.split("\r\n")
        if x.lower().startswith("sec-websocket-key")
    )
    acc = base64.b64encode(
        hashlib.sha1(key.encode() + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest()
    )
    writer.write(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + acc + b"\r\n\r\n"
    )


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Read one masked client frame."""
    head = await reader.readexactly(2)
    n = head[1] & 0x7F
    ext = b""
    if n == 126:
        ext = await reader.readexactly(2)
        n = int.from_bytes(ext, "big")
    rest = await reader.readexactly(4 + n)
    return unmask(head + ext + rest)


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Script], Awaitable[str]]]:
    """Start loopback servers that run a script per connection; yield a starter."""
    servers: list[asyncio.Server] = []

    async def start(script: Script) -> str:
        server = await asyncio.start_server(script, "127.0.0.1", 0)
        servers.append(server)
        return f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/stream"

    yield start
    for s in servers:
        s.close()


async def test_messages_pings_and_server_close(serve: Callable[[Script], Awaitable[str]]) -> None:
    """Messages arrive in order, a server ping is answered, and the server's close code shows."""
    pong = asyncio.get_running_loop().create_future()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        writer.write(server_frame(1, b'{"a":1}') + server_frame(9, b"pp") + server_frame(1, b"2"))
        pong.set_result(await read_frame(reader))
        writer.write(server_frame(8, (1012).to_bytes(2, "big") + b"restart"))
        await read_frame(reader)  # the echoed close
        writer.close()

    got: list[bytes] = []
    ws = await WebSocket.connect(await serve(script), lambda _ws, p: got.append(p), open_timeout=2)
    assert await asyncio.wait_for(pong, 2) == (10, b"pp")
    err = await asyncio.wait_for(ws.wait_closed(), 2)
    assert got == [b'{"a":1}', b"2"] and err.code == 1012 and err.reason == "restart"
    with pytest.raises(ConnectionClosed):
        await ws.send("late")


async def test_refused_handshake_and_unreachable(serve: Callable[[Script], Awaitable[str]]) -> None:
    """An HTTP refusal raises its mapped error, a closed port NetworkError, silence a timeout."""

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")

    with pytest.raises(ExchangeError, match="HTTP 404"):
        await WebSocket.connect(await serve(refuse), lambda *_: None, open_timeout=2)
    with pytest.raises(NetworkError):
        await WebSocket.connect("ws://127.0.0.1:9/x", lambda *_: None, open_timeout=2)

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    with pytest.raises(RequestTimeout):
        await WebSocket.connect(await serve(silent), lambda *_: None, open_timeout=0.1)


async def test_dead_peer_and_protocol_error(serve: Callable[[Script], Awaitable[str]]) -> None:
    """An unanswered ping makes us send 1011, a masked server frame 1002; both end as 1006."""

    async def deaf(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        await reader.read()

    ws = await WebSocket.connect(
        await serve(deaf), lambda *_: None, open_timeout=2, keepalive=0.05, keepalive_timeout=0.05
    )
    err = await asyncio.wait_for(ws.wait_closed(), 2)
    assert err.code == 1006 and err.sent_code == 1011 and "keepalive" in err.reason

    async def rude(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        writer.write(bytes((0x81, 0x81)) + b"mask" + b"x")
        await reader.read()

    ws = await WebSocket.connect(await serve(rude), lambda *_: None, open_timeout=2)
    err = await asyncio.wait_for(ws.wait_closed(), 2)
    assert err.code == 1006 and err.sent_code == 1002


async def test_client_close_handshake(serve: Callable[[Script], Awaitable[str]]) -> None:
    """close() sends our code, waits for the echo, and reports that code."""
    seen = asyncio.get_running_loop().create_future()

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        op, body = await read_frame(reader)
        seen.set_result((op, body))
        writer.write(server_frame(8, body))
        writer.close()

    ws = await WebSocket.connect(await serve(echo), lambda *_: None, open_timeout=2)
    await ws.close(4000, "bye")
    assert (await seen) == (8, (4000).to_bytes(2, "big") + b"bye")
    assert (await ws.wait_closed()).code == 4000
