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
:func:`~mock_exchange.transports.auth.authorize` with the method's :class:`Access` (the
signature covers the sorted parameters as the client wrote them); public methods ignore them
(ccxt signs some public requests). A handler gets a :class:`WsApiCall`. The session does no I/O.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

import orjson

from ..engine.events import EngineEvent
from ..engine.exchange import Exchange
from ..engine.keys import ApiKey
from ..engine.markets import MarketKind
from ..engine.ratelimits import RateLimitError, WeightLimiter
from ..engine.user_streams import Subscriptions
from ..errors import ExchangeError, unknown_error
from . import market_data as md
from .auth import (
    ACCESS_PUBLIC,
    Access,
    Credentials,
    Principal,
    authorize,
    split_signing,
    ws_param_texts,
    ws_payloads,
)
from .params import Params, invalid, mandatory
from .time_unit import to_micros

__all__ = [
    "SESSION_TRANSITIONS",
    "IllegalSessionTransition",
    "Outbox",
    "SessionEvent",
    "SessionState",
    "WsApiCall",
    "WsApiMethod",
    "WsApiRequest",
    "WsApiSession",
    "parse_bool",
    "public",
]

log = logging.getLogger("mock_exchange")

Outbox = Callable[[dict[str, Any]], None]
Emit = Callable[[MarketKind, list[EngineEvent]], None]
log = logging.getLogger("mock_exchange")
_ID = re.compile(r"^[a-zA-Z0-9\-_]{1,36}$")
_INT64 = 2**63


def _no_emit(_venue: MarketKind, _events: list[EngineEvent]) -> None:
    """Drop events (a session outside a running emulator)."""


@dataclass(frozen=True)
class WsApiMethod:
    """One WS API method: its handler, what access it needs, and how it is counted.

    Attributes:
        handler: answers a :class:`WsApiCall` with ``(result, weight)``.
        access: security type and key permission.
        session_key: a logged-on session may stand in for ``apiKey``/``signature``.
        error_weight: the weight a refused request costs.
        counts_orders: an order-placing method (its answers list the ``ORDERS`` limits).
    """

    handler: Callable[[WsApiCall], tuple[Any, int]]
    access: Access = ACCESS_PUBLIC
    session_key: bool = True
    error_weight: int = 0
    counts_orders: bool = False


def public(query: md.QueryHandler) -> Callable[[WsApiCall], tuple[Any, int]]:
    """Adapt a market-data query (shared with REST) to a WS API handler."""

    def handle(call: WsApiCall) -> tuple[Any, int]:
        q = md.Query(call.venue, call.exchange, call.params, call.now, call.session.micros)
        return query(q)

    handle.__doc__ = query.__doc__
    return handle


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
        ExchangeError: -1130 for anything else.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise invalid(name)


@dataclass(frozen=True)
class WsApiRequest:
    """One parsed request: id, method (``v3/`` prefix dropped), handler params, signing fields.

    ``text`` is the frame as received: a signature covers the parameters as written there.
    """

    id: Any
    method: str
    params: dict[str, Any] = field(repr=False)
    credentials: Credentials
    return_rate_limits: bool
    text: str = field(default="", repr=False)


@dataclass(frozen=True)
class WsApiCall:
    """What a WS API handler sees: its session, the request, the time and who is calling."""

    session: WsApiSession
    request: WsApiRequest
    now: int
    principal: Principal | None = None

    @property
    def venue(self) -> MarketKind:
        """The session's venue."""
        return self.session.venue

    @property
    def exchange(self) -> Exchange:
        """The exchange the session serves."""
        return self.session.exchange()

    @property
    def params(self) -> Params:
        """The request parameters without the signing fields."""
        return Params(self.request.params, strict_symbol=self.venue == "spot")


class _Refused(Exception):
    """A request refused while parsing, with what could be read of it."""

    def __init__(self, error: ExchangeError, request_id: Any = None, method: str | None = None):
        super().__init__(error.msg)
        self.error, self.request_id, self.method = error, request_id, method


