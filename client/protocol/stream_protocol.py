"""The market-stream wire protocol of one connection, without I/O.

:class:`StreamProtocol` builds control frames (``SUBSCRIBE``, ``UNSUBSCRIBE``,
``LIST_SUBSCRIPTIONS``) with fresh integer ids, remembers what each pending id asked for, and
turns every incoming text frame into one :class:`Event`: an :class:`Ack` or
:class:`ControlError` matched to its request, :class:`StreamData` for a combined-envelope
event, :class:`ServerShutdown` for Binance's ``serverShutdown`` notice, or :class:`Unparsed`
for anything else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson

from .subscriptions import SubscriptionTable
from .ws_api import ServerShutdown

__all__ = [
    "Ack",
    "ControlError",
    "Event",
    "ServerShutdown",
    "StreamData",
    "StreamProtocol",
    "Unparsed",
]


@dataclass(frozen=True)
class Ack:
    """A successful control answer: ``{"result": ..., "id": N}``."""

    request_id: int
    method: str
    streams: tuple[str, ...]
    result: Any


@dataclass(frozen=True)
class ControlError:
    """An error answer ``{"error": {"code","msg"}, "id": N}``; ``method`` None if id unknown."""

    request_id: int | None
    method: str | None
    streams: tuple[str, ...]
    code: int | None
    msg: str


class StreamData(NamedTuple):
    """One event of a stream, from the ``{"stream","data"}`` envelope (a tuple: it is made for
    every market-data frame, so it must be cheap)."""

    stream: str
    data: Any


@dataclass(frozen=True)
class Unparsed:
    """A frame that is none of the above (kept for the wire tap and debugging)."""

    raw: Any


Event = Ack | ControlError | StreamData | ServerShutdown | Unparsed

_SHUTDOWN_STREAM = "!serverShutdown"
# tuple.__new__ skips the generated keyword-taking __new__: this runs for every data frame
_new_data: Callable[[type[StreamData], tuple[str, Any]], StreamData] = tuple.__new__


class StreamProtocol:
    """Request ids, pending control requests and subscription states of one connection."""

    def __init__(self) -> None:
        self._next_id = 1
        # id -> (method, streams, tracked): untracked requests leave subscription states alone
        self.pending: dict[int, tuple[str, tuple[str, ...], bool]] = {}
        self.subscriptions = SubscriptionTable()

    def _request(
        self, method: str, streams: tuple[str, ...], *, tracked: bool = True
    ) -> tuple[int, str]:
        rid = self._next_id
        self._next_id += 1
        self.pending[rid] = (method, streams, tracked)
        frame: dict[str, Any] = {"method": method, "id": rid}
        if method != "LIST_SUBSCRIPTIONS":
            frame = {"method": method, "params": list(streams), "id": rid}
        return rid, orjson.dumps(frame).decode()

    def subscribe(self, streams: list[str]) -> tuple[int, str]:
        """Mark ``streams`` SUBSCRIBING and return (request id, frame text)."""
        for s in streams:
            self.subscriptions.apply(s, "subscribe_sent")
        return self._request("SUBSCRIBE", tuple(streams))

    def resubscribe(self, streams: list[str]) -> tuple[int, str]:
        """Return a SUBSCRIBE for already-active ``streams`` on a second socket (handover)."""
        return self._request("SUBSCRIBE", tuple(streams), tracked=False)

    def unsubscribe(self, streams: list[str]) -> tuple[int, str]:
        """Mark ``streams`` UNSUBSCRIBING and return (request id, frame text)."""
        for s in streams:
            self.subscriptions.apply(s, "unsubscribe_sent")
        return self._request("UNSUBSCRIBE", tuple(streams))

    def list_subscriptions(self) -> tuple[int, str]:
        """Return (request id, frame text) for ``LIST_SUBSCRIPTIONS``."""
        return self._request("LIST_SUBSCRIPTIONS", ())

    def forget(self, request_id: int) -> None:
        """Drop a pending request that will not be answered (timed out)."""
        entry = self.pending.pop(request_id, None)
        if entry is None or not entry[2]:
            return
        for s in entry[1]:
            self.subscriptions.apply(s, "error")

    def reset(self) -> list[str]:
        """Forget pending requests and states (the socket is gone); return the live streams."""
        self.pending.clear()
        return self.subscriptions.reset()

    def receive(self, text: str | bytes) -> Event:
        """Decode one incoming frame into an :class:`Event`, updating states on answers."""
        try:
            msg = orjson.loads(text)
        except orjson.JSONDecodeError:
            return Unparsed(text)
        return self.event_of(msg)

    def event_of(self, msg: Any) -> Event:
        """Return the :class:`Event` of one decoded frame, updating states on answers."""
        if type(msg) is dict:
            stream = msg.get("stream")
            if type(stream) is str and "data" in msg:
                if stream == _SHUTDOWN_STREAM:
                    return _shutdown(msg["data"])
                return _new_data(StreamData, (stream, msg["data"]))
            if "id" in msg and ("result" in msg or "error" in msg):
                return self._answer(msg)
            if msg.get("e") == "serverShutdown":
                return _shutdown(msg)
        return Unparsed(msg)

    def _answer(self, msg: dict[str, Any]) -> Event:
        rid = msg.get("id")
        entry = self.pending.pop(rid, None) if isinstance(rid, int) else None
        method, streams, tracked = entry if entry is not None else (None, (), False)
        if "error" in msg:
            err = msg["error"] if isinstance(msg["error"], dict) else {}
            if tracked:
                for s in streams:
                    self.subscriptions.apply(s, "error")
            code = err.get("code")
            return ControlError(
                rid if isinstance(rid, int) else None,
                method,
                streams,
                code if isinstance(code, int) else None,
                str(err.get("msg", "")),
            )
        if method is None:
            return Unparsed(msg)
        if tracked:
            for s in streams:
                self.subscriptions.apply(s, "ack")
        return Ack(rid, method, streams, msg.get("result"))  # type: ignore[arg-type]


def _shutdown(data: Any) -> ServerShutdown:
    t = data.get("E") if isinstance(data, dict) else None
    return ServerShutdown(t if isinstance(t, int) else None)
