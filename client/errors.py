"""The client's exception tree, modelled on CCXT's, and the one place Binance codes map to it.

Tree::

    BaseError
     ├── ExchangeError                 Binance answered with an error
     │    ├── AuthenticationError      -2014, -2015, -1022, -1002
     │    ├── PermissionDenied
     │    ├── BadRequest               -1100.. -1130 parameter errors, stream code 0..3
     │    │    ├── BadSymbol           -1121 Invalid symbol
     │    │    ├── ArgumentsRequired   a call that needs an argument it did not get
     │    │    └── UnsubscribeError    an unwatch could not be completed
     │    ├── InvalidOrder             -1013 filter failures, -2010
     │    │    └── OrderNotFound       -2011, -2013
     │    ├── InsufficientFunds        "insufficient balance" messages
     │    └── NotSupported             -1020, something the exchange or client does not do
     └── NetworkError                  the link failed; the request may be retried
          ├── ConnectionClosed         the socket closed under a pending request or watch
          ├── RequestTimeout           no answer within the timeout, -1007
          ├── BookSyncError            a local order book could not be synced
          ├── ExchangeNotAvailable     5xx, -1001, -1008, serverShutdown
          └── DDoSProtection           HTTP 418 (IP ban)
               └── RateLimitExceeded   HTTP 429, -1003, -1015

:func:`error_from_binance` is applied exactly where a REST body or a WS ``error`` is decoded.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ArgumentsRequired",
    "AuthenticationError",
    "BadRequest",
    "BadSymbol",
    "BaseError",
    "BookSyncError",
    "ConnectionClosed",
    "DDoSProtection",
    "ExchangeError",
    "ExchangeNotAvailable",
    "InsufficientFunds",
    "InvalidOrder",
    "NetworkError",
    "NotSupported",
    "OrderNotFound",
    "PermissionDenied",
    "RateLimitExceeded",
    "RequestTimeout",
    "UnsubscribeError",
    "error_from_binance",
]


class BaseError(Exception):
    """Root of every error this client raises.

    Attributes:
        status: the HTTP status that carried the error, if any.
        retry_after: seconds the server asked us to wait (``Retry-After``), if it said.
    """

    status: int | None = None
    retry_after: float | None = None


class ExchangeError(BaseError):
    """Binance answered with an error; ``code`` and ``msg`` are Binance's."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        msg: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.msg = msg
        self.status = status


class AuthenticationError(ExchangeError):
    """The key, signature or timestamp was refused."""


class PermissionDenied(ExchangeError):
    """The key lacks the permission for this request."""


class BadRequest(ExchangeError):
    """The request was malformed or had bad parameters."""


class BadSymbol(BadRequest):
    """The symbol is unknown to the exchange or to the loaded markets."""


class ArgumentsRequired(BadRequest):
    """The call needs an argument it did not get (``watch_bids_asks()`` on spot)."""


class UnsubscribeError(BadRequest):
    """A watch was ended by an unwatch, or an unwatch could not complete."""


class InvalidOrder(ExchangeError):
    """The order was rejected (filters, engine rules)."""


class OrderNotFound(InvalidOrder):
    """The order does not exist or is no longer open."""


class InsufficientFunds(ExchangeError):
    """Not enough balance for the order."""


class NotSupported(ExchangeError):
    """The exchange or this client does not offer this operation."""


class NetworkError(BaseError):
    """The network link failed; the operation may be retried."""


class ConnectionClosed(NetworkError):
    """The WebSocket closed while a request or watch was pending.

    ``code`` and ``reason`` are what the server's close frame said (1005: a close without a
    code; 1006: none came); ``sent_code`` is the code we sent, if we sent one.
    """

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        reason: str = "",
        sent_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.sent_code = sent_code


class RequestTimeout(NetworkError):
    """No answer arrived within the timeout."""


class BookSyncError(NetworkError):
    """A local order book could not be synced (snapshots kept being stale); retry the watch."""


class ExchangeNotAvailable(NetworkError):
    """The exchange is down, overloaded or shutting this server down."""


class DDoSProtection(NetworkError):
    """The IP is banned for too many requests (HTTP 418)."""


class RateLimitExceeded(DDoSProtection):
    """A rate limit was hit (HTTP 429, -1003, -1015)."""


_BY_CODE: dict[int, type[BaseError]] = {
    -1000: ExchangeError,
    -1001: ExchangeNotAvailable,
    -1002: AuthenticationError,
    -1003: RateLimitExceeded,
    -1006: ExchangeNotAvailable,
    -1007: RequestTimeout,
    -1008: ExchangeNotAvailable,
    -1013: InvalidOrder,
    -1015: RateLimitExceeded,
    -1016: ExchangeNotAvailable,
    -1020: NotSupported,
    -1021: AuthenticationError,
    -1022: AuthenticationError,
    -1100: BadRequest,
    -1101: BadRequest,
    -1102: BadRequest,
    -1103: BadRequest,
    -1104: BadRequest,
    -1105: BadRequest,
    -1106: BadRequest,
    -1111: BadRequest,
    -1112: BadRequest,
    -1114: BadRequest,
    -1115: BadRequest,
    -1116: BadRequest,
    -1117: BadRequest,
    -1120: BadRequest,
    -1121: BadSymbol,
    -1125: AuthenticationError,
    -1127: BadRequest,
    -1128: BadRequest,
    -1130: BadRequest,
    -1131: BadRequest,
    -1194: BadRequest,
    -2008: AuthenticationError,
    -2026: BadRequest,
    -2010: InvalidOrder,
    -2011: OrderNotFound,
    -2013: OrderNotFound,
    -2014: AuthenticationError,
    -2015: AuthenticationError,
    -2019: InsufficientFunds,
    -2022: InvalidOrder,
    -4164: InvalidOrder,
    -5022: InvalidOrder,
    0: BadRequest,
    1: BadRequest,
    2: BadRequest,
    3: BadRequest,
}


def error_from_binance(
    code: Any,
    msg: Any,
    *,
    status: int | None = None,
    context: str = "",
    retry_after: float | None = None,
) -> BaseError:
    """Return the exception for a Binance error ``{"code","msg"}`` (and HTTP status).

    The message decides where Binance reuses a code (``-2010`` with "insufficient balance").
    ``retry_after`` (the response's ``Retry-After``, seconds) is kept on the exception.
    """
    err = _error_from_binance(code, msg, status, context)
    err.status, err.retry_after = status, retry_after
    return err


def _error_from_binance(code: Any, msg: Any, status: int | None, context: str) -> BaseError:
    text = str(msg or "")
    icode = code if isinstance(code, int) else None
    prefix = f"{context}: " if context else ""
    message = f"{prefix}binance {icode} {text}".strip()
    if status == 418:
        return DDoSProtection(message)
    if status == 429:
        return RateLimitExceeded(message)
    cls: type[BaseError]
    if "nsufficient balance" in text:
        cls = InsufficientFunds
    else:
        cls = _BY_CODE.get(icode, ExchangeError) if icode is not None else ExchangeError
        if icode is None and status is not None and status >= 500:
            cls = ExchangeNotAvailable
    if issubclass(cls, ExchangeError):
        return cls(message, code=icode, msg=text, status=status)
    return cls(message)
