"""The account contract over HTTP, Python and scripts; signed REST and WS API account reads."""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from mock_exchange import MockExchange, ServerConfig
from mock_exchange.config import DEMO_ACCOUNT
from mock_exchange.script import load_accounts_file, play_script
from tests.mock_exchange.signing import (
    Signer,
    ed25519_signer,
    hmac_signer,
    rest_query,
    rsa_signer,
    ws_request,
)
from tests.serve import serve


@pytest.fixture
async def mx() -> AsyncIterator[MockExchange]:
    """An emulator on a frozen clock with no background activity."""
    async with MockExchange(config=ServerConfig(rate=0, frozen_clock=True, warmup_ms=0)) as m:
        yield m


async def control(
    mx: MockExchange, method: str, op: str, body: Any = None
) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as s,
        s.request(method, f"{mx.base_url}/_mock/{op}", json=body) as r,
    ):
        return r.status, await r.json()


async def signed_get(
    mx: MockExchange, signer: Signer, path: str, params: dict[str, Any] | None = None, **kw: Any
) -> tuple[int, Any, dict[str, str]]:
    query = rest_query(signer, params or {}, timestamp=kw.get("timestamp", mx.clock.now_ms()))
    url = mx.url(f"https://api.binance.com{path}") + "?" + query
    headers = {"X-MBX-APIKEY": kw.get("api_key", signer.api_key)}
    async with aiohttp.ClientSession() as s, s.get(url, headers=headers) as r:
        return r.status, await r.json(), dict(r.headers)


async def test_account_contract_over_http(mx: MockExchange) -> None:
    """POST /_mock/accounts registers HMAC, RSA and Ed25519 keys; GET shows balances; deposit
    credits; a duplicate key is 400; a second key joins an existing account."""
    hmac_key, rsa_key, ed_key = hmac_signer("h1"), rsa_signer("r1"), ed25519_signer("e1")
    body = hmac_key.registration(
        balances={"USDT": "10000", "BTC": "1"}, futuresBalances={"USDT": "50"}
    )
    status, made = await control(mx, "POST", "accounts", body)
    assert status == 200 and made["apiKey"] == "h1" and made["type"] == "HMAC_SHA256"
    assert made["permissions"] == ["futures", "margin", "reading", "spot"]
    uid = made["uid"]
    status, rsa_made = await control(mx, "POST", "accounts", rsa_key.registration())
    assert (status, rsa_made["type"]) == (200, "RSA") and rsa_made["uid"] != uid
    status, ed_made = await control(
        mx, "POST", "accounts", ed_key.registration(account=uid, permissions=["reading"])
    )
    assert (status, ed_made["type"], ed_made["uid"]) == (200, "Ed25519", uid)
    status, dup = await control(mx, "POST", "accounts", {"apiKey": "h1", "secret": "other"})
    assert status == 400 and "already registered" in dup["error"]
    status, state = await control(mx, "GET", "accounts/e1")
    assert status == 200 and state["uid"] == uid
    assert state["balances"] == {
        "BTC": {"free": "1", "locked": "0"},
        "USDT": {"free": "10000", "locked": "0"},
    }
    assert state["futuresBalances"] == {"USDT": {"free": "50", "locked": "0"}}
    assert state["openOrders"] == [] and state["positions"] == []
    status, dep = await control(
        mx, "POST", "accounts/h1/deposit", {"asset": "USDT", "amount": "100.25", "wallet": "spot"}
    )
    assert status == 200 and dep["balance"] == {"free": "10100.25", "locked": "0"}
    status, _ = await control(mx, "GET", "accounts/nobody")
    assert status == 400
    everything = json.dumps([made, rsa_made, ed_made, state, dep])
    assert hmac_key.secret not in everything


