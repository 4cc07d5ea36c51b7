"""Unmodified python-binance and the official SDKs through account queries a user runs after
trading (COIN-M history by pair, ...). Each test pins a flow that answered differently from
Binance before it was fixed; URLs rewritten only.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from mock_exchange import MockExchange, ServerConfig

from .accounts import all_venues_account, point_python_binance

binance = pytest.importorskip("binance", reason="python-binance is not installed")

pytestmark = pytest.mark.asyncio(loop_scope="module")

KEY, SECRET = "queriesKey", "queriesSecret"


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def mx() -> AsyncIterator[MockExchange]:
    """An emulator on the wall clock (the clients sign with their own time), no activity."""
    async with MockExchange(config=ServerConfig(seed=7, rate=0, warmup_ms=0)) as emulator:
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


def _coinm_price(mx: MockExchange, factor: float) -> str:
    return str(round(float(mx.exchange.engine("coinm").last_price("BTCUSD_PERP")) * factor, 1))


async def test_coinm_history_and_open_orders_by_pair(pb: Any, mx: MockExchange) -> None:
    """COIN-M allOrders, userTrades and openOrders take ``pair`` instead of ``symbol`` (every
    contract of the pair), as Binance's /dapi documents; both is -1128, neither -1102."""
    filled = await pb.futures_coin_create_order(
        symbol="BTCUSD_PERP", side="BUY", type="MARKET", quantity="1"
    )
    resting = await pb.futures_coin_create_order(
        symbol="BTCUSD_PERP", side="BUY", type="LIMIT", timeInForce="GTC", quantity="1",
        price=_coinm_price(mx, 0.97),
    )  # fmt: skip
    orders = await pb.futures_coin_get_all_orders(pair="BTCUSD")
    assert [o["orderId"] for o in orders] == [filled["orderId"], resting["orderId"]]
    trades = await pb.futures_coin_account_trades(pair="BTCUSD")
    assert trades and {t["orderId"] for t in trades} == {filled["orderId"]}
    assert all(t["pair"] == "BTCUSD" for t in trades)
    (open_order,) = await pb.futures_coin_get_open_orders(pair="BTCUSD")
    assert open_order["orderId"] == resting["orderId"]
    assert await pb.futures_coin_get_open_orders(pair="ETHUSD") == []
    with pytest.raises(binance.exceptions.BinanceAPIException) as both:
        await pb.futures_coin_get_all_orders(symbol="BTCUSD_PERP", pair="BTCUSD")
    assert both.value.code == -1128
    with pytest.raises(binance.exceptions.BinanceAPIException) as with_from_id:
        await pb.futures_coin_account_trades(pair="BTCUSD", fromId=1)
    assert with_from_id.value.code == -1128
    with pytest.raises(binance.exceptions.BinanceAPIException) as neither:
        await pb.futures_coin_account_trades()
    assert (neither.value.code, neither.value.message) == (
        -1102, "Param 'symbol' or 'pair' must be sent, but both were empty/null!"
    )  # fmt: skip
    await pb.futures_coin_cancel_all_open_orders(symbol="BTCUSD_PERP")
    await pb.futures_coin_create_order(
        symbol="BTCUSD_PERP", side="SELL", type="MARKET", quantity="1", reduceOnly="true"
    )


