"""Spot trading over REST and the WS API: order types, shapes, balances, filters, queries, limits.

Orders are placed inside a gap opened in the deep default book (bids from 89991, asks from 90009
on BTCUSDT: ``open_gap``), so two accounts trade with each other and every balance moves by
exact decimals.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal as D
from typing import Any

import pytest

from mock_exchange import MockExchange, ServerConfig
from tests.mock_exchange.trading_client import Trader, balance, funded_pair, open_gap

SYMBOL = "BTCUSDT"


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


def limit(side: str, qty: str, price: str, **kw: Any) -> dict[str, Any]:
    return {"symbol": SYMBOL, "side": side, "type": "LIMIT", "timeInForce": "GTC",
            "quantity": qty, "price": price, **kw}  # fmt: skip


async def test_limit_locks_fills_move_balances_with_commission_in_received_asset(
    mx: MockExchange, pair: tuple[Trader, Trader]
) -> None:
    """A resting SELL locks base; a taker BUY fills it at the maker price; each side receives its
    asset minus 0.1 % commission, exactly; free+locked never goes negative."""
    alice, bob = pair
    maker = await alice.order(**limit("SELL", "0.5", "90000"))
    assert maker.status == 200 and maker.body["status"] == "NEW" and maker.body["fills"] == []
    assert balance(mx, "alice", "BTC") == (D("1.5"), D("0.5"))
    taker = await bob.order(**limit("BUY", "0.2", "90005"))
    body = taker.body
    assert (body["status"], body["executedQty"], body["cummulativeQuoteQty"]) == (
        "FILLED",
        "0.20000000",
        "18000.00000000",
    )
    assert body["fills"] == [
        {"price": "90000.00000000", "qty": "0.20000000", "commission": "0.00020000",
         "commissionAsset": "BTC", "tradeId": body["fills"][0]["tradeId"]}
    ]  # fmt: skip
    # bob locked 0.2 * 90005 and paid 0.2 * 90000: the price improvement is free again
    assert balance(mx, "bob", "USDT") == (D("82000"), D("0"))
    assert balance(mx, "bob", "BTC") == (D("2.1998"), D("0"))
    assert balance(mx, "alice", "USDT") == (D("100000") + D("18000") - D("18"), D("0"))
    assert balance(mx, "alice", "BTC") == (D("1.5"), D("0.3"))
    cancel = await alice.rest(
        "DELETE", "/api/v3/order", symbol=SYMBOL, orderId=maker.body["orderId"]
    )
    assert cancel.body["status"] == "CANCELED" and cancel.body["executedQty"] == "0.20000000"
    assert balance(mx, "alice", "BTC") == (D("1.8"), D("0"))


async def test_market_orders_by_quantity_and_quote_and_the_worked_expiry(
    mx: MockExchange, pair: tuple[Trader, Trader]
) -> None:
    """MARKET by quantity sweeps and expires the rest (INSUFFICIENT_LIQUIDITY); by quoteOrderQty
    spends at most that much quote, rounded to the step."""
    alice, bob = pair
    await alice.order(**limit("SELL", "0.001", "90001"))
    await alice.order(**limit("SELL", "0.001", "90002"))
    done = await bob.order(symbol="ETHBTC", side="BUY", type="MARKET", quantity="0.01")
    assert done.status == 200
    quote = await bob.order(symbol=SYMBOL, side="BUY", type="MARKET", quoteOrderQty="90.0015")
    assert quote.body["status"] == "FILLED" and quote.body["origQuoteOrderQty"] == "90.00150000"
    assert D(quote.body["cummulativeQuoteQty"]) <= D("90.0015")
    assert quote.body["type"] == "MARKET" and quote.body["timeInForce"] == "GTC"
    # a market SELL bigger than the bids expires its remainder
    mx.exchange.engine("spot").place_order(
        SYMBOL, "BUY", "LIMIT", quantity=D("0.001"), price=D("89995")
    )
    mx.clock.advance(1)
    state = mx.exchange.engine("spot").book(SYMBOL)
    bids = sum(total for _p, total in state.levels("BUY"))
    # the default book is deep (issue 9): a seller with more BTC than every bid takes them all
    whale = Trader.register(mx, alice.session, "whale", {"BTC": str(bids + 1)})
    sell = await whale.order(
        symbol=SYMBOL, side="SELL", type="MARKET", quantity=str(bids + D("0.001"))
    )
    assert (
        sell.body["status"] == "EXPIRED" and sell.body["expiryReason"] == "INSUFFICIENT_LIQUIDITY"
    )
    assert D(sell.body["executedQty"]) == bids and len(sell.body["fills"]) > 1


async def test_response_types_and_defaults(pair: tuple[Trader, Trader]) -> None:
    """ACK/RESULT/FULL have Binance's fields; LIMIT/MARKET default FULL, others ACK."""
    alice, _ = pair
    ack = await alice.order(**limit("BUY", "0.001", "89995", newOrderRespType="ACK"))
    assert set(ack.body) == {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}
    result = await alice.order(**limit("BUY", "0.001", "89995", newOrderRespType="RESULT"))
    assert "fills" not in result.body and result.body["workingTime"] == result.body["transactTime"]
    maker = await alice.order(symbol=SYMBOL, side="BUY", type="LIMIT_MAKER", quantity="0.001",
                              price="89994")  # fmt: skip
    assert set(maker.body) == set(ack.body)
    assert len(maker.body["clientOrderId"]) == 22 and maker.body["clientOrderId"].isalnum()
    named = await alice.order(**limit("BUY", "0.001", "89994", newClientOrderId="x-MY.id:1/a_b"))
    assert named.body["clientOrderId"] == "x-MY.id:1/a_b"


