"""Spot user data against the real emulator: the HMAC ``subscribe.signature`` and Ed25519
``session.logon`` paths, every watch checked field by field against the raw events on the
wire, single-flight authentication, ``ws_auth`` reuse, ``newUpdates`` streams, snapshots and
injected fetchers, unwatch and the session helpers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal as D
from typing import Any

import pytest

from client import Binance, UnsubscribeError
from client.user_data import WsAuth
from mock_exchange import MockExchange, ServerConfig
from tests.e2e.accounts import Key, new_key, private_client, register
from tests.e2e.user_data_helpers import Wire, quiet_touch, rest_calls, until_waiting, ws_methods


@pytest.fixture
async def mx() -> AsyncIterator[MockExchange]:
    """A quiet emulator: its BTC/USDT book opens deep with a one-tick spread (issue 9), and
    only the test trades."""
    async with MockExchange(config=ServerConfig(seed=3, rate=0)) as m:
        yield m


async def account(mx: MockExchange, kind: str = "hmac") -> Key:
    key = new_key(kind)
    await register(mx.base_url, key)
    return key


def fill_sells_at(mx: MockExchange, price: D, qty: str) -> None:
    """A buyer of the emulator's own takes ``qty`` at ``price`` (our sells inside the gap
    :func:`quiet_touch` opened are the only asks there)."""
    mx.place_order("BTCUSDT", "BUY", "LIMIT", quantity=D(qty), price=price, time_in_force="GTC")


def far_ask(mx: MockExchange) -> float:
    """A sell price far above the live book's best ask: an order there rests untouched."""
    ask = mx.exchange.engine("spot").book("BTCUSDT").best_ask()
    assert ask is not None
    return float((ask[0] * D("1.02")).quantize(D("0.01")))


def check_order(order: dict[str, Any], raw: dict[str, Any]) -> None:
    """An order parsed from ``executionReport`` matches the raw event field by field."""
    status = {"NEW": "open", "PARTIALLY_FILLED": "open", "FILLED": "closed",
              "CANCELED": "canceled", "EXPIRED": "expired"}[raw["X"]]  # fmt: skip
    assert order["info"] == raw
    assert order["id"] == str(raw["i"]) and order["clientOrderId"] == (raw["C"] or raw["c"])
    assert order["symbol"] == "BTC/USDT" and order["side"] == raw["S"].lower()
    assert order["type"] == raw["o"].lower() and order["timeInForce"] == raw["f"]
    assert order["status"] == status and order["timestamp"] == raw["O"]
    assert order["lastUpdateTimestamp"] == raw["T"]
    assert order["price"] == float(raw["p"]) and order["amount"] == float(raw["q"])
    assert order["filled"] == float(raw["z"]) and order["cost"] == float(raw["Z"])
    assert order["remaining"] == pytest.approx(float(raw["q"]) - float(raw["z"]))


def check_trade(trade: dict[str, Any], raw: dict[str, Any]) -> None:
    """A trade parsed from an ``executionReport`` TRADE matches the raw event."""
    assert trade["info"] == raw and raw["x"] == "TRADE"
    assert trade["id"] == str(raw["t"]) and trade["order"] == str(raw["i"])
    assert trade["timestamp"] == raw["T"] and trade["symbol"] == "BTC/USDT"
    assert trade["side"] == raw["S"].lower() and trade["type"] == raw["o"].lower()
    assert trade["price"] == float(raw["L"]) and trade["amount"] == float(raw["l"])
    assert trade["cost"] == float(raw["Y"])
    assert trade["takerOrMaker"] == ("maker" if raw["m"] else "taker")
    assert trade["fee"] == {"cost": float(raw["n"]), "currency": raw["N"]}


@pytest.mark.parametrize("kind", ["hmac", "rsa", "ed25519"])
async def test_watches_field_by_field(mx: MockExchange, kind: str) -> None:
    """Orders, my trades and the balance from the stream match the raw events and the
    emulator's books; HMAC and RSA subscribe with ``.signature``, Ed25519 logs on first."""
    key = await account(mx, kind)
    async with private_client(mx.base_url, key) as ex:
        wire = Wire(ex)
        auth = await ex.authenticate()
        assert isinstance(auth, WsAuth) and auth.venue == "spot" and auth.subscription_id == 0
        assert key.api_key not in repr(auth) and auth.mechanism == "ws_api_subscribe"
        expected = (
            ["userDataStream.subscribe.signature"]
            if kind != "ed25519"
            else ["session.logon", "userDataStream.subscribe"]
        )
        assert ws_methods(mx) == expected
        price = quiet_touch(mx).at(20)  # our sell is the only ask at or below it
        placed = await ex.create_limit_sell_order(
            "BTC/USDT", 0.02, float(price), {"clientOrderId": "ud-1"}
        )
        (new,) = await ex.watch_orders("BTC/USDT")
        check_order(new, wire.of("executionReport")[-1])
        assert new["id"] == placed["id"] and new["status"] == "open"
        fill_sells_at(mx, price, "0.005")
        (partial,) = await ex.watch_orders("BTC/USDT")
        check_order(partial, wire.of("executionReport")[-1])
        assert partial["filled"] == 0.005 and partial["timestamp"] == new["timestamp"]
        assert partial["trades"] and partial["fee"] == partial["trades"][0]["fee"]
        (trade,) = await ex.watch_my_trades("BTC/USDT")
        check_trade(trade, wire.of("executionReport")[-1])
        balance = await ex.watch_balance()
        held = mx.account_state(key.api_key)["balances"]
        for code in ("BTC", "USDT"):
            assert balance[code]["free"] == float(held[code]["free"])  # type: ignore[literal-required]
            assert balance[code]["used"] == float(held[code]["locked"])  # type: ignore[literal-required]
        pushed = wire.of("outboundAccountPosition")[-1]
        assert balance["info"] == pushed and balance["timestamp"] == pushed["E"]
        await ex.cancel_order(placed["id"], "BTC/USDT")
        (canceled,) = await ex.watch_orders("BTC/USDT")
        check_order(canceled, wire.of("executionReport")[-1])
        assert canceled["status"] == "canceled" and canceled["clientOrderId"] == "ud-1"
        assert [o["status"] for o in await ex.fetch_open_orders("BTC/USDT")] == []


