"""WebSocket connections the emulator serves: the socket loop, connection rules and frame faults.

A :class:`WsConnection` owns its outgoing queue, its writer task and any delayed sends, and
applies the :class:`~mock_exchange.transports.rules.ConnectionRules` on the emulator clock (so a
frozen clock drives them from tests). :class:`StreamConnection` adds a market-stream session and
the entry point it came in on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from ..engine.markets import MarketKind
from ..faults import Control
from ..hosts import HostInfo
from .rules import ConnectionRules
from .stream_names import LISTEN_KEY_CHANNEL, StreamKey, futures_category
from .stream_paths import Category
from .stream_session import StreamSession
from .ws_api import WsApiSession

__all__ = ["StreamConnection", "WsApiConnection", "WsConnection", "serve_socket"]
_PING = object()
log = logging.getLogger("mock_exchange")


class WsConnection:
    """One WebSocket the emulator serves: outgoing queue, owned tasks, rules state."""

    def __init__(
        self,
        conn_id: int,
        info: HostInfo,
        path: str,
        ws: web.WebSocketResponse,
        rules: ConnectionRules,
        control: Control,
        now: int,
        *,
        transport: asyncio.Transport | None = None,
    ) -> None:
        self.id = conn_id
        self.info = info
        self.path = path
        self.ws = ws
        self.rules = rules
        self.control = control
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.backlog_bytes = 0  # text queued and not yet handed to the socket
        self.transport = transport
        self.tasks: set[asyncio.Task[None]] = set()
        self.connected_at = now
        self.last_ping: int = now
        self.awaiting_pong_since: int | None = None
        self.rate_window = -1
        self.rate_count = 0
        self.closing = False

    # -- sending ---------------------------------------------------------------------------

    def send(self, frame: Any) -> None:
        """Queue a JSON frame (subject to frame faults)."""
        self.send_text(orjson.dumps(frame).decode())

    def send_text(self, text: str, stream: str | None = None, symbol: str | None = None) -> None:
        """Queue a data frame of ``stream`` (about ``symbol``), unless a ``drop_frames`` fault
        eats it or ``delay_frames`` holds it back."""
        fault = self.control.take_frame(stream, symbol)
        if fault is None:
            self.enqueue(text)
        elif fault.kind == "delay_frames":
            self.send_later(text, fault.delay_ms / 1000)

    def send_control(self, frame: Any) -> None:
        """Queue a reply to a control message (not subject to frame faults)."""
        self.enqueue(orjson.dumps(frame).decode())

    def send_later(self, text: str, delay_s: float) -> None:
        """Queue ``text`` after ``delay_s`` seconds, in a task this connection owns."""

        async def later() -> None:
            await asyncio.sleep(delay_s)
            self.enqueue(text)

        self.own(later())

    def enqueue(self, item: Any) -> None:
        """Queue a text frame or a ping for the writer; drop the peer if it fell too far behind.

        A peer that does not read leaves frames waiting here (the socket's buffers are full);
        past ``rules.max_backlog_bytes`` it is disconnected, as Binance disconnects slow
        consumers, and what was waiting for it is freed. Nothing is queued once closing.
        """
        if self.closing:
            return
        if isinstance(item, str):
            self.backlog_bytes += len(item)
            if self.backlog_bytes > self.rules.max_backlog_bytes:
                self.drop_slow_consumer()
                return
        self.queue.put_nowait(item)

    def drop_slow_consumer(self) -> None:
        """Free the backlog and cut the connection (no close frame: it could not be read)."""
        log.warning(  # not the path: a user-data path holds a listen key
            "connection %d (%s): the peer fell more than %d bytes behind; disconnected",
            self.id,
            self.info.host,
            self.rules.max_backlog_bytes,
        )
        self.closing = True
        while not self.queue.empty():
            self.queue.get_nowait()
        self.backlog_bytes = 0
        self.queue.put_nowait(None)
        if self.transport is not None:
            self.transport.abort()

    def own(self, coro: Awaitable[None]) -> None:
        """Run ``coro`` as a task owned (and cancelled on close) by this connection."""
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def writer(self) -> None:
        """Write queued frames until the connection ends."""
        while True:
            item = await self.queue.get()
            if isinstance(item, str):
                self.backlog_bytes -= len(item)
            if item is None or self.ws.closed:
                return
            try:
                if item is _PING:
                    await self.ws.ping(b"")
                else:
                    await self.ws.send_str(item)
            except (ConnectionError, RuntimeError):
                return

    async def close(self, code: int) -> None:
        """Close the socket with ``code``."""
        self.closing = True
        self.queue.put_nowait(None)
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self.ws.close(code=code)

    def close_soon(self, code: int) -> None:
        """Close the socket with ``code`` from an owned task."""
        if not self.closing:
            self.closing = True
            self.own(self.close(code))

    # -- rules -----------------------------------------------------------------------------

    def count_incoming(self, now: int) -> bool:
        """Count one incoming message; return False when the per-second limit is exceeded."""
        limit = self.rules.max_incoming_per_s
        if limit is None:
            return True
        window = now // 1000
        if window != self.rate_window:
            self.rate_window, self.rate_count = window, 0
        self.rate_count += 1
        return self.rate_count <= limit

    def on_clock(self, now: int) -> None:
        """Apply the time rules at ``now``: send pings, drop silent peers, end old connections."""
        r = self.rules
        if self.closing:
            return
        if r.lifetime_ms is not None and now - self.connected_at >= r.lifetime_ms:
            self.close_soon(1000)
            return
        if (
            r.pong_timeout_ms is not None
            and self.awaiting_pong_since is not None
            and now - self.awaiting_pong_since >= r.pong_timeout_ms
        ):
            self.close_soon(1008)
            return
        if r.ping_interval_ms is not None and now - self.last_ping >= r.ping_interval_ms:
            self.last_ping = now
            if self.awaiting_pong_since is None:
                self.awaiting_pong_since = now
            self.enqueue(_PING)

    def rebase(self, now: int) -> None:
        """Count the time rules from ``now`` (the clock was restarted by a reset)."""
        self.connected_at = self.last_ping = now
        if self.awaiting_pong_since is not None:
            self.awaiting_pong_since = now
        self.rate_window, self.rate_count = -1, 0

    def on_pong(self) -> None:
        """Record a pong: the peer is alive."""
        self.awaiting_pong_since = None


class StreamConnection(WsConnection):
    """A market-stream connection: its subscriptions and the entry point it came in on."""

    def __init__(
        self,
        conn_id: int,
        info: HostInfo,
        path: str,
        ws: web.WebSocketResponse,
        rules: ConnectionRules,
        control: Control,
        now: int,
        *,
        venue: MarketKind,
        category: Category,
        session: StreamSession,
        transport: asyncio.Transport | None = None,
    ) -> None:
        super().__init__(conn_id, info, path, ws, rules, control, now, transport=transport)
        self.venue = venue
        self.category = category
        self.session = session
        # the ``/private`` ``events=`` allow-list of user-data event types (empty: every type)
        self.events: frozenset[str] = frozenset()

    def carries(self, key: StreamKey) -> bool:
        """Return True when this entry point delivers ``key``.

        USD-M ``/public`` carries book data, ``/market`` the rest; the legacy root still ACKs
        everything but delivers only the ``/public`` class, as observed on Binance.
        """
        if key.channel == LISTEN_KEY_CHANNEL:
            return self.category in ("all", "root", "private")
        if self.category == "all":
            return True
        if self.category == "private":
            return False
        cat = futures_category(key)
        return cat == "public" if self.category == "root" else cat == self.category


class WsApiConnection(WsConnection):
    """A WS API connection: its session writes replies and events to this connection."""

    session: WsApiSession

    def attach(self, session: WsApiSession) -> None:
        """Give the connection its session (built with this connection's outbox)."""
        self.session = session


async def serve_socket(
    ws: web.WebSocketResponse,
    conn: WsConnection,
    on_text: Callable[[str], None],
    on_binary: Callable[[], None],
    now: Callable[[], int],
) -> None:
    """Run the read loop of ``conn`` until the peer goes away; then stop its tasks.

    Pings are answered with pongs carrying the same payload (unless a ``withhold_pongs``
    fault says otherwise); every incoming frame counts
    against the per-second message limit (exceeding it closes with 1008).
    """
    writer = asyncio.create_task(conn.writer(), name=f"mock_exchange.writer.{conn.id}")
    try:
        async for msg in ws:
            if not conn.count_incoming(now()):
                conn.close_soon(1008)
                continue
            if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                try:
                    if msg.type == WSMsgType.TEXT:
                        on_text(msg.data)
                    else:
                        on_binary()
                except Exception:  # an emulator bug must not drop the peer's socket
                    log.exception("connection %d: a frame could not be handled", conn.id)
            elif msg.type == WSMsgType.PING:
                if conn.control.take(("withhold_pongs",), None) is not None:
                    continue  # scripted dead peer: the client's keepalive must notice
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await ws.pong(msg.data)
            elif msg.type == WSMsgType.PONG:
                conn.on_pong()
            elif msg.type == WSMsgType.ERROR:
                break
    finally:
        conn.queue.put_nowait(None)
        for task in list(conn.tasks):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer
