"""``python -m scenarios``: run, validate, list and the pytest plugin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from scenarios.__main__ import main

REPO = Path(__file__).resolve().parents[2]


LIST_SUBS = REPO / "scenarios" / "spot" / "list_subscriptions.yaml"
WITHHELD = REPO / "scenarios" / "spot" / "withheld_ack.yaml"


def test_run_prints_progress_matrix_and_summary(capsys: pytest.CaptureFixture[str]) -> None:
    """run plays scenarios on the default targets (emulator and emulated testnet) with
    progress rows, a matrix and a summary, and exits 0."""
    assert main(["run", str(LIST_SUBS)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["scenario", "target", "result", "duration"]
    assert "[1/2]" in out and "[2/2]" in out
    matrix_head = [line for line in out.splitlines() if line.startswith("scenario  ")][-1]
    assert matrix_head.split() == ["scenario", "emulator", "testnet@emulator"]
    assert "spot-list-subscriptions  pass" in out
    assert out.strip().splitlines()[-1].startswith("2 passed, 0 failed, 0 skipped in ")


def test_run_writes_reports_by_extension(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--report writes Markdown, JUnit XML and HTML; skips carry their reasons; a bad
    extension is a usage error."""
    md, xml, page = tmp_path / "r.md", tmp_path / "r.xml", tmp_path / "r.html"
    args = ["run", str(WITHHELD), "--target", "emulator", "--target", "prod@emulator"]
    assert main([*args, "--report", str(md), "--report", str(xml), "--report", str(page)]) == 0
    assert "| spot-withheld-ack-timeout | pass" in md.read_text()
    assert "not valid on prod (targets: emulator)" in md.read_text()
    suite = ElementTree.parse(xml).getroot()
    assert (suite.get("tests"), suite.get("skipped"), suite.get("failures")) == ("2", "1", "0")
    assert suite.find("testcase/skipped") is not None
    assert '<td class="passed">' in page.read_text()
    assert main([*args, "--report", str(tmp_path / "r.pdf")]) == 2
    assert "use one of" in capsys.readouterr().err


def test_run_live_without_configuration_skips_with_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--target live with no live variables skips every scenario with the reason, exit 0."""
    for var in [v for v in os.environ if v.startswith("BINANCE_")]:
        monkeypatch.delenv(var)
    assert main(["run", str(LIST_SUBS), "--target", "live"]) == 0
    out = capsys.readouterr().out
    assert "no live environment configured" in out
    assert "0 passed, 0 failed, 1 skipped" in out


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
    assert "scenarios: " in out and "subscribe " in out
    typo = tmp_path / "typo"
    typo.mkdir()
    (typo / "t.yaml").write_text(
        "name: t\nsteps:\n  - concurrent:\n      - call: watch_tikcer\n"
        "  - call: watch_ticker\n    raises: Nope\n"
    )
    assert main(["validate", str(typo)]) == 1
    err = capsys.readouterr().out
    assert "t.yaml:4: the client has no method 'watch_tikcer'" in err
    assert "t.yaml:5: raises: 'Nope' is not a client error class" in err
    (tmp_path / "bad.yaml").write_text("name: x\nsteps: 3\n")
    assert main(["validate", str(tmp_path)]) == 1
    assert main(["list", str(tmp_path)]) == 1
    assert "bad.yaml:2" in capsys.readouterr().out


def test_validate_asks_the_emulator_about_setup_and_actions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """validate reports a setup or emulator action the emulator refuses, at its line."""
    (tmp_path / "e.yaml").write_text(
        "name: e\nsetup: {server: {nope: 1}}\nemulator:\n  - fault: {kind: explode}\n"
        "steps:\n  - call: load_markets\n  - concurrent:\n"
        "      - - emulator: {fault: {kind: gap, symbol: X}}\n"
        "        - emulator: {fault: {kind: stall}}\n"
    )
    assert main(["validate", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "e.yaml:2: setup.server: unknown emulator setting 'nope'" in out
    assert "e.yaml:4: emulator fault: unknown fault kind 'explode'" in out
    assert "e.yaml:9: emulator fault: unknown fault kind 'stall'" in out
    assert "e.yaml:8" not in out


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
    assert "fail.yaml::fails[testnet@emulator] SKIPPED" in out
    assert "skip.yaml::skips[emulator] SKIPPED" in out
    assert "not valid on emulator (targets: prod)" in out
    assert "fail.yaml:6: watch_ticker raised RequestTimeout" in out
    assert "broken.yaml:1" in out
    assert "other.yaml" not in out
    assert "2 failed, 3 skipped" in out


def test_plugin_fixtures_serve_other_projects(tmp_path: Path) -> None:
    """Another project's async test gets a running emulator and a client connected to it."""
    (tmp_path / "test_uses_fixtures.py").write_text(
        "import pytest\n"
        "from mock_exchange import ServerConfig\n\n"
        "@pytest.fixture\n"
        "def binance_emulator_config():\n"
        "    return ServerConfig(seed=4, rate=0)\n\n"
        "@pytest.mark.asyncio\n"
        "async def test_ticker(binance_emulator, binance_client):\n"
        "    assert binance_emulator.config.seed == 4\n"
        "    assert binance_client.base_url == binance_emulator.base_url\n"
        "    markets = await binance_client.load_markets()\n"
        "    assert 'BTC/USDT' in markets\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert "1 passed" in proc.stdout, proc.stdout + proc.stderr


def test_pytest_plugin_live_target_skips_without_configuration(tmp_path: Path) -> None:
    """--target live items carry the live marker and skip with the reason when unconfigured."""
    (tmp_path / "pytest.ini").write_text("[pytest]\nscenario_paths = scen\n")
    scen = tmp_path / "scen"
    scen.mkdir()
    (scen / "any.yaml").write_text("name: any\nsteps:\n  - call: load_markets\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BINANCE_")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-rs",
            "-m",
            "live",
            "--target",
            "live",
            "--target",
            "emulator",
            str(tmp_path),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "PYTHONPATH": str(REPO)},
    )
    assert "no live environment configured" in proc.stdout, proc.stdout
    assert "1 skipped, 1 deselected" in proc.stdout


def test_list_into_a_closed_pipe_stops_without_a_traceback() -> None:
    """``scenarios list | head -1`` ends quietly when the reader goes away: no traceback."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "scenarios", "list"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first line is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141
    assert "Traceback" not in err and "BrokenPipe" not in err
