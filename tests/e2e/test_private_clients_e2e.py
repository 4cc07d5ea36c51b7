"""python-binance (RSA key) and the official binance-sdk-spot (Ed25519 key) trade against the
emulator, unmodified, redirected only by their URLs; user data arrives on the WS API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from mock_exchange import MockExchange, ServerConfig
from tests.mock_exchange.signing import ed25519_signer, rsa_signer

TIMEOUT = 15


@pytest.fixture
async def mx() -> AsyncIterator[MockExchange]:
    """An emulator on the wall clock (the clients sign with their own time), no activity."""
    async with MockExchange(config=ServerConfig(seed=8, rate=0, warmup_ms=0)) as emulator:
        yield emulator


async def test_python_binance_rest_orders_with_rsa_and_the_user_socket(mx: MockExchange) -> None:
    """python-binance signs with an RSA key (REST, form bodies, encoded signatures) and its user
    socket subscribes with userDataStream.subscribe.signature and receives the fills."""
    binance = pytest.importorskip("binance", reason="python-binance is not installed")
    signer = rsa_signer("pbRsaKey")
    mx.add_account(signer.registration(balances={"USDT": "50000", "BTC": "1"}))
    client_class: Any = binance.AsyncClient
    original = client_class.WS_API_URL
    client_class.WS_API_URL = mx.url("wss://ws-api.binance.com/ws-api/v3")
    try:
        client: Any = client_class(api_key="pbRsaKey", private_key=signer.private_pem())
    finally:
        client_class.WS_API_URL = original
    client.API_URL = mx.url("https://api.binance.com/api")
    client.MARGIN_API_URL = mx.url("https://api.binance.com/sapi")
    try:
        account = await client.get_account()
        assert {"asset": "BTC", "free": "1.00000000", "locked": "0.00000000"} in account["balances"]
        order = await client.create_order(
            symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.001",
            price="80000",
        )  # fmt: skip
        assert order["status"] == "NEW"
        assert (await client.get_order(symbol="BTCUSDT", orderId=order["orderId"]))[
            "status"
        ] == "NEW"
        assert [o["orderId"] for o in await client.get_open_orders(symbol="BTCUSDT")] == [
            order["orderId"]
        ]
        canceled = await client.cancel_order(symbol="BTCUSDT", orderId=order["orderId"])
        assert canceled["status"] == "CANCELED"
        manager: Any = binance.BinanceSocketManager(client)
        async with manager.user_socket() as socket:
            market = await client.order_market_buy(symbol="BTCUSDT", quantity="0.001")
            assert market["status"] == "FILLED"
            first = await asyncio.wait_for(socket.recv(), TIMEOUT)
            assert (first["e"], first["x"], first["i"]) == (
                "executionReport",
                "NEW",
                market["orderId"],
            )
            fill = await asyncio.wait_for(socket.recv(), TIMEOUT)
            assert fill["x"] == "TRADE" and fill["N"] == "BTC"
        trades = await client.get_my_trades(symbol="BTCUSDT")
        assert {t["orderId"] for t in trades} == {market["orderId"]}
    finally:
        await client.close_connection()


async def test_official_sdk_with_ed25519_rest_logon_and_user_data(mx: MockExchange) -> None:
    """binance-sdk-spot signs REST with an Ed25519 key, logs the WS API session on, subscribes
    with userDataStream.subscribe and receives the events of an order placed on the session."""
    spot = pytest.importorskip("binance_sdk_spot.spot", reason="binance-sdk-spot is not installed")
    signer = ed25519_signer("sdkEdKey")
    mx.add_account(signer.registration(balances={"USDT": "50000", "BTC": "1"}))
    pem = signer.private_pem()
    client = spot.Spot(
        config_rest_api=spot.ConfigurationRestAPI(
            api_key="sdkEdKey", private_key=pem, base_path=mx.url("https://api.binance.com")
        ),
        config_ws_api=spot.ConfigurationWebSocketAPI(
            api_key="sdkEdKey",
            private_key=pem,
            stream_url=mx.url("wss://ws-api.binance.com:443/ws-api/v3"),
        ),
    )
    account = await asyncio.to_thread(client.rest_api.get_account)
    assert account.data().uid == mx.account_state("sdkEdKey")["uid"]
    rest_order = await asyncio.to_thread(
        client.rest_api.new_order, symbol="BTCUSDT", side="BUY", type="LIMIT",
        time_in_force="GTC", quantity=0.001, price=80000.0,
    )  # fmt: skip
    assert rest_order.data().status == "NEW"
    conn = await client.websocket_api.create_connection()
    try:
        logon = await conn.session_logon()
        assert logon.data().result.api_key == "sdkEdKey"
        subscription = await conn.user_data_stream_subscribe()
        assert subscription.response.data().result.subscription_id == 0
        events: list[Any] = []
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def on_event(data: Any) -> None:
            events.append(data.actual_instance)
            if type(events[-1]).__name__ == "OutboundAccountPosition" and not done.done():
                done.set_result(None)

        subscription.stream.on("message", on_event)
        placed = await conn.order_place(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=0.001)
        assert placed.data().result.status == "FILLED"
        await asyncio.wait_for(done, TIMEOUT)
        reports = [e for e in events if type(e).__name__ == "ExecutionReport"]
        assert reports[0].x == "NEW" and reports[-1].X == "FILLED"
        assert {r.i for r in reports} == {placed.data().result.order_id}
        status = await conn.session_status()
        assert status.data().result.user_data_stream is True
    finally:
        await conn.close_connection(close_session=True)
