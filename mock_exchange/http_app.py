"""The HTTP front: one aiohttp app that turns each request into a :class:`RawRequest` and routes it.

``/_mock/...`` is the control API (:mod:`mock_exchange.control_http`); everything else is a
Binance host by the URL rule. The front reads the request once (method, raw target, body
bytes, headers, client address), looks it up in :mod:`mock_exchange.routing`, and hands it to
the market-stream socket, the WS API socket or the REST handler. REST answers and errors are
built without I/O by :mod:`mock_exchange.transports.rest`; this module only writes them.
"""

from __future__ import annotations

import logging

from aiohttp import web

from .control_http import control_http
from .emulator import Emulator
from .engine.markets import MarketKind
from .errors import ExchangeError, unknown_error
from .hosts import URL_RULE, resolve
from .routing import NoRoute, RestMatch, StreamMatch, WsApiMatch, route
from .stream_socket import serve_streams
from .transports.request import RawRequest
from .transports.rest import HttpReply, RestCall, error_reply, rest_answer
from .transports.time_unit import parse_time_unit
from .transports.venues import VENUE_SPECS
from .ws_api_socket import serve_ws_api

__all__ = ["build_app", "time_unit_of"]

log = logging.getLogger("mock_exchange")

log = logging.getLogger("mock_exchange")


def time_unit_of(raw: RawRequest, venue: MarketKind) -> bool:
    """Return True when ``raw`` asks ``venue`` for microseconds (``timeUnit`` or the header).

    Only spot serves the time unit (reference 2.6); futures hosts ignore it.

    Raises:
        ExchangeError: -1194 for a value Binance does not accept.
    """
    if not VENUE_SPECS[venue].time_unit:
        return False
    return parse_time_unit(raw.query.get("timeUnit") or raw.headers.get("X-MBX-TIME-UNIT"))


def _write(reply: HttpReply) -> web.Response:
    resp = web.Response(status=reply.status, body=reply.body)
    resp.headers.update(reply.headers)
    return resp


def build_app(emu: Emulator) -> web.Application:
    """Return the aiohttp application serving ``emu``."""

    async def control(request: web.Request) -> web.Response:
        return await control_http(emu, request)

    async def dispatch(request: web.Request) -> web.StreamResponse:
        try:
            return await _dispatch(emu, request)
        except Exception:  # an emulator bug: still a Binance error body, never a bare 500 page
            # the path may hold a listen key: log only its first segment (the host)
            log.exception("%s %s/... failed", request.method, request.path.split("/")[1])
            return _write(error_reply(unknown_error()))

    app = web.Application(client_max_size=emu.config.max_frame_bytes)
    app.router.add_route("*", "/_mock/{op:.*}", control)
    app.router.add_route("*", "/{tail:.*}", dispatch)
    return app


async def _dispatch(emu: Emulator, request: web.Request) -> web.StreamResponse:
    resolved = resolve(request.path, request.headers.get("Host"))
    if resolved is None:
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        host = sockname[0] if sockname else "127.0.0.1"
        host = f"[{host}]" if ":" in host else host
        here = f"{host}:{sockname[1]}" if sockname else "127.0.0.1:PORT"
        rule = URL_RULE.replace("127.0.0.1:PORT", here)
        why = f"mock_exchange: no Binance host in {request.path!r}. URL rule: {rule}"
        return _write(error_reply(ExchangeError(-1000, why, 404)))
    info, path = resolved
    raw = RawRequest(
        request.method,
        info,
        path,
        request.raw_path.partition("?")[2],
        await request.read() if request.can_read_body else b"",
        request.headers,
        request.remote or "local",
        request.raw_path,
    )
    upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
    match = route(raw, upgrade=upgrade)
    now = emu.clock.now_ms()
    micros = False
    if not isinstance(match, NoRoute):
        venue = match.route.venue if isinstance(match, RestMatch) else match.venue
        try:
            micros = time_unit_of(raw, venue)
        except ExchangeError as err:
            return _write(error_reply(err))
    if isinstance(match, StreamMatch):
        return await serve_streams(emu, request, raw, match, micros=micros)
    if isinstance(match, WsApiMatch):
        served = await serve_ws_api(emu, request, raw, match, micros=micros)
        return _write(served) if isinstance(served, HttpReply) else served
    if isinstance(match, RestMatch):
        rest = match.route
        emu.control.record(now, emu.registry.next_id(), "rest", info.host, path, raw.line())
        call = RestCall(raw, rest.venue, emu.exchange, now, emu.publish, micros=micros)
        forced = emu.forced_error(rest.venue, raw.remote, now)
        reply = rest_answer(
            rest.handler,
            rest.access,
            call,
            emu.limiters[rest.weight_group],
            forced,
            error_weight=rest.error_weight,
            headers=rest.headers,
            weight_header=rest.weight_header,
        )
        return _write(reply)
    assert isinstance(match, NoRoute)
    emu.control.record(now, 0, "rest", info.host, path, raw.line())
    log.info("not implemented by the emulator: %s %s%s", raw.method, info.host, path)
    return _write(error_reply(ExchangeError(-1020, "This operation is not supported.", 404)))
