"""What a bot reconciling REST against its user-data stream relies on: one fill carries one
time everywhere it is reported (REST answer, ``userTrades``, ``income``, the stream's events),
even when the emulator clock moves while the request is being handled."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import aiohttp
import pytest

from mock_exchange import MockExchange, ServerConfig
from tests.mock_exchange.futures_client import FuturesClient, next_event

KEY, SECRET = "timingKey", "timingSecret"


@pytest.fixture
async def mx(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[MockExchange]:
    """A quiet emulator whose clock moves one millisecond at every reading (so time passes
    inside a request, as it does on a busy server)."""
    async with MockExchange(config=ServerConfig(seed=4, rate=0, frozen_clock=True)) as m:
        m.add_account({"apiKey": KEY, "secret": SECRET, "futuresBalances": {"USDT": "100000"}})
        frozen = m.clock.now_ms
        ticks = itertools.count()
        monkeypatch.setattr(m.clock, "now_ms", lambda: frozen() + next(ticks))
        yield m


async def test_a_futures_fill_has_one_time_in_rest_income_and_the_stream(
    mx: MockExchange,
) -> None:
    """A USD-M MARKET fill is reported at the order's transaction time in the REST answer,
    ``userTrades``, ``income`` and the ``ORDER_TRADE_UPDATE``/``ACCOUNT_UPDATE`` events."""
    async with aiohttp.ClientSession() as session:
        fut = FuturesClient(mx, session, KEY, SECRET)
        key = await fut.listen_key()
        url = mx.url(f"wss://fstream.binance.com/private/ws?listenKey={key}")
        async with session.ws_connect(url) as ws:
            placed = await fut.ok(
                "POST",
                "/fapi/v1/order",
                {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01"},
            )
            fill = await next_event(ws, "ORDER_TRADE_UPDATE")
            while fill["o"]["x"] != "TRADE":
                fill = await next_event(ws, "ORDER_TRADE_UPDATE")
            update = await next_event(ws, "ACCOUNT_UPDATE")
        (trade,) = await fut.ok("GET", "/fapi/v1/userTrades", {"symbol": "BTCUSDT"})
        income = await fut.ok("GET", "/fapi/v1/income", {"incomeType": "COMMISSION"})
        order = await fut.ok(
            "GET", "/fapi/v1/order", {"symbol": "BTCUSDT", "orderId": placed["orderId"]}
        )
    at = placed["updateTime"]
    assert trade["time"] == at and order["updateTime"] == at
    assert [row["time"] for row in income] == [at]
    assert (fill["T"], fill["o"]["T"], update["T"]) == (at, at, at)
