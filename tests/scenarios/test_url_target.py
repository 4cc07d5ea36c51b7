"""The documented ``url=`` target runs shipped scenarios green against one shared server
(issue 10, item 14): scenarios on one server never overlap, and a reset restores everything a
scenario's setup names."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from mock_exchange import MockExchange, ServerConfig
from scenarios import runner
from scenarios.loader import load_file, load_text
from scenarios.runner import ScenarioResult, run_many
from scenarios.targets import Target, parse_target

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"
START = 1_767_225_600_000  # 2026-01-01T00:00:00Z


async def control(mx: MockExchange, method: str, op: str, body: Any = None) -> Any:
    """Call the control API of ``mx``; return the JSON answer (asserting 200)."""
    async with (
        aiohttp.ClientSession() as s,
        s.request(method, f"{mx.base_url}/_mock/{op}", json=body) as r,
    ):
        assert r.status == 200, await r.text()
        return await r.json()


async def test_reset_restores_clock_rate_bans_faults_and_journal() -> None:
    """reset {seed, rate, clock} puts the clock where the setup says (even backwards), lifts
    bans, clears faults and the journal, and the streams follow the restarted clock."""
    async with MockExchange(config=ServerConfig(rate=5)) as mx, aiohttp.ClientSession() as s:
        time_url = mx.url("https://api.binance.com/api/v3/time")
        await control(mx, "POST", "clock/freeze")
        await control(mx, "POST", "clock/advance", {"ms": 48 * 3_600_000})
        await control(mx, "POST", "faults", {"kind": "force_418"})
        async with s.get(time_url) as r:
            assert r.status == 418  # and now the caller is banned
        await control(mx, "POST", "faults", {"kind": "withhold_ack", "count": -1})
        answer = await control(
            mx,
            "POST",
            "reset",
            {"seed": 8, "rate": 0, "clock": {"frozen": True, "start_ms": START}},
        )
        assert answer == {"seed": 8, "rate": 0.0, "now": START, "frozen": True}
        assert mx.control.faults == [] and list(mx.control.journal) == []
        async with s.get(time_url) as r:
            assert r.status == 200 and (await r.json())["serverTime"] == START
        async with s.ws_connect(mx.url("wss://stream.binance.com/ws/btcusdt@ticker")) as ws:
            mx.clock.advance(1000)
            ticker = await asyncio.wait_for(ws.receive_json(), 5)
            assert ticker["E"] == START + 1000
        running = await control(mx, "POST", "reset", {"clock": {}})
        assert running["frozen"] is False and running["seed"] == 8


async def test_url_target_applies_start_ms_after_a_scenario_moved_the_clock() -> None:
    """With --jobs 1 on a shared server whose clock earlier scenarios left 48 h ahead, a
    scenario that names clock.start_ms gets exactly that time (it failed on a stale clock)."""
    async with MockExchange(config=ServerConfig(rate=5)) as mx:
        await control(mx, "POST", "clock/advance", {"ms": 48 * 3_600_000})
        target = parse_target(f"url={mx.base_url}")
        scenario = load_file(LIBRARY / "spot" / "pushed_trade.yaml")
        (result,) = await run_many([(scenario, target)], jobs=1)
    assert result.status == "passed", result.message


async def test_scenarios_on_one_server_never_overlap(monkeypatch: pytest.MonkeyPatch) -> None:
    """run_many runs the pairs of one url= server one at a time (others stay parallel)."""
    active: dict[str, int] = {}
    peak: dict[str, int] = {}
    real = runner.run_scenario

    async def counted(scenario: Any, target: Target, stop: Any = None) -> ScenarioResult:
        active[target.name] = active.get(target.name, 0) + 1
        peak[target.name] = max(peak.get(target.name, 0), active[target.name])
        try:
            await asyncio.sleep(0)  # let every other started run begin before this one ends
            return ScenarioResult(scenario.name, scenario.file, target.name, "passed", 0.0)
        finally:
            active[target.name] -= 1

    monkeypatch.setattr(runner, "run_scenario", counted)
    one = load_text("name: x\ntargets: [emulator]\nsteps:\n  - call: load_markets\n")
    shared = [
        Target("url", "http://127.0.0.1:1"),
        Target("emulated", "http://127.0.0.1:1/", "prod"),
    ]
    pairs = [(one, t) for t in shared for _ in range(4)] + [(one, Target("emulator"))] * 4
    results = await run_many(pairs, jobs=4)
    assert real is not counted and len(results) == 12
    assert peak["url=http://127.0.0.1:1"] == 1 and peak["prod@http://127.0.0.1:1/"] == 1
    assert active == {name: 0 for name in peak}
    assert peak["emulator"] > 1


LEAKY = [
    "spot/disconnect_resubscribe.yaml",  # closes every connection with 1012
    "spot/rest_418.yaml",  # bans the caller
    "spot/lifetime_24h.yaml",  # moves the clock 24 h
    "spot/pushed_trade.yaml",  # needs clock.start_ms
    "spot/ticker_subscribe.yaml",
    "spot/trades.yaml",
    "spot/missed_pongs.yaml",
    "spot/withheld_ack.yaml",
]


async def test_shipped_scenarios_pass_on_one_shared_server_with_four_jobs() -> None:
    """Scenarios that close every connection, ban the caller or move the clock no longer leak
    into the others on one url= server with the default four jobs."""
    async with MockExchange(config=ServerConfig(rate=5)) as mx:
        target = parse_target(f"url={mx.base_url}")
        pairs = [(load_file(LIBRARY / name), target) for name in LEAKY]
        results = await run_many(pairs, jobs=4)
    failed = [f"{r.scenario}: {r.message}" for r in results if r.status != "passed"]
    assert failed == []


def test_a_setup_a_running_server_cannot_take_skips_there_with_the_reason() -> None:
    """setup.markets / server need the embedded emulator: on url= and ENV@URL targets the
    scenario is skipped saying so (it used to run on the server's own markets and fail)."""
    fixed = load_text(
        "name: x\ntargets: [emulator, testnet]\nsetup:\n  markets: [{symbol: BTCUSDT, "
        "max_num_orders: 2}]\nsteps:\n  - call: load_markets\n"
    )
    for name in ("url=http://127.0.0.1:1", "testnet@http://127.0.0.1:1"):
        reason = parse_target(name).skip_reason(fixed)
        assert reason is not None and reason.startswith("setup.markets cannot be applied")
    assert parse_target("emulator").skip_reason(fixed) is None
    plain = load_text(
        "name: y\ntargets: [emulator]\nsetup: {rate: 0}\nsteps:\n  - call: load_markets\n"
    )
    assert parse_target("url=http://127.0.0.1:1").skip_reason(plain) is None
