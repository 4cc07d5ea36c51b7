"""``python -m scenarios``: one-line errors, and Ctrl-C prints what it has (issue 10, item 12)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from scenarios.__main__ import main

QUICK = "name: a-quick\ntargets: [emulator]\nsteps:\n  - call: load_markets\n"
# frozen clock, no activity: the first ticker never comes, so this one is still running
STUCK = (
    "name: b-stuck\ntargets: [emulator]\nsetup: {rate: 0, clock: {frozen: true}}\n"
    "steps:\n  - call: watch_ticker\n    args: [BTC/USDT]\n    timeout_ms: 120000\n"
)


def test_report_into_a_missing_directory_is_refused_before_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """run --report nodir/x.md fails at once with one line (it used to fail after the run)."""
    (tmp_path / "a.yaml").write_text(QUICK)
    report = tmp_path / "nodir" / "x.md"
    assert main(["run", str(tmp_path / "a.yaml"), "--report", str(report)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip() == f"error: --report {report}: directory {report.parent} does not exist"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CCXT_PRO_SOAK_SECONDS", "abc"),
        ("CCXT_PRO_SOAK_SECONDS", "-3"),
        ("CCXT_PRO_SOAK_MIN_UPDATES", "1.5"),
        ("CCXT_PRO_SOAK_INTERVAL", "soon"),
        ("CCXT_PRO_SOAK_MAX_RSS_GROWTH_MB", "lots"),
    ],
)
def test_bad_soak_variables_are_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str, value: str
) -> None:
    """A soak variable that is not a number is named in one line, exit 2 (was a traceback)."""
    monkeypatch.setenv(name, value)
    assert main(["soak"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {name} must be ") and err.endswith(f"not {value!r}")
    assert "\n" not in err


async def _interrupt(
    args: list[str], ready: str, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """Run ``python -m scenarios ARGS``, send SIGINT once stdout shows ``ready``, return
    (exit code, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "scenarios",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        env={**os.environ, **(env or {})},
    )
    assert proc.stdout is not None and proc.stderr is not None
    seen: list[str] = []
    while not any(ready in line for line in seen):
        line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
        assert line, f"ended before {ready!r}: {seen}"
        seen.append(line)
    proc.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, "".join(seen) + out.decode(), err.decode()


async def test_ctrl_c_during_run_prints_the_partial_summary(tmp_path: Path) -> None:
    """Ctrl-C during run stops the running scenario, closes everything, and prints the results
    so far and the summary; no traceback, no unclosed-session warning, exit 130."""
    (tmp_path / "a.yaml").write_text(QUICK)
    (tmp_path / "b.yaml").write_text(STUCK)
    code, out, err = await _interrupt(
        ["run", str(tmp_path), "--target", "emulator", "--jobs", "1"], "a-quick"
    )
    assert code == 130, (out, err)
    assert "Traceback" not in err and "Unclosed" not in err, err
    assert "b-stuck" in out and "interrupted" in out
    assert "1 passed, 0 failed, 1 skipped" in out and out.rstrip().endswith("(interrupted)")


async def test_ctrl_c_during_soak_prints_the_partial_summary() -> None:
    """Ctrl-C during soak ends it with its summary so far; no traceback, exit 130."""
    code, out, err = await _interrupt(
        ["soak", "--seconds", "120", "--min-updates", "1"],
        "soak emulator",
        {"CCXT_PRO_SOAK_INTERVAL": "0.5"},
    )
    assert code == 130, (out, err)
    assert "Traceback" not in err and "Unclosed" not in err, err
    assert out.rstrip().splitlines()[-1].endswith("interrupted")


def test_run_refuses_zero_jobs(capsys: pytest.CaptureFixture[str]) -> None:
    """run --jobs 0 is an argument error (it used to be taken as 1 silently)."""
    with pytest.raises(SystemExit) as info:
        main(["run", "--jobs", "0"])
    assert info.value.code == 2
    assert "argument --jobs: 0 is not a number of jobs (1 or more)" in capsys.readouterr().err


def test_validate_counts_and_list_has_a_header(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """validate ends with a count of files checked and refused; list starts with a header."""
    (tmp_path / "a.yaml").write_text(QUICK)
    (tmp_path / "b.yaml").write_text(STUCK)
    (tmp_path / "c.yaml").write_text("name: c\nsteps: 3\n")
    assert main(["validate", str(tmp_path)]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1] == "3 files: 2 valid, 1 with errors"
    assert main(["list", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["scenario", "kind", "market", "targets", "file"]
    assert lines[1].startswith("a-quick")
