"""Wire tap and lifecycle events: plain callbacks a debug logger or a test can attach.

Every frame sent or received and every lifecycle change (connect, subscribe, ack, error,
close) becomes a :class:`WireEvent`. Secrets are redacted before any text leaves this module.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from .protocol.redaction import redact

__all__ = ["Listener", "RateLimitedLog", "Telemetry", "WireEvent", "log_listener", "redact"]

log = logging.getLogger("client")

EventKind = Literal[
    "connect", "send", "recv", "subscribe", "ack", "error", "close", "reconnect", "reconcile"
]
"""``reconcile``: a user-data session read over REST what a reconnect may have missed."""


@dataclass(frozen=True)
class WireEvent:
    """One thing that happened on a connection. ``text`` is already redacted."""

    kind: EventKind
    url: str
    text: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


Listener = Callable[[WireEvent], None]


class RateLimitedLog:
    """Log a repeated line at most once per ``interval`` seconds per key, counting the rest.

    A peer can send the same bad frame 50 000 times; the log gets the first one, then one line
    per interval that says how many like it were held back.

    Args:
        logger: where lines go.
        interval: seconds between two lines of one key.
        clock: monotonic seconds (injected in tests).
        max_keys: keys remembered; the oldest is forgotten beyond it (memory stays bounded).
    """

    def __init__(
        self,
        logger: logging.Logger,
        interval: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 64,
    ) -> None:
        self.logger = logger
        self.interval = interval
        self.clock = clock
        self.max_keys = max_keys
        self._seen: dict[str, list[float]] = {}  # key -> [time of the last line, held back]

    def log(self, level: int, key: str, msg: str, *args: Any, exc_info: bool = False) -> None:
        """Log ``msg % args`` unless a line of ``key`` went out less than ``interval`` ago."""
        now = self.clock()
        entry = self._seen.get(key)
        if entry is not None and now - entry[0] < self.interval:
            entry[1] += 1
            return
        if entry is not None and entry[1]:
            msg, args = f"{msg} (%d more like it held back)", (*args, int(entry[1]))
        self._seen.pop(key, None)
        self._seen[key] = [now, 0]
        if len(self._seen) > self.max_keys:
            del self._seen[next(iter(self._seen))]
        self.logger.log(level, msg, *args, exc_info=exc_info)

    def warning(self, key: str, msg: str, *args: Any) -> None:
        """:meth:`log` at WARNING."""
        self.log(logging.WARNING, key, msg, *args)

    def exception(self, key: str, msg: str, *args: Any) -> None:
        """:meth:`log` at ERROR with the exception being handled."""
        self.log(logging.ERROR, key, msg, *args, exc_info=True)


class Telemetry:
    """A set of listeners; emitting calls each one and never lets one break the client."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._failures = RateLimitedLog(log)
        self.active = False
        """True when at least one listener is attached (skip building events otherwise)."""

    def add(self, listener: Listener) -> None:
        """Attach ``listener``."""
        self._listeners.append(listener)
        self.active = True

    def remove(self, listener: Listener) -> None:
        """Detach ``listener`` (unknown listeners are ignored)."""
        if listener in self._listeners:
            self._listeners.remove(listener)
        self.active = bool(self._listeners)

    def emit(self, kind: EventKind, url: str, text: str = "", **detail: Any) -> None:
        """Build a redacted event and hand it to every listener."""
        if not self._listeners:
            return
        event = WireEvent(kind, url, redact(text) if text else "", detail)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a listener must never break the connection
                self._failures.exception(repr(listener), "telemetry listener failed")


def log_listener(logger: logging.Logger, *, wire: bool) -> Listener:
    """Return a listener that logs events at DEBUG (frames too when ``wire``)."""

    def listener(event: WireEvent) -> None:
        if not wire and event.kind in ("send", "recv"):
            return
        extra = f" {event.detail}" if event.detail else ""
        logger.debug("%s %s %s%s", event.kind, event.url, event.text, extra)

    return listener