_BAD_JSON = ExchangeError(-1135, "Invalid JSON Request")
_BAD_ID = ExchangeError(
    -1135,
    "Invalid 'id' in JSON request; expected an integer, a string matching "
    "'^[a-zA-Z0-9-_]{1,36}$', or null.",
)
_BAD_PARAMS = ExchangeError(-1135, "Invalid 'params' in JSON request; expected an object.")


def _valid_id(raw_id: Any) -> bool:
    if raw_id is None:
        return True
    if isinstance(raw_id, bool):
        return False
    if isinstance(raw_id, int):
        return -_INT64 <= raw_id < _INT64
    return isinstance(raw_id, str) and _ID.match(raw_id) is not None


def _parse(text: str, default_rate_limits: bool) -> WsApiRequest:
    """Parse one request frame; raise :class:`_Refused` with Binance's error.

    -1135 for malformed JSON, a non-object frame, a bad ``id`` (Binance's observed text) or
    non-object ``params``; -1102 for a missing ``id`` or ``method`` (both are mandatory);
    -1130 for a bad ``returnRateLimits``.
    """
    try:
        msg = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise _Refused(_BAD_JSON) from None
    if not isinstance(msg, dict):
        raise _Refused(_BAD_JSON)
    if "id" not in msg:
        raise _Refused(mandatory("id"))
    raw_id = msg["id"]
    if not _valid_id(raw_id):
        raise _Refused(_BAD_ID)
    raw_method = msg.get("method")
    if not isinstance(raw_method, str) or not raw_method:
        raise _Refused(mandatory("method"), raw_id)
    method = raw_method[3:] if raw_method.startswith("v3/") else raw_method
    params = msg.get("params", {})
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise _Refused(_BAD_PARAMS, raw_id, method)
    params = dict(params)
    show = default_rate_limits
    if "returnRateLimits" in params:
        try:
            show = parse_bool(params.pop("returnRateLimits"), "returnRateLimits")
        except ExchangeError as err:
            raise _Refused(err, raw_id, method) from None
    handler_params, creds = split_signing(params)
    return WsApiRequest(raw_id, method, handler_params, creds, show, text)


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
        emit: Emit = _no_emit,
        connected_since: int = 0,
        connection_id: int = 0,
        micros: bool = False,
    ) -> None:
        self.venue = venue
        self.methods = methods
        self.exchange = exchange
        self.limiter = limiter
        self.caller = caller
        self.outbox = outbox
        self.return_rate_limits = return_rate_limits
        self.emit = emit
        self.connected_since = connected_since
        self.connection_id = connection_id
        self.micros = micros  # timeUnit=MICROSECOND in the connection URL
        self.state = SessionState.LOGGED_OUT
        self.key: ApiKey | None = None
        self.authorized_since: int | None = None
        # user-data subscriptions of this connection (transports/user_data.py)
        self.subscriptions = Subscriptions()
        self._current: WsApiCall | None = None  # the call being answered (for its rateLimits)
        # events pushed while a request is answered leave after its reply
        self._deferred: list[dict[str, Any]] | None = None

    def __repr__(self) -> str:
        return f"WsApiSession(venue={self.venue!r}, state={self.state.name})"

    # -- session state -----------------------------------------------------------------------

    def _move(self, event: SessionEvent) -> SessionState:
        nxt = SESSION_TRANSITIONS.get((self.state, event))
        if nxt is None:
            raise IllegalSessionTransition(f"{event} is not allowed when {self.state.value}")
        self.state = nxt
        return nxt

    @property
    def api_key(self) -> str | None:
        """The logged-on API key string, or None."""
        return None if self.key is None else self.key.api_key

    def logon(self, key: ApiKey, now: int) -> None:
        """Remember ``key`` as the session's key from ``now`` (a second logon switches it)."""
        self._move("logon")
        self.key, self.authorized_since = key, now

    def logout(self) -> None:
        """Forget the logged-on key (nothing to forget is fine)."""
        self._move("logout")
        self.key, self.authorized_since = None, None

    def close(self) -> None:
        """End the session: nothing is sent after this."""
        self._move("close")
        self.key, self.authorized_since = None, None

    # -- outgoing ----------------------------------------------------------------------------

    def push_event(self, event: dict[str, Any], subscription_id: int | None = None) -> bool:
        """Send ``{"event": ...}`` (with ``subscriptionId`` when given); False once closed."""
        if self.state is SessionState.CLOSED:
            return False
        frame: dict[str, Any] = {"event": event}
        if subscription_id is not None:
            frame = {"subscriptionId": subscription_id, "event": event}
        if self._deferred is not None:
            self._deferred.append(frame)
        else:
            self.outbox(frame)
        return True

    def rate_limits(
        self, now: int, orders: list[dict[str, Any]] | None = None
    ) -> list[dict[str, Any]]:
        """Return the ``rateLimits`` array: ``ORDERS`` counts (when given), then REQUEST_WEIGHT."""
        return [
            *(orders or []),
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": self.limiter.limit,
                "count": self.limiter.used(self.caller, now),
            },
        ]

    # -- incoming ----------------------------------------------------------------------------

    def handle_text(self, text: str, now: int, forced: ExchangeError | None = None) -> str | None:
        """Answer one request frame through the outbox; return its method (None if unreadable).

        ``forced`` answers the request with that error (a control fault) after parsing it.
        """
        request_id: Any = None
        method: str | None = None
        show = self.return_rate_limits
        self._current = None
        self._deferred = []
        try:
            try:
                req = _parse(text, self.return_rate_limits)
            except _Refused as refused:
                request_id, method = refused.request_id, refused.method
                raise refused.error from None
            request_id, method, show = req.id, req.method, req.return_rate_limits
            body = self._answer(WsApiCall(self, req, now), forced)
        except ExchangeError as err:
            error: dict[str, Any] = {"code": err.code, "msg": err.msg}
            if isinstance(err, RateLimitError):
                error["data"] = {"serverTime": now, "retryAfter": err.retry_at}
            elif err.data is not None:
                error["data"] = err.data
            entry = self.methods.get(method or "")
            weight = err.weight if err.weight is not None else None
            if weight is None and entry is not None:
                weight = entry.error_weight
            if weight and not isinstance(err, RateLimitError):  # a refusal costs its weight
                with contextlib.suppress(RateLimitError):
                    self.limiter.charge(self.caller, weight, now)
            body = {"id": request_id, "status": err.http_status, "error": error}
        except Exception:  # an emulator bug: the request still gets a reply with its id
            log.exception("WS API %s failed", method)
            unknown = unknown_error()
            body = {"id": request_id, "status": unknown.http_status, "error": unknown.payload()}
        if self.micros:
            body = to_micros(body)
        if show:
            body["rateLimits"] = self.rate_limits(now, self._order_limits(method, self._current))
        deferred, self._deferred = self._deferred, None
        if self.state is not SessionState.CLOSED:
            self.outbox(body)
            for frame in deferred:
                self.outbox(frame)
        return method

    def _order_limits(self, method: str | None, call: WsApiCall | None) -> list[dict[str, Any]]:
        entry = self.methods.get(method or "")
        if entry is None or not entry.counts_orders or call is None or call.principal is None:
            return []
        view = getattr(call.principal.account, "order_rate_limits", None)
        return view(call.now) if callable(view) else []

    def _answer(self, call: WsApiCall, forced: ExchangeError | None) -> dict[str, Any]:
        req = call.request
        entry = self.methods.get(req.method)
        if entry is None:
            log.info("WS API method not served by the emulator: %s %r", self.venue, req.method)
            raise ExchangeError(-1020, "This operation is not supported.")
        if forced is not None:
            raise forced
        self.limiter.admit(self.caller, call.now)
        principal = authorize(
            entry.access,
            req.credentials,
            call.exchange.accounts,
            call.now,
            lambda: ws_payloads(ws_param_texts(req.text)),
            session_key=self.key if entry.session_key else None,
        )
        if principal is not None:
            call = WsApiCall(self, req, call.now, principal)
        self._current = call
        result, weight = entry.handler(call)
        self.limiter.charge(self.caller, weight, call.now)
        return {"id": req.id, "status": 200, "result": result}
