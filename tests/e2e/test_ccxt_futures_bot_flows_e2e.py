"""Unmodified ccxt.pro ``binanceusdm`` run as a futures bot runs it: user-data watches open
while positions are opened and the emulator clock moves. Each test pins a flow that went wrong
against the emulator before it matched Binance. URLs rewritten only.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio

from mock_exchange import MockExchange, ServerConfig
from tests.e2e.test_ccxt_e2e import redirect
from tests.e2e.test_futures_ccxt_e2e import private_connections

ccxtpro = pytest.importorskip("ccxt.pro")

pytestmark = pytest.mark.asyncio(loop_scope="module")

SWAP = "BTC/USDT:USDT"
KEY, SECRET = "ccxtFuturesBotKey", "ccxtFuturesBotSecret"
TIMEOUT = 20
FUNDING_PERIOD_MS = 8 * 3600_000


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def mx() -> AsyncIterator[MockExchange]:
    """An emulator on a running clock with a funded USD-M account and no background flow."""
    async with MockExchange(config=ServerConfig(seed=21, rate=0, warmup_ms=0)) as emulator:
        emulator.add_account(api_key=KEY, secret=SECRET, futures_balances={"USDT": "100000"})
        yield emulator


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def ex(mx: MockExchange) -> AsyncIterator[Any]:
    """ccxt.pro binanceusdm with the account's keys, URLs rewritten."""
    exchange = ccxtpro.binanceusdm(
        {
            "apiKey": KEY,
            "secret": SECRET,
            "enableRateLimit": False,
            "options": {"fetchCurrencies": False, "fetchMargins": False},
        }
    )
    redirect(exchange, mx)
    try:
        await asyncio.wait_for(exchange.load_markets(), TIMEOUT)
        yield exchange
    finally:
        with contextlib.suppress(Exception):
            await exchange.close()


async def run(coro: Any) -> Any:
    return await asyncio.wait_for(coro, TIMEOUT)


async def watch_until(watch: Callable[[], Any], done: Callable[[Any], bool]) -> Any:
    """Keep calling ``watch`` (a ccxt watch_*) until what it returns satisfies ``done``."""

    async def loop() -> Any:
        while True:
            got = await watch()
            if done(got):
                return got

    return await run(loop())


async def stream_connected(ex: Any, opened: asyncio.Queue[Any]) -> None:
    """Wait until ccxt's user-data stream is connected: the one already open, else the next
    one the emulator accepts (``opened`` from :func:`private_connections`)."""
    for url, client in ex.clients.items():
        if "listenKey" in url:
            await run(client.connected)
            return
    await run(opened.get())


async def test_funding_fee_balance_change_is_the_payment(ex: Any, mx: MockExchange) -> None:
    """watch_balance sees the funding settlement as ``ACCOUNT_UPDATE m: FUNDING_FEE`` whose
    ``bc`` is the payment (the income row's amount), as Binance's frames carry it."""
    now = mx.clock.now_ms()
    funding_at = (now // FUNDING_PERIOD_MS + 1) * FUNDING_PERIOD_MS
    mx.clock.advance(funding_at - now - 30_000)  # half a minute before the funding time
    await run(ex.load_time_difference())  # ccxt's own clock sync (the clock jumped ahead)
    opened = private_connections(mx)
    funded = asyncio.ensure_future(
        watch_until(ex.watch_balance, lambda b: b["info"]["a"]["m"] == "FUNDING_FEE")
    )
    await run(opened.get())  # the user-data stream is connected
    await run(ex.create_order(SWAP, "market", "buy", 0.02))
    mx.clock.advance(60_000)
    balance = await funded
    (row,) = balance["info"]["a"]["B"]
    await run(ex.load_time_difference())
    (income,) = await run(ex.fetch_funding_history(SWAP))
    assert row["a"] == "USDT" and float(row["bc"]) == income["amount"] != 0
    assert float(row["wb"]) == balance["USDT"]["total"]


async def test_short_at_its_entry_price_has_unsigned_zero_pnl(ex: Any, mx: MockExchange) -> None:
    """A short opened at the mark price shows unrealised PnL ``0.00000000`` in positionRisk and
    in the stream's ``up``, never ``-0.00000000`` (Binance's decimals have no negative zero)."""
    symbol = "ETH/USDT:USDT"
    opened = private_connections(mx)
    positions = asyncio.ensure_future(
        watch_until(lambda: ex.watch_positions([symbol]), lambda ps: any(ps))
    )
    await asyncio.sleep(0)  # the watcher is registered
    await stream_connected(ex, opened)
    await run(ex.create_order(symbol, "market", "sell", 0.5))
    (streamed,) = [p for p in await positions if p["symbol"] == symbol]
    (held,) = [p for p in await run(ex.fetch_positions([symbol])) if p["contracts"]]
    assert held["side"] == "short" and held["entryPrice"] == held["markPrice"]  # no PnL yet
    assert held["info"]["unRealizedProfit"] == "0.00000000"
    assert streamed["info"]["up"] == "0.00000000"


async def test_edit_below_the_filled_amount_cancels_the_order(ex: Any, mx: MockExchange) -> None:
    """edit_order to an amount at or below what a partly filled order executed cancels it, as
    Binance's modify docs say (not an error), and watch_orders sees it canceled."""
    symbol = "ETH/USDT:USDT"
    ask = mx.exchange.engine("usdm").book("ETHUSDT").levels("SELL")[0]
    placed = await run(ex.create_order(symbol, "limit", "sell", 1, float(ask[0])))
    # a buyer takes the whole best level and 0.4 of ours (we queue behind it)
    mx.place_order("ETHUSDT", "BUY", "LIMIT", venue="usdm", quantity=ask[1] + Decimal("0.4"),
                   price=ask[0], time_in_force="IOC")  # fmt: skip
    opened = private_connections(mx)
    watching = asyncio.ensure_future(
        watch_until(
            lambda: ex.watch_orders(symbol),
            lambda os: any(o["id"] == placed["id"] and o["status"] == "canceled" for o in os),
        )
    )
    await asyncio.sleep(0)  # the watcher is registered
    await stream_connected(ex, opened)
    edited = await run(ex.edit_order(placed["id"], symbol, "limit", "sell", 0.3, float(ask[0])))
    assert edited["status"] == "canceled" and edited["filled"] == 0.4
    await watching
    fetched = await run(ex.fetch_order(placed["id"], symbol))
    assert fetched["status"] == "canceled" and fetched["filled"] == 0.4


async def test_edit_that_would_take_cancels_a_post_only_order(ex: Any, mx: MockExchange) -> None:
    """edit_order moving a post-only (GTX) order to a price that would take cancels it, as
    Binance's modify docs say, instead of answering -5022 and leaving it resting."""
    symbol = "ETH/USDT:USDT"
    book = mx.exchange.engine("usdm").book("ETHUSDT")
    bid, ask = book.levels("BUY")[0][0], book.levels("SELL")[0][0]
    placed = await run(ex.create_order(symbol, "limit", "buy", 0.1, float(bid), {"postOnly": True}))
    assert placed["status"] == "open"
    edited = await run(ex.edit_order(placed["id"], symbol, "limit", "buy", 0.1, float(ask)))
    assert edited["status"] == "canceled" and edited["filled"] == 0
    assert await run(ex.fetch_open_orders(symbol)) == []
