"""A gap fault on a futures venue breaks ``pu`` continuity, as a lost event does on Binance."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import orjson

from mock_exchange import MockExchange, ServerConfig


async def next_diff(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    while True:
        msg = orjson.loads(await asyncio.wait_for(ws.receive_str(), 10))
        if isinstance(msg, dict) and msg.get("e") == "depthUpdate":
            return msg


async def test_futures_gap_breaks_pu_continuity() -> None:
    """After a gap fault, the next USD-M diff names a ``pu`` other than the last ``u`` sent."""
    async with (
        MockExchange(config=ServerConfig(seed=2, rate=200)) as mx,
        aiohttp.ClientSession() as s,
        s.ws_connect(mx.url("wss://fstream.binance.com/public/ws/btcusdt@depth@100ms")) as ws,
    ):
        first = await next_diff(ws)
        second = await next_diff(ws)
        assert second["pu"] == first["u"]
        mx.add_fault("gap", symbol="BTCUSDT", venue="usdm", count=3)
        # a diff already flushed when the fault lands may still chain; the one after cannot
        previous_u, after = second["u"], await next_diff(ws)
        if after["pu"] == previous_u:
            previous_u, after = after["u"], await next_diff(ws)
        assert after["pu"] != previous_u
