"""The client's exception tree, modelled on CCXT's, and the one place Binance codes map to it.

Tree::

    BaseError
     ├── ExchangeError                 Binance answered with an error (``code``, ``msg``)
     │    ├── AuthenticationError      -2014 bad key format, -1022 bad signature, -2008, -1099
     │    │    ├── PermissionDenied    -2015 key, IP or permission refused; -1002; "... trading
     │    │    │                       is not enabled", "may not place or cancel orders"
     │    │    └── AccountSuspended    "This action is disabled on this account."
     │    ├── BadRequest               -1100..-1199 parameter errors, stream codes 0..3
     │    │    ├── BadSymbol           -1121 Invalid symbol
     │    │    ├── ArgumentsRequired   a call that needs an argument it did not get
     │    │    └── UnsubscribeError    an unwatch could not be completed
     │    ├── OperationRejected        refused in this state (-2016, -2035, -2036)
     │    │    └── MarketClosed        "Market is closed." (the symbol does not trade now)
     │    ├── InvalidOrder             -1013, -2010, -2038, -4xxx (``filter``: the filter named
     │    │    │                       by "Filter failure: <FILTER>")
     │    │    ├── OrderNotFound       -2011 "Unknown order sent.", -2013, -2026, -2039
     │    │    ├── DuplicateOrderId    "Duplicate order sent.", -4116
     │    │    ├── OrderImmediatelyFillable  LIMIT_MAKER / GTX / stop orders that would take
     │    │    │                       or trigger at once (-2010 messages, -2021/-4142/-5022
     │    │    │                       futures)
     │    │    └── OrderNotFillable    -5021 FOK that cannot fill
     │    ├── InsufficientFunds        "insufficient balance", -2018, -2019, -3041, -5013
     │    └── NotSupported             -1020, -4120, something the exchange or client lacks
     └── NetworkError                  the link failed; the request may be retried
          ├── ConnectionClosed         the socket closed under a pending request or watch
          │    └── RequestInterrupted  a WS API request in flight when its socket dropped;
          │                            ``may_have_reached`` says whether it was sent
          ├── RequestTimeout           no answer within the timeout, -1007 (status unknown)
          ├── InvalidNonce             -1021, -5028: the timestamp was outside recvWindow
          ├── BookSyncError            a local order book could not be synced
          ├── ExchangeNotAvailable     5xx, -1001, -1006, -1008, -1016, serverShutdown
          └── DDoSProtection           HTTP 418 (IP ban), with ``retry_after``
               └── RateLimitExceeded   HTTP 429, -1003, -1015, with ``retry_after``

:func:`error_from_binance` is applied exactly where a REST body or a WS ``error`` is decoded
(:func:`client.protocol.rest.decode_response`, :meth:`client.WsApiConnection.request_on`, the
refused WebSocket upgrade); it reads the code table :data:`BY_CODE` and, where Binance reuses
a code for several causes, the message table :data:`BY_MESSAGE`. docs/client.md lists the
table and where it departs from ccxt's.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "BY_CODE",
    "BY_MESSAGE",
    "AccountSuspended",
    "ArgumentsRequired",
    "AuthenticationError",
    "BadRequest",
    "BadSymbol",
    "BaseError",
    "BookSyncError",
    "ConnectionClosed",
    "DDoSProtection",
    "DuplicateOrderId",
    "ExchangeError",
    "ExchangeNotAvailable",
    "InsufficientFunds",
    "InvalidNonce",
    "InvalidOrder",
    "MarketClosed",
    "NetworkError",
    "NotSupported",
    "OperationRejected",
    "OrderImmediatelyFillable",
    "OrderNotFillable",
    "OrderNotFound",
    "PermissionDenied",
    "RateLimitExceeded",
    "RequestInterrupted",
    "RequestTimeout",
    "UnsubscribeError",
    "error_from_binance",
]


class BaseError(Exception):
    """Root of every error this client raises.

    Attributes:
        status: the HTTP status that carried the error, if any.
        retry_after: seconds the server asked us to wait (``Retry-After``, or the WS API's
            ``retryAfter``), if it said.
        code: Binance's error code, if the error came from Binance.
    """

    status: int | None = None
    retry_after: float | None = None
    code: int | None = None


class ExchangeError(BaseError):
    """Binance answered with an error; ``code`` and ``msg`` are Binance's, ``data`` any
    details it attached (cancel-replace results)."""

    data: Any = None

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
    """The key or signature was refused."""


class PermissionDenied(AuthenticationError):
    """The key, its IP or its permissions do not allow this request."""


class AccountSuspended(AuthenticationError):
    """The account may not do this at all."""


class BadRequest(ExchangeError):
    """The request was malformed or had bad parameters."""


class BadSymbol(BadRequest):
    """The symbol is unknown to the exchange or to the loaded markets."""


class ArgumentsRequired(BadRequest):
    """The call needs an argument it did not get (``watch_bids_asks()`` on spot)."""


class UnsubscribeError(BadRequest):
    """A watch was ended by an unwatch, or an unwatch could not complete."""


class OperationRejected(ExchangeError):
    """The request is valid but refused in the current state."""


class MarketClosed(OperationRejected):
    """The market does not trade now."""


class InvalidOrder(ExchangeError):
    """The order was rejected (filters, engine rules).

    Attributes:
        filter: the filter a ``Filter failure: <FILTER>`` rejection names (``LOT_SIZE``).
    """

    filter: str | None = None


class OrderNotFound(InvalidOrder):
    """The order does not exist or is no longer open."""


class DuplicateOrderId(InvalidOrder):
    """The client order id is in use by an open order."""


class OrderImmediatelyFillable(InvalidOrder):
    """A post-only order would take liquidity, or a stop order would trigger at once."""


class OrderNotFillable(InvalidOrder):
    """A fill-or-kill order could not be filled."""


class InsufficientFunds(ExchangeError):
    """Not enough balance for the order."""


class NotSupported(ExchangeError):
    """The exchange or this client does not offer this operation."""


class NetworkError(BaseError):
    """The network link failed; the operation may be retried.

    Attributes:
        client_order_id: set when an order's outcome is unknown (its answer was lost): the
            id to look it up with (``fetch_order(..., params={"clientOrderId": ...})``).
    """

    client_order_id: str | None = None


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


class RequestInterrupted(ConnectionClosed):
    """A WebSocket API request was in flight when its socket dropped (retryable).

    Attributes:
        method: the WS API method (``order.place``).
        request_id: the request's id.
        may_have_reached: True when the frame had been handed to the socket: the exchange may
            have executed it, so check (``fetch_order`` by client order id) before sending it
            again. False: it never left, and resending is safe.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        request_id: str,
        may_have_reached: bool,
        code: int | None = None,
        reason: str = "",
        sent_code: int | None = None,
    ) -> None:
        super().__init__(message, code=code, reason=reason, sent_code=sent_code)
        self.method = method
        self.request_id = request_id
        self.may_have_reached = may_have_reached


