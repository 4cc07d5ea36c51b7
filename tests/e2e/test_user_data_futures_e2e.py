"""USD-M and COIN-M user data against the real emulator: listen keys (``POST``, the
``/private/ws?listenKey=`` and ``/ws/<key>`` streams), every watch checked field by field
against the raw events, the keep-alive and the key's expiry on the emulator's virtual
clock, a failed keep-alive, the account's liquidations, unwatch, and the key kept secret."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from client import Binance, ConnectionClosed, RateLimitExceeded, UnsubscribeError
from client.user_data import WsAuth
from mock_exchange import MockExchange, ServerConfig
from tests.e2e.accounts import Key, new_key, private_client, register
from tests.e2e.user_data_helpers import Wire, until_waiting


@dataclass(frozen=True)
class Fut:
    """One futures venue: symbol, sizes, where its listen key lives."""

    name: str
    symbol: str
    market_id: str
    engine: str
    qty: float
    path: str
    label: str
    asset: str


VENUES = [
    Fut("future", "BTC/USDT:USDT", "BTCUSDT", "usdm", 0.01, "/fapi/v1/listenKey",
        "fstream.binance.com/private/ws?listenKey=***", "USDT"),
    Fut("delivery", "BTC/USD:BTC", "BTCUSD_PERP", "coinm", 10, "/dapi/v1/listenKey",
        "dstream.binance.com/ws/***", "BTC"),
]  # fmt: skip
IDS = [v.name for v in VENUES]
MINUTE = 60_000


@pytest.fixture
async def mx() -> AsyncIterator[MockExchange]:
    """A quiet emulator on a frozen clock (the tests move it)."""
    async with MockExchange(config=ServerConfig(seed=3, rate=0, frozen_clock=True)) as m:
        yield m


async def account(mx: MockExchange) -> Key:
    key = new_key("hmac")
    await register(mx.base_url, key, coinmBalances={"BTC": "10"})
    return key


STATUS = {"NEW": "open", "PARTIALLY_FILLED": "open", "FILLED": "closed", "CANCELED": "canceled",
          "EXPIRED": "expired"}  # fmt: skip


def check_order(order: dict[str, Any], o: dict[str, Any]) -> None:
    """An order parsed from ``ORDER_TRADE_UPDATE`` matches its ``o`` field by field."""
    assert order["info"] == o and order["id"] == str(o["i"])
    assert order["clientOrderId"] == o["c"] and order["side"] == o["S"].lower()
    assert order["status"] == STATUS[o["X"]] and order["type"] == o["o"].lower()
    assert order["amount"] == float(o["q"]) and order["filled"] == float(o["z"])
    assert order["average"] == (float(o["ap"]) or None) and order["reduceOnly"] == o["R"]
    assert order["lastUpdateTimestamp"] == o["T"] and order["timeInForce"] == o["f"]


def check_trade(trade: dict[str, Any], event: dict[str, Any]) -> None:
    """A trade parsed from an ``ORDER_TRADE_UPDATE`` TRADE matches the event."""
    o = event["o"]
    assert trade["info"] == event and trade["id"] == str(o["t"]) and trade["order"] == str(o["i"])
    assert trade["price"] == float(o["L"]) and trade["amount"] == float(o["l"])
    assert trade["timestamp"] == o["T"] and trade["side"] == o["S"].lower()
    assert trade["takerOrMaker"] == ("maker" if o["m"] else "taker")
    assert trade["fee"] == {"cost": float(o["n"]), "currency": o["N"]}


@pytest.mark.parametrize("v", VENUES, ids=IDS)
async def test_watches_field_by_field(mx: MockExchange, v: Fut) -> None:
    """A listen key, its stream, and orders, trades, positions and the wallet balance that
    match the raw ``ORDER_TRADE_UPDATE`` / ``ACCOUNT_UPDATE`` events."""
    key = await account(mx)
    async with private_client(mx.base_url, key) as ex:
        wire = Wire(ex)
        auth = await ex.authenticate({"type": v.name})
        assert isinstance(auth, WsAuth) and auth.mechanism == "listen_key"
        assert auth.url.endswith(v.label) and ex.connections() == [auth.url]
        assert wire.sent("POST", v.path) == 1
        assert await ex.watch_positions([v.symbol]) == []  # the REST snapshot: flat
        placed = await ex.create_order(v.symbol, "market", "buy", v.qty)
        order: dict[str, Any] = {}
        while order.get("status") != "closed":
            (order,) = await ex.watch_orders(v.symbol)  # type: ignore[assignment]
        mine = [e for e in wire.of("ORDER_TRADE_UPDATE") if e["o"]["i"] == int(placed["id"])]
        check_order(order, mine[-1]["o"])
        fills = [e for e in mine if e["o"]["x"] == "TRADE"]
        trades = await ex.watch_my_trades(v.symbol)
        assert len(trades) == len(fills)
        for trade, event in zip(trades, fills, strict=True):
            check_trade(trade, event)
        (pos,) = await ex.watch_positions([v.symbol])
        update = wire.of("ACCOUNT_UPDATE")[-1]
        row = update["a"]["P"][0]
        assert pos["info"] == row and pos["symbol"] == v.symbol and pos["side"] == "long"
        assert pos["contracts"] == float(row["pa"]) and pos["entryPrice"] == float(row["ep"])
        assert pos["unrealizedPnl"] == float(row["up"]) and pos["marginMode"] == "cross"
        balance = await ex.watch_balance({"type": v.name})
        wb = float(update["a"]["B"][0]["wb"])
        assert balance["total"] == {v.asset: wb} and balance["free"] == {v.asset: None}
        assert balance["info"] == update


@pytest.mark.parametrize("v", VENUES, ids=IDS)
async def test_my_liquidations(mx: MockExchange, v: Fut) -> None:
    """The engine liquidating our position: a margin call reaches the positions, one
    liquidation reaches the watchers of its symbol and of all symbols, as ``forceOrders``
    then lists it."""
    key = await account(mx)
    async with private_client(mx.base_url, key) as ex:
        wire = Wire(ex)
        await ex.authenticate({"type": v.name})
        await ex.create_order(v.symbol, "market", "buy", v.qty)
        await ex.watch_positions([v.symbol], params={"fetchPositionsSnapshot": False})
        mx.liquidate_account(key.api_key, v.market_id, venue=v.engine)  # type: ignore[arg-type]
        (liq,) = await ex.watch_my_liquidations_for_symbols([v.symbol])
        (same,) = await ex.watch_my_liquidations(params={"type": v.name})  # all symbols
        assert liq == same
        final = [e["o"] for e in wire.of("ORDER_TRADE_UPDATE") if e["o"]["o"] == "LIQUIDATION"][-1]
        assert liq["info"] == final and final["X"] == "FILLED"
        assert liq["contracts"] == float(final["z"]) and liq["price"] == float(final["ap"])
        assert liq["side"] == "sell" and liq["timestamp"] == final["T"]
        (listed,) = await ex.fetch_my_liquidations(v.symbol)
        assert (listed["contracts"], listed["price"]) == (liq["contracts"], liq["price"])
        assert wire.of("MARGIN_CALL")
        positions = await ex.watch_positions([v.symbol])
        assert positions[-1]["contracts"] == 0.0


@pytest.mark.parametrize("v", VENUES, ids=IDS)
async def test_keep_alive_holds_the_key_on_the_virtual_clock(mx: MockExchange, v: Fut) -> None:
    """``PUT`` every ``listen_key_refresh``: after 118 minutes of emulator time (the key
    lives 60 without one) the stream still delivers, on the first key."""
    key = await account(mx)
    async with private_client(mx.base_url, key, listen_key_refresh=50) as ex:
        wire = Wire(ex)
        auth = await ex.authenticate({"type": v.name})
        await wire.until(lambda: wire.sent("PUT", v.path) >= 1)
        mx.clock.advance(59 * MINUTE)
        done = wire.sent("PUT", v.path)
        await wire.until(lambda: wire.sent("PUT", v.path) > done)
        mx.clock.advance(59 * MINUTE)
        placed = await ex.create_limit_buy_order(v.symbol, v.qty, 89000)
        (order,) = await ex.watch_orders(v.symbol)
        assert order["id"] == placed["id"]
        assert ex.connection_info(auth.url)["listen_keys_created"] == 1
        assert not wire.of("listenKeyExpired")


@pytest.mark.parametrize("v", VENUES, ids=IDS)
async def test_expired_key_is_replaced_not_silent(mx: MockExchange, v: Fut) -> None:
    """Without keep-alive the key expires at 60 minutes: ``listenKeyExpired`` leads to a
    fresh key, a new stream and a reconciliation, and events flow again."""
    key = await account(mx)
    async with private_client(mx.base_url, key, listen_key_refresh=0) as ex:
        wire = Wire(ex)
        auth = await ex.authenticate({"type": v.name})
        mx.clock.advance(61 * MINUTE)
        await wire.until(lambda: wire.saw("reconnect", "reconnect #1"))
        assert wire.of("listenKeyExpired") and wire.sent("POST", v.path) == 2
        assert ex.connection_info(auth.url)["listen_keys_created"] == 2
        placed = await ex.create_limit_buy_order(v.symbol, v.qty, 89000)
        (order,) = await ex.watch_orders(v.symbol)
        assert order["id"] == placed["id"]
        await wire.until(lambda: wire.saw("reconcile"))
        assert ex.user_data_sessions()[0]["reconciliations"] == 1


@pytest.mark.parametrize("v", VENUES, ids=IDS)
async def test_failed_keep_alive_gets_a_fresh_key(mx: MockExchange, v: Fut) -> None:
    """A keep-alive Binance refuses (here a 429) is reported and the stream is redialled
    with a key valid now; events keep coming."""
    key = await account(mx)
    async with private_client(mx.base_url, key, listen_key_refresh=0) as ex:
        wire = Wire(ex)
        auth = await ex.authenticate({"type": v.name})
        mx.add_fault("force_429", count=1)
        with pytest.raises(RateLimitExceeded):
            await ex.keep_alive_listen_key({"type": v.name})
        await wire.until(lambda: wire.saw("reconnect", "reconnect #1"))
        assert ex.connection_info(auth.url)["listen_keys_created"] == 2
        assert wire.saw("error", "keep-alive failed")
        placed = await ex.create_limit_buy_order(v.symbol, v.qty, 89000)
        (order,) = await ex.watch_orders(v.symbol)
        assert order["id"] == placed["id"]
        assert await ex.keep_alive_listen_key({"type": v.name}) == auth


@pytest.mark.parametrize("v", VENUES, ids=IDS)
async def test_unwatch_closes_the_stream_and_the_key(mx: MockExchange, v: Fut) -> None:
    """The last unwatch fails pending watchers, closes the stream and deletes the key."""
    key = await account(mx)
    async with private_client(mx.base_url, key) as ex:
        wire = Wire(ex)
        pending = asyncio.ensure_future(ex.watch_orders(v.symbol))
        await until_waiting(ex, "orders")
        await ex.unwatch_orders(v.symbol)
        with pytest.raises(UnsubscribeError):
            await pending
        assert ex.connections() == [] and wire.sent("DELETE", v.path) == 1
        assert ex.user_data_sessions() == []


async def test_the_listen_key_is_never_shown(mx: MockExchange) -> None:
    """The key appears in no URL, repr, connection info, session info, telemetry text or
    close reason."""
    key = await account(mx)
    async with private_client(mx.base_url, key) as ex:
        seen: list[str] = []
        ex.add_listener(lambda e: seen.append(f"{e.url} {e.text} {e.detail}"))
        auth = await ex.authenticate({"type": "future"})
        listen_key = _listen_key(ex)
        mx.add_fault("close")
        await ex.watch_balance({"type": "future", "fetchBalanceSnapshot": True})
        shown = " ".join(
            [repr(ex), repr(auth), str(ex.connections()), str(ex.connection_info(auth.url)),
             str(ex.user_data_sessions()), *seen]
        )  # fmt: skip
        assert len(listen_key) >= 60 and listen_key not in shown


def _listen_key(ex: Binance) -> str:
    """The live key (read from the client's internals: it is shown nowhere else)."""
    (session,) = ex._user_data.values()
    key = session.conn.key  # type: ignore[attr-defined]
    assert isinstance(key, str)
    return key


async def test_positions_snapshot_failure_is_raised_then_retried(mx: MockExchange) -> None:
    """A positions snapshot that fails reaches the caller (ccxt's first ``watch_positions``
    hangs forever then); the next call reads it again and returns the open positions."""
    key = await account(mx)
    calls: list[str] = []

    async def flaky(kind: str, params: dict[str, Any]) -> Any:
        calls.append(kind)
        if len(calls) == 1:
            raise RateLimitExceeded("-1003 Too many requests")
        return await ex.fetch_positions(None, params)

    async with private_client(mx.base_url, key) as ex:
        await ex.create_order("BTC/USDT:USDT", "market", "buy", 0.01)
        opts = {"snapshot_fetcher": flaky}
        with pytest.raises(RateLimitExceeded):
            await ex.watch_positions(params=opts)
        (pos,) = await ex.watch_positions(params=opts)
        assert (pos["symbol"], pos["contracts"], pos["side"]) == ("BTC/USDT:USDT", 0.01, "long")
        assert calls == ["positions", "positions"]


@pytest.mark.parametrize("v", VENUES, ids=IDS)
async def test_streams_and_every_unwatch(mx: MockExchange, v: Fut) -> None:
    """``stream_positions/my_trades/balance/orders`` yield the changes of one fill; leaving
    them with ``unwatchOnHalt`` unwatches each topic, and the last unwatch (liquidations)
    ends the stream and deletes the key."""
    key = await account(mx)
    async with private_client(mx.base_url, key) as ex:
        wire = Wire(ex)
        halt = {"type": v.name, "unwatchOnHalt": True}
        positions = ex.stream_positions([v.symbol], params=halt)
        assert await anext(positions) == []  # the snapshot: flat
        liquidations = asyncio.ensure_future(ex.watch_my_liquidations_for_symbols([v.symbol]))
        await until_waiting(ex, "myLiquidations")
        trades = ex.stream_my_trades(v.symbol, params=halt)
        balance = ex.stream_balance(halt)
        orders = ex.stream_orders(v.symbol, params=halt)
        pending = [asyncio.ensure_future(anext(s)) for s in (trades, balance, orders)]  # type: ignore[arg-type]
        await until_waiting(ex, "orders")
        placed = await ex.create_order(v.symbol, "market", "buy", v.qty)
        (pos,) = await anext(positions)
        assert (pos["symbol"], pos["side"], pos["contracts"]) == (v.symbol, "long", v.qty)
        got_trades, got_balance, got_orders = await asyncio.gather(*pending)
        assert {t["order"] for t in got_trades} == {placed["id"]}
        assert v.asset in got_balance["total"]
        assert [o["id"] for o in got_orders] == [placed["id"]]
        for stream in (positions, trades, balance, orders):
            await stream.aclose()  # type: ignore[attr-defined]
        (session,) = ex.user_data_sessions()
        assert session["watched"] == {"myLiquidations": [v.symbol]}
        await ex.unwatch_my_liquidations_for_symbols([v.symbol])
        with pytest.raises(UnsubscribeError):
            await liquidations
        assert ex.user_data_sessions() == [] and ex.connections() == []
        assert wire.sent("DELETE", v.path) == 1


@pytest.mark.parametrize("venue", ["spot", "future"])
async def test_closing_the_connection_fails_watchers_then_starts_over(
    mx: MockExchange, venue: str
) -> None:
    """``close_connection`` on a user-data connection fails its pending watchers with
    ConnectionClosed (no silence); the next watch opens a new session that delivers."""
    key = await account(mx)
    params = {"type": venue}
    symbol = "BTC/USDT" if venue == "spot" else "BTC/USDT:USDT"
    async with private_client(mx.base_url, key) as ex:
        auth = await ex.authenticate(params)
        pending = asyncio.ensure_future(ex.watch_orders(symbol))
        await until_waiting(ex, "orders")
        await ex.close_connection(auth.url)
        with pytest.raises(ConnectionClosed):
            await pending
        waiting = asyncio.ensure_future(ex.watch_orders(symbol))
        await until_waiting(ex, "orders")
        placed = await ex.create_limit_buy_order(symbol, 0.01, 89000)
        assert [o["id"] for o in await waiting] == [placed["id"]]
        assert len(ex.user_data_sessions()) == 1
