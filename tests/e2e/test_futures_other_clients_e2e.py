"""python-binance and the official USD-M SDK trading futures on the emulator (URLs rewritten).

Both libraries are pinned in the ``test`` extra; outside tox each test skips (saying why) when
its library is not installed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from mock_exchange import MockExchange, ServerConfig

TIMEOUT = 10


@pytest.fixture
async def mx() -> AsyncIterator[MockExchange]:
    """A quiet emulator on a running clock with one funded futures account."""
    async with MockExchange(config=ServerConfig(seed=3, rate=0, warmup_ms=0)) as emulator:
        emulator.add_account(
            api_key="otherKey", secret="otherSecret", futures_balances={"USDT": "10000"}
        )
        yield emulator


async def _until(queue: asyncio.Queue[Any], kind: str, event_of: Any) -> Any:
    while True:
        item = await asyncio.wait_for(queue.get(), TIMEOUT)
        if event_of(item) == kind:
            return item


async def test_python_binance_futures_order_position_and_user_socket(mx: MockExchange) -> None:
    """futures_create_order fills, futures_user_socket streams ORDER_TRADE_UPDATE and
    ACCOUNT_UPDATE, futures_position_information shows the position."""
    binance = pytest.importorskip("binance", reason="python-binance is not installed")
    client: Any = binance.AsyncClient(api_key="otherKey", api_secret="otherSecret")
    client.API_URL = mx.url("https://api.binance.com/api")
    client.FUTURES_URL = mx.url("https://fapi.binance.com/fapi")
    try:
        # user_timeout bounds how long the socket's read loop waits when closing (default 10 s)
        manager: Any = binance.BinanceSocketManager(client, user_timeout=1)
        manager.FSTREAM_URL = mx.url("wss://fstream.binance.com/")
        async with manager.futures_user_socket() as socket:
            order = await client.futures_create_order(
                symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01"
            )
            assert order["symbol"] == "BTCUSDT" and order["type"] == "MARKET"

            async def next_of(kind: str) -> Any:
                while True:
                    event = await asyncio.wait_for(socket.recv(), TIMEOUT)
                    if event.get("e") == kind:
                        return event

            trade = await next_of("ORDER_TRADE_UPDATE")
            while trade["o"]["x"] != "TRADE":
                trade = await next_of("ORDER_TRADE_UPDATE")
            assert trade["o"]["i"] == order["orderId"] and trade["o"]["X"] == "FILLED"
            update = await next_of("ACCOUNT_UPDATE")
            assert update["a"]["P"][0]["pa"] == "0.010"
        (position,) = await client.futures_position_information(symbol="BTCUSDT")
        assert position["positionAmt"] == "0.010" and position["positionSide"] == "BOTH"
    finally:
        await client.close_connection()


async def test_official_usdm_sdk_rest_order_and_user_data_stream(mx: MockExchange) -> None:
    """binance-sdk-derivatives-trading-usds-futures: listen key and new order over REST; the
    user-data stream (SUBSCRIBE of the key on /private/stream) delivers the order's events."""
    sdk = pytest.importorskip(
        "binance_sdk_derivatives_trading_usds_futures.derivatives_trading_usds_futures",
        reason="binance-sdk-derivatives-trading-usds-futures is not installed",
    )
    client = sdk.DerivativesTradingUsdsFutures(
        config_rest_api=sdk.ConfigurationRestAPI(
            api_key="otherKey",
            api_secret="otherSecret",
            base_path=mx.url("https://fapi.binance.com"),
        ),
        config_ws_streams=sdk.ConfigurationWebSocketStreams(
            stream_url=mx.url("wss://fstream.binance.com")
        ),
    )
    listen = await asyncio.to_thread(client.rest_api.start_user_data_stream)
    key = listen.data().listen_key
    conn = await client.websocket_streams.create_connection()
    try:
        seen: asyncio.Queue[Any] = asyncio.Queue()
        stream = await conn.user_data(key)
        stream.on("message", seen.put_nowait)
        placed = await asyncio.to_thread(
            client.rest_api.new_order, symbol="BTCUSDT", side="BUY", type="MARKET", quantity=0.01
        )
        order = placed.data()
        assert order.symbol == "BTCUSDT" and order.order_id > 0

        def kind(message: Any) -> str:
            # the SDK parses each event into its typed model (the ``e`` field picks it)
            return type(getattr(message, "actual_instance", message)).__name__

        trade = await _until(seen, "OrderTradeUpdate", kind)
        assert trade.actual_instance.o.i == order.order_id
        update = await _until(seen, "AccountUpdate", kind)
        assert update.actual_instance.a.m == "ORDER"
        assert update.actual_instance.a.P[0].pa == "0.010"
    finally:
        await conn.close_connection(close_session=True)


async def test_raw_client_sees_listen_key_expire(mx: MockExchange) -> None:
    """A raw client on /ws/<listenKey> gets listenKeyExpired (integer E) when the key's hour
    passes on the virtual clock, then the stream closes."""
    async with aiohttp.ClientSession() as session:
        async with session.post(
            mx.url("https://fapi.binance.com/fapi/v1/listenKey"),
            headers={"X-MBX-APIKEY": "otherKey"},
        ) as r:
            key = (await r.json())["listenKey"]
        ws = await session.ws_connect(mx.url(f"wss://fstream.binance.com/ws/{key}"))
        mx.clock.advance(60 * 60_000)
        msg = await ws.receive(timeout=TIMEOUT)
        event = json.loads(msg.data)
        assert event["e"] == "listenKeyExpired" and event["listenKey"] == key
        assert isinstance(event["E"], int)
        closing = await ws.receive(timeout=TIMEOUT)
        assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