async def test_deposit_balance_update_and_position(mx: MockExchange) -> None:
    """A deposit's ``balanceUpdate`` and ``outboundAccountPosition`` leave the watched
    balance equal to the emulator's wallet."""
    key = await account(mx)
    async with private_client(mx.base_url, key) as ex:
        wire = Wire(ex)
        await ex.authenticate()
        mx.deposit(key.api_key, "ETH", "2.5")
        await wire.until(lambda: bool(wire.of("outboundAccountPosition")))
        balance = await ex.watch_balance()
        held = mx.account_state(key.api_key)["balances"]["ETH"]
        assert balance["total"]["ETH"] == float(held["free"]) + float(held["locked"])
        assert wire.of("balanceUpdate")[0]["d"] in ("2.5", "2.50000000")


async def test_concurrent_authenticate_is_single_flight(mx: MockExchange) -> None:
    """Many callers at once share one subscription (ccxt #29393: never two)."""
    key = await account(mx)
    async with private_client(mx.base_url, key) as ex:
        auths = await asyncio.gather(
            *(ex.authenticate() for _ in range(5)),
            ex.watch_balance({"timeout": 300}),
            return_exceptions=True,
        )
        assert ws_methods(mx).count("userDataStream.subscribe.signature") == 1
        assert len({a.key for a in auths if isinstance(a, WsAuth)}) == 1
        assert await ex.user_data_stream_subscriptions() == [{"subscriptionId": 0}]
        assert len(ex.user_data_sessions()) == 1


async def test_ws_auth_reuse_and_stream_with_new_updates(mx: MockExchange) -> None:
    """``authenticate`` once, pass ``ws_auth`` to ``stream_orders``: each change of each
    order arrives once, in its latest state (the seed's order-event worker)."""
    key = await account(mx)
    async with private_client(mx.base_url, key) as ex:
        auth = await ex.authenticate()
        stream = ex.stream_orders(params={"ws_auth": auth, "newUpdates": True})
        first = await ex.create_limit_sell_order("BTC/USDT", 0.01, far_ask(mx))
        second = await ex.create_limit_sell_order("BTC/USDT", 0.01, far_ask(mx) + 1)
        seen: list[tuple[str | None, str | None]] = []
        async for batch in stream:
            seen += [(o["id"], o["status"]) for o in batch]
            if len(seen) >= 2:
                break
        assert sorted(seen) == sorted([(first["id"], "open"), (second["id"], "open")])
        await ex.cancel_order(first["id"], "BTC/USDT")
        assert [(o["id"], o["status"]) for o in await ex.watch_orders()] == [
            (first["id"], "canceled")
        ]
        assert ws_methods(mx).count("userDataStream.subscribe.signature") == 1


async def test_without_new_updates_the_whole_cache(mx: MockExchange) -> None:
    """``newUpdates: False`` returns every cached order after a change."""
    key = await account(mx)
    async with private_client(mx.base_url, key) as ex:
        await ex.authenticate()
        a = await ex.create_limit_sell_order("BTC/USDT", 0.01, far_ask(mx))
        await ex.watch_orders()
        b = await ex.create_limit_sell_order("BTC/USDT", 0.01, far_ask(mx) + 1)
        rows = await ex.watch_orders(params={"newUpdates": False})
        assert [o["id"] for o in rows] == [a["id"], b["id"]]


