"""Unmodified python-binance and the official SDKs through account flows beyond the order
lifecycle (wallet and key reads, batch cancels, test orders, transfers). Each test pins a flow
that failed against the emulator before it matched Binance; URLs rewritten only.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio

from mock_exchange import MockExchange, ServerConfig

from .accounts import all_venues_account, point_python_binance

binance = pytest.importorskip("binance", reason="python-binance is not installed")

pytestmark = pytest.mark.asyncio(loop_scope="module")

KEY, SECRET = "pbFlowsKey", "pbFlowsSecret"


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def mx() -> AsyncIterator[MockExchange]:
    """An emulator on the wall clock (the clients sign with their own time), no activity."""
    async with MockExchange(config=ServerConfig(seed=5, rate=0, warmup_ms=0)) as emulator:
        emulator.add_account(
            {**all_venues_account(KEY, SECRET), "permissions": ["reading", "spot", "futures"]}
        )
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


@pytest.fixture(scope="module")
def usdm_sdk(mx: MockExchange) -> Any:
    """The official USD-M SDK's REST client with the account's HMAC key."""
    sdk = pytest.importorskip(
        "binance_sdk_derivatives_trading_usds_futures.derivatives_trading_usds_futures",
        reason="binance-sdk-derivatives-trading-usds-futures is not installed",
    )
    config = sdk.ConfigurationRestAPI(
        api_key=KEY, api_secret=SECRET, base_path=mx.url("https://fapi.binance.com")
    )
    return sdk.DerivativesTradingUsdsFutures(config_rest_api=config).rest_api


@pytest.fixture(scope="module")
def spot_sdk(mx: MockExchange) -> Any:
    """The official spot SDK's REST client with the account's HMAC key."""
    spot = pytest.importorskip("binance_sdk_spot.spot", reason="binance-sdk-spot is not installed")
    config = spot.ConfigurationRestAPI(
        api_key=KEY, api_secret=SECRET, base_path=mx.url("https://api.binance.com")
    )
    return spot.Spot(config_rest_api=config).rest_api


async def test_python_binance_wallet_and_key_reads(pb: Any) -> None:
    """get_system_status, get_trade_fee, get_account_api_permissions (the key's own
    permissions), get_account_status and get_account_api_trading_status answer as Binance."""
    assert await pb.get_system_status() == {"status": 0, "msg": "normal"}
    assert await pb.get_trade_fee(symbol="BTCUSDT") == [
        {"symbol": "BTCUSDT", "makerCommission": "0.001", "takerCommission": "0.001"}
    ]
    permissions = await pb.get_account_api_permissions()
    assert permissions["enableReading"] and permissions["enableSpotAndMarginTrading"]
    assert permissions["enableFutures"] and not permissions["enableMargin"]
    assert not permissions["enableWithdrawals"] and permissions["ipRestrict"] is False
    assert await pb.get_account_status() == {"data": "Normal"}
    trading = await pb.get_account_api_trading_status()
    assert trading["data"]["isLocked"] is False


async def test_futures_test_order_checks_without_placing(
    pb: Any, usdm_sdk: Any, mx: MockExchange
) -> None:
    """POST /fapi/v1/order/test (python-binance futures_create_test_order, the SDK's
    test_order) answers the order as it would be accepted, refuses what POST order refuses,
    and places nothing."""
    tested = await pb.futures_create_test_order(
        symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01",
        price="88000", newClientOrderId="pbTest1",
    )  # fmt: skip
    assert (tested["orderId"], tested["status"], tested["clientOrderId"]) == (0, "NEW", "pbTest1")
    assert (tested["origQty"], tested["price"], tested["type"]) == ("0.010", "88000.00", "LIMIT")
    with pytest.raises(binance.exceptions.BinanceAPIException) as refused:
        await pb.futures_create_test_order(
            symbol="BTCUSDT", side="BUY", type="MARKET", quantity="100"
        )
    assert refused.value.code == -2019
    answer = await asyncio.to_thread(
        usdm_sdk.test_order, symbol="BTCUSDT", side="SELL", type="MARKET", quantity=0.01
    )
    assert answer.data().order_id == 0 and answer.data().orig_qty == "0.010"
    assert await pb.futures_get_open_orders(symbol="BTCUSDT") == []
    assert mx.account_state(KEY)["positions"] == []


async def test_multi_assets_mode_reads(pb: Any, usdm_sdk: Any) -> None:
    """GET /fapi/v1/multiAssetsMargin (python-binance futures_get_multi_assets_mode, the SDK's
    get_current_multi_assets_mode) says single-asset mode, as accountConfig does."""
    assert await pb.futures_get_multi_assets_mode() == {"multiAssetsMargin": False}
    answer = await asyncio.to_thread(usdm_sdk.get_current_multi_assets_mode)
    assert answer.data().multi_assets_margin is False
    assert (await pb.futures_account_config())["multiAssetsMargin"] is False


async def test_python_binance_universal_transfer_and_deposit_history(
    pb: Any, mx: MockExchange
) -> None:
    """make_universal_transfer moves funds between the spot and futures wallets (the futures
    balance reads show them), query_universal_transfer_history lists it, an unserved wallet
    type is refused with -1020, get_deposit_history lists a control-API deposit."""
    before = mx.account_state(KEY)
    done = await pb.make_universal_transfer(type="MAIN_UMFUTURE", asset="USDT", amount="100")
    assert isinstance(done["tranId"], int)
    (usdt,) = [b for b in await pb.futures_account_balance() if b["asset"] == "USDT"]
    expected = Decimal(before["futuresBalances"]["USDT"]["free"]) + 100
    assert Decimal(usdt["balance"]) == expected
    await pb.make_universal_transfer(type="CMFUTURE_MAIN", asset="BTC", amount="0.25")
    history = await pb.query_universal_transfer_history(type="MAIN_UMFUTURE")
    assert history["total"] == 1
    assert history["rows"][0] == {
        "asset": "USDT", "amount": "100", "type": "MAIN_UMFUTURE", "status": "CONFIRMED",
        "tranId": done["tranId"], "timestamp": history["rows"][0]["timestamp"],
    }  # fmt: skip
    with pytest.raises(binance.exceptions.BinanceAPIException) as refused:
        await pb.make_universal_transfer(type="MAIN_MARGIN", asset="USDT", amount="1")
    assert refused.value.code == -1020
    mx.deposit(KEY, "BNB", "2.5")
    (deposit,) = await pb.get_deposit_history(coin="BNB")
    assert (deposit["coin"], deposit["amount"], deposit["status"]) == ("BNB", "2.5", 1)
    assert await pb.get_withdraw_history() == []


async def test_python_binance_coin_futures_user_socket(pb: Any, mx: MockExchange) -> None:
    """coin_futures_user_socket (dstream /ws/<listenKey>) delivers a fill's ORDER_TRADE_UPDATE
    and ACCOUNT_UPDATE in contracts, and no TRADE_LITE (a USD-M-only event)."""
    manager: Any = binance.BinanceSocketManager(pb, user_timeout=1)
    manager.DSTREAM_URL = mx.url("wss://dstream.binance.com/")
    async with manager.coin_futures_user_socket() as socket:
        order = await pb.futures_coin_create_order(
            symbol="BTCUSD_PERP", side="BUY", type="MARKET", quantity="1"
        )
        seen: list[dict[str, Any]] = []
        while not seen or seen[-1]["e"] != "ACCOUNT_UPDATE":
            seen.append(await asyncio.wait_for(socket.recv(), 10))
        # python-binance's read loop notices the close only when a frame arrives (or after
        # its 10 s read timeout): a leverage change sends ACCOUNT_CONFIG_UPDATE to wake it
        nudge = asyncio.ensure_future(
            pb.futures_coin_change_leverage(symbol="BTCUSD_PERP", leverage=7)
        )
    await nudge
    kinds = [event["e"] for event in seen]
    assert "TRADE_LITE" not in kinds and kinds[-1] == "ACCOUNT_UPDATE"
    fills = [e["o"] for e in seen if e["e"] == "ORDER_TRADE_UPDATE" and e["o"]["x"] == "TRADE"]
    assert fills and all(f["i"] == order["orderId"] for f in fills)
    assert seen[-1]["a"]["P"][0]["pa"] == "1"


async def test_spot_trailing_stop_is_refused_as_for_a_symbol_without_trailing(
    spot_sdk: Any,
) -> None:
    """A STOP_LOSS with trailingDelta and no stopPrice (the SDK's trailing stop) is refused
    with -2010 "Trailing stop orders are not supported for this symbol." (exchangeInfo says
    allowTrailingStop false), not as a missing stopPrice."""
    errors = pytest.importorskip("binance_common.errors")
    with pytest.raises(errors.BadRequestError, match="Trailing stop orders are not supported"):
        await asyncio.to_thread(
            spot_sdk.new_order, symbol="BTCUSDT", side="SELL", type="STOP_LOSS",
            quantity=0.001, trailing_delta=100,
        )  # fmt: skip


async def test_usdm_order_rate_limits(usdm_sdk: Any) -> None:
    """GET /fapi/v1/rateLimit/order (the SDK's query_user_rate_limit) lists the account's
    ORDERS limits as exchangeInfo states them."""
    answer = await asyncio.to_thread(usdm_sdk.query_user_rate_limit)
    rows = [row.to_dict() for row in answer.data()]
    assert {(r["rateLimitType"], r["interval"], r["intervalNum"], r["limit"]) for r in rows} == {
        ("ORDERS", "MINUTE", 1, 1200),
        ("ORDERS", "SECOND", 10, 300),
    }


async def test_futures_auto_cancel_countdown(pb: Any, usdm_sdk: Any, mx: MockExchange) -> None:
    """countdownCancelAll (the SDK's auto_cancel_all_open_orders, python-binance's
    futures_countdown_cancel_all) cancels the symbol's open orders once its countdown runs
    out on the emulator clock; a countdown of 0 stops the timer. (Runs last: it moves the
    clock 3 s ahead of the clients'.)"""
    price = str(round(float(mx.exchange.engine("usdm").last_price("BTCUSDT")) * 0.97, 1))
    order = await pb.futures_create_order(
        symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01",
        price=price,
    )  # fmt: skip
    armed = await asyncio.to_thread(
        usdm_sdk.auto_cancel_all_open_orders, symbol="BTCUSDT", countdown_time=1000
    )
    assert armed.data().to_dict() == {"symbol": "BTCUSDT", "countdownTime": "1000"}
    await pb.futures_countdown_cancel_all(symbol="BTCUSDT", countdownTime=0)
    mx.clock.advance(1500)
    assert [o["orderId"] for o in await pb.futures_get_open_orders(symbol="BTCUSDT")] == [
        order["orderId"]
    ]
    await pb.futures_countdown_cancel_all(symbol="BTCUSDT", countdownTime=1000)
    mx.clock.advance(1500)
    assert await pb.futures_get_open_orders(symbol="BTCUSDT") == []
    done = await pb.futures_get_order(symbol="BTCUSDT", orderId=order["orderId"])
    assert done["status"] == "CANCELED"
