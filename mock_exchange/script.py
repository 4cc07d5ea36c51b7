"""Play the emulator side of a scenario: its ``setup`` and its ``emulator:`` script.

A scenario file (format: ``scenarios/schema.json``) holds client steps and an optional
emulator script. This module reads only what the emulator needs, without importing the
``scenarios`` package (the emulator never depends on it): ``setup`` becomes a
:class:`~mock_exchange.config.ServerConfig` through :func:`~mock_exchange.config.config_from_setup`
(the same function the scenario runner uses), and each script action is checked by
:func:`~mock_exchange.control.check_action` and run through the control table
(:data:`~mock_exchange.control.CONTROL_ACTIONS`), as the runner's embedded target does.
:func:`emulator_problems` is the one validator of a scenario's emulator half: ``scenarios
validate`` and ``scenarios run`` call it too, and every problem names its ``file:line``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .config import ServerConfig, check_setup, config_from_setup
from .control import check_action
from .control_accounts import check_account
from .emulator import Emulator
from .engine.markets import Market, markets_from_config
from .errors import ExchangeError
from .yaml_lines import PathKey, YamlError, line_of, load_yaml

__all__ = [
    "ScenarioScript",
    "load_accounts_file",
    "load_markets_file",
    "load_scenario_script",
    "play_script",
]


@dataclass(frozen=True)
class ScenarioScript:
    """The emulator half of a scenario file."""

    name: str
    setup: dict[str, Any]
    actions: list[dict[str, Any]]

    def apply_setup(self, config: ServerConfig) -> ServerConfig:
        """Return ``config`` with the scenario's ``setup`` applied (keys absent keep their value).

        Raises:
            ValueError: a setup key or value the emulator refuses, named in the message.
        """
        try:
            return config_from_setup(self.setup, config)
        except ValueError as exc:
            raise ValueError(f"scenario {self.name}: {exc}") from None


def emulator_problems(
    setup: Any, setup_where: str, actions: Iterable[tuple[str, Any]]
) -> list[str]:
    """Return ``WHERE: ...`` for a ``setup`` and each ``(where, action)`` the emulator refuses.

    The one validator of a scenario's emulator half: ``scenarios validate``, ``scenarios run``
    and ``serve --scenario`` all call it, so they accept and refuse the same files with the
    same words (:func:`~mock_exchange.config.check_setup` and
    :func:`~mock_exchange.control.check_action` do the checking).
    """
    problems: list[str] = []
    try:
        if not isinstance(setup, Mapping):
            raise ValueError("setup must be a mapping")
        check_setup(setup)
    except ValueError as exc:
        problems.append(f"{setup_where}: {exc}")
    for where, action in actions:
        name = next(iter(action)) if isinstance(action, Mapping) and len(action) == 1 else "action"
        try:
            check_action(action)
        except ValueError as exc:
            problems.append(f"{where}: emulator {name}: {exc}")
    return problems


def _step_actions(steps: Any, path: PathKey) -> Iterator[tuple[PathKey, Any]]:
    """Yield (key path, action) of every ``emulator`` step, in concurrent branches too."""
    for i, step in enumerate(steps if isinstance(steps, list) else []):
        if not isinstance(step, Mapping):
            continue
        if "emulator" in step:
            yield (*path, i, "emulator"), step["emulator"]
        for j, branch in enumerate(step.get("concurrent") or []):
            if isinstance(branch, list):
                yield from _step_actions(branch, (*path, i, "concurrent", j))
            else:
                yield from _step_actions([branch], (*path, i, "concurrent", j))


def load_scenario_script(path: str | Path) -> ScenarioScript:
    """Read a scenario file and return its emulator half, checked as ``validate`` checks it.

    Every emulator action in the file (the script and the ``emulator`` steps) and the
    ``setup`` go through :func:`emulator_problems`; the client steps are the scenario
    runner's business (``python -m scenarios validate`` checks the whole file).

    Raises:
        ValueError: unreadable file, invalid YAML, not a scenario, or the problems found, one
            ``file:line: ...`` per line.
    """
    file = Path(path)
    try:
        doc, lines = load_yaml(file.read_text(encoding="utf-8"))
    except YamlError as exc:
        raise ValueError(f"{file}:{exc.line}: {exc.message}") from None

    def where(*key: str | int) -> str:
        return f"{file}:{line_of(lines, key)}"

    if not isinstance(doc, dict) or "name" not in doc:
        raise ValueError(f"{where()}: not a scenario (a mapping with 'name' and 'steps')")
    setup = doc.get("setup") or {}
    script = doc.get("emulator") or []
    if not isinstance(script, list):
        raise ValueError(f"{where('emulator')}: 'emulator' must be a list of actions")
    found: list[tuple[PathKey, Any]] = [(("emulator", i), a) for i, a in enumerate(script)]
    for key in ("steps", "cleanup"):
        found.extend(_step_actions(doc.get(key), (key,)))
    problems = emulator_problems(setup, where("setup"), [(where(*k), a) for k, a in found])
    if problems:
        raise ValueError("\n".join(problems))
    actions = [dict(a) for a in script]
    return ScenarioScript(str(doc["name"]), dict(setup), actions)


def play_script(emu: Emulator, actions: list[dict[str, Any]]) -> int:
    """Apply script ``actions`` to a running emulator, in order; return how many ran.

    Raises:
        ValueError: an action the emulator refuses, checking it or running it
            (``emulator[INDEX]: ...``); the actions before it have run.
    """
    for index, action in enumerate(actions):
        try:
            name, value = check_action(action)
            emu.act(name, value)
        except (ValueError, TypeError, KeyError, ExchangeError) as exc:
            raise ValueError(f"emulator[{index}]: {exc}") from None
    return len(actions)


def load_markets_file(path: str | Path) -> list[Market]:
    """Read markets from YAML: a list of market entries, or ``{markets: [...], extend: bool}``.

    Entries use :class:`~mock_exchange.engine.markets.Market` field names (``kind`` picks the
    venue; see :func:`~mock_exchange.engine.markets.markets_from_config`).

    Raises:
        ValueError: the file has another shape or an entry is invalid.
    """
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    extend = True
    if isinstance(doc, dict):
        extend = bool(doc.get("extend", True))
        doc = doc.get("markets")
    if not isinstance(doc, list) or not all(isinstance(e, dict) for e in doc):
        raise ValueError(f"{path}: expected a list of market entries (or {{markets: [...]}})")
    return markets_from_config(doc, extend=extend)


def load_accounts_file(path: str | Path) -> list[dict[str, Any]]:
    """Read accounts from YAML: a list of entries as ``POST /_mock/accounts`` takes them.

    Each entry is checked as the ``account`` control action checks it; the registry checks
    the rest (key material, balances, duplicates) when the emulator starts.

    Raises:
        ValueError: the file is not a list of account entries, or an entry is malformed.
    """
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(doc, list):
        raise ValueError(f"{path}: expected a list of accounts")
    out = []
    for index, entry in enumerate(doc):
        try:
            out.append(check_account(entry))
        except ValueError as exc:
            raise ValueError(f"{path}: accounts[{index}]: {exc}") from None
    return out