async def test_balance_snapshot_and_injected_fetchers(mx: MockExchange) -> None:
    """``fetchBalanceSnapshot``: the first watch returns the REST balance at once; an
    injected ``snapshot_fetcher`` is what loads it when given."""
    key = await account(mx)
    async with private_client(mx.base_url, key) as ex:
        first = await ex.watch_balance({"fetchBalanceSnapshot": True})
        rest = await ex.fetch_balance()
        assert first["total"] == rest["total"] and first["free"] == rest["free"]
        assert len(rest_calls(mx, "/api/v3/account")) == 2
    asked: list[tuple[str, dict[str, Any]]] = []

    async def snapshot(kind: str, params: dict[str, Any]) -> Any:
        asked.append((kind, params))
        return {"info": {}, "timestamp": 7, "free": {"XYZ": 1.0}, "used": {"XYZ": 2.0},
                "total": {"XYZ": 3.0}}  # fmt: skip

    async with private_client(mx.base_url, key) as ex:
        got = await ex.watch_balance({"fetch_balance_snapshot": True, "snapshot_fetcher": snapshot})
        assert asked == [("balance", {"type": "spot"})]
        assert got["XYZ"] == {"free": 1.0, "used": 2.0, "total": 3.0}  # type: ignore[typeddict-item]


async def test_unwatch_ends_the_subscription_cleanly(mx: MockExchange) -> None:
    """Unwatching a topic fails its pending watchers; once nothing is watched the
    subscription ends on the wire (``userDataStream.unsubscribe``); watching again
    subscribes again."""
    key = await account(mx)
    async with private_client(mx.base_url, key) as ex:
        await ex.watch_balance({"fetchBalanceSnapshot": True})
        pending = asyncio.ensure_future(ex.watch_orders("BTC/USDT"))
        await until_waiting(ex, "orders")
        await ex.unwatch_orders("BTC/USDT")
        with pytest.raises(UnsubscribeError):
            await pending
        assert await ex.user_data_stream_subscriptions() == [{"subscriptionId": 0}]
        await ex.unwatch_balance()
        assert ws_methods(mx)[-1] == "userDataStream.unsubscribe"
        assert await ex.user_data_stream_subscriptions() == []
        assert ex.user_data_sessions() == []
        with pytest.raises(UnsubscribeError):
            await ex.unwatch_balance()
        watching = asyncio.ensure_future(ex.watch_orders())
        await until_waiting(ex, "orders")
        placed = await ex.create_limit_sell_order("BTC/USDT", 0.01, far_ask(mx))
        assert [o["id"] for o in await watching] == [placed["id"]]
        assert await ex.user_data_stream_subscriptions() == [{"subscriptionId": 1}]


async def test_session_helpers(mx: MockExchange) -> None:
    """``user_data_stream_status`` (``session.status``), ``user_data_stream_subscriptions``
    and ``unsubscribe_user_data_stream`` (its sessions stop, not resubscribe)."""
    key = await account(mx, "ed25519")
    async with private_client(mx.base_url, key) as ex:
        auth = await ex.authenticate()
        status = await ex.user_data_stream_status()
        assert status["apiKey"] == key.api_key and status["userDataStream"] is True
        assert await ex.user_data_stream_subscriptions() == [{"subscriptionId": 0}]
        waiting = asyncio.ensure_future(ex.watch_orders())
        await until_waiting(ex, "orders")
        assert await ex.unsubscribe_user_data_stream(auth.subscription_id) == {}
        with pytest.raises(UnsubscribeError):
            await waiting
        assert await ex.user_data_stream_subscriptions() == []
        assert (await ex.user_data_stream_status())["userDataStream"] is False
        assert ex.user_data_sessions() == []


async def test_a_terminated_subscription_is_renewed(mx: MockExchange) -> None:
    """An ``eventStreamTerminated`` the client did not ask for (another caller unsubscribed
    on the session) makes it subscribe again: events keep coming, never silence."""
    key = await account(mx)
    async with private_client(mx.base_url, key) as ex:
        wire = Wire(ex)
        await ex.authenticate()
        conn = ex._registry.resolve(ex.connections()[0])
        await conn.request("userDataStream.unsubscribe", None, 5)  # type: ignore[union-attr]
        await wire.until(lambda: ws_methods(mx).count("userDataStream.subscribe.signature") == 2)
        placed = await ex.create_limit_sell_order("BTC/USDT", 0.01, far_ask(mx))
        assert [o["id"] for o in await ex.watch_orders()] == [placed["id"]]
        assert await ex.user_data_stream_subscriptions() == [{"subscriptionId": 1}]


async def test_ws_auth_of_a_per_call_key(mx: MockExchange) -> None:
    """A client without credentials authenticates with per-call keys; the returned
    ``ws_auth`` alone then selects that session (no key passed again)."""
    key = await account(mx)
    per_call = {"api_key": key.config["apiKey"], "api_secret": key.config["secret"]}
    async with Binance(binance_env="local", base_url=mx.base_url) as ex:
        auth = await ex.authenticate(per_call)
        waiting = asyncio.ensure_future(ex.watch_orders(params={"ws_auth": auth}))
        await until_waiting(ex, "orders")
        placed = await ex.create_limit_sell_order("BTC/USDT", 0.01, far_ask(mx), per_call)
        assert [o["id"] for o in await waiting] == [placed["id"]]
        assert len(ex.user_data_sessions()) == 1
