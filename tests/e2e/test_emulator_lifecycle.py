"""Real client against the real emulator: lifecycle and reliability paths driven through the
emulator's control API (close with a code, delayed and withheld ACKs, pushed frames)."""

from __future__ import annotations

import asyncio
import logging

import pytest

import client
from client import Binance
from client.telemetry import WireEvent
from mock_exchange import MockExchange

FAST = {"timeout": 3000, "backoff_initial": 20, "backoff_cap": 100}


def wait_for_event(ex: Binance, kind: str, text: str = "") -> asyncio.Event:
    """Return an event set when the client emits a lifecycle event of ``kind`` (with ``text``)."""
    seen = asyncio.Event()

    def listener(e: WireEvent) -> None:
        if e.kind == kind and text in e.text:
            seen.set()

    ex.add_listener(listener)
    return seen


async def test_reconnect_resubscribes_after_server_close(emulator: MockExchange) -> None:
    """After the emulator closes the socket (1012) the client reconnects and re-subscribes."""
    async with Binance(binance_env="local", base_url=emulator.base_url, options=FAST) as ex:
        await ex.watch_ticker("BTC/USDT")
        reconnected = wait_for_event(ex, "reconnect")
        acked = wait_for_event(ex, "ack")
        emulator.add_fault("close", close_code=1012)
        await asyncio.wait_for(reconnected.wait(), 5)
        acked.clear()
        await asyncio.wait_for(acked.wait(), 5)
        t = await ex.watch_ticker("BTC/USDT")
        assert t["symbol"] == "BTC/USDT"
        info = ex.connection_info(ex.connections()[0])
        assert info["reconnects"] == 1 and info["subscriptions"] == {"btcusdt@ticker": "active"}
        subs = [e for e in emulator.control.journal if '"SUBSCRIBE"' in e.text]
        assert len(subs) == 2 and subs[0].connection != subs[1].connection


async def test_server_shutdown_handover(emulator: MockExchange) -> None:
    """A pushed serverShutdown makes the client move to a new socket with no waiter failing."""
    async with Binance(binance_env="local", base_url=emulator.base_url, options=FAST) as ex:
        await ex.watch_ticker("ETH/USDT")
        pending = asyncio.ensure_future(ex.watch_ticker("ETH/USDT"))
        handed = wait_for_event(ex, "reconnect", "serverShutdown")
        emulator.push({"stream": "!serverShutdown", "data": {"e": "serverShutdown", "E": 1}})
        await asyncio.wait_for(handed.wait(), 5)
        assert (await pending)["symbol"] == "ETH/USDT"
        info = ex.connection_info(ex.connections()[0])
        assert info["handovers"] == 1 and info["reconnects"] == 0
        assert (await ex.watch_ticker("ETH/USDT"))["symbol"] == "ETH/USDT"
        assert emulator.connection_count() == 1


async def test_delayed_ack_within_and_beyond_timeout(emulator: MockExchange) -> None:
    """A delayed ACK inside the timeout succeeds; beyond it gives RequestTimeout, no hang."""
    async with Binance(binance_env="local", base_url=emulator.base_url, options=FAST) as ex:
        emulator.add_fault("delay_ack", method="SUBSCRIBE", delay_ms=50)
        assert (await ex.watch_ticker("BTC/USDT"))["symbol"] == "BTC/USDT"
        emulator.add_fault("delay_ack", method="SUBSCRIBE", delay_ms=2000)
        with pytest.raises(client.RequestTimeout):
            await ex.watch_ticker("ETH/USDT", {"timeout": 200})
        info = ex.connection_info(ex.connections()[0])
        assert info["pending_requests"] == 0 and info["waiters"] == {}


async def test_watch_tickers_and_unwatch(ex: Binance, emulator: MockExchange) -> None:
    """watch_tickers returns the symbols of the update that fired; unwatch_tickers clears."""
    got = await ex.watch_tickers(["BTC/USDT", "ETH/USDT"])
    assert set(got) <= {"BTC/USDT", "ETH/USDT"} and len(got) == 1
    (t,) = got.values()
    assert t["bid"] is not None and t["info"]["e"] == "24hrTicker"
    await ex.unwatch_tickers(["BTC/USDT", "ETH/USDT"])
    assert ex.connection_info(ex.connections()[0])["subscriptions"] == {}


async def test_lifecycle_surface(emulator: MockExchange, caplog: pytest.LogCaptureFixture) -> None:
    """ensure_started loads markets; the registry reports and closes connections."""
    caplog.set_level(logging.DEBUG)
    async with Binance(binance_env="local", base_url=emulator.base_url, options=FAST) as ex:
        await ex.ensure_started()
        assert "BTC/USDT" in ex.markets
        if "future" in ex.market_errors:  # the emulator does not serve USD-M yet
            with pytest.raises(client.BadSymbol, match="unavailable"):
                await ex.market("BTCUSDT", {"type": "future"})
        ex.attach_debug_logger()
        await ex.watch_ticker("BNB/USDT")
        url = ex.connections()[0]
        info = ex.connection_info(url)
        assert info["cache"] == {"bnbusdt@ticker": 1} and info["state"] == "open"
        assert set(info) >= {"waiters", "subscriptions", "reconnects", "pending_requests"}
        await ex.close_connection(url)
        assert ex.connections() == []
        ex.detach_debug_logger()
    messages = [r.getMessage() for r in caplog.records if r.name == "client"]
    assert any(m.startswith("connect ") for m in messages)
    assert any(m.startswith("close ") for m in messages)


async def test_books_resync_after_reconnect(emulator: MockExchange) -> None:
    """After the emulator drops the socket, the re-subscribed book is rebuilt from a snapshot."""
    async with Binance(binance_env="local", base_url=emulator.base_url, options=FAST) as ex:
        before = await ex.watch_order_book("BTC/USDT")
        reconnected = wait_for_event(ex, "reconnect")
        synced = wait_for_event(ex, "ack", "synced")
        emulator.add_fault("close", close_code=1001)
        await asyncio.wait_for(reconnected.wait(), 5)
        synced.clear()
        await asyncio.wait_for(synced.wait(), 5)
        after = await ex.watch_order_book("BTC/USDT")
        assert after["nonce"] is not None and before["nonce"] is not None
        assert after["nonce"] > before["nonce"] and after["bids"][0][0] < after["asks"][0][0]
        depth = [e for e in emulator.control.journal if e.transport == "rest" and "depth" in e.path]
        assert len(depth) == 2
