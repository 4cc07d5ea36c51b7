"""Typed, frozen scenario objects; each remembers the ``file:line`` it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "ALL_TARGETS",
    "CallStep",
    "EmulatorAction",
    "EmulatorStep",
    "Expect",
    "Scenario",
    "Step",
    "WireStep",
]

ALL_TARGETS: tuple[str, ...] = ("emulator", "testnet", "demo", "prod")


@dataclass(frozen=True)
class Where:
    """A position in a scenario file."""

    file: Path
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Expect:
    """Expectations on a call's result: its structure kind and field predicates."""

    kind: str | None = None
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    emulator_fields: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class CallStep:
    """Call a public client method and check its result (or the exception it raises)."""

    where: Where
    call: str
    args: tuple[Any, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    save: str | None = None
    expect: Expect | None = None
    raises: str | None = None


@dataclass(frozen=True)
class WireStep:
    """Expect a frame the client sent (subset match) and how the server answered it."""

    where: Where
    sent: dict[str, Any]
    answered: str = "ack"


@dataclass(frozen=True)
class EmulatorAction:
    """One emulator script action: ``fault``, ``advance_clock``, ``rate`` or ``push``."""

    where: Where
    action: str
    value: Any


@dataclass(frozen=True)
class EmulatorStep:
    """An emulator action in the middle of the steps (offline targets only)."""

    where: Where
    action: EmulatorAction


Step = CallStep | WireStep | EmulatorStep


@dataclass(frozen=True)
class Scenario:
    """A loaded, validated scenario."""

    where: Where
    name: str
    description: str
    targets: tuple[str, ...]
    market: str
    setup: dict[str, Any]
    emulator: tuple[EmulatorAction, ...]
    steps: tuple[Step, ...]

    @property
    def file(self) -> Path:
        """The file the scenario was loaded from."""
        return self.where.file
