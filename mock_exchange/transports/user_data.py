"""User data over the WS API: session logon, subscriptions, and routing events by account.

WS API methods (reference 4.5, 4.8, 6.1, 6.3):

- ``session.logon`` (signed, Ed25519 keys only: an HMAC or RSA key is refused with ``-2028``),
  ``session.status``, ``session.logout`` (ends ``userDataStream.subscribe`` subscriptions with
  ``eventStreamTerminated``; ``.signature`` ones stay);
- ``userDataStream.subscribe`` (the logged-on account; ``-1193`` without a logon),
  ``userDataStream.subscribe.signature`` (any key, signed), ``userDataStream.subscribe.listenToken``
  (a margin listen token; ends with ``eventStreamTerminated`` when the token expires),
  ``userDataStream.unsubscribe`` (one id or all), ``session.subscriptions``.

:class:`UserDataHub` routes engine events by their owner, never by stream name: each spot
event of an account goes to every connection with a subscription for that account, wrapped
``{"subscriptionId": N, "event": {...}}``, in the order the engine produced them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..engine.events import (
    AccountPosition,
    BalanceUpdate,
    EngineEvent,
    ListStatus,
    OrderUpdate,
)
from ..engine.exchange import Exchange
from ..engine.keys import KeyType
from ..engine.types import AccountId
from ..errors import ExchangeError
from . import user_events as ue
from .auth import ACCESS_PUBLIC, ACCESS_SIGNED_STREAM, Access, Security
from .ws_api import WsApiCall, WsApiMethod, WsApiSession

__all__ = ["USER_DATA_METHODS", "UserDataHub", "session_status"]

_LOGON = Access(Security.USER_STREAM, "reading", signed=True)
_TYPE_NAMES = {KeyType.HMAC: "HMAC-SHA-256", KeyType.RSA: "RSA"}


def session_status(session: WsApiSession, now: int) -> dict[str, Any]:
    """Return the ``session.logon`` / ``status`` / ``logout`` result object."""
    return {
        "apiKey": session.api_key,
        "authorizedSince": session.authorized_since,
        "connectedSince": session.connected_since,
        "returnRateLimits": session.return_rate_limits,
        "serverTime": now,
        "userDataStream": len(session.subscriptions) > 0,
    }


def _terminate(session: WsApiSession, sub_ids: Iterable[int], now: int) -> None:
    for sub_id in sub_ids:
        session.push_event(ue.stream_terminated(now), sub_id)


def logon(call: WsApiCall) -> tuple[Any, int]:
    """``session.logon``: remember the (Ed25519) key for this connection."""
    assert call.principal is not None
    key = call.principal.key
    if key.key_type is not KeyType.ED25519:
        raise ExchangeError(-2028, f"{_TYPE_NAMES[key.key_type]} API key is not supported.")
    call.session.logon(key, call.now)
    return session_status(call.session, call.now), 2


def status(call: WsApiCall) -> tuple[Any, int]:
    """``session.status``: the connection's key, times and subscription flag."""
    return session_status(call.session, call.now), 2


def logout(call: WsApiCall) -> tuple[Any, int]:
    """``session.logout``: forget the key; its ``userDataStream.subscribe`` subscription ends."""
    session = call.session
    ended = session.subscriptions.clear("logon")
    session.logout()
    _terminate(session, (s.id for s in ended), call.now)
    return session_status(session, call.now), 2


def subscribe(call: WsApiCall) -> tuple[Any, int]:
    """``userDataStream.subscribe``: events of the logged-on account."""
    session = call.session
    if session.key is None:
        raise ExchangeError(-1193, "WebSocket session not authenticated.")
    account = call.exchange.accounts.get(session.key.uid)
    assert account is not None
    sub = session.subscriptions.add(account.id, "logon")
    return {"subscriptionId": sub.id}, 2


