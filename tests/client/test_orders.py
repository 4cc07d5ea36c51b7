"""Order and trade parsing, the order status table, and the order request builder (sans-I/O,
JSON literals from Binance's docs)."""

from __future__ import annotations

import pytest

from client.errors import ArgumentsRequired, InsufficientFunds, InvalidOrder
from client.protocol.order_request import amount_text, order_request, price_text
from client.protocol.orders import (
    ORDER_TRANSITIONS,
    IllegalOrderTransition,
    order_transition,
    parse_my_trade,
    parse_order,
    since_limit,
    supersedes,
)
from client.types import Market
from tests.client import private_payloads as P

SPOT, USDM, COINM = P.SPOT, P.USDM, P.COINM


def test_placement_shapes() -> None:
    """ACK has only ids; RESULT an open order; FULL a filled one whose fills become trades
    carrying the order's id, side and time."""
    ack = parse_order(P.PLACE_ACK, SPOT)
    assert (ack["id"], ack["status"], ack["timestamp"]) == ("12569099453", None, 1660801715639)
    res = parse_order(P.PLACE_RESULT, SPOT)
    assert res["status"] == "open" and res["remaining"] == 0.00847 and res["filled"] == 0.0
    assert res["type"] == "limit" and res["side"] == "sell" and res["timeInForce"] == "GTC"
    full = parse_order(P.PLACE_FULL, SPOT)
    assert full["status"] == "closed" and full["remaining"] == 0.0
    assert full["average"] == pytest.approx(198.335215 / 0.00847)
    assert full["lastTradeTimestamp"] == 1660801715793
    assert [t["id"] for t in full["trades"]] == ["1650422481", "1650422482"]
    t0 = full["trades"][0]
    assert (t0["order"], t0["side"], t0["timestamp"], t0["symbol"]) == (
        "12569099453",
        "sell",
        1660801715793,
        "BTC/USDT",
    )
    assert full["fee"] == {"cost": 0.0, "currency": "BNB"} and len(full["fees"]) == 1


def test_market_order_fees_sum_and_price_is_the_average() -> None:
    """A MARKET order reports price 0: the unified price is the average; five fills' fees in
    one currency sum to one fee."""
    o = parse_order(P.MARKET_FULL, SPOT)
    assert o["price"] == o["average"] == 1.0 and o["type"] == "market"
    assert o["fee"] == {"cost": pytest.approx(39.983), "currency": "USDT"}
    assert o["timeInForce"] == "GTC" and o["cost"] == 10.0


def test_query_cancel_stop_and_maker_shapes() -> None:
    """Query shape (time/updateTime), cancel shape, an untriggered stop (workingTime -1 is
    not a time) and LIMIT_MAKER (post-only limit)."""
    q = parse_order(P.QUERY, SPOT)
    assert (q["timestamp"], q["lastUpdateTimestamp"], q["triggerPrice"]) == (
        1660801715639,
        1660801717945,
        None,
    )
    part = parse_order(P.QUERY_PARTIAL, SPOT)
    assert part["status"] == "open" and part["lastTradeTimestamp"] == 1660801717945
    c = parse_order(P.CANCEL, SPOT)
    assert c["status"] == "canceled" and c["filled"] == 0.00001 and c["cost"] == 0.234161
    stop = parse_order(P.STOP_LIMIT, SPOT)
    assert stop["type"] == "limit" and stop["triggerPrice"] == stop["stopPrice"] == 23000.0
    assert stop["timestamp"] == 1660801715639
    maker = parse_order(P.MAKER, SPOT)
    assert maker["type"] == "limit" and maker["postOnly"] is True


def test_futures_orders() -> None:
    """USD-M: contract types map to limit/market, avgPrice and cumQuote; COIN-M: cost in
    base (cumBase); the symbol resolves through a lookup when no market is given."""
    trail = parse_order(P.FUTURES_ORDER, None, {"BTCUSDT": USDM}.get)
    assert trail["symbol"] == "BTC/USDT:USDT" and trail["type"] == "market"
    assert trail["triggerPrice"] == 9300.0 and trail["reduceOnly"] is False
    filled = parse_order(P.FUTURES_FILLED, USDM)
    assert filled["average"] == 60000.1 and filled["cost"] == 600.001 and filled["price"] == 60000.1
    coin = parse_order(P.COINM_ORDER, COINM)
    assert coin["cost"] == 0.02222222 and coin["average"] == 9000.0 and coin["amount"] == 2.0


