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
import yaml

from .model import (
    ALL_TARGETS,
    CallStep,
    EmulatorAction,
    EmulatorStep,
    Expect,
    Scenario,
    Step,
    Where,
    WireStep,
)

__all__ = ["ScenarioError", "default_paths", "discover", "load_file", "load_text", "schema"]

PathKey = tuple[str | int, ...]


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


def _to_python(
    loader: yaml.SafeLoader, node: yaml.Node, path: PathKey, lines: dict[PathKey, int]
) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            out[str(key)] = _to_python(loader, value_node, (*path, str(key)), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(loader, n, (*path, i), lines) for i, n in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def _parse_yaml(text: str, file: Path) -> tuple[Any, dict[PathKey, int]]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        lines: dict[PathKey, int] = {}
        data = _to_python(loader, node, (), lines) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise ScenarioError(Where(file, line), f"invalid YAML: {exc.problem}") from None
    finally:
        loader.dispose()
    return data, lines


def _line(lines: dict[PathKey, int], path: PathKey) -> int:
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


def load_text(text: str, file: Path | str = "<string>") -> Scenario:
    """Load a scenario from YAML text.

    Raises:
        ScenarioError: invalid YAML or a schema violation, with the ``file:line`` it is at.
    """
    path = Path(file)
    data, lines = _parse_yaml(text, path)
    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: _line(lines, tuple(e.absolute_path)))
    if errors:
        err = errors[0]
        best = jsonschema.exceptions.best_match([err]) or err
        loc = tuple(best.absolute_path)
        at = "/".join(str(p) for p in loc) or "(top)"
        raise ScenarioError(Where(path, _line(lines, loc)), f"{at}: {best.message}")

    def where(*key: str | int) -> Where:
        return Where(path, _line(lines, key))

    def action(raw: dict[str, Any], *key: str | int) -> EmulatorAction:
        ((name, value),) = raw.items()
        return EmulatorAction(where(*key), name, value)

    steps: list[Step] = []
    for i, raw in enumerate(data["steps"]):
        if "call" in raw:
            exp = raw.get("expect")
            steps.append(
                CallStep(
                    where=where("steps", i),
                    call=raw["call"],
                    args=tuple(raw.get("args", ())),
                    params=dict(raw.get("params", {})),
                    save=raw.get("save"),
                    expect=Expect(
                        exp.get("kind"), exp.get("fields", {}), exp.get("emulator_fields", {})
                    )
                    if exp is not None
                    else None,
                    raises=raw.get("raises"),
                )
            )
        elif "expect_wire" in raw:
            wire = raw["expect_wire"]
            steps.append(
                WireStep(where("steps", i), dict(wire["sent"]), wire.get("answered", "ack"))
            )
        else:
            steps.append(
                EmulatorStep(where("steps", i), action(raw["emulator"], "steps", i, "emulator"))
            )
    return Scenario(
        where=where(),
        name=data["name"],
        description=data.get("description", "").strip(),
        targets=tuple(data.get("targets", ALL_TARGETS)),
        market=data.get("market", "spot"),
        setup=dict(data.get("setup", {})),
        emulator=tuple(action(a, "emulator", i) for i, a in enumerate(data.get("emulator", []))),
        steps=tuple(steps),
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
