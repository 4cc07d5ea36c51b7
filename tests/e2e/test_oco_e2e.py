"""Unmodified python-binance 1.0.37 places, reads and cancels spot OCO order lists against the
emulator (REST and the WS API), redirected only by its URLs, and its user socket receives the
legs' executionReports and the listStatus events.

ccxt 4.5.90 has no OCO method for binance spot (no ``create_oco_order``, and its
``create_order`` never sends ``orderList/oco``), so only python-binance drives OCO here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal as D
from typing import Any

import pytest

from mock_exchange import MockExchange, ServerConfig
from tests.mock_exchange.trading_client import open_gap

binance = pytest.importorskip("binance", reason="python-binance is not installed")

KEY, SECRET = "pbOcoKey", "pbOcoSecret"
TIMEOUT = 15


@pytest.fixture
async def mx() -> AsyncIterator[MockExchange]:
    """An emulator on the wall clock (python-binance signs with its own time), no activity."""
    async with MockExchange(config=ServerConfig(seed=11, rate=0, warmup_ms=0)) as emulator:
        emulator.add_account({"apiKey": KEY, "secret": SECRET, "balances": {"BTC": "1"}})
        open_gap(emulator)  # bids from 89991, asks from 90009, last 90000
        yield emulator


@pytest.fixture
async def pb(mx: MockExchange) -> AsyncIterator[Any]:
    """python-binance's AsyncClient with its REST and WS API URLs rewritten."""
    client_class: Any = binance.AsyncClient
    original = client_class.WS_API_URL
    client_class.WS_API_URL = mx.url("wss://ws-api.binance.com/ws-api/v3")
    try:
        client: Any = client_class(api_key=KEY, api_secret=SECRET)
    finally:
        client_class.WS_API_URL = original
    client.API_URL = mx.url("https://api.binance.com/api")
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            await client.close_connection()


async def _events(socket: Any, count: int) -> list[dict[str, Any]]:
    """The next ``count`` user-data events other than balance positions."""
    out: list[dict[str, Any]] = []
    while len(out) < count:
        event = await asyncio.wait_for(socket.recv(), TIMEOUT)
        if event.get("e") != "outboundAccountPosition":
            out.append(event)
    return out


async def test_python_binance_oco_sell_fills_one_leg_and_the_user_socket_sees_the_list(
    mx: MockExchange, pb: Any
) -> None:
    """order_oco_sell places a LIMIT_MAKER / STOP_LOSS_LIMIT pair (orderList/oco) that locks the
    BTC once; the user socket gets both NEW reports with g = the list id and listStatus
    EXEC_STARTED; a buyer lifting the limit leg ends the list (TRADE, EXPIRED, ALL_DONE)."""
    manager: Any = binance.BinanceSocketManager(pb)
    async with manager.user_socket() as socket:
        placed = await pb.order_oco_sell(
            symbol="BTCUSDT", quantity="0.01", aboveType="LIMIT_MAKER", abovePrice="90005",
            belowType="STOP_LOSS_LIMIT", belowStopPrice="89995", belowPrice="89990",
            belowTimeInForce="GTC",
        )  # fmt: skip
        list_id = placed["orderListId"]
        assert (placed["listStatusType"], placed["listOrderStatus"]) == (
            "EXEC_STARTED",
            "EXECUTING",
        )
        assert placed["listClientOrderId"].startswith(pb.SPOT_ORDER_PREFIX)
        account = await pb.get_account()
        assert {"asset": "BTC", "free": "0.99000000", "locked": "0.01000000"} in account["balances"]
        opened = await _events(socket, 3)
        assert [(e["e"], e.get("x"), e["g"]) for e in opened] == [
            ("executionReport", "NEW", list_id),
            ("executionReport", "NEW", list_id),
            ("listStatus", None, list_id),
        ]
        assert (opened[2]["l"], opened[2]["L"], opened[2]["c"]) == (
            "EXEC_STARTED",
            "EXECUTING",
            "OCO",
        )
        assert [o["orderListId"] for o in await pb.get_open_oco_orders()] == [list_id]
        # a scripted buyer lifts the limit leg at its price
        mx.place_order("BTCUSDT", "BUY", "LIMIT", quantity=D("0.01"), price=D("90005"))
        done = await _events(socket, 3)
        assert [(e["e"], e.get("x") or e.get("L")) for e in done] == [
            ("executionReport", "TRADE"),
            ("executionReport", "EXPIRED"),
            ("listStatus", "ALL_DONE"),
        ]
        assert done[1]["eR"] == "OCO_TRIGGER"
    assert await pb.get_open_oco_orders() == []
    assert (await pb.ws_get_oco_order(orderListId=list_id))["listOrderStatus"] == "ALL_DONE"


async def test_python_binance_ws_api_oco_place_and_cancel(mx: MockExchange, pb: Any) -> None:
    """ws_create_oco_order places an OCO over the WS API, ws_get_oco_open_orders lists it,
    ws_cancel_oco_order cancels both legs and the BTC is free again."""
    placed = await pb.ws_create_oco_order(
        symbol="BTCUSDT", side="SELL", quantity="0.01", aboveType="TAKE_PROFIT",
        aboveStopPrice="90500", belowType="STOP_LOSS", belowStopPrice="89500",
    )  # fmt: skip
    assert [r["type"] for r in placed["orderReports"]] == ["STOP_LOSS", "TAKE_PROFIT"]
    opened = await pb.ws_get_oco_open_orders()
    assert [o["orderListId"] for o in opened] == [placed["orderListId"]]
    canceled = await pb.ws_cancel_oco_order(symbol="BTCUSDT", orderListId=placed["orderListId"])
    assert [r["status"] for r in canceled["orderReports"]] == ["CANCELED", "CANCELED"]
    account = await pb.get_account()
    assert {"asset": "BTC", "free": "1.00000000", "locked": "0.00000000"} in account["balances"]
