"""Unmodified ccxt.pro (spot, ``binanceusdm``, ``binancecoinm``) through account flows beyond the
core order lifecycle: the calls a bot makes around trading (status, fees, batch cancels,
COIN-M positions). Each test pins a flow that failed against the emulator before it matched
Binance. One emulator and one client per market type for the module; URLs rewritten only.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio

from mock_exchange import MockExchange, ServerConfig
from tests.e2e.test_ccxt_e2e import redirect
from tests.e2e.test_futures_ccxt_e2e import private_connections

ccxtpro = pytest.importorskip("ccxt.pro")
ccxt_errors = pytest.importorskip("ccxt.base.errors")

pytestmark = pytest.mark.asyncio(loop_scope="module")

SPOT, SWAP, INVERSE = "BTC/USDT", "BTC/USDT:USDT", "BTC/USD:BTC"
KEY, SECRET = "ccxtFlowsKey", "ccxtFlowsSecret"
TIMEOUT = 20


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def mx() -> AsyncIterator[MockExchange]:
    """An emulator on the wall clock (ccxt signs with its own time), no background flow."""
    async with MockExchange(config=ServerConfig(seed=21, rate=0, warmup_ms=0)) as emulator:
        emulator.add_account(
            {
                "apiKey": KEY,
                "secret": SECRET,
                "balances": {"USDT": "100000", "BTC": "2"},
                "futuresBalances": {"USDT": "100000"},
                "coinmBalances": {"BTC": "2"},
            }
        )
        yield emulator


async def _client(kind: str, mx: MockExchange) -> Any:
    ex = getattr(ccxtpro, kind)({"apiKey": KEY, "secret": SECRET, "enableRateLimit": False})
    redirect(ex, mx)
    await asyncio.wait_for(ex.load_markets(), TIMEOUT)
    return ex


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def clients(mx: MockExchange) -> AsyncIterator[dict[str, Any]]:
    """ccxt.pro ``binance``, ``binanceusdm`` and ``binancecoinm`` with default options."""
    made: dict[str, Any] = {}
    try:
        for kind in ("binance", "binanceusdm", "binancecoinm"):
            made[kind] = await _client(kind, mx)
        yield made
    finally:
        for ex in made.values():
            with contextlib.suppress(Exception):
                await ex.close()


async def run(coro: Any) -> Any:
    return await asyncio.wait_for(coro, TIMEOUT)


def _price(mx: MockExchange, venue: str, symbol: str, factor: float) -> float:
    return round(float(mx.exchange.engine(venue).last_price(symbol)) * factor, 1)


@pytest.mark.parametrize(("kind", "symbol", "venue", "wire"), [
    ("binanceusdm", SWAP, "usdm", "BTCUSDT"),
    ("binancecoinm", INVERSE, "coinm", "BTCUSD_PERP"),
])  # fmt: skip
async def test_cancel_orders_by_ids_and_client_ids(
    clients: dict[str, Any], mx: MockExchange, kind: str, symbol: str, venue: str, wire: str
) -> None:
    """cancel_orders sends ``orderidlist`` / ``origclientorderidlist`` in lower case (as
    Binance accepts them) to DELETE batchOrders; both lists cancel the orders they name."""
    ex = clients[kind]
    amount = 0.01 if venue == "usdm" else 1
    price = _price(mx, venue, wire, 0.97)
    first = await run(ex.create_order(symbol, "limit", "buy", amount, price))
    tagged = {"clientOrderId": f"{kind}-b"}
    second = await run(ex.create_order(symbol, "limit", "buy", amount, price, tagged))
    by_id = await run(ex.cancel_orders([first["id"]], symbol))
    assert [(o["id"], o["status"]) for o in by_id] == [(first["id"], "canceled")]
    by_client_id = await run(ex.cancel_orders([], symbol, {"clientOrderIds": [f"{kind}-b"]}))
    assert [(o["id"], o["status"]) for o in by_client_id] == [(second["id"], "canceled")]
    assert await run(ex.fetch_open_orders(symbol)) == []


async def test_coinm_positions_leverage_and_tiers(clients: dict[str, Any]) -> None:
    """binancecoinm reads GET /dapi/v2/leverageBracket (per symbol, in contracts) before
    fetch_positions, fetch_leverage and fetch_leverage_tiers; all three answer."""
    ex = clients["binancecoinm"]
    await run(ex.set_leverage(10, INVERSE))
    await run(ex.create_order(INVERSE, "market", "buy", 2))
    (position,) = [p for p in await run(ex.fetch_positions([INVERSE])) if p["contracts"]]
    assert (position["side"], position["contracts"], position["contractSize"]) == ("long", 2, 100)
    assert position["leverage"] == 10 and position["maintenanceMarginPercentage"] > 0
    leverage = await run(ex.fetch_leverage(INVERSE))
    assert (leverage["longLeverage"], leverage["marginMode"]) == (10, "cross")
    tiers = (await run(ex.fetch_leverage_tiers([INVERSE])))[INVERSE]
    assert tiers[0]["minNotional"] == 0 and tiers[0]["maxLeverage"] == 125
    assert all(a["maxNotional"] == b["minNotional"] for a, b in itertools.pairwise(tiers))
    await run(ex.create_order(INVERSE, "market", "sell", 2, None, {"reduceOnly": True}))


async def test_status_and_spot_trading_fees(clients: dict[str, Any]) -> None:
    """fetch_status reads /sapi/v1/system/status; fetch_trading_fee(s) read
    /sapi/v1/asset/tradeFee and report the rates the account pays."""
    ex = clients["binance"]
    assert (await run(ex.fetch_status()))["status"] == "ok"
    fee = await run(ex.fetch_trading_fee(SPOT))
    assert (fee["symbol"], fee["maker"], fee["taker"]) == (SPOT, 0.001, 0.001)
    fees = await run(ex.fetch_trading_fees())
    assert SPOT in fees and all(f["taker"] == 0.001 for f in fees.values())


async def test_transfers_between_wallets_and_wallet_history(
    clients: dict[str, Any], mx: MockExchange
) -> None:
    """transfer moves funds spot <-> USD-M <-> COIN-M (POST /sapi/v1/asset/transfer): both
    wallets change, each side's user data reports it, fetch_transfers lists it; a transfer
    beyond the balance is Binance's -5013; fetch_deposits lists a control-API deposit and
    fetch_withdrawals is empty."""
    spot, usdm = clients["binance"], clients["binanceusdm"]
    opened = private_connections(mx)
    await run(spot.authenticate())  # the WS API user-data subscription is active
    spot_balance = asyncio.ensure_future(spot.watch_balance())
    usdm_balance = asyncio.ensure_future(usdm.watch_balance())
    await run(opened.get())  # the USD-M listen-key stream is connected
    before = mx.account_state(KEY)
    sent = await run(spot.transfer("USDT", 250, "spot", "swap"))
    event = (await run(spot_balance))["info"]
    assert (event["e"], event["a"], Decimal(event["d"])) == ("balanceUpdate", "USDT", -250)
    wallet = Decimal(before["futuresBalances"]["USDT"]["free"]) + 250
    assert (await run(usdm_balance))["USDT"]["total"] == float(wallet)
    back = await run(usdm.transfer("BTC", 0.5, "inverse", "spot"))
    assert back["id"] != sent["id"]
    after = mx.account_state(KEY)

    def moved(wallet: str, asset: str) -> Decimal:
        return Decimal(after[wallet][asset]["free"]) - Decimal(before[wallet][asset]["free"])

    assert (moved("balances", "USDT"), moved("futuresBalances", "USDT")) == (-250, 250)
    half = Decimal("0.5")
    assert (moved("balances", "BTC"), moved("coinmBalances", "BTC")) == (half, -half)
    with pytest.raises(ccxt_errors.ExchangeError, match="-5013"):
        await run(spot.transfer("USDT", 10**9, "spot", "swap"))
    listed = await run(spot.fetch_transfers("USDT", None, None, {"type": "MAIN_UMFUTURE"}))
    assert [(t["fromAccount"], t["toAccount"], t["amount"]) for t in listed] == [
        ("spot", "linear", 250)
    ]
    mx.deposit(KEY, "ETH", "3")
    (deposit,) = await run(spot.fetch_deposits("ETH"))
    assert (deposit["amount"], deposit["status"], deposit["type"]) == (3, "ok", "deposit")
    assert await run(spot.fetch_withdrawals()) == []


async def test_balance_of_the_wallets_the_emulator_keeps_empty(clients: dict[str, Any]) -> None:
    """fetch_balance of the isolated-margin and funding wallets and fetch_borrow_interest read
    what Binance answers for an account that never used them: nothing, not an error."""
    ex = clients["binance"]
    isolated = await run(ex.fetch_balance({"type": "margin", "marginMode": "isolated"}))
    assert isolated["info"]["assets"] == [] and isolated["total"] == {}
    funding = await run(ex.fetch_balance({"type": "funding"}))
    assert funding["info"] == [] and funding["total"] == {}
    assert await run(ex.fetch_borrow_interest()) == []


async def test_concurrent_clients_on_one_account_keep_it_consistent(mx: MockExchange) -> None:
    """Six ccxt clients placing, filling and canceling spot orders on one account at once (REST
    and the WS API) get only Binance answers, and the account stays consistent: what is
    locked is exactly what its open orders hold."""
    spot_only = {"types": ["spot"]}
    options = {"fetchCurrencies": False, "fetchMargins": False, "fetchMarkets": spot_only}
    crowd = [
        ccxtpro.binance(
            {"apiKey": KEY, "secret": SECRET, "enableRateLimit": False, "options": dict(options)}
        )
        for _ in range(6)
    ]
    last = float(mx.exchange.engine("spot").last_price("BTCUSDT"))
    refusals: list[str] = []

    async def trade(ex: Any, n: int) -> None:
        redirect(ex, mx)
        await ex.load_markets()
        for i in range(8):
            try:
                if i % 4 == 3:
                    mine = await ex.fetch_open_orders(SPOT)
                    if mine:
                        await ex.cancel_order(mine[(n + i) % len(mine)]["id"], SPOT)
                elif i % 4 == 2:
                    await ex.create_order(SPOT, "market", "buy" if n % 2 else "sell", 0.001)
                else:
                    place = ex.create_order_ws if i % 2 else ex.create_order
                    side, factor = ("buy", 0.99) if (n + i) % 2 else ("sell", 1.01)
                    await place(SPOT, "limit", side, 0.001, round(last * factor, 2))
            except ccxt_errors.OrderNotFound:
                refusals.append("-2011")  # two clients canceled the same order: Binance's answer

    try:
        await run(asyncio.gather(*(trade(ex, n) for n, ex in enumerate(crowd))))
    finally:
        for ex in crowd:
            with contextlib.suppress(Exception):
                await ex.close()
    state = mx.account_state(KEY)
    open_orders = [o for o in state["openOrders"] if o["symbol"] == "BTCUSDT"]
    want_usdt = sum(
        (Decimal(o["origQty"]) - Decimal(o["executedQty"])) * Decimal(o["price"])
        for o in open_orders
        if o["side"] == "BUY"
    )
    want_btc = sum(
        Decimal(o["origQty"]) - Decimal(o["executedQty"])
        for o in open_orders
        if o["side"] == "SELL"
    )
    assert Decimal(state["balances"]["USDT"]["locked"]) == want_usdt
    assert Decimal(state["balances"]["BTC"]["locked"]) == want_btc
    assert len(refusals) <= 6 * 2
