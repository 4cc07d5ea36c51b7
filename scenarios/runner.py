"""The interpreter: play a scenario's steps against a target and judge the outcome.

The runner is a library; it never imports pytest. Each failure message starts with the
``file:line`` of the step that failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import orjson

import client
from client.errors import BaseError
from client.telemetry import WireEvent

from .loader import ScenarioError, discover, load_file
from .model import CallStep, EmulatorAction, EmulatorStep, Expect, Scenario, Step, Where, WireStep
from .targets import EmulatorHandle, Target

__all__ = ["ScenarioResult", "StepFailed", "run_paths", "run_scenario", "run_sync"]

Status = Literal["passed", "failed", "skipped"]

_KINDS: dict[str, frozenset[str]] = {
    "ticker": frozenset(client.Ticker.__required_keys__),
}


@dataclass
class ScenarioResult:
    """The outcome of one scenario on one target."""

    scenario: str
    file: Path
    target: str
    status: Status
    duration: float
    message: str = ""
    skipped_steps: list[str] = field(default_factory=list)


class StepFailed(Exception):
    """A step did not meet its expectation."""

    def __init__(self, where: Where, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where


# -- wire tap --------------------------------------------------------------------------------


class _WireLog:
    """Frames the client sent and the answers it got, from the client's wire tap."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.answers: dict[Any, str] = {}  # request id -> "ack" | "error"
        self.used: set[int] = set()

    def on_event(self, event: WireEvent) -> None:
        if event.kind == "send" and event.text.startswith("{"):
            with contextlib.suppress(orjson.JSONDecodeError):
                frame = orjson.loads(event.text)
                if isinstance(frame, dict) and "method" in frame:
                    self.sent.append(frame)
        elif event.kind in ("ack", "error") and "request_id" in event.detail:
            self.answers[event.detail["request_id"]] = event.kind


def _subset(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and _subset(v, actual[k]) for k, v in expected.items()
        )
    return bool(expected == actual)


# -- predicates ------------------------------------------------------------------------------


def _get(obj: Any, dotted: str) -> Any:
    cur = obj
    for part in dotted.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.lstrip("-").isdigit():
            cur = cur[int(part)]
        else:
            raise KeyError(dotted)
    return cur


_TYPES: dict[str, Callable[[Any], bool]] = {
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
}


def _check(value: Any, op: str, arg: Any, result: Any) -> bool:
    if isinstance(arg, dict) and set(arg) == {"field"}:
        arg = _get(result, arg["field"])
    if op == "eq":
        return bool(value == arg)
    if op == "ne":
        return bool(value != arg)
    if op in ("gt", "gte", "lt", "lte"):
        if value is None or arg is None:
            return False
        cmp = {"gt": value > arg, "gte": value >= arg, "lt": value < arg, "lte": value <= arg}
        return bool(cmp[op])
    if op == "in":
        return value in arg
    if op == "type":
        return _TYPES[arg](value)
    if op == "matches":
        return isinstance(value, str) and re.search(arg, value) is not None
    if op == "not_null":
        return (value is not None) == bool(arg)
    raise ValueError(f"unknown predicate {op}")


def _check_expect(where: Where, expect: Expect, result: Any, offline: bool) -> None:
    if expect.kind and expect.kind != "none":
        missing = _KINDS[expect.kind] - set(result if isinstance(result, dict) else ())
        if missing:
            raise StepFailed(where, f"result is not a {expect.kind}: missing {sorted(missing)}")
    elif expect.kind == "none" and result is not None:
        raise StepFailed(where, f"expected no result, got {result!r}")
    groups = [expect.fields] + ([expect.emulator_fields] if offline else [])
    for fields in groups:
        for path, predicates in fields.items():
            try:
                value = _get(result, path)
            except KeyError:
                raise StepFailed(where, f"result has no field {path!r}") from None
            for op, arg in predicates.items():
                try:
                    ok = _check(value, op, arg, result)
                except KeyError as exc:
                    raise StepFailed(where, f"{path}: {op} refers to missing field {exc}") from None
                if not ok:
                    raise StepFailed(where, f"{path} = {value!r} does not satisfy {op} {arg!r}")


# -- steps -----------------------------------------------------------------------------------


async def _emulator_action(emu: EmulatorHandle, action: EmulatorAction) -> None:
    handlers: dict[str, Callable[[Any], Awaitable[None]]] = {
        "fault": lambda v: emu.fault(**v),
        "advance_clock": lambda v: emu.advance_clock(int(v)),
        "rate": lambda v: emu.rate(float(v)),
        "push": lambda v: emu.push(v["frame"], v.get("stream")),
    }
    try:
        await handlers[action.action](action.value)
    except (ValueError, TypeError, RuntimeError) as exc:
        raise StepFailed(action.where, f"emulator {action.action}: {exc}") from None


