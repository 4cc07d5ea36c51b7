"""Binance conformance scenarios: YAML files, their loader, and the runner that plays them.

The runner is a library (no pytest import)::

    await run_scenario(load_file(path), Target("emulator"))
"""

from __future__ import annotations

from .loader import ScenarioError, default_paths, discover, load_file, load_text, schema
from .model import (
    CallStep,
    CloseStep,
    ConcurrentStep,
    EmulatorStep,
    Expect,
    OpenStep,
    RecvStep,
    RequestStep,
    Scenario,
    SendStep,
    WaitStep,
    WireStep,
)
from .runner import ScenarioResult, StepFailed, run_paths, run_scenario, run_sync
from .targets import Target, credentials_for, live_targets_from_env, parse_target

__all__ = [
    "CallStep",
    "CloseStep",
    "ConcurrentStep",
    "EmulatorStep",
    "Expect",
    "OpenStep",
    "RecvStep",
    "RequestStep",
    "Scenario",
    "ScenarioError",
    "ScenarioResult",
    "SendStep",
    "StepFailed",
    "Target",
    "WaitStep",
    "WireStep",
    "credentials_for",
    "default_paths",
    "discover",
    "live_targets_from_env",
    "load_file",
    "load_text",
    "parse_target",
    "run_paths",
    "run_scenario",
    "run_sync",
    "schema",
]
