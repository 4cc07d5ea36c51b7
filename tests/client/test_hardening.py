"""Issue 10, client items 1-4, as a hostile peer: no hang, no unbounded growth, no traceback.

1. a garbled ``Retry-After`` (a Unicode digit) is no delay and fails the watch within its
   timeout; a supervisor that dies fails its waiters; ``close()`` never raises;
2. a server that stops reading cannot hold a request past its timeout, and its pings cannot
   queue pongs without bound;
3. a server that accepts, ACKs and closes meets growing backoff delays (reset only after a
   healthy uptime), and a caller in a grown pause fails within its own timeout;
4. repeated unsolicited error frames log once, not once each; ``redact`` catches the Python
   dict repr REST params are reported in.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import orjson
import pytest

import client
from client.connection import ConnectionSettings
from client.errors import NetworkError, RateLimitExceeded, RequestTimeout
from client.http import HttpClient
from client.protocol.frames import CLOSE, PING, PONG, TEXT
from client.stream_connection import StreamConnection
from client.supervisor import Hooks, Supervisor
from client.telemetry import RateLimitedLog, Telemetry, WireEvent, redact
from client.transport import WebSocket
from client.ws_api_connection import WsApiConnection

from ..e2e.loopback import SPOT_INFO
from .conftest import Serve
from .test_frames import server_frame
from .test_rest import FakeTransport
from .test_transport import accept, read_frame

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
LIMIT_BODY = b'{"code":-1003,"msg":"Too many requests; current limit is 300 per 5 MINUTE."}'
GARBLED_REFUSAL = (
    b"HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n"
    b"Retry-After: \xb2\r\nContent-Length: " + str(len(LIMIT_BODY)).encode() + b"\r\n\r\n"
) + LIMIT_BODY


def http_ok(body: bytes) -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\nConnection: close\r\n\r\n"
        + body
    )


async def refusing_binance(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """exchangeInfo over HTTP; every WebSocket upgrade refused with a garbled Retry-After."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    if "upgrade: websocket" in head.lower():
        writer.write(GARBLED_REFUSAL)
    else:
        info = SPOT_INFO if "/api.binance.com/" in head.split("\r\n")[0] else {"symbols": []}
        writer.write(http_ok(orjson.dumps(info)))
    await writer.drain()
    writer.close()


# -- 1. no hang ------------------------------------------------------------------------------


async def test_garbled_retry_after_fails_the_watch_and_close_is_quiet(serve: Serve) -> None:
    """A 429 upgrade refusal with ``Retry-After: \\xb2`` fails the watch with
    RateLimitExceeded (no delay named) instead of hanging, and closing raises nothing."""
    url = await serve(refusing_binance)
    base = url.removesuffix("/stream").replace("ws://", "http://")
    ex = client.Binance(binance_env="local", base_url=base, options={"timeout": 2000})
    try:
        with pytest.raises(RateLimitExceeded) as info:
            await asyncio.wait_for(ex.watch_trades("BTC/USDT"), 5)
        assert info.value.retry_after is None
    finally:
        await asyncio.wait_for(ex.close(), 5)


async def test_garbled_retry_after_on_the_ws_api_is_a_client_error(serve: Serve) -> None:
    """The same refusal on the WebSocket API path is RateLimitExceeded, not a raw ValueError."""
    conn = WsApiConnection(await serve(refusing_binance), Telemetry())
    try:
        with pytest.raises(RateLimitExceeded):
            await asyncio.wait_for(conn.request("ping", None, 2), 5)
    finally:
        await asyncio.wait_for(conn.close(), 5)


async def test_a_supervisor_that_dies_fails_its_waiters(serve: Serve) -> None:
    """A bug inside a connection's hooks fails every waiter with NetworkError; close() is quiet."""

    async def broken_dial() -> WebSocket:
        raise RuntimeError("a bug")

    async def no_restore(ws: WebSocket, handover: bool) -> None:
        pass

    async def retire(ws: WebSocket) -> None:
        pass

    hooks = Hooks(broken_dial, no_restore, lambda ws, err: None, lambda: True, retire)
    sup = Supervisor("broken", hooks, ConnectionSettings(), Telemetry())
    waiters = [asyncio.ensure_future(sup.ensure_open()) for _ in range(3)]
    done, pending = await asyncio.wait(waiters, timeout=5)
    assert not pending
    for w in done:
        assert isinstance(w.exception(), NetworkError)
        assert isinstance(w.exception().__cause__, RuntimeError)  # type: ignore[union-attr]
    await asyncio.wait_for(sup.close(), 5)


# -- 2. a server that stops reading -------------------------------------------------------------


def silent(until: asyncio.Event) -> Script:
    """A server that accepts the upgrade, then reads and answers nothing until ``until``.

    (The test holds ``until``: a task waiting on an event nobody else holds may be garbage
    collected, and its socket reset, while it waits.)
    """

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        await until.wait()
        writer.close()

    return script


