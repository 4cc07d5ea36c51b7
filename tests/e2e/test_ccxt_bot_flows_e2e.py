"""Unmodified ccxt.pro ``binance`` run as a spot bot runs it: user-data watches open for the
whole session while orders are placed, edited and canceled over REST and the WS API, and the
account reads a bot makes around them. Each test pins a flow that went wrong against the
emulator before it matched Binance. One wall-clock emulator (ccxt signs with its own time) and
one client for the module; URLs rewritten only.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio

from mock_exchange import MockExchange, ServerConfig
from tests.e2e.test_ccxt_e2e import redirect

ccxtpro = pytest.importorskip("ccxt.pro")

pytestmark = pytest.mark.asyncio(loop_scope="module")

SPOT = "BTC/USDT"
KEY, SECRET = "ccxtBotKey", "ccxtBotSecret"
TIMEOUT = 20


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def mx() -> AsyncIterator[MockExchange]:
    """An emulator on the wall clock with a funded account and no background flow."""
    async with MockExchange(config=ServerConfig(seed=21, rate=0, warmup_ms=0)) as emulator:
        emulator.add_account(
            {"apiKey": KEY, "secret": SECRET, "balances": {"USDT": "100000", "BTC": "2"}}
        )
        yield emulator


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def ex(mx: MockExchange) -> AsyncIterator[Any]:
    """ccxt.pro binance with the account's keys and default options, URLs rewritten."""
    exchange = ccxtpro.binance({"apiKey": KEY, "secret": SECRET, "enableRateLimit": False})
    redirect(exchange, mx)
    try:
        await asyncio.wait_for(exchange.load_markets(), TIMEOUT)
        await asyncio.wait_for(exchange.authenticate(), TIMEOUT)
        yield exchange
    finally:
        with contextlib.suppress(Exception):
            await exchange.close()


async def run(coro: Any) -> Any:
    return await asyncio.wait_for(coro, TIMEOUT)


async def watch_until(
    watch: Callable[[], Any], done: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """Keep calling ``watch`` (a ccxt watch_*) until an item it returns satisfies ``done``."""

    async def loop() -> dict[str, Any]:
        while True:
            for item in await watch():
                if done(item):
                    return item

    result: dict[str, Any] = await run(loop())
    return result


async def test_market_buy_by_cost_closes_in_watch_orders(ex: Any) -> None:
    """A MARKET buy sized by quote amount (ccxt's ``cost``) whose quantity is rounded to the
    step ends FILLED on the wire too: watch_orders sees it closed, never left open."""
    watching = asyncio.ensure_future(
        watch_until(lambda: ex.watch_orders(SPOT), lambda o: o["status"] != "open")
    )
    await asyncio.sleep(0)  # let the watcher register before the events arrive
    placed = await run(ex.create_order(SPOT, "market", "buy", None, None, {"cost": 50}))
    assert placed["status"] == "closed" and placed["info"]["origQuoteOrderQty"] == "50.00000000"
    seen = await watching
    assert seen["id"] == placed["id"] and seen["status"] == "closed"
    assert seen["filled"] == seen["amount"] == placed["filled"]
