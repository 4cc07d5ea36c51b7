"""WS API sessions on the loopback Binance (the emulator does not serve ``session.logon``
yet): an Ed25519 key logs on once and requests carry no key or signature; after the server
drops the socket the client reconnects and logs on again by itself; other keys sign every
request; a server without ``session.logon`` gets signed requests."""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from client import Binance
from client.protocol.signing import ws_payload
from tests.e2e.accounts import Key, new_key
from tests.e2e.loopback import Loopback

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
