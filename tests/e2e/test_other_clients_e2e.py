"""python-binance and the official SDK against the emulator, redirected by the URL rule.

Both libraries are pinned in the ``test`` extra, so CI runs these; outside tox each test skips
(saying why) when its library is not installed. Each test follows docs/emulator.md's recipe.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mock_exchange import MockExchange


async def test_python_binance_rest_and_socket(emulator: MockExchange) -> None:
    """python-binance reads spot and USD-M depth and a trade stream from the emulator."""
    binance = pytest.importorskip("binance", reason="python-binance is not installed")
    client: Any = binance.AsyncClient()
    client.API_URL = emulator.url("https://api.binance.com/api")
    client.FUTURES_URL = emulator.url("https://fapi.binance.com/fapi")
    try:
        book = await client.get_order_book(symbol="BTCUSDT", limit=5)
        assert len(book["bids"]) == 5 and book["lastUpdateId"] > 0
        fut = await client.futures_order_book(symbol="BTCUSDT", limit=5)
        assert "T" in fut and fut["lastUpdateId"] > 0
        manager: Any = binance.BinanceSocketManager(client)
        manager.STREAM_URL = emulator.url("wss://stream.binance.com:9443/")
        async with manager.trade_socket("BTCUSDT") as socket:
            trade = await asyncio.wait_for(socket.recv(), 10)
            assert trade["e"] == "trade" and trade["s"] == "BTCUSDT"
    finally:
        await client.close_connection()


async def test_official_sdk_rest_streams_and_ws_api(emulator: MockExchange) -> None:
    """binance-sdk-spot gets REST depth, a trade stream and WS API depth from the emulator."""
    spot = pytest.importorskip("binance_sdk_spot.spot", reason="binance-sdk-spot is not installed")
    client = spot.Spot(
        config_rest_api=spot.ConfigurationRestAPI(
            base_path=emulator.url("https://api.binance.com")
        ),
        config_ws_streams=spot.ConfigurationWebSocketStreams(
            stream_url=emulator.url("wss://stream.binance.com:9443")
        ),
        config_ws_api=spot.ConfigurationWebSocketAPI(
            stream_url=emulator.url("wss://ws-api.binance.com:443/ws-api/v3")
        ),
    )
    rest = await asyncio.to_thread(client.rest_api.depth, symbol="BTCUSDT", limit=5)
    assert len(rest.data().bids) == 5
    conn = await client.websocket_streams.create_connection()
    try:
        got: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        stream = await conn.trade(symbol="btcusdt")
        stream.on("message", lambda data: got.done() or got.set_result(data))
        trade = await asyncio.wait_for(got, 10)
        assert trade.s == "BTCUSDT"
    finally:
        await conn.close_connection(close_session=True)
    api = await client.websocket_api.create_connection()
    try:
        resp = await api.depth(symbol="BTCUSDT", limit=5)
        assert len(resp.data().result.bids) == 5
    finally:
        await api.close_connection(close_session=True)