async def fill_until_paused(conn: WsApiConnection, ws: WebSocket) -> None:
    """Send 1 MiB requests (each ends in RequestTimeout) until the socket's buffer is full."""
    pad = "x" * (1 << 20)
    for _ in range(200):
        with pytest.raises(RequestTimeout):
            await asyncio.wait_for(conn.request("pad", {"pad": pad}, 0.05), 3)
        if ws.writing_paused:
            return
    raise AssertionError("the send buffer never filled")


async def test_a_full_send_buffer_cannot_outlast_the_request_timeout(serve: Serve) -> None:
    """Against a server that stops reading, every WS API request ends with RequestTimeout
    within its timeout, also once the socket's send buffer is full."""
    release = asyncio.Event()
    conn = WsApiConnection(
        await serve(silent(release)), Telemetry(), ConnectionSettings(keepalive=None)
    )
    try:
        ws = await conn.ensure_open()
        await fill_until_paused(conn, ws)
        with pytest.raises(RequestTimeout):
            await asyncio.wait_for(conn.request("ping", None, 0.1), 3)
    finally:
        release.set()
        await asyncio.wait_for(conn.close(), 5)


async def test_a_paused_stream_send_is_bounded_by_the_timeout(serve: Serve) -> None:
    """A SUBSCRIBE whose send is held by backpressure ends with RequestTimeout in time."""
    settings = ConnectionSettings(keepalive=None)
    release = asyncio.Event()
    conn = StreamConnection(await serve(silent(release)), Telemetry(), settings)
    try:
        await conn.ensure_open()
        ws = conn.supervisor.ws
        assert ws is not None
        ws.pause_writing()  # what the transport says when its buffer is full
        with pytest.raises(RequestTimeout):
            await asyncio.wait_for(conn.subscribe(["btcusdt@trade"], 0.1), 3)
    finally:
        release.set()
        await asyncio.wait_for(conn.close(), 5)


DONE = server_frame(TEXT, b'{"subscriptionId":0,"event":{"e":"done"}}')


async def test_pings_do_not_grow_a_full_send_buffer(serve: Serve) -> None:
    """With the send buffer full, 2000 server pings add no pong to it and our keepalive ping
    is not queued either (memory stays flat)."""
    flood, release = asyncio.Event(), asyncio.Event()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        await flood.wait()
        writer.write(server_frame(PING, b"p" * 100) * 2000 + DONE)
        await release.wait()  # never reads
        writer.close()

    conn = WsApiConnection(await serve(script), Telemetry(), ConnectionSettings(keepalive=None))
    done = asyncio.Event()
    conn.on_event = lambda ws, e: done.set()
    try:
        ws = await conn.ensure_open()
        await fill_until_paused(conn, ws)
        before = ws.write_buffer_size
        flood.set()
        await asyncio.wait_for(done.wait(), 5)
        await ws.ping(b"k" * 100)
        assert ws.write_buffer_size == before
    finally:
        release.set()
        await asyncio.wait_for(conn.close(), 5)


async def test_only_the_latest_pong_goes_when_writing_resumes(serve: Serve) -> None:
    """Pings answered while writing is paused leave one pong, the latest (RFC 6455 5.5.3),
    sent when writing resumes."""
    flood = asyncio.Event()
    pongs: list[bytes] = []
    got_pong = asyncio.Event()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        await flood.wait()
        writer.write(b"".join(server_frame(PING, b"%05d" % i) for i in range(2000)) + DONE)
        while True:
            op, body = await read_frame(reader)
            if op == PONG:
                pongs.append(body)
                got_pong.set()
            elif op == CLOSE:
                writer.close()
                return

    conn = WsApiConnection(await serve(script), Telemetry(), ConnectionSettings(keepalive=None))
    done = asyncio.Event()
    conn.on_event = lambda ws, e: done.set()
    try:
        ws = await conn.ensure_open()
        ws.pause_writing()  # what the transport says when its buffer is full
        flood.set()
        await asyncio.wait_for(done.wait(), 5)
        ws.resume_writing()
        await asyncio.wait_for(got_pong.wait(), 3)
        assert pongs == [b"01999"]
    finally:
        await asyncio.wait_for(conn.close(), 5)


# -- 3. reconnect storm ------------------------------------------------------------------------


def ack_then_close(hold: Callable[[asyncio.StreamReader], Awaitable[None]] | None) -> Script:
    """Accept, ACK every SUBSCRIBE, then close (1001) at once, or after ``hold`` returns."""

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        op, body = await read_frame(reader)
        if op == TEXT:
            writer.write(server_frame(TEXT, b'{"result":null,"id":%d}' % orjson.loads(body)["id"]))
        if hold is not None:
            await hold(reader)
        writer.write(server_frame(CLOSE, (1001).to_bytes(2, "big")))
        await reader.read()

    return script


