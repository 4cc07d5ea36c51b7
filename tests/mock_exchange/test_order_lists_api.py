"""OCO order lists over REST and the WS API: placement shapes and refusals, list queries,
cancels (of the list, of one leg, of all open orders) and the user-data events they cause.

Inside the gap opened in the default book (bids from 89991, asks from 90009, last 90000).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal as D
from typing import Any

import pytest

from mock_exchange import MockExchange, ServerConfig
from tests.mock_exchange.trading_client import Trader, balance, funded_pair, open_gap

SYMBOL = "BTCUSDT"
BAD_PRICES = "The relationship of the prices for the orders is not correct."


@pytest.fixture
async def mx() -> AsyncIterator[MockExchange]:
    """An emulator with a frozen clock and no background activity."""
    async with MockExchange(config=ServerConfig(rate=0, frozen_clock=True, warmup_ms=0)) as m:
        open_gap(m)
        yield m


@pytest.fixture
async def pair(mx: MockExchange) -> AsyncIterator[tuple[Trader, Trader]]:
    """Two funded accounts: alice and bob."""
    async with funded_pair(mx) as traders:
        yield traders


def sell_oco(**kw: Any) -> dict[str, Any]:
    """A SELL OCO: LIMIT_MAKER above at 90005, STOP_LOSS_LIMIT below (stop 89995, 89990)."""
    return {
        "symbol": SYMBOL, "side": "SELL", "quantity": "0.1", "aboveType": "LIMIT_MAKER",
        "abovePrice": "90005", "belowType": "STOP_LOSS_LIMIT", "belowStopPrice": "89995",
        "belowPrice": "89990", "belowTimeInForce": "GTC", "listClientOrderId": "myList",
        "aboveClientOrderId": "up", "belowClientOrderId": "down", **kw,
    }  # fmt: skip


async def test_rest_oco_answers_the_list_with_its_reports_and_locks_once(
    mx: MockExchange, pair: tuple[Trader, Trader]
) -> None:
    """POST /api/v3/orderList/oco answers EXEC_STARTED/EXECUTING with both legs (stop-loss leg
    first) in `orders` and `orderReports`, each carrying the orderListId; 0.1 BTC is locked once;
    the list and its legs are found by the list queries and the order queries."""
    alice, _ = pair
    placed = await alice.rest("POST", "/api/v3/orderList/oco", **sell_oco())
    body = placed.status, placed.body
    assert placed.status == 200, body
    b = placed.body
    assert (b["contingencyType"], b["listStatusType"], b["listOrderStatus"]) == (
        "OCO", "EXEC_STARTED", "EXECUTING",
    )  # fmt: skip
    assert b["listClientOrderId"] == "myList" and b["symbol"] == SYMBOL
    assert [o["clientOrderId"] for o in b["orders"]] == ["down", "up"]
    reports = b["orderReports"]
    assert [(r["type"], r["status"], r["orderListId"]) for r in reports] == [
        ("STOP_LOSS_LIMIT", "NEW", b["orderListId"]), ("LIMIT_MAKER", "NEW", b["orderListId"]),
    ]  # fmt: skip
    assert reports[0]["workingTime"] == -1 and reports[0]["stopPrice"] == "89995.00000000"
    assert placed.headers["X-MBX-ORDER-COUNT-10S"] == "2"
    assert balance(mx, "alice", "BTC") == (D("1.9"), D("0.1"))
    one = await alice.rest("GET", "/api/v3/orderList", orderListId=b["orderListId"])
    assert one.body == {k: v for k, v in b.items() if k != "orderReports"}
    by_client = await alice.rest("GET", "/api/v3/orderList", origClientOrderId="myList")
    assert by_client.body == one.body
    assert (await alice.rest("GET", "/api/v3/openOrderList")).body == [one.body]
    assert (await alice.rest("GET", "/api/v3/allOrderList")).body == [one.body]
    leg = await alice.rest("GET", "/api/v3/order", symbol=SYMBOL, origClientOrderId="up")
    assert leg.body["orderListId"] == b["orderListId"]
    missing = await alice.rest("GET", "/api/v3/orderList", orderListId=1)
    assert (missing.body["code"], missing.body["msg"]) == (-2018, "Order list does not exist.")


@pytest.mark.parametrize(
    ("change", "code", "msg"),
    [
        ({"aboveType": "LIMIT"}, -1158, "Order type not supported in OCO."),
        ({"aboveType": "STOP_LOSS", "aboveStopPrice": "1"}, -1197,
         "A stop loss order in a sell OCO must be below."),
        ({"side": "BUY"}, -1165, "A limit order in a buy OCO must be below."),
        ({"abovePrice": "89999"}, -2010, BAD_PRICES),
        ({"belowStopPrice": "90001"}, -2010, BAD_PRICES),
        ({"belowTimeInForce": None}, -1102,
         "Mandatory parameter 'belowTimeInForce' was not sent, was empty/null, or malformed."),
        ({"quantity": "3"}, -2010, "Account has insufficient balance for requested action."),
    ],
)  # fmt: skip
async def test_oco_refusals_use_binances_codes_and_place_nothing(
    mx: MockExchange, pair: tuple[Trader, Trader], change: dict[str, Any], code: int, msg: str
) -> None:
    """Wrong leg types, legs on the wrong side, prices that do not straddle the last price, a
    missing leg parameter and too little balance are refused with Binance's code and message;
    nothing is placed or locked."""
    alice, _ = pair
    params = {k: v for k, v in sell_oco(**change).items() if v is not None}
    refused = await alice.rest("POST", "/api/v3/orderList/oco", **params)
    assert (refused.body["code"], refused.body["msg"]) == (code, msg)
    assert (await alice.rest("GET", "/api/v3/openOrderList")).body == []
    assert balance(mx, "alice", "BTC") == (D(2), D(0))


async def test_canceling_one_leg_the_list_or_all_open_orders_cancels_both_legs(
    mx: MockExchange, pair: tuple[Trader, Trader]
) -> None:
    """DELETE /api/v3/order on one leg, DELETE /api/v3/orderList and DELETE /api/v3/openOrders
    each cancel both legs; the list is ALL_DONE and nothing stays locked."""
    alice, _ = pair
    await alice.rest("POST", "/api/v3/orderList/oco", **sell_oco())
    leg = await alice.rest("DELETE", "/api/v3/order", symbol=SYMBOL, origClientOrderId="down")
    assert leg.body["status"] == "CANCELED" and leg.body["orderListId"] >= 0
    lists = (await alice.rest("GET", "/api/v3/allOrderList")).body
    assert [(x["listStatusType"], x["listOrderStatus"]) for x in lists] == [
        ("ALL_DONE", "ALL_DONE")
    ]
    assert balance(mx, "alice", "BTC") == (D(2), D(0))
    placed = await alice.rest("POST", "/api/v3/orderList/oco", **sell_oco())
    listed = placed.body["orderListId"]
    gone = await alice.rest("DELETE", "/api/v3/orderList", symbol=SYMBOL, orderListId=listed)
    assert gone.body["listStatusType"] == "ALL_DONE"
    assert [r["status"] for r in gone.body["orderReports"]] == ["CANCELED", "CANCELED"]
    assert [r["origClientOrderId"] for r in gone.body["orderReports"]] == ["down", "up"]
    again = await alice.rest("DELETE", "/api/v3/orderList", symbol=SYMBOL, orderListId=listed)
    assert again.body["code"] == -2011
    await alice.rest("POST", "/api/v3/orderList/oco", **sell_oco())
    await alice.order(symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC",
                      quantity="0.01", price="89000")  # fmt: skip
    everything = (await alice.rest("DELETE", "/api/v3/openOrders", symbol=SYMBOL)).body
    assert [("orderListId" in a and "orders" in a) for a in everything] == [True, False]
    assert (await alice.rest("GET", "/api/v3/openOrders", symbol=SYMBOL)).body == []
    assert balance(mx, "alice", "BTC") == (D(2), D(0))
    assert balance(mx, "alice", "USDT") == (D(100000), D(0))


async def test_the_deprecated_oco_endpoint_places_a_limit_maker_and_a_stop_leg(
    mx: MockExchange, pair: tuple[Trader, Trader]
) -> None:
    """POST /api/v3/order/oco (price / stopPrice / stopLimitPrice) places a STOP_LOSS_LIMIT leg
    and a LIMIT_MAKER leg as one list; its prices follow the same rule (-2010)."""
    alice, _ = pair
    params = {
        "symbol": SYMBOL,
        "side": "SELL",
        "quantity": "0.1",
        "price": "90005",
        "stopPrice": "89995",
        "stopLimitPrice": "89990",
        "stopLimitTimeInForce": "GTC",
    }
    placed = await alice.rest("POST", "/api/v3/order/oco", **params)
    assert [r["type"] for r in placed.body["orderReports"]] == ["STOP_LOSS_LIMIT", "LIMIT_MAKER"]
    bad = await alice.rest("POST", "/api/v3/order/oco", **{**params, "price": "89000"})
    assert (bad.body["code"], bad.body["msg"]) == (-2010, BAD_PRICES)
    assert balance(mx, "alice", "BTC") == (D("1.9"), D("0.1"))


async def test_ws_api_oco_events_leg_fill_expires_the_other_and_ends_the_list(
    mx: MockExchange, pair: tuple[Trader, Trader]
) -> None:
    """Over the WS API: orderList.place.oco pushes a NEW executionReport per leg (g = the list
    id) then listStatus EXEC_STARTED; a fill of the LIMIT_MAKER leg pushes its TRADE, the stop
    leg's EXPIRED (eR OCO_TRIGGER) and listStatus ALL_DONE; the list queries and the fill's
    myTrades row (its orderListId) agree."""
    alice, bob = pair
    await alice.connect()
    await alice.call("userDataStream.subscribe.signature")
    placed = await alice.call("orderList.place.oco", **sell_oco())
    list_id = placed.body["result"]["orderListId"]
    seen = [(await alice.event())["event"] for _ in range(4)]
    kinds = [(e["e"], e.get("x") or e.get("L"), e.get("g")) for e in seen]
    assert kinds[:3] == [
        ("executionReport", "NEW", list_id), ("executionReport", "NEW", list_id),
        ("listStatus", "EXECUTING", list_id),
    ]  # fmt: skip
    assert seen[3]["e"] == "outboundAccountPosition"
    assert seen[2]["l"] == "EXEC_STARTED" and [o["c"] for o in seen[2]["O"]] == ["down", "up"]
    await bob.order(symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC",
                    quantity="0.1", price="90005")  # fmt: skip
    after = [(await alice.event())["event"] for _ in range(4)]
    assert [(e["e"], e.get("x") or e.get("L")) for e in after] == [
        ("executionReport", "TRADE"), ("executionReport", "EXPIRED"),
        ("listStatus", "ALL_DONE"), ("outboundAccountPosition", None),
    ]  # fmt: skip
    assert after[1]["eR"] == "OCO_TRIGGER" and after[1]["c"] == "down"
    assert after[2]["l"] == "ALL_DONE" and after[0]["E"] == after[2]["E"]
    status = await alice.call("orderList.status", orderListId=list_id)
    assert status.body["result"]["listOrderStatus"] == "ALL_DONE"
    assert (await alice.call("openOrderLists.status")).body["result"] == []
    assert len((await alice.call("allOrderLists")).body["result"]) == 1
    (fill,) = (await alice.call("myTrades", symbol=SYMBOL)).body["result"]
    assert fill["orderListId"] == list_id and fill["orderId"] == after[0]["i"]
    assert balance(mx, "alice", "BTC") == (D("1.9"), D(0))
    # the last price is now 90005: the limit leg must be above it
    again = await alice.call(
        "orderList.place.oco", **sell_oco(listClientOrderId="two", abovePrice="90007")
    )
    cancel = await alice.call("orderList.cancel", symbol=SYMBOL, listClientOrderId="two")
    assert cancel.body["result"]["orderListId"] == again.body["result"]["orderListId"]
    assert balance(mx, "alice", "BTC") == (D("1.9"), D(0))
