"""USD-M accounts over the wire: orders into positions, user data on listen-key streams."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal

import aiohttp
import pytest

from mock_exchange import MockExchange, ServerConfig
from mock_exchange.transports.rules import FUTURES_RULES
from tests.mock_exchange.futures_client import FuturesClient, next_event
from tests.mock_exchange.signing import ed25519_signer, hmac_signer, ws_request
from tests.mock_exchange.trading_client import open_gap

START = 1_767_229_200_000  # 2026-01-01 01:00 UTC: the next funding time is 08:00
KEY, SECRET = "futKey1", "futSecret1"


@pytest.fixture
async def mx() -> AsyncIterator[MockExchange]:
    """An emulator on a frozen clock, no background activity, one funded futures account.

    Keepalive pings are off: the tests jump the clock by hours, faster than a pong returns.
    """
    config = ServerConfig(
        rate=0,
        frozen_clock=True,
        warmup_ms=0,
        start_ms=START,
        futures_rules=FUTURES_RULES.relaxed(),
    )
    async with MockExchange(config=config) as m:
        open_gap(m, venue="usdm")  # the deep default book (issue 9), opened 89991..90009
        m.add_account(api_key=KEY, secret=SECRET, futures_balances={"USDT": "10000"})
        yield m


@pytest.fixture
async def fc(mx: MockExchange) -> AsyncIterator[FuturesClient]:
    """A signed client of the account."""
    async with aiohttp.ClientSession() as session:
        yield FuturesClient(mx, session, KEY, SECRET)


async def _stream(fc: FuturesClient, key: str, query: str = "") -> aiohttp.ClientWebSocketResponse:
    url = fc.mx.url(f"wss://fstream.binance.com/private/ws?listenKey={key}{query}")
    return await fc.session.ws_connect(url)


async def test_market_order_opens_a_position_and_streams_user_data(fc: FuturesClient) -> None:
    """A MARKET buy gives TRADE_LITE, ORDER_TRADE_UPDATE (NEW, TRADE) and ACCOUNT_UPDATE m=ORDER;
    positionRisk and the v3 account show the position; the wallet paid the taker commission."""
    key = await fc.listen_key()
    ws = await _stream(fc, key)
    placed = await fc.ok(
        "POST",
        "/fapi/v1/order",
        {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "type": "MARKET",
            "quantity": "0.010",
            "newOrderRespType": "RESULT",
        },
    )
    assert placed["status"] == "FILLED" and placed["executedQty"] == "0.010"
    new = await next_event(ws, "ORDER_TRADE_UPDATE")
    assert new["o"]["x"] == "NEW" and new["o"]["X"] == "NEW"
    lite = await next_event(ws, "TRADE_LITE")
    trade = await next_event(ws, "ORDER_TRADE_UPDATE")
    o = trade["o"]
    assert o["x"] == "TRADE" and o["X"] == "FILLED" and o["N"] == "USDT" and o["ps"] == "BOTH"
    assert lite["i"] == o["i"] == placed["orderId"] and lite["t"] == o["t"]
    fields = {
        "s",
        "c",
        "S",
        "o",
        "f",
        "q",
        "p",
        "ap",
        "sp",
        "x",
        "X",
        "i",
        "l",
        "z",
        "L",
        "N",
        "n",
        "T",
        "t",
        "b",
        "a",
        "m",
        "R",
        "wt",
        "ot",
        "ps",
        "cp",
        "rp",
        "pP",
        "si",
        "ss",
        "V",
        "pm",
        "gtd",
        "er",
    }
    assert fields <= set(o)
    update = await next_event(ws, "ACCOUNT_UPDATE")
    assert update["a"]["m"] == "ORDER" and update["E"] == trade["E"]
    (pos,) = update["a"]["P"]
    assert pos["pa"] == "0.010" and pos["ps"] == "BOTH" and pos["mt"] == "cross"
    fee = Decimal(o["n"])
    assert fee == (Decimal(o["L"]) * Decimal("0.010") * Decimal("0.0005")).quantize(Decimal("1e-8"))
    assert Decimal(update["a"]["B"][0]["wb"]) == Decimal("10000") - fee
    risk = await fc.ok("GET", "/fapi/v3/positionRisk", {"symbol": "BTCUSDT"})
    assert risk[0]["positionAmt"] == "0.010" and Decimal(risk[0]["entryPrice"]) == Decimal(o["L"])
    assert Decimal(risk[0]["breakEvenPrice"]) > Decimal(risk[0]["entryPrice"])
    assert Decimal(risk[0]["liquidationPrice"]) == 0  # 900 USDT long on 10000: no price can
    account = await fc.ok("GET", "/fapi/v3/account")
    assert Decimal(account["totalWalletBalance"]) == Decimal("10000") - fee
    assert account["positions"][0]["symbol"] == "BTCUSDT"
    trades = await fc.ok("GET", "/fapi/v1/userTrades", {"symbol": "BTCUSDT"})
    assert trades[0]["id"] == o["t"] and trades[0]["commission"] == o["n"]
    await ws.close()


async def test_closing_realises_pnl_and_reduce_only_rules(fc: FuturesClient) -> None:
    """A reduce-only order without a position is -2022; closing realises PnL into the wallet and
    income; the position goes flat."""
    status, err = await fc.call(
        "POST",
        "/fapi/v1/order",
        {
            "symbol": "BTCUSDT",
            "side": "SELL",
            "type": "MARKET",
            "quantity": "0.01",
            "reduceOnly": "true",
        },
    )
    assert (status, err["code"], err["msg"]) == (400, -2022, "ReduceOnly Order is rejected.")
    await fc.ok(
        "POST",
        "/fapi/v1/order",
        {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01"},
    )
    await fc.ok(
        "POST",
        "/fapi/v1/order",
        {
            "symbol": "BTCUSDT",
            "side": "SELL",
            "type": "MARKET",
            "quantity": "0.02",
            "reduceOnly": "true",
        },
    )
    risk = await fc.ok("GET", "/fapi/v3/positionRisk")
    assert risk == []
    await fc.ok(
        "POST",
        "/fapi/v1/order",
        {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.002"},
    )
    small = await fc.ok(  # below MIN_NOTIONAL, allowed because it only reduces
        "POST",
        "/fapi/v1/order",
        {
            "symbol": "BTCUSDT",
            "side": "SELL",
            "type": "LIMIT",
            "quantity": "0.001",
            "price": "89000",
            "timeInForce": "GTC",
            "reduceOnly": "true",
            "newOrderRespType": "RESULT",
        },
    )
    assert small["status"] == "FILLED" and small["reduceOnly"] is True
    trades = await fc.ok("GET", "/fapi/v1/userTrades", {"symbol": "BTCUSDT"})
    fees = sum(Decimal(t["commission"]) for t in trades)
    realized = sum(Decimal(t["realizedPnl"]) for t in trades)
    assert realized < 0  # bought at the ask, sold at the bid
    (bal,) = [b for b in await fc.ok("GET", "/fapi/v2/balance") if b["asset"] == "USDT"]
    assert Decimal(bal["balance"]) == Decimal("10000") + realized - fees
    income = await fc.ok("GET", "/fapi/v1/income", {"symbol": "BTCUSDT"})
    assert {r["incomeType"] for r in income} == {"REALIZED_PNL", "COMMISSION"}
    assert (await fc.ok("GET", "/fapi/v3/positionRisk"))[0]["positionAmt"] == "0.001"


@pytest.mark.parametrize(
    ("params", "code", "msg"),
    [
        (
            {
                "type": "LIMIT",
                "quantity": "0.010",
                "price": "90000",
                "timeInForce": "GTC",
                "side": "BUY",
                "positionSide": "LONG",
            },
            -4061,
            "Order's position side does not match user's setting.",
        ),
        (
            {"type": "STOP_MARKET", "side": "BUY", "stopPrice": "95000", "quantity": "0.01"},
            -4120,
            "Order type not supported for this endpoint. Please use the Algo Order API endpoints "
            "instead.",
        ),
        (
            {
                "type": "LIMIT",
                "side": "BUY",
                "quantity": "0.001",
                "price": "90000",
                "timeInForce": "GTC",
            },
            -4164,
            "Order's notional must be no smaller than 100 (unless you choose reduce only)",
        ),
        (
            {
                "type": "LIMIT",
                "side": "BUY",
                "quantity": "0.010",
                "price": "95000",
                "timeInForce": "GTX",
            },
            -4016,
            "Price is higher than mark price multiplier cap.",
        ),
        (
            {
                "type": "LIMIT",
                "side": "BUY",
                "quantity": "0.010",
                "price": "90010",
                "timeInForce": "GTX",
            },
            -5022,
            "Due to the order could not be executed as maker, the Post Only order will be "
            "rejected. The order will not be recorded in the order history",
        ),
        ({"type": "MARKET", "side": "BUY", "quantity": "5"}, -2019, "Margin is insufficient."),
        (
            {
                "type": "LIMIT",
                "side": "BUY",
                "quantity": "0.0101",
                "price": "90000",
                "timeInForce": "GTC",
            },
            -1111,
            "Precision is over the maximum defined for this asset.",
        ),
        (
            {
                "type": "LIMIT",
                "side": "BUY",
                "quantity": "0.010",
                "price": "90000.05",
                "timeInForce": "GTC",
            },
            -4014,
            "Price not increased by tick size.",
        ),
    ],
)
async def test_order_refusals_are_binance_errors(
    fc: FuturesClient, params: dict[str, str], code: int, msg: str
) -> None:
    """Futures refusals carry Binance's futures codes and messages verbatim."""
    status, err = await fc.call("POST", "/fapi/v1/order", {"symbol": "BTCUSDT", **params})
    assert (status, err) == (400, {"code": code, "msg": msg})


