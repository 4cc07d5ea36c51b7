"""YAML -> JSON Schema validation -> frozen step objects that remember ``file:line``.

Every loading error is a :class:`ScenarioError` whose message starts with ``file:line``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from mock_exchange.yaml_lines import PathKey, YamlError, line_of, load_yaml

from .model import (
    ALL_TARGETS,
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

__all__ = ["ScenarioError", "default_paths", "discover", "load_file", "load_text", "schema"]


class ScenarioError(Exception):
    """A scenario that cannot be loaded or run; ``where`` is its ``file:line``."""

    def __init__(self, where: Where, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


@cache
def schema() -> dict[str, Any]:
    """Return the scenario JSON Schema shipped as ``scenarios/schema.json``."""
    text = resources.files("scenarios").joinpath("schema.json").read_text(encoding="utf-8")
    result: dict[str, Any] = json.loads(text)
    return result


def _parse_yaml(text: str, file: Path) -> tuple[Any, dict[PathKey, int]]:
    try:
        return load_yaml(text)
    except YamlError as exc:
        raise ScenarioError(Where(file, exc.line), exc.message) from None


_STEP_KEYS = (
    "call",
    "open",
    "send",
    "recv",
    "request",
    "close",
    "expect_wire",
    "wait",
    "emulator",
    "concurrent",
)


def _pick(err: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """Descend into ``oneOf`` errors along the branch the step's own key selects."""
    while err.validator == "oneOf" and err.context:
        inst = err.instance
        options = err.schema.get("oneOf", []) if isinstance(err.schema, dict) else []
        if options and options[0] == {"$ref": "#/$defs/step"}:  # a concurrent branch
            branch = 0 if isinstance(inst, dict) else 1
        else:
            keys = [k for k in _STEP_KEYS if isinstance(inst, dict) and k in inst]
            if len(keys) != 1:
                return err
            branch = _STEP_KEYS.index(keys[0])
        inner = [e for e in err.context if e.relative_schema_path[0] == branch]
        if not inner:
            return err
        err = max(inner, key=lambda e: len(e.absolute_path))
    return err


def _describe(err: jsonschema.ValidationError) -> tuple[PathKey, str]:
    loc: PathKey = tuple(err.absolute_path)
    inst = err.instance
    if (
        err.validator == "oneOf"
        and isinstance(inst, dict)
        and not any(k in inst for k in _STEP_KEYS)
    ):
        return loc, "a step needs exactly one of: " + ", ".join(_STEP_KEYS)
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        allowed = err.schema.get("properties", {}) if isinstance(err.schema, dict) else {}
        extra = [k for k in err.instance if k not in allowed]
        if extra:
            loc = (*loc, str(extra[0]))
            known = ", ".join(sorted(allowed))
            return loc, f"unknown key {extra[0]!r} (allowed: {known})"
    return loc, err.message


def load_text(text: str, file: Path | str = "<string>") -> Scenario:
    """Load a scenario from YAML text.

    Raises:
        ScenarioError: invalid YAML or a schema violation, with the ``file:line`` it is at.
    """
    path = Path(file)
    data, lines = _parse_yaml(text, path)
    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(
        validator.iter_errors(data), key=lambda e: line_of(lines, tuple(e.absolute_path))
    )
    if errors:
        loc, message = _describe(_pick(errors[0]))
        at = "/".join(str(p) for p in loc) or "(top)"
        raise ScenarioError(Where(path, line_of(lines, loc)), f"{at}: {message}")
    return _build(data, path, lines)


def _expect(raw: dict[str, Any] | None) -> Expect | None:
    if raw is None:
        return None
    return Expect(raw.get("kind"), raw.get("fields", {}), raw.get("emulator_fields", {}))


