"""Unmodified ccxt.pro ``binanceusdm`` trading USD-M futures on the emulator (URLs rewritten only).

Covers REST (balance, orders, batch orders, edit, cancel, positions, liquidations), the
listen-key user-data stream (orders, balance, positions, trades, liquidations), the ws-fapi
order and position methods, and the listen key kept alive by ccxt's own timer across 30
virtual minutes (ccxt's refresh period is an option; the emulator's clock is pumped).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio

from mock_exchange import MockExchange, ServerConfig
from mock_exchange.transports.rules import FUTURES_RULES
from tests.e2e.test_ccxt_e2e import redirect

ccxtpro = pytest.importorskip("ccxt.pro")

pytestmark = pytest.mark.asyncio(loop_scope="module")

SWAP = "BTC/USDT:USDT"
TIMEOUT = 20
KEY, SECRET = "ccxtFuturesKey", "ccxtFuturesSecret"


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def mx() -> AsyncIterator[MockExchange]:
    """A quiet emulator (no background flow) on a running clock, so signed timestamps match.

    Keepalive pings are off: one test jumps the clock by tens of minutes at once.
    """
    config = ServerConfig(seed=21, rate=0, warmup_ms=0, futures_rules=FUTURES_RULES.relaxed())
    async with MockExchange(config=config) as emulator:
        emulator.add_account(api_key=KEY, secret=SECRET, futures_balances={"USDT": "100000"})
        yield emulator


@pytest_asyncio.fixture(loop_scope="module")
async def ex(mx: MockExchange) -> AsyncIterator[Any]:
    """A ccxt.pro binanceusdm with the account's keys, redirected by the URL rule."""
    client = ccxtpro.binanceusdm(
        {
            "enableRateLimit": False,
            "apiKey": KEY,
            "secret": SECRET,
            "options": {"fetchCurrencies": False, "fetchMargins": False},
        }
    )
    redirect(client, mx)
    try:
        yield client
    finally:
        await client.close()


def private_connections(mx: MockExchange) -> asyncio.Queue[Any]:
    """Return a queue that receives each user-data (listen-key) stream connection opened."""
    opened: asyncio.Queue[Any] = asyncio.Queue()
    add = mx.registry.add

    def spy(conn: Any) -> None:
        add(conn)
        streams = getattr(getattr(conn, "session", None), "streams", {})
        if any(key.channel == "listenKey" for key in streams.values()):
            opened.put_nowait(conn)

    mx.registry.add = spy  # type: ignore[method-assign]
    return opened


async def test_rest_orders_positions_and_balance(ex: Any, mx: MockExchange) -> None:
    """fetch_balance, create_order, create_orders, edit_order, cancel_order, fetch_positions."""
    before = await ex.fetch_balance()
    assert before["USDT"]["total"] == 100000
    filled = await ex.create_order(SWAP, "market", "buy", 0.01)
    assert filled["status"] == "closed" and filled["filled"] == 0.01
    positions = await ex.fetch_positions([SWAP])
    (pos,) = [p for p in positions if p["contracts"]]
    assert pos["side"] == "long" and pos["contracts"] == 0.01 and pos["entryPrice"] > 0
    batch = await ex.create_orders(
        [
            {"symbol": SWAP, "type": "limit", "side": "buy", "amount": 0.01, "price": 88000},
            {"symbol": SWAP, "type": "limit", "side": "sell", "amount": 0.01, "price": 92000},
        ]
    )
    assert [o["status"] for o in batch] == ["open", "open"]
    edited = await ex.edit_order(batch[0]["id"], SWAP, "limit", "buy", 0.02, 88100)
    assert edited["id"] == batch[0]["id"] and edited["amount"] == 0.02 and edited["price"] == 88100
    for order in batch:
        canceled = await ex.cancel_order(order["id"], SWAP)
        assert canceled["status"] == "canceled"
    after = await ex.fetch_balance()
    assert after["USDT"]["total"] < 100000  # the taker commission


