"""The emulator server: one aiohttp app on one port serving every Binance host by the URL rule.

:class:`MockExchange` owns the exchange (engines per venue), the background activity, the
clock driver, the connections and the control API. Every task it starts belongs to it and is
cancelled by :meth:`MockExchange.stop`. Transports live in :mod:`mock_exchange.transports`:
REST (:mod:`.rest`), market streams (:mod:`.streams_server`, :mod:`.publisher`) and the WS API
(:mod:`.ws_api`); this module routes requests to them and runs the clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Literal

import orjson
from aiohttp import web

from .control import IMMEDIATE_FAULTS, Control, Fault
from .control_api import control_http
from .engine.activity import Activity
from .engine.book import Side
from .engine.clock import ControlledClock
from .engine.core import Engine, EngineEvent, Liquidation, OrderResult
from .engine.exchange import VENUES, Exchange
from .engine.markets import ALL_DEFAULT_MARKETS, Market, MarketKind
from .engine.ratelimits import RateLimitError, WeightLimiter
from .errors import ExchangeError, StreamControlError
from .routing import URL_RULE, HostInfo, Service, resolve, rewrite_url
from .transports.publisher import Publisher
from .transports.rest import REST_ROUTES, rest_answer
from .transports.stream_names import StreamKey, parse_stream
from .transports.stream_session import StreamSession
from .transports.streams_server import (
    FUTURES_RULES,
    SPOT_RULES,
    Category,
    ConnectionRules,
    StreamConnection,
    WsConnection,
    serve_stream_socket,
)
from .transports.ws_api import WsApiSession, parse_bool

__all__ = ["STREAM_ENDPOINTS", "WSAPI_ENDPOINTS", "MockExchange", "ServerConfig"]

log = logging.getLogger("mock_exchange")

_JSON = "application/json;charset=UTF-8"
_TICK_MS = 100
_FAMILY: dict[MarketKind, str] = {"spot": "spot", "usdm": "usdm", "coinm": "coinm"}

# Stream entry points: (service, first path segment) -> (venue, category). The segment after
# it must be ``ws`` (raw) or ``stream`` (combined); ``None`` means the root (``/ws``, ``/stream``).
STREAM_ENDPOINTS: dict[tuple[Service, str | None], tuple[MarketKind, Category]] = {
    ("spot-streams", None): ("spot", "all"),
    ("usdm-streams", "public"): ("usdm", "public"),
    ("usdm-streams", "market"): ("usdm", "market"),
    ("usdm-streams", None): ("usdm", "root"),
    ("coinm-streams", None): ("coinm", "all"),
}
# WS API entry points: (service, path) -> venue.
WSAPI_ENDPOINTS: dict[tuple[Service, str], MarketKind] = {
    ("spot-wsapi", "/ws-api/v3"): "spot",
    ("usdm-wsapi", "/ws-fapi/v1"): "usdm",
    ("futures-testnet", "/ws-fapi/v1"): "usdm",
}


@dataclass
class ServerConfig:
    """Emulator settings that a scenario or the CLI may change."""

    seed: int = 0
    rate: float = 5.0
    frozen_clock: bool = False
    start_ms: int | None = None
    markets: list[Market] = field(default_factory=lambda: list(ALL_DEFAULT_MARKETS))
    warmup_ms: int = 120_000  # back-dated activity so the first ticker has history
    max_frame_bytes: int = 1 << 20
    spot_rules: ConnectionRules = SPOT_RULES
    futures_rules: ConnectionRules = FUTURES_RULES
    rate_limits: bool = True
    liquidation_share: float = 0.02  # share of futures taker actions that are liquidations


_FUTURES_TESTNET_SERVICES: dict[str, Service] = {"fapi": "usdm-rest", "dapi": "coinm-rest"}


def _futures_testnet_service(path: str) -> Service:
    """testnet.binancefuture.com serves fapi, dapi and ws-fapi: pick by the first segment."""
    first = path.strip("/").split("/", 1)[0]
    return _FUTURES_TESTNET_SERVICES.get(first, "futures-testnet")


def _stream_entry(service: Service, path: str) -> tuple[MarketKind, Category, str, str] | None:
    """Split a stream path into (venue, category, mode, tail) or None if not a stream path."""
    parts = path.strip("/").split("/", 2)
    category: str | None = None
    if parts and parts[0] in ("public", "market", "private"):
        category = parts.pop(0)
    if not parts or parts[0] not in ("ws", "stream"):
        return None
    entry = STREAM_ENDPOINTS.get((service, category))
    if entry is None:
        return None
    mode = parts[0]
    tail = "/".join(parts[1:])
    if mode == "stream" and tail:
        return None
    return entry[0], entry[1], mode, tail


def _time_unit_refusal(value: str | None) -> ExchangeError | None:
    """Check ``timeUnit`` / ``X-MBX-TIME-UNIT``: milliseconds are served, microseconds refused.

    Binance switches every time field to microseconds on request; the emulator does not, and
    says so instead of answering in the wrong unit.
    """
    if value is None or value.upper() == "MILLISECOND":
        return None
    if value.upper() == "MICROSECOND":
        return ExchangeError(
            -1020,
            "This operation is not supported. (mock_exchange: timeUnit=MICROSECOND is not "
            "implemented by the emulator)",
            400,
        )
    return ExchangeError(
        -1194, "Invalid value for time unit; expected either MICROSECOND or MILLISECOND.", 400
    )


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
        self.exchange = Exchange(self.clock, self.config.markets, seed=self.config.seed)
        self._conn_ids = itertools.count(1)
        self._stream_conns: dict[int, StreamConnection] = {}
        self._wsapi_conns: dict[int, WsConnection] = {}
        self.publisher = Publisher(self.exchange, lambda: list(self._stream_conns.values()))
        self.limiters: dict[str, WeightLimiter] = self._new_limiters()
        self.activities: dict[MarketKind, Activity] = self._new_activities(self.config.rate)
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
        for conn in self._all_conns():
            await conn.close(1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _new_limiters(self) -> dict[str, WeightLimiter]:
        on = self.config.rate_limits
        return {
            "spot": WeightLimiter(limit=6000, enabled=on),
            "usdm": WeightLimiter(limit=2400, enabled=on),
            "coinm": WeightLimiter(limit=2400, enabled=on),
        }

    def _new_activities(self, rate: float) -> dict[MarketKind, Activity]:
        now = self.clock.now_ms()
        out: dict[MarketKind, Activity] = {}
        for venue in VENUES:
            share = self.config.liquidation_share if venue != "spot" else 0.0
            activity = Activity(self.exchange.engine(venue), rate, liquidation_share=share)
            activity.warm_up(now - self.config.warmup_ms, now)
            out[venue] = activity
        return out

    async def __aenter__(self) -> MockExchange:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT`` of the running server."""
        return f"http://{self.host}:{self.port}"

    @property
    def engine(self) -> Engine:
        """The spot engine."""
        return self.exchange.engine("spot")

    @property
    def activity(self) -> Activity:
        """The spot background activity."""
        return self.activities["spot"]

    def url(self, binance_url: str) -> str:
        """Rewrite a Binance ``https://``/``wss://`` URL to this emulator (the URL rule)."""
        return rewrite_url(binance_url, self.base_url)

    def _all_conns(self) -> list[WsConnection]:
        return [*self._stream_conns.values(), *self._wsapi_conns.values()]

    # -- control (Python API) ----------------------------------------------------------------

    def reset(self, seed: int | None = None) -> None:
        """Rebuild the exchange and activity from ``seed`` (default: the current seed)."""
        if seed is not None:
            self.config.seed = seed
        rate = self.activity.rate
        self.exchange = Exchange(self.clock, self.config.markets, seed=self.config.seed)
        self.publisher.reset(self.exchange)
        self.activities = self._new_activities(rate)
        self.limiters = self._new_limiters()
        self.control.clear_faults()
        self._wake.set()

    def set_rate(self, rate: float) -> None:
        """Set background activity in actions per second (0 = fully scripted market)."""
        for activity in self.activities.values():
            activity.set_rate(rate)
        self._wake.set()

    def publish(self, venue: MarketKind, events: list[EngineEvent]) -> None:
        """Publish engine ``events`` of ``venue`` to the streams (real-time part)."""
        self.publisher.on_events(venue, events, self.clock.now_ms())

    def place_order(
        self,
        symbol: str,
        side: Side,
        order_type: Literal["LIMIT", "MARKET", "LIMIT_MAKER"],
        *,
        venue: MarketKind = "spot",
        **kwargs: Any,
    ) -> OrderResult:
        """Place a scripted order in the engine of ``venue`` and publish what it caused."""
        result, events = self.exchange.engine(venue).place_order(symbol, side, order_type, **kwargs)
        self.publish(venue, events)
        return result

    def liquidate(
        self, symbol: str, side: Side, quantity: Decimal, *, venue: MarketKind = "usdm"
    ) -> Liquidation:
        """Execute a scripted liquidation on a futures venue and publish ``forceOrder``."""
        liq, events = self.exchange.engine(venue).liquidate(symbol, side, quantity)
        self.publish(venue, events)
        return liq

    def server_shutdown(self) -> int:
        """Send ``serverShutdown`` to every connection; return how many got it."""
        now = self.clock.now_ms()
        event = {"e": "serverShutdown", "E": now}
        for conn in self._stream_conns.values():
            frame: Any = event
            if conn.session.combined:
                frame = {"stream": "!serverShutdown", "data": event}
            conn.send_control(frame)
        for ws_conn in self._wsapi_conns.values():
            ws_conn.send_control({"event": event})
        return len(self._stream_conns) + len(self._wsapi_conns)

    def add_fault(self, kind: str, **options: Any) -> Fault:
        """Queue a fault (see :class:`mock_exchange.control.Fault`).

        ``close``, ``gap`` and ``server_shutdown`` act at once; the others wait for the
        frame or request they apply to.
        """
        fault = self.control.add_fault(kind, **options)
        if fault.kind in IMMEDIATE_FAULTS:
            self.control.faults.remove(fault)
            if fault.kind == "close":
                for conn in self._all_conns():
                    conn.close_soon(fault.close_code)
            elif fault.kind == "gap":
                if fault.symbol is None:
                    raise ValueError("a gap fault needs 'symbol'")
                venue = fault.venue
                if venue not in VENUES:
                    raise ValueError(f"unknown venue {venue!r}; expected one of {VENUES}")
                engine = self.exchange.engine(venue)
                engine.skip_update_ids(fault.symbol.upper(), max(1, fault.count))
                self.publisher.gap(venue, fault.symbol.upper())
            else:
                self.server_shutdown()
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

    def _forced_error(self, venue: MarketKind, caller: str, now: int) -> ExchangeError | None:
        fault = self.control.take(("force_429", "force_418"), None)
        if fault is None:
            return None
        limiter = self.limiters[_FAMILY[venue]]
        if fault.kind == "force_418":
            return limiter.ban(caller, now)
        return limiter.over_limit(caller, now)

    # -- routing -----------------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        resolved = resolve(request.path, request.headers.get("Host"))
        if resolved is None:
            return self._not_found(f"no Binance host in {request.path!r}")
        info, path = resolved
        service = info.service
        if service == "futures-testnet":
            service = _futures_testnet_service(path)
        refused = _time_unit_refusal(
            request.query.get("timeUnit") or request.headers.get("X-MBX-TIME-UNIT")
        )
        if refused is not None:
            return web.Response(
                status=refused.http_status,
                body=orjson.dumps(refused.payload()),
                content_type="application/json",
            )
        upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
        if upgrade:
            entry = _stream_entry(service, path)
            if entry is not None:
                return await self._stream_ws(request, info, path, entry)
            venue = WSAPI_ENDPOINTS.get((service, path.rstrip("/")))
            if venue is not None:
                return await self._wsapi_ws(request, info, path, venue)
        route = REST_ROUTES.get((service, request.method, path))
        if route is not None:
            return self._rest(request, info, path, route)
        return self._unimplemented(request, info, path)

    async def _control_http(self, request: web.Request) -> web.Response:
        return await control_http(self, request)

    def _not_found(self, why: str) -> web.Response:
        body = {"code": -1000, "msg": f"mock_exchange: {why}. URL rule: {URL_RULE}"}
        return web.Response(status=404, body=orjson.dumps(body), content_type="application/json")

    def _unimplemented(self, request: web.Request, info: HostInfo, path: str) -> web.Response:
        self.control.record(
            self.clock.now_ms(), 0, "rest", info.host, path, f"{request.method} {request.path_qs}"
        )
        msg = (
            f"This operation is not supported. (mock_exchange: {request.method} {info.host}{path} "
            f"is not implemented by the emulator)"
        )
        body = {"code": -1020, "msg": msg}
        return web.Response(status=404, body=orjson.dumps(body), content_type="application/json")

    def _caller(self, request: web.Request) -> str:
        return request.remote or "local"

    def _rest(
        self, request: web.Request, info: HostInfo, path: str, route: tuple[MarketKind, Any]
    ) -> web.Response:
        now = self.clock.now_ms()
        self.control.record(
            now,
            next(self._conn_ids),
            "rest",
            info.host,
            path,
            f"{request.method} {request.path_qs}",
        )
        venue = route[0]
        caller = self._caller(request)
        status, body, headers = rest_answer(
            route,
            request.query,
            self.exchange,
            self.limiters[_FAMILY[venue]],
            caller,
            now,
            self._forced_error(venue, caller, now),
        )
        resp = web.Response(status=status, body=orjson.dumps(body))
        resp.headers["Content-Type"] = _JSON
        resp.headers.update(headers)
        return resp

    # -- market streams ----------------------------------------------------------------------

    def _validator(self, venue: MarketKind) -> Callable[[str], StreamKey]:
        def validate(name: str) -> StreamKey:
            key = parse_stream(name, venue)
            engine = self.exchange.engine(venue)
            if key is None:
                raise StreamControlError(2, "Invalid request: invalid stream")
            if key.symbol is not None:
                known = (
                    any(m.pair == key.symbol for m in engine.markets.values())
                    if key.channel == "continuousKline"
                    else key.symbol in engine.markets
                )
                if not known:
                    raise StreamControlError(2, "Invalid request: invalid stream")
            return key

        return validate

    async def _stream_ws(
        self,
        request: web.Request,
        info: HostInfo,
        path: str,
        entry: tuple[MarketKind, Category, str, str],
    ) -> web.StreamResponse:
        venue, category, mode, tail = entry
        rules = self.config.spot_rules if venue == "spot" else self.config.futures_rules
        ws = web.WebSocketResponse(autoping=False, max_msg_size=self.config.max_frame_bytes)
        await ws.prepare(request)
        session = StreamSession(
            self._validator(venue), combined=mode == "stream", max_streams=rules.max_streams
        )
        if mode == "stream" and "streams" in request.query:
            session.open_with([s for s in request.query["streams"].split("/") if s])
        elif tail:
            session.open_with([s for s in tail.split("/") if s])
        conn = StreamConnection(
            next(self._conn_ids),
            info,
            path,
            ws,
            rules,
            self.control,
            self.clock.now_ms(),
            venue=venue,
            category=category,
            session=session,
        )
        self._stream_conns[conn.id] = conn
        try:
            await serve_stream_socket(
                ws,
                conn,
                lambda text: self._on_stream_text(conn, text),
                lambda: conn.send_control(
                    {
                        "error": {
                            "code": 3,
                            "msg": "Invalid JSON: expected value at line 1 column 1",
                        },
                        "id": None,
                    }
                ),
                self.clock.now_ms,
            )
        finally:
            self._stream_conns.pop(conn.id, None)
        return ws

    def _on_stream_text(self, conn: StreamConnection, text: str) -> None:
        self.control.record(self.clock.now_ms(), conn.id, "ws", conn.info.host, conn.path, text)
        reply = conn.session.handle_text(text)
        fault = self.control.take(("withhold_ack", "delay_ack", "error_reply"), reply.method)
        if fault is None:
            conn.send_control(reply.frame)
        elif fault.kind == "delay_ack":
            conn.send_later(orjson.dumps(reply.frame).decode(), fault.delay_ms / 1000)
        elif fault.kind == "error_reply":
            conn.send_control(
                {"error": {"code": fault.code, "msg": fault.msg}, "id": reply.request_id}
            )
        # withhold_ack: nothing is sent

    # -- WS API ------------------------------------------------------------------------------

    async def _wsapi_ws(
        self, request: web.Request, info: HostInfo, path: str, venue: MarketKind
    ) -> web.StreamResponse:
        show = True
        if "returnRateLimits" in request.query:
            try:
                show = parse_bool(request.query["returnRateLimits"], "returnRateLimits")
            except ExchangeError as err:
                return web.Response(
                    status=400, body=orjson.dumps(err.payload()), content_type="application/json"
                )
        rules = self.config.spot_rules if venue == "spot" else self.config.futures_rules
        # the WS API is limited by request weight, not by the streams' messages per second
        rules = replace(rules, max_incoming_per_s=None)
        caller = self._caller(request)
        now = self.clock.now_ms()
        # connecting costs 2 request weight; a limited or banned caller still connects and
        # each of its requests is answered with the 429/418 error
        with contextlib.suppress(RateLimitError):
            self.limiters[_FAMILY[venue]].charge(caller, 2, now)
        ws = web.WebSocketResponse(autoping=False, max_msg_size=self.config.max_frame_bytes)
        await ws.prepare(request)
        session = WsApiSession(
            venue, lambda: self.exchange, self.limiters[_FAMILY[venue]], caller, show
        )
        conn = WsConnection(
            next(self._conn_ids), info, path, ws, rules, self.control, self.clock.now_ms()
        )
        self._wsapi_conns[conn.id] = conn

        def on_text(text: str) -> None:
            now = self.clock.now_ms()
            self.control.record(now, conn.id, "ws", info.host, path, text)
            _, reply = session.handle_text(text, now, self._forced_error(venue, caller, now))
            conn.send_control(reply)

        def on_binary() -> None:
            _, reply = session.handle_text("\x00", self.clock.now_ms())
            conn.send_control(reply)

        try:
            await serve_stream_socket(ws, conn, on_text, on_binary, self.clock.now_ms)
        finally:
            self._wsapi_conns.pop(conn.id, None)
        return ws

    # -- the clock driver --------------------------------------------------------------------

    async def _sleep_until(self, due: int) -> None:
        while (now := self.clock.now_ms()) < due:
            self._wake.clear()
            timeout = None if self.clock.frozen else (due - now) / 1000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
            if self._wake.is_set():
                return

    def _next_activity(self) -> int | None:
        times = [a.next_at for a in self.activities.values() if a.next_at is not None]
        return min(times) if times else None

    def step(self, now: int, prev: int) -> None:
        """Run everything due at ``now``: activity, funding, periodic streams, connection rules."""
        for venue, activity in self.activities.items():
            events = activity.run_until(now)
            self.publisher.on_events(venue, events, now)
        self.exchange.settle_funding(now)
        self.publisher.on_tick(prev, now)
        for conn in self._all_conns():
            conn.on_clock(now)

    async def _drive(self) -> None:
        now = self.clock.now_ms()
        for activity in self.activities.values():
            activity.run_until(now)
        prev = now
        while True:
            due = prev // _TICK_MS * _TICK_MS + _TICK_MS
            nxt = self._next_activity()
            if nxt is not None:
                due = min(due, nxt)
            await self._sleep_until(due)
            now = self.clock.now_ms()
            if now <= prev:
                continue
            self.step(now, prev)
            prev = now

    def subscriptions(self) -> list[tuple[MarketKind, str]]:
        """Return (venue, stream name) of every subscription on every open connection."""
        return [
            (conn.venue, name)
            for conn in self._stream_conns.values()
            for name in conn.session.streams
        ]
