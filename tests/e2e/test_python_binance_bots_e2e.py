"""Unmodified python-binance 1.0.37 driven as bots drive it (hedge-mode futures, error paths),
URLs rewritten only. Each test pins a flow that differed from Binance before the fix."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from mock_exchange import MockExchange, ServerConfig

from .accounts import all_venues_account, point_python_binance

binance = pytest.importorskip("binance", reason="python-binance is not installed")

pytestmark = pytest.mark.asyncio(loop_scope="module")

KEY, SECRET = "pbBotsKey", "pbBotsSecret"


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def mx() -> AsyncIterator[MockExchange]:
    """An emulator on the wall clock (python-binance signs with its own time), no activity."""
    async with MockExchange(config=ServerConfig(seed=6, rate=0, warmup_ms=0)) as emulator:
        emulator.add_account(all_venues_account(KEY, SECRET))
        yield emulator


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def pb(mx: MockExchange) -> AsyncIterator[Any]:
    """python-binance's AsyncClient with an HMAC key, its REST base URLs rewritten."""
    client: Any = point_python_binance(binance.AsyncClient(api_key=KEY, api_secret=SECRET), mx.url)
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            await client.close_connection()


async def test_hedge_mode_reduce_only_is_refused_with_binances_lowercase_name(pb: Any) -> None:
    """In hedge mode a futures order carrying reduceOnly (even false) is -1106 naming
    'reduceonly' in lower case, as Binance's futures API words it; positionSide alone closes."""
    await pb.futures_change_position_mode(dualSidePosition="true")
    try:
        opened = await pb.futures_create_order(
            symbol="BTCUSDT", side="BUY", positionSide="LONG", type="MARKET", quantity="0.01"
        )
        assert opened["positionSide"] == "LONG"
        for flag in ("true", "false"):
            with pytest.raises(binance.exceptions.BinanceAPIException) as refused:
                await pb.futures_create_order(
                    symbol="BTCUSDT", side="SELL", positionSide="LONG", type="MARKET",
                    quantity="0.01", reduceOnly=flag,
                )  # fmt: skip
            assert (refused.value.status_code, refused.value.code) == (400, -1106)
            assert refused.value.message == "Parameter 'reduceonly' sent when not required."
        closed = await pb.futures_create_order(
            symbol="BTCUSDT", side="SELL", positionSide="LONG", type="MARKET", quantity="0.01"
        )
        assert closed["positionSide"] == "LONG"
        rows = await pb.futures_position_information(symbol="BTCUSDT")  # v3: open legs only
        assert [p for p in rows if p["positionSide"] == "LONG"] == []
    finally:
        await pb.futures_change_position_mode(dualSidePosition="false")


async def test_futures_parameter_not_required_names_it_in_lower_case(pb: Any) -> None:
    """A USD-M MARKET order with a stopPrice is -1106 "Parameter 'stopprice' sent when not
    required." (Binance's futures API lower-cases the name)."""
    with pytest.raises(binance.exceptions.BinanceAPIException) as refused:
        await pb.futures_create_order(
            symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01", stopPrice="80000"
        )
    assert refused.value.code == -1106
    assert refused.value.message == "Parameter 'stopprice' sent when not required."