async def test_spot_prevented_matches_over_rest_and_ws_api(pb: Any, mx: MockExchange) -> None:
    """A self-trade STP prevented is listed by myPreventedMatches (python-binance
    get_prevented_matches over REST by orderId, the official SDK's WS API by preventedMatchId)
    with the maker's prevented quantity; other combinations are -1128."""
    spot = pytest.importorskip("binance_sdk_spot.spot", reason="binance-sdk-spot is not installed")
    book = await pb.get_order_book(symbol="BTCUSDT", limit=5)
    best_bid, level_qty = book["bids"][0]
    maker = await pb.order_limit_buy(symbol="BTCUSDT", quantity="0.002", price=best_bid)
    taker = await pb.order_limit_sell(
        symbol="BTCUSDT", quantity=f"{float(level_qty) + 0.003:.5f}", price=best_bid,
        selfTradePreventionMode="EXPIRE_MAKER",
    )  # fmt: skip
    expired = await pb.get_order(symbol="BTCUSDT", orderId=maker["orderId"])
    assert expired["status"] == "EXPIRED_IN_MATCH"
    by_order = await pb.get_prevented_matches(symbol="BTCUSDT", orderId=maker["orderId"])
    assert by_order == [
        {
            "symbol": "BTCUSDT", "preventedMatchId": expired["preventedMatchId"],
            "takerOrderId": taker["orderId"], "makerSymbol": "BTCUSDT",
            "makerOrderId": maker["orderId"], "tradeGroupId": -1,
            "selfTradePreventionMode": "EXPIRE_MAKER", "price": best_bid,
            "makerPreventedQuantity": "0.00200000", "transactTime": by_order[0]["transactTime"],
        }
    ]  # fmt: skip
    assert await pb.get_prevented_matches(symbol="BTCUSDT", orderId=taker["orderId"]) == by_order
    config = spot.ConfigurationWebSocketAPI(
        api_key=KEY, api_secret=SECRET, stream_url=mx.url("wss://ws-api.binance.com:443/ws-api/v3")
    )
    ws = await spot.Spot(config_ws_api=config).websocket_api.create_connection()
    try:
        answer = await ws.my_prevented_matches(
            "BTCUSDT", prevented_match_id=expired["preventedMatchId"]
        )
        assert [row.to_dict() for row in answer.data().result] == by_order
    finally:
        await ws.close_connection()
    with pytest.raises(binance.exceptions.BinanceAPIException) as refused:
        await pb.get_prevented_matches(symbol="BTCUSDT")
    assert refused.value.code == -1128
    await pb.cancel_order(symbol="BTCUSDT", orderId=taker["orderId"])


async def test_futures_order_modify_history(pb: Any, mx: MockExchange) -> None:
    """GET /fapi/v1/orderAmendment (the USD-M SDK's get_order_modify_history, python-binance's
    futures_v1_get_order_amendment) lists an order's modifies newest first with prices and
    quantities before and after; an unknown order is -2013."""
    sdk = pytest.importorskip(
        "binance_sdk_derivatives_trading_usds_futures.derivatives_trading_usds_futures",
        reason="binance-sdk-derivatives-trading-usds-futures is not installed",
    )
    config = sdk.ConfigurationRestAPI(
        api_key=KEY, api_secret=SECRET, base_path=mx.url("https://fapi.binance.com")
    )
    rest = sdk.DerivativesTradingUsdsFutures(config_rest_api=config).rest_api
    last = float(mx.exchange.engine("usdm").last_price("BTCUSDT"))
    first, second = (f"{round(last * f, 1):.1f}" for f in (0.97, 0.96))
    order = await pb.futures_create_order(
        symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01",
        price=first, newClientOrderId="amendMe",
    )  # fmt: skip
    await pb.futures_modify_order(
        symbol="BTCUSDT", orderId=order["orderId"], side="BUY", quantity="0.02", price=first
    )
    await pb.futures_modify_order(
        symbol="BTCUSDT", orderId=order["orderId"], side="BUY", quantity="0.02", price=second
    )
    answer = await asyncio.to_thread(
        rest.get_order_modify_history, symbol="BTCUSDT", order_id=order["orderId"]
    )
    rows = [row.to_dict() for row in answer.data()]
    assert [r["amendment"]["count"] for r in rows] == [2, 1]
    assert rows[0]["amendmentId"] > rows[1]["amendmentId"]
    assert (rows[0]["orderId"], rows[0]["clientOrderId"], rows[0]["pair"]) == (
        order["orderId"], "amendMe", "BTCUSDT"
    )  # fmt: skip
    newest, oldest = (r["amendment"] for r in rows)
    assert (float(newest["price"]["before"]), float(newest["price"]["after"])) == (
        float(first), float(second)
    )  # fmt: skip
    qty_changes = [(a["origQty"]["before"], a["origQty"]["after"]) for a in (newest, oldest)]
    assert qty_changes == [("0.02", "0.02"), ("0.01", "0.02")]
    by_client_id = await pb.futures_v1_get_order_amendment(
        symbol="BTCUSDT", origClientOrderId="amendMe"
    )
    assert [r["amendmentId"] for r in by_client_id] == [r["amendmentId"] for r in rows]
    with pytest.raises(binance.exceptions.BinanceAPIException) as unknown:
        await pb.futures_v1_get_order_amendment(symbol="BTCUSDT", orderId=1)
    assert unknown.value.code == -2013
    await pb.futures_cancel_order(symbol="BTCUSDT", orderId=order["orderId"])


