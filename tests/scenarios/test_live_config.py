"""Live targets for run and soak: one vocabulary, typos named, --require-live (issue 10,
item 15)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from client.environments import ENVIRONMENTS, Endpoints
from scenarios.__main__ import main
from scenarios.soak import SoakConfig, run_soak
from scenarios.targets import expand_targets

LIST_SUBS = Path(__file__).resolve().parents[2] / "scenarios" / "spot" / "list_subscriptions.yaml"


@pytest.fixture
def no_live(monkeypatch: pytest.MonkeyPatch) -> None:
    """No BINANCE_* or CCXT_PRO_SOAK_* variable is set."""
    for var in [v for v in os.environ if v.startswith(("BINANCE_", "CCXT_PRO_SOAK_"))]:
        monkeypatch.delenv(var)


@pytest.mark.usefixtures("no_live")
@pytest.mark.parametrize("how", ["flag", "env"])
def test_soak_target_live_with_nothing_configured_skips_with_the_reason(
    how: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """soak --target live (or CCXT_PRO_SOAK_TARGET=live) is accepted, as the docs say; with
    no live environment configured it skips naming what to set (it was 'unknown target')."""
    args = ["soak", "--seconds", "1"]
    if how == "flag":
        args += ["--target", "live"]
    else:
        monkeypatch.setenv("CCXT_PRO_SOAK_TARGET", "live")
    assert main(args) == 0
    out, err = capsys.readouterr()
    assert "unknown target" not in err
    assert "soak live: skipped, no live environment configured" in out


@pytest.mark.usefixtures("no_live")
def test_soak_target_names_any_target(monkeypatch: pytest.MonkeyPatch) -> None:
    """CCXT_PRO_SOAK_TARGET takes every target run takes (an emulator URL, ENV@emulator)."""
    for target in ("url=http://127.0.0.1:9", "testnet@emulator", "sandbox", "live"):
        monkeypatch.setenv("CCXT_PRO_SOAK_TARGET", target)
        assert SoakConfig.from_env().target == target


@pytest.mark.usefixtures("no_live")
def test_a_mistyped_binance_pro_env_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A BINANCE_PRO_ENV that names no environment is named in the skip reason of run
    --target live and refused by soak, instead of everything silently skipping."""
    monkeypatch.setenv("BINANCE_PRO_ENV", "tesnet")
    (unset,) = expand_targets(["live"])
    assert unset.reason is not None
    assert unset.reason.startswith("BINANCE_PRO_ENV='tesnet' is not a live environment")
    assert main(["run", str(LIST_SUBS), "--target", "live"]) == 0
    assert "BINANCE_PRO_ENV='tesnet' is not a live environment" in capsys.readouterr().out
    assert main(["soak", "--seconds", "1"]) == 2
    assert "BINANCE_PRO_ENV='tesnet' is not a live environment" in capsys.readouterr().err
    monkeypatch.setenv("BINANCE_PRO_ENV", "testnet")
    monkeypatch.setenv("BINANCE_ENV", "prd")
    monkeypatch.setenv("BINANCE_API_KEY", "k")
    monkeypatch.setenv("BINANCE_API_SECRET", "s")
    (testnet,) = expand_targets(["live"])
    assert testnet.env == "testnet"
    monkeypatch.setenv("BINANCE_PRO_ENV", "")
    (unset,) = expand_targets(["live"])
    assert (
        unset.reason is not None and "BINANCE_ENV='prd' is not a live environment" in unset.reason
    )


@pytest.mark.usefixtures("no_live")
@pytest.mark.parametrize("how", ["flag", "env"])
def test_require_live_turns_nothing_configured_into_a_failure(
    how: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--require-live (or BINANCE_REQUIRE_LIVE=1) fails run and soak when no live environment
    is configured, for CI jobs that expect their secrets."""
    extra = ["--require-live"] if how == "flag" else []
    if how == "env":
        monkeypatch.setenv("BINANCE_REQUIRE_LIVE", "1")
    assert main(["run", str(LIST_SUBS), "--target", "live", *extra]) == 2
    err = capsys.readouterr().err
    assert "no live environment configured" in err and "required" in err
    assert main(["soak", "--target", "live", "--seconds", "1", *extra]) == 2
    err = capsys.readouterr().err
    assert "no live environment configured" in err and "required" in err


@pytest.mark.usefixtures("no_live")
async def test_soak_target_live_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """With BINANCE_PRO_ENV=demo, soak --target live soaks demo (here unreachable: skipped)."""
    monkeypatch.setenv("BINANCE_PRO_ENV", "demo")
    dead = Endpoints("demo", "http://127.0.0.1:9", *(["ws://127.0.0.1:9"] * 8))
    monkeypatch.setitem(ENVIRONMENTS, "demo", dead)
    report = await run_soak(SoakConfig(seconds=1, target="live"), io.StringIO())
    assert report.target == "demo" and report.skipped is not None
    assert report.skipped.startswith("cannot reach demo")