async def test_listen_key_expires_on_the_virtual_clock(fc: FuturesClient) -> None:
    """A key kept alive lives on; unattended for 60 minutes it expires: the stream gets
    listenKeyExpired with an integer E and closes, and PUT answers -1125."""
    key = await fc.listen_key()
    assert await fc.listen_key() == key  # POST returns the active key
    ws = await _stream(fc, key)
    fc.mx.clock.advance(30 * 60_000)
    status, body = await fc.call("PUT", "/fapi/v1/listenKey", signed=False)
    assert status == 200 and body == {"listenKey": key}
    fc.mx.clock.advance(59 * 60_000)  # 89 minutes after creation, 59 after the keep-alive
    await fc.ok("POST", "/fapi/v1/leverage", {"symbol": "BTCUSDT", "leverage": 10})
    config = await next_event(ws, "ACCOUNT_CONFIG_UPDATE")
    assert config["ac"] == {"s": "BTCUSDT", "l": 10}
    fc.mx.clock.advance(2 * 60_000)
    expired = await next_event(ws, "listenKeyExpired")
    assert expired["listenKey"] == key and isinstance(expired["E"], int)
    msg = await ws.receive(timeout=5)
    assert msg.type in (
        aiohttp.WSMsgType.CLOSE,
        aiohttp.WSMsgType.CLOSED,
        aiohttp.WSMsgType.CLOSING,
    )
    status, body = await fc.call("PUT", "/fapi/v1/listenKey", signed=False)
    assert (status, body["code"]) == (400, -1125)
    assert await fc.listen_key() != key


