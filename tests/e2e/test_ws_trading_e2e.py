"""Spot trading over the WebSocket API against the real emulator (HMAC-signed and Ed25519
logged-on sessions): every read and mutation, edits that keep priority or cancel-replace,
and the journal showing which Binance method each call used."""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson
import pytest

from client import Binance, NotSupported, OrderNotFound
from mock_exchange import MockExchange, ServerConfig
from tests.e2e.accounts import new_key, private_client, register


@pytest.fixture
async def mx() -> AsyncIterator[MockExchange]:
    """A quiet emulator."""
    async with MockExchange(config=ServerConfig(seed=17, rate=0)) as m:
        yield m


def ws_calls(mx: MockExchange) -> list[tuple[str, dict[str, object]]]:
    """(method, params) of every WS API request, from the emulator's journal."""
    out = []
    for e in mx.control.journal:
        if e.transport == "ws" and "/ws-api/" in e.path:
            frame = orjson.loads(e.text)
            out.append((str(frame["method"]), dict(frame.get("params") or {})))
    return out


@pytest.mark.parametrize("kind", ["hmac", "ed25519"])
async def test_ws_order_lifecycle(mx: MockExchange, kind: str) -> None:
    """create -> amend (quantity down: same id, keepPriority) -> edit price (cancelReplace:
    new id) -> fetch -> open/all orders -> cancel, all over the WS API."""
    key = new_key(kind)
    await register(mx.base_url, key)
    async with private_client(mx.base_url, key) as ex:
        bid = (await ex.fetch_order_book_ws("BTC/USDT", 5))["bids"][0][0]
        o = await ex.create_order_ws("BTC/USDT", "limit", "buy", 0.01, round(bid * 0.9, 2))
        assert o["status"] == "open" and o["amount"] == 0.01
        amended = await ex.edit_order_ws(o["id"] or "", "BTC/USDT", "limit", "buy", 0.004)
        assert amended["id"] == o["id"] and amended["amount"] == 0.004
        price = round(bid * 0.85, 2)
        moved = await ex.edit_order_ws(o["id"] or "", "BTC/USDT", "limit", "buy", 0.004, price)
        assert moved["id"] != o["id"] and moved["price"] == price and moved["status"] == "open"
        assert (await ex.fetch_order_ws(moved["id"] or "", "BTC/USDT"))["amount"] == 0.004
        assert [x["id"] for x in await ex.fetch_open_orders_ws("BTC/USDT")] == [moved["id"]]
        assert [x["id"] for x in await ex.fetch_open_orders_ws()] == [moved["id"]]
        statuses = {x["id"]: x["status"] for x in await ex.fetch_orders_ws("BTC/USDT")}
        assert statuses == {o["id"]: "canceled", moved["id"]: "open"}
        assert (await ex.cancel_order_ws(moved["id"] or "", "BTC/USDT"))["status"] == "canceled"
        with pytest.raises(OrderNotFound):
            await ex.cancel_order_ws(moved["id"] or "", "BTC/USDT")
    methods = [m for m, _ in ws_calls(mx)]
    assert "order.amend.keepPriority" in methods and "order.cancelReplace" in methods
    amend = next(p for m, p in ws_calls(mx) if m == "order.amend.keepPriority")
    assert amend["newQty"] == "0.004"
    if kind == "ed25519":
        assert methods.count("session.logon") == 1
        assert all("signature" not in p for m, p in ws_calls(mx) if m == "order.place")


async def test_ws_fills_trades_and_cancel_all(mx: MockExchange) -> None:
    """A market buy by quote amount closes; it shows in closed orders and my trades over the
    WS API; cancel_all_orders_ws cancels what rests; the spot balance over the WS API is real."""
    key = new_key("hmac")
    await register(mx.base_url, key)
    async with private_client(mx.base_url, key) as ex:
        m = await ex.create_order_ws("BTC/USDT", "market", "buy", None, None, {"cost": 50})
        assert m["status"] == "closed" and m["cost"] is not None and m["cost"] <= 50
        assert [x["id"] for x in await ex.fetch_closed_orders_ws("BTC/USDT")] == [m["id"]]
        trades = await ex.fetch_my_trades_ws("BTC/USDT")
        assert {t["order"] for t in trades} == {m["id"]} and trades[0]["fee"]["cost"]
        bid = (await ex.fetch_order_book_ws("BTC/USDT", 5))["bids"][0][0]
        for k in (1, 2):
            await ex.create_order_ws("BTC/USDT", "limit", "buy", 0.001 * k, round(bid * 0.9, 2))
        done = await ex.cancel_all_orders_ws("BTC/USDT")
        assert [o["status"] for o in done] == ["canceled", "canceled"]
        bal = await ex.fetch_balance_ws()
        assert bal["used"]["USDT"] == 0.0 and bal["total"]["BTC"] > 10  # type: ignore[operator]


async def test_spot_only_methods_refuse_futures_symbols(mx: MockExchange) -> None:
    """Binance's futures WS API has no allOrders, openOrders, myTrades or cancelAll: those
    raise NotSupported naming the venue, before anything is sent."""
    key = new_key("hmac")
    await register(mx.base_url, key)
    ex: Binance
    async with private_client(mx.base_url, key) as ex:
        for call in (
            ex.fetch_orders_ws("BTC/USDT:USDT"),
            ex.fetch_my_trades_ws("BTC/USDT:USDT"),
            ex.cancel_all_orders_ws("BTC/USD:BTC"),
            ex.fetch_open_orders_ws(params={"type": "future"}),
        ):
            with pytest.raises(NotSupported, match="spot WebSocket API only"):
                await call
    assert ws_calls(mx) == []
