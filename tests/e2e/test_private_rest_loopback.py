"""Private REST the emulator does not serve yet (USD-M and COIN-M trading, margin, Convert)
against the loopback Binance, which answers with Binance's documented payloads and records
what the client sent: the endpoint, the parameters, and a signature over exactly them."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest

from client import Binance, InsufficientFunds, RequestTimeout
from tests.client import private_payloads as P
from tests.e2e.loopback import Loopback

SECRET = "loopbackSecret"


def signed_ok(call: dict[str, Any]) -> bool:
    """The HMAC signature covers the query plus body exactly as sent."""
    raw = call["raw_query"] + call["raw_body"]
    payload, _, sig = raw.rpartition("&signature=")
    return hmac.new(SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest() == sig


def params_of(call: dict[str, Any]) -> dict[str, str]:
    """Query and body parameters of a recorded call."""
    return {**call["body"], **call["query"]}


@pytest.fixture
async def lb() -> AsyncIterator[Loopback]:
    """A loopback Binance."""
    async with Loopback() as server:
        yield server


@pytest.fixture
async def ex(lb: Loopback) -> AsyncIterator[Binance]:
    """A client on the loopback with an HMAC key."""
    cfg = {"apiKey": "loopKey", "secret": SECRET}
    async with Binance(cfg, binance_env="local", base_url=lb.base_url) as client:
        yield client


def calls(lb: Loopback, path: str) -> list[dict[str, Any]]:
    """The recorded REST calls to ``path``."""
    return [c for c in lb.rest_requests if c["path"] == path]


async def test_usdm_orders(lb: Loopback, ex: Binance) -> None:
    """USD-M: create_order sends /fapi/v1/order (RESULT answers, reduceOnly as text); a
    trigger goes to /fapi/v1/algoOrder; cancel, fetch_order, open and all orders, my trades
    hit their /fapi/v1 paths and parse Binance's answers."""
    lb.rest[("future", "POST", "/fapi/v1/order")] = lambda c: P.FUTURES_FILLED
    lb.rest[("future", "POST", "/fapi/v1/algoOrder")] = lambda c: {
        **P.FUTURES_ORDER,
        "type": "STOP_MARKET",
    }
    lb.rest[("future", "DELETE", "/fapi/v1/order")] = lambda c: {
        **P.FUTURES_ORDER,
        "status": "CANCELED",
    }
    lb.rest[("future", "GET", "/fapi/v1/order")] = lambda c: P.FUTURES_ORDER
    lb.rest[("future", "GET", "/fapi/v1/openOrders")] = lambda c: [P.FUTURES_ORDER]
    lb.rest[("future", "GET", "/fapi/v1/allOrders")] = lambda c: [P.FUTURES_ORDER, P.FUTURES_FILLED]
    lb.rest[("future", "GET", "/fapi/v1/userTrades")] = lambda c: [P.USER_TRADE]  # fmt: skip
    o = await ex.create_market_sell_order("BTC/USDT:USDT", 0.01, {"reduceOnly": True})
    assert o["status"] == "closed" and o["average"] == 60000.1
    sent = params_of(calls(lb, "/fapi/v1/order")[0])
    assert sent["type"] == "MARKET" and sent["reduceOnly"] == "true" and sent["quantity"] == "0.01"
    assert sent["newOrderRespType"] == "RESULT" and len(sent["newClientOrderId"]) == 32
    assert signed_ok(calls(lb, "/fapi/v1/order")[0])
    # Binance's USD-M exchangeInfo lists the conditional types (the loopback's does not)
    m = await ex.market("BTC/USDT:USDT")
    m["info"] = {**m["info"], "orderTypes": ["LIMIT", "MARKET", "STOP", "STOP_MARKET"]}
    stop = await ex.create_order("BTC/USDT:USDT", "market", "sell", 0.01, None,
                                 {"triggerPrice": 50000})  # fmt: skip
    algo = params_of(calls(lb, "/fapi/v1/algoOrder")[0])
    assert algo["algoType"] == "CONDITIONAL" and algo["triggerPrice"] == "50000"
    assert stop["type"] == "market"
    assert (await ex.cancel_order("1917641", "BTC/USDT:USDT"))["status"] == "canceled"
    assert (await ex.fetch_order("1917641", "BTC/USDT:USDT"))["id"] == "1917641"
    assert len(await ex.fetch_open_orders("BTC/USDT:USDT")) == 1
    assert [o["status"] for o in await ex.fetch_closed_orders("BTC/USDT:USDT")] == ["closed"]
    trades = await ex.fetch_my_trades("BTC/USDT:USDT", 1569514978000, 10)
    assert trades[0]["side"] == "sell" and trades[0]["symbol"] == "BTC/USDT:USDT"
    assert params_of(calls(lb, "/fapi/v1/userTrades")[0])["startTime"] == "1569514978000"