async def test_event_filter_combined_stream_and_deposit(fc: FuturesClient) -> None:
    """``events=`` is an allow-list; ``/stream?streams=<key>`` wraps events as
    {"stream","data"}; a futures deposit gives ACCOUNT_UPDATE m=DEPOSIT."""
    key = await fc.listen_key()
    only = await _stream(fc, key, "&events=ACCOUNT_UPDATE")
    combined = await fc.session.ws_connect(
        fc.mx.url(f"wss://fstream.binance.com/stream?streams={key}")
    )
    await fc.ok("POST", "/fapi/v1/leverage", {"symbol": "BTCUSDT", "leverage": 5})
    wrapped = await next_event(combined, "ACCOUNT_CONFIG_UPDATE")
    assert wrapped["stream"] == key and wrapped["data"]["ac"]["l"] == 5
    fc.mx.deposit(KEY, "USDT", "5", wallet="futures")
    deposit = await next_event(only, "ACCOUNT_UPDATE")  # the config update was filtered out
    assert deposit["a"]["m"] == "DEPOSIT" and deposit["a"]["B"][0]["bc"] == "5.00000000"
    assert deposit["a"]["B"][0]["wb"] == "10005.00000000"
    await only.close()
    await combined.close()


async def test_funding_is_paid_at_the_funding_time(fc: FuturesClient) -> None:
    """At 08:00 the long position pays funding: ACCOUNT_UPDATE m=FUNDING_FEE with S and an
    income row FUNDING_FEE equal to -notional * rate."""
    key = await fc.listen_key()
    ws = await _stream(fc, key, "&events=ACCOUNT_UPDATE")
    await fc.ok(
        "POST",
        "/fapi/v1/order",
        {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.010"},
    )
    await next_event(ws, "ACCOUNT_UPDATE")
    for _ in range(8):  # keep the listen key alive through seven virtual hours
        fc.mx.clock.advance(50 * 60_000)
        status, _body = await fc.call("PUT", "/fapi/v1/listenKey", signed=False)
        assert status == 200
    fc.mx.clock.advance(20 * 60_000)
    funding = await next_event(ws, "ACCOUNT_UPDATE")
    assert funding["a"]["m"] == "FUNDING_FEE" and funding["a"]["S"] == "BTCUSDT"
    assert funding["a"]["P"] == []  # a cross position: balances only
    income = await fc.ok("GET", "/fapi/v1/income", {"incomeType": "FUNDING_FEE"})
    rates = await fc.ok("GET", "/fapi/v1/fundingRate", {"symbol": "BTCUSDT"})
    paid = Decimal(income[-1]["income"])
    rate, mark = Decimal(rates[-1]["fundingRate"]), Decimal(rates[-1]["markPrice"])
    assert abs(paid + Decimal("0.010") * mark * rate) < Decimal("0.00000002")


async def test_forced_liquidation_through_the_control_api(fc: FuturesClient) -> None:
    """POST /_mock/liquidate with apiKey: MARGIN_CALL, then ORDER_TRADE_UPDATE o=LIQUIDATION with
    an autoclose- client id (NEW, then CALCULATED) and ACCOUNT_UPDATE; forceOrders lists it;
    without apiKey it keeps its old meaning."""
    key = await fc.listen_key()
    ws = await _stream(fc, key)
    await fc.ok(
        "POST",
        "/fapi/v1/order",
        {"symbol": "BTCUSDT", "side": "SELL", "type": "MARKET", "quantity": "0.010"},
    )
    async with fc.session.post(
        f"{fc.mx.base_url}/_mock/liquidate", json={"symbol": "BTCUSDT", "apiKey": KEY}
    ) as r:
        assert r.status == 200, await r.text()
        assert (await r.json())["status"] == "FILLED"
    call = await next_event(ws, "MARGIN_CALL")
    assert call["p"][0]["s"] == "BTCUSDT" and call["p"][0]["pa"] == "-0.010"
    while True:
        new = (await next_event(ws, "ORDER_TRADE_UPDATE"))["o"]
        if new["o"] == "LIQUIDATION":
            break
    # Binance's Event Order Update: a liquidation's "c shows as autoclose-XXX, X shows as NEW"
    assert (new["x"], new["X"], new["f"]) == ("NEW", "NEW", "IOC") and Decimal(new["z"]) == 0
    liq = (await next_event(ws, "ORDER_TRADE_UPDATE"))["o"]
    assert liq["i"] == new["i"] and liq["c"] == new["c"] and liq["c"].startswith("autoclose-")
    assert liq["x"] == "CALCULATED" and liq["X"] == "FILLED" and liq["S"] == "BUY"
    assert (await next_event(ws, "ACCOUNT_UPDATE"))["a"]["m"] == "ORDER"
    forced = await fc.ok("GET", "/fapi/v1/forceOrders", {"symbol": "BTCUSDT"})
    assert forced[0]["orderId"] == liq["i"] and forced[0]["type"] == "LIQUIDATION"
    assert await fc.ok("GET", "/fapi/v3/positionRisk") == []
    synthetic = fc.mx.act("liquidate", {"symbol": "BTCUSDT", "side": "SELL", "quantity": "0.01"})
    assert synthetic["status"] in ("FILLED", "EXPIRED")


async def test_batch_orders_raw_json_body_and_hedge_mode(fc: FuturesClient) -> None:
    """batchOrders takes raw JSON in the form body (signed as sent), answering each element;
    in hedge mode orders need LONG/SHORT and reduceOnly is refused."""
    orders = [
        {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "type": "LIMIT",
            "quantity": "0.010",
            "price": "89000",
            "timeInForce": "GTC",
            "newClientOrderId": "b1",
        },
        {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "type": "LIMIT",
            "quantity": "0.010",
            "price": "80000",
            "timeInForce": "GTC",
        },
    ]
    body = "batchOrders=" + json.dumps(orders, separators=(",", ":"))
    status, answer = await fc.call("POST", "/fapi/v1/batchOrders", body=body)
    assert status == 200 and answer[0]["clientOrderId"] == "b1"
    assert answer[1]["code"] == -4024
    status, err = await fc.call("POST", "/fapi/v1/positionSide/dual", {"dualSidePosition": "true"})
    assert err == {
        "code": -4067,
        "msg": "Position side cannot be changed if there exists open orders.",
    }
    await fc.ok("DELETE", "/fapi/v1/allOpenOrders", {"symbol": "BTCUSDT"})
    assert await fc.ok("GET", "/fapi/v1/openOrders") == []
    await fc.ok("POST", "/fapi/v1/positionSide/dual", {"dualSidePosition": "true"})
    assert (await fc.ok("GET", "/fapi/v1/positionSide/dual"))["dualSidePosition"] is True
    status, err = await fc.call(
        "POST",
        "/fapi/v1/order",
        {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "type": "MARKET",
            "quantity": "0.01",
            "positionSide": "LONG",
            "reduceOnly": "true",
        },
    )
    assert err["code"] == -1106
    await fc.ok(
        "POST",
        "/fapi/v1/order",
        {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "type": "MARKET",
            "quantity": "0.01",
            "positionSide": "LONG",
        },
    )
    await fc.ok(
        "POST",
        "/fapi/v1/order",
        {
            "symbol": "BTCUSDT",
            "side": "SELL",
            "type": "MARKET",
            "quantity": "0.02",
            "positionSide": "SHORT",
        },
    )
    sides = {
        r["positionSide"]: r["positionAmt"] for r in await fc.ok("GET", "/fapi/v3/positionRisk")
    }
    assert sides == {"LONG": "0.010", "SHORT": "-0.020"}
    status, err = await fc.call(
        "POST",
        "/fapi/v1/order",
        {
            "symbol": "BTCUSDT",
            "side": "SELL",
            "type": "MARKET",
            "quantity": "0.02",
            "positionSide": "LONG",
        },
    )
    assert err["code"] == -2022


async def test_coinm_wallet_in_the_base_coin_and_contract_positions(mx: MockExchange) -> None:
    """A COIN-M wallet funded in BTC trades contracts: /dapi/v1 positionRisk shows contracts,
    the commission is in BTC, and dstream /ws/<listenKey> carries ACCOUNT_UPDATE."""
    mx.add_account(api_key="cm1", secret="cmSecret", coinm_balances={"BTC": "1"})
    async with aiohttp.ClientSession() as session:
        cm = FuturesClient(mx, session, "cm1", "cmSecret", host="dapi.binance.com")
        key = await cm.listen_key("/dapi/v1")
        ws = await session.ws_connect(mx.url(f"wss://dstream.binance.com/ws/{key}"))
        await cm.ok(
            "POST",
            "/dapi/v1/order",
            {"symbol": "BTCUSD_PERP", "side": "BUY", "type": "MARKET", "quantity": "10"},
        )
        update = await next_event(ws, "ACCOUNT_UPDATE")
        assert update["a"]["B"][0]["a"] == "BTC" and update["a"]["P"][0]["pa"] == "10"
        risk = await cm.ok("GET", "/dapi/v1/positionRisk")
        (row,) = [r for r in risk if r["positionAmt"] != "0"]
        assert row["symbol"] == "BTCUSD_PERP" and row["positionAmt"] == "10"
        trades = await cm.ok("GET", "/dapi/v1/userTrades", {"symbol": "BTCUSD_PERP"})
        assert trades[0]["commissionAsset"] == "BTC" and trades[0]["baseQty"]
        balance = await cm.ok("GET", "/dapi/v1/balance")
        assert Decimal(balance[0]["balance"]) < 1
        await ws.close()


async def test_self_trade_prevention_expires_the_taker(fc: FuturesClient) -> None:
    """An EXPIRE_TAKER order meeting the account's own resting order expires (X
    EXPIRED_IN_MATCH, er 1) instead of trading with it."""
    key = await fc.listen_key()
    ws = await _stream(fc, key, "&events=ORDER_TRADE_UPDATE")
    await fc.ok(
        "POST",
        "/fapi/v1/order",
        {
            "symbol": "BTCUSDT",
            "side": "SELL",
            "type": "LIMIT",
            "quantity": "0.010",
            "price": "90000.10",
            "timeInForce": "GTC",
        },
    )
    taker = await fc.ok(
        "POST",
        "/fapi/v1/order",
        {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "type": "LIMIT",
            "quantity": "0.010",
            "price": "90000.10",
            "timeInForce": "GTC",
            "selfTradePreventionMode": "EXPIRE_TAKER",
            "newOrderRespType": "RESULT",
        },
    )
    assert taker["status"] == "EXPIRED_IN_MATCH" and taker["executedQty"] == "0.000"
    while True:
        event = (await next_event(ws, "ORDER_TRADE_UPDATE"))["o"]
        if event["i"] == taker["orderId"] and event["x"] != "NEW":
            break
    assert (event["x"], event["X"], event["er"], event["V"]) == (
        "EXPIRED",
        "EXPIRED_IN_MATCH",
        "1",
        "EXPIRE_TAKER",
    )
    assert await fc.ok("GET", "/fapi/v3/positionRisk") == []


async def test_modify_requeues_and_may_trade(fc: FuturesClient) -> None:
    """PUT /fapi/v1/order gives AMENDMENT with the new price; a new price that crosses trades;
    unchanged values are -5027."""
    key = await fc.listen_key()
    ws = await _stream(fc, key, "&events=ORDER_TRADE_UPDATE")
    order = await fc.ok(
        "POST",
        "/fapi/v1/order",
        {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "type": "LIMIT",
            "quantity": "0.010",
            "price": "89000",
            "timeInForce": "GTC",
        },
    )
    ref = {"symbol": "BTCUSDT", "orderId": order["orderId"], "side": "BUY"}
    status, err = await fc.call(
        "PUT", "/fapi/v1/order", {**ref, "quantity": "0.010", "price": "89000"}
    )
    assert (status, err) == (400, {"code": -5027, "msg": "No need to modify the order."})
    moved = await fc.ok("PUT", "/fapi/v1/order", {**ref, "quantity": "0.020", "price": "89100"})
    assert moved["price"] == "89100.00" and moved["origQty"] == "0.020" and moved["modifyId"] == 1
    crossed = await fc.ok("PUT", "/fapi/v1/order", {**ref, "quantity": "0.020", "price": "90010"})
    assert crossed["status"] == "FILLED"
    kinds = []
    while "TRADE" not in kinds:
        kinds.append((await next_event(ws, "ORDER_TRADE_UPDATE"))["o"]["x"])
    assert kinds.count("AMENDMENT") == 2
    assert (await fc.ok("GET", "/fapi/v3/positionRisk"))[0]["positionAmt"] == "0.020"


async def test_conditional_orders_through_the_algo_api(fc: FuturesClient) -> None:
    """A STOP_MARKET algo order waits, triggers when the contract price reaches its trigger on
    the clock (ALGO_UPDATE NEW, TRIGGERING, TRIGGERED, FINISHED) and opens the position; one
    that would trigger at once is -2021; a canceled one never triggers."""
    mx = fc.mx
    key = await fc.listen_key()
    ws = await _stream(fc, key, "&events=ALGO_UPDATE")
    last = mx.exchange.engine("usdm").last_price("BTCUSDT")
    base = {
        "algoType": "CONDITIONAL",
        "symbol": "BTCUSDT",
        "side": "BUY",
        "type": "STOP_MARKET",
        "quantity": "0.010",
    }
    status, err = await fc.call(
        "POST", "/fapi/v1/algoOrder", {**base, "triggerPrice": str(last - 50)}
    )
    assert (status, err) == (400, {"code": -2021, "msg": "Order would immediately trigger."})
    stop = await fc.ok("POST", "/fapi/v1/algoOrder", {**base, "triggerPrice": str(last + 5)})
    assert stop["algoStatus"] == "NEW" and stop["orderType"] == "STOP_MARKET"
    spare = await fc.ok("POST", "/fapi/v1/algoOrder", {**base, "triggerPrice": str(last + 500)})
    canceled = await fc.ok("DELETE", "/fapi/v1/algoOrder", {"algoId": spare["algoId"]})
    assert canceled == {
        "algoId": spare["algoId"],
        "clientAlgoId": spare["clientAlgoId"],
        "code": "200",
        "msg": "success",
    }
    assert [a["algoId"] for a in await fc.ok("GET", "/fapi/v1/openAlgoOrders")] == [stop["algoId"]]
    mx.place_order("BTCUSDT", "BUY", "MARKET", venue="usdm", quantity=Decimal("0.5"))
    mx.clock.advance(100)
    statuses = []
    while "FINISHED" not in statuses:
        event = (await next_event(ws, "ALGO_UPDATE"))["o"]
        if event["aid"] == stop["algoId"]:
            statuses.append(event["X"])
    assert statuses == ["NEW", "TRIGGERING", "TRIGGERED", "FINISHED"]
    queried = await fc.ok("GET", "/fapi/v1/algoOrder", {"algoId": stop["algoId"]})
    assert queried["algoStatus"] == "FINISHED" and queried["actualOrderId"]
    order = await fc.ok(
        "GET", "/fapi/v1/order", {"symbol": "BTCUSDT", "orderId": queried["actualOrderId"]}
    )
    assert order["clientOrderId"] == stop["clientAlgoId"] and order["status"] == "FILLED"
    assert (await fc.ok("GET", "/fapi/v3/positionRisk"))[0]["positionAmt"] == "0.010"


async def test_ws_fapi_logon_then_account_and_listen_key(mx: MockExchange) -> None:
    """On ws-fapi an Ed25519 session.logon lets account.balance and userDataStream.start go
    without apiKey/signature; an HMAC key cannot log on."""
    signer = ed25519_signer("futEd1")
    mx.add_account(signer.registration(futuresBalances={"USDT": "250"}))
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(mx.url("wss://ws-fapi.binance.com/ws-fapi/v1"))
        await ws.send_str(ws_request(signer, "session.logon", {}, timestamp=mx.clock.now_ms()))
        logon = json.loads((await ws.receive(timeout=5)).data)
        assert logon["status"] == 200 and logon["result"]["apiKey"] == "futEd1"
        stamp = {"timestamp": mx.clock.now_ms()}
        await ws.send_str(json.dumps({"id": 2, "method": "v2/account.balance", "params": stamp}))
        balance = json.loads((await ws.receive(timeout=5)).data)
        assert balance["result"][0]["asset"] == "USDT"
        assert balance["result"][0]["balance"] == "250.00000000"
        await ws.send_str(json.dumps({"id": 3, "method": "userDataStream.start", "params": {}}))
        started = json.loads((await ws.receive(timeout=5)).data)
        assert len(started["result"]["listenKey"]) == 64
        hmac = ws_request(
            hmac_signer(KEY, SECRET), "session.logon", {}, timestamp=mx.clock.now_ms(), req_id=4
        )
        await ws.send_str(hmac)
        refused = json.loads((await ws.receive(timeout=5)).data)
        assert refused["status"] != 200
        await ws.close()


async def test_gtd_expiry_and_reduce_only_knock_out(fc: FuturesClient) -> None:
    """A GTD order expires at its goodTillDate on the clock (er 6); a resting reduce-only order
    expires when another order closes the position (er 4)."""
    mx = fc.mx
    key = await fc.listen_key()
    ws = await _stream(fc, key, "&events=ORDER_TRADE_UPDATE")
    till = mx.clock.now_ms() + 900_000
    gtd = await fc.ok(
        "POST",
        "/fapi/v1/order",
        {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "type": "LIMIT",
            "quantity": "0.010",
            "price": "89000",
            "timeInForce": "GTD",
            "goodTillDate": till,
        },
    )
    await fc.ok(
        "POST",
        "/fapi/v1/order",
        {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.010"},
    )
    guard = await fc.ok(
        "POST",
        "/fapi/v1/order",
        {
            "symbol": "BTCUSDT",
            "side": "SELL",
            "type": "LIMIT",
            "quantity": "0.010",
            "price": "91000",
            "timeInForce": "GTC",
            "reduceOnly": "true",
        },
    )
    await fc.ok(
        "POST",
        "/fapi/v1/order",
        {"symbol": "BTCUSDT", "side": "SELL", "type": "MARKET", "quantity": "0.010"},
    )
    mx.clock.advance(900_000)
    reasons = {}
    while len(reasons) < 2:
        o = (await next_event(ws, "ORDER_TRADE_UPDATE"))["o"]
        if o["x"] == "EXPIRED":
            reasons[o["i"]] = (o["X"], o["er"])
    assert reasons == {guard["orderId"]: ("EXPIRED", "4"), gtd["orderId"]: ("EXPIRED", "6")}
    assert await fc.ok("GET", "/fapi/v1/openOrders") == []
