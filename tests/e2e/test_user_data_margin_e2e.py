"""Margin user data against the real emulator: a listen token (``POST
/sapi/v1/userListenToken``) subscribed on the spot WebSocket API, replaced before it
expires, and, if it expires anyway, replaced after ``eventStreamTerminated``: never
silence; an isolated-margin session reconciles its own pair."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from client import BaseError
from mock_exchange import MockExchange, ServerConfig
from tests.e2e.accounts import Key, new_key, private_client, register
from tests.e2e.user_data_helpers import Wire, rest_calls, ws_methods

MARGIN = {"type": "margin"}


@pytest.fixture
async def mx() -> AsyncIterator[MockExchange]:
    """A quiet emulator on a frozen clock (the tests move it)."""
    async with MockExchange(config=ServerConfig(seed=3, rate=0, frozen_clock=True)) as m:
        yield m


async def account(mx: MockExchange) -> Key:
    key = new_key("hmac")
    await register(mx.base_url, key)
    return key


async def test_token_subscribe_and_renewal_before_expiry(mx: MockExchange) -> None:
    """The token subscribes (unsigned); ``listen_token_refresh`` later a new token takes
    over and the session keeps one subscription."""
    key = await account(mx)
    async with private_client(mx.base_url, key, listen_token_refresh=50) as ex:
        wire = Wire(ex)
        auth = await ex.authenticate(MARGIN)
        assert (auth.venue, auth.mechanism, auth.subscription_id) == ("margin", "listen_token", 0)
        assert ws_methods(mx) == ["userDataStream.subscribe.listenToken"]
        assert wire.sent("POST", "/sapi/v1/userListenToken") == 1
        await wire.until(lambda: wire.sent("POST", "/sapi/v1/userListenToken") >= 2)
        await wire.until(lambda: ws_methods(mx).count("userDataStream.subscribe.listenToken") >= 2)
        (session,) = ex.user_data_sessions()
        subs = await ex.user_data_stream_subscriptions(MARGIN)
        assert subs == [{"subscriptionId": session["subscription_id"]}]


async def test_expired_token_is_replaced_after_termination(mx: MockExchange) -> None:
    """A token that expires (60 s of emulator time) ends the subscription with
    ``eventStreamTerminated``; the client subscribes again with a new token and reconciles."""
    key = await account(mx)
    options = {"listen_token_validity": 60_000, "listen_token_refresh": 3_600_000}
    async with private_client(mx.base_url, key, **options) as ex:
        wire = Wire(ex)
        await ex.authenticate(MARGIN)
        mx.clock.advance(61_000)
        await wire.until(lambda: bool(wire.of("eventStreamTerminated")))
        await wire.until(lambda: wire.saw("reconcile"))
        assert wire.sent("POST", "/sapi/v1/userListenToken") == 2
        (session,) = ex.user_data_sessions()
        assert session["subscription_id"] == 1 and session["error"] is None
        assert await ex.user_data_stream_subscriptions(MARGIN) == [{"subscriptionId": 1}]


async def test_renew_listen_token_now(mx: MockExchange) -> None:
    """``renew_listen_token`` replaces the token at once and moves the subscription."""
    key = await account(mx)
    async with private_client(mx.base_url, key) as ex:
        wire = Wire(ex)
        first = await ex.authenticate(MARGIN)
        renewed = await ex.renew_listen_token()
        assert renewed.subscription_id != first.subscription_id
        assert wire.sent("POST", "/sapi/v1/userListenToken") == 2
        subs = await ex.user_data_stream_subscriptions(MARGIN)
        assert subs == [{"subscriptionId": renewed.subscription_id}]


async def test_spot_and_margin_share_the_connection_apart(mx: MockExchange) -> None:
    """Spot and margin subscriptions ride one WebSocket API connection; each session gets
    its own subscription and its own events (routed by subscription id, not by order of
    insertion as ccxt does)."""
    key = await account(mx)
    async with private_client(mx.base_url, key) as ex:
        spot = await ex.authenticate()
        margin = await ex.authenticate(MARGIN)
        assert spot.url == margin.url and len(ex.connections()) == 1
        assert {spot.subscription_id, margin.subscription_id} == {0, 1}
        mx.deposit(key.api_key, "ETH", "1")
        balance = await ex.watch_balance()
        assert balance["total"]["ETH"] == 101.0
        sessions = {s["venue"]: s for s in ex.user_data_sessions()}
        assert sessions["margin"]["events"] == 0 and sessions["spot"]["events"] >= 2


async def test_isolated_reconciliation_reads_its_pair(mx: MockExchange) -> None:
    """After a reconnect an isolated-margin session reconciles its pair: the open orders and
    trades read with the pair's symbol and ``isIsolated`` (Binance requires the symbol for
    isolated open orders), the balance of that pair only (the emulator does not serve
    margin orders, so the reads go to an injected ``rest_fetcher``)."""
    key = await account(mx)
    reads: list[tuple[str, dict[str, Any]]] = []

    async def rest_fetcher(method: str, kwargs: dict[str, Any]) -> Any:
        reads.append((method, kwargs))
        if method == "fetch_balance":
            return {"info": {}, "timestamp": None, "free": {}, "used": {}, "total": {}}
        return []

    isolated = {"type": "margin", "marginMode": "isolated", "symbol": "BTC/USDT"}
    async with private_client(mx.base_url, key, backoff_initial=10) as ex:
        wire = Wire(ex)
        auth = await ex.authenticate({**isolated, "rest_fetcher": rest_fetcher})
        assert (auth.venue, auth.mechanism) == ("margin", "listen_token")
        mx.add_fault("close")
        await wire.until(lambda: wire.saw("reconcile"))
        wanted = {"type": "margin", "marginMode": "isolated", "isIsolated": "TRUE"}
        assert [m for m, _ in reads] == ["fetch_open_orders", "fetch_my_trades", "fetch_balance"]
        assert reads[0][1] == {"symbol": "BTC/USDT", "since": None, "limit": None, "params": wanted}
        assert reads[1][1]["symbol"] == "BTC/USDT" and reads[1][1]["params"] == wanted
        assert reads[2][1] == {
            "params": {"type": "margin", "marginMode": "isolated", "symbols": ["BTC/USDT"]}
        }
        # the open-orders read as the client itself sends it (the emulator then says -1020)
        with contextlib.suppress(BaseError):
            await ex.fetch_open_orders(**reads[0][1])
        (line,) = rest_calls(mx, "/sapi/v1/margin/openOrders")
        assert "symbol=BTCUSDT" in line and "isIsolated=TRUE" in line
