"""The state of one scenario run and the steps that need no client call: templates,
expectations, raw WebSocket connections and raw REST requests (signed ones too).

:class:`RunBase` is what :class:`scenarios.runner._Run` builds on; a failure is a
:class:`StepFailed` whose message starts with the step's ``file:line``.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import orjson
import yarl

from client.errors import BaseError

from .expect import ExpectationFailed, check_expect
from .model import (
    CloseStep,
    Expect,
    OpenStep,
    RecvStep,
    RequestStep,
    Scenario,
    SendStep,
    Step,
    Where,
)
from .signing import (
    ClassError,
    answer_error,
    error_class,
    error_dict,
    frame_error,
    signed_query,
    signed_ws_params,
)
from .targets import EmulatorHandle, Opened, Target
from .templates import MissingSaved, TemplateError, Templates
from .wire import RawConn, WireLog

__all__ = ["NotSaved", "RunBase", "StepFailed", "dumps", "error_class_at"]


class StepFailed(Exception):
    """A step did not meet its expectation."""

    def __init__(self, where: Where, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where


class NotSaved(StepFailed):
    """A step refers to a result no earlier step saved (in cleanup: nothing to clean up)."""


def dumps(value: Any) -> str:
    text = orjson.dumps(value, default=str).decode()
    return text if len(text) <= 400 else text[:400] + "..."


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def error_class_at(where: Where, name: str) -> type[BaseError]:
    """Return the client error class ``name``, or fail the step at ``where``."""
    try:
        return error_class(name)
    except ClassError as exc:
        raise StepFailed(where, f"raises: {exc}") from None


class RunBase:
    """The state of one scenario on one opened target, and its raw steps."""

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
            raise NotSaved(where, str(exc)) from None
        except TemplateError as exc:
            raise StepFailed(where, str(exc)) from None

    def _check(self, where: Where, expect: Expect, result: Any) -> None:
        if expect.emulator_fields and not self.offline:
            self.skipped.append(f"{where} (emulator_fields)")
        try:
            check_expect(expect, result, self.offline, self.templates)
        except (ExpectationFailed, TemplateError) as exc:
            raise StepFailed(where, str(exc)) from None

    def _expected_error(
        self, where: Where, save: str | None, expect: Expect | None, error: dict[str, Any]
    ) -> None:
        if save:
            self.saved[save] = error
        if expect is not None:
            self._check(where, expect, error)

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
                seen = [dumps(f) for f in conn.frames[-5:]]
                raise StepFailed(
                    step.where, f"no frame matching {dumps(match)} before {exc}; last: {seen}"
                ) from None
            if step.raises:
                expected = error_class_at(step.where, step.raises)
                err = frame_error(frame, step.where)
                if err is None or not isinstance(err, expected):
                    got = "no error" if err is None else type(err).__name__
                    raise StepFailed(
                        step.where, f"{dumps(frame)} decodes to {got}, expected {step.raises}"
                    )
                found = {**error_dict(err), **frame}
                self._expected_error(step.where, step.save, step.expect, found)
                return
            if step.save:
                self.saved[step.save] = frame
            if step.expect is not None:
                self._check(step.where, step.expect, frame)
        elif isinstance(step, RequestStep):
            response = await self._request(step)
            if step.raises:
                expected = error_class_at(step.where, step.raises)
                err = answer_error(
                    response["status"], response["body"], response["headers"], step.where
                )
                if err is None or not isinstance(err, expected):
                    got = "a success" if err is None else type(err).__name__
                    raise StepFailed(
                        step.where,
                        f"{step.method} {step.path} answered {response['status']} "
                        f"{dumps(response['body'])}: {got}, expected {step.raises}",
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
