"""What a scenario run watches: the client's wire tap and the raw connections it drives itself.

:class:`WireLog` collects the client's wire events (frames sent, ACKs and errors by request id)
and lets a step wait for more; :class:`RawConn` is a WebSocket a scenario opens, writes and
reads verbatim, optionally without answering the server's pings.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable
from typing import Any

import aiohttp
import orjson

from client.telemetry import WireEvent

from .expect import subset

__all__ = ["RawConn", "WireLog"]


# -- wire tap --------------------------------------------------------------------------------


class WireLog:
    """Everything the client's wire tap reported, with a way to wait for more."""

    def __init__(self) -> None:
        self.events: list[WireEvent] = []
        self.sent: list[dict[str, Any]] = []
        self.answers: dict[Any, str] = {}  # request id -> "ack" | "error"
        self.used: set[int] = set()
        self.changed = asyncio.Event()
        self._parsed: dict[int, Any] = {}  # index of a recv event -> its user-data event

    def on_event(self, event: WireEvent) -> None:
        self.events.append(event)
        if event.kind == "send" and event.text.startswith("{"):
            with contextlib.suppress(orjson.JSONDecodeError):
                frame = orjson.loads(event.text)
                if isinstance(frame, dict) and "method" in frame:
                    self.sent.append(frame)
        elif event.kind in ("ack", "error") and "request_id" in event.detail:
            self.answers[event.detail["request_id"]] = event.kind
        self.changed.set()

    async def until(self, predicate: Callable[[], bool]) -> None:
        """Wait until ``predicate()`` holds (re-checked after every wire event)."""
        while not predicate():
            self.changed.clear()
            await self.changed.wait()

    def user_events(self, kind: str, match: Any = None) -> int:
        """Count the user-data events of type ``kind`` (``e``) the client received that
        contain ``match``: bare on listen-key streams, ``{"event": {...}}`` on the WS API,
        ``{"data": {...}}`` on a combined stream."""
        needle = f'"e":"{kind}"'
        n = 0
        for i, e in enumerate(self.events):
            if e.kind != "recv" or needle not in e.text.replace(" ", ""):
                continue
            if i not in self._parsed:
                self._parsed[i] = _user_event(e.text)
            event = self._parsed[i]
            if (
                isinstance(event, dict)
                and event.get("e") == kind
                and (match is None or subset(match, event))
            ):
                n += 1
        return n

    def count(self, kind: str, pattern: str | None) -> int:
        rx = re.compile(pattern) if pattern else None
        return sum(
            1 for e in self.events if e.kind == kind and (rx is None or rx.search(e.text or ""))
        )


def _user_event(text: str) -> Any:
    try:
        frame = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if isinstance(frame, dict):
        for wrapper in ("event", "data"):
            inner = frame.get(wrapper)
            if isinstance(inner, dict) and "e" in inner:
                return inner
    return frame


# -- raw connections -------------------------------------------------------------------------


class RawConn:
    """A WebSocket the scenario drives itself: frames sent verbatim, frames received kept.

    With ``pong`` off it never answers the server's pings: a peer that misses its pongs.
    """

    def __init__(self, url: str, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.url = url
        self.ws = ws
        self.frames: list[Any] = []
        self.consumed: set[int] = set()
        self.closed: str | None = None
        self.close_reason = ""
        self.pings = 0
        self.changed = asyncio.Event()
        self.reader = asyncio.create_task(self._read(), name=f"scenarios.raw {url}")

    async def _read(self) -> None:
        while True:
            msg = await self.ws.receive()
            if msg.type == aiohttp.WSMsgType.TEXT:
                try:
                    self.frames.append(orjson.loads(msg.data))
                except orjson.JSONDecodeError:
                    self.frames.append(msg.data)
            elif msg.type == aiohttp.WSMsgType.BINARY:
                self.frames.append("<binary>")
            elif msg.type == aiohttp.WSMsgType.PING:
                self.pings += 1  # delivered only when pongs are off: leave it unanswered
            elif msg.type == aiohttp.WSMsgType.CLOSE:
                self.close_reason = str(msg.extra or "")
            else:  # CLOSING, CLOSED, ERROR
                break
            self.changed.set()
        self.closed = f"closed (code {self.ws.close_code})"
        self.changed.set()

    async def next_matching(self, match: Any) -> Any:
        start = 0
        while True:
            for i in range(start, len(self.frames)):
                if i not in self.consumed and (match is None or subset(match, self.frames[i])):
                    self.consumed.add(i)
                    return self.frames[i]
            start = len(self.frames)
            if self.closed:
                raise ConnectionError(self.closed)
            self.changed.clear()
            await self.changed.wait()

    async def pinged(self, count: int) -> dict[str, Any]:
        """Wait until the server has pinged ``count`` times (seen only with pongs off)."""
        while self.pings < count:
            if self.closed:
                raise ConnectionError(f"{self.closed} after {self.pings} pings")
            self.changed.clear()
            await self.changed.wait()
        return {"pings": self.pings}

    async def closing(self) -> dict[str, Any]:
        """Wait until the server closes the connection; return its close code and reason."""
        await self.reader
        return {"code": self.ws.close_code, "reason": self.close_reason, "pings": self.pings}

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.reader