async def reconnect_delays(conn: StreamConnection, count: int) -> list[float]:
    """Subscribe, then collect the backoff delay of ``count`` reconnects."""
    delays: list[float] = []
    enough = asyncio.Event()

    def on_event(e: WireEvent) -> None:
        if e.kind == "reconnect" and "delay" in e.detail:
            delays.append(e.detail["delay"])
            if len(delays) >= count:
                enough.set()

    conn.telemetry.add(on_event)
    await conn.ensure_open()
    await conn.subscribe(["btcusdt@trade"], 2)
    await asyncio.wait_for(enough.wait(), 10)
    return delays[:count]


async def test_accept_ack_close_meets_growing_delays(serve: Serve) -> None:
    """A server that accepts, ACKs and closes at once gets ever longer pauses, not a storm."""
    settings = ConnectionSettings(
        backoff_initial=0.01, backoff_cap=10, backoff_reset=60, control_rate=100
    )
    conn = StreamConnection(await serve(ack_then_close(None)), Telemetry(), settings)
    try:
        delays = await reconnect_delays(conn, 5)
        assert delays == sorted(delays)
        assert delays[-1] >= 0.01 * 2**4 * 0.5  # the fifth pause is at least 8 initial ones
    finally:
        await asyncio.wait_for(conn.close(), 5)


async def test_the_backoff_starts_over_after_a_healthy_connection(serve: Serve) -> None:
    """A connection that stayed up ``backoff_reset`` before closing starts the backoff over."""

    async def until_our_ping(reader: asyncio.StreamReader) -> None:
        while (await read_frame(reader))[0] != PING:
            pass

    settings = ConnectionSettings(
        backoff_initial=0.01, backoff_cap=10, backoff_reset=0.05, keepalive=0.1, control_rate=100
    )
    conn = StreamConnection(await serve(ack_then_close(until_our_ping)), Telemetry(), settings)
    try:
        delays = await reconnect_delays(conn, 4)
        assert all(d <= 0.01 for d in delays)
    finally:
        await asyncio.wait_for(conn.close(), 5)


async def test_a_caller_in_a_grown_pause_fails_within_its_timeout(serve: Serve) -> None:
    """While a grown backoff runs, a caller is not let through early: it gets RequestTimeout
    within its own timeout (the pause is not cut short into another storm)."""
    settings = ConnectionSettings(
        backoff_initial=0.02, backoff_cap=30, backoff_reset=60, control_rate=100
    )
    conn = StreamConnection(await serve(ack_then_close(None)), Telemetry(), settings)
    closes = 0
    long_pause = asyncio.Event()

    def on_event(e: WireEvent) -> None:
        nonlocal closes
        if e.kind == "close":
            closes += 1
            if closes == 6:
                long_pause.set()

    conn.telemetry.add(on_event)
    try:
        await conn.ensure_open()
        await conn.subscribe(["btcusdt@trade"], 2)
        await asyncio.wait_for(long_pause.wait(), 20)
        assert (conn.supervisor.last_delay or 0) >= 0.02 * 2**5 * 0.5
        with pytest.raises(RequestTimeout):
            await asyncio.wait_for(conn.ensure_open(timeout=0.1), 3)
    finally:
        await asyncio.wait_for(conn.close(), 5)


# -- 4. logs ------------------------------------------------------------------------------------


