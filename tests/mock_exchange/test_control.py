"""One control vocabulary: the action table drives HTTP, Python, serve --scenario and scenarios."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from mock_exchange import (
    CONTROL_ACTIONS,
    SCRIPT_ACTIONS,
    MockExchange,
    ServerConfig,
    action_schema,
    check_action,
    check_setup,
    config_from_setup,
)
from mock_exchange.config import SETUP_SCHEMA
from mock_exchange.control import find_http
from mock_exchange.faults import redact
from mock_exchange.script import load_scenario_script, play_script
from tests.serve import serve

REPO = Path(__file__).resolve().parents[2]
LIFETIME = REPO / "scenarios" / "spot" / "lifetime_24h.yaml"

# one value per script action, as a scenario would write it
SAMPLES: dict[str, Any] = {
    "reset": 4,
    "advance_clock": 250,
    "clock": "freeze",
    "rate": 0,
    "fault": {"kind": "withhold_ack", "method": "SUBSCRIBE"},
    "clear_faults": {},
    "push": {"frame": {"x": 1}, "stream": "btcusdt@trade"},
    "order": {"symbol": "BTCUSDT", "side": "SELL", "quantity": "0.01", "price": "95000"},
    "liquidate": {"symbol": "BTCUSDT", "side": "SELL", "quantity": "0.005"},
    "shutdown": {},
    "clear_journal": {},
    "account": {"apiKey": "k-1", "secret": "s", "balances": {"USDT": "100"}},
    "deposit": {"apiKey": "k-1", "asset": "USDT", "amount": "5", "wallet": "spot"},
    "borrow_rate": {"asset": "BTC", "dailyInterestRate": "0.0003"},
    "force_liquidation": {
        "apiKey": "k-1",
        "symbol": "BTCUSDT",
        "side": "SELL",
        "price": "1",
        "qty": "1",
    },
}


def test_scenario_schema_is_the_control_table() -> None:
    """scenarios/schema.json's emulatorAction and setup are exactly the emulator's own schemas."""
    doc = json.loads((REPO / "scenarios" / "schema.json").read_text(encoding="utf-8"))
    assert doc["$defs"]["emulatorAction"] == action_schema()
    assert doc["properties"]["setup"] == SETUP_SCHEMA
    assert set(action_schema()["properties"]) == set(SCRIPT_ACTIONS) == set(SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_script_action_has_an_http_route_that_gives_its_value_back(name: str) -> None:
    """A script action's HTTP request decodes, on the server side, to the same checked value."""
    action = CONTROL_ACTIONS[name]
    assert action.check is not None
    value = action.check(SAMPLES[name])
    method, path, body = action.request(value)
    found, route, params = find_http(method, path)
    assert found is action
    assert route.value({**body, **params}) == value


@pytest.mark.parametrize(
    ("action", "fragment"),
    [
        ({"explode": 1}, "unknown action 'explode'"),
        ({"journal": None}, "unknown action 'journal'"),
        ({"advance_clock": -1}, "advance_clock needs a number >= 0"),
        ({"advance_clock": True}, "advance_clock needs a number >= 0"),
        ({"rate": "fast"}, "rate needs a number >= 0"),
        ({"clock": "stop"}, "clock needs 'freeze' or 'resume'"),
        ({"fault": {"kind": "nonsense"}}, "unknown fault kind 'nonsense'"),
        ({"fault": {"kind": "close", "colour": 1}}, "unknown fault options ['colour']"),
        ({"fault": "close"}, "fault needs a mapping with 'kind'"),
        ({"push": {"stream": "x"}}, "push needs a mapping with 'frame'"),
        ({"push": {"frame": 1, "to": 2}}, "push takes frame and stream"),
        ({"shutdown": 3}, "shutdown takes no value"),
        ({"reset": "x"}, "reset needs an integer seed"),
        ({"rate": 1, "push": {}}, "exactly one key"),
    ],
)
def test_check_action_refuses_with_a_reason(action: dict[str, Any], fragment: str) -> None:
    """The one action validator names what is wrong with a script action."""
    with pytest.raises(ValueError) as info:
        check_action(action)
    assert fragment in str(info.value)


def test_setup_is_read_once_for_every_player() -> None:
    """clock.frozen and frozen_clock are one setting; present keys override, absent keep."""
    assert config_from_setup({"clock": {"frozen": True}}).frozen_clock is True
    assert config_from_setup({"frozen_clock": True}).frozen_clock is True
    cli = ServerConfig(seed=9, rate=2.0, frozen_clock=True)
    config = config_from_setup({"rate": 0, "clock": {"start_ms": 5}}, cli)
    assert (config.seed, config.rate, config.frozen_clock, config.start_ms) == (9, 0.0, True, 5)
    only = config_from_setup({"markets": [{"symbol": "ETHBTC"}], "only_markets": True})
    assert [m.symbol for m in only.markets] == ["ETHBTC"]
    assert config_from_setup({"server": {"warmup_ms": 0}}).warmup_ms == 0
    for bad, fragment in [
        ({"server": {"nope": 1}}, "setup.server: unknown emulator setting 'nope'"),
        ({"server": {"warmup_ms": "soon"}}, "setup.server.warmup_ms must be int"),
        ({"markets": 3}, "setup.markets must be a list of entries"),
        ({"clock": {"frozen": "yes"}}, "setup.clock.frozen must be true or false"),
        ({"clock": {"paused": True}}, "setup.clock must be a mapping of frozen and start_ms"),
        ({"seed": 1.5}, "setup.seed must be an integer"),
        ({"colour": 1}, "setup: unknown keys ['colour']"),
    ]:
        with pytest.raises(ValueError) as info:
            check_setup(bad)
        assert fragment in str(info.value)