async def test_time_in_force_and_limit_maker(pair: tuple[Trader, Trader]) -> None:
    """LIMIT_MAKER that would cross is -2010; IOC expires its rest; FOK that cannot fill expires
    whole."""
    alice, bob = pair
    await alice.order(**limit("SELL", "0.001", "90001"))
    cross = await bob.order(symbol=SYMBOL, side="BUY", type="LIMIT_MAKER", quantity="0.001",
                            price="90001")  # fmt: skip
    assert (cross.status, cross.body) == (
        400,
        {"code": -2010, "msg": "Order would immediately match and take."},
    )
    fok = await bob.order(**limit("BUY", "0.002", "90001", timeInForce="FOK"))
    assert (fok.body["status"], fok.body["executedQty"]) == ("EXPIRED", "0.00000000")
    assert fok.body["expiryReason"] == "UNFILLED_FOK_ORDER_EXPIRED"
    ioc = await bob.order(**limit("BUY", "0.002", "90001", timeInForce="IOC"))
    assert (ioc.body["status"], ioc.body["executedQty"]) == ("EXPIRED", "0.00100000")
    assert ioc.body["expiryReason"] == "UNFILLED_IOC_QUANTITY_EXPIRED"


async def test_stop_orders_wait_for_the_last_price(
    mx: MockExchange, pair: tuple[Trader, Trader]
) -> None:
    """A stop order is not working (workingTime -1) until a trade reaches its stopPrice; one
    that would trigger at once is -2010."""
    alice, bob = pair
    now = await bob.order(symbol=SYMBOL, side="SELL", type="STOP_LOSS", quantity="0.001",
                          stopPrice="91000")  # fmt: skip
    assert (now.status, now.body["msg"]) == (400, "Order would trigger immediately.")
    stop = await bob.order(symbol=SYMBOL, side="BUY", type="STOP_LOSS_LIMIT", quantity="0.001",
                           price="90004", stopPrice="90003", timeInForce="GTC",
                           newOrderRespType="RESULT")  # fmt: skip
    assert stop.body["workingTime"] == -1 and stop.body["stopPrice"] == "90003.00000000"
    assert balance(mx, "bob", "USDT")[1] == D("90.004")
    query = await bob.rest("GET", "/api/v3/order", symbol=SYMBOL, orderId=stop.body["orderId"])
    assert query.body["isWorking"] is False and query.body["workingTime"] == -1
    await alice.order(**limit("SELL", "0.002", "90003"))
    await bob.order(**limit("BUY", "0.001", "90003"))  # last price 90003: the stop triggers
    after = await bob.rest("GET", "/api/v3/order", symbol=SYMBOL, orderId=stop.body["orderId"])
    assert after.body["status"] == "FILLED" and after.body["isWorking"] is True


