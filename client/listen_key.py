"""Listen-key connections (USD-M ``/private/ws?listenKey=``, COIN-M ``/ws/<key>``).

A :class:`ListenKeyConnection` is one user-data stream of one account. Its socket belongs to a
:class:`~client.supervisor.Supervisor` whose dial hook asks for a listen key first
(``POST /fapi/v1/listenKey``: Binance returns the account's active key, extended, or a new
one) and then dials the URL that carries it; so every reconnect, and :meth:`renew` after
``listenKeyExpired`` or a failed keep-alive, starts from a key that is valid now. Binance
sends the events bare (``{"e": ...}``), or wrapped ``{"stream": <key>, "data": {...}}`` on a
combined URL; both are read, and a ``serverShutdown`` notice hands over to a fresh socket.

The key is a secret: the connection is named by a label with the key masked (its
:attr:`url`), which is what errors, logs, telemetry and the registry show.

A :class:`ListenKeyUserData` session owns one such connection and keeps the key alive with a
``PUT`` every ``refresh`` seconds; ``listenKeyExpired`` and a failed keep-alive redial with a
fresh key, and a socket that comes back after a drop reconciles.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from .connection import ConnectionSettings, dial
from .errors import BaseError
from .protocol.backoff import is_retryable
from .protocol.user_data import AccountState
from .protocol.user_events import MarketOf
from .supervisor import Hooks, Supervised, Supervisor
from .telemetry import RateLimitedLog, Telemetry
from .transport import WebSocket
from .user_data import Reconcile, SessionKey, UserDataSession
from .venues import UserDataKind

__all__ = ["ListenKeyConnection", "ListenKeyUserData"]

log = logging.getLogger("client")

OnEvent = Callable[[WebSocket, dict[str, Any]], None]
"""Called with every user-data event (the unwrapped ``{"e": ...}`` object)."""


class ListenKeyConnection(Supervised):
    """A supervised user-data stream dialled with a fresh listen key (see the module doc).

    Args:
        url: the label (stream URL with the key masked).
        telemetry: where lifecycle events go.
        settings: timers and limits.
        create_key: returns a listen key valid now (``POST .../listenKey``).
        stream_url: the URL that carries a key.
        on_event: called with each event (the session sets these three).
        on_restored: called when a socket is up (``handover`` True on a ``serverShutdown``
            switch, when nothing was missed).
        on_lost: called when a socket ended (or a dial failed) with the error.
    """

    def __init__(
        self,
        url: str,
        telemetry: Telemetry,
        settings: ConnectionSettings,
        *,
        create_key: Callable[[], Awaitable[str]],
        stream_url: Callable[[str], str],
        on_event: OnEvent | None = None,
        on_restored: Callable[[bool], None] | None = None,
        on_lost: Callable[[BaseError], None] | None = None,
    ) -> None:
        self.url = url
        self.telemetry = telemetry
        self.settings = settings
        self.create_key = create_key
        self.stream_url = stream_url
        self.on_event: OnEvent = on_event or (lambda ws, raw: None)
        self.on_restored: Callable[[bool], None] = on_restored or (lambda handover: None)
        self.on_lost: Callable[[BaseError], None] = on_lost or (lambda err: None)
        self.key: str | None = None
        self.events_received = 0
        self.keys_created = 0
        self._log = RateLimitedLog(log)
        self.supervisor = Supervisor(
            url,
            Hooks(
                dial=self._dial,
                restore=self._restore,
                lost=self._lost,
                wants_reconnect=lambda: True,
                retire=self._retire,
            ),
            settings,
            telemetry,
        )

    @property
    def reconnects(self) -> int:
        """Sockets opened after the first (handovers not included)."""
        return self.supervisor.reconnects

    async def ensure_open(self, timeout: float | None = None) -> WebSocket:
        """Return the open socket, dialing (with a fresh key) if needed.

        Raises:
            RequestTimeout: not open within ``timeout``. NetworkError, ExchangeError: the key
                could not be had or the socket not opened.
        """
        return await self.supervisor.ensure_open(timeout)

    def renew(self, reason: str) -> None:
        """Drop the socket so the supervisor redials with a key valid now (the key expired,
        or a keep-alive failed)."""
        self.key = None
        ws = self.supervisor.ws
        self.telemetry.emit("reconnect", self.url, f"new listen key: {reason}")
        if ws is not None:
            ws.abort(reason)

    async def close(self) -> None:
        """Stop reconnecting and close the socket; never raises."""
        await self.supervisor.close()

    # -- supervisor hooks --------------------------------------------------------------------

    async def _dial(self) -> WebSocket:
        try:
            key = await self.create_key()
            self.key = key
            self.keys_created += 1
            return await dial(self.stream_url(key), self.settings, self._on_message, label=self.url)
        except BaseError as err:
            self.on_lost(err)  # the supervisor reports dial failures to its callers only
            raise

    async def _restore(self, ws: WebSocket, handover: bool) -> None:
        self.on_restored(handover)

    def _lost(self, ws: WebSocket | None, err: BaseError) -> None:
        self.on_lost(err)

    async def _retire(self, old: WebSocket) -> None:
        with contextlib.suppress(Exception):
            await old.close(1000)

    # -- routing -----------------------------------------------------------------------------

    def _on_message(self, ws: WebSocket, payload: bytes) -> None:
        if self.telemetry.active:
            self.telemetry.emit("recv", self.url, payload.decode("utf-8", "replace"))
        try:
            msg = orjson.loads(payload)
        except orjson.JSONDecodeError:
            ws.reject_if_not_utf8(payload)
            return
        if isinstance(msg, dict) and isinstance(msg.get("data"), dict) and "stream" in msg:
            msg = msg["data"]
        if not isinstance(msg, dict) or "e" not in msg:
            self._log.warning("unparsed", "%s: unexpected frame ignored", self.url)
            return
        if msg["e"] == "serverShutdown":
            if ws is self.supervisor.ws:
                self.supervisor.handover()
            return
        self.events_received += 1
        self.on_event(ws, msg)

    def info(self) -> dict[str, Any]:
        """Return the connection's state for inspection (never the key)."""
        return {
            "url": self.url,
            "state": self.state,
            "subscriptions": {},
            "pending_requests": 0,
            "waiters": {},
            "cache": {},
            "listen_keys_created": self.keys_created,
            "events_received": self.events_received,
            "send_buffer": ws.write_buffer_size if (ws := self.supervisor.ws) else 0,
            "reconnects": self.reconnects,
            "handovers": self.handovers,
            "backoff": self.supervisor.last_delay,
            "close_reason": str(self.close_reason) if self.close_reason else None,
        }


