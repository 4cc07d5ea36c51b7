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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import aiohttp
import orjson
import yarl

from client.errors import (
    BaseError,
    ExchangeNotAvailable,
    NetworkError,
)

from .accounts import describe_gates
from .checks import check_references, scenario_problems
from .expect import ExpectationFailed, check_expect, subset
from .loader import ScenarioError, discover, load_file
from .model import (
    CallStep,
    CloseStep,
    ConcurrentStep,
    EmulatorAction,
    EmulatorStep,
    Expect,
    OpenStep,
    RecvStep,
    RequestStep,
    Scenario,
    SendStep,
    Step,
    WaitStep,
    Where,
    WireStep,
)
from .signing import (
    ClassError,
    answer_error,
    error_class,
    error_dict,
    plain,
    signed_query,
    signed_ws_params,
)
from .targets import EmulatorHandle, Opened, Target
from .templates import MissingSaved, TemplateError, Templates
from .wire import RawConn, WireLog

__all__ = [
    "DEFAULT_JOBS",
    "DEFAULT_STEP_TIMEOUT_MS",
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


class StepFailed(Exception):
    """A step did not meet its expectation."""

    def __init__(self, where: Where, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where


class _NotSaved(StepFailed):
    """A step refers to a result no earlier step saved (in cleanup: nothing to clean up)."""


class _Unreachable(Exception):
    """A live environment could not be reached at all (the run is skipped, not failed)."""


# -- one run ---------------------------------------------------------------------------------


def _dumps(value: Any) -> str:
    text = orjson.dumps(value, default=str).decode()
    return text if len(text) <= 400 else text[:400] + "..."


class _Run:
    """The state of one scenario on one opened target."""

    def __init__(self, scenario: Scenario, target: Target, opened: Opened) -> None:
        self.scenario = scenario
        self.target = target
        self.ex = opened.exchange
        self.endpoints = opened.endpoints
        self.emu: EmulatorHandle | None = opened.emulator if target.offline else None
        self.offline = target.offline
        self.wire = WireLog()
        self.saved: dict[str, Any] = {}
        self.accounts = opened.accounts
        self.templates = Templates(
            int(scenario.setup.get("seed", 0)),
            opened.now_ms,
            self.saved,
            {name: a.template_values() for name, a in opened.accounts.items()},
        )
        self.raw: dict[str, RawConn] = {}
        self.http: aiohttp.ClientSession | None = None
        self.skipped: list[str] = []
        self._offset_ms: int | None = None
        self.ex.add_listener(self.wire.on_event)

    def _render(self, where: Where, value: Any) -> Any:
        try:
            return self.templates.render(value)
        except MissingSaved as exc:
            raise _NotSaved(where, str(exc)) from None
        except TemplateError as exc:
            raise StepFailed(where, str(exc)) from None

    def _check(self, where: Where, expect: Expect, result: Any) -> None:
        if expect.emulator_fields and not self.offline:
            self.skipped.append(f"{where} (emulator_fields)")
        try:
            check_expect(expect, result, self.offline, self.templates)
        except (ExpectationFailed, TemplateError) as exc:
            raise StepFailed(where, str(exc)) from None

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
        expected = _error_class(step.where, step.raises) if step.raises else None
        tolerated = tuple(_error_class(step.where, name) for name in step.tolerate)
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

    def _expected_error(
        self, where: Where, save: str | None, expect: Expect | None, error: dict[str, Any]
    ) -> None:
        if save:
            self.saved[save] = error
        if expect is not None:
            self._check(where, expect, error)

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
                    f"frame {_dumps(frame)} was answered with {answer}, expected {step.answered}",
                )
            return
        sent = [_dumps(f) for f in wire.sent]
        raise StepFailed(
            step.where, f"the client sent no frame matching {_dumps(step.sent)}; it sent {sent}"
        )

    async def _answer_to(self, request_id: Any, *, wait: bool) -> str:
        """Return how the server answered ``request_id`` (waiting briefly for it if asked)."""
        wire = self.wire
        if wait:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wire.until(lambda: request_id in wire.answers), 5.0)
        return wire.answers.get(request_id, "none")

    # -- raw connections ---------------------------------------------------------------------

    def _conn(self, where: Where, name: str) -> RawConn:
        conn = self.raw.get(name)
        if conn is None:
            raise StepFailed(where, f"no raw connection {name!r} is open (open it first)")
        return conn

    async def _raw_step(self, step: Step) -> None:
        if isinstance(step, OpenStep):
            url = getattr(self.endpoints, step.service) + step.path
            try:
                ws = await self._http().ws_connect(
                    url, autoping=step.pong, max_msg_size=1 << 24, compress=0
                )
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                raise StepFailed(step.where, f"cannot open {url}: {exc}") from None
            self.raw[step.conn] = RawConn(url, ws)
        elif isinstance(step, SendStep):
            conn = self._conn(step.where, step.conn)
            frame = self._render(step.where, step.frame)
            if step.sign is not None and isinstance(frame, dict):
                account = await self._account(step.where, step.sign)
                frame = {**frame, "params": signed_ws_params(frame.get("params"), *account)}
            text = step.text if step.text is not None else _json(frame)
            try:
                await conn.ws.send_str(text)
            except (ConnectionError, RuntimeError) as exc:
                raise StepFailed(step.where, f"{conn.url}: connection closed ({exc})") from None
        elif isinstance(step, RecvStep):
            conn = self._conn(step.where, step.conn)
            match = self._render(step.where, step.match)
            try:
                if step.closed:
                    frame = await conn.closing()
                elif step.pings is not None:
                    frame = await conn.pinged(step.pings)
                else:
                    frame = await conn.next_matching(match)
            except ConnectionError as exc:
                if step.pings is not None:
                    raise StepFailed(step.where, f"fewer than {step.pings} pings: {exc}") from None
                seen = [_dumps(f) for f in conn.frames[-5:]]
                raise StepFailed(
                    step.where, f"no frame matching {_dumps(match)} before {exc}; last: {seen}"
                ) from None
            if step.save:
                self.saved[step.save] = frame
            if step.expect is not None:
                self._check(step.where, step.expect, frame)
        elif isinstance(step, RequestStep):
            response = await self._request(step)
            if step.raises:
                expected = _error_class(step.where, step.raises)
                err = answer_error(
                    response["status"], response["body"], response["headers"], step.where
                )
                if err is None or not isinstance(err, expected):
                    got = "a success" if err is None else type(err).__name__
                    raise StepFailed(
                        step.where,
                        f"{step.method} {step.path} answered {response['status']} "
                        f"{_dumps(response['body'])}: {got}, expected {step.raises}",
                    )
                self._expected_error(
                    step.where, step.save, step.expect, {**error_dict(err), **response}
                )
                return
            if step.save:
                self.saved[step.save] = response
            if step.expect is not None:
                self._check(step.where, step.expect, response)
        elif isinstance(step, CloseStep):
            await self._conn(step.where, step.conn).close()
            del self.raw[step.conn]

    def _http(self) -> aiohttp.ClientSession:
        if self.http is None:
            self.http = aiohttp.ClientSession()
        return self.http

    async def _account(self, where: Where, name: str) -> tuple[Any, int]:
        """Return (the account ``name``, the target's time in ms to sign with)."""
        account = self.accounts.get(name)
        if account is None:
            known = ", ".join(sorted(self.accounts)) or "none"
            raise StepFailed(where, f"no account {name!r} on this target (accounts: {known})")
        if self.offline:
            return account, self.templates.now_ms()
        if self._offset_ms is None:  # Binance's clock, as the client measures it
            local = self.templates.now_ms()
            self._offset_ms = await self.ex.fetch_time() - local
        return account, self.templates.now_ms() + self._offset_ms

    async def _request(self, step: RequestStep) -> dict[str, Any]:
        url = getattr(self.endpoints, step.service) + step.path
        rendered = self._render(step.where, step.params)
        headers: dict[str, str] = {}
        params: Any = {k: str(v) for k, v in rendered.items()}
        if step.auth != "none":
            account, now = await self._account(step.where, step.account)
            headers["X-MBX-APIKEY"] = account.api_key
            if step.auth == "signed":
                params = None
                url = f"{url}?{signed_query(rendered, account, now)}"
        try:
            async with self._http().request(
                step.method, yarl.URL(url, encoded=True), params=params, headers=headers
            ) as r:
                raw = await r.read()
                headers = {k.lower(): v for k, v in r.headers.items()}
                status = r.status
        except aiohttp.ClientError as exc:
            raise StepFailed(step.where, f"{step.method} {url}: {exc}") from None
        try:
            body: Any = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            body = raw.decode(errors="replace")
        return {"status": status, "headers": headers, "body": body}

    async def close(self) -> None:
        for conn in list(self.raw.values()):
            await conn.close()
        self.raw.clear()
        if self.http is not None:
            await self.http.close()
        self.ex.remove_listener(self.wire.on_event)


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _error_class(where: Where, name: str) -> type[BaseError]:
    try:
        return error_class(name)
    except ClassError as exc:
        raise StepFailed(where, f"raises: {exc}") from None


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
        except _NotSaved:
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