class RequestTimeout(NetworkError):
    """No answer arrived within the timeout (the request's outcome is unknown)."""


class InvalidNonce(NetworkError):
    """The request's timestamp was outside ``recvWindow`` (the clock offset is re-measured)."""


class BookSyncError(NetworkError):
    """A local order book could not be synced (snapshots kept being stale); retry the watch."""


class ExchangeNotAvailable(NetworkError):
    """The exchange is down, overloaded or shutting this server down."""


class DDoSProtection(NetworkError):
    """The IP is banned for too many requests (HTTP 418)."""


class RateLimitExceeded(DDoSProtection):
    """A rate limit was hit (HTTP 429, -1003, -1015)."""


BY_CODE: dict[int, type[BaseError]] = {
    # general and transport
    -1000: ExchangeError,
    -1001: ExchangeNotAvailable,
    -1002: PermissionDenied,
    -1003: RateLimitExceeded,
    -1004: ExchangeNotAvailable,
    -1006: ExchangeNotAvailable,
    -1007: RequestTimeout,
    -1008: ExchangeNotAvailable,
    -1013: InvalidOrder,
    -1014: InvalidOrder,
    -1015: RateLimitExceeded,
    -1016: ExchangeNotAvailable,
    -1020: NotSupported,
    -1021: InvalidNonce,
    -1022: AuthenticationError,
    -1099: AuthenticationError,
    # parameters (-1100..-1199 default to BadRequest, see _by_range)
    -1121: BadSymbol,
    -1125: AuthenticationError,
    -1151: BadSymbol,
    # OCO legs of the wrong type or on the wrong side are order refusals
    -1158: InvalidOrder,
    -1165: InvalidOrder,
    -1166: InvalidOrder,
    -1168: InvalidOrder,
    -1193: AuthenticationError,
    -1196: InvalidOrder,
    -1197: InvalidOrder,
    -1198: InvalidOrder,
    -1199: InvalidOrder,
    -1209: AuthenticationError,
    # orders and keys
    -2008: AuthenticationError,
    -2010: InvalidOrder,
    -2011: InvalidOrder,
    -2013: OrderNotFound,
    -2014: AuthenticationError,
    -2015: PermissionDenied,
    -2016: OperationRejected,
    -2018: InsufficientFunds,
    -2019: InsufficientFunds,
    -2020: OrderNotFillable,
    -2021: InvalidOrder,
    -2022: InvalidOrder,
    -2026: OrderNotFound,
    -2027: InvalidOrder,
    -2028: AuthenticationError,
    -2035: OperationRejected,
    -2036: OperationRejected,
    -2038: InvalidOrder,
    -2039: OrderNotFound,
    -2042: OperationRejected,
    -2043: OperationRejected,
    # margin and convert
    -3041: InsufficientFunds,
    -3045: OperationRejected,
    -5013: InsufficientFunds,  # sapi universal transfer: "Asset transfer failed: ..."
    # futures order rules (USD-M and COIN-M share them)
    -4001: InvalidOrder,
    -4002: InvalidOrder,
    -4003: InvalidOrder,
    -4004: InvalidOrder,
    -4005: InvalidOrder,
    -4013: InvalidOrder,
    -4014: InvalidOrder,
    -4015: BadRequest,
    -4016: InvalidOrder,
    -4023: InvalidOrder,
    -4024: InvalidOrder,
    -4028: BadRequest,
    -4031: BadRequest,
    -4046: OperationRejected,
    -4047: OperationRejected,
    -4048: OperationRejected,
    -4049: BadRequest,
    -4050: InsufficientFunds,
    -4051: InsufficientFunds,
    -4054: BadRequest,
    -4055: BadRequest,
    -4059: OperationRejected,
    -4061: InvalidOrder,
    -4067: OperationRejected,
    -4068: OperationRejected,
    -4082: BadRequest,
    -4116: DuplicateOrderId,
    -4118: InvalidOrder,
    -4120: NotSupported,
    -4131: InvalidOrder,
    -4136: InvalidOrder,
    -4137: InvalidOrder,
    -4142: OrderImmediatelyFillable,
    -4150: OperationRejected,  # COIN-M: leverage lowered on an isolated position
    -4161: OperationRejected,  # USD-M: leverage lowered on an isolated position
    -4164: InvalidOrder,
    -5021: OrderNotFillable,
    -5022: OrderImmediatelyFillable,
    -5025: InvalidOrder,
    -5027: OperationRejected,
    -5028: InvalidNonce,
    -5037: BadRequest,
    -5038: InvalidOrder,
    -5039: BadRequest,
    -5040: BadRequest,
    -5041: InvalidOrder,
    # market-stream control errors
    0: BadRequest,
    1: BadRequest,
    2: BadRequest,
    3: BadRequest,
}
"""Binance code -> class (spot, margin, USD-M and COIN-M share one numbering)."""