async def test_filters_and_parameter_errors_are_verbatim(pair: tuple[Trader, Trader]) -> None:
    """Filter failures, precision, syntax and presence errors carry Binance's codes and text."""
    alice, _ = pair
    cases: list[tuple[dict[str, Any], int, str]] = [
        (limit("BUY", "0.001", "90000.000000001"), -1111,
         "Parameter 'price' has too much precision."),
        (limit("BUY", "0.001", "90000.005"), -1013, "Filter failure: PRICE_FILTER"),
        (limit("BUY", "0.0000101", "90000"), -1013, "Filter failure: LOT_SIZE"),
        (limit("BUY", "0.00001", "90000"), -1013, "Filter failure: NOTIONAL"),
        (limit("BUY", "0.001", "1000"), -1013, "Filter failure: PERCENT_PRICE_BY_SIDE"),
        (limit("BUY", "0.001", "0"), -1013, "Invalid price."),
        (limit("BUY", "1,0", "90000"), -1100,
         "Illegal characters found in parameter 'quantity'; legal range is "
         "'^([0-9]{1,20})(\\.[0-9]{1,20})?$'."),
        ({**limit("BUY", "0.001", "90000"), "newClientOrderId": "bad id"}, -1100,
         "Illegal characters found in parameter 'newClientOrderId'; legal range is "
         "'^[\\.A-Z\\:/a-z0-9_-]{1,36}$'."),
        ({"symbol": SYMBOL, "side": "BUY", "type": "LIMIT", "quantity": "1", "price": "1"},
         -1102, "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed."),
        ({"symbol": SYMBOL, "side": "BUY", "type": "MARKET", "quantity": "1", "timeInForce": "GTC"},
         -1106, "Parameter 'timeInForce' sent when not required."),
        ({"symbol": SYMBOL, "side": "BUY", "type": "MARKET"}, -1102,
         "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"),
        ({"symbol": SYMBOL, "side": "UP", "type": "MARKET"}, -1117, "Invalid side."),
        ({"symbol": SYMBOL, "side": "BUY", "type": "SOON"}, -1116, "Invalid orderType."),
        ({"symbol": "NOPE", "side": "BUY", "type": "MARKET"}, -1121, "Invalid symbol."),
        ({**limit("BUY", "0.001", "90000"), "timeInForce": "GTX"}, -1115, "Invalid timeInForce."),
        ({**limit("BUY", "0.001", "90000"), "icebergQty": "0.0001"}, -2010,
         "Iceberg orders are not supported for this symbol."),
        ({"symbol": SYMBOL, "side": "SELL", "type": "STOP_LOSS", "quantity": "0.001",
          "trailingDelta": "100"}, -2010,
         "Trailing stop orders are not supported for this symbol."),
        ({"symbol": SYMBOL, "side": "SELL", "type": "STOP_LOSS", "quantity": "0.001"}, -1102,
         "Param 'stopPrice' or 'trailingDelta' must be sent, but both were empty/null!"),
        ({**limit("BUY", "0.001", "90000"), "selfTradePreventionMode": "ZAP"}, -1013,
         "This symbol does not allow the specified self-trade prevention mode."),
        ({"symbol": SYMBOL, "side": "BUY", "type": "MARKET", "quantity": "200"}, -1013,
         "Filter failure: MARKET_LOT_SIZE"),
        (limit("BUY", "100", "90000"), -2010,
         "Account has insufficient balance for requested action."),
    ]  # fmt: skip
    for params, code, msg in cases:
        reply = await alice.order(**params)
        assert (reply.status, reply.body) == (400, {"code": code, "msg": msg}), params
    first = await alice.order(**limit("BUY", "0.001", "89990", newClientOrderId="same"))
    assert first.status == 200
    dup = await alice.order(**limit("BUY", "0.001", "89990", newClientOrderId="same"))
    assert dup.body == {"code": -2010, "msg": "Duplicate order sent."}


