"""The WebSocket API (``/ws-api/v3``, ``/ws-fapi/v1``) request/response matching, without I/O.

:class:`WsApiProtocol` builds request frames ``{"id","method","params"}`` with fresh string ids,
remembers which method each pending id asked for, and decodes every incoming frame into a
:class:`WsApiResponse` matched by ``id``, or into an event when it is not an answer: a
:class:`ServerShutdown` notice, a :class:`WsApiEvent` (user data
``{"subscriptionId":0,"event":{...}}`` and any other ``event``), or an :class:`UnsolicitedError`
(an error with ``"id":null``, e.g. ``-2015`` when a logged-on key becomes invalid).
``None`` is left for frames that are none of these (not JSON, an answer without a status).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = [
    "ServerShutdown",
    "UnsolicitedError",
    "WsApiEvent",
    "WsApiFrame",
    "WsApiProtocol",
    "WsApiResponse",
]


@dataclass(frozen=True)
class WsApiResponse:
    """The answer to one request: ``result`` on status 200, else ``code``/``msg`` (and the
    error's ``data``: cancel-replace details, a ban's ``retryAfter``)."""

    request_id: str
    method: str | None
    status: int
    result: Any
    code: int | None = None
    msg: str = ""
    data: Any = None

    @property
    def ok(self) -> bool:
        """True on a 200 answer."""
        return self.status == 200 and self.code is None


@dataclass(frozen=True)
class ServerShutdown:
    """Binance announced that this server is going away (``serverShutdown``); reconnect."""

    time: int | None


@dataclass(frozen=True)
class WsApiEvent:
    """A pushed event: user data carries the ``subscriptionId`` it belongs to (binance-protocol
    4.2, 4.8); ``event`` is the payload, keyed by its type ``e``."""

    subscription_id: int | None
    event: dict[str, Any]

    @property
    def type(self) -> str:
        """The event type ``e`` (``executionReport``, ``eventStreamTerminated``...)."""
        return str(self.event.get("e", ""))


@dataclass(frozen=True)
class UnsolicitedError:
    """An error that answers no request (``"id":null``): the session, not a request, failed."""

    status: int
    code: int | None
    msg: str


WsApiFrame = WsApiResponse | ServerShutdown | WsApiEvent | UnsolicitedError
"""What :meth:`WsApiProtocol.receive` decodes a frame into."""


class WsApiProtocol:
    """Request ids and pending requests of one WS API connection."""

    def __init__(self) -> None:
        self._next_id = 1
        self.pending: dict[str, str] = {}

    def request(self, method: str, params: Mapping[str, Any] | None = None) -> tuple[str, str]:
        """Register a request and return (id, frame text)."""
        rid = str(self._next_id)
        self._next_id += 1
        self.pending[rid] = method
        frame: dict[str, Any] = {"id": rid, "method": method}
        if params:
            frame["params"] = dict(params)
        return rid, orjson.dumps(frame).decode()

    def forget(self, request_id: str) -> None:
        """Drop a pending request that will not be answered (timed out or cancelled)."""
        self.pending.pop(request_id, None)

    def reset(self) -> list[str]:
        """Forget every pending request (the socket is gone); return their ids."""
        ids = list(self.pending)
        self.pending.clear()
        return ids

    def receive(self, text: str | bytes) -> WsApiFrame | None:
        """Decode one frame; None for a frame that is neither an answer nor an event."""
        try:
            msg = orjson.loads(text)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(msg, dict):
            return None
        event = msg.get("event")
        if isinstance(event, dict):
            if event.get("e") == "serverShutdown":
                t = event.get("E")
                return ServerShutdown(t if isinstance(t, int) else None)
            sid = msg.get("subscriptionId")
            return WsApiEvent(sid if isinstance(sid, int) else None, event)
        status = msg.get("status")
        status = status if isinstance(status, int) else 0
        err = msg.get("error")
        code = err.get("code") if isinstance(err, dict) else None
        code = code if isinstance(code, int) else None
        rid = msg.get("id")
        if rid is None:
            if isinstance(err, dict):
                return UnsolicitedError(status, code, str(err.get("msg", "")))
            if "e" in msg:
                return WsApiEvent(None, msg)  # an event pushed without the envelope
            return None
        if "status" not in msg:
            return None
        rid = str(rid)
        method = self.pending.pop(rid, None)
        if isinstance(err, dict):
            msg_text = str(err.get("msg", ""))
            return WsApiResponse(rid, method, status, None, code, msg_text, err.get("data"))
        return WsApiResponse(rid, method, status, msg.get("result"))
