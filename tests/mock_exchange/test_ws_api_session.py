"""The WS API session without sockets: outbox, pushed events, logon state, signing fields."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from mock_exchange.engine.accounts import Accounts
from mock_exchange.engine.clock import VirtualClock
from mock_exchange.engine.exchange import Exchange
from mock_exchange.engine.keys import make_key
from mock_exchange.engine.markets import ALL_DEFAULT_MARKETS
from mock_exchange.engine.ratelimits import WeightLimiter
from mock_exchange.errors import ExchangeError
from mock_exchange.routing import WSAPI_METHODS
from mock_exchange.transports.auth import (
    ACCESS_PUBLIC,
    ACCESS_TRADE,
    Credentials,
    Security,
    authorize,
    split_signing,
)
from mock_exchange.transports.ws_api import (
    SESSION_TRANSITIONS,
    IllegalSessionTransition,
    SessionState,
    WsApiSession,
)

NOW = 1_767_225_600_000


def session() -> tuple[WsApiSession, list[dict[str, Any]]]:
    sent: list[dict[str, Any]] = []
    exchange = Exchange(VirtualClock(NOW), ALL_DEFAULT_MARKETS)
    s = WsApiSession(
        "spot", WSAPI_METHODS["spot"], lambda: exchange, WeightLimiter(), "1.2.3.4", sent.append
    )
    return s, sent


def test_replies_go_to_the_outbox_in_order() -> None:
    """Each request is answered through the outbox; the method is returned for the caller."""
    s, sent = session()
    assert s.handle_text('{"id":"a","method":"time"}', NOW) == "time"
    assert s.handle_text('{"id":2,"method":"v3/ping","params":{"returnRateLimits":false}}', NOW)
    assert s.handle_text("nope", NOW) is None
    assert [m["id"] for m in sent] == ["a", 2, None]
    assert sent[0]["result"] == {"serverTime": NOW} and sent[0]["rateLimits"][0]["count"] == 1
    assert "rateLimits" not in sent[1] and sent[2]["error"]["code"] == -1135


def test_signing_fields_are_kept_for_auth_and_ignored_by_public_methods() -> None:
    """apiKey/signature/timestamp are split off as credentials; a public method answers anyway."""
    params, creds = split_signing(
        {"symbol": "BTCUSDT", "apiKey": "k3y", "signature": "s1g", "timestamp": 5, "recvWindow": 9}
    )
    assert params == {"symbol": "BTCUSDT"}
    assert (creds.api_key, creds.signature, creds.timestamp) == ("k3y", "s1g", 5)
    assert creds.recv_window == 9 and not creds.empty
    assert "k3y" not in repr(creds) and "s1g" not in repr(creds)
    assert split_signing({}, "header-key")[1].api_key == "header-key"
    s, sent = session()
    frame = {"id": 1, "method": "depth", "params": {"symbol": "BTCUSDT", "limit": 5, "apiKey": "k"}}
    s.handle_text(orjson.dumps(frame).decode(), NOW)
    assert sent[0]["status"] == 200 and len(sent[0]["result"]["bids"]) == 5


def test_authorize_admits_public_requests_and_refuses_unknown_keys() -> None:
    """NONE admits any signing fields; a signed type needs a registered key (-2015, HTTP 401)."""
    accounts = Accounts()
    assert authorize(ACCESS_PUBLIC, Credentials(api_key="k"), accounts, NOW, list) is None
    creds = Credentials(api_key="k", signature="s", timestamp=NOW)
    with pytest.raises(ExchangeError) as info:
        authorize(ACCESS_TRADE, creds, accounts, NOW, list)
    assert (info.value.code, info.value.http_status) == (-2015, 401)
    assert Security.USER_DATA.signed and not Security.USER_STREAM.signed


def test_events_are_pushed_at_any_time_until_the_session_closes() -> None:
    """push_event writes {"event"} (with subscriptionId for user data); nothing after close."""
    s, sent = session()
    assert s.push_event({"e": "serverShutdown", "E": NOW})
    assert s.push_event({"e": "outboundAccountPosition"}, subscription_id=0)
    assert sent == [
        {"event": {"e": "serverShutdown", "E": NOW}},
        {"subscriptionId": 0, "event": {"e": "outboundAccountPosition"}},
    ]
    s.close()
    assert not s.push_event({"e": "late"})
    s.handle_text('{"id":3,"method":"time"}', NOW)
    assert len(sent) == 2


def test_logon_state_is_a_transition_table() -> None:
    """Logon remembers the key (a second logon switches it); logout forgets; close is final."""
    s, _ = session()
    assert s.state is SessionState.LOGGED_OUT and s.api_key is None
    key_1, key_2 = (make_key(f"key-{i}", 1, secret="x") for i in (1, 2))
    s.logon(key_1, NOW)
    assert (s.state, s.api_key, s.authorized_since) == (SessionState.LOGGED_ON, "key-1", NOW)
    s.logon(key_2, NOW + 5)
    assert (s.api_key, s.authorized_since) == ("key-2", NOW + 5)
    assert "key-2" not in repr(s)
    s.logout()
    assert (s.state, s.api_key) == (SessionState.LOGGED_OUT, None)
    s.logout()
    s.close()
    for illegal in (lambda: s.logon(key_1, NOW), s.logout, s.close):
        with pytest.raises(IllegalSessionTransition):
            illegal()
        assert s.state is SessionState.CLOSED and s.api_key is None
    closed_moves = [key for key in SESSION_TRANSITIONS if key[0] is SessionState.CLOSED]
    assert closed_moves == []