@pytest.mark.parametrize(
    ("mode", "taker_status", "maker_status", "taker_prevented", "maker_prevented"),
    [
        ("EXPIRE_TAKER", "EXPIRED_IN_MATCH", "NEW", "0.00200000", None),
        ("EXPIRE_MAKER", "NEW", "EXPIRED_IN_MATCH", None, "0.00100000"),
        ("EXPIRE_BOTH", "EXPIRED_IN_MATCH", "EXPIRED_IN_MATCH", "0.00200000", "0.00100000"),
        ("DECREMENT", "NEW", "EXPIRED_IN_MATCH", "0.00100000", "0.00100000"),
        ("NONE", "PARTIALLY_FILLED", "FILLED", None, None),
    ],
)
async def test_self_trade_prevention_modes(
    mx: MockExchange,
    pair: tuple[Trader, Trader],
    mode: str,
    taker_status: str,
    maker_status: str,
    taker_prevented: str | None,
    maker_prevented: str | None,
) -> None:
    """The taker's STP mode decides what expires when an account would trade with itself."""
    alice, _ = pair
    maker = await alice.order(**limit("SELL", "0.001", "90001"))
    taker = await alice.order(**limit("BUY", "0.002", "90001", selfTradePreventionMode=mode))
    assert taker.body["status"] == taker_status
    assert taker.body.get("preventedQuantity") == taker_prevented
    got = await alice.rest("GET", "/api/v3/order", symbol=SYMBOL, orderId=maker.body["orderId"])
    assert got.body["status"] == maker_status
    assert got.body.get("preventedQuantity") == maker_prevented
    if maker_prevented is not None:
        assert got.body["preventedMatchId"] >= 0
    free, locked = balance(mx, "alice", "BTC")
    fee = D("0.000001") if mode == "NONE" else 0  # a self-trade pays the BUY side's commission
    assert free + locked == D("2") - fee
    assert locked == (D("0.001") if maker_status == "NEW" else 0)


async def test_cancel_replace_outcomes(pair: tuple[Trader, Trader]) -> None:
    """Both succeed 200; STOP_ON_FAILURE with an unknown order 400 -2022; ALLOW_FAILURE 409
    -2021; cancel ok but new order refused 409 -2021 with the error as newOrderResponse."""
    alice, _ = pair
    old = await alice.order(**limit("BUY", "0.001", "89995"))
    new = {**limit("BUY", "0.002", "89996"), "cancelReplaceMode": "STOP_ON_FAILURE"}
    ok = await alice.rest("POST", "/api/v3/order/cancelReplace", cancelOrderId=old.body["orderId"],
                          **new)  # fmt: skip
    assert ok.status == 200 and ok.body["cancelResult"] == ok.body["newOrderResult"] == "SUCCESS"
    assert ok.body["cancelResponse"]["status"] == "CANCELED"
    assert ok.body["newOrderResponse"]["status"] == "NEW" and "X-MBX-ORDER-COUNT-10S" in ok.headers
    stop = await alice.rest("POST", "/api/v3/order/cancelReplace", cancelOrderId=999999, **new)
    assert stop.status == 400 and stop.body == {
        "code": -2022,
        "msg": "Order cancel-replace failed.",
        "data": {
            "cancelResult": "FAILURE",
            "newOrderResult": "NOT_ATTEMPTED",
            "cancelResponse": {"code": -2011, "msg": "Unknown order sent."},
            "newOrderResponse": None,
        },
    }
    allow = {**new, "cancelReplaceMode": "ALLOW_FAILURE", "newOrderRespType": "ACK"}
    partial = await alice.rest("POST", "/api/v3/order/cancelReplace", cancelOrderId=1, **allow)
    assert partial.status == 409 and partial.body["code"] == -2021
    assert partial.body["data"]["newOrderResult"] == "SUCCESS"
    live = ok.body["newOrderResponse"]["orderId"]
    broke = {**new, "type": "LIMIT_MAKER", "price": "90009"}
    del broke["timeInForce"]
    failed = await alice.rest("POST", "/api/v3/order/cancelReplace", cancelOrderId=live, **broke)
    assert failed.status == 409 and failed.body["data"]["cancelResult"] == "SUCCESS"
    assert failed.body["data"]["newOrderResponse"] == {
        "code": -2010,
        "msg": "Order would immediately match and take.",
    }


async def test_amend_keep_priority(mx: MockExchange, pair: tuple[Trader, Trader]) -> None:
    """An amend reduces the quantity in place (the order keeps its queue place and id); an
    increase is -2038; the lock shrinks with it."""
    alice, bob = pair
    first = await alice.order(**limit("SELL", "0.003", "90002"))
    await bob.order(**limit("SELL", "0.001", "90002"))
    oid = first.body["orderId"]
    up = await alice.rest("PUT", "/api/v3/order/amend/keepPriority", symbol=SYMBOL, orderId=oid,
                          newQty="0.004")  # fmt: skip
    assert up.body == {"code": -2038, "msg": "Order amend (quantity increase) is not supported."}
    amend = await alice.rest("PUT", "/api/v3/order/amend/keepPriority", symbol=SYMBOL,
                             orderId=oid, newQty="0.002", newClientOrderId="amended")  # fmt: skip
    assert amend.status == 200 and amend.headers["X-MBX-USED-WEIGHT-1M"]
    order = amend.body["amendedOrder"]
    assert (order["orderId"], order["qty"], order["clientOrderId"]) == (
        oid,
        "0.00200000",
        "amended",
    )
    assert order["origClientOrderId"] == first.body["clientOrderId"]
    assert "cumulativeQuoteQty" in order and amend.body["executionId"] > 0
    assert balance(mx, "alice", "BTC") == (D("1.998"), D("0.002"))
    taker = await bob.order(**limit("BUY", "0.002", "90002"))
    makers = {f["tradeId"] for f in taker.body["fills"]}
    assert len(makers) == 1  # alice's amended order was first in the queue and filled it all
    filled = await alice.rest("GET", "/api/v3/order", symbol=SYMBOL, orderId=oid)
    assert filled.body["status"] == "FILLED"