async def run_scenario(scenario: Scenario, target: Target) -> ScenarioResult:
    """Run ``scenario`` on ``target`` and return its result (never raises for a failure)."""
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
    try:
        problems = scenario_problems(scenario)  # what validate reports, refused the same way
        if problems:
            return result("failed", "; ".join(problems))
        async with target.open(scenario) as opened:
            run = _Run(scenario, target, opened)
            skipped = run.skipped
            try:
                await _preflight(run, target)
                await _play(run, scenario)
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
    if failure:
        return result("failed", failure)
    return result("passed")


DEFAULT_JOBS = 4


async def run_many(
    pairs: list[tuple[Scenario, Target]],
    jobs: int = DEFAULT_JOBS,
    on_result: Callable[[ScenarioResult], None] | None = None,
) -> list[ScenarioResult]:
    """Run scenario x target pairs, ``jobs`` at a time (each embedded run has its own emulator).

    ``on_result`` sees results as they finish; the list returned keeps the order of ``pairs``.
    """
    gate = asyncio.Semaphore(max(1, jobs))

    async def one(scenario: Scenario, target: Target) -> ScenarioResult:
        async with gate:
            r = await run_scenario(scenario, target)
        if on_result:
            on_result(r)
        return r

    return list(await asyncio.gather(*(one(s, t) for s, t in pairs)))


async def run_paths(
    paths: list[Path] | None,
    targets: list[Target],
    on_result: Callable[[ScenarioResult], None] | None = None,
    jobs: int = DEFAULT_JOBS,
) -> list[ScenarioResult]:
    """Load and run every scenario under ``paths`` on every target, ``jobs`` at a time.

    A file that fails to load is reported as a failed result naming its ``file:line``.
    Results come back in file order, then target order.
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
    ran = iter(await run_many(pairs, jobs, on_result))
    return [p if isinstance(p, ScenarioResult) else next(ran) for p in slots]


def run_sync(scenario: Scenario, target: Target) -> ScenarioResult:
    """Run one scenario in a fresh event loop (for callers without one)."""
    return asyncio.run(run_scenario(scenario, target))
