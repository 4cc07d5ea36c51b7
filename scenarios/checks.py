"""Static checks of a loaded scenario: what ``validate`` reports and ``run`` refuses to start.

:func:`check_references` finds client methods and error classes the client lacks;
:func:`check_emulator` asks the emulator's own validator
(:func:`mock_exchange.script.emulator_problems`) whether its ``setup`` and every emulator
action are acceptable, so ``scenarios validate``, ``scenarios run`` and ``python -m
mock_exchange serve --scenario`` accept exactly the same files.
"""

from __future__ import annotations

from typing import Any

import client
from client.errors import BaseError
from mock_exchange.script import emulator_problems

from .model import CallStep, EmulatorAction, EmulatorStep, Scenario, walk_steps

__all__ = ["action_problems", "check_emulator", "check_references", "emulator_actions"]


def check_references(scenario: Scenario) -> list[str]:
    """Return ``file:line: ...`` for every client method or error class the client lacks."""
    problems: list[str] = []
    for step in walk_steps(scenario.steps + scenario.cleanup):
        if not isinstance(step, CallStep):
            continue
        if not callable(getattr(client.Binance, step.call, None)):
            problems.append(f"{step.where}: the client has no method {step.call!r}")
        if step.raises:
            cls = getattr(client.errors, step.raises, None)
            if not (isinstance(cls, type) and issubclass(cls, BaseError)):
                problems.append(
                    f"{step.where}: raises: {step.raises!r} is not a client error class"
                )
    return problems


def emulator_actions(scenario: Scenario) -> list[EmulatorAction]:
    """Return every emulator action of a scenario: the script, then those among the steps."""
    actions = list(scenario.emulator)
    for step in walk_steps(scenario.steps + scenario.cleanup):
        if isinstance(step, EmulatorStep) and step.action is not None:
            actions.append(step.action)
    return actions


def action_problems(scenario: Scenario) -> list[str]:
    """Return ``file:line: emulator ACTION: ...`` for every emulator action the emulator refuses."""
    return emulator_problems({}, str(scenario.where), _pairs(scenario))


def check_emulator(scenario: Scenario) -> list[str]:
    """Return ``file:line: ...`` for a ``setup`` or an emulator action the emulator refuses.

    The emulator's own :func:`mock_exchange.script.emulator_problems` judges them, the
    function ``serve --scenario`` uses, so the three players agree word for word.
    """
    where = scenario.setup_where or scenario.where
    return emulator_problems(scenario.setup, str(where), _pairs(scenario))


def _pairs(scenario: Scenario) -> list[tuple[str, dict[str, Any]]]:
    return [(str(a.where), {a.action: a.value}) for a in emulator_actions(scenario)]
