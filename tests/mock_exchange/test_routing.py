"""The one routing table: raw requests, parsed stream paths, and what each path reaches."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from mock_exchange import MockExchange
from mock_exchange.errors import ExchangeError
from mock_exchange.hosts import HOSTS
from mock_exchange.routing import (
    REST_ROUTES,
    NoRoute,
    RestMatch,
    StreamMatch,
    WsApiMatch,
    route,
)
from mock_exchange.transports.request import RawRequest
from mock_exchange.transports.stream_paths import (
    ListenKeyPath,
    MarketStreamPath,
    parse_stream_path,
)

KEY = "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"


def raw(host: str, path: str, query: str = "", method: str = "GET", **kw: object) -> RawRequest:
    return RawRequest.build(method, HOSTS[host], path, raw_query=query, **kw)  # type: ignore[arg-type]


def test_raw_request_keeps_the_bytes_that_were_signed() -> None:
    """The raw query keeps order and encoding; params merge body then query (query wins); the
    signed payload is query then body without the signature pair, the signature decoded."""
    req = raw(
        "api.binance.com",
        "/api/v3/order",
        "timestamp=2&symbol=BTC%55SDT&signature=a%2Bb",
        "POST",
        body=b"side=BUY&symbol=ETHUSDT&quantity=1",
        headers={"x-mbx-apikey": "k", "Content-Type": "application/x-www-form-urlencoded"},
        remote="10.0.0.1",
    )
    assert req.signed_payload() == b"timestamp=2&symbol=BTC%55SDTside=BUY&symbol=ETHUSDT&quantity=1"
    assert req.raw_signature() == "a+b"
    assert req.api_key == "k" and req.remote == "10.0.0.1"
    assert req.params() == {
        "side": "BUY",
        "symbol": "BTCUSDT",
        "quantity": "1",
        "timestamp": "2",
        "signature": "a+b",
    }
    assert req.line() == "POST /api/v3/order?timestamp=2&symbol=BTC%55SDT&signature=a%2Bb"
    not_form = raw("api.binance.com", "/api/v3/order", body=b"a=1", headers={})
    assert not_form.params() == {}


def test_a_parameter_repeated_within_the_query_or_the_body_is_refused() -> None:
    """symbol=A&symbol=B in the query string, or twice in the body, is -1101 "Duplicate values
    for a parameter detected."; one name in both the query and the body is not a repeat."""
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for query, body in (("symbol=BTCUSDT&symbol=ETHUSDT", b""), ("", b"side=BUY&side=SELL")):
        req = raw("api.binance.com", "/api/v3/order", query, "POST", body=body, headers=form)
        with pytest.raises(ExchangeError) as refused:
            req.params()
        assert (refused.value.code, refused.value.msg) == (
            -1101,
            "Duplicate values for a parameter detected.",
        )
    both = raw("api.binance.com", "/api/v3/order", "side=SELL", "POST", body=b"side=BUY",
               headers=form)  # fmt: skip
    assert both.params() == {"side": "SELL"}


async def test_a_repeated_parameter_is_answered_with_its_error(emulator: MockExchange) -> None:
    """Over HTTP the repeat is a 400 -1101 answer, on public and signed endpoints alike."""
    async with aiohttp.ClientSession() as s:
        for path in ("/api/v3/depth?symbol=BTCUSDT&symbol=BTCUSDT", "/api/v3/account?a=1&a=2"):
            url = emulator.url(f"https://api.binance.com{path}")
            async with s.get(url, headers={"X-MBX-APIKEY": "k"}) as r:
                assert r.status == 400
                assert (await r.json())["code"] == -1101


async def test_spot_refuses_a_lower_case_symbol(emulator: MockExchange) -> None:
    """Spot REST and WS API answer symbol=btcusdt with -1100 naming the legal range, as Binance
    does; USD-M reads it as BTCUSDT (the emulator's choice: Binance's futures rule is not
    documented)."""
    refusal = (
        -1100,
        "Illegal characters found in parameter 'symbol'; legal range is '^[A-Z0-9-_.]{1,20}$'.",
    )
    async with aiohttp.ClientSession() as s:
        url = emulator.url("https://api.binance.com/api/v3/depth?symbol=btcusdt")
        async with s.get(url) as r:
            body = await r.json()
            assert (r.status, body["code"], body["msg"]) == (400, *refusal)
        async with s.ws_connect(emulator.url("wss://ws-api.binance.com/ws-api/v3")) as ws:
            await ws.send_json({"id": 1, "method": "depth", "params": {"symbol": "btcusdt"}})
            error = (await ws.receive_json())["error"]
            assert (error["code"], error["msg"]) == refusal
        url = emulator.url("https://fapi.binance.com/fapi/v1/depth?symbol=btcusdt")
        async with s.get(url) as r:
            assert r.status == 200