async def test_futures_create_orders_batches_and_keeps_order(lb: Loopback, ex: Binance) -> None:
    """Six USD-M orders go in two batchOrders requests (5 + 1); an error entry becomes a
    rejected order with its client error, in the position of its input."""

    def batch(call: dict[str, Any]) -> list[Any]:
        orders = orjson.loads(call["body"]["batchOrders"])
        return [
            P.BATCH_ERROR if o["quantity"] == "9" else {**P.FUTURES_ORDER,
                                                        "clientOrderId": o["newClientOrderId"]}
            for o in orders
        ]  # fmt: skip

    lb.rest[("future", "POST", "/fapi/v1/batchOrders")] = batch
    specs = [
        {"symbol": "BTC/USDT:USDT", "type": "limit", "side": "buy", "amount": q, "price": 100}
        for q in (1, 2, 9, 4, 5, 6)
    ]
    results = await ex.create_orders(specs)
    assert [r["status"] for r in results] == ["open", "open", "rejected", "open", "open", "open"]
    assert isinstance(results[2]["error"], InsufficientFunds) and results[2]["amount"] == 9.0
    sent = [orjson.loads(c["body"]["batchOrders"]) for c in calls(lb, "/fapi/v1/batchOrders")]
    assert sorted(len(b) for b in sent) == [1, 5]
    assert all(isinstance(v, str) for b in sent for o in b for v in o.values())


async def test_a_batch_lost_in_flight_has_unknown_fate(lb: Loopback, ex: Binance) -> None:
    """When a batch times out its orders are not reported as rejected: status None, the
    error, and each order's client id to look it up."""

    def slow(call: dict[str, Any]) -> Any:
        raise LookupError(-1007, "Timeout waiting for response from backend server. "
                          "Send status unknown; execution status unknown.", 503)  # fmt: skip

    lb.rest[("future", "POST", "/fapi/v1/batchOrders")] = slow
    results = await ex.create_orders(
        [{"symbol": "BTC/USDT:USDT", "type": "market", "side": "buy", "amount": 1}]
    )
    assert results[0]["status"] is None and isinstance(results[0]["error"], RequestTimeout)
    assert results[0]["clientOrderId"]


async def test_coinm_orders_balance_positions_liquidations(lb: Loopback, ex: Binance) -> None:
    """COIN-M create_order on /dapi/v1/order (contracts, cost in base); fetch_balance,
    fetch_positions and fetch_my_liquidations on their /dapi and /fapi paths."""
    lb.rest[("delivery", "POST", "/dapi/v1/order")] = lambda c: P.COINM_ORDER
    lb.rest[("delivery", "GET", "/dapi/v1/account")] = lambda c: {
        "assets": [{"asset": "BTC", "walletBalance": "0.1", "marginBalance": "0.11",
                    "availableBalance": "0.09", "initialMargin": "0.02", "updateTime": 1}]
    }  # fmt: skip
    lb.rest[("future", "GET", "/fapi/v3/positionRisk")] = lambda c: [
        P.POSITION_RISK_LONG, {**P.POSITION_RISK_LONG, "symbol": "ETHUSDT", "positionAmt": "0"}
    ]  # fmt: skip
    lb.rest[("future", "GET", "/fapi/v1/forceOrders")] = lambda c: [P.FORCE_ORDER]
    o = await ex.create_limit_buy_order("BTC/USD:BTC", 2, 9000)
    assert o["cost"] == 0.02222222 and o["amount"] == 2.0
    bal = await ex.fetch_balance({"type": "delivery"})
    assert bal["free"]["BTC"] == 0.09 and bal["used"]["BTC"] == 0.02 and bal["total"]["BTC"] == 0.11
    positions = await ex.fetch_positions(params={"type": "future"})
    assert [p["symbol"] for p in positions] == ["BTC/USDT:USDT"] and positions[0]["side"] == "long"
    liq = await ex.fetch_my_liquidations("BTC/USDT:USDT")
    assert liq[0]["quoteValue"] == 10.91321
    assert params_of(calls(lb, "/fapi/v1/forceOrders")[0])["autoCloseType"] == "LIQUIDATION"


