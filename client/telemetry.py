"""Wire tap and lifecycle events: plain callbacks a debug logger or a test can attach.

Every frame sent or received and every lifecycle change (connect, subscribe, ack, error,
close) becomes a :class:`WireEvent`. Secrets are redacted before any text leaves this module.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from .protocol.redaction import redact

__all__ = ["Listener", "Telemetry", "WireEvent", "log_listener", "redact"]

log = logging.getLogger("client")

EventKind = Literal["connect", "send", "recv", "subscribe", "ack", "error", "close", "reconnect"]


@dataclass(frozen=True)
class WireEvent:
    """One thing that happened on a connection. ``text`` is already redacted."""

    kind: EventKind
    url: str
    text: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


Listener = Callable[[WireEvent], None]


class Telemetry:
    """A set of listeners; emitting calls each one and never lets one break the client."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
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
                log.exception("telemetry listener failed")


def log_listener(logger: logging.Logger, *, wire: bool) -> Listener:
    """Return a listener that logs events at DEBUG (frames too when ``wire``)."""

    def listener(event: WireEvent) -> None:
        if not wire and event.kind in ("send", "recv"):
            return
        extra = f" {event.detail}" if event.detail else ""
        logger.debug("%s %s %s%s", event.kind, event.url, event.text, extra)

    return listener
