"""Unmodified ccxt.pro trades against the emulator with keys, redirected only by its URLs.

The emulator's clock runs on the wall clock (ccxt signs with its own time), there is no
background activity, and the seeded book gives market orders something to fill; every call is
the one ccxt 4.5.90 makes against Binance (default options: it loads currencies and margin
pairs with the keys).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from mock_exchange import MockExchange, ServerConfig
from tests.e2e.test_ccxt_e2e import redirect

ccxtpro = pytest.importorskip("ccxt.pro")
ccxt_errors = pytest.importorskip("ccxt.base.errors")

pytestmark = pytest.mark.asyncio(loop_scope="module")

SPOT = "BTC/USDT"
KEY, SECRET = "ccxtE2eKey", "ccxtE2eSecret"
TIMEOUT = 20


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def mx() -> AsyncIterator[MockExchange]:
    """An emulator on the wall clock with a funded ccxt account."""
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
        yield exchange
    finally:
        with contextlib.suppress(Exception):
            await exchange.close()


async def run(coro: Any) -> Any:
    return await asyncio.wait_for(coro, TIMEOUT)


async def test_load_markets_with_keys_reads_currencies_and_margin_pairs(
    ex: Any, mx: MockExchange
) -> None:
    """With keys ccxt loads currencies (capital/config/getall) and margin pairs, signed."""
    lines = [e["text"] for e in mx.act("journal")["entries"] if e["transport"] == "rest"]
    for path in (
        "/sapi/v1/capital/config/getall",
        "/sapi/v1/margin/allPairs",
        "/sapi/v1/margin/isolated/allPairs",
    ):
        assert any(path in line for line in lines), path
    assert ex.currencies["BTC"]["networks"] and ex.markets[SPOT]["margin"] is True
    assert all(
        KEY not in line and "signature=<redacted>" in line for line in lines if "sapi" in line
    )


async def test_balance_and_order_lifecycle_over_rest(ex: Any, mx: MockExchange) -> None:
    """fetch_balance, create/fetch/cancel a limit order, a market order, open/closed/canceled
    lists and my trades, with the commission in the asset received."""
    balance = await run(ex.fetch_balance())
    assert balance["BTC"]["free"] == 2 and balance["USDT"]["total"] == 100000
    order = await run(ex.create_order(SPOT, "limit", "buy", 0.001, 80000))
    assert order["status"] == "open" and order["clientOrderId"].startswith("x-")
    assert (await run(ex.fetch_order(order["id"], SPOT)))["status"] == "open"
    assert [o["id"] for o in await run(ex.fetch_open_orders(SPOT))] == [order["id"]]
    assert (await run(ex.fetch_balance()))["USDT"]["used"] == 80
    assert (await run(ex.cancel_order(order["id"], SPOT)))["status"] == "canceled"
    assert order["id"] in [o["id"] for o in await run(ex.fetch_canceled_orders(SPOT))]
    market = await run(ex.create_order(SPOT, "market", "buy", 0.001))
    assert market["status"] == "closed" and market["filled"] == 0.001
    closed = await run(ex.fetch_closed_orders(SPOT))
    assert market["id"] in [o["id"] for o in closed]
    trades = await run(ex.fetch_my_trades(SPOT))
    assert trades and all(t["fee"]["currency"] == "BTC" for t in trades)
    state = mx.account_state(KEY)["balances"]
    assert state["USDT"]["locked"] == "0"


async def test_every_private_ws_method(ex: Any) -> None:
    """The WS API methods ccxt has for spot: place, query, list, edit (cancelReplace), cancel,
    cancel all, my trades and the account."""
    account = await run(ex.fetch_balance_ws())
    assert "balances" in account["info"]
    placed = await run(ex.create_order_ws(SPOT, "limit", "buy", 0.001, 80000))
    assert placed["status"] == "open"
    assert (await run(ex.fetch_order_ws(placed["id"], SPOT)))["id"] == placed["id"]
    assert placed["id"] in [o["id"] for o in await run(ex.fetch_orders_ws(SPOT))]
    assert placed["id"] in [o["id"] for o in await run(ex.fetch_open_orders_ws(SPOT))]
    closed = await run(ex.fetch_closed_orders_ws(SPOT))
    assert closed and all(o["status"] == "closed" for o in closed)
    edited = await run(ex.edit_order_ws(placed["id"], SPOT, "limit", "buy", 0.002, 80001))
    assert edited["amount"] == 0.002 and edited["price"] == 80001 and edited["id"] != placed["id"]
    canceled = await run(ex.cancel_order_ws(edited["id"], SPOT))
    assert canceled["status"] == "canceled"
    await run(ex.create_order_ws(SPOT, "limit", "buy", 0.001, 80000))
    await run(ex.create_order_ws(SPOT, "limit", "buy", 0.001, 80002))
    everything = await run(ex.cancel_all_orders_ws(SPOT))
    assert len(everything) == 2 and all(o["status"] == "canceled" for o in everything)
    await run(ex.create_order_ws(SPOT, "market", "sell", 0.001))
    assert await run(ex.fetch_my_trades_ws(SPOT))


async def test_watch_balance_orders_and_my_trades(ex: Any) -> None:
    """After the userDataStream.subscribe.signature subscription, a fill reaches
    watch_balance, watch_orders and watch_my_trades."""
    await run(ex.authenticate())
    balance = asyncio.ensure_future(ex.watch_balance())
    orders = asyncio.ensure_future(ex.watch_orders(SPOT))
    mine = asyncio.ensure_future(ex.watch_my_trades(SPOT))
    await asyncio.sleep(0)  # let the watchers register before the events arrive
    placed = await run(ex.create_order(SPOT, "market", "buy", 0.001))
    got = await run(balance)
    assert got["BTC"]["free"] > 0
    seen = await run(orders)
    assert seen[-1]["id"] == placed["id"]
    trades = await run(mine)
    assert trades[-1]["order"] == placed["id"] and trades[-1]["fee"]["currency"] == "BTC"


async def test_borrow_rates(ex: Any) -> None:
    """Cross and isolated borrow rates and their history come from the margin endpoints."""
    cross = await run(ex.fetch_cross_borrow_rate("BTC"))
    assert cross["rate"] == 0.00026125 and cross["period"] == 86_400_000
    isolated = await run(ex.fetch_isolated_borrow_rate(SPOT))
    assert (isolated["baseRate"], isolated["quoteRate"]) == (0.00026125, 0.000475)
    assert SPOT in await run(ex.fetch_isolated_borrow_rates())
    history = await run(ex.fetch_borrow_rate_history("USDT", limit=5))
    assert len(history) == 5 and {h["rate"] for h in history} == {0.000475}


async def test_convert_quote_and_trade(ex: Any, mx: MockExchange) -> None:
    """A convert quote from the book, accepted, moves the spot balance; the trade reads back."""
    before = mx.account_state(KEY)["balances"]["USDT"]["free"]
    quote = await run(ex.fetch_convert_quote("USDT", "BTC", 100))
    assert quote["fromAmount"] == 100 and 0 < quote["toAmount"] < 0.0012
    trade = await run(ex.create_convert_trade(quote["id"], "USDT", "BTC", 100))
    done = await run(ex.fetch_convert_trade(trade["id"]))
    assert done["info"]["orderStatus"] == "SUCCESS" and done["toAmount"] == quote["toAmount"]
    after = mx.account_state(KEY)["balances"]["USDT"]["free"]
    assert float(before) - float(after) == pytest.approx(100)


async def test_typed_errors(ex: Any, mx: MockExchange) -> None:
    """Binance's refusals reach ccxt as InsufficientFunds, InvalidOrder, AuthenticationError
    and InvalidNonce."""
    with pytest.raises(ccxt_errors.InsufficientFunds):
        await run(ex.create_order(SPOT, "limit", "buy", 100, 80000))
    with pytest.raises(ccxt_errors.InvalidOrder, match="immediately match and take"):
        await run(ex.create_order(SPOT, "limit", "buy", 0.001, 95000, {"postOnly": True}))
    options = {"fetchCurrencies": False, "fetchMargins": False, "fetchMarkets": {"types": ["spot"]}}
    wrong = ccxtpro.binance({"apiKey": KEY, "secret": "wrong", "enableRateLimit": False,
                             "options": options})  # fmt: skip
    stranger = ccxtpro.binance({"apiKey": "nobody", "secret": "x", "enableRateLimit": False,
                                "options": dict(options)})  # fmt: skip
    try:
        for client in (wrong, stranger):
            redirect(client, mx)
            with pytest.raises(ccxt_errors.AuthenticationError):
                await run(client.fetch_balance())
        wrong.secret = SECRET
        wrong.options["timeDifference"] = -120_000  # ccxt's clock two minutes ahead
        with pytest.raises(ccxt_errors.InvalidNonce):
            await run(wrong.fetch_balance())
    finally:
        await wrong.close()
        await stranger.close()
