"""Loading scenarios: schema validation with file:line errors, and typed steps."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenarios import ScenarioError, default_paths, discover, load_file, load_text, schema
from scenarios.model import CallStep, EmulatorStep, WireStep

GOOD = """\
name: demo
steps:
  - call: watch_ticker
    args: [BTC/USDT]
    expect:
      kind: ticker
  - expect_wire:
      sent: {method: SUBSCRIBE}
  - emulator:
      advance_clock: 1000
"""


def test_load_typed_steps_with_lines() -> None:
    """Each step becomes a frozen object that knows its line; defaults are filled in."""
    s = load_text(GOOD, "x.yaml")
    assert s.targets == ("emulator", "testnet", "demo", "prod") and s.market == "spot"
    call, wire, emu = s.steps
    assert isinstance(call, CallStep) and call.where.line == 3 and call.args == ("BTC/USDT",)
    assert isinstance(wire, WireStep) and wire.where.line == 7 and wire.answered == "ack"
    assert isinstance(emu, EmulatorStep) and emu.action.action == "advance_clock"
    assert str(emu.where) == "x.yaml:9"


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("name: x\nsteps:\n  - call: watch_ticker\n    argz: []\n", 4, "unknown key 'argz'"),
        ("name: x\nsteps:\n  - call: watch_ticker\n  - bogus: 1\n", 4, "exactly one of: call"),
        (
            "name: x\nsteps:\n  - send:\n      conn: a\n      frame: {}\n      text: x\n",
            4,
            "steps/0/send",
        ),
        (
            "name: x\nsteps:\n  - call: fetch_x\n    expect:\n      fields:\n"
            "        a: {sorted: sideways}\n",
            6,
            "steps/0/expect/fields/a/sorted",
        ),
        (
            "name: x\nsteps:\n  - call: watch_ticker\n    expect:\n      kind: bogus\n",
            5,
            "steps/0/expect/kind",
        ),
        ("name: x\ntargets: [moon]\nsteps:\n  - call: watch_ticker\n", 2, "targets/0"),
        ("name: Bad Name\nsteps:\n  - call: watch_ticker\n", 1, "name"),
        ("name: x\n", 1, "'steps' is a required property"),
        ("name: x\nsteps: [\n", 3, "invalid YAML"),
    ],
)
def test_errors_name_the_line(text: str, line: int, fragment: str) -> None:
    """Schema and YAML errors point at the offending line."""
    with pytest.raises(ScenarioError) as info:
        load_text(text, "bad.yaml")
    assert info.value.where.line == line
    assert str(info.value).startswith(f"bad.yaml:{line}: ")
    assert fragment in str(info.value)


def test_files_and_discovery(tmp_path: Path) -> None:
    """Shipped scenarios load; missing paths and unreadable files are reported."""
    shipped = discover(None)
    assert shipped and all(p.suffix == ".yaml" for p in shipped)
    assert all(load_file(p).name for p in shipped)
    assert default_paths()[0].name == "scenarios"
    assert schema()["title"] == "Binance conformance scenario"
    (tmp_path / "a.yaml").write_text(GOOD)
    assert discover([tmp_path / "a.yaml"]) == [tmp_path / "a.yaml"]
    with pytest.raises(ScenarioError, match="no such file"):
        discover([tmp_path / "missing"])
    with pytest.raises(ScenarioError, match="cannot read"):
        load_file(tmp_path / "missing.yaml")


def test_documented_scenarios_load() -> None:
    """Every complete scenario shown in docs/scenarios.md passes the schema."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "scenarios.md").read_text()
    blocks = [b.split("```", 1)[0] for b in doc.split("```yaml\n")[1:]]
    full = [b for b in blocks if b.startswith("name:")]
    assert len(full) >= 2
    for i, block in enumerate(full):
        assert load_text(block, f"docs-{i}.yaml").steps
