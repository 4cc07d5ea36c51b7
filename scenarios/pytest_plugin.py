"""pytest plugin: each scenario x target becomes a test item, plus fixtures for other tests.

Scenario files are collected from the directories named by the ``scenario_paths`` ini option
(nothing is collected when it is unset, so installing the kit never changes another project's
collection). ``--target`` picks targets (default ``emulator`` and ``testnet@emulator``; repeat
for several; ``live`` means the live environments the environment variables select). Items on
live targets carry the ``live`` marker; ``soak`` marks long-running tests.

Fixtures (with pytest-asyncio): ``binance_emulator_config`` (override it to change the
market), ``binance_emulator`` (a running :class:`~mock_exchange.MockExchange` on
127.0.0.1:0) and ``binance_client`` (a :class:`client.Binance` connected to it).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

import client
from mock_exchange import MockExchange, ServerConfig

from .loader import ScenarioError, load_file
from .model import Scenario
from .runner import DEFAULT_JOBS, ScenarioResult, run_many
from .targets import DEFAULT_TARGETS, Target, expand_targets

__all__ = [
    "ScenarioFailure",
    "ScenarioFile",
    "ScenarioItem",
    "binance_emulator_config",
]


_RESULTS = pytest.StashKey[dict[str, ScenarioResult]]()


class ScenarioFailure(Exception):
    """A scenario failed; the message names the YAML line."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("binance-scenarios", "Binance conformance scenarios")
    group.addoption(
        "--target",
        action="append",
        dest="scenario_targets",
        default=None,
        help="scenario target: emulator, url=http://HOST:PORT, testnet, demo, prod, live, "
        f"ENV@emulator, ENV@http://HOST:PORT (default: {' '.join(DEFAULT_TARGETS)})",
    )
    group.addoption(
        "--scenario-jobs",
        type=int,
        default=DEFAULT_JOBS,
        help=f"scenario items run at the same time (default {DEFAULT_JOBS}; 1 = one by one)",
    )
    parser.addini(
        "scenario_paths",
        type="paths",
        default=[],
        help="directories whose *.yaml files are Binance scenarios",
    )


XDIST_GROUP = "binance-scenarios"
"""The ``xdist_group`` of every scenario item: with ``-n N --dist loadgroup`` one worker gets
them all and plays them ``--scenario-jobs`` at a time while the other workers run the rest."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "live: a scenario item that runs against a live Binance")
    config.addinivalue_line("markers", "soak: a long-running soak test")
    config.addinivalue_line(
        "markers", "xdist_group(name): pytest-xdist --dist loadgroup sends a group to one worker"
    )


def _targets(config: pytest.Config) -> list[Target]:
    names = config.getoption("scenario_targets")
    try:
        return expand_targets(names)
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
            item.add_marker(pytest.mark.xdist_group(XDIST_GROUP))
            if target.kind in ("live", "unset"):
                item.add_marker(pytest.mark.live)
            reason = target.skip_reason(scenario)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))
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
        result = self._result()
        if result.status == "skipped":
            pytest.skip(result.message)
        if result.status == "failed":
            raise ScenarioFailure(result.message)

    def _result(self) -> ScenarioResult:
        """Return this item's result, running it with the selected items not yet run.

        The first scenario item to run plays every scenario item this process will run at
        once (``jobs`` at a time, see ``--scenario-jobs``; :meth:`_peers`); later items report
        their stored results.
        """
        stash = self.config.stash
        results = stash.setdefault(_RESULTS, {})
        if self.nodeid not in results:
            batch = [
                item
                for item in self._peers()
                if isinstance(item, ScenarioItem)
                and item.scenario is not None
                and item.target is not None
                and item.nodeid not in results
                and item.get_closest_marker("skip") is None
            ]
            if self not in batch:
                batch.append(self)
            pairs = [(i.scenario, i.target) for i in batch if i.scenario and i.target]
            jobs = int(self.config.getoption("scenario_jobs") or DEFAULT_JOBS)
            ran = asyncio.run(run_many(pairs, jobs))
            results.update({i.nodeid: r for i, r in zip(batch, ran, strict=True)})
        return results.pop(self.nodeid)

    def _peers(self) -> list[pytest.Item]:
        """Return the collected items this process runs along with this one.

        Without xdist that is every item. An xdist worker collects every item but runs only
        those the controller sends it, so it may batch only items the distribution sends to
        one worker together: under ``--dist loadgroup`` the ``xdist_group`` of scenario
        items. The controller groups by the ``@group`` suffix xdist gives the node ids, so
        the batch is taken only when this item's id carries it (some pytest/xdist pairs
        drop the suffix and schedule group members anywhere). Otherwise each item runs
        alone: a batch could hold items another worker runs, and both would play them.
        """
        items = list(self.session.items)
        if not hasattr(self.config, "workerinput"):
            return items
        group = _group(self)
        if group is not None and self.nodeid.endswith(f"@{group}"):
            return [i for i in items if i.nodeid.endswith(f"@{group}")]
        return [self]

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        line = self.scenario.where.line - 1 if self.scenario else 0
        target = self.target.name if self.target else "?"
        return self.path, line, f"scenario {self.name} on {target}"


def _group(item: pytest.Item) -> str | None:
    mark = item.get_closest_marker("xdist_group")
    if mark is None:
        return None
    return str(mark.args[0] if mark.args else mark.kwargs.get("name"))


# -- fixtures for other projects' tests ---------------------------------------------------------


@pytest.fixture
def binance_emulator_config() -> ServerConfig:
    """Return the emulator settings (seed 0, 5 orders/s); override to change the market."""
    return ServerConfig(seed=0, rate=5.0)


try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - the async fixtures need pytest-asyncio
    pass
else:

    @pytest_asyncio.fixture
    async def binance_emulator(
        binance_emulator_config: ServerConfig,
    ) -> AsyncIterator[MockExchange]:
        """Yield a running emulator on 127.0.0.1:0, stopped after the test."""
        async with MockExchange(config=binance_emulator_config) as mx:
            yield mx

    @pytest_asyncio.fixture
    async def binance_client(binance_emulator: MockExchange) -> AsyncIterator[client.Binance]:
        """Yield a client on the ``local`` environment of ``binance_emulator``, closed after."""
        async with client.Binance(binance_env="local", base_url=binance_emulator.base_url) as ex:
            yield ex