async def test_a_banned_caller_places_no_order_over_rest_or_the_ws_api() -> None:
    """Once the IP is banned (418) or out of weight (429), python-binance's orders over REST and
    the WS API are refused before they run: the account has no open order afterwards."""
    async with MockExchange(config=ServerConfig(seed=6, rate=0, warmup_ms=0)) as mx:
        mx.add_account({"apiKey": KEY, "secret": SECRET, "balances": {"USDT": "10000"}})
        client_class: Any = binance.AsyncClient
        original = client_class.WS_API_URL
        client_class.WS_API_URL = mx.url("wss://ws-api.binance.com/ws-api/v3")
        try:
            client: Any = client_class(api_key=KEY, api_secret=SECRET)
        finally:
            client_class.WS_API_URL = original
        client.API_URL = mx.url("https://api.binance.com/api")
        try:
            statuses = []
            while not statuses or statuses[-1] != 418:  # 80 weight each: 429s, then the ban
                try:
                    await client.get_open_orders()
                    statuses.append(200)
                except binance.exceptions.BinanceAPIException as refused:
                    statuses.append(refused.status_code)
                    assert refused.code == -1003
            assert 429 in statuses and len(statuses) < 100
            order = {"symbol": "BTCUSDT", "side": "BUY", "quantity": "0.001", "price": "80000"}
            with pytest.raises(binance.exceptions.BinanceAPIException) as rest:
                await client.order_limit_buy(**order)
            assert (rest.value.status_code, rest.value.code) == (418, -1003)
            with pytest.raises(binance.exceptions.BinanceAPIException) as ws:
                await client.ws_create_order(type="LIMIT", timeInForce="GTC", **order)
            assert (ws.value.status_code, ws.value.code) == (418, -1003)
            with pytest.raises(binance.exceptions.BinanceAPIException) as lookup:
                await client.ws_get_order(symbol="BTCUSDT", orderId=1)
            assert lookup.value.status_code == 418  # not the -2013 the lookup would answer
            assert mx.account_state(KEY)["openOrders"] == []
        finally:
            await client.close_connection()


async def test_coin_m_account_trades_weigh_and_page_as_binance_documents(pb: Any) -> None:
    """COIN-M userTrades weighs 20 by symbol and 40 by pair and returns the newest 50 fills
    by default (USD-M: 5 and 500); allOrders weighs 20 and 40 likewise."""
    for _ in range(51):
        await pb.futures_coin_create_order(
            symbol="BTCUSD_PERP", side="BUY", type="MARKET", quantity="1"
        )
    weights = []
    for query in ({"symbol": "BTCUSD_PERP"}, {"pair": "BTCUSD"}):
        used = int(pb.response.headers["X-MBX-USED-WEIGHT-1M"])  # after the previous call
        trades = await pb.futures_coin_account_trades(**query)
        weights.append(int(pb.response.headers["X-MBX-USED-WEIGHT-1M"]) - used)
        assert len(trades) == 50
    assert weights == [20, 40]
    order_weights = []
    for query in ({"symbol": "BTCUSD_PERP"}, {"pair": "BTCUSD"}):
        used = int(pb.response.headers["X-MBX-USED-WEIGHT-1M"])
        await pb.futures_coin_get_all_orders(**query)
        order_weights.append(int(pb.response.headers["X-MBX-USED-WEIGHT-1M"]) - used)
    assert order_weights == [20, 40]
    assert len(await pb.futures_coin_account_trades(symbol="BTCUSD_PERP", limit=100)) == 51


async def test_usdm_history_queries_need_a_symbol(pb: Any) -> None:
    """USD-M ``userTrades`` and ``allOrders`` without ``symbol`` are -1102, as on Binance
    (where the parameter is mandatory), not every symbol's history."""
    for query in (pb.futures_account_trades, pb.futures_get_all_orders):
        with pytest.raises(binance.exceptions.BinanceAPIException) as refused:
            await query()
        assert (refused.value.status_code, refused.value.code) == (400, -1102)
        assert refused.value.message == (
            "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."
        )


async def test_futures_gtx_and_fok_refusals_say_the_order_is_not_recorded(
    pb: Any, mx: MockExchange
) -> None:
    """A post-only order that would take (-5022) and a FOK that cannot fill (-5021) are
    refused with Binance's full texts, which say the order is not kept, and indeed it is not."""
    ask = mx.exchange.engine("usdm").book("BTCUSDT").best_ask()
    assert ask is not None
    order = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "price": str(ask[0])}
    cases = [
        ("GTX", "0.01", -5022, "Due to the order could not be executed as maker, the Post Only "
         "order will be rejected. The order will not be recorded in the order history"),
        ("FOK", "500", -5021, "Due to the order could not be filled immediately, the FOK order "
         "has been rejected. The order will not be recorded in the order history"),
    ]  # fmt: skip
    for tif, quantity, code, text in cases:
        with pytest.raises(binance.exceptions.BinanceAPIException) as refused:
            await pb.futures_create_order(timeInForce=tif, quantity=quantity, **order)
        assert (refused.value.code, refused.value.message) == (code, text)
    kept = await pb.futures_get_all_orders(symbol="BTCUSDT")
    assert all(o["timeInForce"] not in ("GTX", "FOK") for o in kept)
