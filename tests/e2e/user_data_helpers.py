"""Helpers for the user-data e2e tests: what the emulator's journal says a client sent, the
raw events a client received on the wire, and waiting on client telemetry (test helper)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from client import Binance
from client.telemetry import WireEvent
from mock_exchange import MockExchange


def ws_methods(mx: MockExchange) -> list[str]:
    """The WS API methods clients sent, in order."""
    out = []
    for entry in mx.control.journal:
        if entry.transport == "ws" and entry.text.startswith("{"):
            method = json.loads(entry.text).get("method")
            if method:
                out.append(str(method))
    return out


def rest_calls(mx: MockExchange, fragment: str) -> list[str]:
    """The REST request lines whose path contains ``fragment``."""
    return [e.text for e in mx.control.journal if e.transport == "rest" and fragment in e.path]


class Wire:
    """Records the user-data events a client receives (the raw JSON, before any parsing) and
    lets a test wait for a telemetry event."""

    def __init__(self, ex: Binance) -> None:
        self.events: list[dict[str, Any]] = []
        self.lifecycle: list[WireEvent] = []
        self.rest: list[str] = []  # "VERB url" of each REST request the client sent
        self._changed = asyncio.Event()
        ex.add_listener(self.on_event)

    def on_event(self, event: WireEvent) -> None:
        if event.kind == "recv" and event.text.startswith("{"):
            msg = json.loads(event.text)
            if isinstance(msg.get("event"), dict):
                msg = msg["event"]
            if "e" in msg:
                self.events.append(msg)
        elif event.kind == "send" and event.text.split(" ", 1)[0] in (
            "GET",
            "POST",
            "PUT",
            "DELETE",
        ):
            self.rest.append(" ".join(event.text.split(" ", 2)[:2]))
        elif event.kind != "send":
            self.lifecycle.append(event)
        self._changed.set()

    def of(self, kind: str) -> list[dict[str, Any]]:
        """The events of type ``kind`` received so far."""
        return [e for e in self.events if e["e"] == kind]

    async def until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait (on received frames and lifecycle events) until ``predicate()`` holds."""
        async with asyncio.timeout(timeout):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    def sent(self, verb: str, fragment: str) -> int:
        """How many REST requests ``verb`` to a URL containing ``fragment`` were sent."""
        return sum(1 for r in self.rest if r.startswith(f"{verb} ") and fragment in r)

    def saw(self, kind: str, fragment: str = "") -> bool:
        """True once a lifecycle event of ``kind`` whose text has ``fragment`` was seen."""
        return any(e.kind == kind and fragment in e.text for e in self.lifecycle)


async def until_waiting(ex: Binance, topic: str) -> None:
    """Let the loop run (no wall-clock wait) until a watcher of ``topic`` is pending."""
    for _ in range(1000):
        if any(s["waiters"].get(topic) for s in ex.user_data_sessions()):
            return
        await asyncio.sleep(0)  # a yield to the other tasks, not a timed wait
    raise AssertionError(f"no {topic} watcher is pending")
