"""pytest plugin: each scenario x target becomes a test item.

Scenario files are collected from the directories named by the ``scenario_paths`` ini option
(nothing is collected when it is unset, so installing the kit never changes another project's
collection). ``--target`` picks targets (default ``emulator``; repeat for several).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .loader import ScenarioError, load_file
from .model import Scenario
from .runner import run_sync
from .targets import Target, parse_target

__all__ = ["ScenarioFailure", "ScenarioFile", "ScenarioItem"]


class ScenarioFailure(Exception):
    """A scenario failed; the message names the YAML line."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("binance-scenarios", "Binance conformance scenarios")
    group.addoption(
        "--target",
        action="append",
        dest="scenario_targets",
        default=None,
        help="scenario target: emulator (default), url=http://HOST:PORT, testnet, demo, prod",
    )
    parser.addini(
        "scenario_paths",
        type="paths",
        default=[],
        help="directories whose *.yaml files are Binance scenarios",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "live: a scenario item that runs against a live Binance")
    config.addinivalue_line("markers", "soak: a long-running soak test")


def _targets(config: pytest.Config) -> list[Target]:
    names = config.getoption("scenario_targets") or ["emulator"]
    try:
        return [parse_target(n) for n in names]
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix != ".yaml":
        return None
    roots = [Path(p).resolve() for p in parent.config.getini("scenario_paths")]
    resolved = file_path.resolve()
    if not any(resolved.is_relative_to(r) for r in roots):
        return None
    collector: ScenarioFile = ScenarioFile.from_parent(parent, path=file_path)
    return collector


class ScenarioFile(pytest.File):
    """A scenario YAML file."""

    def collect(self) -> Iterator[pytest.Item]:
        try:
            scenario = load_file(self.path)
        except ScenarioError as exc:
            yield ScenarioItem.from_parent(
                self, name=self.path.stem, scenario=None, target=None, load_error=str(exc)
            )
            return
        for target in _targets(self.config):
            item = ScenarioItem.from_parent(
                self,
                name=f"{scenario.name}[{target.name}]",
                scenario=scenario,
                target=target,
                load_error=None,
            )
            if not target.offline:
                item.add_marker(pytest.mark.live)
            if not target.valid_for(scenario):
                targets = ", ".join(scenario.targets)
                item.add_marker(pytest.mark.skip(reason=f"not valid on {target.kind} ({targets})"))
            yield item


class ScenarioItem(pytest.Item):
    """One scenario on one target."""

    def __init__(
        self,
        *,
        scenario: Scenario | None,
        target: Target | None,
        load_error: str | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.target = target
        self.load_error = load_error

    def runtest(self) -> None:
        if self.load_error is not None:
            raise ScenarioFailure(self.load_error)
        assert self.scenario is not None and self.target is not None
        result = run_sync(self.scenario, self.target)
        if result.status == "skipped":
            pytest.skip(result.message)
        if result.status == "failed":
            raise ScenarioFailure(result.message)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        line = self.scenario.where.line - 1 if self.scenario else 0
        target = self.target.name if self.target else "?"
        return self.path, line, f"scenario {self.name} on {target}"