async def test_user_data_stream_and_my_liquidations(ex: Any, mx: MockExchange) -> None:
    """watch_orders/watch_my_trades/watch_balance/watch_positions/watch_my_liquidations see the
    account's events; fetch_my_liquidations lists the forced liquidation."""
    opened = private_connections(mx)
    await ex.watch_positions([SWAP])  # the first call returns the REST snapshot
    orders = asyncio.ensure_future(ex.watch_orders(SWAP))
    trades = asyncio.ensure_future(ex.watch_my_trades(SWAP))
    balance = asyncio.ensure_future(ex.watch_balance())
    positions = asyncio.ensure_future(ex.watch_positions([SWAP]))
    await asyncio.wait_for(opened.get(), TIMEOUT)  # the private stream is connected
    await ex.create_order(SWAP, "market", "sell", 0.03)
    got_orders = await asyncio.wait_for(orders, TIMEOUT)
    assert got_orders[-1]["symbol"] == SWAP
    got_trades = await asyncio.wait_for(trades, TIMEOUT)
    assert got_trades[0]["side"] == "sell" and got_trades[0]["fee"]["currency"] == "USDT"
    got_balance = await asyncio.wait_for(balance, TIMEOUT)
    assert got_balance["USDT"]["total"] > 0
    got_positions = await asyncio.wait_for(positions, TIMEOUT)
    assert got_positions[0]["symbol"] == SWAP and got_positions[0]["side"] == "short"
    liquidations = asyncio.ensure_future(ex.watch_my_liquidations(SWAP))
    await asyncio.sleep(0)  # ccxt registers the watcher on the open connection
    mx.liquidate_account(KEY, "BTCUSDT")
    # Binance sends the liquidation order's NEW first (nothing filled), then its execution;
    # ccxt reports both as liquidations
    (first,) = await asyncio.wait_for(liquidations, TIMEOUT)
    assert first["info"]["X"] == "NEW" and first["contracts"] == 0
    filled = [x for x in ex.myLiquidations if x["contracts"]]
    if not filled:  # not read yet: no await since the check, so this watch sees it
        filled = await asyncio.wait_for(ex.watch_my_liquidations(SWAP), TIMEOUT)
    (liq,) = filled
    held = got_positions[0]["contracts"]  # 0.02 after the previous test's long, else 0.03
    assert liq["symbol"] == SWAP and liq["side"] == "buy" and liq["contracts"] == held
    history = await ex.fetch_my_liquidations(SWAP)
    assert history and history[-1]["symbol"] == SWAP


async def test_ws_api_orders_and_positions(ex: Any, mx: MockExchange) -> None:
    """create_order_ws, edit_order_ws, cancel_order_ws, fetch_positions_ws, fetch_position_ws."""
    placed = await ex.create_order_ws(SWAP, "limit", "buy", 0.01, 88000)
    assert placed["status"] == "open" and placed["price"] == 88000
    edited = await ex.edit_order_ws(placed["id"], SWAP, "limit", "buy", 0.02, 88200)
    assert edited["amount"] == 0.02 and edited["price"] == 88200
    canceled = await ex.cancel_order_ws(placed["id"], SWAP)
    assert canceled["status"] == "canceled"
    await ex.create_order_ws(SWAP, "market", "buy", 0.01)
    positions = await ex.fetch_positions_ws([SWAP])
    assert positions[0]["symbol"] == SWAP and positions[0]["contracts"] == 0.01
    position = await ex.fetch_position_ws(SWAP)  # ccxt 4.5.90 returns a list here
    (one,) = position if isinstance(position, list) else [position]
    assert one["side"] == "long" and one["symbol"] == SWAP