@pytest.mark.parametrize(
    ("path", "query", "parsed"),
    [
        ("/ws", {}, MarketStreamPath(None, False)),
        ("/ws/", {}, MarketStreamPath(None, False)),
        ("/ws/0", {}, MarketStreamPath(None, False, ("0",))),
        (
            "/ws/btcusdt@trade/ethusdt@trade",
            {},
            MarketStreamPath(None, False, ("btcusdt@trade", "ethusdt@trade")),
        ),
        (
            "/stream",
            {"streams": "a@trade//b@trade"},
            MarketStreamPath(None, True, ("a@trade", "b@trade")),
        ),
        ("/market/stream", {}, MarketStreamPath("market", True)),
        ("/public/ws/x@depth", {}, MarketStreamPath("public", False, ("x@depth",))),
        ("/ws/" + KEY, {}, ListenKeyPath(None, KEY)),
        (
            "/private/ws",
            {"listenKey": KEY, "events": "ORDER_TRADE_UPDATE/ACCOUNT_UPDATE"},
            ListenKeyPath("private", KEY, ("ORDER_TRADE_UPDATE", "ACCOUNT_UPDATE")),
        ),
        ("/stream/x", {}, None),
        ("/api/v3/ping", {}, None),
    ],
)
def test_stream_paths_parse_once_into_a_typed_value(
    path: str, query: dict[str, str], parsed: object
) -> None:
    """Raw, combined, prefixed and listen-key paths are told apart by grammar."""
    assert parse_stream_path(path, query) == parsed


def test_listen_key_paths_hide_the_key_and_fall_back_to_market_streams() -> None:
    """A listen key never shows in a repr; both user-data paths open a stream named by the key."""
    legacy = parse_stream_path("/ws/" + KEY, {})
    assert isinstance(legacy, ListenKeyPath) and legacy.legacy and KEY not in repr(legacy)
    assert legacy.as_market() == MarketStreamPath(None, False, (KEY,))
    private = parse_stream_path("/private/ws", {"listenKey": KEY})
    assert isinstance(private, ListenKeyPath) and not private.legacy


def test_route_finds_streams_ws_api_rest_and_nothing() -> None:
    """Upgrades reach stream and WS API entry points; REST routes are keyed by verb."""
    ws = route(raw("fstream.binance.com", "/public/ws/" + KEY), upgrade=True)
    assert isinstance(ws, StreamMatch) and (ws.venue, ws.category) == ("usdm", "public")
    assert ws.path.names == (KEY,)
    private = route(raw("fstream.binance.com", "/private/ws"), upgrade=True)
    assert isinstance(private, StreamMatch) and private.category == "private"
    assert private.path.names == ()
    assert isinstance(route(raw("fstream.binance.com", "/private/x"), upgrade=True), NoRoute)
    api = route(raw("testnet.binancefuture.com", "/ws-fapi/v1/"), upgrade=True)
    assert api == WsApiMatch("usdm")
    rest = route(raw("testnet.binancefuture.com", "/dapi/v1/depth"), upgrade=False)
    assert isinstance(rest, RestMatch) and rest.route.venue == "coinm"
    assert isinstance(
        route(raw("api.binance.com", "/api/v3/ping", method="POST"), upgrade=False), NoRoute
    )
    assert isinstance(route(raw("stream.binance.com", "/ws"), upgrade=False), NoRoute)
    assert all(key == (r.service, r.method, r.path) for key, r in REST_ROUTES.items())


async def test_every_verb_gets_the_one_unimplemented_answer(
    emulator: MockExchange, caplog: pytest.LogCaptureFixture
) -> None:
    """Unrouted paths of every verb answer Binance's -1020 text; a log line names the request."""
    caplog.set_level(logging.INFO, logger="mock_exchange")
    async with aiohttp.ClientSession() as s:
        for method in ("GET", "POST", "PUT", "DELETE"):
            url = emulator.url("https://api.binance.com/api/v3/sor/x")
            async with s.request(method, url, data=b"symbol=BTCUSDT") as r:
                body = await r.json()
                assert r.status == 404 and body == {
                    "code": -1020,
                    "msg": "This operation is not supported.",
                }
                assert r.headers["Content-Type"].startswith("application/json")
            assert f"{method} api.binance.com/api/v3/sor/x" in caplog.text
