"""``session.logon``, ``session.status`` and ``session.logout`` of a WS API connection.

``session.logon`` is signed with the key it logs on (``apiKey`` and ``signature`` required,
never taken from an earlier logon) and accepts Ed25519 keys only, as Binance documents; a
logged-on session's signed requests may then omit ``apiKey`` and ``signature``. Every answer is
the session's status: ``apiKey`` and ``authorizedSince`` (null when logged out),
``connectedSince``, ``returnRateLimits`` and ``serverTime`` (reference 4.5; the futures
``ws-fapi`` has no ``userDataStream`` field).
"""

from __future__ import annotations

from typing import Any

from ..engine.keys import KeyType
from ..errors import ExchangeError
from .auth import ACCESS_USER_DATA
from .ws_api import WsApiCall, WsApiMethod

__all__ = ["SESSION_METHODS", "session_logon", "session_logout", "session_status"]


def _status(call: WsApiCall) -> dict[str, Any]:
    session = call.session
    return {
        "apiKey": session.api_key,
        "authorizedSince": session.authorized_since,
        "connectedSince": session.connected_since,
        "returnRateLimits": session.return_rate_limits,
        "serverTime": call.now,
    }


def session_logon(call: WsApiCall) -> tuple[Any, int]:
    """``session.logon``: authenticate the connection with an Ed25519 key.

    Raises:
        ExchangeError: -4056 for an HMAC or RSA key.
    """
    assert call.principal is not None
    if call.principal.key.key_type is not KeyType.ED25519:
        raise ExchangeError(-4056, "Invalid api key type.")
    call.session.logon(call.principal.key, call.now)
    return _status(call), 2


def session_status(call: WsApiCall) -> tuple[Any, int]:
    """``session.status``: who the connection is logged on as."""
    return _status(call), 2


def session_logout(call: WsApiCall) -> tuple[Any, int]:
    """``session.logout``: forget the logged-on key (the connection stays open)."""
    call.session.logout()
    return _status(call), 2


SESSION_METHODS: dict[str, WsApiMethod] = {
    "session.logon": WsApiMethod(session_logon, ACCESS_USER_DATA, session_key=False),
    "session.status": WsApiMethod(session_status),
    "session.logout": WsApiMethod(session_logout),
}
