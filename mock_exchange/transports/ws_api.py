"""The WebSocket API session: requests in, replies and pushed events out, logon remembered.

Requests ``{"id","method","params"}`` are answered with ``{"id","status","result",
"rateLimits"}`` or ``{"id","status","error":{"code","msg"[,"data"]},"rateLimits"}``; the id is
echoed with its JSON type. ``rateLimits`` is present unless ``returnRateLimits`` is false in the
request's params or in the connection URL.

A :class:`WsApiSession` writes everything it sends to its outbox (a callable the socket wiring
provides), so it can answer a request, and push an event (``{"event":{...}}``, with a
``subscriptionId`` for user data) at any time. It remembers a logon: its state is a transition
table (:data:`SESSION_TRANSITIONS`: logged out, logged on, closed); an illegal move raises and
changes nothing. The parameter pipeline splits the signing fields (``apiKey``, ``signature``,
``timestamp``, ``recvWindow``) off as :class:`~mock_exchange.transports.auth.Credentials` and asks
:func:`~mock_exchange.transports.auth.authorize` with the method's security type; public
methods ignore them (ccxt signs some public requests). The session does no I/O.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

import orjson

from ..engine.exchange import Exchange
from ..engine.markets import MarketKind
from ..engine.ratelimits import RateLimitError, WeightLimiter
from ..errors import ExchangeError, unknown_error
from . import market_data as md
from .auth import Credentials, Security, authorize, split_signing
from .params import Params, illegal, mandatory

__all__ = [
    "SESSION_TRANSITIONS",
    "IllegalSessionTransition",
    "Outbox",
    "SessionEvent",
    "SessionState",
    "WsApiMethod",
    "WsApiRequest",
    "WsApiSession",
    "parse_bool",
]

log = logging.getLogger("mock_exchange")

Outbox = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class WsApiMethod:
    """One WS API method: its handler (shared with REST) and its security type."""

    handler: md.QueryHandler
    security: Security = Security.NONE


class SessionState(Enum):
    """Where a WS API session stands."""

    LOGGED_OUT = "logged out"
    LOGGED_ON = "logged on"
    CLOSED = "closed"


SessionEvent = Literal["logon", "logout", "close"]

# (state, event) -> next state. A second logon switches the key (reference 4.5); logout when
# logged out answers with nulls and changes nothing; a closed session takes no event.
SESSION_TRANSITIONS: dict[tuple[SessionState, SessionEvent], SessionState] = {
    (SessionState.LOGGED_OUT, "logon"): SessionState.LOGGED_ON,
    (SessionState.LOGGED_ON, "logon"): SessionState.LOGGED_ON,
    (SessionState.LOGGED_ON, "logout"): SessionState.LOGGED_OUT,
    (SessionState.LOGGED_OUT, "logout"): SessionState.LOGGED_OUT,
    (SessionState.LOGGED_OUT, "close"): SessionState.CLOSED,
    (SessionState.LOGGED_ON, "close"): SessionState.CLOSED,
}


class IllegalSessionTransition(ValueError):
    """A session event its current state does not allow (the state is unchanged)."""


def parse_bool(value: Any, name: str) -> bool:
    """Read a boolean sent as JSON or as the text ``true``/``false``.

    Raises:
        ExchangeError: -1100 for anything else.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise illegal(name, "true, false")


@dataclass(frozen=True)
class WsApiRequest:
    """One parsed request: id, method (``v3/`` prefix dropped), handler params, signing fields."""

    id: Any
    method: str
    params: dict[str, Any]
    credentials: Credentials
    return_rate_limits: bool


class _Refused(Exception):
    """A request refused while parsing, with what could be read of it."""

    def __init__(self, error: ExchangeError, request_id: Any = None, method: str | None = None):
        super().__init__(error.msg)
        self.error, self.request_id, self.method = error, request_id, method


def _parse(text: str, default_rate_limits: bool) -> WsApiRequest:
    """Parse one request frame; raise :class:`_Refused` with Binance's error.

    -1000 for malformed JSON or a non-object frame, -1100 for a bad ``id``, ``params`` or
    ``returnRateLimits``, -1102 for a missing ``method``.
    """
    try:
        msg = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise _Refused(ExchangeError(-1000, "Malformed request: invalid JSON.")) from None
    if not isinstance(msg, dict):
        raise _Refused(ExchangeError(-1000, "Malformed request: expected a JSON object."))
    raw_id = msg.get("id")
    if raw_id is not None and (isinstance(raw_id, bool) or not isinstance(raw_id, int | str)):
        raise _Refused(illegal("id", "an integer, a string or null"))
    raw_method = msg.get("method")
    if not isinstance(raw_method, str) or not raw_method:
        raise _Refused(mandatory("method"), raw_id)
    method = raw_method[3:] if raw_method.startswith("v3/") else raw_method
    params = msg.get("params", {})
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise _Refused(illegal("params", "a JSON object"), raw_id, method)
    params = dict(params)
    show = default_rate_limits
    if "returnRateLimits" in params:
        try:
            show = parse_bool(params.pop("returnRateLimits"), "returnRateLimits")
        except ExchangeError as err:
            raise _Refused(err, raw_id, method) from None
    handler_params, creds = split_signing(params)
    return WsApiRequest(raw_id, method, handler_params, creds, show)


