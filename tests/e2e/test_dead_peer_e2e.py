"""Dead-peer detection driven through the emulator: it stops answering the client's pings."""

from __future__ import annotations

import asyncio

from client import Binance
from client.telemetry import WireEvent
from mock_exchange import MockExchange, ServerConfig


async def test_unanswered_pings_make_the_client_reconnect() -> None:
    """A peer that leaves pings unanswered is dropped within the keepalive bound, and the
    client reconnects, resubscribes and keeps delivering updates."""
    async with MockExchange(config=ServerConfig(seed=4, rate=20)) as mx:
        options = {"keepalive": 200, "keepalive_timeout": 300}
        async with Binance(binance_env="local", base_url=mx.base_url, options=options) as ex:
            closed, reconnected = asyncio.Event(), asyncio.Event()

            def on_event(event: WireEvent) -> None:
                if event.kind == "close":
                    mx.control.clear_faults()  # the next socket answers again
                    closed.set()
                elif event.kind == "reconnect":
                    reconnected.set()

            await ex.watch_ticker("BTC/USDT")
            url = ex.connections()[0]
            ex.add_listener(on_event)
            mx.add_fault("withhold_pongs", count=-1)
            await asyncio.wait_for(closed.wait(), 10)
            await asyncio.wait_for(reconnected.wait(), 10)
            assert (await ex.watch_ticker("BTC/USDT"))["symbol"] == "BTC/USDT"
            info = ex.connection_info(url)
            assert info["reconnects"] == 1
            assert info["subscriptions"] == {"btcusdt@ticker": "active"}