async def test_conditional_orders_go_through_the_algo_api(ex: Any, mx: MockExchange) -> None:
    """ccxt sends a trigger order to /fapi/v1/algoOrder; it is listed as an open trigger order,
    cancels, and a second one triggers when the price reaches it (watch_orders sees it)."""
    last = float(mx.exchange.engine("usdm").last_price("BTCUSDT"))
    stop = await ex.create_order(SWAP, "market", "buy", 0.01, None, {"triggerPrice": last + 900})
    assert stop["status"] == "open" and stop["triggerPrice"] == last + 900
    listed = await ex.fetch_open_orders(SWAP, None, None, {"trigger": True})
    assert [o["id"] for o in listed] == [stop["id"]]
    canceled = await ex.cancel_order(stop["id"], SWAP, {"trigger": True})
    assert canceled["id"] == stop["id"]
    opened = private_connections(mx)
    orders = asyncio.ensure_future(ex.watch_orders(SWAP))
    await asyncio.wait_for(opened.get(), TIMEOUT)  # the private stream is connected
    trigger = await ex.create_order(SWAP, "market", "sell", 0.01, None, {"triggerPrice": last - 5})
    first = await asyncio.wait_for(orders, TIMEOUT)
    assert first[-1]["id"] == trigger["id"]
    # the default book is deep (issue 9): sell every bid down to below the trigger price
    bids = mx.exchange.engine("usdm").book("BTCUSDT").levels("BUY")
    through = sum(q for p, q in bids if p >= Decimal(str(last - 6)))
    mx.place_order("BTCUSDT", "SELL", "MARKET", venue="usdm", quantity=through + Decimal("0.001"))
    while True:
        seen = await asyncio.wait_for(ex.watch_orders(SWAP), TIMEOUT)
        if any(o["id"] == trigger["id"] and o["status"] == "closed" for o in seen):
            break


async def test_listen_key_kept_alive_across_30_virtual_minutes(mx: MockExchange) -> None:
    """ccxt's own keep-alive timer (its refresh period shortened to 1 s of wall time) PUTs the
    listen key 25 virtual minutes in; 40 more virtual minutes later (65 after the key was
    made, past its first hour) the stream still delivers.

    ccxt 4.5.90 (Python) sends that first PUT and never re-arms its timer (it looks for
    subscriptions with ``safe_dict`` on Client objects), so the test stays within one
    extension; the emulator expires the key an hour after the last PUT, as Binance does.
    """
    client = ccxtpro.binanceusdm(
        {
            "enableRateLimit": False,
            "apiKey": KEY,
            "secret": SECRET,
            "options": {
                "fetchCurrencies": False,
                "fetchMargins": False,
                "listenKeyRefreshRate": 1000,
            },
        }
    )
    redirect(client, mx)

    seen: dict[str, asyncio.Event] = {"POST": asyncio.Event(), "PUT": asyncio.Event()}
    record = mx.control.record

    def spy(*args: Any, **kwargs: Any) -> Any:
        text = str(args[-1]) if args else ""
        for verb, event in seen.items():
            if text.startswith(f"{verb} /fapi.binance.com/fapi/v1/listenKey"):
                event.set()
        return record(*args, **kwargs)

    mx.control.record = spy  # type: ignore[method-assign]
    try:
        first = asyncio.ensure_future(client.watch_orders(SWAP))
        await asyncio.wait_for(seen["POST"].wait(), TIMEOUT)
        mx.clock.advance(25 * 60_000)
        await asyncio.wait_for(seen["PUT"].wait(), TIMEOUT)
        mx.clock.advance(40 * 60_000)
        await client.load_time_difference()  # ccxt's own clock sync (the clock jumped ahead)
        await client.create_order(SWAP, "limit", "buy", 0.01, 88000)
        orders = await asyncio.wait_for(first, TIMEOUT)
        assert orders[-1]["status"] == "open"
    finally:
        mx.control.record = record  # type: ignore[method-assign]
        with contextlib.suppress(Exception):
            await client.close()
