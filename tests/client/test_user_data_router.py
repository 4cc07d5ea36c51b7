"""User-data routing on a WebSocket API connection (no sockets): events go to the session
bound to their socket and subscription id, events that arrive before the binding are held
for it, and a lost socket ends its bindings."""

from __future__ import annotations

from typing import Any

from client.errors import ConnectionClosed
from client.protocol.user_data import AccountState
from client.protocol.ws_api import WsApiEvent
from client.telemetry import Telemetry
from client.user_data_ws_api import WsApiEventRouter, WsApiUserData
from tests.client import user_data_payloads as P


class StubSupervisor:
    stopped = False


class StubConnection:
    """What the router and a session read of a WebSocket API connection."""

    url = "wss://ws-api.binance.com:443/ws-api/v3"

    def __init__(self) -> None:
        self.on_event: Any = None
        self.on_lost: Any = None
        self.supervisor = StubSupervisor()


def session(router: WsApiEventRouter, conn: StubConnection, api_key: str) -> WsApiUserData:
    async def subscribe(*args: Any) -> int:  # never called here
        raise AssertionError

    return WsApiUserData(
        ("spot", api_key, None),
        AccountState(futures=False),
        Telemetry(),
        mechanism="ws_api_subscribe",
        conn=conn,  # type: ignore[arg-type]
        router=router,
        subscribe=subscribe,
        find=P.MARKETS["spot"].get,
        reconcile=None,
        timeout=1.0,
    )


def test_events_route_by_socket_and_id_and_wait_for_their_binding() -> None:
    """An event of a subscription not bound yet is delivered when it is; ids are per socket,
    so the same id on another socket is another subscription."""
    conn = StubConnection()
    router = WsApiEventRouter(conn)  # type: ignore[arg-type]
    a, b = session(router, conn, "keyA"), session(router, conn, "keyB")
    ws1, ws2 = object(), object()
    conn.on_event(ws1, WsApiEvent(0, P.EXECUTION_NEW))  # before the answer was read
    assert a.state.events == 0
    a.bind(ws1, 0)  # type: ignore[arg-type]
    b.bind(ws1, 1)  # type: ignore[arg-type]
    assert a.state.events == 1 and b.state.events == 0
    conn.on_event(ws1, WsApiEvent(1, P.ACCOUNT_POSITION))
    assert b.state.events == 1 and a.state.events == 1
    conn.on_event(ws2, WsApiEvent(0, P.ACCOUNT_POSITION))  # another socket's id 0
    assert a.state.events == 1
    a.bind(ws2, 0)  # type: ignore[arg-type]  # a handover: the new socket's subscription
    assert a.state.events == 2
    conn.on_event(ws1, WsApiEvent(0, P.EXECUTION_TRADE_1))  # the old socket, late
    assert a.state.events == 2


def test_a_lost_socket_ends_its_bindings_and_a_closed_connection_fails_watchers() -> None:
    """Losing a socket unbinds what it carried (the next socket subscribes again); the
    client closing the connection fails the sessions' watchers."""
    conn = StubConnection()
    router = WsApiEventRouter(conn)  # type: ignore[arg-type]
    s = session(router, conn, "keyA")
    ws = object()
    s.bind(ws, 0)  # type: ignore[arg-type]
    conn.on_lost(ws, ConnectionClosed("gone", code=1006))
    assert s.bound is None and s.error is None
    conn.on_event(ws, WsApiEvent(0, P.EXECUTION_NEW))
    assert s.state.events == 0
    conn.supervisor.stopped = True
    conn.on_lost(None, ConnectionClosed("closed by the client", code=1000))
    assert isinstance(s.error, ConnectionClosed)
    assert "keyA" not in repr(s.auth()) and "keyA" not in str(s.info())
