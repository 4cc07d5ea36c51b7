"""The ceiling: a bare ``asyncio.Protocol`` that splits WebSocket frames and ``orjson.loads`` each.

Nothing a client can do on a message costs less than reading it; this reader does only that (no
checks, no routing, no state), so its CPU per message is the floor every client is compared with.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

import orjson


class BareReader(asyncio.Protocol):
    """Count the data messages of one connection; call ``on_count`` after each TCP read."""

    def __init__(self, on_count: Callable[[int], None]) -> None:
        self.buf = b""
        self.head = True
        self.count = 0
        self.on_count = on_count
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        buf = self.buf + data if self.buf else data
        i, end = 0, len(buf)
        if self.head:  # the 101 answer
            i = buf.find(b"\r\n\r\n")
            if i < 0:
                self.buf = buf
                return
            i, self.head = i + 4, False
        count = self.count
        while end - i >= 2:
            n, j = buf[i + 1] & 0x7F, i + 2
            if n == 126:
                n, j = int.from_bytes(buf[i + 2 : i + 4]), i + 4
            elif n == 127:
                n, j = int.from_bytes(buf[i + 2 : i + 10]), i + 10
            if j + n > end:
                break
            msg = orjson.loads(buf[j : j + n])
            if "data" in msg or "event" in msg:  # a stream message, or WS API user data
                count += 1
            i = j + n
        self.buf = buf[i:]
        self.count = count
        self.on_count(count)


def subscribe_frame(streams: list[str], request: dict[str, Any] | None = None) -> bytes:
    """A masked (all-zero key) text frame ``SUBSCRIBE streams`` (or ``request``)."""
    body = orjson.dumps(request or {"method": "SUBSCRIBE", "params": streams, "id": 1})
    n = len(body)
    head = bytes([0x81, 0x80 | n]) if n < 126 else bytes([0x81, 0xFE]) + n.to_bytes(2)
    if n > 0xFFFF:
        head = bytes([0x81, 0xFF]) + n.to_bytes(8)
    return head + b"\0\0\0\0" + body


async def open_reader(
    host: str,
    port: int,
    path: str,
    streams: list[str],
    on_count: Callable[[int], None],
    request: dict[str, Any] | None = None,
) -> BareReader:
    """Connect, upgrade and subscribe ``streams``, or send ``request`` instead (a WS API
    user-data subscribe); answers are read, not counted."""
    loop = asyncio.get_running_loop()
    _, reader = await loop.create_connection(lambda: BareReader(on_count), host, port)
    key = os.urandom(16).hex()[:22] + "=="
    reader.transport.write(
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    reader.transport.write(subscribe_frame(streams, request))
    return reader
