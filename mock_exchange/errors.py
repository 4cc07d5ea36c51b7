"""Errors raised inside the emulator and serialised by each transport.

Tree::

    Exception
     └── ExchangeError          a Binance error with its code, message and HTTP status
          └── StreamControlError  a market-stream control error (positive codes 0..3)

Every transport catches :class:`ExchangeError` in exactly one place and writes Binance's wire
shape for it (REST ``{"code","msg"}``, WS API ``{"id","status","error"}``, market-stream
``{"error":{"code","msg"},"id"}``). Messages are Binance's text verbatim: clients match on them.

Anything else a handler raises is an emulator bug: the transports log it and answer
:func:`unknown_error` (Binance's ``-1000`` with HTTP 500, its status for its own failures), so
a caller always gets a Binance error body and a WS API request always gets a reply with its id.
"""

from __future__ import annotations

__all__ = ["ExchangeError", "StreamControlError", "unknown_error"]


class ExchangeError(Exception):
    """A Binance error: ``code``, ``msg`` and the HTTP status a REST caller receives."""

    def __init__(
        self, code: int, msg: str, http_status: int = 400, data: object | None = None
    ) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg
        self.http_status = http_status
        self.data = data  # details some errors carry (cancel-replace results)
        # the request weight a failed request still costs (None: the transport decides)
        self.weight: int | None = None

    def payload(self) -> dict[str, object]:
        """Return the ``{"code","msg"[,"data"]}`` body Binance sends for this error."""
        if self.data is None:
            return {"code": self.code, "msg": self.msg}
        return {"code": self.code, "msg": self.msg, "data": self.data}


class StreamControlError(ExchangeError):
    """An error answer to a market-stream control message (SUBSCRIBE, SET_PROPERTY, ...)."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(code, msg, http_status=400)


def unknown_error() -> ExchangeError:
    """Return Binance's ``-1000 UNKNOWN`` error (HTTP 500), the answer to an internal failure."""
    return ExchangeError(-1000, "An unknown error occurred while processing the request.", 500)