async def test_margin_orders_and_balances(lb: Loopback, ex: Binance) -> None:
    """marginMode routes a spot symbol to /sapi/v1/margin/order (isolated: isIsolated=TRUE);
    margin balances carry debt; margin liquidations come from forceLiquidationRec."""
    lb.rest[("spot", "POST", "/sapi/v1/margin/order")] = lambda c: P.PLACE_FULL
    lb.rest[("spot", "GET", "/sapi/v1/margin/account")] = lambda c: P.MARGIN_ACCOUNT
    lb.rest[("spot", "GET", "/sapi/v1/margin/forceLiquidationRec")] = lambda c: {
        "rows": [{"avgPrice": "0.00388359", "executedQty": "31.39000000", "orderId": 180015097,
                  "price": "0.00388110", "qty": "31.39000000", "side": "SELL",
                  "symbol": "BTCUSDT", "timeInForce": "GTC", "isIsolated": True,
                  "updatedTime": 1558941374745}], "total": 1,
    }  # fmt: skip
    o = await ex.create_order("BTC/USDT", "limit", "sell", 0.00847, 23416.1,
                              {"marginMode": "isolated"})  # fmt: skip
    sent = params_of(calls(lb, "/sapi/v1/margin/order")[0])
    assert sent["isIsolated"] == "TRUE" and o["status"] == "closed"
    bal = await ex.fetch_balance({"type": "margin"})
    assert bal["debt"]["BNB"] == pytest.approx(201.66666672)  # type: ignore[typeddict-item]
    liq = await ex.fetch_my_liquidations("BTC/USDT", params={"type": "margin"})
    assert liq[0]["symbol"] == "BTC/USDT" and liq[0]["contracts"] == 31.39
    assert params_of(calls(lb, "/sapi/v1/margin/forceLiquidationRec")[0])["isolatedSymbol"] == (
        "BTCUSDT"
    )


async def test_borrow_rates_and_convert(lb: Loopback, ex: Binance) -> None:
    """Cross and isolated borrow rates (one and all), a convert quote and its acceptance."""
    lb.rest[("spot", "GET", "/sapi/v1/margin/interestRateHistory")] = lambda c: [
        {"asset": "BTC", "timestamp": 1611544731000, "dailyInterestRate": "0.00025000"},
        {"asset": "BTC", "timestamp": 1611458331000, "dailyInterestRate": "0.00020000"},
    ]
    lb.rest[("spot", "GET", "/sapi/v1/margin/crossMarginData")] = lambda c: [
        {"vipLevel": 0, "coin": "BTC", "dailyInterest": "0.00026125", "borrowable": True},
        {"vipLevel": 0, "coin": "USDT", "dailyInterest": "0.000475", "borrowable": True},
    ]
    iso = {"vipLevel": 0, "symbol": "BTCUSDT", "leverage": "10",
           "data": [{"coin": "BTC", "dailyInterest": "0.00026125"},
                    {"coin": "USDT", "dailyInterest": "0.000475"}]}  # fmt: skip
    lb.rest[("spot", "GET", "/sapi/v1/margin/isolatedMarginData")] = lambda c: [iso]
    lb.rest[("spot", "POST", "/sapi/v1/convert/getQuote")] = lambda c: {
        "quoteId": "12415572564", "ratio": "38163.7", "inverseRatio": "0.0000262",
        "validTimestamp": 1623319461670, "toAmount": "3816.37", "fromAmount": "0.1",
    }  # fmt: skip
    lb.rest[("spot", "POST", "/sapi/v1/convert/acceptQuote")] = lambda c: {
        "orderId": "933256278426274426",
        "createTime": 1623381330472,
        "orderStatus": "PROCESS",
    }
    assert (await ex.fetch_cross_borrow_rate("BTC"))["rate"] == 0.00025
    rates = await ex.fetch_cross_borrow_rates()
    assert set(rates) == {"BTC", "USDT"} and rates["USDT"]["rate"] == 0.000475
    assert (await ex.fetch_isolated_borrow_rate("BTC/USDT"))["quoteRate"] == 0.000475
    assert list(await ex.fetch_isolated_borrow_rates()) == ["BTC/USDT"]
    quote = await ex.fetch_convert_quote("BTC", "USDT", 0.1)
    assert quote["id"] == "12415572564" and quote["toAmount"] == 3816.37
    sent = params_of(calls(lb, "/sapi/v1/convert/getQuote")[0])
    assert (sent["fromAsset"], sent["toAsset"], sent["fromAmount"]) == ("BTC", "USDT", "0.1")
    trade = await ex.create_convert_trade(quote["id"], "BTC", "USDT")
    assert trade["id"] == "933256278426274426" and trade["fromCurrency"] == "BTC"
    assert params_of(calls(lb, "/sapi/v1/convert/acceptQuote")[0])["quoteId"] == "12415572564"