BY_MESSAGE: tuple[tuple[str, type[BaseError]], ...] = (
    ("nsufficient balance", InsufficientFunds),
    ("Margin is insufficient", InsufficientFunds),
    ("Duplicate order sent.", DuplicateOrderId),
    ("Order would immediately match and take.", OrderImmediatelyFillable),
    ("Order would trigger immediately.", OrderImmediatelyFillable),
    ("Order would immediately trigger.", OrderImmediatelyFillable),
    ("Stop price would trigger immediately.", OrderImmediatelyFillable),
    ("Market is closed.", MarketClosed),
    ("Unknown order sent.", OrderNotFound),
    ("Order does not exist.", OrderNotFound),
    ("Unknown order list sent.", OrderNotFound),
    ("Order list does not exist.", OrderNotFound),
    ("This action is disabled on this account.", AccountSuspended),
    ("Rest API trading is not enabled.", PermissionDenied),
    ("WebSocket API trading is not enabled.", PermissionDenied),
    ("This account may not place or cancel orders.", PermissionDenied),
    ("This symbol is not permitted for this account.", PermissionDenied),
    ("This symbol is restricted for this account.", PermissionDenied),
)
"""Message fragment -> class, checked before the code: Binance reuses ``-2010``, ``-2011``
and ``-1013`` for causes a caller must tell apart (their messages are verbatim, 8.3)."""

