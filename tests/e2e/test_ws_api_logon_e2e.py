"""WS API sessions on the loopback Binance (its answers are scripted per test): an Ed25519 key
logs on once and requests carry no key or signature; after the server drops the socket the
client reconnects and logs on again by itself, and a replayed logon that fails fails the
user-data watchers at once; restore steps are named without the key; other keys sign every
request; a server without ``session.logon`` gets signed requests."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from client import Binance, ExchangeNotAvailable
from client.protocol.signing import ws_payload
from tests.client.user_data_payloads import execution
from tests.e2e.accounts import Key, new_key
from tests.e2e.loopback import Loopback
from tests.e2e.user_data_helpers import until_waiting

# binance-protocol.md 4.7 (account.status) and 4.5 (session.logon)
ACCOUNT = {
    "makerCommission": 15,
    "takerCommission": 15,
    "canTrade": True,
    "updateTime": 1660801833000,
    "accountType": "SPOT",
    "balances": [
        {"asset": "BTC", "free": "1.3447112", "locked": "0.08600000"},
        {"asset": "USDT", "free": "1021.21000000", "locked": "0.00000000"},
    ],
    "permissions": ["SPOT"],
    "uid": 354937868,
}


def verify_ed25519(key: Key, params: dict[str, Any]) -> bool:
    """Check an Ed25519 signature over Binance's sorted WS API payload."""
    private = serialization.load_pem_private_key(key.config["privateKey"].encode(), None)
    public: Any = private.public_key()
    try:
        public.verify(base64.b64decode(params["signature"]), ws_payload(params).encode())
    except Exception:
        return False
    return True


@pytest.fixture
async def lb() -> AsyncIterator[Loopback]:
    """A loopback Binance with account.status served."""
    async with Loopback() as server:
        server.ws_api[("spot", "account.status")] = lambda req: ACCOUNT
        yield server


def serve_logon(lb: Loopback, key: Key) -> None:
    """Serve session.logon for ``key``: verify the signature, answer like Binance."""

    def logon(req: dict[str, Any]) -> dict[str, Any]:
        params = req["params"]
        if params.get("apiKey") != key.api_key or not verify_ed25519(key, params):
            raise LookupError(-1022, "Signature for this request is not valid.")
        return {
            "apiKey": key.api_key,
            "authorizedSince": params["timestamp"],
            "connectedSince": params["timestamp"],
            "returnRateLimits": False,
            "serverTime": params["timestamp"],
            "userDataStream": False,
        }

    lb.ws_api[("spot", "session.logon")] = logon


def client_for(lb: Loopback, key: Key) -> Binance:
    """A local client on the loopback with ``key`` and fast reconnects."""
    options = {"backoff_initial": 10, "backoff_cap": 20}
    return Binance({**key.config, "options": options}, binance_env="local", base_url=lb.base_url)


async def test_ed25519_logs_on_once_and_requests_carry_no_signature(lb: Loopback) -> None:
    """One session.logon, signed with Ed25519; then account.status requests carry timestamp
    and recvWindow but neither apiKey nor signature."""
    key = new_key("ed25519")
    serve_logon(lb, key)
    async with client_for(lb, key) as ex:
        for _ in range(2):
            bal = await ex.fetch_balance_ws()
            assert bal["total"]["BTC"] == pytest.approx(1.4307112)
    assert len(lb.sent("session.logon")) == 1
    for req in lb.sent("account.status"):
        assert "apiKey" not in req["params"] and "signature" not in req["params"]
        assert req["params"]["recvWindow"] == 5000 and req["params"]["timestamp"] > 0


async def test_a_dropped_session_reconnects_and_logs_on_again(lb: Loopback) -> None:
    """When the server drops the WS API socket, the client reconnects by itself, logs on
    again before anything else, and the next request rides the new session unsigned."""
    key = new_key("ed25519")
    serve_logon(lb, key)
    async with client_for(lb, key) as ex:
        await ex.fetch_balance_ws()
        url = ex.connections()[0]
        for ws in list(lb.ws_api_sockets):
            await ws.close(code=1001)
        await lb.wait_until(lambda: len(lb.sent("session.logon")) == 2)
        await ex.fetch_balance_ws()
        info = ex.connection_info(url)
        assert info["reconnects"] == 1 and info["logged_on"]
    methods = [r["method"] for _, r in lb.received]
    assert methods == ["session.logon", "account.status", "session.logon", "account.status"]
    assert "signature" not in lb.sent("account.status")[-1]["params"]


async def test_hmac_keys_sign_every_request_and_never_log_on(lb: Loopback) -> None:
    """An HMAC key cannot log on: every request carries apiKey and signature."""
    key = new_key("hmac")
    async with client_for(lb, key) as ex:
        await ex.fetch_balance_ws()
        await ex.fetch_balance_ws()
    assert lb.sent("session.logon") == []
    assert all("signature" in r["params"] for r in lb.sent("account.status"))


