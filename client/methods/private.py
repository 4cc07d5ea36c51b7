"""What every private method builds on: credentials, the server clock, signed requests.

:class:`PrivateBase` signs a REST request over its exact payload and sends it through the one
REST adapter (:meth:`PrivateBase._signed_rest`), or signs a WebSocket API request over its
sorted parameters (:meth:`PrivateBase._signed_ws`). Both read the clock through
:class:`~client.server_time.ServerClock` (measured once before the first signed request and
again on ``-1021``, then the request is retried once: a ``-1021`` is refused before the
matching engine, so the retry cannot double an order).

An Ed25519 key logs the WebSocket API session on (``session.logon``) as a named restore step,
replayed after every reconnect; requests on a logged-on socket carry only ``timestamp`` and
``recvWindow``. Other keys (and a per-call key that differs from the session's) sign every
request. Per-call ``api_key``/``api_secret`` override the instance's credentials.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..credentials import Credentials
from ..errors import InvalidNonce, NotSupported
from ..protocol.redaction import key_digest
from ..protocol.rest import Method
from ..protocol.signing import KeySigner, rest_params, sign_ws_params
from ..server_time import ServerClock
from ..transport import WebSocket
from ..types import Market
from ..venues import VENUES, Venue, market_venue, venue_for_type
from ..ws_api_connection import WsApiConnection
from .markets import MarketsBase

__all__ = ["PrivateBase"]

_LOGON = "session.logon"


class PrivateBase(MarketsBase):
    """Credentials, the server clock and signed REST / WebSocket API requests."""

    credentials: Credentials
    """The instance's credentials (``apiKey``, ``secret`` or ``privateKey``)."""
    server_clock: ServerClock
    """Binance's clock: the offset signed timestamps add to local time."""
    _logon_refused: set[tuple[str, str]]
    """(WS API URL, API key) pairs whose ``session.logon`` the server does not offer."""

    def _creds(self, opts: Mapping[str, Any]) -> Credentials:
        """The credentials of one call: the instance's, with per-call overrides."""
        key, secret = opts.get("api_key"), opts.get("api_secret")
        return self.credentials.override(
            None if key is None else str(key), None if secret is None else str(secret)
        )

    def check_required_credentials(self, params: Mapping[str, Any] | None = None) -> bool:
        """Return True when a key and a secret or private key are set.

        Raises:
            AuthenticationError: one is missing (CCXT's message).
        """
        self._creds(self._opts(params)).require()
        return True

    def _private_venue(self, opts: Mapping[str, Any], market: Market | None = None) -> Venue:
        """The venue of a private call: the market's (its margin account when ``marginMode``
        or ``type: margin`` asks), else the ``type`` option's."""
        wants_margin = bool(opts.get("margin_mode")) or str(opts.get("type")).lower() in (
            "margin",
            "cross",
        )
        if market is not None:
            v = market_venue(market)
            return VENUES["margin"] if v.name == "spot" and wants_margin else v
        if wants_margin:
            return VENUES["margin"]
        return venue_for_type(opts.get("type", "spot"))

    @staticmethod
    def _recv_window(opts: Mapping[str, Any]) -> int | float | None:
        rw = opts.get("recv_window")
        return None if rw is None else rw

    # -- the server clock --------------------------------------------------------------------

    async def fetch_time(self, params: Mapping[str, Any] | None = None) -> int:
        """Return Binance's time in ms (``GET /api/v3/time``, ``/fapi/v1/time``, ...)."""
        opts = self._opts(params)
        v = VENUES[self._venue(opts).public]
        raw = await self._rest_get(self._rest_base(v, opts) + "/time", None, int(opts["timeout"]))
        return int(raw["serverTime"])

    def _time_fetcher(self, v: Venue, opts: Mapping[str, Any]) -> Any:
        pub = VENUES[v.public]
        url = self._rest_base(pub, opts) + "/time"
        timeout = int(opts["timeout"])

        async def fetch() -> int:
            raw = await self._rest_get(url, None, timeout)
            return int(raw["serverTime"])

        return fetch

    async def _timestamp_ready(self, v: Venue, opts: Mapping[str, Any]) -> int:
        """Measure the clock offset if it never was; return the generation signed with."""
        clock = self.server_clock
        if clock.adjust and clock.generation == 0:
            await clock.ensure(self._time_fetcher(v, opts))
        return clock.generation

    # -- signed REST ---------------------------------------------------------------------------

    async def _signed_rest(
        self,
        verb: Method,
        v: Venue,
        path: str,
        params: Mapping[str, Any],
        opts: Mapping[str, Any],
        *,
        signed: bool = True,
    ) -> Any:
        """Send a signed (``TRADE``/``USER_DATA``) REST request and return its JSON.

        ``path`` is absolute under the venue's REST host (``/api/v3/order``,
        ``/fapi/v2/account``). GET and DELETE send the query string, POST and PUT a form body
        (as ccxt does; Binance accepts either). ``signed=False`` sends only the key header
        (listen-key endpoints). On ``-1021`` the clock is measured again and the request
        retried once.

        Raises:
            AuthenticationError: no credentials. ExchangeError subclasses: Binance refused.
        """
        creds = self._creds(opts)
        api_key, signer = creds.require(f"{verb} {path}")
        url = v.rest_host(self._endpoints(opts)) + path
        timeout = float(opts["timeout"]) / 1000
        body = dict(params)
        form = verb in ("POST", "PUT")
        if not signed:
            return await self.http.request(
                verb, url, body, timeout=timeout, form=form, api_key=api_key
            )
        for attempt in (1, 2):
            seen = await self._timestamp_ready(v, opts)
            sent = rest_params(
                body, timestamp=self.server_clock.now_ms(), recv_window=self._recv_window(opts)
            )
            try:
                return await self.http.request(
                    verb, url, sent, timeout=timeout, form=form, api_key=api_key, signer=signer
                )
            except InvalidNonce:
                if attempt == 2 or not self.server_clock.adjust:
                    raise
                await self.server_clock.remeasure(self._time_fetcher(v, opts), seen)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- signed WebSocket API ------------------------------------------------------------------

    async def _signed_ws(
        self, v: Venue, method: str, params: Mapping[str, Any], opts: Mapping[str, Any]
    ) -> Any:
        """Send a signed WebSocket API request on the venue's connection; return its result.

        With an Ed25519 key the session is logged on first (and after every reconnect);
        then requests carry no ``apiKey``/``signature``. On ``-1021`` the clock is measured
        again and the request retried once.

        Raises:
            AuthenticationError: no credentials. ExchangeError subclasses: Binance refused.
            RequestInterrupted: the socket dropped with the request in flight.
        """
        creds = self._creds(opts)
        api_key, signer = creds.require(method)
        conn = self._ws_api(v, opts)
        self._mark_verbose(conn.url, opts)
        timeout = float(opts["timeout"]) / 1000
        recv_window = self._recv_window(opts)
        body = dict(params)
        if signer.can_logon and opts.get("ws_logon", True):
            await self._ensure_logon(conn, v, creds, opts)
        clock = self.server_clock

        def build(session_key: str | None) -> dict[str, Any]:
            if session_key == api_key:
                return sign_ws_params(body, timestamp=clock.now_ms(), recv_window=recv_window)
            return sign_ws_params(
                body,
                timestamp=clock.now_ms(),
                recv_window=recv_window,
                api_key=api_key,
                signer=signer,
            )

        for attempt in (1, 2):
            seen = await self._timestamp_ready(v, opts)
            try:
                return await conn.request(method, None, timeout, build=build)
            except InvalidNonce:
                if attempt == 2 or not clock.adjust:
                    raise
                await clock.remeasure(self._time_fetcher(v, opts), seen)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _ensure_logon(
        self, conn: WsApiConnection, v: Venue, creds: Credentials, opts: Mapping[str, Any]
    ) -> None:
        """Log ``conn`` on with ``creds`` (``session.logon``) and keep that as a restore step.

        The connection keeps one logon; a call with other credentials signs its requests
        instead of switching the session's key under the requests of others.
        """
        api_key, signer = creds.require(_LOGON)
        if conn.session_key == api_key or (conn.url, api_key) in self._logon_refused:
            return
        name = f"{_LOGON}:{key_digest(api_key)}"  # connection_info shows it: no key there
        if any(n.startswith(_LOGON) and n != name for n in conn.info()["restore_steps"]):
            return  # logged on (or logging on) with another key: sign instead
        await self._timestamp_ready(v, opts)
        step = self._logon_step(api_key, signer, v, opts)
        try:
            await conn.add_restore_step(name, step, float(opts["timeout"]) / 1000)
        except NotSupported:
            # this server offers no session.logon: every request signs itself instead
            conn.remove_restore_step(name)
            self._logon_refused.add((conn.url, api_key))
        except BaseException:
            conn.remove_restore_step(name)
            raise

    def _logon_step(
        self, api_key: str, signer: KeySigner, v: Venue, opts: Mapping[str, Any]
    ) -> Any:
        """A restore step that sends a freshly signed ``session.logon`` on a new socket."""

        async def logon(conn: WsApiConnection, ws: WebSocket) -> None:
            result = await self._signed_on(conn, ws, _LOGON, api_key, signer, v, opts)
            key = result.get("apiKey") if isinstance(result, dict) else None
            conn.logged_on(ws, str(key) if key else api_key)

        return logon

    async def _signed_on(
        self,
        conn: WsApiConnection,
        ws: WebSocket,
        method: str,
        api_key: str,
        signer: KeySigner,
        v: Venue,
        opts: Mapping[str, Any],
    ) -> Any:
        """Send ``method`` (no params of its own) signed afresh on socket ``ws``, as a restore
        step does (``session.logon``, ``userDataStream.subscribe.signature``); on ``-1021``
        the clock is measured again and it is sent once more.

        Raises:
            ExchangeError subclasses: Binance refused. RequestInterrupted, RequestTimeout.
        """
        clock = self.server_clock
        for attempt in (1, 2):
            seen = clock.generation
            params = sign_ws_params(
                {},
                timestamp=clock.now_ms(),
                recv_window=self._recv_window(opts),
                api_key=api_key,
                signer=signer,
            )
            try:
                return await conn.request_on(ws, method, params, float(opts["timeout"]) / 1000)
            except InvalidNonce:
                if attempt == 2 or not clock.adjust:
                    raise
                await clock.remeasure(self._time_fetcher(v, opts), seen)
        raise AssertionError("unreachable")  # pragma: no cover