def subscribe_signature(call: WsApiCall) -> tuple[Any, int]:
    """``userDataStream.subscribe.signature``: events of the signing key's account."""
    assert call.principal is not None
    sub = call.session.subscriptions.add(call.principal.account.id, "signature")
    return {"subscriptionId": sub.id}, 2


def subscribe_listen_token(call: WsApiCall) -> tuple[Any, int]:
    """``userDataStream.subscribe.listenToken``: a margin account's events until the token
    expires (-1209 for an unknown or expired token)."""
    text = call.params.text("listenToken", required=True)
    assert text is not None
    token = call.exchange.tokens.get(text, call.now)
    sub = call.session.subscriptions.add(
        token.account, "listenToken", expires=token.expires, margin=token.margin
    )
    return {"subscriptionId": sub.id, "expirationTime": token.expires}, 2


def unsubscribe(call: WsApiCall) -> tuple[Any, int]:
    """``userDataStream.unsubscribe``: one subscription (``subscriptionId``) or all of them."""
    session = call.session
    sub_id = call.params.integer("subscriptionId")
    if sub_id is None:
        ended = [s.id for s in session.subscriptions.clear()]
    else:
        if session.subscriptions.remove(sub_id) is None:
            raise ExchangeError(-2036, "User Data Stream subscription not active.")
        ended = [sub_id]
    _terminate(session, ended, call.now)
    return {}, 2


def subscriptions(call: WsApiCall) -> tuple[Any, int]:
    """``session.subscriptions``: the active subscription ids."""
    return [{"subscriptionId": s.id} for s in call.session.subscriptions], 2


USER_DATA_METHODS: dict[str, WsApiMethod] = {
    "session.logon": WsApiMethod(logon, _LOGON, session_key=False, error_weight=2),
    "session.status": WsApiMethod(status),
    "session.logout": WsApiMethod(logout),
    "userDataStream.subscribe": WsApiMethod(subscribe, error_weight=2),
    "userDataStream.subscribe.signature": WsApiMethod(
        subscribe_signature, ACCESS_SIGNED_STREAM, session_key=False, error_weight=2
    ),
    "userDataStream.subscribe.listenToken": WsApiMethod(
        subscribe_listen_token, ACCESS_PUBLIC, error_weight=2
    ),
    "userDataStream.unsubscribe": WsApiMethod(unsubscribe, error_weight=2),
    "session.subscriptions": WsApiMethod(subscriptions, error_weight=2),
}


class UserDataHub:
    """Routes spot user-data events to the subscriptions of their account."""

    def __init__(
        self, sessions: Callable[[], Iterable[WsApiSession]], exchange: Callable[[], Exchange]
    ) -> None:
        self.sessions = sessions
        self.exchange = exchange
        self.events_sent = 0

    def _payload(self, event: EngineEvent) -> tuple[AccountId, dict[str, Any]] | None:
        if isinstance(event, OrderUpdate):
            market = self.exchange().engine("spot").market(event.order.symbol)
            return event.owner, ue.execution_report(market, event)
        if isinstance(event, ListStatus):
            return event.owner, ue.list_status(event)
        if isinstance(event, AccountPosition):
            return event.owner, ue.account_position(event)
        if isinstance(event, BalanceUpdate) and event.wallet == "spot":
            return event.owner, ue.balance_update(event)
        return None

    def on_events(self, events: list[EngineEvent]) -> None:
        """Send each spot account event to that account's subscriptions."""
        targets: list[tuple[AccountId, dict[str, Any]]] = []
        for event in events:
            routed = self._payload(event)
            if routed is not None:
                targets.append(routed)
        if not targets:
            return
        sessions = list(self.sessions())
        for owner, payload in targets:
            for session in sessions:
                for sub in session.subscriptions.of_account(owner):
                    if sub.margin is None and session.push_event(payload, sub.id):
                        self.events_sent += 1

    def on_clock(self, now: int) -> None:
        """End the listen-token subscriptions whose token expired."""
        for session in self.sessions():
            expired = session.subscriptions.expired(now)
            _terminate(session, (s.id for s in expired), now)
