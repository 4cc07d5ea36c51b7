"""Targets: names, credential families, live gates, and the emulated live code path."""

from __future__ import annotations

from pathlib import Path

import pytest

import client
from client.environments import ENVIRONMENTS, Endpoints
from mock_exchange import MockExchange, ServerConfig
from scenarios import load_file, load_text, run_scenario
from scenarios.targets import (
    Target,
    credentials_for,
    expand_targets,
    gate_reason,
    live_targets_from_env,
    parse_target,
)
from tests.serve import serve

FAKE = {
    "BINANCE_PROD_API_KEY": "fake-prod-key",
    "BINANCE_PROD_API_SECRET": "fake-prod-secret",
    "BINANCE_DEMO_API_KEY": "fake-demo-key",
    "BINANCE_DEMO_API_SECRET": "fake-demo-secret",
}


def test_parse_target_names() -> None:
    """Every documented target spelling parses; unknown ones raise with the list of forms."""
    assert parse_target("emulator") == Target("emulator")
    assert parse_target("local") == Target("emulator")
    assert parse_target("sandbox") == Target("live", env="testnet")
    assert parse_target("testnet@emulator").name == "testnet@emulator"
    emulated = parse_target("demo@http://127.0.0.1:9")
    assert (emulated.kind, emulated.env, emulated.base_url) == (
        "emulated",
        "demo",
        "http://127.0.0.1:9",
    )
    assert parse_target("url=http://127.0.0.1:9").name == "url=http://127.0.0.1:9"
    assert not emulated.offline and parse_target("http://127.0.0.1:9").offline
    for bad in ("mars", "emulator@emulator", "prod@ftp://x"):
        with pytest.raises(ValueError, match="unknown target"):
            parse_target(bad)


def test_credential_families_never_mix() -> None:
    """Each environment uses its own key family; the generic pair only where BINANCE_ENV says."""
    assert credentials_for("prod", FAKE) == ("fake-prod-key", "fake-prod-secret")
    assert credentials_for("testnet", FAKE) is None
    generic = {
        "BINANCE_API_KEY": "fake-k",
        "BINANCE_API_SECRET": "fake-s",
        "BINANCE_ENV": "sandbox",
    }
    assert credentials_for("testnet", generic) == ("fake-k", "fake-s")
    assert credentials_for("prod", generic) is None
    assert credentials_for("prod", {"BINANCE_PROD_API_KEY": "only-key"}) is None


def test_live_targets_and_expansion_follow_the_environment() -> None:
    """BINANCE_PRO_ENV and key families select live targets; none selected means one skip target."""
    assert [t.name for t in live_targets_from_env(FAKE)] == ["prod", "demo"]
    assert [t.name for t in live_targets_from_env({"BINANCE_PRO_ENV": "testnet", **FAKE})] == [
        "testnet",
        "prod",
        "demo",
    ]
    assert [t.name for t in expand_targets(None, {})] == ["emulator", "testnet@emulator"]
    (unset,) = expand_targets(["live"], {})
    scenario = load_text("name: s\nsteps:\n  - call: load_markets\n")
    assert unset.skip_reason(scenario, {}) is not None
    assert "no live environment configured" in str(unset.skip_reason(scenario, {}))


def test_gates_for_keys_orders_and_cancel_all() -> None:
    """Order mutations need BINANCE_LIVE_ORDERS=1, cancel_all also BINANCE_CONFIRM_CANCEL_ALL=1."""
    orders = load_text(
        "name: o\nsteps:\n  - call: create_order_ws\ncleanup:\n  - call: cancel_all_orders_ws\n"
    )
    assert "BINANCE_TESTNET_API_KEY" in str(gate_reason(orders, "testnet", {}))  # private
    keyed = {"BINANCE_TESTNET_API_KEY": "k", "BINANCE_TESTNET_API_SECRET": "s"}
    assert "BINANCE_LIVE_ORDERS=1" in str(gate_reason(orders, "testnet", keyed))
    assert "BINANCE_CONFIRM_CANCEL_ALL=1" in str(
        gate_reason(orders, "testnet", {**keyed, "BINANCE_LIVE_ORDERS": "1"})
    )
    opened = {**keyed, "BINANCE_LIVE_ORDERS": "1", "BINANCE_CONFIRM_CANCEL_ALL": "1"}
    assert gate_reason(orders, "testnet", opened) is None
    keys = load_text("name: k\nrequires: [keys]\nsteps:\n  - call: load_markets\n")
    assert "BINANCE_TESTNET_API_KEY" in str(gate_reason(keys, "testnet", FAKE))
    assert gate_reason(keys, "prod", FAKE) is None
    assert Target("emulator").skip_reason(orders, {}) is None


