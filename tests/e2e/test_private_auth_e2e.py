"""Signed requests against the real emulator: every key type over REST and the WS API, a
skewed local clock, refused keys and permissions, and secrets that never leak."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

import orjson
import pytest

from client import AuthenticationError, Binance, PermissionDenied, WireEvent
from mock_exchange import MockExchange, ServerConfig
from tests.e2e.accounts import Key, new_key, private_client, register


@pytest.fixture
async def mx() -> AsyncIterator[MockExchange]:
    """An emulator with a quiet market (no background orders)."""
    async with MockExchange(config=ServerConfig(seed=5, rate=0)) as m:
        yield m


@pytest.mark.parametrize("kind", ["hmac", "rsa", "ed25519"])
async def test_balance_over_rest_and_ws_api_with_each_key_type(mx: MockExchange, kind: str) -> None:
    """Each key type signs GET /api/v3/account and account.status; both return the
    registered spot balance (the WS API one is a real balance, not ccxt's empty one)."""
    key = new_key(kind)
    await register(mx.base_url, key, balances={"USDT": "1234.5", "BTC": "0.25"})
    async with private_client(mx.base_url, key) as ex:
        rest = await ex.fetch_balance()
        ws = await ex.fetch_balance_ws()
    for bal in (rest, ws):
        assert bal["free"]["USDT"] == 1234.5 and bal["total"]["BTC"] == 0.25
        assert bal["used"]["USDT"] == 0.0
    assert ws["info"]["accountType"] == "SPOT"


async def test_a_skewed_local_clock_still_signs_valid_timestamps() -> None:
    """With Binance's clock an hour behind ours, the measured offset makes every signed
    request valid (REST and WS API); without adjusting, Binance refuses it with -1021."""
    start = int(time.time() * 1000) - 3_600_000
    config = ServerConfig(seed=5, rate=0, frozen_clock=True, start_ms=start)
    async with MockExchange(config=config) as mx:
        key = new_key("hmac")
        await register(mx.base_url, key)
        async with private_client(mx.base_url, key) as ex:
            assert (await ex.fetch_balance())["free"]["USDT"] == 100000.0
            assert abs(ex.server_clock.offset_ms + 3_600_000) < 60_000
            assert (await ex.fetch_balance_ws())["free"]["BTC"] == 10.0
        async with private_client(mx.base_url, key, adjustForTimeDifference=False) as ex:
            with pytest.raises(Exception) as info:
                await ex.fetch_balance()
            assert getattr(info.value, "code", None) == -1021


async def test_refused_keys_and_missing_permissions(mx: MockExchange) -> None:
    """A wrong secret is an AuthenticationError (-1022); a key without reading permission is
    PermissionDenied (-2015); an unknown key too (Binance's one code for both)."""
    key = new_key("hmac")
    await register(mx.base_url, key)
    wrong = Key(key.api_key, "hmac", {"apiKey": key.api_key, "secret": "not-it"}, {})
    async with private_client(mx.base_url, wrong) as ex:
        with pytest.raises(AuthenticationError) as info:
            await ex.fetch_balance()
        assert info.value.code == -1022
        assert not isinstance(info.value, PermissionDenied)
    mute = new_key("hmac")
    await register(mx.base_url, mute, permissions=["spot"])
    async with private_client(mx.base_url, mute) as ex:
        with pytest.raises(PermissionDenied) as denied:
            await ex.fetch_balance_ws()
        assert denied.value.code == -2015


@pytest.mark.parametrize("kind", ["hmac", "ed25519"])
async def test_secrets_stay_out_of_logs_errors_and_connection_info(
    mx: MockExchange, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    """With verbose wire logging on, no API key, secret, private key or signature appears in
    the log, in the wire tap, in connection_info (an Ed25519 session's logon included) or in
    an exception."""
    key = new_key(kind)
    await register(mx.base_url, key)
    seen: list[WireEvent] = []
    async with private_client(mx.base_url, key, verbose=True) as ex:
        ex.add_listener(seen.append)
        with caplog.at_level(logging.DEBUG):
            await ex.fetch_balance()
            await ex.fetch_balance_ws()
            try:
                await ex.fetch_balance({"api_secret": "wrong-secret-value"})
            except AuthenticationError as err:
                error_text = f"{err!r} {err}"
        info = str([ex.connection_info(u) for u in ex.connections()])
    texts = " ".join(e.text for e in seen) + caplog.text + info + error_text + repr(ex)
    assert "signature" in texts  # the frames were logged, redacted
    secret_text = key.config.get("secret") or key.config["privateKey"]
    for secret in (key.api_key, secret_text, "wrong-secret-value"):
        assert secret not in texts


async def test_per_call_credentials_override_the_instance(mx: MockExchange) -> None:
    """api_key/api_secret in a call's params sign that call with another account's key."""
    mine, other = new_key("hmac"), new_key("hmac")
    await register(mx.base_url, mine, balances={"USDT": "1"})
    await register(mx.base_url, other, balances={"USDT": "2"})
    async with Binance({**mine.config}, binance_env="local", base_url=mx.base_url) as ex:
        assert (await ex.fetch_balance())["free"]["USDT"] == 1.0
        theirs = {"api_key": other.api_key, "api_secret": other.config["secret"]}
        assert (await ex.fetch_balance(theirs))["free"]["USDT"] == 2.0
        assert (await ex.fetch_balance_ws(theirs))["free"]["USDT"] == 2.0


def ws_methods(mx: MockExchange) -> list[str]:
    """The WS API methods clients sent, in order, from the emulator's journal."""
    out = []
    for entry in mx.control.journal:
        if entry.transport == "ws" and "/ws-api/" in entry.path and '"method"' in entry.text:
            out.append(str(orjson.loads(entry.text)["method"]))
    return out


async def test_ed25519_logs_on_and_logs_on_again_after_the_emulator_drops_it(
    mx: MockExchange,
) -> None:
    """An Ed25519 key logs on (session.logon) and then sends account.status without a key
    or signature; when the emulator closes every connection the client reconnects by itself
    and logs on again before its next request."""
    key = new_key("ed25519")
    await register(mx.base_url, key, balances={"USDT": "42"})
    reconnected = asyncio.Event()
    async with private_client(mx.base_url, key, backoffInitial=10, backoffCap=20) as ex:
        ex.add_listener(lambda e: reconnected.set() if e.kind == "reconnect" else None)
        assert (await ex.fetch_balance_ws())["free"]["USDT"] == 42.0
        url = ex.connections()[0]
        assert ex.connection_info(url)["logged_on"]
        mx.add_fault("close", close_code=1001)
        await asyncio.wait_for(reconnected.wait(), 5)
        assert (await ex.fetch_balance_ws())["free"]["USDT"] == 42.0
        assert ex.connection_info(url)["logged_on"]
    assert ws_methods(mx) == ["session.logon", "account.status"] * 2
    status = [e.text for e in mx.control.journal if "account.status" in e.text]
    assert all('"apiKey"' not in t and '"signature"' not in t for t in status)
