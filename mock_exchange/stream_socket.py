"""Serve one market-stream WebSocket: its session, its connection, and the ACK faults.

The parsed entry point (:class:`~mock_exchange.routing.StreamMatch`) gives the venue, the
category and the streams named in the URL; the connection is registered while it is open.
Each control frame is journalled, answered by the :class:`StreamSession`, and the answer is
withheld, delayed or replaced when an ACK fault says so.
"""

from __future__ import annotations

import orjson
from aiohttp import web

from .emulator import Emulator
from .errors import StreamControlError
from .routing import StreamMatch
from .transports.request import RawRequest
from .transports.stream_session import StreamSession
from .transports.ws_connection import StreamConnection, serve_socket

__all__ = ["serve_streams"]


async def serve_streams(
    emu: Emulator,
    request: web.Request,
    raw: RawRequest,
    match: StreamMatch,
    *,
    micros: bool = False,
) -> web.StreamResponse:
    """Accept the upgrade and serve market streams until the peer goes away.

    ``micros``: the URL asked for ``timeUnit=MICROSECOND``.
    """
    rules = emu.rules(match.venue)
    ws = web.WebSocketResponse(autoping=False, max_msg_size=emu.config.max_frame_bytes)
    await ws.prepare(request)
    session = StreamSession(
        emu.validator(match.venue),
        combined=match.path.combined,
        max_streams=rules.max_streams,
        micros=micros,
    )
    session.open_with(list(match.path.names))
    conn = StreamConnection(
        emu.registry.next_id(),
        raw.host,
        raw.path,
        ws,
        rules,
        emu.control,
        emu.clock.now_ms(),
        venue=match.venue,
        category=match.category,
        session=session,
        transport=request.transport,
    )
    conn.events = frozenset(match.path.events)
    emu.registry.add(conn)
    try:
        await serve_socket(
            ws,
            conn,
            lambda text: _on_text(emu, conn, text),
            lambda: conn.send_control(session.handle_binary().frame),
            emu.clock.now_ms,
        )
    finally:
        emu.registry.remove(conn)
    return ws


def _on_text(emu: Emulator, conn: StreamConnection, text: str) -> None:
    journalled = emu.redact_listen_keys(text)
    emu.control.record(emu.clock.now_ms(), conn.id, "ws", conn.info.host, conn.path, journalled)
    reply = conn.session.handle_text(text)
    fault = emu.control.take(("withhold_ack", "delay_ack", "error_reply"), reply.method)
    if fault is None:
        conn.send_control(reply.frame)
    elif fault.kind == "delay_ack":
        conn.send_later(orjson.dumps(reply.frame).decode(), fault.delay_ms / 1000)
    elif fault.kind == "error_reply":
        scripted = StreamControlError(fault.code, fault.msg)
        conn.send_control(StreamSession.error_frame(scripted, reply.request_id))
    # withhold_ack: nothing is sent
