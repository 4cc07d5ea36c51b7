"""Spot trading over REST against the real emulator: every order method, create_orders with a
rejection in the middle, market buys by quote amount, and the errors users branch on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal as D

import pytest

from client import (
    Binance,
    DuplicateOrderId,
    InsufficientFunds,
    InvalidOrder,
    OrderImmediatelyFillable,
    OrderNotFound,
)
from mock_exchange import MockExchange, ServerConfig
from tests.e2e.accounts import new_key, private_client, register


@pytest.fixture
async def mx() -> AsyncIterator[MockExchange]:
    """A quiet emulator (no background orders): the book holds only what a test puts there."""
    async with MockExchange(config=ServerConfig(seed=11, rate=0)) as m:
        yield m


@pytest.fixture
async def ex(mx: MockExchange) -> AsyncIterator[Binance]:
    """A client with a funded HMAC account on the emulator."""
    key = new_key("hmac")
    await register(mx.base_url, key)
    async with private_client(mx.base_url, key) as client:
        yield client


async def best_bid_ask(ex: Binance) -> tuple[float, float]:
    """The emulator's BTC/USDT best bid and ask (its seeded book)."""
    book = await ex.fetch_order_book_ws("BTC/USDT", 5)
    return book["bids"][0][0], book["asks"][0][0]


async def test_limit_order_lifecycle(ex: Binance) -> None:
    """A resting limit buy is open (create, fetch_order, fetch_open_orders with and without a
    symbol), then canceled (cancel_order, fetch_canceled_orders, fetch_orders)."""
    bid, _ = await best_bid_ask(ex)
    price = round(bid * 0.9, 2)
    o = await ex.create_limit_buy_order("BTC/USDT", 0.01, price, {"clientOrderId": "life-1"})
    assert (o["status"], o["side"], o["type"], o["price"], o["amount"]) == (
        "open", "buy", "limit", price, 0.01,
    )  # fmt: skip
    assert o["clientOrderId"] == "life-1" and o["remaining"] == 0.01 and o["filled"] == 0.0
    assert (await ex.fetch_order(o["id"], "BTC/USDT"))["status"] == "open"
    by_cid = await ex.fetch_order("", "BTC/USDT", {"clientOrderId": "life-1"})
    assert by_cid["id"] == o["id"]
    assert [x["id"] for x in await ex.fetch_open_orders("BTC/USDT")] == [o["id"]]
    assert [x["id"] for x in await ex.fetch_open_orders()] == [o["id"]]
    balance = await ex.fetch_balance()
    assert balance["used"]["USDT"] == pytest.approx(price * 0.01)
    c = await ex.cancel_order(o["id"], "BTC/USDT")
    assert c["status"] == "canceled" and c["id"] == o["id"]
    assert [x["id"] for x in await ex.fetch_canceled_orders("BTC/USDT")] == [o["id"]]
    assert await ex.fetch_open_orders("BTC/USDT") == []
    assert [x["status"] for x in await ex.fetch_orders("BTC/USDT")] == ["canceled"]
    with pytest.raises(OrderNotFound):
        await ex.cancel_order(o["id"], "BTC/USDT")


async def test_market_orders_fill_and_show_in_my_trades(mx: MockExchange, ex: Binance) -> None:
    """A market buy by quote amount spends at most that cost; a market sell by base amount
    fills; both are closed with trades, fees and an average, and appear in fetch_my_trades
    and fetch_closed_orders."""
    _, ask = await best_bid_ask(ex)
    buy = await ex.create_market_buy_order_with_cost("BTC/USDT", 100)
    assert buy["status"] == "closed" and 99 <= buy["cost"] <= 100  # type: ignore[operator]
    assert buy["average"] == pytest.approx(ask, rel=0.01) and buy["trades"]
    assert buy["fee"] is not None and buy["fee"]["currency"] == "BTC"
    bid, _ = await best_bid_ask(ex)
    sell = await ex.create_market_sell_order("BTC/USDT", 0.001)
    assert sell["status"] == "closed" and sell["filled"] == 0.001
    assert sell["average"] == pytest.approx(bid, rel=0.01)
    mine = await ex.fetch_my_trades("BTC/USDT")
    assert {t["order"] for t in mine} == {buy["id"], sell["id"]}
    assert {t["side"] for t in mine} == {"buy", "sell"} and all(t["fee"]["cost"] for t in mine)
    closed = await ex.fetch_closed_orders("BTC/USDT")
    assert {o["id"] for o in closed} == {buy["id"], sell["id"]}


async def test_create_orders_returns_one_result_per_input_in_order(ex: Binance) -> None:
    """Three spot orders placed concurrently: the middle one breaks the NOTIONAL filter and
    comes back rejected with the error naming the filter; the others are open."""
    bid, _ = await best_bid_ask(ex)
    p = round(bid * 0.8, 2)
    eth_bid = (await ex.fetch_order_book_ws("ETH/USDT", 5))["bids"][0][0]
    results = await ex.create_orders(
        [
            {"symbol": "BTC/USDT", "type": "limit", "side": "buy", "amount": 0.001, "price": p},
            {"symbol": "BTC/USDT", "type": "limit", "side": "buy", "amount": 0.00001, "price": p},
            {
                "symbol": "ETH/USDT",
                "type": "limit",
                "side": "buy",
                "amount": 0.01,
                "price": round(eth_bid * 0.9, 2),
            },
        ]
    )
    assert [r["status"] for r in results] == ["open", "rejected", "open"]
    assert [r["symbol"] for r in results] == ["BTC/USDT", "BTC/USDT", "ETH/USDT"]
    err = results[1]["error"]
    assert isinstance(err, InvalidOrder) and err.filter == "NOTIONAL" and err.code == -1013
    assert results[1]["clientOrderId"] and results[1]["amount"] == 0.00001
    assert "error" not in results[0]
    assert len(await ex.fetch_open_orders()) == 2


async def test_errors_users_branch_on(mx: MockExchange, ex: Binance) -> None:
    """Insufficient balance, a post-only order that would take, a duplicate client order id
    and an unknown order each raise their own class (Binance's messages verbatim)."""
    bid, ask = await best_bid_ask(ex)
    with pytest.raises(InsufficientFunds):
        await ex.create_limit_buy_order("BTC/USDT", 100, round(bid * 0.9, 2))
    with pytest.raises(OrderImmediatelyFillable) as taker:
        await ex.create_order("BTC/USDT", "limit", "buy", 0.001, ask, {"postOnly": True})
    assert taker.value.msg == "Order would immediately match and take."
    p = round(bid * 0.9, 2)
    await ex.create_limit_buy_order("BTC/USDT", 0.001, p, {"clientOrderId": "dup"})
    with pytest.raises(DuplicateOrderId):
        await ex.create_limit_buy_order("BTC/USDT", 0.001, p, {"clientOrderId": "dup"})
    with pytest.raises(OrderNotFound):
        await ex.fetch_order("999999999", "BTC/USDT")
    assert D(str(bid)) < D(str(ask))