async def test_a_server_without_logon_gets_signed_requests(lb: Loopback) -> None:
    """Where session.logon is not offered (-1020), an Ed25519 key signs each request, and
    the logon is not tried again on that connection."""
    key = new_key("ed25519")
    async with client_for(lb, key) as ex:
        await ex.fetch_balance_ws()
        await ex.fetch_balance_ws()
    assert len(lb.sent("session.logon")) == 1
    signed = lb.sent("account.status")
    assert len(signed) == 2
    assert all(verify_ed25519(key, r["params"]) for r in signed)


async def test_minus_1021_on_the_ws_api_remeasures_and_retries(lb: Loopback) -> None:
    """When Binance's clock jumps after the offset was measured, a WS API request meets
    -1021 once; the client measures again and the retry goes through."""
    key = new_key("hmac")

    def status(req: dict[str, Any]) -> dict[str, Any]:
        now = time.time() * 1000 + lb.clock_skew_ms
        if abs(now - req["params"]["timestamp"]) > req["params"]["recvWindow"]:
            raise LookupError(-1021, "Timestamp for this request is outside of the recvWindow.")
        return ACCOUNT

    lb.ws_api[("spot", "account.status")] = status
    lb.clock_skew_ms = -3_600_000
    async with client_for(lb, key) as ex:
        await ex.fetch_balance_ws()
        lb.clock_skew_ms = -7_200_000
        await ex.fetch_balance_ws()
        assert ex.server_clock.generation == 2
    times = [r for r in lb.rest_requests if r["path"] == "/api/v3/time"]
    assert len(times) == 2 and len(lb.sent("account.status")) == 3


async def test_a_replayed_logon_that_fails_fails_the_watchers_at_once(lb: Loopback) -> None:
    """After a drop, the replayed session.logon fails (-1001): the user-data watcher waiting
    then gets that error at once (not a timeout); after the backoff the client logs on and
    subscribes again on a fresh socket, and a new watcher gets the next event."""
    key = new_key("ed25519")
    serve_logon(lb, key)
    logon = lb.ws_api[("spot", "session.logon")]

    def flaky(req: dict[str, Any]) -> Any:
        if len(lb.sent("session.logon")) == 2:  # the first replay
            raise LookupError(-1001, "Internal error; unable to process your request.")
        return logon(req)

    lb.ws_api[("spot", "session.logon")] = flaky
    lb.ws_api[("spot", "userDataStream.subscribe")] = lambda req: {"subscriptionId": 0}
    async with client_for(lb, key) as ex:
        await ex.authenticate({"reconcile": False})
        waiting = asyncio.ensure_future(ex.watch_orders(params={"timeout": 60_000}))
        await until_waiting(ex, "orders")
        for ws in list(lb.ws_api_sockets):
            await ws.close(code=1001)
        async with asyncio.timeout(10):  # far below the watch's own 60 s
            with pytest.raises(ExchangeNotAvailable, match="-1001"):
                await waiting
        await lb.wait_until(lambda: len(lb.sent("userDataStream.subscribe")) == 2)
        watching = asyncio.ensure_future(ex.watch_orders())
        await until_waiting(ex, "orders")
        event = {"subscriptionId": 0, "event": execution(i=77)}
        await lb.ws_api_sockets[-1].send_str(json.dumps(event))
        assert [o["id"] for o in await watching] == ["77"]
        assert ex.user_data_sessions()[0]["error"] is None
        methods = [r["method"] for _, r in lb.received]
        assert methods == [
            "session.logon",
            "userDataStream.subscribe",
            "session.logon",  # refused: nothing else on that socket
            "session.logon",
            "userDataStream.subscribe",
        ]


async def test_restore_steps_name_the_key_by_a_digest(lb: Loopback) -> None:
    """connection_info lists the logon and user-data restore steps by a digest of the API
    key: the key itself appears nowhere in it (API keys are redacted everywhere)."""
    key = new_key("ed25519")
    serve_logon(lb, key)
    lb.ws_api[("spot", "userDataStream.subscribe")] = lambda req: {"subscriptionId": 0}
    async with client_for(lb, key) as ex:
        await ex.authenticate({"reconcile": False})
        info = ex.connection_info(ex.connections()[0])
        digest = hashlib.sha256(key.api_key.encode()).hexdigest()[:12]
        assert info["restore_steps"] == [f"session.logon:{digest}", f"userData:spot:{digest}:"]
        assert key.api_key not in repr(info) and key.api_key not in repr(ex.user_data_sessions())
