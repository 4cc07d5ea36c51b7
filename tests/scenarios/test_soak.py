"""Soak: progress lines, the minimum-updates and memory bounds, configuration and skips."""

from __future__ import annotations

import io

import pytest

from client.environments import ENVIRONMENTS, Endpoints
from scenarios.__main__ import main
from scenarios.soak import SoakConfig, rss_bytes, run_soak


async def test_short_soak_prints_progress_and_passes() -> None:
    """A short soak on the emulator gets updates and prints steady progress lines."""
    out = io.StringIO()
    config = SoakConfig(seconds=1.5, interval=0.5, min_updates=1, symbols=("BTC/USDT", "ETH/USDT"))
    report = await run_soak(config, out)
    assert report.passed, report.failures
    assert report.updates >= 1 and report.rss_start > 0
    lines = out.getvalue().splitlines()
    progress = [line for line in lines if "updates" in line and "/s)" in line]
    assert len(progress) >= 2
    assert all(k in progress[0] for k in ("reconnects 0", "resyncs", "rss", "MB"))
    assert lines[-1].endswith("passed")


async def test_soak_fails_on_too_few_updates_and_memory_growth() -> None:
    """Fewer updates than the minimum, or memory past the bound, fail the soak with reasons."""
    out = io.StringIO()
    config = SoakConfig(
        seconds=0.5, interval=0.5, min_updates=10_000, max_rss_growth_mb=-1.0, symbols=("BTC/USDT",)
    )
    report = await run_soak(config, out)
    assert not report.passed
    assert any("CCXT_PRO_SOAK_MIN_UPDATES=10000" in f for f in report.failures)
    assert any("resident memory grew" in f for f in report.failures)
    assert "FAILED" in out.getvalue().splitlines()[-1]


def test_config_from_environment() -> None:
    """CCXT_PRO_SOAK_* set the bounds; BINANCE_PRO_ENV picks a live target; arguments win."""
    default = SoakConfig.from_env({})
    assert (default.target, default.seconds, default.min_updates) == ("emulator", 10.0, 10)
    env = {
        "CCXT_PRO_SOAK_SECONDS": "5",
        "CCXT_PRO_SOAK_MIN_UPDATES": "1",
        "CCXT_PRO_SOAK_SYMBOLS": "BTC/USDT, ETH/USDT",
        "BINANCE_PRO_ENV": "sandbox",
    }
    config = SoakConfig.from_env(env)
    assert (config.seconds, config.min_updates, config.target) == (5.0, 1, "testnet")
    assert config.symbols == ("BTC/USDT", "ETH/USDT")
    assert SoakConfig.from_env(env, seconds=2, target="emulator").target == "emulator"
    assert rss_bytes() > 0


async def test_unreachable_live_soak_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    """A live soak whose environment cannot be reached skips instead of failing."""
    dead = Endpoints("demo", "http://127.0.0.1:9", *(["ws://127.0.0.1:9"] * 8))
    monkeypatch.setitem(ENVIRONMENTS, "demo", dead)
    report = await run_soak(SoakConfig(seconds=1, target="demo"), io.StringIO())
    assert report.passed and report.skipped is not None
    assert report.skipped.startswith("cannot reach demo")


def test_soak_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    """The soak command exits 2 on a bad target and 1 when a bound is broken."""
    assert main(["soak", "--target", "mars"]) == 2
    assert main(["soak", "--seconds", "0.3", "--min-updates", "100000"]) == 1
    assert "FAILED" in capsys.readouterr().out


async def test_private_soak_places_cancels_renews_cycles_and_loses_nothing() -> None:
    """The private soak holds user data open while orders come and go, renews listen keys,
    has the emulator drop its connections, and finds every order's final state on the
    stream equal to REST's."""
    out = io.StringIO()
    config = SoakConfig(seconds=3, interval=1, private=True, order_interval=0.2,
                        cycle_interval=1.2, listen_key_refresh_ms=300,
                        min_orders=4, min_recoveries=1)  # fmt: skip
    report = await run_soak(config, out)
    assert report.passed, report.failures
    c = report.private
    assert c is not None and c.placed >= 4 and c.canceled == c.placed and c.lost == 0
    assert c.renewals >= 1 and c.cycles >= 1 and c.reconnects >= 1 and c.reconciles >= 1
    assert set(c.final.values()) == {"canceled"} and len(c.final) == c.placed
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("soak emulator private ") and "renewals" in lines[0]
    assert ", 0 lost; " in lines[-1] and lines[-1].endswith("passed")


async def test_private_soak_reports_a_lost_event(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stream that never shows an order's cancellation fails the soak as a lost event."""
    from client import Binance

    real = Binance.watch_orders

    async def lossy(self: Binance, *args: object, **kwargs: object) -> list[dict[str, object]]:
        rows = await real(self, *args, **kwargs)  # type: ignore[arg-type]
        return [dict(r, status="open") for r in rows]  # a cancellation never arrives

    monkeypatch.setattr(Binance, "watch_orders", lossy)
    config = SoakConfig(seconds=1, interval=1, private=True, order_interval=0.2, cycle_interval=0)
    report = await run_soak(config, io.StringIO())
    assert not report.passed
    assert any(f.startswith("lost events: ") and "stream open REST canceled" in f
               for f in report.failures)  # fmt: skip


async def test_private_soak_skips_live_without_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Live, the private soak needs the environment's keys: without them it skips, saying so."""
    for name in ("BINANCE_TESTNET_API_KEY", "BINANCE_TESTNET_API_SECRET", "BINANCE_ENV"):
        monkeypatch.delenv(name, raising=False)
    report = await run_soak(SoakConfig(seconds=1, target="testnet", private=True), io.StringIO())
    assert report.passed and report.skipped is not None
    assert "BINANCE_TESTNET_API_KEY" in report.skipped
    assert SoakConfig.from_env({"CCXT_PRO_SOAK_PRIVATE": "1"}).private
