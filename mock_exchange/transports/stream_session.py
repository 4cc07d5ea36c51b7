"""The market-stream control protocol of one connection, without I/O.

A :class:`StreamSession` takes each incoming text frame and returns the reply Binance would
send (ACK, result or nested error), updating the connection's subscriptions and its
``combined`` property. The server decides when (and whether, under a fault) the reply is sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from ..errors import StreamControlError
from .rules import MAX_STREAMS
from .stream_names import StreamKey

__all__ = ["MAX_STREAMS", "ControlReply", "StreamSession"]

_METHODS = ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "SET_PROPERTY", "GET_PROPERTY")
_STRING_ID = re.compile(r"^[A-Za-z0-9-]{1,36}$")
_INT64 = (-(2**63), 2**63 - 1)


@dataclass(frozen=True)
class ControlReply:
    """The answer to one control frame: the method (None if unparseable) and the frame to send."""

    method: str | None
    request_id: Any
    frame: dict[str, Any]
    ok: bool


class StreamSession:
    """Subscriptions and properties of one market-stream connection."""

    def __init__(
        self,
        validate: Callable[[str], StreamKey],
        *,
        combined: bool,
        max_streams: int = MAX_STREAMS,
        micros: bool = False,
    ) -> None:
        self.validate = validate
        self.combined = combined
        self.micros = micros  # timeUnit=MICROSECOND: data frames carry times in µs
        self.max_streams = max_streams
        self.streams: dict[str, StreamKey] = {}
        self._by_key: dict[StreamKey, list[str]] | None = None
        # called after every control frame that may have changed the streams or the envelope
        self.on_change: Callable[[], None] | None = None

    def names_for(self, key: StreamKey) -> list[str]:
        """Return the subscribed stream names that parse to ``key`` (aliases included)."""
        if self._by_key is None:
            index: dict[StreamKey, list[str]] = {}
            for name, k in self.streams.items():
                index.setdefault(k, []).append(name)
            self._by_key = index
        return self._by_key.get(key, [])

    def stream_keys(self) -> set[StreamKey]:
        """Return the parsed keys of every subscribed stream."""
        return set(self.streams.values())

    def open_with(self, names: list[str]) -> None:
        """Subscribe the streams named in the URL; names that are not streams are ignored.

        ccxt connects to ``/ws/0`` and relies on an unknown name giving an empty connection.
        """
        for name in names:
            try:
                self.streams[name] = self.validate(name)
            except StreamControlError:
                continue
        self._by_key = None

    def envelope(self, stream: str, data: Any) -> Any:
        """Wrap an event as this connection delivers it (combined envelope or bare)."""
        return {"stream": stream, "data": data} if self.combined else data

    def handle_text(self, text: str) -> ControlReply:
        """Apply one control frame; return the reply frame (an error reply on bad input)."""
        request_id: Any = None
        method: str | None = None
        try:
            try:
                msg = orjson.loads(text)
            except orjson.JSONDecodeError as exc:
                raise StreamControlError(
                    3, f"Invalid JSON: expected value at line {exc.lineno} column {exc.colno}"
                ) from None
            if not isinstance(msg, dict):
                raise StreamControlError(2, "Invalid request: expected a JSON object")
            if "method" not in msg:
                raise StreamControlError(
                    2, f"Invalid request: missing field `method` at line 1 column {len(text)}"
                )
            raw_method = msg["method"]
            if not isinstance(raw_method, str) or raw_method not in _METHODS:
                col = text.find(str(raw_method)) + len(str(raw_method)) + 1
                variants = ", ".join(f"`{m}`" for m in _METHODS)
                raise StreamControlError(
                    2,
                    f"Invalid request: unknown variant `{raw_method}`, expected one of "
                    f"{variants} at line 1 column {col}",
                )
            method = raw_method
            request_id = msg.get("id")
            if not self._valid_id(request_id) or "id" not in msg:
                request_id = None
                raise StreamControlError(
                    2, "Invalid request: request ID must be an unsigned integer"
                )
            result = self._dispatch(method, msg.get("params"))
            self._by_key = None
            if self.on_change is not None:
                self.on_change()
            return ControlReply(method, request_id, {"result": result, "id": request_id}, True)
        except StreamControlError as err:
            return ControlReply(method, request_id, self.error_frame(err, request_id), False)

    def handle_binary(self) -> ControlReply:
        """Answer a binary frame: it is read as text that is not JSON (code 3)."""
        err = StreamControlError(3, "Invalid JSON: expected value at line 1 column 1")
        return ControlReply(None, None, self.error_frame(err, None), False)

    @staticmethod
    def error_frame(err: StreamControlError, request_id: Any) -> dict[str, Any]:
        """Serialise a control error: ``{"error":{"code","msg"},"id"}`` (the one place)."""
        return {"error": {"code": err.code, "msg": err.msg}, "id": request_id}

    @staticmethod
    def _valid_id(value: Any) -> bool:
        if value is None:
            return True
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return _INT64[0] <= value <= _INT64[1]
        return isinstance(value, str) and bool(_STRING_ID.match(value))

    def _dispatch(self, method: str, params: Any) -> Any:
        if method == "LIST_SUBSCRIPTIONS":
            return list(self.streams)
        if method in ("SUBSCRIBE", "UNSUBSCRIBE"):
            names = self._stream_params(params)
            if method == "UNSUBSCRIBE":
                for name in names:
                    self.streams.pop(name, None)
                return None
            keys = {name: self.validate(name) for name in names}
            if len(set(self.streams) | set(keys)) > self.max_streams:
                raise StreamControlError(2, "Invalid request: too many parameters")
            self.streams.update(keys)
            return None
        if not isinstance(params, list) or not params:
            raise StreamControlError(2, "Invalid request: property name must be a string")
        name = params[0]
        if not isinstance(name, str):
            raise StreamControlError(2, "Invalid request: property name must be a string")
        if name != "combined":
            raise StreamControlError(0, "Unknown property")
        if method == "GET_PROPERTY":
            if len(params) != 1:
                raise StreamControlError(2, "Invalid request: too many parameters")
            return self.combined
        if len(params) != 2:
            raise StreamControlError(2, "Invalid request: too many parameters")
        if not isinstance(params[1], bool):
            raise StreamControlError(1, "Invalid value type: expected Boolean")
        self.combined = params[1]
        return None

    @staticmethod
    def _stream_params(params: Any) -> list[str]:
        if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
            raise StreamControlError(2, "Invalid request: invalid stream")
        return list(params)