async def test_query_rules(pair: tuple[Trader, Trader]) -> None:
    """Both ids: orderId decides and the client id must match (-2039); neither -1102; unknown
    -2013 on queries and -2011 on cancels; another account's order is unknown."""
    alice, bob = pair
    placed = await alice.order(**limit("BUY", "0.001", "89995", newClientOrderId="q1"))
    oid = placed.body["orderId"]
    both = await alice.rest("GET", "/api/v3/order", symbol=SYMBOL, orderId=oid,
                            origClientOrderId="q1")  # fmt: skip
    assert both.body["orderId"] == oid
    wrong = await alice.rest("GET", "/api/v3/order", symbol=SYMBOL, orderId=oid,
                             origClientOrderId="other")  # fmt: skip
    assert wrong.body == {"code": -2039, "msg": "Client order ID is not correct for this order ID."}
    neither = await alice.rest("GET", "/api/v3/order", symbol=SYMBOL)
    assert neither.body == {
        "code": -1102,
        "msg": "Param 'orderId' or 'origClientOrderId' must be sent, but both were empty/null!",
    }
    stranger = await bob.rest("GET", "/api/v3/order", symbol=SYMBOL, orderId=oid)
    assert stranger.body == {"code": -2013, "msg": "Order does not exist."}
    cancel = await bob.rest("DELETE", "/api/v3/order", symbol=SYMBOL, origClientOrderId="q1")
    assert cancel.body == {"code": -2011, "msg": "Unknown order sent."}
    by_client = await alice.rest("DELETE", "/api/v3/order", symbol=SYMBOL, origClientOrderId="q1")
    assert by_client.body["origClientOrderId"] == "q1" and by_client.body["clientOrderId"] != "q1"
    again = await alice.rest("DELETE", "/api/v3/order", symbol=SYMBOL, orderId=oid)
    assert again.body == {"code": -2011, "msg": "Unknown order sent."}
    all_orders = await alice.rest("GET", "/api/v3/allOrders", symbol=SYMBOL)
    assert [o["status"] for o in all_orders.body] == ["CANCELED"]
    none_open = await alice.rest("DELETE", "/api/v3/openOrders", symbol=SYMBOL)
    assert none_open.body == {"code": -2011, "msg": "Unknown order sent."}


async def test_rest_and_ws_api_share_books_accounts_and_limits(
    mx: MockExchange, pair: tuple[Trader, Trader]
) -> None:
    """An order placed over the WS API is seen over REST and the control API; ORDERS counts and
    REQUEST_WEIGHT are shared; order answers carry the ORDERS rate limits."""
    alice, _ = pair
    await alice.connect()
    placed = await alice.call("order.place", **limit("BUY", "0.001", "89995"))
    assert placed.status == 200
    orders = [r for r in placed.body["rateLimits"] if r["rateLimitType"] == "ORDERS"]
    assert [(r["interval"], r["count"]) for r in orders] == [("SECOND", 1), ("DAY", 1)]
    rest = await alice.rest("GET", "/api/v3/openOrders", symbol=SYMBOL)
    assert [o["orderId"] for o in rest.body] == [placed.body["result"]["orderId"]]
    assert mx.account_state("alice")["openOrders"][0]["orderId"] == placed.body["result"]["orderId"]
    second = await alice.order(**limit("BUY", "0.001", "89994"))
    assert second.headers["X-MBX-ORDER-COUNT-10S"] == "2"
    status = await alice.call("order.status", symbol=SYMBOL, orderId=second.body["orderId"])
    assert status.body["result"]["status"] == "NEW"
    weights = [r for r in status.body["rateLimits"] if r["rateLimitType"] == "REQUEST_WEIGHT"]
    assert weights[0]["count"] >= 6 + 4  # REST openOrders (6) and this order.status (4)
    count = await alice.call("account.rateLimits.orders")
    assert [r["count"] for r in count.body["result"]] == [2, 2]
    mx.clock.advance(10_000)
    assert [r["count"] for r in (await alice.call("account.rateLimits.orders")).body["result"]] == [
        0,
        2,
    ]


