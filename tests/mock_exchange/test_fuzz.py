"""Hypothesis fuzzing of each transport: any input gets a documented answer and serving goes on.

This module fuzzes with the rules relaxed (no rate limits, a frozen clock) so every input
reaches a handler; ``test_fuzz_default_rules.py`` fuzzes the default rules with wider values.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from websockets.sync.client import ClientConnection, connect

from mock_exchange import ServerConfig
from mock_exchange.routing import WSAPI_METHODS
from mock_exchange.transports.rules import FUTURES_RULES, SPOT_RULES
from tests.mock_exchange.fuzzing import (
    PARAM_NAMES,
    PATHS,
    fuzz_settings,
    http_get,
    threaded_emulator,
)

FUZZ = fuzz_settings(60)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """An emulator on its own thread and loop: frozen clock, no activity, rules relaxed."""
    config = ServerConfig(
        seed=5,
        rate=0,
        frozen_clock=True,
        rate_limits=False,
        spot_rules=SPOT_RULES.relaxed(),
        futures_rules=FUTURES_RULES.relaxed(),
    )
    with threaded_emulator(config) as url:
        yield url


_VALUES = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["BTCUSDT", "ETHBTC", '["BTCUSDT"]', "1m", "5", "-1", "1d", "MINI", "[bad"]),
    st.integers(-5, 10**6).map(str),
)


@FUZZ
@given(
    path=st.sampled_from(PATHS),
    host=st.sampled_from(["api.binance.com", "fapi.binance.com", "dapi.binance.com"]),
    params=st.dictionaries(st.sampled_from(PARAM_NAMES), _VALUES, max_size=4),
)
def test_fuzz_rest(base_url: str, path: str, host: str, params: dict[str, str]) -> None:
    """Any REST request gets 200 or a {code,msg} error; the server then still answers ping."""
    query = urllib.parse.urlencode(params)
    status, body = http_get(f"{base_url}/{host}{path}?{query}")
    assert status in (200, 400, 401, 404)
    if status != 200:
        assert isinstance(body["code"], int) and isinstance(body["msg"], str)
    assert http_get(f"{base_url}/api.binance.com/api/v3/ping") == (200, {})


_IDS = st.one_of(
    st.none(), st.integers(-(2**70), 2**70), st.text(max_size=40), st.booleans(), st.floats()
)
_STREAM_NAMES = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        [
            "btcusdt@trade",
            "ethbtc@depth5@100ms",
            "!miniTicker@arr",
            "x@y",
            "btcusdt@markPrice@1s",
            "btcusd_perp@depth@500ms",
            "!forceOrder@arr",
        ]
    ),
)
_STREAM_FRAMES = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda m, p, i: json.dumps({"method": m, "params": p, "id": i}),
        st.one_of(
            st.sampled_from(
                ["SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "SET_PROPERTY", "GET_PROPERTY"]
            ),
            st.text(max_size=10),
            st.integers(),
        ),
        st.one_of(
            st.lists(st.one_of(_STREAM_NAMES, st.booleans(), st.integers()), max_size=3),
            st.none(),
            st.text(max_size=5),
        ),
        _IDS,
    ),
)


def _reply(ws: ClientConnection) -> Any:
    return json.loads(ws.recv(timeout=5))


@FUZZ
@given(
    frames=st.lists(_STREAM_FRAMES, min_size=1, max_size=5),
    entry=st.sampled_from(
        [
            "stream.binance.com/ws",
            "stream.binance.com:9443/stream",
            "fstream.binance.com/public/ws/1",
            "fstream.binance.com/market/stream",
            "dstream.binance.com/ws",
        ]
    ),
)
def test_fuzz_market_streams(base_url: str, frames: list[str], entry: str) -> None:
    """Every stream control frame gets one ACK/result or nested error; the socket stays open."""
    with connect(f"{base_url.replace('http', 'ws')}/{entry}") as ws:
        for frame in frames:
            ws.send(frame)
            reply = _reply(ws)
            assert set(reply) in ({"result", "id"}, {"error", "id"})
            if "error" in reply:
                assert isinstance(reply["error"]["code"], int) and reply["error"]["msg"]
        ws.send(b"\x00binary")
        assert _reply(ws)["error"]["code"] == 3
        ws.send('{"method":"LIST_SUBSCRIPTIONS","id":1}')
        assert _reply(ws)["id"] == 1


_WSAPI_FRAMES = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda i, m, p: json.dumps({"id": i, "method": m, "params": p}),
        _IDS,
        st.one_of(st.sampled_from(sorted(WSAPI_METHODS["spot"])), st.text(max_size=12)),
        st.one_of(
            st.dictionaries(st.sampled_from([*PARAM_NAMES, "returnRateLimits"]), _VALUES),
            st.lists(st.integers(), max_size=2),
            st.none(),
        ),
    ),
)


@FUZZ
@given(frames=st.lists(_WSAPI_FRAMES, min_size=1, max_size=5))
def test_fuzz_ws_api(base_url: str, frames: list[str]) -> None:
    """Every WS API frame gets an {id,status,result|error} envelope; the session goes on."""
    with connect(f"{base_url.replace('http', 'ws')}/ws-api.binance.com/ws-api/v3") as ws:
        for frame in frames:
            ws.send(frame)
            reply = _reply(ws)
            assert reply["status"] in (200, 400, 401, 429, 418)
            assert ("result" in reply) != ("error" in reply)
            if "error" in reply:
                assert isinstance(reply["error"]["code"], int) and reply["error"]["msg"]
        ws.send('{"id":"x","method":"ping"}')
        assert _reply(ws)["result"] == {}