@pytest.mark.parametrize("make", [hmac_signer, rsa_signer, ed25519_signer])
async def test_rest_account_reads_balances_with_every_key_type(mx: MockExchange, make: Any) -> None:
    """GET /api/v3/account, signed with HMAC, RSA or Ed25519, reports the account's balances."""
    signer = make()
    mx.add_account(signer.registration(balances={"USDT": "12.5"}))
    status, body, headers = await signed_get(mx, signer, "/api/v3/account")
    assert status == 200, body
    usdt = next(b for b in body["balances"] if b["asset"] == "USDT")
    assert usdt == {"asset": "USDT", "free": "12.50000000", "locked": "0.00000000"}
    assert body["accountType"] == "SPOT" and body["permissions"] == ["SPOT"]
    assert body["commissionRates"]["taker"] == "0.00100000" and body["takerCommission"] == 10
    assert headers["X-MBX-USED-WEIGHT-1M"] == "20"
    assert {b["asset"] for b in body["balances"]} >= {"BTC", "ETH", "BNB", "USDT"}
    omit = {"omitZeroBalances": "true"}
    status, omitted, _ = await signed_get(mx, signer, "/api/v3/account", omit)
    assert [b["asset"] for b in omitted["balances"]] == ["USDT"]


async def test_rest_auth_errors_have_binance_statuses(mx: MockExchange) -> None:
    """Unknown key 401 -2015, missing key 401 -2014, bad signature 400 -1022, stale 400 -1021."""
    signer = hmac_signer()
    mx.add_account(signer.registration())
    now = mx.clock.now_ms()
    cases = [
        ({"api_key": "stranger"}, 401, -2015),
        ({"api_key": ""}, 401, -2014),
        ({"timestamp": now - 6000}, 400, -1021),
        ({"timestamp": now + 1000}, 400, -1021),
    ]
    for kw, status, code in cases:
        got, body, headers = await signed_get(mx, signer, "/api/v3/account", **kw)
        assert (got, body["code"]) == (status, code), kw
        assert headers["Content-Type"].startswith("application/json")
    impostor = hmac_signer(signer.api_key, "wrong-secret")
    got, body, _ = await signed_get(mx, impostor, "/api/v3/account")
    assert (got, body) == (400, {"code": -1022, "msg": "Signature for this request is not valid."})
    url = mx.url("https://api.binance.com/api/v3/account") + f"?timestamp={now}"
    async with aiohttp.ClientSession() as s, s.get(url, headers={"X-MBX-APIKEY": "hmacKey1"}) as r:
        body = await r.json()
    assert (r.status, body["code"]) == (400, -1102) and "'signature'" in body["msg"]
    journal = json.dumps(mx.act("journal"))
    assert signer.secret not in journal and "signature=<redacted>" in journal
    assert "signature=" not in journal.replace("signature=<redacted>", "")


async def test_ws_api_account_status_matches_rest(mx: MockExchange) -> None:
    """account.status over the WS API is the same account as GET /api/v3/account; -2015 for a
    stranger; the session answers with rateLimits."""
    signer = ed25519_signer()
    mx.add_account(signer.registration(balances={"BTC": "0.5"}))
    _, rest, _ = await signed_get(mx, signer, "/api/v3/account")
    url = mx.url("wss://ws-api.binance.com:443/ws-api/v3")
    async with aiohttp.ClientSession() as s, s.ws_connect(url) as ws:
        await ws.send_str(ws_request(signer, "account.status", {}, timestamp=mx.clock.now_ms()))
        reply = await asyncio.wait_for(ws.receive_json(), 10)
        assert reply["status"] == 200 and reply["result"] == rest
        assert reply["rateLimits"][-1]["rateLimitType"] == "REQUEST_WEIGHT"
        stranger = ed25519_signer("stranger")
        await ws.send_str(ws_request(stranger, "account.status", {}, timestamp=mx.clock.now_ms()))
        refused = await asyncio.wait_for(ws.receive_json(), 10)
        assert refused["status"] == 401 and refused["error"]["code"] == -2015
        frame = ws_request(
            signer, "account.commission", {"symbol": "BTCUSDT"}, timestamp=mx.clock.now_ms()
        )
        await ws.send_str(frame)
        commission = await asyncio.wait_for(ws.receive_json(), 10)
        assert commission["result"]["standardCommission"]["maker"] == "0.00100000"


