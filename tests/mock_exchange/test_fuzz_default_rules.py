"""Hypothesis fuzzing under the default rules, with hostile values (issue 10, item 11).

Unlike ``test_fuzz.py`` the emulator here runs as shipped: rate limits on, a running clock
with background activity, pings and the per-second message limit. Values include non-ASCII
digits, numbers past int64, negative, fractional and exponent forms. Every answer must still be
a documented one (a result, or a Binance error body; never a 5XX), the control API must answer
200 or 400 and keep its clock driver alive, and the server keeps serving. The default suite
runs a few examples; ``tox -e fuzz`` runs many (``FUZZ_EXAMPLES``).
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from mock_exchange import ServerConfig
from mock_exchange.faults import FAULT_KINDS, FAULT_OPTIONS
from mock_exchange.routing import REST_ROUTES, WSAPI_METHODS
from tests.mock_exchange.fuzzing import (
    PARAM_NAMES,
    fuzz_settings,
    http_call,
    http_get,
    threaded_emulator,
)

FUZZ = fuzz_settings(25)
_VALID_ID = re.compile(r"[a-zA-Z0-9_-]{1,36}")
ERROR_STATUSES = (400, 401, 403, 404, 418, 429)

_HOSTILE_TEXT = [
    "\u00b2",  # superscript two: str.isdigit() says yes
    "\u0663",  # Arabic-Indic three
    "\uff11\uff12",  # fullwidth 12
    "\u0967\u0968",  # Devanagari 12
    "1e30",
    "-0",
    "NaN",
    "inf",
    "-inf",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551616",
    "-9223372036854775809",
    "99999999999999999999",
    "999999999999999999999",
    "0x10",
    " 1",
    "1 ",
    "+1",
    "1.5",
    "\x00",
    "",
]
HOSTILE = st.one_of(
    st.sampled_from(_HOSTILE_TEXT),
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(alphabet=st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=6),
    st.sampled_from(["BTCUSDT", "ETHBTC", "BTCUSD_PERP", '["BTCUSDT"]', "1m", "1M", "+08:00"]),
)
JSON_HOSTILE = st.one_of(
    HOSTILE,
    st.integers(-(2**63), 2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
)


@pytest.fixture(scope="module")
def default_url() -> Iterator[str]:
    """An emulator with the default rules: limits on, running clock, background activity."""
    with threaded_emulator(ServerConfig(seed=11, rate=20)) as url:
        yield url


def _unban(url: str, status: int) -> None:
    """After a ban, give the fuzz a fresh market so later inputs reach the handlers again."""
    if status == 418:
        assert http_call(f"{url}/_mock/reset", "POST", b"{}")[0] == 200


_HOSTS = {"spot-rest": "api.binance.com", "usdm-rest": "fapi.binance.com"}
_HOSTS["coinm-rest"] = "dapi.binance.com"
_SYMBOLS = {"spot": "BTCUSDT", "usdm": "BTCUSDT", "coinm": "BTCUSD_PERP"}
_ROUTES = sorted(REST_ROUTES)


_KLINES = ("spot-rest", "GET", "/api/v3/klines")


@FUZZ
@example(route=("spot-rest", "GET", "/api/v3/depth"), symbol=None, params={"limit": "\u00b2"})
@example(route=_KLINES, symbol=None, params={"interval": "1m", "startTime": "\u00b2"})
@example(route=_KLINES, symbol=None, params={"interval": "1M", "startTime": str(10**17)})
@example(route=_KLINES, symbol=None, params={"interval": "1M", "startTime": str(2**63 - 1)})
@given(
    route=st.sampled_from(_ROUTES),
    symbol=st.one_of(st.none(), st.none(), st.none(), HOSTILE),
    params=st.dictionaries(st.sampled_from(PARAM_NAMES[1:]), HOSTILE, max_size=3),
)
def test_fuzz_rest_default_rules(
    default_url: str, route: tuple[str, str, str], symbol: str | None, params: dict[str, str]
) -> None:
    """Any REST request under the default rules (a served route of any verb, a valid symbol or
    a hostile one, hostile parameters) gets 200, a Binance {code,msg} error (429 and 418 with
    Retry-After) or a retired endpoint's 410, never a 5XX; the server then still answers."""
    service, method, path = route
    params = {"symbol": symbol or _SYMBOLS[REST_ROUTES[route].venue], **params}
    url = f"{default_url}/{_HOSTS[service]}{path}?{urllib.parse.urlencode(params)}"
    status, body, headers = http_call(url, method)
    if status == 410:  # a retired endpoint answers Binance's nginx page, not JSON
        assert b"410 Gone" in body
        return
    assert status == 200 or status in ERROR_STATUSES, (status, body)
    if status != 200:
        assert isinstance(body["code"], int) and isinstance(body["msg"], str)
    if status in (418, 429):
        assert int(headers["Retry-After"]) >= 0
    _unban(default_url, status)
    status, _body = http_get(f"{default_url}/api.binance.com/api/v3/ping")
    assert status in (200, 418, 429)
    _unban(default_url, status)


_WSAPI_FRAMES = st.builds(
    lambda i, m, p: json.dumps({"id": i, "method": m, "params": p}),
    st.one_of(st.integers(0, 2**40), st.text(min_size=1, max_size=12)),
    st.sampled_from(sorted(WSAPI_METHODS["spot"])),
    st.dictionaries(st.sampled_from([*PARAM_NAMES, "returnRateLimits"]), JSON_HOSTILE, max_size=4),
)


_KLINES_1M = {"symbol": "BTCUSDT", "interval": "1M"}


