"""What every group of public methods builds on: options, venues, REST, requests, tasks.

:class:`ExchangeBase` declares the state :class:`~client.Binance` sets up in its constructor and
the helpers the method mixins share. It holds no public Binance method except
:meth:`ExchangeBase.connection` (the watches need it to reach the registry).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Mapping
from typing import Any

from ..connection import ConnectionSettings
from ..environments import Endpoints, endpoints_for, normalise_env
from ..http import HttpClient
from ..options import resolve_sub_type, settings_from, snake
from ..registry import ConnectionRegistry
from ..stream_connection import StreamConnection
from ..telemetry import Listener, Telemetry, WireEvent, log_listener
from ..venues import VENUES, Venue, venue, venue_for_type
from ..ws_api_connection import WsApiConnection

__all__ = ["ExchangeBase"]


class ExchangeBase:
    """State and helpers shared by the method mixins (set up by ``Binance.__init__``)."""

    binance_env: str
    base_url: str | None
    mirror: str
    options: dict[str, Any]
    endpoints: Endpoints
    telemetry: Telemetry
    http: HttpClient
    """The REST adapter; replace its ``transport`` to fake HTTP in tests."""
    _registry: ConnectionRegistry
    _tasks: set[asyncio.Task[Any]]
    _verbose_listener: Listener | None
    _verbose_urls: set[str]

    # -- options -----------------------------------------------------------------------------

    def _opts(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """Merge instance options with a call's ``params`` (camelCase or snake_case)."""
        call = snake(params)
        opts = resolve_sub_type({**self.options, **call}, in_call="sub_type" in call)
        if opts.get("verbose") and self._verbose_listener is None:
            wire = log_listener(logging.getLogger("client.wire"), wire=True)
            verbose_urls = self._verbose_urls

            def per_connection(event: WireEvent) -> None:
                if event.url in verbose_urls:
                    wire(event)

            self._verbose_listener = per_connection
            self.telemetry.add(per_connection)
        return opts

    def _mark_verbose(self, url: str, opts: Mapping[str, Any]) -> None:
        """Log the frames of connection ``url`` to ``client.wire`` if this call is verbose."""
        if opts.get("verbose"):
            self._verbose_urls.add(url)

    def _endpoints(self, opts: Mapping[str, Any]) -> Endpoints:
        env = opts.get("binance_env")
        if env is None or normalise_env(str(env)) == self.binance_env:
            return self.endpoints
        return endpoints_for(str(env), opts.get("base_url") or self.base_url, mirror=self.mirror)

    @staticmethod
    def _venue(opts: Mapping[str, Any]) -> Venue:
        """Return the venue whose public data the ``type`` option selects (papi -> USD-M).

        Raises:
            BadRequest: an unknown type.
        """
        return VENUES[venue_for_type(opts.get("type", "spot")).public]

    def _futures_default(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """Return call options whose type is USD-M unless a venue with mark prices was asked
        for (mark prices exist only on futures, so a bare id means the USD-M market)."""
        opts = self._opts(params)
        if not self._venue(opts).mark_prices:
            opts["type"] = "future"
        return opts

    @staticmethod
    def _settings(opts: Mapping[str, Any]) -> ConnectionSettings:
        return settings_from(opts)

    # -- tasks -------------------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        """Run ``coro`` as a task this client owns and cancels on close."""
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- REST --------------------------------------------------------------------------------

    def _rest_base(self, v: Venue, opts: Mapping[str, Any]) -> str:
        return v.rest_base(self._endpoints(opts))

    async def _rest_get(self, url: str, params: Mapping[str, Any] | None, timeout_ms: int) -> Any:
        """``GET url`` through the REST adapter (public endpoints)."""
        return await self.http.get(url, params, timeout=timeout_ms / 1000)

    # -- connections -------------------------------------------------------------------------

    def connection(self, url: str, params: Mapping[str, Any] | None = None) -> StreamConnection:
        """Return the shared market-stream connection for ``url`` (created, not opened, if new)."""
        return self._registry.stream(url, lambda: self._settings(self._opts(params)))

    def _ws_api(self, v: Venue, opts: Mapping[str, Any]) -> WsApiConnection:
        url = v.ws_api_url(self._endpoints(opts))
        return self._registry.ws_api(url, lambda: self._settings(opts))

    async def _request(
        self, venue_name: str, method: str, params: Mapping[str, Any], opts: Mapping[str, Any]
    ) -> Any:
        """Send one WebSocket API request on the venue's connection; return its result."""
        conn = self._ws_api(venue(venue_name), opts)
        self._mark_verbose(conn.url, opts)
        return await conn.request(method, params, float(opts["timeout"]) / 1000)

    def _on_resubscribed(self, conn: StreamConnection, streams: list[str]) -> None:
        """Hook: ``streams`` were re-subscribed on ``conn`` (the book driver resyncs there)."""
