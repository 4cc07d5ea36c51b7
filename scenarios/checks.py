"""Static checks of a loaded scenario: what ``validate`` reports and ``run`` refuses to start.

:func:`scenario_problems` is the one validator ``validate`` and ``run`` share:
:func:`check_references` (client methods, from the client's method table, and error classes
the client lacks), :func:`check_accounts` (accounts a step names but the setup lacks) and
:func:`check_emulator`, which asks the emulator's own validator
(:func:`mock_exchange.script.emulator_problems`) whether its ``setup`` and every emulator
action are acceptable, so ``scenarios validate``, ``scenarios run`` and ``python -m
mock_exchange serve --scenario`` accept exactly the same files.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from client import method_info
from mock_exchange.script import emulator_problems
from mock_exchange.setup_accounts import MAIN_ACCOUNT, check_setup_accounts

from .model import (
    ALL_TARGETS,
    CallStep,
    EmulatorAction,
    EmulatorStep,
    RecvStep,
    RequestStep,
    Scenario,
    SendStep,
    Step,
    WaitStep,
    walk_steps,
)
from .signing import ClassError, error_class

__all__ = [
    "action_problems",
    "check_accounts",
    "check_emulator",
    "check_references",
    "emulator_actions",
    "scenario_problems",
]


def _error_names(step: Step) -> list[tuple[str, str]]:
    names: list[tuple[str, str]] = []
    if isinstance(step, CallStep | RequestStep | RecvStep) and step.raises:
        names.append(("raises", step.raises))
    if isinstance(step, CallStep):
        names.extend(("tolerate", name) for name in step.tolerate)
    return names


def check_references(scenario: Scenario) -> list[str]:
    """Return ``file:line: ...`` for every client method (a row of the client's method table)
    or error class the client lacks."""
    problems: list[str] = []
    for step in walk_steps(scenario.steps + scenario.cleanup):
        if isinstance(step, CallStep) and method_info(step.call) is None:
            problems.append(f"{step.where}: the client has no method {step.call!r}")
        for key, name in _error_names(step):
            try:
                error_class(name)
            except ClassError:
                problems.append(f"{step.where}: {key}: {name!r} is not a client error class")
    return problems


def _templates(value: Any, key: str) -> Iterator[Any]:
    """Yield the argument of every ``{key: ...}`` template inside ``value``."""
    if isinstance(value, dict):
        if len(value) == 1 and key in value:
            yield value[key]
        for v in value.values():
            yield from _templates(v, key)
    elif isinstance(value, list):
        for v in value:
            yield from _templates(v, key)


def _step_values(step: Step) -> list[Any]:
    if isinstance(step, CallStep):
        return [list(step.args), step.params]
    if isinstance(step, SendStep | RecvStep):
        return [step.frame if isinstance(step, SendStep) else step.match]
    if isinstance(step, RequestStep):
        return [step.params]
    if isinstance(step, WaitStep):
        return [step.match]
    if isinstance(step, EmulatorStep) and step.action is not None:
        return [step.action.value]
    return []


def check_accounts(scenario: Scenario) -> list[str]:
    """Return ``file:line: ...`` for account references a target could not honour: an
    ``$account`` or ``sign``/``account`` naming no account of the setup, and extra accounts
    (``setup.accounts``) in a scenario valid on a live environment, where only the
    environment's own key exists."""
    try:
        declared = set(check_setup_accounts(scenario.setup)) | {MAIN_ACCOUNT}
    except ValueError:
        return []  # check_emulator reports the setup itself
    problems: list[str] = []
    extra = declared - {MAIN_ACCOUNT}
    live = [t for t in scenario.targets if t in ALL_TARGETS and t != "emulator"]
    if extra and live:
        problems.append(
            f"{scenario.where}: setup.accounts ({', '.join(sorted(extra))}) exist on emulator "
            f"targets only, but the scenario is valid on {', '.join(live)}: list emulator or "
            "ENV@emulator targets"
        )
    for step in walk_steps(scenario.steps + scenario.cleanup):
        named: list[str] = []
        for value in _step_values(step):
            named += [str(a).partition(".")[0] for a in _templates(value, "$account")]
        if isinstance(step, SendStep) and step.sign:
            named.append(step.sign)
        if isinstance(step, RequestStep) and step.auth != "none":
            named.append(step.account)
        for name in dict.fromkeys(named):
            if name not in declared:
                problems.append(
                    f"{step.where}: no account {name!r} (declared: {', '.join(sorted(declared))})"
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


def scenario_problems(scenario: Scenario) -> list[str]:
    """Return every static problem of a loaded scenario, each ``file:line: ...``: client
    references, accounts, and the emulator half (its ``setup`` and actions, judged by the
    emulator's own validators). ``validate`` reports them and ``run`` refuses to start on
    them: one function, so the two never disagree."""
    return check_references(scenario) + check_accounts(scenario) + check_emulator(scenario)


def check_emulator(scenario: Scenario) -> list[str]:
    """Return ``file:line: ...`` for a ``setup`` or an emulator action the emulator refuses.

    The emulator's own :func:`mock_exchange.script.emulator_problems` judges them, the
    function ``serve --scenario`` uses, so the three players agree word for word.
    """
    where = scenario.setup_where or scenario.where
    return emulator_problems(scenario.setup, str(where), _pairs(scenario))


def _pairs(scenario: Scenario) -> list[tuple[str, dict[str, Any]]]:
    return [(str(a.where), {a.action: a.value}) for a in emulator_actions(scenario)]
