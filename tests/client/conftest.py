"""Fixtures shared by the client's transport tests: scripted loopback WebSocket peers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
"""One connection's behaviour: read the handshake, answer, send frames."""
Serve = Callable[[Script], Awaitable[str]]
"""Start a loopback server running a script; return its ``ws://`` URL."""


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Start loopback servers that run a script per connection; yield a starter."""
    servers: list[asyncio.Server] = []

    async def start(script: Script) -> str:
        server = await asyncio.start_server(script, "127.0.0.1", 0)
        servers.append(server)
        return f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/stream"

    yield start
    for s in servers:
        s.close()
