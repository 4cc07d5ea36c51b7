"""Play the emulator side of a scenario: its ``setup`` and its ``emulator:`` script.

A scenario file (format: ``scenarios/schema.json``) holds client steps and an optional
emulator script. This module reads only what the emulator needs, without importing the
``scenarios`` package (the emulator never depends on it): ``setup`` (seed, rate, frozen
clock) becomes a :class:`~mock_exchange.server.ServerConfig`, and each script action is
applied through the control API. Actions: ``fault`` (any :class:`~mock_exchange.control.Fault`
kind), ``advance_clock`` (ms), ``rate`` (actions per second), ``push`` (``frame`` and an
optional ``stream``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .engine.markets import Market, markets_from_config
from .server import MockExchange, ServerConfig

__all__ = ["ScenarioScript", "load_markets_file", "load_scenario_script", "play_script"]

_ACTIONS = ("fault", "advance_clock", "rate", "push")


@dataclass(frozen=True)
class ScenarioScript:
    """The emulator half of a scenario file."""

    name: str
    setup: dict[str, Any]
    actions: list[dict[str, Any]]

    def apply_setup(self, config: ServerConfig) -> ServerConfig:
        """Return ``config`` with the scenario's ``setup`` values applied.

        ``markets`` (a list of market entries, as in a ``--markets`` file) is honoured too,
        so a scenario can describe its own market.
        """
        for key in ("seed", "rate", "frozen_clock"):
            if key in self.setup:
                setattr(config, key, self.setup[key])
        if "markets" in self.setup:
            entries = self.setup["markets"]
            if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
                raise ValueError(f"scenario {self.name}: setup.markets must be a list of entries")
            config.markets = markets_from_config(entries)
        return config


def _check_action(index: int, action: Any) -> dict[str, Any]:
    if not isinstance(action, dict) or len(action) != 1:
        raise ValueError(f"emulator[{index}]: an action is a mapping with exactly one key")
    (kind,) = action
    if kind not in _ACTIONS:
        raise ValueError(f"emulator[{index}]: unknown action {kind!r}; expected one of {_ACTIONS}")
    value = action[kind]
    if kind == "fault" and (not isinstance(value, dict) or "kind" not in value):
        raise ValueError(f"emulator[{index}]: fault needs a mapping with 'kind'")
    if kind == "push" and (not isinstance(value, dict) or "frame" not in value):
        raise ValueError(f"emulator[{index}]: push needs a mapping with 'frame'")
    if kind in ("advance_clock", "rate") and (
        isinstance(value, bool) or not isinstance(value, int | float) or value < 0
    ):
        raise ValueError(f"emulator[{index}]: {kind} needs a number >= 0")
    return action


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
    actions = [_check_action(i, a) for i, a in enumerate(raw)]
    return ScenarioScript(str(doc["name"]), dict(setup), actions)


def play_script(mx: MockExchange, actions: list[dict[str, Any]]) -> int:
    """Apply script ``actions`` to a running emulator, in order; return how many ran."""
    handlers: dict[str, Callable[[Any], object]] = {
        "fault": lambda v: mx.add_fault(**v),
        "advance_clock": lambda v: mx.clock.advance(int(v)),
        "rate": lambda v: mx.set_rate(float(v)),
        "push": lambda v: mx.push(v["frame"], stream=v.get("stream")),
    }
    for index, action in enumerate(actions):
        (kind,) = _check_action(index, action)
        handlers[kind](action[kind])
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
