"""WebSocket API sessions on a scripted loopback peer: requests wait for the replayed logon,
a dropped request says whether it may have reached the exchange, and one that never left is
sent again on the next socket."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from client.connection import ConnectionSettings
from client.errors import AuthenticationError, BaseError, ExchangeNotAvailable, RequestInterrupted
from client.protocol.backoff import is_retryable
from client.protocol.frames import CLOSE, TEXT
from client.telemetry import Telemetry
from client.transport import WebSocket
from client.ws_api_connection import WsApiConnection

from .conftest import Serve
from .test_frames import server_frame
from .test_transport import accept, read_frame

FAST = ConnectionSettings(backoff_initial=0.01, backoff_cap=0.02)


def answer(writer: asyncio.StreamWriter, req: dict[str, object], result: object) -> None:
    """Write the 200 answer to ``req``."""
    frame = orjson.dumps({"id": req["id"], "status": 200, "result": result})
    writer.write(server_frame(TEXT, frame))


async def next_request(reader: asyncio.StreamReader) -> dict[str, object]:
    """Read the client's next text frame as a request."""
    _, body = await read_frame(reader)
    req: dict[str, object] = orjson.loads(body)
    return req


async def answer_until_close(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    seen: list[str],
    after: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """Answer every request with an empty result (then call ``after`` with it), recording
    its method, until the client closes."""
    while True:
        opcode, body = await read_frame(reader)
        if opcode != TEXT:
            break
        req = orjson.loads(body)
        seen.append(req["method"])
        answer(writer, req, {})
        if after is not None:
            after(req)
    writer.close()


async def logon_step(conn: WsApiConnection, ws: WebSocket) -> None:
    """A restore step that logs the socket on as key ``k``."""
    await conn.request_on(ws, "session.logon", {"apiKey": "k"}, 2)
    conn.logged_on(ws, "k")


async def test_requests_wait_for_the_replayed_logon(serve: Serve) -> None:
    """After a reconnect, a request made at once goes out only after the logon is answered,
    and its params see the session's key."""
    order: list[str] = []
    second = asyncio.Event()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        logon = await next_request(reader)
        order.append(str(logon["method"]))
        if not second.is_set():
            second.set()
            answer(writer, logon, {"apiKey": "k"})
            writer.write(server_frame(CLOSE, (1001).to_bytes(2, "big")))
            await reader.read()
            return
        # the client must not send anything before this logon is answered
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(reader.readexactly(1), 0.2)
        answer(writer, logon, {"apiKey": "k"})
        req = await next_request(reader)
        order.append(str(req["method"]))
        answer(writer, req, {"params": req["params"]})
        await read_frame(reader)  # the client's close
        writer.close()

    conn = WsApiConnection(await serve(script), Telemetry(), FAST)
    conn.restore_steps.append(logon_step)
    try:
        await conn.ensure_open(2)
        await asyncio.wait_for(second.wait(), 2)
        seen: list[str | None] = []

        def build(key: str | None) -> dict[str, object]:
            seen.append(key)
            return {"timestamp": 1}

        result = await conn.request("account.status", None, 3, build=build)
        assert order == ["session.logon", "session.logon", "account.status"]
        assert seen == ["k"] and result == {"params": {"timestamp": 1}}
        assert conn.session_key == "k" and conn.info()["logged_on"]
    finally:
        await conn.close()


async def test_a_sent_request_fails_saying_it_may_have_reached(serve: Serve) -> None:
    """The socket drops after the frame left: RequestInterrupted, retryable, may_have_reached
    True, naming the method; nothing is resent."""
    got: list[str] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        req = await next_request(reader)
        got.append(str(req["method"]))
        writer.close()  # drop without a close frame: 1006

    conn = WsApiConnection(await serve(script), Telemetry(), FAST)
    try:
        with pytest.raises(RequestInterrupted) as info:
            await conn.request("order.place", {"symbol": "BTCUSDT"}, 3)
        err = info.value
        assert err.may_have_reached and err.method == "order.place" and is_retryable(err)
        assert "may have reached the exchange" in str(err)
        assert got == ["order.place"]
    finally:
        await conn.close()


async def test_a_request_that_never_left_is_sent_on_the_next_socket(serve: Serve) -> None:
    """A request waiting for the logon when the socket drops had not left: it goes out on the
    reconnected socket after the logon there, and the caller gets its answer."""
    sockets: list[list[str]] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        mine: list[str] = []
        sockets.append(mine)
        await accept(reader, writer)
        logon = await next_request(reader)
        mine.append(str(logon["method"]))
        if len(sockets) == 1:
            writer.close()  # drop before answering the logon
            return
        answer(writer, logon, {"apiKey": "k"})
        req = await next_request(reader)
        mine.append(str(req["method"]))
        answer(writer, req, {"ok": True})
        await read_frame(reader)
        writer.close()

    conn = WsApiConnection(await serve(script), Telemetry(), FAST)
    conn.restore_steps.append(logon_step)
    try:
        assert await conn.request("order.status", {"orderId": 1}, 3) == {"ok": True}
        assert sockets == [["session.logon"], ["session.logon", "order.status"]]
    finally:
        await conn.close()


async def test_add_restore_step_runs_once_on_the_open_socket(serve: Serve) -> None:
    """A step added to an open connection runs there once; adding it again under the same
    name sends nothing; removing it stops the replay."""
    methods: list[str] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        await answer_until_close(reader, writer, methods)

    conn = WsApiConnection(await serve(script), Telemetry(), FAST)
    try:
        await conn.request("ping", None, 2)
        await conn.add_restore_step("logon", logon_step, 2)
        await conn.add_restore_step("logon", logon_step, 2)
        await conn.request("ping", None, 2)
        assert methods == ["ping", "session.logon", "ping"]
        assert conn.info()["restore_steps"] == ["logon"]
        conn.remove_restore_step("logon")
        assert conn.restore_steps == [] and conn.info()["restore_steps"] == []
    finally:
        await conn.close()


async def test_a_failed_replay_fails_at_once_and_is_retried_after_the_backoff(
    serve: Serve,
) -> None:
    """A replayed logon that fails (``-1001``) reports the error to ``on_restore_failed`` at
    once and gives that socket up without sending anything else on it; the supervisor dials
    again after its backoff and replays, and a request waiting meanwhile goes out there."""
    sockets: list[list[str]] = []
    second_open, go = asyncio.Event(), asyncio.Event()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        mine: list[str] = []
        sockets.append(mine)
        await accept(reader, writer)
        logon = await next_request(reader)
        mine.append(str(logon["method"]))
        if len(sockets) == 1:
            answer(writer, logon, {"apiKey": "k"})
            writer.write(server_frame(CLOSE, (1001).to_bytes(2, "big")))
            await reader.read()
            return
        if len(sockets) == 2:
            second_open.set()
            await go.wait()
            error = {"code": -1001, "msg": "Internal error; unable to process your request."}
            frame = orjson.dumps({"id": logon["id"], "status": 400, "error": error})
            writer.write(server_frame(TEXT, frame))
            while (frame := await read_frame(reader))[0] == TEXT:  # until the client's close
                mine.append(str(orjson.loads(frame[1])["method"]))
            writer.close()
            return
        answer(writer, logon, {"apiKey": "k"})
        req = await next_request(reader)
        mine.append(str(req["method"]))
        answer(writer, req, {"ok": True})
        await read_frame(reader)
        writer.close()

    telemetry = Telemetry()
    errors: list[str] = []
    telemetry.add(lambda e: errors.append(e.text) if e.kind == "error" else None)
    conn = WsApiConnection(await serve(script), telemetry, FAST)
    conn.restore_steps.append(logon_step)
    failed: list[BaseError] = []
    conn.on_restore_failed = lambda ws, err: failed.append(err)
    try:
        await conn.ensure_open(2)
        await asyncio.wait_for(second_open.wait(), 3)
        waiting = asyncio.ensure_future(conn.request("account.status", None, 5))
        go.set()
        assert await waiting == {"ok": True}
        assert sockets == [
            ["session.logon"],
            ["session.logon"],
            ["session.logon", "account.status"],
        ]
        (err,) = failed
        assert isinstance(err, ExchangeNotAvailable) and "-1001" in str(err)
        assert any("restore failed" in text and "-1001" in text for text in errors)
        assert conn.info()["reconnects"] == 2 and conn.session_key == "k"
    finally:
        await conn.close()


async def test_a_step_refused_for_good_is_dropped_and_the_rest_restored(serve: Serve) -> None:
    """A replayed step refused for good (an AuthenticationError) is replayed no more; the
    other steps still come back on that socket, which stays up."""
    sockets: list[list[str]] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        mine: list[str] = []
        sockets.append(mine)
        await accept(reader, writer)

        def close_after_ping(req: dict[str, Any]) -> None:
            if len(sockets) == 1 and req["method"] == "ping":
                writer.write(server_frame(CLOSE, (1001).to_bytes(2, "big")))

        await answer_until_close(reader, writer, mine, close_after_ping)

    runs: list[int] = []

    async def revoked(conn: WsApiConnection, ws: WebSocket) -> None:
        runs.append(1)
        if len(runs) > 1:
            raise AuthenticationError("-2015 Invalid API-key, IP, or permissions for action.")

    telemetry = Telemetry()
    reconnected = asyncio.Event()
    telemetry.add(lambda e: reconnected.set() if e.kind == "reconnect" else None)
    conn = WsApiConnection(await serve(script), telemetry, FAST)
    failed: list[BaseError] = []
    conn.on_restore_failed = lambda ws, err: failed.append(err)
    try:
        await conn.add_restore_step("logon", logon_step, 2)
        await conn.add_restore_step("revoked", revoked, 2)
        assert await conn.request("ping", None, 2) == {}  # then the server closes
        await asyncio.wait_for(reconnected.wait(), 3)
        assert await conn.request("status", None, 3) == {}  # after the restore
        assert sockets[1] == ["session.logon", "status"] and len(runs) == 2
        assert conn.info()["restore_steps"] == ["logon"] and conn.restore_steps == [logon_step]
        assert failed == [] and conn.session_key == "k" and conn.info()["reconnects"] == 1
    finally:
        await conn.close()
