"""``python -m mock_exchange serve`` as a real process."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from mock_exchange import MockExchange, ServerConfig
from mock_exchange.script import load_markets_file, load_scenario_script, play_script


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
async def test_serve_prints_url_and_stops_on_signal(sig: signal.Signals) -> None:
    """serve prints its base URL and the URL rule, answers requests, and exits 0 on a signal."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mock_exchange",
        "serve",
        "--port",
        "0",
        "--rate",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    first = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
    rule = (await asyncio.wait_for(proc.stdout.readline(), 5)).decode()
    assert first.startswith("mock_exchange listening on http://127.0.0.1:")
    assert "https://HOST/PATH" in rule
    base = first.split()[-1]
    body = await asyncio.to_thread(
        lambda: urllib.request.urlopen(f"{base}/api.binance.com/api/v3/ping", timeout=5).read()
    )
    assert body == b"{}"
    proc.send_signal(sig)
    assert await asyncio.wait_for(proc.wait(), 15) == 0
    rest = (await proc.stdout.read()).decode()
    assert "shutting down" in rest


def test_help_lists_options(capsys: pytest.CaptureFixture[str]) -> None:
    """--help documents every serve option."""
    from mock_exchange.__main__ import main

    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out
    for option in (
        "--host",
        "--port",
        "--seed",
        "--rate",
        "--frozen-clock",
        "--markets",
        "--scenario",
    ):
        assert option in out


async def test_serve_with_markets_and_scenario(tmp_path: Path) -> None:
    """--markets adds a symbol to exchangeInfo; --scenario applies setup and plays its script."""
    markets = tmp_path / "markets.yaml"
    markets.write_text(
        "- {symbol: SOLUSDT, base: SOL, quote: USDT, initial_price: '150.00'}\n"
        "- {symbol: SOLUSDT, kind: usdm, base: SOL, quote: USDT, initial_price: '150.00'}\n"
    )
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "name: cli-script\nsetup: {rate: 0, frozen_clock: true}\n"
        "emulator:\n  - advance_clock: 5000\n  - fault: {kind: withhold_ack, count: 3}\n"
        "steps:\n  - call: watch_ticker\n"
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mock_exchange",
        "serve",
        "--markets",
        str(markets),
        "--scenario",
        str(scenario),
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        lines = [(await asyncio.wait_for(proc.stdout.readline(), 30)).decode() for _ in range(4)]
        assert lines[3].startswith("scenario cli-script: played 2 emulator actions")
        base = lines[0].split()[-1]

        def fetch(path: str) -> Any:
            return json.loads(urllib.request.urlopen(f"{base}{path}", timeout=5).read())

        info = await asyncio.to_thread(fetch, "/api.binance.com/api/v3/exchangeInfo")
        assert "SOLUSDT" in {s["symbol"] for s in info["symbols"]}
        finfo = await asyncio.to_thread(fetch, "/fapi.binance.com/fapi/v1/exchangeInfo")
        assert "SOLUSDT" in {s["symbol"] for s in finfo["symbols"]}
        faults = await asyncio.to_thread(fetch, "/_mock/faults")
        assert faults["faults"][0]["count"] == 3
        clock = await asyncio.to_thread(fetch, "/_mock/clock")
        assert clock["frozen"] is True
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 15) == 0


def test_script_and_markets_errors(tmp_path: Path) -> None:
    """Malformed scenario scripts and market files are refused with a message naming them."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nemulator:\n  - explode: 1\nsteps: []\n")
    with pytest.raises(ValueError, match=r"bad.yaml:3: emulator explode: unknown action"):
        load_scenario_script(bad)
    bad.write_text("name: x\nemulator:\n  - advance_clock: -1\nsteps: []\n")
    with pytest.raises(ValueError, match="needs a number"):
        load_scenario_script(bad)
    bad.write_text("- 1\n")
    with pytest.raises(ValueError, match="not a scenario"):
        load_scenario_script(bad)
    with pytest.raises(ValueError, match="list of market entries"):
        load_markets_file(bad)
    with_markets = tmp_path / "m.yaml"
    with_markets.write_text(
        "name: m\nsetup: {seed: 3, markets: [{symbol: ADAUSDT, base: ADA, quote: USDT}]}\n"
        "steps: []\n"
    )
    config = load_scenario_script(with_markets).apply_setup(ServerConfig())
    assert config.seed == 3 and "ADAUSDT" in {m.symbol for m in config.markets}
    with_markets.write_text("name: m\nsetup: {markets: 3}\nsteps: []\n")
    with pytest.raises(ValueError, match=r"setup\.markets"):
        load_scenario_script(with_markets).apply_setup(ServerConfig())
    only = tmp_path / "only.yaml"
    only.write_text("markets: [{symbol: ETHBTC}]\nextend: false\n")
    assert [m.symbol for m in load_markets_file(only)] == ["ETHBTC"]


async def test_play_script_on_a_running_emulator() -> None:
    """play_script applies faults, clock moves, rate changes and pushes in order."""
    async with MockExchange(config=ServerConfig(rate=0, frozen_clock=True)) as mx:
        before = mx.clock.now_ms()
        played = play_script(
            mx,
            [
                {"advance_clock": 250},
                {"rate": 3},
                {"fault": {"kind": "delay_ack", "delay_ms": 5}},
                {"push": {"frame": {"x": 1}}},
            ],
        )
        assert played == 4 and mx.clock.now_ms() == before + 250
        assert mx.activity.rate == 3 and mx.control.faults[0].kind == "delay_ack"
