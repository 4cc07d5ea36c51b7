"""Typed, frozen scenario objects; each remembers the ``file:line`` it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "ALL_TARGETS",
    "EMULATED_TARGETS",
    "GATES",
    "CallStep",
    "CloseStep",
    "ConcurrentStep",
    "EmulatorAction",
    "EmulatorStep",
    "Expect",
    "OpenStep",
    "RecvStep",
    "RequestStep",
    "Scenario",
    "SendStep",
    "Step",
    "WaitStep",
    "Where",
    "WireStep",
    "walk_steps",
]

ALL_TARGETS: tuple[str, ...] = ("emulator", "testnet", "demo", "prod")
# a live environment's code path against an emulator only (not the live environment itself)
EMULATED_TARGETS: tuple[str, ...] = ("testnet@emulator", "demo@emulator", "prod@emulator")

# what a scenario may require on live targets, and the variable that opens each gate
GATES: dict[str, str] = {
    "keys": "",  # the target environment's own API key family
    "live_orders": "BINANCE_LIVE_ORDERS",
    "cancel_all": "BINANCE_CONFIRM_CANCEL_ALL",
}


@dataclass(frozen=True)
class Where:
    """A position in a scenario file."""

    file: Path
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Expect:
    """Expectations on a result: its structure kind and field predicates.

    ``fields`` hold on every target; ``emulator_fields`` are exact values the emulator
    controls and are checked offline only.
    """

    kind: str | None = None
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    emulator_fields: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class _StepBase:
    where: Where
    targets: tuple[str, ...] | None = field(default=None, kw_only=True)
    timeout_ms: int | None = field(default=None, kw_only=True)
    unless_saved: str | None = field(default=None, kw_only=True)

    def valid_on(self, names: str | tuple[str, ...]) -> bool:
        """True when the step runs on a target answering to one of ``names`` (``emulator``, a
        live environment, or ``ENV@emulator`` too for an emulated one)."""
        if self.targets is None:
            return True
        wanted = (names,) if isinstance(names, str) else names
        return any(n in self.targets for n in wanted)


@dataclass(frozen=True)
class CallStep(_StepBase):
    """Call a public client method and check its result (or the exception it raises)."""

    call: str = ""
    args: tuple[Any, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    save: str | None = None
    expect: Expect | None = None
    raises: str | None = None
    tolerate: tuple[str, ...] = ()  # client error classes that count as done (cleanup steps)


@dataclass(frozen=True)
class OpenStep(_StepBase):
    """Open a raw WebSocket named ``conn`` on a service of the target (``/ws``, ``/stream``...);
    with ``pong`` off it leaves the server's pings unanswered."""

    conn: str = ""
    service: str = "spot_streams"
    path: str = "/ws"
    pong: bool = True


@dataclass(frozen=True)
class SendStep(_StepBase):
    """Send a raw frame (JSON value or verbatim text) on a raw connection."""

    conn: str = ""
    frame: Any = None
    text: str | None = None
    sign: str | None = None  # an account name: sign the frame's params with its key


@dataclass(frozen=True)
class RecvStep(_StepBase):
    """Wait for the next frame on a raw connection that contains ``match`` (or, with
    ``closed``, for the server to close it: the result is ``{code, reason}``); check it."""

    conn: str = ""
    match: Any = None
    closed: bool = False
    pings: int | None = None
    save: str | None = None
    expect: Expect | None = None
    raises: str | None = None  # a WS API error answer decoded by the client's error table


@dataclass(frozen=True)
class RequestStep(_StepBase):
    """Send a raw REST request; its result is ``{status, headers, body}``.

    ``auth`` ``key`` sends an account's API key header, ``signed`` also signs the query
    (``timestamp`` added unless given); ``raises`` names the client error class the answer
    must decode to through the client's own error table.
    """

    service: str = "spot_rest"
    method: str = "GET"
    path: str = "/"
    params: dict[str, Any] = field(default_factory=dict)
    save: str | None = None
    expect: Expect | None = None
    auth: str = "none"
    account: str = "main"
    raises: str | None = None


@dataclass(frozen=True)
class CloseStep(_StepBase):
    """Close a raw connection."""

    conn: str = ""


@dataclass(frozen=True)
class WireStep(_StepBase):
    """Expect a frame the client sent (subset match) and how the server answered it."""

    sent: dict[str, Any] = field(default_factory=dict)
    answered: str = "ack"


@dataclass(frozen=True)
class WaitStep(_StepBase):
    """Wait until the client's wire tap has seen ``count`` events of ``event`` (or ``count``
    user-data events of type ``user_event`` containing ``match``); with ``at_most``, fail
    when more than that were seen by then."""

    event: str | None = "connect"
    count: int = 1
    text_matches: str | None = None
    user_event: str | None = None
    match: Any = None
    at_most: int | None = None


@dataclass(frozen=True)
class EmulatorAction:
    """One emulator script action: ``fault``, ``advance_clock``, ``rate``, ``push``, ``clock``."""

    where: Where
    action: str
    value: Any


@dataclass(frozen=True)
class EmulatorStep(_StepBase):
    """An emulator action in the middle of the steps (offline targets only)."""

    action: EmulatorAction | None = None


@dataclass(frozen=True)
class ConcurrentStep(_StepBase):
    """Run branches at the same time (each a sequence of steps); fail with the first failure."""

    branches: tuple[tuple[Step, ...], ...] = ()


Step = (
    CallStep
    | OpenStep
    | SendStep
    | RecvStep
    | RequestStep
    | CloseStep
    | WireStep
    | WaitStep
    | EmulatorStep
    | ConcurrentStep
)


def walk_steps(steps: tuple[Step, ...]) -> list[Step]:
    """Return ``steps`` with the steps of every concurrent branch, depth first."""
    out: list[Step] = []
    for step in steps:
        out.append(step)
        if isinstance(step, ConcurrentStep):
            for branch in step.branches:
                out.extend(walk_steps(branch))
    return out


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
    kind: str = "misc"
    requires: tuple[str, ...] = ()
    cleanup: tuple[Step, ...] = ()
    setup_where: Where | None = None  # the line of ``setup`` (None: the scenario's own)

    @property
    def file(self) -> Path:
        """The file the scenario was loaded from."""
        return self.where.file
