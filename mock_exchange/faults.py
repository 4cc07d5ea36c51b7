"""Faults and the request journal of a running emulator.

Faults are queued here and consumed by the transports at the point where they apply (an ACK
about to be sent, a frame about to be written). Each fault fires ``count`` times (-1 = until
cleared). The journal records what every connection and REST caller sent, in order, with
secrets (``apiKey``, ``signature``, listen keys) redacted: the journal is the one place the
emulator keeps what clients sent, so redaction happens here (``apiKey``, ``signature``,
``listenKey``, ``listenToken`` and ``secret`` values).
"""

from __future__ import annotations

import itertools
import re
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, get_args

__all__ = [
    "FAULT_KINDS",
    "FAULT_OPTIONS",
    "IMMEDIATE_FAULTS",
    "JOURNAL_ENTRY_CHARS",
    "JOURNAL_MAX_BYTES",
    "Control",
    "Fault",
    "FaultKind",
    "JournalEntry",
    "check_fault",
    "redact",
]

FaultKind = Literal[
    "withhold_ack",
    "delay_ack",
    "error_reply",
    "close",
    "drop_frames",
    "delay_frames",
    "gap",
    "server_shutdown",
    "force_429",
    "force_418",
    "withhold_pongs",
]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
IMMEDIATE_FAULTS: tuple[str, ...] = ("close", "gap", "server_shutdown")

_SECRET_NAMES = "apiKey|signature|listenKey|listenToken|secret"
_JSON_SECRET = re.compile(rf'("(?:{_SECRET_NAMES})"\s*:\s*)"[^"]*"')
_QUERY_SECRET = re.compile(rf"((?:^|[?&/])(?:{_SECRET_NAMES})=)[^&\s]*")
_REDACTED = "<redacted>"


def redact(text: str) -> str:
    """Return ``text`` with the values of secret fields replaced (JSON and query forms)."""
    text = _JSON_SECRET.sub(rf'\1"{_REDACTED}"', text)
    return _QUERY_SECRET.sub(rf"\1{_REDACTED}", text)


@dataclass
class Fault:
    """One scripted misbehaviour.

    Attributes:
        kind: ``withhold_ack`` (never answer a control request), ``delay_ack`` (answer after
            ``delay_ms``), ``error_reply`` (answer with ``code``/``msg`` instead), ``close``
            (close every connection with ``close_code`` at once), ``drop_frames`` /
            ``delay_frames`` (drop, or delay by ``delay_ms``, the next ``count`` data frames
            sent to stream connections), ``gap`` (skip ``count`` update ids of ``symbol`` on
            ``venue`` at once: the next diff-depth event starts after a gap),
            ``server_shutdown`` (send ``serverShutdown`` to every connection at once),
            frame faults only count frames of ``stream`` (a stream name) or ``symbol`` when
            those are set,
            ``force_429`` / ``force_418`` (answer the next ``count`` REST or WS API requests
            with the rate-limit / ban error), ``withhold_pongs`` (leave the next ``count``
            client pings unanswered: a peer that looks dead to the client's keepalive).
        method: the control method it applies to (``SUBSCRIBE``...); None = any.
        count: how many times it fires; -1 = until cleared.
    """

    kind: FaultKind
    method: str | None = None
    count: int = 1
    delay_ms: int = 0
    code: int = 2
    msg: str = "Invalid request"
    close_code: int = 1000
    stream: str | None = None
    symbol: str | None = None
    venue: str = "spot"
    fault_id: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return the fault as a JSON-ready dict."""
        return asdict(self)


FAULT_OPTIONS = frozenset(Fault.__dataclass_fields__) - {"kind", "fault_id"}


# Close codes a server may send (RFC 6455 7.4: 1004-1006 and 1015 are never on the wire).
_CLOSE_CODES = frozenset((1000, 1001, 1002, 1003, *range(1007, 1015), *range(3000, 5000)))
_MAX_DELAY_MS = 86_400_000
_INT32 = 2**31


def _text(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# each option: (accepts the value, what it must be)
_OPTION_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "method": (_text, "a control method name (text)"),
    "count": (lambda v: _int(v) and (v == -1 or 1 <= v < _INT32), "an integer >= 1, or -1"),
    "delay_ms": (lambda v: _int(v) and 0 <= v <= _MAX_DELAY_MS, f"an integer 0..{_MAX_DELAY_MS}"),
    "code": (lambda v: _int(v) and -_INT32 <= v < _INT32, "a 32-bit integer"),
    "msg": (lambda v: isinstance(v, str), "text"),
    "close_code": (lambda v: _int(v) and v in _CLOSE_CODES, "a close code a server may send"),
    "stream": (_text, "a stream name (text)"),
    "symbol": (_text, "a symbol (text)"),
    "venue": (lambda v: v in ("spot", "usdm", "coinm"), "spot, usdm or coinm"),
}


def check_fault(kind: Any, options: dict[str, Any]) -> None:
    """Check a fault's kind, option names and option values.

    Raises:
        ValueError: unknown kind or option, or an option of the wrong type or range (the
            message names it: ``fault count must be an integer >= 1, or -1, not 'x'``).
    """
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
    unknown = set(options) - FAULT_OPTIONS
    if unknown:
        raise ValueError(
            f"unknown fault options {sorted(unknown)}; allowed {sorted(FAULT_OPTIONS)}"
        )
    for name, value in options.items():
        accepts, what = _OPTION_CHECKS[name]
        if not accepts(value):
            raise ValueError(f"fault {name} must be {what}, not {value!r}")


@dataclass(frozen=True)
class JournalEntry:
    """One thing a client sent: a WebSocket text frame or a REST request line.

    ``text`` keeps the first :data:`JOURNAL_ENTRY_CHARS` characters (secrets redacted first);
    ``truncated`` is how many characters were cut off (0 when none).
    """

    seq: int
    time: int
    connection: int
    transport: Literal["ws", "rest"]
    host: str
    path: str
    text: str
    truncated: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return the entry as a JSON-ready dict."""
        return asdict(self)

    @property
    def size(self) -> int:
        """What the entry counts against the journal's byte bound (its text, UTF-8)."""
        return len(self.text.encode()) + len(self.host) + len(self.path) + 64


