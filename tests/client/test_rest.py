"""REST: the sans-I/O codec (request building, the signing seam, error decoding) and the one
adapter (every verb over aiohttp, a fake transport in its place, foreign errors translated)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping

import orjson
import pytest
from aiohttp import web

import client
from client.errors import (
    BadSymbol,
    DDoSProtection,
    ExchangeError,
    ExchangeNotAvailable,
    NetworkError,
    RateLimitExceeded,
    RequestTimeout,
)
from client.http import HttpClient, RawResponse
from client.protocol.rest import (
    RestRequest,
    build_request,
    decode_response,
    encode_params,
    parse_retry_after,
)
from client.telemetry import Telemetry

URL = "https://api.binance.com/api/v3/order"


def test_params_keep_their_order_and_binance_spelling() -> None:
    """Params are encoded once, in order, booleans as true/false, None left out."""
    assert encode_params({"symbol": "BTCUSDT", "b": True, "skip": None, "q": "a b&c"}) == (
        "symbol=BTCUSDT&b=true&q=a%20b%26c"
    )
    assert encode_params(None) == ""


def test_query_form_and_key_header() -> None:
    """GET puts params in the query; form=True sends them as a body; the key is a header."""
    get = build_request("GET", URL, {"symbol": "BTCUSDT", "limit": 5})
    assert get == RestRequest("GET", URL + "?symbol=BTCUSDT&limit=5", None, {}, f"GET {URL}")
    post = build_request("POST", URL, {"symbol": "BTCUSDT"}, form=True, api_key="KEY")
    assert post.url == URL and post.body == b"symbol=BTCUSDT"
    assert post.headers == {
        "X-MBX-APIKEY": "KEY",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def test_signer_sees_the_exact_payload_and_signs_last() -> None:
    """A signer receives exactly the bytes sent; its signature is appended as the last param."""
    seen: list[str] = []

    def signer(payload: str) -> str:
        seen.append(payload)
        return "sig+/="

    req = build_request("DELETE", URL, {"symbol": "BTCUSDT", "timestamp": 1}, signer=signer)
    assert seen == ["symbol=BTCUSDT&timestamp=1"]
    assert req.url == URL + "?symbol=BTCUSDT&timestamp=1&signature=sig%2B%2F%3D"
    form = build_request("PUT", URL, {"a": 1}, form=True, signer=signer)
    assert seen[-1] == "a=1" and form.body == b"a=1&signature=sig%2B%2F%3D"
    assert "signature" not in form.context and "?" not in req.context


def test_decode_maps_status_and_code_to_the_error_tree() -> None:
    """Binance {code,msg} bodies map through the code table; 429/418 keep Retry-After."""
    assert decode_response(200, {}, b'{"a":1}') == {"a": 1}
    assert decode_response(200, {}, b"") is None
    with pytest.raises(BadSymbol) as bad:
        decode_response(400, {}, b'{"code":-1121,"msg":"Invalid symbol."}', context="GET x")
    assert bad.value.code == -1121 and bad.value.status == 400 and "GET x" in str(bad.value)
    body = b'{"code":-1003,"msg":"Too much request weight used"}'
    with pytest.raises(RateLimitExceeded) as limited:
        decode_response(429, {"retry-after": "7"}, body)
    assert limited.value.retry_after == 7.0
    with pytest.raises(DDoSProtection):
        decode_response(418, {}, body)
    with pytest.raises(ExchangeNotAvailable):
        decode_response(503, {"Retry-After": "2"}, b"<html>down</html>")
    with pytest.raises(ExchangeError) as other:
        decode_response(403, {}, b"blocked apiKey=SECRET-KEY")
    assert "SECRET-KEY" not in str(other.value)


def test_retry_after_accepts_only_ascii_seconds() -> None:
    """Retry-After counts only ASCII digits: a Unicode digit or a date is no delay."""
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 3 ") == 3.0
    assert parse_retry_after("\xb2") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") is None
    assert parse_retry_after(None) is None and parse_retry_after("") is None


class FakeTransport:
    """Answers every request with a canned response and records what was sent."""

    def __init__(self, response: RawResponse) -> None:
        self.response = response
        self.sent: list[RestRequest] = []
        self.closed = False

    async def send(self, request: RestRequest, timeout: float) -> RawResponse:
        self.sent.append(request)
        return self.response

    async def close(self) -> None:
        self.closed = True


async def test_the_transport_is_swappable() -> None:
    """An exchange's REST calls go through whatever transport its HttpClient holds."""
    fake = FakeTransport((200, {}, orjson.dumps({"serverTime": 1})))
    async with client.Binance(binance_env="prod") as ex:
        ex.http.transport = fake
        got = await ex._rest_get("https://api.binance.com/api/v3/time", {"a": "1"}, 1000)
    assert got == {"serverTime": 1}
    assert [r.url for r in fake.sent] == ["https://api.binance.com/api/v3/time?a=1"]
    assert fake.closed


@pytest.fixture
async def echo() -> AsyncIterator[tuple[str, asyncio.Event]]:
    """A local HTTP server that echoes method, raw query, raw body and key header as JSON;
    ``/hang`` never answers until the yielded event is set."""
    release = asyncio.Event()

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.path == "/hang":
            await release.wait()
        if request.path == "/limited":
            body = {"code": -1003, "msg": "Too much request weight used"}
            return web.json_response(body, status=429, headers={"Retry-After": "5"})
        return web.json_response(
            {
                "method": request.method,
                "query": request.raw_path.partition("?")[2],
                "body": (await request.read()).decode(),
                "key": request.headers.get("X-MBX-APIKEY"),
            }
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}", release
    release.set()
    await runner.cleanup()


async def test_every_verb_goes_out_as_built(echo: tuple[str, asyncio.Event]) -> None:
    """GET/POST/PUT/DELETE reach the server with the exact query, form body and key header."""
    base, _ = echo
    http = HttpClient(Telemetry())
    try:
        got: Mapping[str, object] = await http.get(f"{base}/x", {"q": "a b", "n": 1}, timeout=5)
        assert got == {"method": "GET", "query": "q=a%20b&n=1", "body": "", "key": None}
        for verb in ("POST", "PUT", "DELETE"):
            got = await http.request(verb, f"{base}/x", {"k": "v"}, timeout=5, api_key="KEY")
            assert got == {"method": verb, "query": "k=v", "body": "", "key": "KEY"}
        got = await http.request("POST", f"{base}/x", {"k": "v"}, timeout=5, form=True)
        assert got["body"] == "k=v" and got["query"] == ""
        with pytest.raises(RateLimitExceeded) as limited:
            await http.get(f"{base}/limited", timeout=5)
        assert limited.value.retry_after == 5.0
    finally:
        await http.close()


async def test_foreign_errors_are_translated(echo: tuple[str, asyncio.Event]) -> None:
    """A timeout is RequestTimeout and a refused connection NetworkError, both chained."""
    base, _ = echo
    http = HttpClient(Telemetry())
    try:
        with pytest.raises(RequestTimeout) as slow:
            await http.get(f"{base}/hang", timeout=0.2)
        assert isinstance(slow.value.__cause__, TimeoutError)
        with pytest.raises(NetworkError) as refused:
            await http.get("http://127.0.0.1:9/x", timeout=5)
        assert refused.value.__cause__ is not None
    finally:
        await http.close()
        await http.close()  # closing twice is harmless
