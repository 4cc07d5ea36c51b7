"""The emulator server: one aiohttp app on one port serving every Binance host by the URL rule.

:class:`MockExchange` owns the engine, the background activity, the clock driver, the
connections and the control API. Every task it starts belongs to it and is cancelled by
:meth:`MockExchange.stop`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from .control import Control, Fault
from .engine.activity import Activity
from .engine.clock import ControlledClock
from .engine.core import Engine
from .engine.markets import DEFAULT_MARKETS, Market
from .errors import ExchangeError, StreamControlError
from .routing import URL_RULE, HostInfo, resolve, rewrite_url
from .transports.payloads import spot_ticker_event
from .transports.rest import SPOT_ROUTES, RestRequest
from .transports.stream_names import StreamKey, parse_stream
from .transports.stream_session import StreamSession

__all__ = ["MockExchange", "ServerConfig"]

log = logging.getLogger("mock_exchange")

_JSON = "application/json;charset=UTF-8"
_IMPLEMENTED_SPOT_CHANNELS = {("ticker", ())}


@dataclass
class ServerConfig:
    """Emulator settings that a scenario or the CLI may change."""

    seed: int = 0
    rate: float = 5.0
    frozen_clock: bool = False
    start_ms: int | None = None
    markets: list[Market] = field(default_factory=lambda: list(DEFAULT_MARKETS))
    ticker_interval_ms: int = 1000
    warmup_ms: int = 120_000  # back-dated activity so the first ticker has history
    max_frame_bytes: int = 1 << 20


class _StreamConnection:
    """One market-stream WebSocket: its session, outgoing queue and owned tasks."""

    def __init__(
        self,
        conn_id: int,
        info: HostInfo,
        path: str,
        ws: web.WebSocketResponse,
        session: StreamSession,
    ) -> None:
        self.id = conn_id
        self.info = info
        self.path = path
        self.ws = ws
        self.session = session
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.tasks: set[asyncio.Task[None]] = set()

    def send(self, frame: Any) -> None:
        """Queue a frame for the writer task."""
        self.queue.put_nowait(orjson.dumps(frame).decode())

    def send_later(self, frame: Any, delay_s: float) -> None:
        """Queue a frame after ``delay_s`` seconds, in a task this connection owns."""

        async def later() -> None:
            await asyncio.sleep(delay_s)
            self.send(frame)

        self._own(later())

    def _own(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def writer(self) -> None:
        while True:
            text = await self.queue.get()
            if text is None or self.ws.closed:
                return
            try:
                await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return


class MockExchange:
    """A local Binance on ``host:port`` (port 0 picks a free port).

    Use ``async with MockExchange() as mx:`` or :meth:`start`/:meth:`stop`. ``mx.base_url`` is
    ``http://127.0.0.1:PORT``; :meth:`url` applies the URL rule to a Binance URL.
    """

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, config: ServerConfig | None = None
    ) -> None:
        self.host = host
        self.port = port
        self.config = config or ServerConfig()
        self.control = Control()
        self.clock = ControlledClock(frozen=self.config.frozen_clock, start_ms=self.config.start_ms)
        self.engine = Engine(self.clock, self.config.markets, seed=self.config.seed)
        self.activity = self._new_activity(self.config.rate)
        self._conn_ids = itertools.count(1)
        self._stream_conns: dict[int, _StreamConnection] = {}
        self._runner: web.AppRunner | None = None
        self._driver: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self.clock.add_listener(lambda _now: self._wake.set())

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> MockExchange:
        """Bind the port and start serving; return self."""
        app = web.Application(client_max_size=self.config.max_frame_bytes)
        app.router.add_route("*", "/_mock/{op:.*}", self._control_http)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1]
        self._driver = asyncio.create_task(self._drive(), name="mock_exchange.driver")
        log.info("emulator listening on %s", self.base_url)
        return self

    async def stop(self) -> None:
        """Close every connection (code 1001) and stop serving."""
        if self._driver is not None:
            self._driver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._driver
            self._driver = None
        for conn in list(self._stream_conns.values()):
            await self._close_conn(conn, 1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _new_activity(self, rate: float) -> Activity:
        activity = Activity(self.engine, rate)
        now = self.clock.now_ms()
        activity.warm_up(now - self.config.warmup_ms, now)
        return activity

    async def __aenter__(self) -> MockExchange:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT`` of the running server."""
        return f"http://{self.host}:{self.port}"

    def url(self, binance_url: str) -> str:
        """Rewrite a Binance ``https://``/``wss://`` URL to this emulator (the URL rule)."""
        return rewrite_url(binance_url, self.base_url)

    # -- control (Python API) ----------------------------------------------------------------

    def reset(self, seed: int | None = None) -> None:
        """Rebuild the engine and activity from ``seed`` (default: the current seed)."""
        if seed is not None:
            self.config.seed = seed
        self.engine = Engine(self.clock, self.config.markets, seed=self.config.seed)
        self.activity = self._new_activity(self.activity.rate)
        self.control.clear_faults()
        self._wake.set()

    def set_rate(self, rate: float) -> None:
        """Set background activity in actions per second (0 = fully scripted market)."""
        self.activity.set_rate(rate)
        self._wake.set()

    def add_fault(self, kind: str, **options: Any) -> Fault:
        """Queue a fault (see :class:`mock_exchange.control.Fault`); ``close`` acts at once."""
        fault = self.control.add_fault(kind, **options)
        if fault.kind == "close":
            self.control.faults.remove(fault)
            for conn in list(self._stream_conns.values()):
                self._own_close(conn, fault.close_code)
        return fault

    def push(self, frame: Any, *, stream: str | None = None) -> int:
        """Send ``frame`` to stream connections (those subscribed to ``stream`` if given).

        With ``stream``, each connection gets it in its own envelope; without, verbatim.
        Returns how many connections it was sent to.
        """
        sent = 0
        for conn in list(self._stream_conns.values()):
            if stream is None:
                conn.send(frame)
            elif stream in conn.session.streams:
                conn.send(conn.session.envelope(stream, frame))
            else:
                continue
            sent += 1
        return sent

    def connection_count(self) -> int:
        """Return the number of open stream connections."""
        return len(self._stream_conns)

    # -- routing -----------------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        resolved = resolve(request.path, request.headers.get("Host"))
        if resolved is None:
            return self._not_found(request, f"no Binance host in {request.path!r}")
        info, path = resolved
        upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
        stream_path = path == "/ws" or path.startswith("/ws/") or path == "/stream"
        if info.service == "spot-streams" and upgrade and stream_path:
            return await self._stream_ws(request, info, path)
        if info.service == "spot-rest":
            return self._rest(request, info, path)
        return self._unimplemented(request, info, path)

    def _not_found(self, request: web.Request, why: str) -> web.Response:
        body = {"code": -1000, "msg": f"mock_exchange: {why}. URL rule: {URL_RULE}"}
        return web.Response(status=404, body=orjson.dumps(body), content_type="application/json")

    def _unimplemented(self, request: web.Request, info: HostInfo, path: str) -> web.Response:
        msg = (
            f"This operation is not supported. (mock_exchange: {request.method} {info.host}{path} "
            f"is not implemented by the emulator)"
        )
        body = {"code": -1020, "msg": msg}
        return web.Response(status=404, body=orjson.dumps(body), content_type="application/json")

    def _rest(self, request: web.Request, info: HostInfo, path: str) -> web.Response:
        now = self.clock.now_ms()
        conn = next(self._conn_ids)
        self.control.record(
            now, conn, "rest", info.host, path, f"{request.method} {request.path_qs}"
        )
        handler = SPOT_ROUTES.get((request.method, path))
        if handler is None:
            return self._unimplemented(request, info, path)
        try:
            body, _weight = handler(
                RestRequest(request.method, path, request.query, self.engine, now)
            )
            status = 200
        except ExchangeError as err:
            body, status = err.payload(), err.http_status
        resp = web.Response(status=status, body=orjson.dumps(body))
        resp.headers["Content-Type"] = _JSON
        return resp

    # -- market streams ----------------------------------------------------------------------

    def _validate_spot_stream(self, name: str) -> StreamKey:
        key = parse_stream(name)
        if key is None or (key.symbol is not None and key.symbol not in self.engine.markets):
            raise StreamControlError(2, "Invalid request: invalid stream")
        if (key.channel, key.params) not in _IMPLEMENTED_SPOT_CHANNELS:
            raise StreamControlError(
                2, f"Invalid request: stream {name} is not served by the emulator yet"
            )
        return key

    async def _stream_ws(
        self, request: web.Request, info: HostInfo, path: str
    ) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=self.config.max_frame_bytes)
        await ws.prepare(request)
        combined = path == "/stream"
        session = StreamSession(self._validate_spot_stream, combined=combined)
        if combined and "streams" in request.query:
            session.open_with([s for s in request.query["streams"].split("/") if s])
        elif path.startswith("/ws/"):
            session.open_with([s for s in path[len("/ws/") :].split("/") if s])
        conn = _StreamConnection(next(self._conn_ids), info, path, ws, session)
        self._stream_conns[conn.id] = conn
        writer = asyncio.create_task(conn.writer(), name=f"mock_exchange.writer.{conn.id}")
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_stream_text(conn, msg.data)
                elif msg.type == WSMsgType.BINARY:
                    conn.send(
                        {
                            "error": {
                                "code": 3,
                                "msg": "Invalid JSON: expected value at line 1 column 1",
                            },
                            "id": None,
                        }
                    )
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            self._stream_conns.pop(conn.id, None)
            conn.queue.put_nowait(None)
            for task in list(conn.tasks):
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        return ws

    def _on_stream_text(self, conn: _StreamConnection, text: str) -> None:
        self.control.record(self.clock.now_ms(), conn.id, "ws", conn.info.host, conn.path, text)
        reply = conn.session.handle_text(text)
        fault = self.control.take(("withhold_ack", "delay_ack", "error_reply"), reply.method)
        if fault is None:
            conn.send(reply.frame)
        elif fault.kind == "delay_ack":
            conn.send_later(reply.frame, fault.delay_ms / 1000)
        elif fault.kind == "error_reply":
            conn.send({"error": {"code": fault.code, "msg": fault.msg}, "id": reply.request_id})
        # withhold_ack: nothing is sent

    async def _close_conn(self, conn: _StreamConnection, code: int) -> None:
        conn.queue.put_nowait(None)
        with contextlib.suppress(ConnectionError, RuntimeError):
            await conn.ws.close(code=code)

    def _own_close(self, conn: _StreamConnection, code: int) -> None:
        conn._own(self._close_conn(conn, code))

    # -- the clock driver --------------------------------------------------------------------

    async def _sleep_until(self, due: int) -> None:
        while (now := self.clock.now_ms()) < due:
            self._wake.clear()
            timeout = None if self.clock.frozen else (due - now) / 1000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
            if self._wake.is_set():
                return

    async def _drive(self) -> None:
        interval = self.config.ticker_interval_ms
        self.activity.run_until(self.clock.now_ms())
        next_tick = self.clock.now_ms() // interval * interval + interval
        while True:
            due = next_tick
            if self.activity.next_at is not None:
                due = min(due, self.activity.next_at)
            await self._sleep_until(due)
            now = self.clock.now_ms()
            self.activity.run_until(now)
            if now >= next_tick:
                self._publish_tickers(now)
                next_tick = now // interval * interval + interval

    def _publish_tickers(self, now: int) -> None:
        cache: dict[str, dict[str, Any]] = {}
        for conn in list(self._stream_conns.values()):
            for name, key in conn.session.streams.items():
                if key.channel != "ticker" or key.params or key.symbol is None:
                    continue
                event = cache.get(key.symbol)
                if event is None:
                    event = cache[key.symbol] = spot_ticker_event(self.engine, key.symbol, now)
                conn.send(conn.session.envelope(name, event))

    # -- control over HTTP -------------------------------------------------------------------

    async def _control_http(self, request: web.Request) -> web.Response:
        op = request.match_info["op"]
        try:
            body: dict[str, Any] = {}
            if request.can_read_body:
                raw = await request.read()
                body = orjson.loads(raw) if raw else {}
            result = self._control_op(request.method, op, body)
            return web.Response(body=orjson.dumps(result), content_type="application/json")
        except (ValueError, TypeError, KeyError) as exc:
            return web.Response(
                status=400, body=orjson.dumps({"error": str(exc)}), content_type="application/json"
            )

    def _op_reset(self, seed: int | None) -> dict[str, Any]:
        self.reset(seed)
        return {"seed": self.config.seed}

    def _op_rate(self, rate: float) -> dict[str, Any]:
        self.set_rate(rate)
        return {"rate": self.activity.rate}

    def _op_clear_faults(self) -> dict[str, Any]:
        self.control.clear_faults()
        return {"faults": []}

    def _control_op(self, method: str, op: str, body: dict[str, Any]) -> Any:
        table: dict[tuple[str, str], Callable[[], Any]] = {
            ("POST", "reset"): lambda: self._op_reset(body.get("seed")),
            ("GET", "clock"): lambda: {"now": self.clock.now_ms(), "frozen": self.clock.frozen},
            ("POST", "clock/advance"): lambda: {"now": self.clock.advance(int(body["ms"]))},
            ("POST", "clock/freeze"): lambda: {"now": self.clock.freeze()},
            ("POST", "clock/resume"): lambda: {"now": self.clock.resume()},
            ("POST", "rate"): lambda: self._op_rate(float(body["rate"])),
            ("POST", "faults"): lambda: self.add_fault(**body).to_dict(),
            ("DELETE", "faults"): self._op_clear_faults,
            ("GET", "faults"): lambda: {"faults": [f.to_dict() for f in self.control.faults]},
            ("POST", "push"): lambda: {"sent": self.push(body["frame"], stream=body.get("stream"))},
            ("GET", "journal"): lambda: {"entries": [e.to_dict() for e in self.control.journal]},
        }
        action = table.get((method, op.strip("/")))
        if action is None:
            raise ValueError(
                f"unknown control operation {method} /_mock/{op}; known: "
                + ", ".join(f"{m} /_mock/{o}" for m, o in table)
            )
        return action()