def test_events_cancel_replace_amend_and_batch_errors() -> None:
    """executionReport and ORDER_TRADE_UPDATE use the same parser; cancel-replace returns the
    new order; an amend its amended order; a batch error entry is a rejected order."""
    new = parse_order(P.EXECUTION_REPORT, SPOT)
    assert (new["id"], new["status"], new["clientOrderId"]) == (
        "4293153",
        "open",
        "mUvoqJxFIILMdfAW5iGSOW",
    )
    fill = parse_order(P.EXECUTION_TRADE, SPOT)
    assert fill["filled"] == 0.4 and fill["lastTradeTimestamp"] == 1499405658999
    assert fill["fee"] == {"cost": 0.0004, "currency": "BNB"}
    fut = parse_order(P.ORDER_TRADE_FILL, USDM)
    assert fut["status"] == "closed" and fut["average"] == 59999.9 and fut["reduceOnly"] is False
    cr = parse_order(P.CANCEL_REPLACE, SPOT)
    assert cr["id"] == "12569099454" and cr["price"] == 23400.0
    am = parse_order(P.AMEND, SPOT)
    assert (am["amount"], am["clientOrderId"], am["lastUpdateTimestamp"]) == (
        5.0,
        "PFaq6hIHxqFENGfdtn4J6Q",
        1741926410255,
    )
    bad = parse_order(P.BATCH_ERROR, USDM)
    assert bad["status"] == "rejected" and isinstance(bad["error"], InsufficientFunds)


def test_my_trades_every_shape() -> None:
    """myTrades (isBuyer/isMaker), userTrades (side/maker), COIN-M (baseQty cost) and the
    trade events (l/L/Y, n/N) give the same unified trade."""
    t = parse_my_trade(P.MY_TRADE, SPOT)
    assert (t["side"], t["takerOrMaker"], t["cost"], t["order"]) == (
        "buy",
        "taker",
        48.000012,
        "100234",
    )
    assert t["fee"] == {"cost": 10.1, "currency": "BNB"}
    u = parse_my_trade(P.USER_TRADE, USDM)
    assert (u["side"], u["cost"], u["fee"]["cost"]) == ("sell", 15.63802, -0.0781901)
    c = parse_my_trade(P.COINM_USER_TRADE, COINM)
    assert c["cost"] == 0.01136364 and c["amount"] == 1.0
    e = parse_my_trade(P.EXECUTION_TRADE, SPOT)
    assert (e["id"], e["amount"], e["price"], e["cost"], e["takerOrMaker"]) == (
        "77",
        0.4,
        0.102644,
        0.0410576,
        "maker",
    )
    f = parse_my_trade(P.ORDER_TRADE_FILL, USDM)
    assert f["id"] == "901" and f["cost"] == pytest.approx(59.9999) and f["side"] == "buy"


def test_status_transition_table() -> None:
    """Final statuses admit only themselves; a fill may follow NEW; nothing leaves FILLED;
    an illegal move raises and the caller keeps the old state."""
    assert order_transition(None, "FILLED") == "FILLED"
    assert order_transition("NEW", "PARTIALLY_FILLED") == "PARTIALLY_FILLED"
    assert order_transition("PARTIALLY_FILLED", "PARTIALLY_FILLED") == "PARTIALLY_FILLED"
    for final in ("FILLED", "CANCELED", "EXPIRED", "REJECTED", "EXPIRED_IN_MATCH"):
        assert ORDER_TRANSITIONS[final] == {final}
        with pytest.raises(IllegalOrderTransition):
            order_transition(final, "NEW")
    with pytest.raises(IllegalOrderTransition):
        order_transition("PARTIALLY_FILLED", "NEW")


def test_supersedes_orders_updates_in_a_cache() -> None:
    """A later fill supersedes an earlier state; a stale NEW after FILLED does not."""
    new = parse_order(P.EXECUTION_REPORT, SPOT)
    fill = parse_order(P.EXECUTION_TRADE, SPOT)
    assert supersedes(new, fill) and not supersedes(fill, new)
    done = parse_order({**P.EXECUTION_TRADE, "X": "FILLED", "z": "1.00000000"}, SPOT)
    assert supersedes(fill, done) and not supersedes(done, fill)


