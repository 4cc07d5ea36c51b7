"""The official Binance SDKs (binance-sdk-spot, binance-sdk-derivatives-trading-usds-futures),
unmodified and redirected only by their URLs, driven through the flows real users run: refusals
they map to typed errors, and responses they parse into their pydantic models."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from mock_exchange import MockExchange, ServerConfig
from tests.mock_exchange.signing import ed25519_signer, hmac_signer

spot = pytest.importorskip("binance_sdk_spot.spot", reason="binance-sdk-spot is not installed")
usdm = pytest.importorskip(
    "binance_sdk_derivatives_trading_usds_futures.derivatives_trading_usds_futures",
    reason="binance-sdk-derivatives-trading-usds-futures is not installed",
)
errors: Any = pytest.importorskip("binance_common.errors")

TIMEOUT = 20


@pytest.fixture
async def mx() -> AsyncIterator[MockExchange]:
    """An emulator on the wall clock (the SDKs sign with their own time), no activity."""
    async with MockExchange(config=ServerConfig(seed=11, rate=0, warmup_ms=0)) as emulator:
        yield emulator


def _spot_rest(mx: MockExchange, key: str, secret: str) -> Any:
    config = spot.ConfigurationRestAPI(
        api_key=key, api_secret=secret, base_path=mx.url("https://api.binance.com"), retries=0
    )
    return spot.Spot(config_rest_api=config).rest_api


async def test_banned_caller_order_is_refused_and_not_placed(mx: MockExchange) -> None:
    """While an IP ban lasts, the SDK's new_order gets RateLimitBanError (HTTP 418) and the
    order is not placed: Binance refuses a banned caller before acting."""
    signer = hmac_signer("sdkBanKey", "sdkBanSecret")
    mx.add_account(signer.registration(balances={"USDT": "50000"}))
    api = _spot_rest(mx, "sdkBanKey", "sdkBanSecret")
    mx.add_fault("force_418")
    with pytest.raises(errors.RateLimitBanError):
        await asyncio.to_thread(api.get_account)
    with pytest.raises(errors.RateLimitBanError):  # the ban lasts: the next order is refused
        await asyncio.to_thread(
            api.new_order, symbol="BTCUSDT", side="BUY", type="LIMIT", time_in_force="GTC",
            quantity=0.001, price=50000.0,
        )  # fmt: skip
    assert mx.account_state("sdkBanKey")["openOrders"] == []


async def test_banned_ws_api_session_order_is_refused_and_not_placed(mx: MockExchange) -> None:
    """A WS API session of a banned caller gets -1003 (status 418) for order.place and the
    order is not placed."""
    signer = ed25519_signer("sdkBanEd")
    mx.add_account(signer.registration(balances={"USDT": "50000"}))
    client = spot.Spot(
        config_ws_api=spot.ConfigurationWebSocketAPI(
            api_key="sdkBanEd",
            private_key=signer.private_pem(),
            stream_url=mx.url("wss://ws-api.binance.com:443/ws-api/v3"),
        )
    )
    conn = await client.websocket_api.create_connection()
    try:
        await conn.session_logon()
        mx.add_fault("force_418")
        # the SDK hands a WS API error back as the response's data (it does not raise)
        status = await conn.account_status()
        assert status.data()["error"]["code"] == -1003
        placed = await conn.order_place(
            symbol="BTCUSDT", side="BUY", type="LIMIT", time_in_force="GTC",
            quantity=0.001, price=50000.0,
        )  # fmt: skip
        assert placed.data()["error"]["code"] == -1003
    finally:
        await conn.close_connection(close_session=True)
    assert mx.account_state("sdkBanEd")["openOrders"] == []


def _usdm_rest(mx: MockExchange, key: str, secret: str) -> Any:
    config = usdm.ConfigurationRestAPI(
        api_key=key, api_secret=secret, base_path=mx.url("https://fapi.binance.com"), retries=0
    )
    return usdm.DerivativesTradingUsdsFutures(config_rest_api=config).rest_api


async def test_usdm_sdk_parses_symbol_configuration(mx: MockExchange) -> None:
    """GET /fapi/v1/symbolConfig parses into the SDK's model: ``isAutoAddMargin`` is a JSON
    boolean there (Binance's USD-M page), unlike positionRisk's string."""
    signer = hmac_signer("sdkCfgKey", "sdkCfgSecret")
    mx.add_account(signer.registration(futuresBalances={"USDT": "1000"}))
    api = _usdm_rest(mx, "sdkCfgKey", "sdkCfgSecret")
    await asyncio.to_thread(api.change_initial_leverage, symbol="BTCUSDT", leverage=7)
    rows = (await asyncio.to_thread(api.symbol_configuration, symbol="BTCUSDT")).data()
    # the SDK falls back to the raw list when its model rejects the payload
    assert type(rows[0]).__name__ == "SymbolConfigurationResponse"
    assert (rows[0].symbol, rows[0].leverage, rows[0].is_auto_add_margin) == ("BTCUSDT", 7, False)


async def test_spot_streams_several_subscriptions_and_unsubscribe(mx: MockExchange) -> None:
    """binance-sdk-spot's streams module holds several subscriptions on one connection, lists
    them, and after unsubscribing one the emulator stops sending it and lists the rest."""
    client = spot.Spot(
        config_ws_streams=spot.ConfigurationWebSocketStreams(
            stream_url=mx.url("wss://stream.binance.com:9443")
        )
    )
    conn = await client.websocket_streams.create_connection()
    try:
        trade = await conn.trade(symbol="btcusdt")
        book = await conn.book_ticker(symbol="btcusdt")
        depth = await conn.partial_book_depth(symbol="ethusdt", levels=5, update_speed="100ms")
        listed = await conn.list_subscribe()
        assert set(listed["result"]) == {
            "btcusdt@trade",
            "btcusdt@bookTicker",
            "ethusdt@depth5@100ms",
        }
        await trade.unsubscribe()
        listed = await conn.list_subscribe()  # answered after the UNSUBSCRIBE: same socket
        assert set(listed["result"]) == {"btcusdt@bookTicker", "ethusdt@depth5@100ms"}
        assert book is not None and depth is not None
    finally:
        await conn.close_connection(close_session=True)