async def test_python_api_runs_table_rows_and_redacts_the_journal() -> None:
    """mx.act runs any row by name with the script's checks; the journal hides secrets."""
    async with MockExchange(config=ServerConfig(rate=0, frozen_clock=True)) as mx:
        before = mx.clock.now_ms()
        assert mx.act("advance_clock", 40) == {"now": before + 40}
        assert mx.act("clock_state") == {"now": before + 40, "frozen": True}
        assert mx.act("fault", {"kind": "delay_ack", "delay_ms": 5})["kind"] == "delay_ack"
        assert mx.act("faults")["faults"][0]["delay_ms"] == 5
        assert mx.act("clear_faults", {}) == {"faults": []}
        with pytest.raises(ValueError, match="unknown control action"):
            mx.act("explode")
        with pytest.raises(ValueError, match="needs a number"):
            mx.act("rate", -1)
        url = mx.url("wss://ws-api.binance.com/ws-api/v3")
        frame = '{"id":1,"method":"time","params":{"apiKey":"k3y","signature":"s1g"}}'
        async with aiohttp.ClientSession() as s, s.ws_connect(url) as ws:
            await ws.send_str(frame)
            assert (await ws.receive_json())["status"] == 200
        texts = [e.text for e in mx.control.journal]
        assert texts and all("k3y" not in t and "s1g" not in t for t in texts)
    assert redact("GET /x?symbol=A&signature=abc&b=1") == "GET /x?symbol=A&signature=<redacted>&b=1"


def test_lifetime_scenario_setup_freezes_the_clock_in_serve() -> None:
    """serve --scenario reads lifetime_24h.yaml's clock: {frozen: true} (it used to run live)."""
    script = load_scenario_script(LIFETIME)
    config = script.apply_setup(ServerConfig())
    assert (config.frozen_clock, config.seed, config.rate) == (True, 22, 0.0)


async def test_serve_scenario_plays_lifetime_24h_on_a_frozen_clock() -> None:
    """serve --scenario spot/lifetime_24h.yaml: the clock stands still until advanced, and a
    stream connection is closed with 1000 when the clock passes 24 h, as the scenario expects."""
    async with serve("--scenario", str(LIFETIME), lines=4) as lines:
        assert lines[3].startswith("scenario spot-24h-rotation: played 0 emulator actions")
        base = lines[0].split()[-1]

        def call(method: str, path: str, body: Any = None) -> Any:
            data = None if body is None else json.dumps(body).encode()
            req = urllib.request.Request(f"{base}{path}", data=data, method=method)
            return json.loads(urllib.request.urlopen(req, timeout=5).read())

        clock = await asyncio.to_thread(call, "GET", "/_mock/clock")
        assert clock["frozen"] is True
        time_path = "/api.binance.com/api/v3/time"
        first = await asyncio.to_thread(call, "GET", time_path)
        second = await asyncio.to_thread(call, "GET", time_path)
        assert first["serverTime"] == second["serverTime"] == clock["now"]
        async with (
            aiohttp.ClientSession() as s,
            s.ws_connect(f"{base}/stream.binance.com:9443/ws/btcusdt@ticker") as ws,
        ):
            await asyncio.to_thread(call, "POST", "/_mock/clock/advance", {"ms": 1000})
            ticker = await asyncio.wait_for(ws.receive_json(), 10)
            assert ticker["e"] == "24hrTicker" and ticker["E"] == clock["now"] + 1000
            await asyncio.to_thread(call, "POST", "/_mock/clock/advance", {"ms": 86_400_000})
            msg = await asyncio.wait_for(ws.receive(), 10)
            while msg.type == aiohttp.WSMsgType.TEXT:
                msg = await asyncio.wait_for(ws.receive(), 10)
            assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 1000


async def test_script_actions_play_through_the_table() -> None:
    """play_script runs clock and order actions that the script runner used not to know."""
    async with MockExchange(config=ServerConfig(rate=0)) as mx:
        assert not mx.clock.frozen
        traded = len(mx.engine.recent_trades("BTCUSDT"))
        played = play_script(
            mx,
            [
                {"clock": "freeze"},
                {
                    "order": {
                        "symbol": "BTCUSDT",
                        "side": "SELL",
                        "type": "MARKET",
                        "quantity": "0.01",
                    }
                },
            ],
        )
        assert played == 2 and mx.clock.frozen
        assert len(mx.engine.recent_trades("BTCUSDT")) > traded
