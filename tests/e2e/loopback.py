"""A small loopback Binance for what the emulator does not serve yet (test helper, not a test).

It follows the emulator's URL rule (``/HOST/PATH``) and speaks Binance's documented shapes:
``exchangeInfo`` for spot, USD-M and COIN-M; REST ``depth``; combined market streams with
SUBSCRIBE/UNSUBSCRIBE ACKs on ``/stream``, ``/public/stream`` and ``/market/stream``; and the
WebSocket API (``/ws-api/v3``, ``/ws-fapi/v1``, ``/ws-dapi/v1``) with handlers set by the test.
Tests push frames with :meth:`Loopback.push` and script faults (withheld ACKs, closes, silent
peers) through attributes. Payload literals come from Binance's docs.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import orjson
from aiohttp import WSMsgType, web

SPOT_HOSTS = {"api.binance.com", "stream.binance.com:9443", "ws-api.binance.com:443"}
USDM_HOSTS = {"fapi.binance.com", "fstream.binance.com", "ws-fapi.binance.com"}
COINM_HOSTS = {"dapi.binance.com", "dstream.binance.com", "ws-dapi.binance.com"}


def _filters(tick: str, step: str) -> list[dict[str, Any]]:
    return [
        {"filterType": "PRICE_FILTER", "minPrice": tick, "maxPrice": "1000000", "tickSize": tick},
        {"filterType": "LOT_SIZE", "minQty": step, "maxQty": "9000", "stepSize": step},
    ]


SPOT_INFO = {
    "timezone": "UTC",
    "symbols": [
        {
            "symbol": s,
            "status": "TRADING",
            "baseAsset": b,
            "quoteAsset": "USDT",
            "orderTypes": ["LIMIT", "MARKET"],
            "filters": _filters("0.01", "0.00001"),
        }
        for s, b in (("BTCUSDT", "BTC"), ("ETHUSDT", "ETH"))
    ],
}
USDM_INFO = {
    "symbols": [
        {
            "symbol": s,
            "pair": s,
            "contractType": "PERPETUAL",
            "deliveryDate": 4133404800000,
            "status": "TRADING",
            "baseAsset": b,
            "quoteAsset": "USDT",
            "marginAsset": "USDT",
            "orderTypes": ["LIMIT", "MARKET"],
            "filters": _filters("0.10", "0.001"),
        }
        for s, b in (("BTCUSDT", "BTC"), ("ETHUSDT", "ETH"))
    ]
}
COINM_INFO = {
    "symbols": [
        {
            "symbol": "BTCUSD_PERP",
            "pair": "BTCUSD",
            "contractType": "PERPETUAL",
            "deliveryDate": 4133404800000,
            "contractStatus": "TRADING",
            "contractSize": 100,
            "baseAsset": "BTC",
            "quoteAsset": "USD",
            "marginAsset": "BTC",
            "orderTypes": ["LIMIT", "MARKET"],
            "filters": _filters("0.1", "1"),
        }
    ]
}


def _kind(host: str) -> str:
    if host in USDM_HOSTS:
        return "future"
    if host in COINM_HOSTS:
        return "delivery"
    return "spot"


class _Session:
    def __init__(self, ws: web.WebSocketResponse, kind: str, path: str) -> None:
        self.ws = ws
        self.kind = kind
        self.path = path
        self.streams: set[str] = set()


WsApiHandler = Callable[[dict[str, Any]], Any]
RestHandler = Callable[[dict[str, Any]], Any]
"""Answer one REST call: gets ``{"method","path","query","body","headers"}`` (query and body
as parsed dicts), returns the JSON, or raises ``LookupError(code, msg[, status])``."""


class Loopback:
    """The loopback server. Attributes tests may set:

    * ``depth[(kind, symbol)]``: the snapshot REST ``depth`` returns (a dict or a callable).
    * ``depth_gate``: an event REST ``depth`` waits for before answering.
    * ``withhold_acks``: count of SUBSCRIBE frames left unanswered.
    * ``ws_api[(kind, method)]``: a handler returning ``result`` (raise ``LookupError`` with
      ``(code, msg)`` args for an error answer).
    * ``answer_pings``: False makes new stream connections a silent (dead) peer.
    * a WS API request with method ``hold``, or a method in ``hold_methods``, is never
      answered.
    * ``rest[(kind, verb, path)]``: a handler for a REST call (see :data:`RestHandler`);
      every REST call is recorded in ``rest_requests``. ``/time`` answers the local clock
      plus ``clock_skew_ms``.
    """

    def __init__(self) -> None:
        self.port = 0
        self.sessions: list[_Session] = []
        self.depth: dict[tuple[str, str], Any] = {}
        self.depth_requests: list[tuple[str, dict[str, str]]] = []
        self.depth_gate: asyncio.Event | None = None
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.withhold_acks = 0
        self.ws_api: dict[tuple[str, str], WsApiHandler] = {}
        self.answer_pings = True
        self.ws_api_sockets: list[web.WebSocketResponse] = []
        self.hold_methods: set[str] = set()
        self.rest: dict[tuple[str, str, str], RestHandler] = {}
        self.rest_requests: list[dict[str, Any]] = []
        self.clock_skew_ms = 0
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> Loopback:
        app = web.Application()
        app.router.add_route("*", "/{host}/{path:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for s in list(self.sessions):
            with contextlib.suppress(Exception):
                await s.ws.close()
        for t in list(self._tasks):
            t.cancel()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- control -----------------------------------------------------------------------------

    def push(self, stream: str, data: Any, *, kind: str | None = None) -> int:
        """Send ``data`` in the combined envelope to every session subscribed to ``stream``."""
        frame = orjson.dumps({"stream": stream, "data": data}).decode()
        n = 0
        for s in self.sessions:
            if stream in s.streams and (kind is None or s.kind == kind):
                self._own(s.ws.send_str(frame))
                n += 1
        return n

    def push_raw(self, frame: Any) -> None:
        """Send ``frame`` verbatim to every session."""
        text = orjson.dumps(frame).decode()
        for s in self.sessions:
            self._own(s.ws.send_str(text))

    async def close_all(self, code: int = 1011) -> None:
        """Close every session with ``code``."""
        for s in list(self.sessions):
            with contextlib.suppress(Exception):
                await s.ws.close(code=code)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait (on the server's change notifications) until ``predicate()`` holds."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    def carrying(self, stream: str) -> int:
        """Return how many sessions are subscribed to ``stream``."""
        return sum(stream in s.streams for s in self.sessions)

    def sent(self, method: str) -> list[dict[str, Any]]:
        """Return the control or WS API frames received with ``method``."""
        return [r for _, r in self.received if r.get("method") == method]

    def _own(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- serving -----------------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        host, path = request.match_info["host"], "/" + request.match_info["path"]
        kind = _kind(host)
        if request.headers.get("Upgrade", "").lower() == "websocket":
            if path.startswith(("/ws-api", "/ws-fapi", "/ws-dapi")):
                return await self._ws_api(request, kind)
            return await self._stream(request, kind, path)
        handler = self.rest.get((kind, request.method, path))
        if handler is not None or path.endswith("/time"):
            return await self._rest(request, kind, path, handler)
        if path.endswith("/exchangeInfo"):
            info = {"spot": SPOT_INFO, "future": USDM_INFO, "delivery": COINM_INFO}[kind]
            return web.json_response(info)
        if path.endswith("/depth"):
            symbol = request.query.get("symbol", "")
            self.depth_requests.append((kind, dict(request.query)))
            await self._notify()
            if self.depth_gate is not None:
                await self.depth_gate.wait()
            snap = self.depth.get((kind, symbol))
            if callable(snap):
                snap = snap()
            if snap is None:
                return web.json_response({"code": -1121, "msg": "Invalid symbol."}, status=400)
            return web.json_response(snap)
        return web.json_response({"code": -1020, "msg": "not served"}, status=404)

    async def _rest(
        self, request: web.Request, kind: str, path: str, handler: RestHandler | None
    ) -> web.StreamResponse:
        body = await request.read()
        call = {
            "kind": kind,
            "method": request.method,
            "path": path,
            "raw_query": request.query_string,
            "raw_body": body.decode(),
            "query": dict(request.query),
            "body": dict(parse_qsl(body.decode(), keep_blank_values=True)),
            "headers": dict(request.headers),
        }
        self.rest_requests.append(call)
        await self._notify()
        if handler is None:
            now = int(time.time() * 1000) + self.clock_skew_ms
            return web.json_response({"serverTime": now})
        try:
            return web.json_response(handler(call))
        except LookupError as e:
            code, text, *rest = e.args
            return web.json_response({"code": code, "msg": text}, status=rest[0] if rest else 400)

    async def _stream(self, request: web.Request, kind: str, path: str) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=self.answer_pings)
        await ws.prepare(request)
        session = _Session(ws, kind, path)
        self.sessions.append(session)
        await self._notify()
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                req = orjson.loads(msg.data)
                self.received.append((path, req))
                method, params, rid = req.get("method"), req.get("params", []), req.get("id")
                if method == "SUBSCRIBE":
                    session.streams.update(params)
                    await self._notify()
                    if self.withhold_acks > 0:
                        self.withhold_acks -= 1
                        continue
                    await ws.send_str(orjson.dumps({"result": None, "id": rid}).decode())
                elif method == "UNSUBSCRIBE":
                    session.streams.difference_update(params)
                    await ws.send_str(orjson.dumps({"result": None, "id": rid}).decode())
                elif method == "LIST_SUBSCRIPTIONS":
                    result = sorted(session.streams)
                    await ws.send_str(orjson.dumps({"result": result, "id": rid}).decode())
        finally:
            self.sessions.remove(session)
            await self._notify()
        return ws

    async def _ws_api(self, request: web.Request, kind: str) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.ws_api_sockets.append(ws)
        await self._notify()
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            req = orjson.loads(msg.data)
            self.received.append(("ws-api", req))
            await self._notify()
            handler = self.ws_api.get((kind, req.get("method", "")))
            if req.get("method") == "hold" or req.get("method") in self.hold_methods:
                continue  # never answered
            if handler is None:
                answer = {
                    "id": req.get("id"),
                    "status": 400,
                    "error": {"code": -1020, "msg": "This operation is not supported."},
                }
            else:
                try:
                    answer = {"id": req.get("id"), "status": 200, "result": handler(req)}
                except LookupError as e:
                    code, text = e.args
                    answer = {
                        "id": req.get("id"),
                        "status": 400,
                        "error": {"code": code, "msg": text},
                    }
            await ws.send_str(orjson.dumps(answer).decode())
        await self._notify()
        return ws
