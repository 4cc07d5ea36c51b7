"""Wire tap and lifecycle events: plain callbacks a debug logger or a test can attach.

Every frame sent or received and every lifecycle change (connect, subscribe, ack, error,
close) becomes a :class:`WireEvent`. Secrets are redacted before any text leaves this module.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Listener", "Telemetry", "WireEvent", "redact"]

log = logging.getLogger("client")

EventKind = Literal["connect", "send", "recv", "subscribe", "ack", "error", "close", "reconnect"]

_SECRET_KEYS = ("apiKey", "api_key", "signature", "secret", "listenKey", "listenToken", "token")
_SECRET_RE = re.compile(
    r'("?(?:' + "|".join(_SECRET_KEYS) + r')"?\s*[:=]\s*"?)([^"&,}\s]+)', re.IGNORECASE
)


def redact(text: str) -> str:
    """Replace the values of secret keys (apiKey, signature, listenKey, ...) with ``***``."""
    return _SECRET_RE.sub(r"\1***", text)


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
