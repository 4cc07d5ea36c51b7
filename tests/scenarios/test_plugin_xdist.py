"""The scenario plugin under pytest-xdist: every item is played exactly once, on one worker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

CONFTEST = """
import os
import scenarios.pytest_plugin as plugin

_real = plugin.run_many


async def counting(pairs, jobs):
    with open(os.environ["PLAY_LOG"], "a") as log:
        for scenario, target in pairs:
            worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
            log.write(f"{worker} {scenario.name}[{target.name}]\\n")
    return await _real(pairs, jobs)


plugin.run_many = counting
"""


def _project(tmp_path: Path, n: int) -> Path:
    (tmp_path / "pytest.ini").write_text("[pytest]\nscenario_paths = scen\n")
    (tmp_path / "conftest.py").write_text(CONFTEST)
    scen = tmp_path / "scen"
    scen.mkdir()
    for i in range(n):
        (scen / f"s{i}.yaml").write_text(
            f"name: s{i}\ntargets: [emulator]\nsteps:\n  - call: load_markets\n"
        )
    return tmp_path / "plays.log"


def _pytest(tmp_path: Path, log: Path, *args: str) -> str:
    # this suite may itself run under xdist: the inner run must not think it is a worker
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args, str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        env={**env, "PYTHONPATH": str(REPO), "PLAY_LOG": str(log)},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


@pytest.mark.parametrize("dist", ["load", "loadgroup"])
def test_each_item_plays_once_under_xdist(tmp_path: Path, dist: str) -> None:
    """With two workers each scenario item is played once: a worker never batches items
    sent to the other, and when xdist groups them (``loadgroup``) one worker plays them all."""
    log = _project(tmp_path, 4)
    out = _pytest(tmp_path, log, "-n", "2", "--dist", dist, "-v")
    assert "4 passed" in out
    plays = log.read_text().splitlines()
    assert sorted(p.split(" ", 1)[1] for p in plays) == [f"s{i}[emulator]" for i in range(4)]
    if dist == "loadgroup" and "[emulator]@binance-scenarios" in out:
        # xdist grouped them (pytest 9.2 with xdist 3.8 does not): one worker, one batch
        assert len({p.split(" ", 1)[0] for p in plays}) == 1


def test_without_xdist_one_batch_plays_everything(tmp_path: Path) -> None:
    """Without xdist the first item plays every selected item in one batch."""
    log = _project(tmp_path, 3)
    assert "3 passed" in _pytest(tmp_path, log, "-p", "no:xdist")
    assert log.read_text().splitlines() == [f"main s{i}[emulator]" for i in range(3)]
