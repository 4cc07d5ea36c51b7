"""Peers that stop reading or never finish the handshake cannot hold the emulator's memory or
file descriptors (issue 10, items 5 and 9)."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
from dataclasses import replace

import aiohttp

from mock_exchange import MockExchange, ServerConfig
from mock_exchange.transports.rules import SPOT_RULES


async def raw_socket(mx: MockExchange, rcvbuf: int = 4096) -> socket.socket:
    """Return a connected TCP socket to the emulator with a small receive buffer."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", mx.port))
    return sock


async def upgrade(sock: socket.socket, path: str) -> None:
    """Send a WebSocket upgrade for ``path`` and read the 101 answer (nothing more)."""
    loop = asyncio.get_running_loop()
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    await loop.sock_sendall(sock, request.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = await asyncio.wait_for(loop.sock_recv(sock, 1), 5)
        assert chunk, "closed during the handshake"
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head


async def closed_by_server(sock: socket.socket) -> None:
    """Read (and discard) until the server closes or resets the socket."""
    loop = asyncio.get_running_loop()
    try:
        while await loop.sock_recv(sock, 1 << 16):
            pass
    except ConnectionResetError:
        pass


async def test_a_consumer_that_stops_reading_is_dropped_and_others_keep_being_served() -> None:
    """A stream client that never reads is disconnected once its backlog passes the bound (its
    queue never holds more), while a reading client on the same streams gets every frame."""
    bound = 256 * 1024
    rules = replace(SPOT_RULES.relaxed(), max_backlog_bytes=bound)
    config = ServerConfig(rate=0, frozen_clock=True, spot_rules=rules)
    async with MockExchange(config=config) as mx:
        slow_sock = await raw_socket(mx)
        await upgrade(slow_sock, "/stream.binance.com:9443/ws")
        async with (
            aiohttp.ClientSession() as s,
            s.ws_connect(mx.url("wss://stream.binance.com:9443/ws"), max_msg_size=0) as ws,
        ):
            slow, fast = mx.registry.stream_connections()
            frame = {"pad": "z" * 65_536}
            pushed = most = 0
            while not slow.closing and pushed < 600:  # 600 x 64 KiB: far past any socket buffer
                mx.push({**frame, "n": pushed})
                most = max(most, slow.backlog_bytes)
                assert (await asyncio.wait_for(ws.receive_json(), 5))["n"] == pushed
                pushed += 1
            assert slow.closing, f"a peer that never reads still held after {pushed} frames"
            assert most <= bound and slow.backlog_bytes == 0
            await asyncio.wait_for(closed_by_server(slow_sock), 5)
            mx.push({"after": True})
            assert await asyncio.wait_for(ws.receive_json(), 5) == {"after": True}
            assert not fast.closing and mx.registry.stream_connections() == [fast]
        slow_sock.close()


async def test_half_open_handshakes_time_out() -> None:
    """A peer that connects and sends nothing, or only part of its request headers, is closed
    after the handshake timeout; connections that completed their handshake stay open."""
    config = ServerConfig(rate=0, frozen_clock=True, handshake_timeout_s=0.2)
    async with (
        MockExchange(config=config) as mx,
        aiohttp.ClientSession() as s,
        s.ws_connect(mx.url("wss://stream.binance.com:9443/ws")) as ws,
    ):
        silent = await raw_socket(mx)
        partial = await raw_socket(mx)
        await asyncio.get_running_loop().sock_sendall(
            partial, b"GET /api.binance.com/api/v3/time HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        )
        await asyncio.wait_for(closed_by_server(silent), 5)
        await asyncio.wait_for(closed_by_server(partial), 5)
        silent.close()
        partial.close()
        await ws.send_str('{"method":"LIST_SUBSCRIPTIONS","id":1}')
        assert await asyncio.wait_for(ws.receive_json(), 5) == {"result": [], "id": 1}
        async with s.get(mx.url("https://api.binance.com/api/v3/ping")) as r:
            assert r.status == 200
