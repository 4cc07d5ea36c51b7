"""User data over the WebSocket API (spot, margin): subscriptions routed by socket and id.

A :class:`WsApiUserData` session keeps its subscription as a named restore step of the
venue's shared :class:`~client.ws_api_connection.WsApiConnection`, so every new socket
subscribes again (after the logon step, when there is one). Subscription ids count from 0 on
every socket, so events are routed by ``(socket, subscriptionId)`` (:class:`WsApiEventRouter`).
Margin subscribes with a listen token (:class:`ListenToken`) that is replaced before it expires:
subscribe with the new token first and end the old subscription; where the server allows one
subscription per account (``-2035``), the old one ends first and the moment between is
reconciled.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from .errors import BaseError, ExchangeError
from .protocol.backoff import is_retryable
from .protocol.redaction import key_digest
from .protocol.user_data import AccountState
from .protocol.user_events import MarketOf
from .protocol.ws_api import WsApiEvent
from .telemetry import Telemetry
from .transport import WebSocket
from .user_data import Reconcile, SessionKey, UserDataSession
from .venues import UserDataKind
from .ws_api_connection import WsApiConnection

__all__ = ["ListenToken", "Subscribe", "WsApiEventRouter", "WsApiUserData"]

_EARLY_LIMIT = 1000  # events held per socket for a subscription not bound yet


Subscribe = Callable[[WsApiConnection, WebSocket, "WsApiUserData"], Awaitable[int]]
"""Subscribe on socket ``ws``; return the ``subscriptionId``."""


class ListenToken:
    """A margin listen token (``POST /sapi/v1/userListenToken``): the current one, replaced
    when asked or when the server refuses it (``-1209``).

    Args:
        create: returns a new token and its ``expirationTime`` (ms).
        timeout: seconds for the subscribe request.
        now: Binance's time (ms), to tell an expired token.
    """

    def __init__(
        self,
        create: Callable[[], Awaitable[tuple[str, int | None]]],
        timeout: float,
        now: Callable[[], int] | None = None,
    ) -> None:
        self.create = create
        self.timeout = timeout
        self.now = now
        self.token: str | None = None
        self.expires: int | None = None
        self.created = 0

    def __repr__(self) -> str:
        return f"<ListenToken expires={self.expires} created={self.created}>"

    async def current(self, fresh: bool = False) -> str:
        """Return the token, creating one first when there is none, it expired (by Binance's
        clock), or ``fresh``."""
        expired = self.expires is not None and self.now is not None and self.expires <= self.now()
        if self.token is None or fresh or expired:
            self.token, self.expires = await self.create()
            self.created += 1
        return self.token

    def subscriber(self, *, fresh: bool) -> Subscribe:
        """A :data:`Subscribe` that sends ``userDataStream.subscribe.listenToken`` (with a new
        token if ``fresh``); a refused token (``-1209``) is replaced once."""

        first = [fresh]  # a new token on the first call only (a retry reuses it)

        async def subscribe(conn: WsApiConnection, ws: WebSocket, session: WsApiUserData) -> int:
            token = await self.current(first[0])
            first[0] = False
            try:
                result = await conn.request_on(
                    ws, "userDataStream.subscribe.listenToken", {"listenToken": token},
                    self.timeout,
                )  # fmt: skip
            except ExchangeError as err:
                if err.code != -1209:
                    raise
                token = await self.current(fresh=True)
                result = await conn.request_on(
                    ws, "userDataStream.subscribe.listenToken", {"listenToken": token},
                    self.timeout,
                )  # fmt: skip
            expires = result.get("expirationTime") if isinstance(result, dict) else None
            if isinstance(expires, int):
                self.expires = expires
            return int(result["subscriptionId"])

        return subscribe


class WsApiEventRouter:
    """Routes the user-data events of one WebSocket API connection to their sessions, by
    socket and ``subscriptionId``; holds an event whose subscription is not bound yet (the
    answer and the first events can arrive in one read) until it is."""

    def __init__(self, conn: WsApiConnection) -> None:
        self.conn = conn
        self._subs: dict[tuple[WebSocket, int], WsApiUserData] = {}
        self._early: dict[WebSocket, list[WsApiEvent]] = {}
        self.sessions: set[WsApiUserData] = set()
        conn.on_event = self.route
        conn.on_lost = self.lost
        conn.on_restore_failed = self.restore_failed

    def route(self, ws: WebSocket, event: WsApiEvent) -> None:
        """Hand ``event`` to its session (or hold it until its subscription is bound)."""
        sid = event.subscription_id
        session = self._subs.get((ws, sid)) if sid is not None else None
        if session is not None:
            session.feed(event.event)
            return
        early = self._early.setdefault(ws, [])
        if len(early) < _EARLY_LIMIT:
            early.append(event)

    def register(self, ws: WebSocket, sid: int, session: WsApiUserData) -> None:
        """Bind ``(ws, sid)`` to ``session`` (its earlier binding ends) and deliver what was
        held for it."""
        self.unregister(session)
        self._subs[(ws, sid)] = session
        held = self._early.get(ws)
        if held:
            mine = [e for e in held if e.subscription_id == sid]
            self._early[ws] = [e for e in held if e.subscription_id != sid]
            for e in mine:
                session.feed(e.event)

    def unregister(self, session: WsApiUserData) -> None:
        """Forget every binding of ``session``."""
        for k in [k for k, s in self._subs.items() if s is session]:
            del self._subs[k]

    def lost(self, ws: WebSocket | None, err: BaseError) -> None:
        """A socket ended: its bindings end; when the connection was closed by the client
        (or cannot come back) the sessions on it fail."""
        if ws is not None:
            self._early.pop(ws, None)
            for k in [k for k in self._subs if k[0] is ws]:
                self._subs.pop(k).socket_lost(ws, err)
        stopped = self.conn.supervisor.stopped
        if stopped or not is_retryable(err):
            for session in list(self.sessions):
                session.connection_failed(err, stopped)

    def restore_failed(self, ws: WebSocket, err: BaseError) -> None:
        """The session state could not be brought back on new socket ``ws`` (a replayed
        logon or subscribe failed; the connection gives the socket up and tries again after
        its backoff): the watchers waiting now learn why at once instead of timing out."""
        for session in list(self.sessions):
            session.interrupt(err)


class WsApiUserData(UserDataSession):
    """A subscription on a WebSocket API connection (spot, margin)."""

    def __init__(
        self,
        key: SessionKey,
        state: AccountState,
        telemetry: Telemetry,
        *,
        mechanism: UserDataKind,
        conn: WsApiConnection,
        router: WsApiEventRouter,
        subscribe: Subscribe,
        find: MarketOf,
        reconcile: Reconcile | None,
        timeout: float,
    ) -> None:
        super().__init__(key, state, telemetry, find=find, reconcile=reconcile, url=conn.url)
        self.mechanism = mechanism
        self.conn = conn
        self.router = router
        self.subscribe = subscribe
        self.timeout = timeout
        # named by a digest of the API key: connection_info lists step names
        self.step_name = f"userData:{key[0]}:{key_digest(key[1])}:{key[2] or ''}"
        self.bound: tuple[WebSocket, int] | None = None
        self._ever_bound = False
        self.subscriptions = 0
        self.token: ListenToken | None = None
        self.renewals = 0
        self.renewed = asyncio.Event()  # set after each token renewal (tests wait on it)
        router.sessions.add(self)

    @property
    def subscription_id(self) -> int | None:
        """The subscription id on the current socket (None while not subscribed)."""
        return self.bound[1] if self.bound is not None else None

    async def start(self, timeout: float) -> None:
        """Subscribe on the open socket and keep the subscription as a restore step (if that
        socket closed meanwhile, the next one subscribes).

        Raises:
            What the subscribe raises (the step is then dropped).
        """
        try:
            await self.conn.add_restore_step(self.step_name, self._step, timeout)
        except BaseException:
            self.conn.remove_restore_step(self.step_name)
            raise

    async def kick(self, timeout: float) -> None:
        """Reconnect now if the socket is down (see the base class)."""
        if self.bound is None and not self.closed:
            with contextlib.suppress(BaseError):
                await self.conn.ensure_open(timeout)

    async def _step(self, conn: WsApiConnection, ws: WebSocket) -> None:
        """The restore step: subscribe on ``ws`` (a failure that a new socket may cure is the
        connection's to retry, after its backoff)."""
        self.bind(ws, await self._subscribe_on(ws))

    async def _subscribe_on(self, ws: WebSocket) -> int:
        try:
            return await self.subscribe(self.conn, ws, self)
        except BaseError as err:
            if not is_retryable(err):
                self.fail(err)  # refused: watchers learn why rather than time out
            raise

    def bind(self, ws: WebSocket, sid: int) -> None:
        """``sid`` is our subscription on ``ws`` now; reconcile when a drop came before."""
        gap = self.bound is None and self._ever_bound
        self.bound = (ws, sid)
        self._ever_bound = True
        self.subscriptions += 1
        self.error = None
        self.router.register(ws, sid, self)
        self.telemetry.emit("subscribe", self.url, f"user data {self.venue}: subscription {sid}")
        if gap:
            self.start_reconcile()

    def socket_lost(self, ws: WebSocket, err: BaseError) -> None:
        """Socket ``ws`` ended: the subscription on it is gone."""
        if self.bound is not None and self.bound[0] is ws:
            self.bound = None

    def connection_failed(self, err: BaseError, stopped: bool) -> None:
        """The connection will not come back by itself: fail the watchers."""
        if not self.closed:
            self.fail(err)

    def on_terminated(self) -> None:
        """The server ended our subscription (a logout, an expired token, someone's
        unsubscribe): subscribe again on the same socket, then reconcile the gap."""
        if self.closed or self.bound is None:
            return
        ws, _ = self.bound
        self.bound = None
        self.router.unregister(self)
        self.telemetry.emit("reconnect", self.url, "user data stream terminated: subscribing")
        self.spawn(self._resubscribe(ws), "resubscribe")

    def on_expired(self, raw: dict[str, Any]) -> None:
        """Not sent on the WebSocket API (an expired token ends with
        ``eventStreamTerminated``)."""

    async def _resubscribe(self, ws: WebSocket) -> None:
        """Subscribe again on ``ws`` (still in use by others, so not given up): a failure a
        retry may cure is retried on it, with growing pauses, until it works or ``ws`` ends
        (then the next socket's restore subscribes)."""
        pause = 1.0
        while not ws.closed and self.bound is None and not self.closed:
            try:
                sid = await self._subscribe_on(ws)
            except BaseError as err:
                self.telemetry.emit("error", self.url, f"subscribing again failed: {err}")
                if not is_retryable(err):
                    return
                await asyncio.sleep(pause)  # a pause between attempts, not a wait for an event
                pause = min(30.0, pause * 2)
                continue
            if not ws.closed:
                self.bind(ws, sid)
            return

    async def renew(self, subscribe: Subscribe) -> None:
        """Replace the subscription on the current socket by one made with ``subscribe``
        (a new listen token): subscribe first; if the server allows one subscription per
        account (``-2035``), end the old one first and reconcile the moment between.

        Raises:
            What the subscribe raises.
        """
        if self.bound is None:
            # not subscribed (an earlier attempt failed half-way): subscribe on the open
            # socket, if any (else the next socket's restore does), and reconcile the gap
            ws = self.conn.supervisor.ws
            if ws is None or ws.closed:
                return
            self.bind(ws, await subscribe(self.conn, ws, self))
            self.start_reconcile()
            self._renewed()
            return
        ws, old = self.bound
        try:
            sid = await subscribe(self.conn, ws, self)
        except ExchangeError as err:
            if err.code != -2035:
                raise
            self.router.unregister(self)
            self.bound = None
            with contextlib.suppress(BaseError):
                await self._unsubscribe(ws, old)
            self.bind(ws, await subscribe(self.conn, ws, self))
            self.start_reconcile()
            self._renewed()
            return
        self.bind(ws, sid)
        with contextlib.suppress(BaseError):
            await self._unsubscribe(ws, old)
        self._renewed()

    def _renewed(self) -> None:
        self.renewals += 1
        self.renewed.set()

    async def _unsubscribe(self, ws: WebSocket, sid: int) -> None:
        await self.conn.request_on(
            ws, "userDataStream.unsubscribe", {"subscriptionId": sid}, self.timeout
        )

    async def stop(self, end_on_wire: bool) -> None:
        """Stop replaying the subscription and end it (``userDataStream.unsubscribe``)."""
        self.conn.remove_restore_step(self.step_name)
        self.router.unregister(self)
        self.router.sessions.discard(self)
        bound, self.bound = self.bound, None
        if end_on_wire and bound is not None and not bound[0].closed:
            with contextlib.suppress(BaseError):
                await self._unsubscribe(*bound)
