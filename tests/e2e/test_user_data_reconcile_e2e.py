"""Nothing lost across a reconnect, on spot, USD-M and COIN-M against the real emulator.

The emulator closes every connection (``close`` fault) while the client's reconnect waits
(a long backoff, so the gap is certain, not a race). In the gap: an order of ours is filled,
another partly filled, a third canceled by another process of the same account, and a fourth
placed and filled there; one order stays untouched. The next watch reconnects at once, the
session subscribes again and reconciles over REST: each of the four orders is reported
exactly once in its latest state, the untouched one not at all, every missed fill once, the
balance (and on futures the position) as it is now; a live fill afterwards is reported once,
with nothing repeated. The reads go through an injected ``rest_fetcher``, which records them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal as D
from typing import Any

import pytest

from mock_exchange import MockExchange, ServerConfig
from tests.e2e.accounts import new_key, private_client, register
from tests.e2e.user_data_helpers import Wire, quiet_touch


@dataclass(frozen=True)
class Venue:
    """One market type in the scenario: its symbol, order sizes and emulator venue."""

    name: str
    symbol: str
    market_id: str
    engine: str
    size: float  # order A; B is twice that
    partial: str  # what the emulator's buyer takes in the gap: all of A, part of B


VENUES = [
    Venue("spot", "BTC/USDT", "BTCUSDT", "spot", 0.01, "0.015"),
    Venue("future", "BTC/USDT:USDT", "BTCUSDT", "usdm", 0.01, "0.015"),
    Venue("delivery", "BTC/USD:BTC", "BTCUSD_PERP", "coinm", 10, "15"),
]


@pytest.fixture
async def mx() -> AsyncIterator[MockExchange]:
    """A quiet emulator (only the test trades)."""
    async with MockExchange(config=ServerConfig(seed=3, rate=0)) as m:
        yield m


@pytest.mark.parametrize("v", VENUES, ids=[v.name for v in VENUES])
async def test_orders_filled_while_disconnected_are_reported_once(
    mx: MockExchange, v: Venue
) -> None:
    """Drop the user-data connection while orders fill; after the reconnect each order's
    latest state, each missed fill, the balance and the position arrive once."""
    key = new_key("hmac")
    await register(mx.base_url, key, coinmBalances={"BTC": "10"})
    params = {"type": v.name}
    async with (
        private_client(mx.base_url, key, backoff_initial=60_000, backoff_cap=60_000) as ex,
        private_client(mx.base_url, key) as other,
    ):
        wire = Wire(ex)
        reads: list[str] = []

        async def rest_fetcher(method: str, kwargs: dict[str, Any]) -> Any:
            reads.append(method)  # injected: reconciliation reads through it
            return await getattr(ex, method)(**kwargs)

        await ex.authenticate({**params, "rest_fetcher": rest_fetcher})
        if v.name != "spot":
            await ex.watch_positions([v.symbol])  # the snapshot (no position yet)
        small, big = v.size, v.size * 2
        rest_of_b = float(D(v.partial) - D(str(small)))  # what B got in the gap
        # the deep book's touch opened: A and B are the best asks, D just behind them
        touch = quiet_touch(mx, v.market_id, v.engine)  # type: ignore[arg-type]
        price = touch.at(20)
        a = await ex.create_limit_sell_order(v.symbol, small, float(price))
        b = await ex.create_limit_sell_order(v.symbol, big, float(price))
        c = await ex.create_limit_buy_order(v.symbol, small, touch.far_below)
        d = await ex.create_limit_sell_order(v.symbol, small, float(touch.at(25)))
        before: set[str | None] = set()
        while len(before) < 4:
            before |= {o["id"] for o in await ex.watch_orders(v.symbol)}
        if v.name == "spot":  # futures resting orders move no balance (no ACCOUNT_UPDATE)
            await ex.watch_balance(params)

        mx.add_fault("close")
        await wire.until(lambda: wire.saw("close"))
        events_before = len(wire.events)
        # the gap: nobody is subscribed, Binance does not queue
        mx.place_order(v.market_id, "BUY", "LIMIT", venue=v.engine,  # type: ignore[arg-type]
                       quantity=D(v.partial), price=price, time_in_force="GTC")  # fmt: skip
        await other.cancel_order(c["id"], v.symbol)
        e = await other.create_order(v.symbol, "market", "sell", small / 5)
        assert e["status"] == "closed"
        assert len(wire.events) == events_before  # nothing reached the client meanwhile

        reported: list[tuple[str | None, str | None, float | None]] = []
        while len({r[0] for r in reported}) < 4:
            rows = await ex.watch_orders(v.symbol)  # reconnects now: the pause is cut short
            reported += [(o["id"], o["status"], o["filled"]) for o in rows]
        assert sorted(reported) == sorted(
            [
                (a["id"], "closed", small),
                (b["id"], "open", rest_of_b),
                (c["id"], "canceled", 0.0),
                (e["id"], "closed", small / 5),
            ]
        )
        assert d["id"] not in {r[0] for r in reported}
        await wire.until(lambda: wire.saw("reconcile"))
        assert ex.user_data_sessions()[0]["reconciliations"] == 1
        expected_reads = {"fetch_open_orders", "fetch_order", "fetch_my_trades", "fetch_balance"}
        if v.name != "spot":
            expected_reads.add("fetch_positions")
        assert set(reads) == expected_reads
        assert reads.count("fetch_order") == 3  # A and C (no longer open), E (found by its fill)
        trades = await ex.watch_my_trades(v.symbol)
        by_order: dict[str | None, D] = {}
        for t in trades:  # E may take more than one bid level
            by_order[t["order"]] = by_order.get(t["order"], D(0)) + D(str(t["amount"]))
        assert {k: float(q) for k, q in by_order.items()} == {
            a["id"]: small,
            b["id"]: rest_of_b,
            e["id"]: small / 5,
        }
        assert len({t["id"] for t in trades}) == len(trades)
        balance = await ex.watch_balance(params)
        fetched = await ex.fetch_balance(params)
        if v.name == "spot":
            assert balance["total"] == fetched["total"]
        else:
            wallets = {a["asset"]: float(a["walletBalance"]) for a in fetched["info"]["assets"]}
            assert {c: t for c, t in balance["total"].items()} == {
                c: wallets[c] for c in balance["total"]
            }
            (pos,) = await ex.watch_positions([v.symbol])
            held = await ex.fetch_positions([v.symbol])
            assert pos["contracts"] == held[0]["contracts"] and pos["side"] == "short"

        # after the reconnect the stream is live: the rest of B fills, reported once
        mx.place_order(v.market_id, "BUY", "LIMIT", venue=v.engine,  # type: ignore[arg-type]
                       quantity=D(str(big)), price=price, time_in_force="GTC")  # fmt: skip
        (last,) = await ex.watch_orders(v.symbol)
        assert (last["id"], last["status"], last["filled"]) == (b["id"], "closed", big)
        # and nothing else was pending: the next change is the next order, alone
        f = await ex.create_limit_sell_order(v.symbol, small, touch.far_above)
        assert [(o["id"], o["status"]) for o in await ex.watch_orders(v.symbol)] == [
            (f["id"], "open")
        ]


async def test_server_shutdown_hands_over_without_a_gap(mx: MockExchange) -> None:
    """On ``serverShutdown`` the spot subscription and the USD-M stream move to fresh
    sockets before the old ones go: nothing to reconcile, no event twice."""
    key = new_key("hmac")
    await register(mx.base_url, key)
    async with private_client(mx.base_url, key) as ex:
        wire = Wire(ex)
        await ex.authenticate()
        await ex.authenticate({"type": "future"})
        subscribed = sum(1 for e in wire.lifecycle if e.kind == "subscribe")
        mx.add_fault("server_shutdown")
        await wire.until(
            lambda: sum(1 for e in wire.lifecycle if e.kind == "subscribe") == subscribed + 2
        )
        assert all(ex.connection_info(u)["handovers"] == 1 for u in ex.connections())
        spot = await ex.create_limit_sell_order("BTC/USDT", 0.01, 90001)
        fut = await ex.create_limit_buy_order("BTC/USDT:USDT", 0.01, 89000)
        assert [o["id"] for o in await ex.watch_orders("BTC/USDT")] == [spot["id"]]
        assert [o["id"] for o in await ex.watch_orders("BTC/USDT:USDT")] == [fut["id"]]
        assert [s["reconciliations"] for s in ex.user_data_sessions()] == [0, 0]
