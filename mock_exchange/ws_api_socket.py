"""Serve one WS API WebSocket: the weight charge for connecting, the session and its outbox.

Connecting costs 2 request weight; a limited or banned caller still connects and each of its
requests is answered with the 429/418 error. The session's outbox is the connection's queue,
so replies and pushed events (``serverShutdown`` today, user data later) leave in order.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace

from aiohttp import web

from .emulator import Emulator
from .engine.ratelimits import RateLimitError
from .errors import ExchangeError
from .routing import WSAPI_METHODS, WsApiMatch
from .transports.request import RawRequest
from .transports.rest import HttpReply, error_reply
from .transports.ws_api import WsApiSession, parse_bool
from .transports.ws_connection import WsApiConnection, serve_socket

__all__ = ["serve_ws_api"]


def _url_rate_limits(raw: RawRequest) -> bool | HttpReply:
    """Read ``returnRateLimits`` from the connection URL, or the 400 answer refusing it."""
    if "returnRateLimits" not in raw.query:
        return True
    try:
        return parse_bool(raw.query["returnRateLimits"], "returnRateLimits")
    except ExchangeError as err:
        return error_reply(err)


async def serve_ws_api(
    emu: Emulator,
    request: web.Request,
    raw: RawRequest,
    match: WsApiMatch,
    *,
    micros: bool = False,
) -> web.StreamResponse | HttpReply:
    """Accept the upgrade and serve WS API requests until the peer goes away.

    Returns the HTTP answer instead when the connection URL is refused.
    """
    show = _url_rate_limits(raw)
    if isinstance(show, HttpReply):
        return show
    venue = match.venue
    # the WS API is limited by request weight, not by the streams' messages per second
    rules = replace(emu.rules(venue), max_incoming_per_s=None)
    caller = raw.remote
    with contextlib.suppress(RateLimitError):
        emu.limiter(venue).charge(caller, 2, emu.clock.now_ms())
    ws = web.WebSocketResponse(autoping=False, max_msg_size=emu.config.max_frame_bytes)
    await ws.prepare(request)
    conn = WsApiConnection(
        emu.registry.next_id(),
        raw.host,
        raw.path,
        ws,
        rules,
        emu.control,
        emu.clock.now_ms(),
        transport=request.transport,
    )
    session = WsApiSession(
        venue,
        WSAPI_METHODS.get(venue, {}),
        lambda: emu.exchange,
        emu.limiter(venue),
        caller,
        conn.send_control,
        return_rate_limits=show,
        emit=emu.publish,
        connected_since=conn.connected_at,
        connection_id=conn.id,
        micros=micros,
    )
    conn.attach(session)

    def on_text(text: str) -> None:
        now = emu.clock.now_ms()
        emu.control.record(now, conn.id, "ws", raw.host.host, raw.path, text)
        session.handle_text(text, now, emu.forced_error(venue, caller, now))

    def on_binary() -> None:
        session.handle_text("\x00", emu.clock.now_ms())  # answered as malformed JSON

    emu.registry.add(conn)
    try:
        await serve_socket(ws, conn, on_text, on_binary, emu.clock.now_ms)
    finally:
        emu.registry.remove(conn)
        session.close()
    return ws
