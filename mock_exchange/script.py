"""Play the emulator side of a scenario: its ``setup`` and its ``emulator:`` script.

A scenario file (format: ``scenarios/schema.json``) holds client steps and an optional
emulator script. This module reads only what the emulator needs, without importing the
``scenarios`` package (the emulator never depends on it): ``setup`` becomes a
:class:`~mock_exchange.config.ServerConfig` through :func:`~mock_exchange.config.config_from_setup`
(the same function the scenario runner uses), and each script action is checked by
:func:`~mock_exchange.control.check_action` and run through the control table
(:data:`~mock_exchange.control.CONTROL_ACTIONS`), as the runner's embedded target does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .config import ServerConfig, config_from_setup
from .control import check_action
from .control_accounts import check_account
from .emulator import Emulator
from .engine.markets import Market, markets_from_config

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


def _check(index: int, action: Any) -> dict[str, Any]:
    try:
        name, value = check_action(action)
    except ValueError as exc:
        raise ValueError(f"emulator[{index}]: {exc}") from None
    return {name: value}


def load_scenario_script(path: str | Path) -> ScenarioScript:
    """Read a scenario file and return its emulator half.

    Raises:
        ValueError: the file is not a scenario mapping or an action is malformed.
    """
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or "name" not in doc:
        raise ValueError(f"{path}: not a scenario (a mapping with 'name' and 'steps')")
    setup = doc.get("setup") or {}
    if not isinstance(setup, dict):
        raise ValueError(f"{path}: 'setup' must be a mapping")
    raw = doc.get("emulator") or []
    if not isinstance(raw, list):
        raise ValueError(f"{path}: 'emulator' must be a list of actions")
    actions = [_check(i, a) for i, a in enumerate(raw)]
    return ScenarioScript(str(doc["name"]), dict(setup), actions)


def play_script(emu: Emulator, actions: list[dict[str, Any]]) -> int:
    """Apply script ``actions`` to a running emulator, in order; return how many ran."""
    for index, action in enumerate(actions):
        ((name, value),) = _check(index, action).items()
        emu.act(name, value)
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