async def test_python_methods_and_script_actions(mx: MockExchange, tmp_path: Path) -> None:
    """add_account/account_state/deposit in Python and account/deposit script actions agree."""
    made = mx.add_account(api_key="py", secret="s", balances={"ETH": "2"})
    assert mx.account_state("py")["balances"]["ETH"]["free"] == "2"
    play_script(
        mx,
        [
            {"account": {"apiKey": "scripted", "secret": "t", "account": made["uid"]}},
            {"deposit": {"apiKey": "scripted", "asset": "ETH", "amount": "0.5"}},
            {"deposit": {"apiKey": "py", "asset": "USDT", "amount": 7, "wallet": "futures"}},
        ],
    )
    state = mx.account_state("py")
    assert state["balances"]["ETH"]["free"] == "2.5"
    assert state["futuresBalances"]["USDT"]["free"] == "7"
    with pytest.raises(ValueError, match="already registered"):
        mx.add_account(apiKey="py", secret="again")
    with pytest.raises(ValueError, match="exactly one"):
        play_script(mx, [{"account": {"apiKey": "x"}}])
    file = tmp_path / "accounts.yaml"
    file.write_text("- {apiKey: f1, secret: s1, balances: {USDT: '5'}}\n- {apiKey: f2, x: 1}\n")
    with pytest.raises(ValueError, match=r"accounts\[1\]: account: unknown fields \['x'\]"):
        load_accounts_file(file)


async def test_accounts_survive_a_market_reset(mx: MockExchange) -> None:
    """reset rebuilds the market; accounts, keys and balances stay."""
    mx.add_account(api_key="keep", secret="s", balances={"USDT": "3"})
    mx.act("reset", 5)
    assert mx.account_state("keep")["balances"]["USDT"]["free"] == "3"


async def test_serve_registers_the_demo_account_and_an_accounts_file(tmp_path: Path) -> None:
    """serve prints the demo account's key and secret and registers --accounts entries; the demo
    key reads its account over signed REST."""
    file = tmp_path / "accounts.yaml"
    file.write_text("- apiKey: fileKey\n  secret: fileSecret\n  balances: {BTC: '2'}\n")
    async with serve("--rate", "0", "--accounts", str(file), lines=5) as lines:
        assert DEMO_ACCOUNT["apiKey"] in lines[3] and DEMO_ACCOUNT["secret"] in lines[3]
        assert lines[4].startswith("accounts registered: 2")
        base = lines[0].split()[-1]
        signer = hmac_signer(DEMO_ACCOUNT["apiKey"], DEMO_ACCOUNT["secret"])
        query = rest_query(signer, {})
        url = f"{base}/api.binance.com/api/v3/account?{query}"
        async with (
            aiohttp.ClientSession() as s,
            s.get(url, headers={"X-MBX-APIKEY": signer.api_key}) as r,
        ):
            body = await r.json()
        assert r.status == 200
        assert next(b for b in body["balances"] if b["asset"] == "USDT")["free"] == "10000.00000000"
        async with (
            aiohttp.ClientSession() as s,
            s.get(f"{base}/_mock/accounts/{urllib.parse.quote('fileKey')}") as r,
        ):
            assert (await r.json())["balances"]["BTC"]["free"] == "2"
    async with serve("--rate", "0", "--no-demo-account", lines=3) as lines:
        base = lines[0].split()[-1]
        async with (
            aiohttp.ClientSession() as s,
            s.get(f"{base}/_mock/accounts/{DEMO_ACCOUNT['apiKey']}") as r,
        ):
            assert r.status == 400