_FILTER_RE = re.compile(r"Filter failure: ([A-Z_]+)")


def _by_range(code: int) -> type[BaseError]:
    if -1199 <= code <= -1100:
        return BadRequest
    return ExchangeError


def _ws_retry_after(data: Any) -> float | None:
    """Seconds until ``data.retryAfter`` (epoch ms) counted from ``data.serverTime``."""
    if not isinstance(data, dict):
        return None
    at, now = data.get("retryAfter"), data.get("serverTime")
    if isinstance(at, int | float) and isinstance(now, int | float):
        return max(0.0, (at - now) / 1000)
    return None


def error_from_binance(
    code: Any,
    msg: Any,
    *,
    status: int | None = None,
    context: str = "",
    retry_after: float | None = None,
    data: Any = None,
) -> BaseError:
    """Return the exception for a Binance error ``{"code","msg"[,"data"]}`` and HTTP status.

    Args:
        code, msg: Binance's error code and message.
        status: the HTTP status (REST) or the WS API ``status``.
        context: names the request in the message (``POST https://.../order``; never the
            query, which may hold a signature).
        retry_after: the response's ``Retry-After`` seconds; on the WS API it is read from
            ``data.retryAfter`` (epoch ms, counted from ``data.serverTime``).
        data: details Binance attached; a cancel-replace whose cancel failed because the order
            is unknown becomes :class:`OrderNotFound`.
    """
    if retry_after is None:
        retry_after = _ws_retry_after(data)
    err = _error_from_binance(code, msg, status, context, data)
    err.status, err.retry_after = status, retry_after
    if isinstance(err, ExchangeError):
        err.data = data
    if isinstance(err, InvalidOrder):
        found = _FILTER_RE.search(str(msg or ""))
        err.filter = found.group(1) if found else None
    return err


def _classify(icode: int | None, text: str, status: int | None, data: Any) -> type[BaseError]:
    if status == 418:
        return DDoSProtection
    if status == 429:
        return RateLimitExceeded
    for fragment, by_message in BY_MESSAGE:
        if fragment in text:
            return by_message
    if icode is None:
        return ExchangeNotAvailable if status is not None and status >= 500 else ExchangeError
    if icode in (-2021, -2022) and isinstance(data, dict):
        # cancel-replace: the cancel's own error says what went wrong
        cancel = data.get("cancelResponse")
        if isinstance(cancel, dict) and cancel.get("code") in (-2011, -2013):
            return OrderNotFound
    return BY_CODE.get(icode) or _by_range(icode)


def _error_from_binance(
    code: Any, msg: Any, status: int | None, context: str, data: Any
) -> BaseError:
    text = str(msg or "")
    icode = code if isinstance(code, int) and not isinstance(code, bool) else None
    prefix = f"{context}: " if context else ""
    message = f"{prefix}binance {icode} {text}".strip()
    cls = _classify(icode, text, status, data)
    if issubclass(cls, ExchangeError):
        return cls(message, code=icode, msg=text, status=status)
    err = cls(message)
    err.code = icode
    return err
