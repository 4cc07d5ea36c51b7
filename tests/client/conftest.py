"""Fixtures shared by the client's transport tests: scripted loopback WebSocket peers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from tests.e2e.loopback import COINM_INFO, SPOT_INFO, USDM_INFO

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


@pytest.fixture(scope="module")
def cx() -> Any:
    """An offline ccxt.pro binance with spot, USD-M and COIN-M markets from literals (the
    differential tests' reference; skipped without ccxt)."""
    ccxt_pro = pytest.importorskip("ccxt.pro")
    ex = ccxt_pro.binance({"options": {"crossMarginPairsData": [], "isolatedMarginPairsData": []}})
    infos = [*SPOT_INFO["symbols"], *USDM_INFO["symbols"], *COINM_INFO["symbols"]]
    ex.set_markets([ex.parse_market(s) for s in infos])
    return ex