async def test_unsolicited_errors_log_once_not_once_each(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    """A flood of unmatched error frames gives one WARNING line, not one per frame."""

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        frame = server_frame(TEXT, b'{"error":{"code":3,"msg":"Invalid JSON"},"id":null}')
        writer.write(frame * 1000)
        writer.write(server_frame(TEXT, b'{"stream":"done@x","data":{}}'))
        await read_frame(reader)
        writer.close()

    caplog.set_level(logging.WARNING, logger="client")
    conn = StreamConnection(await serve(script), Telemetry(), ConnectionSettings(keepalive=None))
    try:
        fut = conn.waiter(["done@x"])
        await conn.ensure_open()
        await asyncio.wait_for(fut, 5)
    finally:
        await asyncio.wait_for(conn.close(), 5)
    lines = [r for r in caplog.records if r.name == "client" and r.levelno == logging.WARNING]
    assert len(lines) == 1, len(lines)
    assert "unmatched error from server: Invalid JSON" in lines[0].getMessage()


class Broken:
    """A channel whose handler fails on every event (a parser bug a peer can trigger)."""

    def handle(self, data: object) -> bool:
        raise KeyError("bug")

    def reset(self) -> None:
        pass

    def size(self) -> int:
        return 0


async def test_a_failing_handler_logs_once_not_once_per_frame(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    """A message handler that fails on every frame logs one ERROR line and keeps the socket."""

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        writer.write(server_frame(TEXT, b'{"stream":"bad@x","data":{}}') * 500)
        writer.write(server_frame(TEXT, b'{"stream":"done@x","data":{}}'))
        await read_frame(reader)
        writer.close()

    caplog.set_level(logging.ERROR, logger="client")
    conn = StreamConnection(await serve(script), Telemetry(), ConnectionSettings(keepalive=None))
    conn.channels["bad@x"] = Broken()
    try:
        fut = conn.waiter(["done@x"])
        await conn.ensure_open()
        await asyncio.wait_for(fut, 5)
        assert conn.state == "open"
    finally:
        await asyncio.wait_for(conn.close(), 5)
    lines = [r for r in caplog.records if r.name == "client" and r.levelno == logging.ERROR]
    assert len(lines) == 1, len(lines)


def test_rate_limited_log_counts_what_it_held_back(caplog: pytest.LogCaptureFixture) -> None:
    """Within the interval a repeated key is counted, then reported with the count."""
    now = [0.0]
    limited = RateLimitedLog(logging.getLogger("client"), interval=10, clock=lambda: now[0])
    caplog.set_level(logging.WARNING, logger="client")
    for _ in range(5):
        limited.warning("k", "boom %s", "x")
    limited.warning("other", "other %s", "y")
    now[0] = 11.0
    limited.warning("k", "boom %s", "x")
    assert [r.getMessage() for r in caplog.records] == [
        "boom x",
        "other y",
        "boom x (4 more like it held back)",
    ]


def test_redact_catches_python_dict_reprs() -> None:
    """Secrets in a Python dict repr (single quotes) are redacted like JSON and query forms."""
    text = redact(
        "POST https://api.binance.com/api/v3/order {'symbol': 'BTCUSDT', 'apiKey': 'K-1', "
        "'signature': 'S-2', 'secret': 'X-3', 'listenKey': 'L-4', \"listenToken\": \"T-5\", "
        "'timestamp': 1} listenKey=L-6&signature=S-7"
    )
    for secret in ("K-1", "S-2", "X-3", "L-4", "T-5", "L-6", "S-7"):
        assert secret not in text
    assert "'symbol': 'BTCUSDT'" in text and "'timestamp': 1" in text


async def test_rest_params_are_reported_redacted() -> None:
    """The send event of a REST request carries its params with secrets redacted."""
    telemetry = Telemetry()
    events: list[WireEvent] = []
    telemetry.add(events.append)
    http = HttpClient(telemetry, FakeTransport((200, {}, b"{}")))
    await http.request(
        "POST", "https://x/o", {"apiKey": "K-SECRET", "signature": "S-SECRET"}, timeout=1
    )
    assert len(events) == 1 and "SECRET" not in events[0].text


async def test_unsolicited_ws_api_errors_log_once(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    """A flood of id-less WS API errors gives one WARNING line too."""
    done = asyncio.Event()
    frame = server_frame(TEXT, b'{"id":null,"status":401,"error":{"code":-2015,"msg":"Invalid"}}')

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        writer.write(frame * 500 + server_frame(TEXT, b'{"subscriptionId":0,"event":{"e":"x"}}'))
        await read_frame(reader)
        writer.close()

    caplog.set_level(logging.WARNING, logger="client")
    conn = WsApiConnection(await serve(script), Telemetry(), ConnectionSettings(keepalive=None))
    conn.on_event = lambda ws, e: done.set()
    try:
        await conn.ensure_open()
        await asyncio.wait_for(done.wait(), 5)
    finally:
        await asyncio.wait_for(conn.close(), 5)
    lines = [r for r in caplog.records if r.name == "client" and r.levelno == logging.WARNING]
    assert len(lines) == 1, len(lines)
    assert "-2015" in lines[0].getMessage()


async def test_a_frame_with_a_non_string_stream_name_is_ignored_quietly(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    """A frame whose ``stream`` is not a string (unhashable) is skipped without a handler error."""

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        writer.write(server_frame(TEXT, b'{"stream":["a@x"],"data":{}}'))
        writer.write(server_frame(TEXT, b'{"stream":{"b":1},"data":{}}'))
        writer.write(server_frame(TEXT, b'{"stream":"done@x","data":{}}'))
        await read_frame(reader)
        writer.close()

    caplog.set_level(logging.ERROR, logger="client")
    conn = StreamConnection(await serve(script), Telemetry(), ConnectionSettings(keepalive=None))
    try:
        fut = conn.waiter(["done@x"])
        await conn.ensure_open()
        await asyncio.wait_for(fut, 5)
        assert conn.state == "open"
    finally:
        await asyncio.wait_for(conn.close(), 5)
    assert not [r for r in caplog.records if r.name == "client" and r.levelno >= logging.ERROR]
