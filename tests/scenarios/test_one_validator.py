"""validate, run and serve --scenario judge a scenario's emulator half with one function and
report the same ``file:line`` (issue 10, item 13)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from mock_exchange.script import emulator_problems, load_scenario_script
from scenarios.__main__ import main
from scenarios.loader import load_file
from scenarios.runner import ScenarioResult, run_paths, run_scenario
from scenarios.targets import Target

BAD_HALF = (
    "name: bad-half\n"
    "targets: [emulator]\n"
    "setup:\n"
    "  server: {nope: 1}\n"
    "emulator:\n"
    "  - fault: {kind: nosuch}\n"
    "steps:\n"
    "  - call: load_markets\n"
    "  - concurrent:\n"
    "      - - emulator: {fault: {kind: stall}}\n"
)
EXPECTED = [
    "bad.yaml:4: setup.server: unknown emulator setting 'nope'",
    "bad.yaml:6: emulator fault: unknown fault kind 'nosuch'",
    "bad.yaml:10: emulator fault: unknown fault kind 'stall'",
]


async def serve_stderr(path: Path) -> tuple[int, str, str]:
    """Run ``serve --scenario PATH`` to its end; return (exit code, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mock_exchange",
        "serve",
        "--port",
        "0",
        "--scenario",
        str(path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def _has_all(text: str) -> None:
    for line in EXPECTED:
        assert line in text, (line, text)


async def test_validate_run_and_serve_report_the_same_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same emulator problems, at the same file:line, from all three (serve refuses the
    file before it listens)."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_HALF)
    assert main(["validate", str(bad)]) == 1
    _has_all(capsys.readouterr().out)
    result = await run_scenario(load_file(bad), Target("emulator"))
    assert result.status == "failed"
    _has_all(result.message)
    code, out, err = await serve_stderr(bad)
    assert code == 2 and "listening" not in out and "Traceback" not in err
    _has_all(err)
    with pytest.raises(ValueError) as info:
        load_scenario_script(bad)
    _has_all(str(info.value))


async def test_a_schema_error_in_the_script_is_refused_by_all_three_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A fault count of the wrong type is refused by validate, run and serve (which used to
    queue it after listening), each naming its line."""
    bad = tmp_path / "count.yaml"
    bad.write_text(
        "name: count\ntargets: [emulator]\nemulator:\n"
        "  - fault: {kind: drop_frames, count: x}\nsteps:\n  - call: load_markets\n"
    )
    assert main(["validate", str(bad)]) == 1
    assert f"{bad}:4: " in capsys.readouterr().out
    result = await run_scenario_file(bad)
    assert result.status == "failed" and result.message.startswith(f"{bad}:4: ")
    code, out, err = await serve_stderr(bad)
    assert code == 2 and "listening" not in out and "Traceback" not in err
    assert f"{bad}:4: emulator fault: fault count must be an integer >= 1, or -1, not 'x'" in err


async def run_scenario_file(path: Path) -> ScenarioResult:
    """Run one file on the embedded emulator as ``scenarios run`` does (load errors fail)."""
    (result,) = await run_paths([path], [Target("emulator")])
    return result


async def test_serve_reports_yaml_errors_at_their_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """serve --scenario reports a YAML error as file:line, as validate does (it printed
    ``<unicode string>``)."""
    bad = tmp_path / "broken.yaml"
    bad.write_text("name: broken\ntargets: [emulator\nsteps: []\n")
    message = f"{bad}:3: invalid YAML: expected ',' or ']', but got ':'"
    assert main(["validate", str(bad)]) == 1
    assert message in capsys.readouterr().out
    code, out, err = await serve_stderr(bad)
    assert code == 2 and "listening" not in out
    assert message in err and "<unicode string>" not in err and "Traceback" not in err


def test_the_one_validator_takes_where_and_action_pairs() -> None:
    """emulator_problems is the function all three players call: setup, then each action."""
    problems = emulator_problems(
        {"rate": -1}, "f.yaml:2", [("f.yaml:5", {"fault": {"kind": "close"}}), ("f.yaml:6", 3)]
    )
    assert problems == [
        "f.yaml:2: setup.rate must be a number >= 0",
        "f.yaml:6: emulator action: an action is a mapping with exactly one key",
    ]
