"""The interpreter: play a scenario's steps against a target and judge the outcome.

The runner is a library; it never imports pytest. Each failure message starts with the
``file:line`` of the step that failed. Steps a target cannot honour (the emulator script on a
live target, a step limited to other targets, exact emulator values) are skipped there and
listed in the result.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from client.errors import (
    BaseError,
    ExchangeNotAvailable,
    NetworkError,
)

from .accounts import describe_gates
from .checks import check_references, scenario_problems
from .expect import subset
from .loader import ScenarioError, discover, load_file
from .model import (
    CallStep,
    ConcurrentStep,
    EmulatorAction,
    EmulatorStep,
    Scenario,
    Step,
    WaitStep,
    WireStep,
)
from .signing import error_dict, plain
from .steps import NotSaved, RunBase, StepFailed, dumps, error_class_at
from .targets import Target

__all__ = [
    "DEFAULT_JOBS",
    "DEFAULT_STEP_TIMEOUT_MS",
    "INTERRUPTED",
    "ScenarioResult",
    "StepFailed",
    "check_references",
    "run_many",
    "run_paths",
    "run_scenario",
    "run_sync",
]

Status = Literal["passed", "failed", "skipped"]

DEFAULT_STEP_TIMEOUT_MS = 15_000


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
    kind: str = "misc"
    gates: list[str] = field(default_factory=list)
    """How the live gates the scenario needs were met (live and emulated targets)."""


class _Unreachable(Exception):
    """A live environment could not be reached at all (the run is skipped, not failed)."""


# -- one run ---------------------------------------------------------------------------------


class _Run(RunBase):
    """One scenario on one opened target: client calls, waits, the wire, concurrency."""

    async def emulator_action(self, action: EmulatorAction) -> None:
        emu = self.emu
        if emu is None:
            self.skipped.append(f"{action.where} (emulator script)")
            return
        value = self._render(action.where, action.value)
        try:
            await emu.act(action.action, value)
        except (ValueError, TypeError, RuntimeError, KeyError) as exc:
            raise StepFailed(action.where, f"emulator {action.action}: {exc}") from None

    async def step(self, step: Step) -> None:
        """Run one step under its timeout, or record it as skipped on this target."""
        if not step.valid_on(self.target.answers_to):
            only = ", ".join(step.targets or ())
            self.skipped.append(f"{step.where} (step runs on {only})")
            return
        if step.unless_saved is not None and step.unless_saved in self.saved:
            return  # nothing left to do (a cleanup the scenario made unnecessary)
        timeout_ms = step.timeout_ms or DEFAULT_STEP_TIMEOUT_MS
        try:
            await asyncio.wait_for(self._dispatch(step), timeout_ms / 1000)
        except TimeoutError:
            raise StepFailed(step.where, f"step did not finish within {timeout_ms} ms") from None

    async def _dispatch(self, step: Step) -> None:
        if isinstance(step, CallStep):
            await self._call_step(step)
        elif isinstance(step, EmulatorStep):
            assert step.action is not None
            await self.emulator_action(step.action)
        elif isinstance(step, WireStep):
            await self._wire_step(step)
        elif isinstance(step, WaitStep):
            await self._wait(step)
        elif isinstance(step, ConcurrentStep):
            await self._concurrent(step)
        else:
            await self._raw_step(step)

    async def _branch(self, steps: tuple[Step, ...]) -> None:
        for step in steps:
            await self.step(step)

    async def _concurrent(self, step: ConcurrentStep) -> None:
        try:
            async with asyncio.TaskGroup() as group:
                for branch in step.branches:
                    group.create_task(self._branch(branch))
        except ExceptionGroup as eg:
            first = eg.exceptions[0]
            if isinstance(first, StepFailed | BaseError):
                raise first from None
            raise

    # -- client calls ------------------------------------------------------------------------

    async def _invoke(self, step: CallStep) -> Any:
        method = getattr(self.ex, step.call, None)
        if method is None or not callable(method):
            raise StepFailed(step.where, f"the client has no method {step.call!r}")
        args = self._render(step.where, list(step.args))
        params = self._render(step.where, dict(step.params))
        takes_params = "params" in inspect.signature(method).parameters
        if step.call.startswith("stream_"):
            count = int(params.pop("count", 1))
            extra = {"params": params} if takes_params else {}
            last = None
            async with contextlib.aclosing(method(*args, **extra)) as iterator:
                async for item in iterator:
                    last = item
                    count -= 1
                    if count <= 0:
                        break
            return last
        if takes_params:
            return await method(*args, params=params or None)
        if params:
            raise StepFailed(step.where, f"{step.call} takes no params")
        return await method(*args)

    async def _call_step(self, step: CallStep) -> None:
        expected = error_class_at(step.where, step.raises) if step.raises else None
        tolerated = tuple(error_class_at(step.where, name) for name in step.tolerate)
        try:
            result = plain(await self._invoke(step))
        except StepFailed:
            raise
        except BaseError as exc:
            if expected is not None and isinstance(exc, expected):
                self._expected_error(step.where, step.save, step.expect, error_dict(exc))
                return
            if tolerated and isinstance(exc, tolerated):
                return
            raise StepFailed(step.where, f"{step.call} raised {type(exc).__name__}: {exc}") from exc
        except (TypeError, ValueError, KeyError) as exc:
            raise StepFailed(step.where, f"{step.call} raised {type(exc).__name__}: {exc}") from exc
        if step.raises:
            raise StepFailed(step.where, f"{step.call} returned instead of raising {step.raises}")
        if step.save:
            self.saved[step.save] = result
        if step.expect is not None:
            self._check(step.where, step.expect, result)

    async def _wait(self, step: WaitStep) -> None:
        wire = self.wire
        if step.user_event is not None:
            match = self._render(step.where, step.match)

            def seen() -> int:
                return wire.user_events(str(step.user_event), match)
        else:

            def seen() -> int:
                return wire.count(str(step.event), step.text_matches)

        await wire.until(lambda: seen() >= step.count)
        if step.at_most is not None and (n := seen()) > step.at_most:
            what = step.user_event or step.event
            raise StepFailed(step.where, f"{n} {what} events were seen, at most {step.at_most}")

    async def _wire_step(self, step: WireStep) -> None:
        wire = self.wire
        for i, frame in enumerate(wire.sent):
            if i in wire.used or not subset(step.sent, frame):
                continue
            wire.used.add(i)
            answer = await self._answer_to(frame.get("id"), wait=step.answered != "none")
            if answer != step.answered:
                raise StepFailed(
                    step.where,
                    f"frame {dumps(frame)} was answered with {answer}, expected {step.answered}",
                )
            return
        sent = [dumps(f) for f in wire.sent]
        raise StepFailed(
            step.where, f"the client sent no frame matching {dumps(step.sent)}; it sent {sent}"
        )

    async def _answer_to(self, request_id: Any, *, wait: bool) -> str:
        """Return how the server answered ``request_id`` (waiting briefly for it if asked)."""
        wire = self.wire
        if wait:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wire.until(lambda: request_id in wire.answers), 5.0)
        return wire.answers.get(request_id, "none")


async def _play(run: _Run, scenario: Scenario) -> None:
    for action in scenario.emulator:
        await run.emulator_action(action)
    for step in scenario.steps:
        await run.step(step)


async def _cleanup(run: _Run, scenario: Scenario) -> str | None:
    """Run the cleanup steps; a step about a result never saved (the order was never placed)
    has nothing to clean up and is skipped, not failed."""
    errors: list[str] = []
    for step in scenario.cleanup:
        try:
            await run.step(step)
        except NotSaved:
            run.skipped.append(f"{step.where} (cleanup: nothing was saved to clean up)")
        except (StepFailed, BaseError, OSError) as exc:
            errors.append(str(exc))
    return "; ".join(errors) or None


async def _preflight(run: _Run, target: Target) -> None:
    """Load markets first on live targets; an unreachable environment skips the run."""
    if target.kind != "live":
        return
    try:
        await run.ex.load_markets()
    except (NetworkError, ExchangeNotAvailable) as exc:
        raise _Unreachable(f"cannot reach {target.env}: {exc}") from exc


INTERRUPTED = "interrupted (Ctrl-C)"


async def _unless_stopped(body: Awaitable[None], stop: asyncio.Event | None) -> bool:
    """Await ``body``; when ``stop`` is set first, cancel it and return True.

    The body runs as its own task so that cancelling it leaves the caller (which then runs the
    cleanup steps and closes the target) uncancelled.
    """
    if stop is None:
        await body
        return False
    task = asyncio.ensure_future(body)
    waiter = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        task.cancel()
        raise
    finally:
        waiter.cancel()
    if task.done():
        task.result()  # a step's failure propagates
        return False
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return True


async def run_scenario(
    scenario: Scenario, target: Target, stop: asyncio.Event | None = None
) -> ScenarioResult:
    """Run ``scenario`` on ``target`` and return its result (never raises for a failure).

    When ``stop`` is set while it runs (Ctrl-C), its steps are cancelled, its cleanup steps
    still run, the target is closed, and the result is skipped as interrupted.
    """
    start = time.monotonic()
    skipped: list[str] = []

    def result(status: Status, message: str = "") -> ScenarioResult:
        return ScenarioResult(
            scenario.name,
            scenario.file,
            target.name,
            status,
            time.monotonic() - start,
            message,
            skipped,
            scenario.kind,
            describe_gates(scenario, target.kind, target.env),
        )

    reason = target.skip_reason(scenario)
    if reason:
        return result("skipped", reason)
    failure: str | None = None
    interrupted = False
    try:
        problems = scenario_problems(scenario)  # what validate reports, refused the same way
        if problems:
            return result("failed", "; ".join(problems))
        async with target.open(scenario) as opened:
            run = _Run(scenario, target, opened)
            skipped = run.skipped
            try:
                interrupted = await _unless_stopped(_body(run, target, scenario), stop)
            except StepFailed as exc:
                failure = str(exc)
            finally:
                cleanup_error = await _cleanup(run, scenario)
                await run.close()
            if cleanup_error:
                failure = f"{failure}; cleanup: {cleanup_error}" if failure else cleanup_error
    except _Unreachable as exc:
        return result("skipped", str(exc))
    except (BaseError, OSError, ValueError) as exc:  # ValueError: an emulator set-up refused
        failure = f"{scenario.where}: {type(exc).__name__}: {exc}"
    if interrupted:
        return result("skipped", f"{INTERRUPTED}; cleanup: {failure}" if failure else INTERRUPTED)
    if failure:
        return result("failed", failure)
    return result("passed")


async def _body(run: _Run, target: Target, scenario: Scenario) -> None:
    await _preflight(run, target)
    await _play(run, scenario)


DEFAULT_JOBS = 4


async def run_many(
    pairs: list[tuple[Scenario, Target]],
    jobs: int = DEFAULT_JOBS,
    on_result: Callable[[ScenarioResult], None] | None = None,
    stop: asyncio.Event | None = None,
) -> list[ScenarioResult]:
    """Run scenario x target pairs, ``jobs`` at a time (each embedded run has its own emulator).

    Pairs whose target is one running emulator (``url=``, ``ENV@http://...``) run one at a
    time: they share its clock, faults and bans, so two at once would leak into each other.

    ``on_result`` sees results as they finish; the list returned keeps the order of ``pairs``.
    Once ``stop`` is set, running scenarios are interrupted and the others are not started
    (they are missing from the list).
    """
    return [r for r in await _run_pairs(pairs, jobs, on_result, stop) if r is not None]


async def _run_pairs(
    pairs: list[tuple[Scenario, Target]],
    jobs: int,
    on_result: Callable[[ScenarioResult], None] | None,
    stop: asyncio.Event | None,
) -> list[ScenarioResult | None]:
    gate = asyncio.Semaphore(max(1, jobs))
    servers: dict[str, asyncio.Lock] = {}

    async def one(scenario: Scenario, target: Target) -> ScenarioResult | None:
        # scenarios on one running emulator share its clock, faults and bans: one at a time
        server = target.base_url.rstrip("/") if target.base_url else None
        alone = servers.setdefault(server, asyncio.Lock()) if server else contextlib.nullcontext()
        async with alone, gate:
            if stop is not None and stop.is_set():
                return None
            r = await run_scenario(scenario, target, stop)
        if on_result:
            on_result(r)
        return r

    return list(await asyncio.gather(*(one(s, t) for s, t in pairs)))


async def run_paths(
    paths: list[Path] | None,
    targets: list[Target],
    on_result: Callable[[ScenarioResult], None] | None = None,
    jobs: int = DEFAULT_JOBS,
    stop: asyncio.Event | None = None,
) -> list[ScenarioResult]:
    """Load and run every scenario under ``paths`` on every target, ``jobs`` at a time.

    A file that fails to load is reported as a failed result naming its ``file:line``.
    Results come back in file order, then target order; after ``stop`` (Ctrl-C) only those
    that ran.
    """
    slots: list[ScenarioResult | tuple[Scenario, Target]] = []
    for file in discover(paths):
        try:
            scenario = load_file(file)
        except ScenarioError as exc:
            for target in targets:
                r = ScenarioResult(file.stem, file, target.name, "failed", 0.0, str(exc))
                slots.append(r)
                if on_result:
                    on_result(r)
            continue
        slots.extend((scenario, target) for target in targets)
    pairs = [p for p in slots if isinstance(p, tuple)]
    ran = iter(await _run_pairs(pairs, jobs, on_result, stop))
    results = [p if isinstance(p, ScenarioResult) else next(ran) for p in slots]
    return [r for r in results if r is not None]


def run_sync(scenario: Scenario, target: Target) -> ScenarioResult:
    """Run one scenario in a fresh event loop (for callers without one)."""
    return asyncio.run(run_scenario(scenario, target))
