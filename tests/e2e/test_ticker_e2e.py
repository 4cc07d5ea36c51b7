"""Real client against the real emulator over loopback: the ticker slice and its failure paths."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

import client
from client import Binance, ConnectionClosed, RequestTimeout, UnsubscribeError
from client.telemetry import WireEvent
from mock_exchange import MockExchange


async def test_watch_ticker_returns_engine_prices(ex: Binance, emulator: MockExchange) -> None:
    """watch_ticker returns a CCXT ticker whose book side matches the emulator's engine."""
    ticker = await ex.watch_ticker("BTC/USDT")
    assert ticker["symbol"] == "BTC/USDT" and ticker["info"]["s"] == "BTCUSDT"
    assert ticker["bid"] is not None and ticker["ask"] is not None
    assert ticker["bid"] < ticker["ask"]
    assert ticker["last"] is not None and ticker["last"] > 0
    again = await ex.watch_ticker("BTCUSDT")
    assert again["timestamp"] is not None and ticker["timestamp"] is not None
    assert again["timestamp"] > ticker["timestamp"]
    url = ex.connections()[0]
    info = ex.connection_info(url)
    assert info["state"] == "open" and info["subscriptions"] == {"btcusdt@ticker": "active"}


async def test_concurrent_watchers_share_one_subscription(
    ex: Binance, emulator: MockExchange
) -> None:
    """Concurrent watches of one symbol send a single SUBSCRIBE and all get the update."""
    sent: list[str] = []
    ex.add_listener(
        lambda e: sent.append(e.text) if e.kind == "send" and "SUBSCRIBE" in e.text else None
    )
    results = await asyncio.gather(*(ex.watch_ticker("ETH/USDT") for _ in range(5)))
    assert {r["symbol"] for r in results} == {"ETH/USDT"}
    assert len(sent) == 1


async def test_stream_ticker_unwatches_on_halt(ex: Binance, emulator: MockExchange) -> None:
    """Leaving stream_ticker with unwatch_on_halt sends UNSUBSCRIBE; without it, keeps it."""
    got = []
    async with contextlib.aclosing(ex.stream_ticker("BNB/USDT", {"unwatchOnHalt": True})) as it:
        async for t in it:
            got.append(t)
            if len(got) == 2:
                break
    assert [t["symbol"] for t in got] == ["BNB/USDT", "BNB/USDT"]
    assert ex.connection_info(ex.connections()[0])["subscriptions"] == {}
    async with contextlib.aclosing(ex.stream_ticker("BNB/USDT")) as it:
        async for _ in it:
            break
    assert ex.connection_info(ex.connections()[0])["subscriptions"] == {"bnbusdt@ticker": "active"}


async def test_unwatch_fails_pending_watchers(ex: Binance, emulator: MockExchange) -> None:
    """unwatch_ticker is ACKed, keeps the connection, and fails pending watchers."""
    await ex.watch_ticker("BTC/USDT")
    pending = asyncio.create_task(ex.watch_ticker("BTC/USDT"))
    # yield to the loop (no wall-clock wait) until the watch has registered its waiter
    while not ex.connection_info(ex.connections()[0])["waiters"]:  # noqa: ASYNC110
        await asyncio.sleep(0)
    await ex.unwatch_ticker("BTC/USDT")
    with pytest.raises(UnsubscribeError):
        await pending
    assert ex.connection_info(ex.connections()[0])["state"] == "open"
    with pytest.raises(UnsubscribeError):
        await ex.unwatch_ticker("BTC/USDT")


async def test_withheld_ack_times_out(ex: Binance, emulator: MockExchange) -> None:
    """A withheld SUBSCRIBE ACK gives RequestTimeout, not a hang; the next try succeeds."""
    # open the connection first: the 500 ms below must time the withheld ACK, not a handshake
    assert (await ex.watch_ticker("ETH/USDT"))["symbol"] == "ETH/USDT"
    emulator.add_fault("withhold_ack", method="SUBSCRIBE")
    with pytest.raises(RequestTimeout, match="SUBSCRIBE btcusdt@ticker"):
        await ex.watch_ticker("BTC/USDT", {"timeout": 500})
    assert (await ex.watch_ticker("BTC/USDT"))["symbol"] == "BTC/USDT"