class WsApiSession:
    """One WS API connection: venue, methods, outbox, ``returnRateLimits`` default and logon."""

    def __init__(
        self,
        venue: MarketKind,
        methods: Mapping[str, WsApiMethod],
        exchange: Callable[[], Exchange],
        limiter: WeightLimiter,
        caller: str,
        outbox: Outbox,
        *,
        return_rate_limits: bool = True,
    ) -> None:
        self.venue = venue
        self.methods = methods
        self.exchange = exchange
        self.limiter = limiter
        self.caller = caller
        self.outbox = outbox
        self.return_rate_limits = return_rate_limits
        self.state = SessionState.LOGGED_OUT
        self.api_key: str | None = None
        self.authorized_since: int | None = None

    def __repr__(self) -> str:
        return f"WsApiSession(venue={self.venue!r}, state={self.state.name})"

    # -- session state -----------------------------------------------------------------------

    def _move(self, event: SessionEvent) -> SessionState:
        nxt = SESSION_TRANSITIONS.get((self.state, event))
        if nxt is None:
            raise IllegalSessionTransition(f"{event} is not allowed when {self.state.value}")
        self.state = nxt
        return nxt

    def logon(self, api_key: str, now: int) -> None:
        """Remember ``api_key`` as the session's key from ``now`` (a second logon switches it)."""
        self._move("logon")
        self.api_key, self.authorized_since = api_key, now

    def logout(self) -> None:
        """Forget the logged-on key (nothing to forget is fine)."""
        self._move("logout")
        self.api_key, self.authorized_since = None, None

    def close(self) -> None:
        """End the session: nothing is sent after this."""
        self._move("close")
        self.api_key, self.authorized_since = None, None

    # -- outgoing ----------------------------------------------------------------------------

    def push_event(self, event: dict[str, Any], subscription_id: int | None = None) -> bool:
        """Send ``{"event": ...}`` (with ``subscriptionId`` when given); False once closed."""
        if self.state is SessionState.CLOSED:
            return False
        frame: dict[str, Any] = {"event": event}
        if subscription_id is not None:
            frame = {"subscriptionId": subscription_id, "event": event}
        self.outbox(frame)
        return True

    def rate_limits(self, now: int) -> list[dict[str, Any]]:
        """Return the ``rateLimits`` array (REQUEST_WEIGHT count of the current window)."""
        return [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": self.limiter.limit,
                "count": self.limiter.used(self.caller, now),
            }
        ]

    # -- incoming ----------------------------------------------------------------------------

    def handle_text(self, text: str, now: int, forced: ExchangeError | None = None) -> str | None:
        """Answer one request frame through the outbox; return its method (None if unreadable).

        ``forced`` answers the request with that error (a control fault) after parsing it.
        """
        request_id: Any = None
        method: str | None = None
        show = self.return_rate_limits
        try:
            try:
                req = _parse(text, self.return_rate_limits)
            except _Refused as refused:
                request_id, method = refused.request_id, refused.method
                raise refused.error from None
            request_id, method, show = req.id, req.method, req.return_rate_limits
            body = self._answer(req, now, forced)
        except ExchangeError as err:
            error: dict[str, Any] = {"code": err.code, "msg": err.msg}
            if isinstance(err, RateLimitError):
                error["data"] = {"serverTime": now, "retryAfter": err.retry_at}
            body = {"id": request_id, "status": err.http_status, "error": error}
        except Exception:  # an emulator bug: the request still gets a reply with its id
            log.exception("WS API %s failed", method)
            unknown = unknown_error()
            body = {"id": request_id, "status": unknown.http_status, "error": unknown.payload()}
        if show:
            body["rateLimits"] = self.rate_limits(now)
        if self.state is not SessionState.CLOSED:
            self.outbox(body)
        return method

    def _answer(self, req: WsApiRequest, now: int, forced: ExchangeError | None) -> dict[str, Any]:
        entry = self.methods.get(req.method)
        if entry is None:
            raise ExchangeError(
                -1020,
                f"This operation is not supported. (mock_exchange: WS API method {req.method!r} "
                "is not served by the emulator)",
            )
        if forced is not None:
            raise forced
        authorize(entry.security, req.credentials)
        query = md.Query(self.venue, self.exchange(), Params(req.params), now)
        result, weight = entry.handler(query)
        self.limiter.charge(self.caller, weight, now)
        return {"id": req.id, "status": 200, "result": result}