def _build(data: dict[str, Any], path: Path, lines: dict[PathKey, int]) -> Scenario:
    def where(*key: str | int) -> Where:
        return Where(path, line_of(lines, key))

    def action(raw: dict[str, Any], *key: str | int) -> EmulatorAction:
        ((name, value),) = raw.items()
        return EmulatorAction(where(*key, name), name, value)

    def step(raw: dict[str, Any], *key: str | int) -> Step:
        common: dict[str, Any] = {
            "targets": tuple(raw["targets"]) if "targets" in raw else None,
            "timeout_ms": raw.get("timeout_ms"),
            "unless_saved": raw.get("unless_saved"),
        }
        at = where(*key)
        if "call" in raw:
            return CallStep(
                at,
                call=raw["call"],
                args=tuple(raw.get("args", ())),
                params=dict(raw.get("params", {})),
                save=raw.get("save"),
                expect=_expect(raw.get("expect")),
                raises=raw.get("raises"),
                tolerate=tuple(raw.get("tolerate", ())),
                **common,
            )
        if "open" in raw:
            o = raw["open"]
            service = o.get("service", "spot_streams")
            return OpenStep(
                at,
                conn=o["conn"],
                service=service,
                path=o.get("path", "" if service.endswith("_ws_api") else "/ws"),
                pong=bool(o.get("pong", True)),
                **common,
            )
        if "send" in raw:
            s = raw["send"]
            sign = s.get("sign", False)
            return SendStep(
                at,
                conn=s["conn"],
                frame=s.get("frame"),
                text=s.get("text"),
                sign=("main" if sign is True else sign) or None,
                **common,
            )
        if "recv" in raw:
            r = raw["recv"]
            return RecvStep(
                at,
                conn=r["conn"],
                match=r.get("match"),
                closed=bool(r.get("closed", False)),
                pings=r.get("pings"),
                save=r.get("save"),
                expect=_expect(r.get("expect")),
                raises=r.get("raises"),
                **common,
            )
        if "request" in raw:
            q = raw["request"]
            return RequestStep(
                at,
                service=q.get("service", "spot_rest"),
                method=q.get("method", "GET"),
                path=q["path"],
                params=dict(q.get("params", {})),
                save=q.get("save"),
                expect=_expect(q.get("expect")),
                auth=q.get("auth", "none"),
                account=q.get("account", "main"),
                raises=q.get("raises"),
                **common,
            )
        if "close" in raw:
            return CloseStep(at, conn=raw["close"], **common)
        if "expect_wire" in raw:
            w = raw["expect_wire"]
            return WireStep(at, sent=dict(w["sent"]), answered=w.get("answered", "ack"), **common)
        if "wait" in raw:
            w = raw["wait"]
            return WaitStep(
                at,
                event=w.get("event"),
                count=int(w.get("count", 1)),
                text_matches=w.get("text_matches"),
                user_event=w.get("user_event"),
                match=w.get("match"),
                at_most=w.get("at_most"),
                **common,
            )
        if "concurrent" in raw:
            branches = tuple(
                tuple(step(s, *key, "concurrent", j, k) for k, s in enumerate(b))
                if isinstance(b, list)
                else (step(b, *key, "concurrent", j),)
                for j, b in enumerate(raw["concurrent"])
            )
            return ConcurrentStep(at, branches=branches, **common)
        return EmulatorStep(at, action=action(raw["emulator"], *key, "emulator"), **common)

    return Scenario(
        where=where(),
        name=data["name"],
        description=" ".join(data.get("description", "").split()),
        targets=tuple(data.get("targets", ALL_TARGETS)),
        market=data.get("market", "spot"),
        setup=dict(data.get("setup", {})),
        emulator=tuple(action(a, "emulator", i) for i, a in enumerate(data.get("emulator", []))),
        steps=tuple(step(s, "steps", i) for i, s in enumerate(data["steps"])),
        kind=data.get("kind", "misc"),
        requires=tuple(data.get("requires", ())),
        cleanup=tuple(step(s, "cleanup", i) for i, s in enumerate(data.get("cleanup", []))),
        setup_where=where("setup"),
    )


def load_file(path: Path | str) -> Scenario:
    """Load one scenario file.

    Raises:
        ScenarioError: unreadable file, invalid YAML or schema violation.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(Where(p, 1), f"cannot read: {exc.strerror}") from None
    return load_text(text, p)


def default_paths() -> list[Path]:
    """Return the directory of the scenarios shipped with the package."""
    return [Path(str(resources.files("scenarios")))]


def discover(paths: list[Path] | None = None) -> list[Path]:
    """Return every ``*.yaml`` scenario file under ``paths`` (files are taken as given), sorted.

    Raises:
        ScenarioError: a path does not exist.
    """
    found: list[Path] = []
    for p in paths or default_paths():
        if p.is_dir():
            found.extend(sorted(p.rglob("*.yaml")))
        elif p.is_file():
            found.append(p)
        else:
            raise ScenarioError(Where(p, 1), "no such file or directory")
    return found
