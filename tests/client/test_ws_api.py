"""The WebSocket API: frames that answer nothing are events (core, JSON literals from Binance's
docs), events reach their handler, and session state is replayed on a new socket."""

from __future__ import annotations

import asyncio

import orjson

from client.connection import ConnectionSettings
from client.protocol.frames import CLOSE, TEXT
from client.protocol.ws_api import (
    ServerShutdown,
    UnsolicitedError,
    WsApiEvent,
    WsApiProtocol,
    WsApiResponse,
)
from client.telemetry import Telemetry, WireEvent
from client.transport import WebSocket
from client.ws_api_connection import WsApiConnection

from .conftest import Serve
from .test_frames import server_frame
from .test_transport import accept, read_frame

# binance-protocol.md 4.2 and 4.8
ACCOUNT_POSITION = (
    '{"subscriptionId":0,"event":{"e":"outboundAccountPosition","E":1728972148778,'
    '"u":1728972148778,"B":[{"a":"BTC","f":"11818.00000000","l":"182.00000000"},'
    '{"a":"USDT","f":"10580.00000000","l":"70.00000000"}]}}'
)
TERMINATED = '{"subscriptionId":1,"event":{"e":"eventStreamTerminated","E":1728973001334}}'
KEY_REVOKED = (
    '{"id":null,"status":401,"error":{"code":-2015,'
    '"msg":"Invalid API-key, IP, or permissions for action."}}'
)


def test_frames_that_answer_nothing_are_events() -> None:
    """User data, stream termination, shutdown and an id-less error each decode to an event."""
    p = WsApiProtocol()
    event = p.receive(ACCOUNT_POSITION)
    assert isinstance(event, WsApiEvent) and event.subscription_id == 0
    assert event.type == "outboundAccountPosition" and event.event["B"][1]["a"] == "USDT"
    assert p.receive(TERMINATED) == WsApiEvent(
        1, {"e": "eventStreamTerminated", "E": 1728973001334}
    )
    assert p.receive('{"event":{"e":"serverShutdown","E":1770123456789}}') == ServerShutdown(
        1770123456789
    )
    assert p.receive(KEY_REVOKED) == UnsolicitedError(
        401, -2015, "Invalid API-key, IP, or permissions for action."
    )
    unwrapped = p.receive('{"e":"listenKeyExpired","E":1699596037418}')
    assert unwrapped == WsApiEvent(None, {"e": "listenKeyExpired", "E": 1699596037418})
    rid, _ = p.request("userDataStream.subscribe")
    answer = p.receive(orjson.dumps({"id": rid, "status": 200, "result": {"subscriptionId": 0}}))
    assert isinstance(answer, WsApiResponse) and answer.result == {"subscriptionId": 0}
    assert p.receive('{"id":"9"}') is None and p.receive("[]") is None


async def answer_requests(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, seen: list[str], count: int
) -> None:
    """Answer ``count`` requests with an empty result, recording their methods."""
    for _ in range(count):
        _, body = await read_frame(reader)
        req = orjson.loads(body)
        seen.append(req["method"])
        writer.write(
            server_frame(TEXT, b'{"id":"%s","status":200,"result":{}}' % req["id"].encode())
        )


async def test_events_reach_the_handler_and_errors_are_reported(serve: Serve) -> None:
    """A pushed user-data event reaches on_event; an id-less error becomes an error event."""
    seen: list[str] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        await answer_requests(reader, writer, seen, 1)
        writer.write(server_frame(TEXT, ACCOUNT_POSITION.encode()))
        writer.write(server_frame(TEXT, KEY_REVOKED.encode()))
        await read_frame(reader)  # the client's close
        writer.close()

    telemetry = Telemetry()
    errors: list[WireEvent] = []
    reported = asyncio.Event()

    def on_event(e: WireEvent) -> None:
        if e.kind == "error":
            errors.append(e)
            reported.set()

    telemetry.add(on_event)
    conn = WsApiConnection(await serve(script), telemetry)
    got: asyncio.Future[WsApiEvent] = asyncio.get_running_loop().create_future()
    conn.on_event = lambda ws, e: got.set_result(e) if not got.done() else None
    try:
        assert await conn.request("userDataStream.subscribe", None, 2) == {}
        event = await asyncio.wait_for(got, 2)
        assert event.type == "outboundAccountPosition" and conn.info()["events_received"] == 1
        await asyncio.wait_for(reported.wait(), 2)
        assert errors[0].detail["code"] == -2015
    finally:
        await conn.close()


async def test_session_state_is_replayed_on_a_new_socket(serve: Serve) -> None:
    """A connection with restore steps reconnects by itself and replays them (not SUBSCRIBE)."""
    seen: list[list[str]] = []
    replayed = asyncio.Event()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        mine: list[str] = []
        seen.append(mine)
        await accept(reader, writer)
        await answer_requests(reader, writer, mine, 2)
        if len(seen) == 1:
            writer.write(server_frame(CLOSE, (1001).to_bytes(2, "big")))
            await reader.read()
            return
        replayed.set()
        await read_frame(reader)  # the client's close
        writer.close()

    async def logon(conn: WsApiConnection, ws: WebSocket) -> None:
        await conn.request_on(ws, "session.logon", {"apiKey": "k"}, 2)

    async def subscribe(conn: WsApiConnection, ws: WebSocket) -> None:
        await conn.request_on(ws, "userDataStream.subscribe", None, 2)

    settings = ConnectionSettings(backoff_initial=0.01, backoff_cap=0.02)
    conn = WsApiConnection(await serve(script), Telemetry(), settings)
    conn.restore_steps = [logon, subscribe]
    try:
        await conn.ensure_open()
        await asyncio.wait_for(replayed.wait(), 3)
        assert seen == [["session.logon", "userDataStream.subscribe"]] * 2
        assert conn.info()["reconnects"] == 1
    finally:
        await conn.close()