async def test_unfilled_order_count_limit(mx: MockExchange, pair: tuple[Trader, Trader]) -> None:
    """The 101st unfilled order in 10 seconds is HTTP 429 -1015; filled orders do not count."""
    alice, bob = pair
    for i in range(100):
        reply = await alice.order(**limit("BUY", "0.001", str(89992 + (i % 3))))
        assert reply.status == 200, reply.body
    refused = await alice.order(**limit("BUY", "0.001", "89992"))
    assert (refused.status, refused.body) == (
        429,
        {"code": -1015, "msg": "Too many new orders; current limit is 100 orders per 10 SECOND."},
    )
    await bob.order(**limit("SELL", "0.001", "89994"))  # fills one of alice's: -1 for her
    assert (await alice.order(**limit("BUY", "0.001", "89992"))).status == 200


async def test_order_test_order_lists_and_retired_listen_keys(
    pair: tuple[Trader, Trader],
) -> None:
    """order/test checks without placing (and computes commissions); OTO order lists are
    refused with -1020; the spot listen-key endpoint is 410 Gone."""
    alice, _ = pair
    test = await alice.rest("POST", "/api/v3/order/test", **limit("BUY", "0.001", "89995"))
    assert test.status == 200 and test.body == {}
    rates = await alice.rest("POST", "/api/v3/order/test", computeCommissionRates="true",
                             **limit("BUY", "0.001", "89995"))  # fmt: skip
    assert rates.body["standardCommissionForOrder"] == {
        "maker": "0.00100000",
        "taker": "0.00100000",
    }
    assert (await alice.rest("GET", "/api/v3/openOrders", symbol=SYMBOL)).body == []
    bad = await alice.rest("POST", "/api/v3/order/test", **limit("BUY", "0.001", "1"))
    assert bad.body["msg"] == "Filter failure: PERCENT_PRICE_BY_SIDE"
    oto = await alice.rest("POST", "/api/v3/orderList/oto", symbol=SYMBOL, side="SELL")
    assert oto.body["code"] == -1020 and "order lists" in oto.body["msg"]
    gone = await alice.session.post(alice.mx.url("https://api.binance.com/api/v3/userDataStream"))
    assert gone.status == 410 and "410 Gone" in await gone.text()


async def test_my_trades_and_all_orders_selection(pair: tuple[Trader, Trader]) -> None:
    """myTrades lists the account's fills with commissions; fromId and orderId select."""
    alice, bob = pair
    for price in ("90001", "90002", "90003"):
        await alice.order(**limit("SELL", "0.001", price))
    buy = await bob.order(**limit("BUY", "0.003", "90003"))
    trades = (await bob.rest("GET", "/api/v3/myTrades", symbol=SYMBOL)).body
    assert [t["price"] for t in trades] == ["90001.00000000", "90002.00000000", "90003.00000000"]
    assert all(t["isBuyer"] and not t["isMaker"] and t["commissionAsset"] == "BTC" for t in trades)
    since = await bob.rest("GET", "/api/v3/myTrades", symbol=SYMBOL, fromId=trades[1]["id"])
    assert [t["id"] for t in since.body] == [trades[1]["id"], trades[2]["id"]]
    mine = await bob.rest("GET", "/api/v3/myTrades", symbol=SYMBOL, orderId=buy.body["orderId"])
    assert len(mine.body) == 3 and mine.headers["X-MBX-USED-WEIGHT-1M"]
    maker_side = (await alice.rest("GET", "/api/v3/myTrades", symbol=SYMBOL, limit=2)).body
    assert len(maker_side) == 2 and all(
        t["isMaker"] and t["commissionAsset"] == "USDT" for t in maker_side
    )
    orders = (await alice.rest("GET", "/api/v3/allOrders", symbol=SYMBOL, limit=2)).body
    assert [o["price"] for o in orders] == ["90002.00000000", "90003.00000000"]