@FUZZ
@example(
    frames=[
        json.dumps({"id": 1, "method": "klines", "params": {**_KLINES_1M, "startTime": 2**63 - 1}}),
        json.dumps(
            {"id": 2, "method": "depth", "params": {"symbol": "BTCUSDT", "limit": "\u00b2"}}
        ),
    ]
)
@given(frames=st.lists(_WSAPI_FRAMES, min_size=1, max_size=4))
def test_fuzz_ws_api_default_rules(default_url: str, frames: list[str]) -> None:
    """Every WS API request with hostile values gets a reply carrying its id (or, for an id
    Binance refuses, null with -1135) and a documented status (never 5XX), and the socket
    stays open."""
    url = f"{default_url.replace('http', 'ws')}/ws-api.binance.com/ws-api/v3"
    with connect(url, max_size=None) as ws:
        for frame in frames:
            ws.send(frame)
            reply = json.loads(ws.recv(timeout=10))
            sent = json.loads(frame)["id"]
            if isinstance(sent, int) or _VALID_ID.fullmatch(sent):
                assert reply["id"] == sent
            else:  # Binance answers an id it cannot echo with null and -1135
                assert reply["id"] is None and reply["error"]["code"] == -1135
            assert reply["status"] == 200 or reply["status"] in ERROR_STATUSES, reply
            if "error" in reply:
                assert isinstance(reply["error"]["code"], int) and reply["error"]["msg"]
            _unban(default_url, reply["status"])
        ws.send('{"id":"last","method":"time"}')
        assert json.loads(ws.recv(timeout=10))["id"] == "last"


_STREAM_FRAMES = st.builds(
    lambda m, p, i: json.dumps({"method": m, "params": p, "id": i}),
    st.sampled_from(["SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "SET_PROPERTY"]),
    st.lists(
        st.one_of(
            HOSTILE.map(lambda v: f"btcusdt@depth{v}@100ms"),
            HOSTILE.map(lambda v: f"btcusdt@kline_{v}"),
            st.sampled_from(["btcusdt@kline_1M", "ethbtc@depth5@100ms", "combined"]),
            st.booleans(),
        ),
        max_size=3,
    ),
    st.integers(-(2**70), 2**70),
)


@FUZZ
@given(frames=st.lists(_STREAM_FRAMES, min_size=1, max_size=4))
def test_fuzz_market_streams_default_rules(default_url: str, frames: list[str]) -> None:
    """Hostile stream control frames get one reply each, or, past 5 messages in a clock
    second, the documented 1008 close; a new connection is then served."""
    base = f"{default_url.replace('http', 'ws')}/stream.binance.com:9443"
    with connect(f"{base}/stream", max_size=None) as ws:
        try:
            for frame in frames:
                ws.send(frame)
                reply = json.loads(_next_reply(ws))
                assert "id" in reply and ("result" in reply) != ("error" in reply), reply
        except ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == 1008
    with connect(f"{base}/ws") as ws:
        ws.send('{"method":"LIST_SUBSCRIPTIONS","id":9}')
        assert json.loads(_next_reply(ws)) == {"result": [], "id": 9}


def _next_reply(ws: Any) -> str:
    """Return the next frame that answers a control message (skipping market data)."""
    while True:
        text: str = ws.recv(timeout=10)
        if '"id"' in text and ('"result"' in text or '"error"' in text):
            return text


_FAULTS = st.builds(
    lambda kind, options: {"kind": kind, **options},
    st.sampled_from([k for k in FAULT_KINDS if k not in ("close", "server_shutdown")]),
    st.dictionaries(st.sampled_from(sorted(FAULT_OPTIONS)), JSON_HOSTILE, max_size=3),
)
_CONTROL = st.one_of(
    st.tuples(st.just("faults"), _FAULTS),
    st.tuples(st.just("clock/advance"), st.fixed_dictionaries({"ms": JSON_HOSTILE})),
    st.tuples(st.just("rate"), st.fixed_dictionaries({"rate": JSON_HOSTILE})),
    st.tuples(st.just("reset"), st.fixed_dictionaries({"seed": JSON_HOSTILE})),
    st.tuples(
        st.just("order"),
        st.fixed_dictionaries(
            {"symbol": st.sampled_from(["BTCUSDT", "ETHBTC", "X"]), "side": JSON_HOSTILE},
            optional={"type": JSON_HOSTILE, "quantity": JSON_HOSTILE, "price": JSON_HOSTILE},
        ),
    ),
)


@FUZZ
@example(calls=[("faults", {"kind": "drop_frames", "count": "x"})])
@example(calls=[("clock/advance", {"ms": 1e30})])
@example(calls=[("order", {"symbol": "BTCUSDT", "side": "UP", "quantity": "1", "price": "1"})])
@given(calls=st.lists(_CONTROL, min_size=1, max_size=3))
def test_fuzz_control_api_default_rules(
    default_url: str, calls: list[tuple[str, dict[str, Any]]]
) -> None:
    """Hostile control bodies answer 200 or 400 (never 5XX) and leave the emulator serving."""
    for op, body in calls:
        data = json.dumps(body, default=str).encode()
        status, answer, _headers = http_call(f"{default_url}/_mock/{op}", "POST", data)
        assert status in (200, 400), (op, body, answer)
    assert http_call(f"{default_url}/_mock/faults", "DELETE")[0] == 200
    assert http_call(f"{default_url}/_mock/rate", "POST", b'{"rate": 20}')[0] == 200
    assert http_get(f"{default_url}/_mock/clock")[0] == 200


def test_the_clock_driver_survived_the_fuzz(default_url: str) -> None:
    """After every fuzz above, a ticker stream on that emulator still publishes."""
    url = f"{default_url.replace('http', 'ws')}/stream.binance.com:9443/ws/btcusdt@ticker"
    with connect(url) as ws:
        assert json.loads(ws.recv(timeout=10))["e"] == "24hrTicker"