JOURNAL_ENTRY_CHARS = 16_384
JOURNAL_MAX_BYTES = 8 << 20


@dataclass
class Control:
    """Fault queue and request journal shared by the transports of one emulator.

    The journal keeps at most ``journal_limit`` entries and ``journal_max_bytes`` bytes of
    them (the oldest go first); each frame is cut to :data:`JOURNAL_ENTRY_CHARS` characters.
    """

    journal_limit: int = 10_000
    journal_max_bytes: int = JOURNAL_MAX_BYTES
    faults: list[Fault] = field(default_factory=list)
    journal: deque[JournalEntry] = field(init=False)
    journal_bytes: int = field(default=0, init=False)
    _seq: itertools.count[int] = field(default_factory=itertools.count, init=False)
    _fault_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1), init=False)

    def __post_init__(self) -> None:
        self.journal = deque()

    def add_fault(self, kind: str, **options: Any) -> Fault:
        """Queue a fault of ``kind``; see :class:`Fault` for the options.

        Raises:
            ValueError: unknown kind or option.
        """
        check_fault(kind, options)
        fault = Fault(kind=kind, fault_id=next(self._fault_ids), **options)  # type: ignore[arg-type]
        self.faults.append(fault)
        return fault

    def take(self, kinds: tuple[str, ...], method: str | None) -> Fault | None:
        """Consume the first fault of one of ``kinds`` matching ``method``; None if none."""
        for fault in self.faults:
            if fault.kind in kinds and (fault.method is None or fault.method == method):
                if fault.count > 0:
                    fault.count -= 1
                    if fault.count == 0:
                        self.faults.remove(fault)
                return fault
        return None

    def take_frame(self, stream: str | None, symbol: str | None) -> Fault | None:
        """Consume the first frame fault (drop/delay) matching a frame of ``stream``/``symbol``."""
        for fault in self.faults:
            if fault.kind not in ("drop_frames", "delay_frames"):
                continue
            if fault.stream is not None and fault.stream != stream:
                continue
            if fault.symbol is not None and (symbol is None or fault.symbol.upper() != symbol):
                continue
            if fault.count > 0:
                fault.count -= 1
                if fault.count == 0:
                    self.faults.remove(fault)
            return fault
        return None

    def clear_faults(self) -> None:
        """Drop every queued fault."""
        self.faults.clear()

    def record(
        self,
        now: int,
        connection: int,
        transport: Literal["ws", "rest"],
        host: str,
        path: str,
        text: str,
    ) -> None:
        """Append one journal entry: secrets in ``text`` redacted, then the text cut to
        :data:`JOURNAL_ENTRY_CHARS`; the oldest entries go past the bounds."""
        text = redact(text)  # before the cut: a cut could split a secret out of the pattern
        cut = max(0, len(text) - JOURNAL_ENTRY_CHARS)
        if cut:
            text = text[:JOURNAL_ENTRY_CHARS]
        entry = JournalEntry(next(self._seq), now, connection, transport, host, path, text, cut)
        self.journal.append(entry)
        self.journal_bytes += entry.size
        while self.journal and (
            len(self.journal) > self.journal_limit or self.journal_bytes > self.journal_max_bytes
        ):
            self.journal_bytes -= self.journal.popleft().size

    def clear_journal(self) -> None:
        """Forget every journal entry."""
        self.journal.clear()
        self.journal_bytes = 0