def test_since_limit_follows_ccxt() -> None:
    """From ``since`` the first ``limit``; without it the last ``limit``, by timestamp."""
    rows = [{"timestamp": t} for t in (3, 1, 2, 5)]
    assert since_limit(rows, None, 2) == [{"timestamp": 3}, {"timestamp": 5}]
    assert since_limit(rows, 2, 2) == [{"timestamp": 2}, {"timestamp": 3}]


def test_order_request_spot() -> None:
    """Spot limit: GTC, amount truncated to the step, price rounded to the tick, client id
    and FULL answers; postOnly -> LIMIT_MAKER; a trigger -> STOP_LOSS_LIMIT; cost ->
    quoteOrderQty; unknown params pass through."""
    r = order_request(SPOT, "limit", "buy", 0.0012345, 100.005, {"x": 1}, client_order_id="c1",
                      response_type="FULL")  # fmt: skip
    assert r.endpoint == "order" and r.client_order_id == "c1"
    assert r.params == {
        "symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
        "quantity": "0.00123", "price": "100.01", "newClientOrderId": "c1",
        "newOrderRespType": "FULL", "x": 1,
    }  # fmt: skip
    free: Market = {**SPOT, "info": {**SPOT["info"], "orderTypes": []}}
    maker = order_request(free, "limit", "sell", 1, 2, {"postOnly": True}, client_order_id="c")
    assert maker.params["type"] == "LIMIT_MAKER" and "timeInForce" not in maker.params
    stop = order_request(
        free, "limit", "sell", 1, 2, {"triggerPrice": 3, "clientOrderId": "mine"},
        client_order_id="c",
    )  # fmt: skip
    assert stop.params["type"] == "STOP_LOSS_LIMIT" and stop.params["stopPrice"] == "3"
    assert stop.client_order_id == "mine"
    buy = order_request(SPOT, "market", "buy", None, None, {"cost": 10.129}, client_order_id="c")
    assert buy.params["quoteOrderQty"] == "10.12" and "quantity" not in buy.params
    with pytest.raises(InvalidOrder, match="STOP_LOSS_LIMIT is not an order type"):
        order_request(SPOT, "limit", "buy", 1, 1, {"stopPrice": 1}, client_order_id="c")
    with pytest.raises(InvalidOrder, match="needs a price"):
        order_request(SPOT, "limit", "buy", 1, None, {}, client_order_id="c")
    with pytest.raises(ArgumentsRequired):
        order_request(SPOT, "market", "buy", None, None, {}, client_order_id="c")


def test_order_request_futures_and_margin() -> None:
    """Futures: post-only is GTX, reduceOnly is text, conditionals go to the algo endpoint
    with triggerPrice and clientAlgoId; margin: isolated and AUTO_REPAY."""
    free: Market = {**USDM, "info": {**USDM["info"], "orderTypes": []}}
    gtx = order_request(free, "limit", "buy", 0.0019, 100.04, {"postOnly": True,
                        "reduceOnly": True}, client_order_id="c")  # fmt: skip
    assert gtx.params["timeInForce"] == "GTX" and gtx.params["reduceOnly"] == "true"
    assert gtx.params["quantity"] == "0.001" and gtx.params["price"] == "100"
    algo = order_request(free, "market", "sell", 1, None, {"triggerPrice": 90},
                         client_order_id="c")  # fmt: skip
    assert algo.endpoint == "algo" and algo.params["type"] == "STOP_MARKET"
    assert algo.params["algoType"] == "CONDITIONAL" and algo.params["triggerPrice"] == "90"
    assert algo.params["clientAlgoId"] == "c" and "newClientOrderId" not in algo.params
    margin = order_request(SPOT, "market", "sell", 1, None, {"marginMode": "isolated",
                           "reduceOnly": True}, client_order_id="c", margin=True)  # fmt: skip
    assert margin.params["isIsolated"] == "TRUE" and margin.params["sideEffectType"] == "AUTO_REPAY"
    assert amount_text(COINM, 2.7) == "2" and price_text(COINM, 9000.06) == "9000.1"
