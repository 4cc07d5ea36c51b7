"""Live gates for the private half: keys inferred from the client's method table, key types,
order gates, and ``--target live`` without keys skipping every private scenario with why."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from scenarios import discover, load_file, load_text
from scenarios.__main__ import main
from scenarios.accounts import describe_gates, required_gates
from scenarios.targets import Target, gate_reason, live_targets_from_env

HMAC_TESTNET = {"BINANCE_TESTNET_API_KEY": "k", "BINANCE_TESTNET_API_SECRET": "s"}


def _ed25519_pem() -> str:
    return (
        ed25519.Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def test_keys_are_inferred_for_private_methods_without_a_telling_prefix() -> None:
    """watch_balance, authenticate, user_data_stream_status and signed raw steps need keys;
    public calls do not; mutations add live_orders and cancel-all cancel_all."""
    for call in ("watch_balance", "authenticate", "user_data_stream_status",
                 "keep_alive_listen_key", "fetch_my_trades"):  # fmt: skip
        s = load_text(f"name: k\nsteps:\n  - call: {call}\n")
        assert required_gates(s) == {"keys"}, call
    assert required_gates(load_text("name: p\nsteps:\n  - call: watch_ticker\n")) == set()
    raw = load_text("name: r\nsteps:\n  - request: {path: /api/v3/account, auth: signed}\n")
    assert required_gates(raw) == {"keys"}
    edit = load_text("name: e\nsteps:\n  - call: edit_order_ws\n")
    assert required_gates(edit) == {"keys", "live_orders"}
    cancel = load_text(
        "name: c\nsteps:\n  - call: authenticate\ncleanup:\n  - call: cancel_all_orders\n"
    )
    assert required_gates(cancel) == {"keys", "live_orders", "cancel_all"}


def test_live_reasons_keys_then_key_type_then_order_gates() -> None:
    """Without the environment's own keys the reason names its family; a key of another
    type than the setup's names the type needed; then the order gates, each by variable."""
    scenario = load_text(
        "name: l\nsetup: {account: {key_type: ed25519}}\nsteps:\n  - call: create_order_ws\n"
    )
    assert "BINANCE_TESTNET_API_KEY" in str(gate_reason(scenario, "testnet", {}))
    assert "BINANCE_TESTNET_API_KEY" in str(
        gate_reason(
            scenario, "testnet", {"BINANCE_PROD_API_KEY": "k", "BINANCE_PROD_API_SECRET": "s"}
        )
    )  # another environment's keys never count
    why = str(gate_reason(scenario, "testnet", HMAC_TESTNET))
    assert why.startswith("needs an Ed25519 key") and "BINANCE_TESTNET_PRIVATE_KEY" in why
    ed = {"BINANCE_TESTNET_API_KEY": "k", "BINANCE_TESTNET_PRIVATE_KEY": _ed25519_pem()}
    assert "BINANCE_LIVE_ORDERS=1" in str(gate_reason(scenario, "testnet", ed))
    assert gate_reason(scenario, "testnet", {**ed, "BINANCE_LIVE_ORDERS": "1"}) is None
    assert [t.name for t in live_targets_from_env(ed)] == ["testnet"]


def test_gates_are_described_per_target_kind() -> None:
    """The report says how each gate was met: by variable live, by the emulator emulated."""
    s = load_text("name: g\nsteps:\n  - call: cancel_all_orders_ws\n")
    assert describe_gates(s, "live", "demo") == [
        "keys: BINANCE_DEMO_*",
        "live_orders: BINANCE_LIVE_ORDERS=1",
        "cancel_all: BINANCE_CONFIRM_CANCEL_ALL=1",
    ]
    assert describe_gates(s, "emulated", "demo")[0] == "keys: an emulator account as BINANCE_DEMO_*"
    assert describe_gates(s, "emulator", None) == []


def test_every_shipped_private_scenario_skips_live_without_keys() -> None:
    """On each live environment with no key variables, every shipped scenario that needs keys
    is skipped with a reason naming the variables (or its validity); public ones are not."""
    private = 0
    for file in discover(None):
        s = load_file(file)
        for env in ("testnet", "demo", "prod"):
            reason = Target("live", env=env).skip_reason(s, {})
            if "keys" in required_gates(s):
                assert reason is not None, (file, env)
                assert f"BINANCE_{env.upper()}_API_KEY" in reason or "not valid" in reason
            elif env in s.targets:
                assert reason is None, (file, env, reason)
        private += "keys" in required_gates(s)
    assert private >= 20


def test_run_live_without_keys_skips_everything_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``python -m scenarios run --target live`` (tox -e live) with no variables: every
    scenario, private ones included, is skipped with the reason, and the run passes."""
    for name in list(os.environ):
        if name.startswith("BINANCE_"):
            monkeypatch.delenv(name)
    assert main(["run", "--target", "live"]) == 0
    out = capsys.readouterr().out
    assert "\n0 passed, 0 failed, " in out
    assert "no live environment configured" in out
    monkeypatch.setenv("BINANCE_PRO_ENV", "testnet")
    private = [str(f) for f in discover(None) if "private" in f.parts]
    assert main(["run", "--target", "live", *private]) == 0
    out = capsys.readouterr().out
    assert "0 passed, 0 failed" in out and "needs BINANCE_TESTNET_API_KEY" in out