async def _call(ex: client.Binance, step: CallStep) -> Any:
    method = getattr(ex, step.call, None)
    if method is None or step.call.startswith("_"):
        raise StepFailed(step.where, f"the client has no method {step.call!r}")
    if step.call.startswith("stream_"):
        count = int(step.params.get("count", 1))
        params = {k: v for k, v in step.params.items() if k != "count"}
        last = None
        async with contextlib.aclosing(method(*step.args, params)) as iterator:
            async for item in iterator:
                last = item
                count -= 1
                if count <= 0:
                    break
        return last
    return await method(*step.args, step.params or None)


async def _run_step(
    step: Step,
    ex: client.Binance,
    emu: EmulatorHandle | None,
    wire: _WireLog,
    saved: dict[str, Any],
    offline: bool,
) -> None:
    if isinstance(step, EmulatorStep):
        if emu is not None:
            await _emulator_action(emu, step.action)
        return
    if isinstance(step, WireStep):
        for i, frame in enumerate(wire.sent):
            if i in wire.used or not _subset(step.sent, frame):
                continue
            wire.used.add(i)
            answer = wire.answers.get(frame.get("id"), "none")
            if answer != step.answered:
                raise StepFailed(
                    step.where,
                    f"frame {orjson.dumps(frame).decode()} was answered "
                    f"with {answer}, expected {step.answered}",
                )
            return
        sent = [orjson.dumps(f).decode() for f in wire.sent]
        raise StepFailed(
            step.where,
            f"the client sent no frame matching {orjson.dumps(step.sent).decode()}; it sent {sent}",
        )
    expected: type[BaseException] | None = None
    if step.raises:
        expected = getattr(client.errors, step.raises, None)
        if not (isinstance(expected, type) and issubclass(expected, BaseError)):
            raise StepFailed(step.where, f"raises: {step.raises!r} is not a client error class")
    try:
        result = await _call(ex, step)
    except BaseError as exc:
        if expected is not None and isinstance(exc, expected):
            return
        raise StepFailed(step.where, f"{step.call} raised {type(exc).__name__}: {exc}") from exc
    if step.raises:
        raise StepFailed(step.where, f"{step.call} returned instead of raising {step.raises}")
    if step.save:
        saved[step.save] = result
    if step.expect is not None:
        _check_expect(step.where, step.expect, result, offline)


async def run_scenario(scenario: Scenario, target: Target) -> ScenarioResult:
    """Run ``scenario`` on ``target`` and return its result (never raises for a failure)."""
    start = time.monotonic()

    def result(
        status: Status, message: str = "", skipped: list[str] | None = None
    ) -> ScenarioResult:
        return ScenarioResult(
            scenario.name,
            scenario.file,
            target.name,
            status,
            time.monotonic() - start,
            message,
            skipped or [],
        )

    if not target.valid_for(scenario):
        return result(
            "skipped", f"not valid on {target.kind} (targets: {', '.join(scenario.targets)})"
        )
    skipped: list[str] = []
    if not target.offline:
        skipped = [f"{s.where}" for s in scenario.steps if isinstance(s, EmulatorStep)]
        skipped += [f"{a.where}" for a in scenario.emulator]
    wire = _WireLog()
    saved: dict[str, Any] = {}
    try:
        async with target.open(scenario) as (ex, emu):
            ex.add_listener(wire.on_event)
            if emu is not None:
                for action in scenario.emulator:
                    await _emulator_action(emu, action)
            for step in scenario.steps:
                await _run_step(step, ex, emu, wire, saved, target.offline)
    except StepFailed as exc:
        return result("failed", str(exc), skipped)
    except (BaseError, OSError) as exc:
        return result("failed", f"{scenario.where}: {type(exc).__name__}: {exc}", skipped)
    return result("passed", "", skipped)


async def run_paths(
    paths: list[Path] | None,
    targets: list[Target],
    on_result: Callable[[ScenarioResult], None] | None = None,
) -> list[ScenarioResult]:
    """Load and run every scenario under ``paths`` on every target, one at a time.

    A file that fails to load is reported as a failed result naming its ``file:line``.
    """
    results: list[ScenarioResult] = []
    for file in discover(paths):
        try:
            scenario = load_file(file)
        except ScenarioError as exc:
            for target in targets:
                r = ScenarioResult(file.stem, file, target.name, "failed", 0.0, str(exc))
                results.append(r)
                if on_result:
                    on_result(r)
            continue
        for target in targets:
            r = await run_scenario(scenario, target)
            results.append(r)
            if on_result:
                on_result(r)
    return results


def run_sync(scenario: Scenario, target: Target) -> ScenarioResult:
    """Run one scenario in a fresh event loop (for callers without one)."""
    return asyncio.run(run_scenario(scenario, target))
