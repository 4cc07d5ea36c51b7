"""Signed REST through the one adapter with a fake transport: the payload as sent and its
signature, the server-time offset measured once and again on -1021 (one retry), and a
skewed local clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import orjson
import pytest

import client
from client.errors import InvalidNonce
from client.http import RawResponse
from client.protocol.rest import RestRequest
from client.protocol.signing import hmac_signer
from client.server_time import ServerClock
from tests.e2e.loopback import SPOT_INFO

SECRET = "s3cret"
ACCOUNT = {"updateTime": 1, "balances": [{"asset": "USDT", "free": "5", "locked": "1"}]}
STALE = {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."}


class FakeTransport:
    """Answers by path; records every request."""

    def __init__(self, answer: Callable[[RestRequest], tuple[int, Any]]) -> None:
        self.answer = answer
        self.sent: list[RestRequest] = []

    async def send(self, request: RestRequest, timeout: float) -> RawResponse:
        """Record ``request`` and answer it."""
        self.sent.append(request)
        status, body = self.answer(request)
        return status, {"Content-Type": "application/json"}, orjson.dumps(body)

    async def close(self) -> None:
        """Nothing to release."""

    def paths(self) -> list[str]:
        """The paths requested, without hosts and queries."""
        return [r.url.split("?")[0].split("api.binance.com")[1] for r in self.sent]


def exchange(answer: Callable[[RestRequest], tuple[int, Any]], **options: Any) -> Any:
    """A prod client whose REST goes to a fake transport."""
    ex = client.Binance({"apiKey": "KEY", "secret": SECRET, "options": options})
    ex.http.transport = FakeTransport(answer)
    return ex


def server(now: Callable[[], int], account: Callable[[RestRequest], tuple[int, Any]]) -> Any:
    """Answer /time with ``now()``, exchangeInfo with the loopback's, the rest with ``account``."""

    def answer(req: RestRequest) -> tuple[int, Any]:
        if "/time" in req.url:
            return 200, {"serverTime": now()}
        if "/exchangeInfo" in req.url:
            return 200, SPOT_INFO
        return account(req)

    return answer


async def test_signed_get_sends_the_payload_it_signed() -> None:
    """GET /api/v3/account: key header, query ending in recvWindow, timestamp, signature of
    exactly the text before it; the clock is measured once for two calls."""
    ex = exchange(server(lambda: 1_700_000_000_000, lambda r: (200, ACCOUNT)))
    async with ex:
        bal = await ex.fetch_balance()
        await ex.fetch_balance()
    t: FakeTransport = ex.http.transport
    assert t.paths() == ["/api/v3/time", "/api/v3/account", "/api/v3/account"]
    req = t.sent[1]
    assert req.headers["X-MBX-APIKEY"] == "KEY" and req.body is None
    query = req.url.split("?", 1)[1]
    payload, _, sig = query.rpartition("&signature=")
    assert hmac_signer(SECRET)(payload) == sig
    assert [k for k, _ in parse_qsl(payload)] == ["recvWindow", "timestamp"]
    assert bal["free"]["USDT"] == 5.0 and bal["used"]["USDT"] == 1.0 and bal["total"]["USDT"] == 6.0


async def test_minus_1021_remeasures_the_clock_and_retries_once() -> None:
    """A -1021 re-measures the offset and resends with a fresh timestamp; a second -1021 in
    a row is raised as InvalidNonce (retryable, so the caller's loop may try again)."""
    clock = {"now": 1_700_000_000_000}
    answers = iter([(400, STALE), (200, ACCOUNT), (400, STALE), (400, STALE)])

    def account(req: RestRequest) -> tuple[int, Any]:
        status, body = next(answers)
        if status == 400:
            clock["now"] += 600_000  # Binance's clock moved on: our offset is stale
        return status, body

    ex = exchange(server(lambda: clock["now"], account))
    async with ex:
        await ex.fetch_balance()
        t: FakeTransport = ex.http.transport
        assert t.paths() == ["/api/v3/time", "/api/v3/account", "/api/v3/time", "/api/v3/account"]
        stamps = [int(dict(parse_qsl(r.url.split("?")[1]))["timestamp"]) for r in t.sent[1::2]]
        assert stamps[1] - stamps[0] >= 590_000
        with pytest.raises(InvalidNonce) as info:
            await ex.fetch_balance()
        assert info.value.code == -1021
    assert ex.server_clock.generation == 3


async def test_a_skewed_clock_signs_server_time() -> None:
    """With our clock 1 h ahead of Binance's, the timestamp sent is Binance's time."""
    offset_server = -3_600_000
    clock = ServerClock(lambda: 1_700_000_000.0)
    ex = exchange(server(lambda: 1_700_000_000_000 + offset_server, lambda r: (200, ACCOUNT)))
    ex.server_clock = clock
    async with ex:
        await ex.fetch_balance()
    sent = ex.http.transport.sent[1]
    assert dict(parse_qsl(sent.url.split("?")[1]))["timestamp"] == str(
        1_700_000_000_000 + offset_server
    )


async def test_post_sends_a_form_body_and_no_time_without_adjusting() -> None:
    """With adjustForTimeDifference off no /time is asked; a POST's params go in the body."""
    ex = exchange(
        server(lambda: 0, lambda r: (200, {"listenKey": "x"})), adjustForTimeDifference=False
    )
    async with ex:
        from client.venues import VENUES

        opts = ex._opts(None)
        await ex._signed_rest("POST", VENUES["spot"], "/api/v3/order/test", {"a": 1}, opts)
    req = ex.http.transport.sent[0]
    assert "?" not in req.url and req.body is not None
    assert req.body.decode().startswith("a=1&recvWindow=5000&timestamp=")
    assert req.headers["Content-Type"] == "application/x-www-form-urlencoded"


async def test_api_key_only_requests_carry_no_timestamp_or_signature() -> None:
    """Listen-key endpoints (USER_STREAM) send the key header and the params only."""
    ex = exchange(server(lambda: 0, lambda r: (200, {"listenKey": "abc"})))
    async with ex:
        from client.venues import VENUES

        opts = ex._opts(None)
        got = await ex._signed_rest(
            "POST", VENUES["future"], "/fapi/v1/listenKey", {}, opts, signed=False
        )
    assert got == {"listenKey": "abc"}
    (req,) = ex.http.transport.sent
    assert req.headers["X-MBX-APIKEY"] == "KEY" and req.body is None and "?" not in req.url