async def test_server_close_fails_waiters_with_network_error(
    ex: Binance, emulator: MockExchange
) -> None:
    """When the server closes the socket, a pending watch fails with ConnectionClosed and the
    connection comes back by itself for the next watch."""
    await ex.watch_ticker("BTC/USDT")
    url = ex.connections()[0]
    pending = asyncio.create_task(ex.watch_ticker("BTC/USDT"))
    # yield to the loop (no wall-clock wait) until the watch has registered its waiter
    while not ex.connection_info(url)["waiters"]:  # noqa: ASYNC110
        await asyncio.sleep(0)
    emulator.add_fault("close", close_code=1011)
    with pytest.raises(ConnectionClosed) as info:
        await pending
    assert isinstance(info.value, client.NetworkError) and info.value.code == 1011
    # the supervised connection reconnects and resubscribes: the next watch just works
    assert (await ex.watch_ticker("BTC/USDT"))["symbol"] == "BTC/USDT"
    assert ex.connection_info(url)["reconnects"] == 1
    await ex.close_connection(url)
    assert ex.connections() == []
    with pytest.raises(KeyError):
        ex.connection_info(url)


async def test_refused_stream_and_bad_symbol(ex: Binance, emulator: MockExchange) -> None:
    """A server refusal is BadRequest; an unknown symbol BadSymbol before any I/O."""
    emulator.add_fault(
        "error_reply", method="SUBSCRIBE", code=2, msg="Invalid request: invalid stream"
    )
    with pytest.raises(client.BadRequest, match="invalid stream"):
        await ex.watch_ticker("BTC/USDT")
    with pytest.raises(client.BadSymbol):
        await ex.watch_ticker("DOGE/EUR")


async def test_debug_logger_and_verbose_redact(
    ex: Binance, emulator: MockExchange, caplog: pytest.LogCaptureFixture
) -> None:
    """The debug logger prints lifecycle events; verbose wire logs go to client.wire."""
    caplog.set_level(logging.DEBUG)
    ex.attach_debug_logger()
    events: list[WireEvent] = []
    ex.add_listener(events.append)
    await ex.watch_ticker("BTC/USDT", {"verbose": True})
    ex.detach_debug_logger()
    ex.remove_listener(events.append)
    kinds = {e.kind for e in events}
    assert {"connect", "subscribe", "ack", "send", "recv"} <= kinds
    assert any(r.name == "client" and "subscribe" in r.getMessage() for r in caplog.records)
    assert any(r.name == "client.wire" for r in caplog.records)
    assert "api_key=none" in repr(ex)


async def test_unreachable_and_rest_errors() -> None:
    """Unreachable emulators raise NetworkError; REST errors map through the code table."""
    async with Binance(binance_env="local", base_url="http://127.0.0.1:9") as ex:
        with pytest.raises(client.NetworkError):
            await ex.load_markets()
    async with MockExchange() as mx, Binance({"binanceEnv": "local", "baseUrl": mx.base_url}) as ex:
        with pytest.raises(client.BadSymbol):
            await ex._rest_get(
                mx.url("https://api.binance.com/api/v3/exchangeInfo"), {"symbol": "NOPE"}, 5000
            )
        with pytest.raises(client.NotSupported):
            await ex._rest_get(mx.url("https://api.binance.com/api/v3/none"), None, 5000)
        await ex.close_connection(ex.connection(mx.url("wss://stream.binance.com/stream")))
        conn = ex.connection("ws://127.0.0.1:9/stream.binance.com/stream")
        with pytest.raises(client.NetworkError):
            await conn.ensure_open()


def test_constructor_options(monkeypatch: pytest.MonkeyPatch) -> None:
    """Config keys in either case, the env variable, and per-call overrides."""
    monkeypatch.setenv("BINANCE_PRO_ENV", "sandbox")
    ex = client.binance({"apiKey": "KEY123", "secret": "SECRET456", "options": {"timeout": 123}})
    assert ex.binance_env == "testnet" and ex.api_key == "KEY123"
    assert ex.options["timeout"] == 123 and ex._opts({"timeout": 5})["timeout"] == 5
    assert "KEY123" not in repr(ex) and "SECRET456" not in repr(ex)
    with pytest.raises(ValueError):
        client.Binance(binance_env="moon")
    assert ex._endpoints({"binance_env": "prod"}).spot_rest == "https://api.binance.com"