async def test_emulated_target_takes_the_live_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """ENV@emulator mirrors that environment's hosts, reads its key through that
    environment's own family (played by an emulator account, never the real keys), shows
    how the gates were met, and skips emulator-only steps while reporting them."""
    monkeypatch.setenv("BINANCE_DEMO_API_KEY", "real-demo-key")
    monkeypatch.setenv("BINANCE_DEMO_API_SECRET", "real-demo-secret")
    scenario = load_text(
        "name: e\nrequires: [keys]\nemulator:\n  - rate: 3\nsteps:\n  - call: load_markets\n"
        "  - emulator: {advance_clock: 5}\n  - call: load_markets\n    targets: [emulator]\n"
        "  - call: fetch_balance\n    expect: {kind: balance, fields: {total.USDT: {gt: 0}}}\n"
    )
    target = parse_target("demo@emulator")
    assert target.skip_reason(scenario, {}) is None
    async with target.open(scenario) as opened:
        key = opened.exchange.api_key
        assert key is not None and key.startswith("scn") and key != "real-demo-key"
        assert opened.accounts["main"].api_key == key
        assert "/demo-stream.binance.com:9443" in opened.endpoints.spot_streams
        assert opened.endpoints.spot_streams.startswith("ws://127.0.0.1:")
        assert opened.emulator is None
    result = await run_scenario(scenario, target)
    assert result.status == "passed", result.message
    assert [s.split(" ", 1)[1] for s in result.skipped_steps] == [
        "(emulator script)",
        "(emulator script)",
        "(step runs on emulator)",
    ]
    assert result.gates == ["keys: an emulator account as BINANCE_DEMO_*"]
    live = await run_scenario(scenario, parse_target("testnet"))
    assert live.status == "skipped" and "BINANCE_TESTNET_API_KEY" in live.message


async def test_unreachable_live_environment_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    """A live environment that cannot be reached skips the scenario instead of failing it."""
    closed = "http://127.0.0.1:9"  # discard port: nothing listens on loopback
    dead = Endpoints("prod", closed, "ws://127.0.0.1:9", *(["ws://127.0.0.1:9"] * 7))
    monkeypatch.setitem(ENVIRONMENTS, "prod", dead)
    scenario = load_text("name: u\nsteps:\n  - call: load_markets\n")
    result = await run_scenario(scenario, parse_target("prod"))
    assert result.status == "skipped", result.message
    assert result.message.startswith("cannot reach prod")
    assert isinstance(client.NetworkError("x"), client.BaseError)


async def test_emulated_target_against_a_running_emulator() -> None:
    """ENV@http://... takes the live path of ENV against an emulator someone else runs."""
    scenario = load_text(
        "name: r\nsteps:\n  - open: {conn: c, path: /ws}\n"
        "  - send: {conn: c, frame: {method: LIST_SUBSCRIPTIONS, id: 1}}\n"
        "  - recv: {conn: c, match: {id: 1}, expect: {fields: {result: {eq: []}}}}\n"
    )
    async with MockExchange(config=ServerConfig(rate=0)) as mx:
        target = parse_target(f"demo@{mx.base_url}")
        async with target.open(scenario) as opened:
            assert opened.endpoints.spot_streams.startswith(f"ws://127.0.0.1:{mx.port}/demo-")
        result = await run_scenario(scenario, target)
    assert result.status == "passed", result.message
    assert result.target == f"demo@{mx.base_url}"


LIFETIME = Path(__file__).resolve().parents[2] / "scenarios" / "spot" / "lifetime_24h.yaml"


async def test_lifetime_scenario_passes_against_serve_scenario_of_itself() -> None:
    """spot/lifetime_24h.yaml passes against ``mock_exchange serve --scenario`` of the same file
    (frozen clock from its setup, scripted by the runner through /_mock/)."""
    async with serve("--scenario", str(LIFETIME)) as lines:
        result = await run_scenario(
            load_file(LIFETIME), parse_target(f"url={lines[0].split()[-1]}")
        )
    assert result.status == "passed", result.message


async def test_url_target_freezes_a_running_clock_when_setup_says_so() -> None:
    """A url target applies setup's seed, rate and frozen clock through the control table."""
    scenario = load_text(
        "name: f\ntargets: [emulator]\nsetup: {seed: 4, rate: 0, clock: {frozen: true}}\n"
        "steps:\n  - emulator: {advance_clock: 1000}\n  - emulator: {clock: resume}\n"
    )
    async with MockExchange(config=ServerConfig(rate=3)) as mx:
        target = parse_target(mx.base_url)
        async with target.open(scenario) as opened:
            assert mx.clock.frozen and mx.seed == 4 and mx.rate == 0
            assert opened.emulator is not None
            before = mx.clock.now_ms()
            assert await opened.emulator.act("advance_clock", 1000) == {"now": before + 1000}
            assert opened.emulator.now_ms() >= before + 1000
        result = await run_scenario(scenario, target)
    assert result.status == "passed", result.message
    assert not mx.clock.frozen