async def test_futures_order_beyond_the_leverage_notional_cap_is_refused(pb: Any) -> None:
    """At 125x (maxNotionalValue 50000) a USD-M order that would grow the position past the cap
    is refused with -2027, as Binance refuses it; the same order fits at 20x."""
    capped = await pb.futures_change_leverage(symbol="BTCUSDT", leverage=125)
    assert capped["maxNotionalValue"] == "50000"
    with pytest.raises(binance.exceptions.BinanceAPIException) as refused:
        await pb.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="1")
    assert (refused.value.code, refused.value.message) == (
        -2027, "Exceeded the maximum allowable position at current leverage."
    )  # fmt: skip
    await pb.futures_change_leverage(symbol="BTCUSDT", leverage=20)
    bought = await pb.futures_create_order(
        symbol="BTCUSDT", side="BUY", type="MARKET", quantity="1", newOrderRespType="RESULT"
    )
    assert bought["status"] == "FILLED"
    await pb.futures_create_order(
        symbol="BTCUSDT", side="SELL", type="MARKET", quantity="1", reduceOnly="true"
    )


@pytest.mark.parametrize(("venue", "symbol", "qty", "code"), [
    ("usdm", "ETHUSDT", "0.1", -4161),
    ("coinm", "BTCUSD_PERP", "1", -4150),
])  # fmt: skip
async def test_leverage_cannot_be_lowered_on_an_isolated_position(
    pb: Any, venue: str, symbol: str, qty: str, code: int
) -> None:
    """With an isolated position open, lowering the symbol's leverage is refused (USD-M -4161,
    COIN-M -4150) as Binance refuses it; raising it is allowed, and once flat it may fall."""
    coin = venue == "coinm"
    margin_type = pb.futures_coin_change_margin_type if coin else pb.futures_change_margin_type
    leverage = pb.futures_coin_change_leverage if coin else pb.futures_change_leverage
    create = pb.futures_coin_create_order if coin else pb.futures_create_order
    await margin_type(symbol=symbol, marginType="ISOLATED")
    await leverage(symbol=symbol, leverage=10)
    await create(symbol=symbol, side="BUY", type="MARKET", quantity=qty)
    with pytest.raises(binance.exceptions.BinanceAPIException) as refused:
        await leverage(symbol=symbol, leverage=5)
    assert refused.value.code == code
    assert refused.value.message.startswith(
        "Leverage reduction is not supported in Isolated Margin Mode with open positions"
    )
    assert (await leverage(symbol=symbol, leverage=15))["leverage"] == 15
    await create(symbol=symbol, side="SELL", type="MARKET", quantity=qty, reduceOnly="true")
    assert (await leverage(symbol=symbol, leverage=5))["leverage"] == 5


async def test_futures_trading_rules_indicators(pb: Any, mx: MockExchange) -> None:
    """GET /fapi/v1/apiTradingStatus (python-binance futures_api_trading_status, the USD-M
    SDK's futures_trading_quantitative_rules_indicators) answers that no quantitative-rules
    indicator has fired, as the spot apiTradingStatus says; an unknown symbol is -1121."""
    sdk = pytest.importorskip(
        "binance_sdk_derivatives_trading_usds_futures.derivatives_trading_usds_futures",
        reason="binance-sdk-derivatives-trading-usds-futures is not installed",
    )
    status = await pb.futures_api_trading_status()
    assert status["indicators"] == {} and isinstance(status["updateTime"], int)
    config = sdk.ConfigurationRestAPI(
        api_key=KEY, api_secret=SECRET, base_path=mx.url("https://fapi.binance.com")
    )
    rest = sdk.DerivativesTradingUsdsFutures(config_rest_api=config).rest_api
    answer = await asyncio.to_thread(
        rest.futures_trading_quantitative_rules_indicators, symbol="BTCUSDT"
    )
    assert answer.data().to_dict()["updateTime"] == status["updateTime"]
    with pytest.raises(binance.exceptions.BinanceAPIException) as unknown:
        await pb.futures_api_trading_status(symbol="NOPEUSDT")
    assert unknown.value.code == -1121
