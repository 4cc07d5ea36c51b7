"""USD-M and COIN-M trading against the real emulator: balances, orders over REST and the WS
API, positions, my trades, batch orders with a refusal, reduce-only closes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from client import Binance, InvalidOrder
from mock_exchange import MockExchange, ServerConfig
from tests.e2e.accounts import new_key, private_client, register


@pytest.fixture
async def ex() -> AsyncIterator[Binance]:
    """A client whose account holds USDT on USD-M and BTC on COIN-M, on a quiet emulator."""
    async with MockExchange(config=ServerConfig(seed=19, rate=0)) as mx:
        key = new_key("hmac")
        await register(mx.base_url, key, futuresBalances={"USDT": "100000"})
        mx.deposit(key.api_key, "BTC", "10", wallet="coinm")
        async with private_client(mx.base_url, key) as client:
            yield client


async def test_usdm_rest_lifecycle(ex: Binance) -> None:
    """Balance, a resting limit order (fetch, open, cancel), a market buy that opens a long
    position with a trade, a reduce-only close, and a batch whose second order is refused."""
    sym = "BTC/USDT:USDT"
    bal = await ex.fetch_balance({"type": "future"})
    assert bal["free"]["USDT"] == 100000.0 and bal["total"]["USDT"] == 100000.0
    mid = (await ex.fetch_order_book_ws(sym, 5))["bids"][0][0]
    o = await ex.create_limit_buy_order(sym, 0.01, round(mid * 0.98, 1))
    assert o["status"] == "open" and o["symbol"] == sym and o["amount"] == 0.01
    assert (await ex.fetch_order(o["id"] or "", sym))["status"] == "open"
    assert [x["id"] for x in await ex.fetch_open_orders(sym)] == [o["id"]]
    assert (await ex.cancel_order(o["id"] or "", sym))["status"] == "canceled"
    buy = await ex.create_market_buy_order(sym, 0.01)
    assert buy["status"] == "closed" and buy["filled"] == 0.01
    # placement answers carry no avgPrice since 2026; the query shape does
    done = await ex.fetch_order(buy["id"] or "", sym)
    assert done["average"] and done["cost"] == pytest.approx(done["average"] * 0.01)
    (pos,) = await ex.fetch_positions([sym])
    assert (pos["side"], pos["contracts"], pos["symbol"]) == ("long", 0.01, sym)
    assert pos["entryPrice"] == done["average"] and pos["marginMode"] == "cross"
    trades = await ex.fetch_my_trades(sym)
    assert [t["order"] for t in trades] == [buy["id"]] and trades[0]["side"] == "buy"
    close = await ex.create_market_sell_order(sym, 0.01, {"reduceOnly": True})
    assert close["status"] == "closed" and close["reduceOnly"] is True
    assert await ex.fetch_positions([sym]) == []
    results = await ex.create_orders(
        [
            {
                "symbol": sym,
                "type": "limit",
                "side": "buy",
                "amount": 0.01,
                "price": round(mid * 0.98, 1),
            },
            {
                "symbol": sym,
                "type": "limit",
                "side": "buy",
                "amount": 0.01,
                "price": round(mid * 0.5, 1),
            },
        ]
    )
    assert [r["status"] for r in results] == ["open", "rejected"]
    assert isinstance(results[1]["error"], InvalidOrder) and results[1]["error"].code == -4024
    statuses = sorted(x["status"] or "" for x in await ex.fetch_orders(sym))
    assert statuses == ["canceled", "closed", "closed", "open"]


async def test_usdm_ws_api_lifecycle(ex: Binance) -> None:
    """Over /ws-fapi/v1: create, modify the price (order.modify), fetch, cancel; a market buy
    then account.position and account.status."""
    sym = "BTC/USDT:USDT"
    mid = (await ex.fetch_order_book_ws(sym, 5))["bids"][0][0]
    o = await ex.create_order_ws(sym, "limit", "buy", 0.01, round(mid * 0.98, 1))
    assert o["status"] == "open"
    moved = await ex.edit_order_ws(o["id"] or "", sym, "limit", "buy", 0.01, round(mid * 0.97, 1))
    assert moved["id"] == o["id"] and moved["price"] == round(mid * 0.97, 1)
    assert (await ex.fetch_order_ws(o["id"] or "", sym))["price"] == moved["price"]
    assert (await ex.cancel_order_ws(o["id"] or "", sym))["status"] == "canceled"
    await ex.create_order_ws(sym, "market", "buy", 0.02)
    (pos,) = await ex.fetch_position_ws(sym)
    assert pos["contracts"] == 0.02 and pos["side"] == "long"
    bal = await ex.fetch_balance_ws({"type": "future"})
    assert bal["used"]["USDT"] > 0  # type: ignore[operator]


async def test_coinm_rest_orders_and_positions(ex: Binance) -> None:
    """COIN-M: the BTC wallet, a market buy in contracts (cost in BTC), the position and the
    trade; a limit order below the entry rests and is canceled."""
    sym = "BTC/USD:BTC"
    bal = await ex.fetch_balance({"type": "delivery"})
    assert bal["total"]["BTC"] == 10.0
    buy = await ex.create_market_buy_order(sym, 1)
    assert buy["status"] == "closed" and buy["amount"] == 1.0
    done = await ex.fetch_order(buy["id"] or "", sym)
    assert done["cost"] == pytest.approx(100 / (done["average"] or 1), rel=1e-6)
    (pos,) = await ex.fetch_positions([sym])
    assert pos["contracts"] == 1.0 and pos["contractSize"] == 100.0
    (trade,) = await ex.fetch_my_trades(sym)
    assert trade["order"] == buy["id"] and trade["fee"]["currency"] == "BTC"
    entry = pos["entryPrice"] or 0
    o = await ex.create_limit_buy_order(sym, 1, round(entry * 0.98, 1))
    assert o["status"] == "open"
    assert (await ex.cancel_order(o["id"] or "", sym))["status"] == "canceled"
