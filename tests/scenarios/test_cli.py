"""``python -m scenarios``: run, validate, list and the pytest plugin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scenarios.__main__ import main

REPO = Path(__file__).resolve().parents[2]


def test_run_prints_table_and_summary(capsys: pytest.CaptureFixture[str]) -> None:
    """run with no arguments plays the shipped library on the emulator and exits 0."""
    assert main(["run"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["scenario", "target", "result", "duration"]
    assert "spot-ticker-subscribe" in out and "passed" in out
    assert out.strip().splitlines()[-1].startswith("1 passed, 0 failed, 0 skipped in ")


def test_run_fails_on_failure_and_bad_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A failing scenario gives exit 1; an unknown target exit 2; no scenarios exit 1."""
    (tmp_path / "bad.yaml").write_text("name: bad\n")
    assert main(["run", str(tmp_path)]) == 1
    assert "bad.yaml:1" in capsys.readouterr().out
    assert main(["run", "--target", "mars"]) == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["run", str(empty)]) == 1
    assert main(["run", str(tmp_path / "missing")]) == 2


def test_validate_and_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """validate and list report each file, with errors at their line."""
    assert main(["validate"]) == 0
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "ok     " in out and "spot-ticker-subscribe" in out
    (tmp_path / "bad.yaml").write_text("name: x\nsteps: 3\n")
    assert main(["validate", str(tmp_path)]) == 1
    assert main(["list", str(tmp_path)]) == 1
    assert "bad.yaml:2" in capsys.readouterr().out


def test_pytest_plugin_collects_scenarios(tmp_path: Path) -> None:
    """The plugin turns each scenario x target into an item and reports failures by line."""
    (tmp_path / "pytest.ini").write_text("[pytest]\nscenario_paths = scen\n")
    scen = tmp_path / "scen"
    scen.mkdir()
    (scen / "fail.yaml").write_text(
        "name: fails\ntargets: [emulator]\nemulator:\n  - fault: {kind: withhold_ack}\n"
        "steps:\n  - call: watch_ticker\n    args: [BTC/USDT]\n    params: {timeout: 500}\n"
    )
    (scen / "skip.yaml").write_text(
        "name: skips\ntargets: [prod]\nsteps:\n  - call: load_markets\n"
    )
    (scen / "broken.yaml").write_text("name: broken\n")
    (tmp_path / "other.yaml").write_text("not: a scenario\n")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v", "-rA", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    out = proc.stdout
    assert "fail.yaml::fails[emulator] FAILED" in out
    assert "skip.yaml::skips[emulator] SKIPPED" in out and "not valid on emulator (prod)" in out
    assert "fail.yaml:6: watch_ticker raised RequestTimeout" in out
    assert "broken.yaml:1" in out
    assert "other.yaml" not in out
    assert "2 failed, 1 skipped" in out