class ListenKeyUserData(UserDataSession):
    """A listen-key stream of its own (USD-M, COIN-M), kept alive by ``PUT`` (see the module
    doc)."""

    mechanism: UserDataKind = "listen_key"

    def __init__(
        self,
        key: SessionKey,
        state: AccountState,
        telemetry: Telemetry,
        *,
        conn: ListenKeyConnection,
        keep_alive: Callable[[str], Awaitable[Any]],
        close_key: Callable[[str], Awaitable[Any]],
        refresh: float | None,
        find: MarketOf,
        reconcile: Reconcile | None,
    ) -> None:
        super().__init__(key, state, telemetry, find=find, reconcile=reconcile, url=conn.url)
        self.conn = conn
        self.keep_alive_fn = keep_alive
        self.close_key = close_key
        self.refresh = refresh
        self.keepalives = 0
        self.keepalive_errors: list[BaseError] = []
        self.keepalive_done = asyncio.Event()  # set after each keep-alive (tests wait on it)
        self._opened = False
        conn.on_event = lambda ws, raw: self.feed(raw)
        conn.on_restored = self._restored
        conn.on_lost = self._lost

    async def start(self, timeout: float) -> None:
        """Open the stream (a fresh key) and start the keep-alive timer.

        Raises:
            What creating the key or dialing raises.
        """
        await self.conn.ensure_open(timeout)
        if self.refresh:
            self.spawn(self._keep_alive_loop(self.refresh), "keepalive")

    async def kick(self, timeout: float) -> None:
        """Reconnect now if the stream is down (see the base class)."""
        if self.conn.state != "open" and not self.closed:
            with contextlib.suppress(BaseError):
                await self.conn.ensure_open(timeout)

    def _restored(self, handover: bool) -> None:
        first, self._opened = not self._opened, True
        self.error = None
        how = "handed over" if handover else "open"
        self.telemetry.emit("subscribe", self.url, f"user data {self.venue}: stream {how}")
        if not first and not handover:
            self.start_reconcile()

    def _lost(self, err: BaseError) -> None:
        if self.closed:
            return
        if self.conn.supervisor.stopped or not is_retryable(err):
            self.fail(err)

    def on_terminated(self) -> None:
        """Not sent on a listen-key stream (the key expires instead)."""

    def on_expired(self, raw: dict[str, Any]) -> None:
        """``listenKeyExpired``: redial with a fresh key (unless it names an older key)."""
        expired = raw.get("listenKey")
        if expired is None or expired == self.conn.key:
            self.conn.renew("listenKeyExpired")

    async def keep_alive(self) -> None:
        """Extend the listen key now (``PUT .../listenKey``); on failure redial with a
        fresh key.

        Raises:
            What the ``PUT`` raised (after the redial was started).
        """
        key = self.conn.key
        if key is None:
            return
        try:
            await self.keep_alive_fn(key)
        except BaseError as err:
            self.keepalive_errors.append(err)
            self.telemetry.emit("error", self.url, f"listen key keep-alive failed: {err}")
            self.conn.renew(f"keep-alive failed: {err}")
            raise
        finally:
            self.keepalive_done.set()
        self.keepalives += 1

    async def _keep_alive_loop(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)  # Binance's keep-alive period, not a wait for an event
            self.keepalive_done.clear()
            with contextlib.suppress(BaseError):
                await self.keep_alive()

    async def stop(self, end_on_wire: bool) -> None:
        """Close the stream and the key (``DELETE .../listenKey``)."""
        key = self.conn.key
        await self.conn.close()
        if end_on_wire and key is not None:
            with contextlib.suppress(BaseError):
                await self.close_key(key)

    def info(self) -> dict[str, Any]:
        """The session's state, with its keep-alive count."""
        return {**super().info(), "keepalives": self.keepalives}
