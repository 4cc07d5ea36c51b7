"""WS API trading the emulator cannot drive yet, against the loopback Binance: the futures
WS API (order.place, order.modify, algoOrder.place, order.status on USD-M; COIN-M's
/ws-dapi/v1), and an order.place whose socket drops before the answer (the emulator answers
at once, so the loss needs a server that holds the answer)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from client import Binance, RequestInterrupted
from client.protocol.backoff import is_retryable
from tests.client import private_payloads as P
from tests.e2e.loopback import Loopback


@pytest.fixture
async def lb() -> AsyncIterator[Loopback]:
    """A loopback Binance."""
    async with Loopback() as server:
        yield server


@pytest.fixture
async def ex(lb: Loopback) -> AsyncIterator[Binance]:
    """An HMAC client on the loopback with fast reconnects."""
    cfg = {"apiKey": "k", "secret": "s", "options": {"backoff_initial": 10}}
    async with Binance(cfg, binance_env="local", base_url=lb.base_url) as client:
        yield client


async def test_usdm_ws_orders(lb: Loopback, ex: Binance) -> None:
    """USD-M: order.place with RESULT answers, order.modify with orderId/side/quantity/price,
    algoOrder.place for a trigger, order.status and order.cancel."""
    lb.ws_api[("future", "order.place")] = lambda r: P.FUTURES_FILLED
    lb.ws_api[("future", "order.modify")] = lambda r: {**P.FUTURES_ORDER, "price": "101"}
    lb.ws_api[("future", "algoOrder.place")] = lambda r: {**P.FUTURES_ORDER, "type": "STOP_MARKET"}
    lb.ws_api[("future", "order.status")] = lambda r: P.FUTURES_ORDER
    lb.ws_api[("future", "order.cancel")] = lambda r: {**P.FUTURES_ORDER, "status": "CANCELED"}
    o = await ex.create_order_ws("BTC/USDT:USDT", "market", "sell", 0.01)
    assert o["status"] == "closed" and o["average"] == 60000.1
    edited = await ex.edit_order_ws("1917641", "BTC/USDT:USDT", "limit", "buy", 0.4, 101)
    assert edited["price"] == 101.0
    modify = lb.sent("order.modify")[0]["params"]
    assert (modify["orderId"], modify["side"], modify["quantity"], modify["price"]) == (
        "1917641", "BUY", "0.4", "101",
    )  # fmt: skip
    m = await ex.market("BTC/USDT:USDT")
    m["info"] = {**m["info"], "orderTypes": ["LIMIT", "MARKET", "STOP_MARKET"]}
    await ex.create_order_ws("BTC/USDT:USDT", "market", "sell", 0.01, None, {"stopPrice": 5e4})
    algo = lb.sent("algoOrder.place")[0]["params"]
    assert algo["algoType"] == "CONDITIONAL" and algo["triggerPrice"] == "50000"
    assert (await ex.fetch_order_ws("1917641", "BTC/USDT:USDT"))["triggerPrice"] == 9300.0
    assert (await ex.cancel_order_ws("1917641", "BTC/USDT:USDT"))["status"] == "canceled"
    placed = lb.sent("order.place")[0]["params"]
    assert placed["newOrderRespType"] == "RESULT" and "signature" in placed


async def test_coinm_ws_orders_and_positions(lb: Loopback, ex: Binance) -> None:
    """COIN-M rides /ws-dapi/v1: order.place and account.position."""
    lb.ws_api[("delivery", "order.place")] = lambda r: P.COINM_ORDER
    lb.ws_api[("delivery", "account.position")] = lambda r: [
        {**P.POSITION_RISK_V2, "symbol": "BTCUSD_PERP", "positionAmt": "3",
         "entryPrice": "9000", "notionalValue": "0.0333", "marginType": "cross"},
    ]  # fmt: skip
    o = await ex.create_order_ws("BTC/USD:BTC", "limit", "buy", 2, 9000)
    assert o["cost"] == 0.02222222
    pos = await ex.fetch_position_ws("BTC/USD:BTC")
    assert pos[0]["contracts"] == 3.0 and pos[0]["contractSize"] == 100.0
    assert lb.sent("account.position")[0]["params"]["symbol"] == "BTCUSD_PERP"


async def test_order_in_flight_when_the_socket_drops(lb: Loopback, ex: Binance) -> None:
    """order.place is sent, the server drops the socket before answering: the call fails with
    a retryable RequestInterrupted that says the order may have reached the exchange and
    carries its client order id; looking it up by that id works on the next socket."""
    lb.hold_methods.add("order.place")

    def status(req: dict[str, Any]) -> dict[str, Any]:
        return {**P.QUERY, "clientOrderId": req["params"]["origClientOrderId"]}

    lb.ws_api[("spot", "order.status")] = status
    running = asyncio.ensure_future(
        ex.create_order_ws("BTC/USDT", "limit", "buy", 0.001, 100, {"clientOrderId": "c-77"})
    )
    await lb.wait_until(lambda: len(lb.sent("order.place")) == 1)
    for ws in list(lb.ws_api_sockets):
        await ws.close(code=1011)
    with pytest.raises(RequestInterrupted) as info:
        await running
    err = info.value
    assert err.may_have_reached and err.method == "order.place" and is_retryable(err)
    assert err.client_order_id == "c-77"
    found = await ex.fetch_order_ws("", "BTC/USDT", {"clientOrderId": err.client_order_id})
    assert found["clientOrderId"] == "c-77" and found["status"] == "closed"
