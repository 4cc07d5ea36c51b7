"""User-data sessions: ``authenticate`` and the user-data stream helpers.

A session is one account's subscription on one venue (:mod:`client.user_data`), created once
per ``(venue, API key[, isolated symbol])`` however many callers ask at the same time
(single-flight: one listen key, one subscription), and reused by every watch. The venue
comes from the symbol, else ``type`` / ``marginMode``; :meth:`UserDataSessions.authenticate`
returns a :class:`~client.user_data.WsAuth` that later calls may pass back as ``ws_auth``.

Mechanisms (binance-protocol.md 4.8, 6.1, 6.3, 6.5; the ``venues.py`` rows):

* spot: ``userDataStream.subscribe`` after an Ed25519 ``session.logon``, else
  ``userDataStream.subscribe.signature``, on the spot WebSocket API;
* margin: ``POST /sapi/v1/userListenToken`` (API key only), then
  ``userDataStream.subscribe.listenToken`` on the spot WebSocket API; the token is replaced
  ``listen_token_renew_before`` ms before it expires (at most ``listen_token_refresh`` apart);
* USD-M / COIN-M: ``POST /fapi/v1/listenKey`` / ``/dapi/v1/listenKey`` (API key only), the
  stream ``/private/ws?listenKey=`` / ``/ws/<key>``, ``PUT`` every ``listen_key_refresh``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from ..credentials import Credentials
from ..errors import (
    ArgumentsRequired,
    AuthenticationError,
    BadSymbol,
    BaseError,
    ExchangeError,
    NotSupported,
    UnsubscribeError,
)
from ..listen_key import ListenKeyConnection, ListenKeyUserData
from ..protocol.signing import KeySigner
from ..protocol.user_data import AccountState, Changes
from ..protocol.user_events import MarketOf
from ..reconcile import ReconcilePlan, RestFetcher, reconcile
from ..transport import WebSocket
from ..types import Market, Symbol
from ..user_data import SessionKey, UserDataSession, WsAuth, single_flight
from ..user_data_ws_api import ListenToken, Subscribe, WsApiEventRouter, WsApiUserData
from ..venues import VENUES, Venue
from ..ws_api_connection import WsApiConnection
from .account import AccountMethods
from .trading import TradingMethods

__all__ = ["UserDataSessions"]

_FUTURES = ("future", "delivery", "papi")


class UserDataSessions(AccountMethods, TradingMethods):
    """User-data sessions, ``authenticate`` and the stream helpers."""

    _user_data: dict[SessionKey, UserDataSession]
    _ud_flights: dict[SessionKey, asyncio.Future[UserDataSession]]
    _ud_routers: dict[str, WsApiEventRouter]

    # -- which session -------------------------------------------------------------------------

    def _ud_venue(
        self, opts: Mapping[str, Any], market: Market | None, *, futures: bool = False
    ) -> tuple[Venue, str | None]:
        """The venue (and isolated-margin symbol) a user-data call is about; ``futures``:
        positions and liquidations, which spot has not (USD-M then)."""
        v = self._private_venue(opts, market)
        if futures and v.name in ("spot", "margin"):
            v = VENUES["future"]
        isolated = None
        if v.name == "margin" and str(opts.get("margin_mode")) == "isolated":
            sym = market["id"] if market is not None else opts.get("symbol")
            if not sym:
                raise ArgumentsRequired("isolated margin user data needs a symbol")
            isolated = str(sym).upper()
        return v, isolated

    def _ud_target(
        self, opts: Mapping[str, Any], market: Market | None, *, futures: bool = False
    ) -> SessionKey:
        """The session a call is about: the one ``ws_auth`` names, else its venue's for the
        call's API key.

        Raises:
            AuthenticationError: no credentials.
        """
        auth = opts.get("ws_auth")
        if isinstance(auth, WsAuth):
            return auth.key
        v, isolated = self._ud_venue(opts, market, futures=futures)
        api_key, _ = self._creds(opts).require(f"user data on binance {v.label}")
        return (v.name, api_key, isolated)

    async def _ud_session(
        self,
        opts: Mapping[str, Any],
        market: Market | None = None,
        *,
        futures: bool = False,
    ) -> UserDataSession:
        """Return the live session of the call's venue and account, opening it once
        however many callers ask together.

        Raises:
            AuthenticationError: no credentials, or Binance refused them. NotSupported: the
                venue has no user data here. NetworkError, RequestTimeout: no connection.
        """
        await self.load_markets()
        key = self._ud_target(opts, market, futures=futures)
        v = VENUES[key[0]]
        session = self._user_data.get(key)
        if session is not None:
            if not session.closed and session.error is None:
                return session
            await self._ud_drop(session, session.error)  # ended for good: start over

        async def open_session() -> UserDataSession:
            opened = await self._ud_open(v, key, opts)
            self._user_data[key] = opened
            return opened

        return await single_flight(self._ud_flights, key, open_session)

    def _existing_session(
        self, opts: Mapping[str, Any], market: Market | None = None, *, futures: bool = False
    ) -> UserDataSession | None:
        session = self._user_data.get(self._ud_target(opts, market, futures=futures))
        return session if session is not None and not session.closed else None

    async def _ud_drop(
        self, session: UserDataSession, err: BaseError | None, *, end_on_wire: bool = True
    ) -> None:
        """Close ``session`` and forget it."""
        if self._user_data.get(session.key) is session:
            del self._user_data[session.key]
        await session.close(err, end_on_wire=end_on_wire)
        if isinstance(session, ListenKeyUserData):
            self._registry.forget(session.conn)

    async def _close_user_data(self) -> None:
        """Close every session (``Binance.close``)."""
        for session in list(self._user_data.values()):
            await self._ud_drop(session, None)

    # -- opening -------------------------------------------------------------------------------

    def _rest_fetcher(self, opts: Mapping[str, Any]) -> RestFetcher:
        given = opts.get("rest_fetcher")
        if given is not None:
            return given  # type: ignore[no-any-return]

        async def fetch(method: str, kwargs: dict[str, Any]) -> Any:
            return await getattr(self, method)(**kwargs)

        return fetch

    @staticmethod
    def _ud_params(v: Venue, key: SessionKey, opts: Mapping[str, Any]) -> dict[str, Any]:
        """The params of the session's REST reads: its venue and the call's credentials."""
        params: dict[str, Any] = {"type": "margin" if v.name == "margin" else v.name}
        if key[2] is not None:
            # isIsolated as Binance's param: marginMode alone selects the venue, not the wallet
            params.update(marginMode="isolated", isIsolated="TRUE")
        for name in ("api_key", "api_secret"):
            if opts.get(name) is not None:
                params[name] = opts[name]
        return params

    async def _ud_open(self, v: Venue, key: SessionKey, opts: Mapping[str, Any]) -> UserDataSession:
        kind = v.user_data.kind
        creds = self._creds(opts)
        _, signer = creds.require(f"user data on binance {v.label}")
        await self._timestamp_ready(v, opts)
        futures = v.name in _FUTURES
        state = AccountState(
            futures=futures,
            limit=int(opts["cache_limit"]),
            trade_lite=bool(opts.get("trade_lite")),
        )
        find = self._lookup(v.public)
        timeout = float(opts["timeout"]) / 1000
        holder: list[UserDataSession] = []
        plan = ReconcilePlan(
            fetch=self._rest_fetcher(opts),
            params=self._ud_params(v, key, opts),
            since=self.server_clock.now_ms(),
            futures=futures,
            watched=lambda: _watched_symbols(holder),
            symbol=_isolated_symbol(find, key),
        )

        async def reconciler(session: UserDataSession) -> Changes:
            return await reconcile(session.state, plan)

        recon = reconciler if opts.get("reconcile", True) else None
        session: UserDataSession
        if kind == "listen_key":
            session = self._listen_key_session(v, key, state, opts, find=find, recon=recon)
        else:
            session = await self._ws_api_session(
                v, key, state, opts, creds, signer, find=find, recon=recon
            )
        holder.append(session)
        try:
            await session.start(timeout)
        except BaseException:
            await self._ud_drop(session, None)
            raise
        if isinstance(session, WsApiUserData) and session.token is not None:
            session.spawn(self._renew_loop(session, session.token, opts), "renew")
        return session

    def _listen_key_session(
        self,
        v: Venue,
        key: SessionKey,
        state: AccountState,
        opts: Mapping[str, Any],
        *,
        find: Any,
        recon: Any,
    ) -> ListenKeyUserData:
        path = v.user_data.token_path
        assert path is not None
        endpoints = self._endpoints(opts)

        async def create_key() -> str:
            raw = await self._signed_rest("POST", v, path, {}, opts, signed=False)
            listen_key = raw.get("listenKey") if isinstance(raw, dict) else None
            if not listen_key:
                raise AuthenticationError(f"binance {v.label}: received an empty listenKey")
            return str(listen_key)

        async def keep_alive(listen_key: str) -> None:
            await self._signed_rest("PUT", v, path, {"listenKey": listen_key}, opts, signed=False)

        async def close_key(listen_key: str) -> None:
            await self._signed_rest(
                "DELETE", v, path, {"listenKey": listen_key}, opts, signed=False
            )

        label = self._registry.free_label(v.user_data_url(endpoints, "***"))
        conn = ListenKeyConnection(
            label,
            self.telemetry,
            self._settings(opts),
            create_key=create_key,
            stream_url=lambda k: v.user_data_url(endpoints, k),
        )
        self._mark_verbose(label, opts)
        refresh = opts.get("listen_key_refresh")
        session = ListenKeyUserData(
            key,
            state,
            self.telemetry,
            conn=conn,
            keep_alive=keep_alive,
            close_key=close_key,
            refresh=float(refresh) / 1000 if refresh else None,
            find=find,
            reconcile=recon,
        )
        self._registry.add_listen_key(conn)
        return session

    async def _ws_api_session(
        self,
        v: Venue,
        key: SessionKey,
        state: AccountState,
        opts: Mapping[str, Any],
        creds: Credentials,
        signer: KeySigner,
        *,
        find: Any,
        recon: Any,
    ) -> WsApiUserData:
        conn = self._ws_api(v, opts)
        self._mark_verbose(conn.url, opts)
        router = self._ud_routers.get(conn.url)
        if router is None or router.conn is not conn:
            router = self._ud_routers[conn.url] = WsApiEventRouter(conn)
        timeout = float(opts["timeout"]) / 1000
        token: ListenToken | None = None
        if v.user_data.kind == "listen_token":
            create = self._token_creator(v, key, opts)
            token = ListenToken(create, timeout, self.server_clock.now_ms)
            subscribe = token.subscriber(fresh=False)
        else:
            if signer.can_logon and opts.get("ws_logon", True):
                await self._ensure_logon(conn, v, creds, opts)
            subscribe = self._spot_subscriber(key[1], signer, v, opts)
        session = WsApiUserData(
            key,
            state,
            self.telemetry,
            mechanism=v.user_data.kind,
            conn=conn,
            router=router,
            subscribe=subscribe,
            find=find,
            reconcile=recon,
            timeout=timeout,
        )
        session.token = token
        return session

    def _spot_subscriber(
        self, api_key: str, signer: KeySigner, v: Venue, opts: Mapping[str, Any]
    ) -> Subscribe:
        """``userDataStream.subscribe`` on a socket logged on with ``api_key``, else
        ``userDataStream.subscribe.signature`` signed afresh (``-1021``: clock re-measured,
        sent once more)."""
        timeout = float(opts["timeout"]) / 1000

        async def subscribe(conn: WsApiConnection, ws: WebSocket, session: WsApiUserData) -> int:
            if conn.key_of(ws) == api_key:
                result = await conn.request_on(ws, "userDataStream.subscribe", None, timeout)
            else:
                method = "userDataStream.subscribe.signature"
                result = await self._signed_on(conn, ws, method, api_key, signer, v, opts)
            return _subscription_id(result)

        return subscribe

    def _token_creator(self, v: Venue, key: SessionKey, opts: Mapping[str, Any]) -> Any:
        """``POST /sapi/v1/userListenToken`` (API key only; ``symbol`` + ``isIsolated`` for
        isolated margin, ``validity`` from ``listen_token_validity``)."""
        path = v.user_data.token_path
        assert path is not None

        async def create() -> tuple[str, int | None]:
            req: dict[str, Any] = {}
            if key[2] is not None:
                req.update(symbol=key[2], isIsolated="true")
            if opts.get("listen_token_validity"):
                req["validity"] = int(opts["listen_token_validity"])
            raw = await self._signed_rest("POST", v, path, req, opts, signed=False)
            token = raw.get("token") if isinstance(raw, dict) else None
            if not token:
                raise AuthenticationError("binance margin: received an empty listenToken")
            expires = raw.get("expirationTime")
            return str(token), expires if isinstance(expires, int) else None

        return create

    def _token_delay(self, token: ListenToken, opts: Mapping[str, Any]) -> float:
        """Seconds until the token is replaced: ``listen_token_renew_before`` before it
        expires by Binance's clock (half-way through a shorter life, at least 1 s), and at
        most ``listen_token_refresh``."""
        refresh = float(opts.get("listen_token_refresh") or 23 * 3600_000)
        if token.expires is not None:
            before = float(opts.get("listen_token_renew_before") or 0)
            left = token.expires - self.server_clock.now_ms()
            # a token shorter-lived than the margin is replaced half-way; never a busy loop
            target = left - before if left - before >= 1000 else max(1000.0, left / 2)
            refresh = min(refresh, target)
        return max(0.01, refresh / 1000)

    async def _renew_loop(
        self, session: WsApiUserData, token: ListenToken, opts: Mapping[str, Any]
    ) -> None:
        retry = 1.0
        while True:
            # Binance's token lifetime, not a wait for an event
            await asyncio.sleep(self._token_delay(token, opts))
            try:
                await session.renew(token.subscriber(fresh=True))
                retry = 1.0
            except BaseError as err:
                session.telemetry.emit("error", session.url, f"listen token renewal failed: {err}")
                await asyncio.sleep(retry)  # a pause before trying again, not a wait
                retry = min(60.0, retry * 2)

    # -- helpers -------------------------------------------------------------------------------

    async def authenticate(self, params: Mapping[str, Any] | None = None) -> WsAuth:
        """Subscribe to the account's user data on the venue of ``type`` / ``marginMode``
        (``symbol`` for isolated margin) once, and return a value later calls may pass back
        as ``ws_auth``. Concurrent calls share one subscription (one listen key).

        Raises:
            AuthenticationError: no credentials or refused ones. NotSupported: no user data
                on that venue here. NetworkError, RequestTimeout: no connection.
        """
        opts = self._opts(params)
        m = await self.market(str(opts["symbol"]), opts) if opts.get("symbol") else None
        session = await self._ud_session(opts, m)
        return session.auth()

    def user_data_sessions(self) -> list[dict[str, Any]]:
        """Return the state of every user-data session (venue, mechanism, subscription id,
        watched topics, waiters, cache sizes, reconciliations; no secret)."""
        return [s.info() for s in self._user_data.values()]

    def _ws_api_venue(self, opts: Mapping[str, Any]) -> Venue:
        v = self._private_venue(opts)
        if v.ws_api is None:
            raise NotSupported(f"binance {v.label} has no WebSocket API session")
        return v

    async def user_data_stream_status(self, params: Mapping[str, Any] | None = None) -> Any:
        """Return the WebSocket API session's status (``session.status``: the logged-on key,
        ``userDataStream`` true while a subscription is active) on the ``type`` venue."""
        opts = self._opts(params)
        conn = self._ws_api(self._ws_api_venue(opts), opts)
        return await conn.request("session.status", None, float(opts["timeout"]) / 1000)

    async def user_data_stream_subscriptions(self, params: Mapping[str, Any] | None = None) -> Any:
        """Return the session's active subscriptions (``session.subscriptions``:
        ``[{"subscriptionId": N}, ...]``)."""
        opts = self._opts(params)
        conn = self._ws_api(self._ws_api_venue(opts), opts)
        return await conn.request("session.subscriptions", None, float(opts["timeout"]) / 1000)

    async def unsubscribe_user_data_stream(
        self, subscription_id: int | None = None, params: Mapping[str, Any] | None = None
    ) -> Any:
        """End one subscription (``subscription_id``) or every one on the session
        (``userDataStream.unsubscribe``); the sessions of this client that it ends stop
        (their watchers fail with UnsubscribeError) instead of subscribing again.

        Raises:
            ExchangeError: ``-2036`` no such active subscription.
        """
        opts = self._opts(params)
        conn = self._ws_api(self._ws_api_venue(opts), opts)
        router = self._ud_routers.get(conn.url)
        ended = [
            s
            for s in (router.sessions if router is not None and router.conn is conn else ())
            if subscription_id is None or s.subscription_id == subscription_id
        ]
        for session in ended:
            err = UnsubscribeError(f"{session.url}: user data stream unsubscribed")
            await self._ud_drop(session, err, end_on_wire=False)
        req = None if subscription_id is None else {"subscriptionId": subscription_id}
        return await conn.request("userDataStream.unsubscribe", req, float(opts["timeout"]) / 1000)

    async def renew_listen_token(self, params: Mapping[str, Any] | None = None) -> WsAuth:
        """Replace the margin listen token now (``POST /sapi/v1/userListenToken``) and move
        the subscription to it; return the session's :class:`~client.user_data.WsAuth`."""
        opts = {**self._opts(params), "type": "margin"}
        session = await self._ud_session(opts)
        if not isinstance(session, WsApiUserData) or session.token is None:
            raise NotSupported("renew_listen_token: margin user data only")
        await session.renew(session.token.subscriber(fresh=True))
        return session.auth()

    async def keep_alive_listen_key(self, params: Mapping[str, Any] | None = None) -> WsAuth:
        """Extend the futures listen key now (``PUT /fapi/v1/listenKey``,
        ``/dapi/v1/listenKey``; USD-M unless ``type`` says otherwise); on failure the stream
        is redialled with a fresh key and the error raised.

        Raises:
            ExchangeError: ``-1125`` the key no longer exists.
        """
        opts = self._opts(params)
        session = await self._ud_session(opts, futures=True)
        if not isinstance(session, ListenKeyUserData):
            raise NotSupported("keep_alive_listen_key: futures user data only")
        await session.keep_alive()
        return session.auth()


def _subscription_id(result: Any) -> int:
    sid = result.get("subscriptionId") if isinstance(result, dict) else None
    if not isinstance(sid, int):
        raise ExchangeError("binance user data stream subscribe failed: no subscriptionId")
    return sid


def _isolated_symbol(find: MarketOf, key: SessionKey) -> Symbol | None:
    """The unified symbol of an isolated-margin session's pair (None: not isolated)."""
    if key[2] is None:
        return None
    market = find(key[2])
    if market is None:
        raise BadSymbol(f"binance has no isolated-margin pair {key[2]}")
    return Symbol(market["symbol"])


def _watched_symbols(holder: list[UserDataSession]) -> set[Symbol]:
    out: set[Symbol] = set()
    for session in holder:
        for consumers in session.watched.values():
            for consumer in consumers:
                out.update(Symbol(s) for s in consumer.split(",") if s)
    return out
