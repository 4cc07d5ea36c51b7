"""The public surface: the :class:`Binance` exchange object.

Watch methods return the next update of a subscription that stays open; ``stream_*`` methods
are async iterators over repeated watches; ``unwatch_*`` methods unsubscribe and wait for the
ACK; ``fetch_*_ws`` methods are WebSocket API requests matched by id. Connections are shared per
URL and visible through :meth:`Binance.connections`, :meth:`Binance.connection_info` and
:meth:`Binance.close_connection`.

Market types: ``spot`` (``BTC/USDT``), ``future`` = USD-M (``BTC/USDT:USDT``), ``delivery`` =
COIN-M (``BTC/USD:BTC``). A unified symbol names its type; a bare Binance id (``BTCUSDT``) and
the all-market streams use the ``type`` option. Each type has its own connections, so a spot
symbol never receives a futures update or the reverse.

This module is the shell: construction and options, lifecycle, the connection registry and
the debug logger. The methods live by concern in :mod:`client.methods`; where each market type
lives, in :mod:`client.venues`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Mapping
from typing import Any

from .credentials import Credentials
from .environments import endpoints_for, normalise_env
from .http import HttpClient
from .methods import (
    AccountMethods,
    BookMethods,
    MarginMethods,
    MarketMethods,
    UserDataMethods,
    WsFetchMethods,
    WsTradingMethods,
)
from .options import DEFAULTS, TIMEFRAMES, snake
from .registry import AnyConnection, ConnectionRegistry
from .server_time import ServerClock
from .telemetry import Listener, Telemetry, log_listener
from .types import Market, Symbol
from .venues import MARKET_TYPES

__all__ = ["MARKET_TYPES", "TIMEFRAMES", "Binance", "binance"]

log = logging.getLogger("client")


class Binance(
    MarketMethods,
    BookMethods,
    WsFetchMethods,
    UserDataMethods,
    AccountMethods,
    WsTradingMethods,
    MarginMethods,
):
    """An asyncio Binance client with the CCXT Pro surface.

    Args:
        config: CCXT-style config: ``apiKey``/``api_key``, ``secret``/``api_secret``,
            ``privateKey``/``private_key`` (RSA or Ed25519 PEM text, or a path to a PEM
            file) with an optional ``password``,
            ``binanceEnv``/``binance_env`` (``prod``, ``testnet``, ``sandbox``, ``demo``,
            ``local``), ``base_url`` (the emulator for ``local``) and ``options`` (default
            call options). Keyword arguments override the config. ``mirror`` (``local``
            only) names the environment whose hosts the emulator URLs keep (default prod).

    Call options (instance ``options``, overridden per call by ``params``; camelCase or
    snake_case): ``binance_env``, ``timeout`` (ms), ``verbose``, ``cache_limit``,
    ``unwatch_on_halt``, ``type`` (``spot``, ``future``, ``delivery``, ``papi``),
    ``recv_window``, ``api_key``/``api_secret``; connection timers ``keepalive``,
    ``keepalive_timeout``, ``backoff_initial``, ``backoff_cap`` (ms), ``reconnect``,
    ``max_streams``, ``control_rate``, applied when a connection is created.

    The environment falls back to ``BINANCE_PRO_ENV`` and then ``prod``. Without credentials
    in the config, those of the environment's own variable family are read
    (:meth:`Credentials.from_env <client.credentials.Credentials.from_env>`). Secrets never
    appear in ``repr``, logs, exceptions or ``connection_info``.
    """

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        *,
        api_key: str | None = None,
        api_secret: str | None = None,
        private_key: str | None = None,
        password: str | None = None,
        binance_env: str | None = None,
        base_url: str | None = None,
        mirror: str | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        cfg = snake(config)
        given = {"api_key": api_key, "api_secret": api_secret, "private_key": private_key}
        creds = Credentials.from_config(
            {**cfg, **{k: v for k, v in given.items() if v is not None}}
        )
        if password is not None:
            creds = Credentials(creds.api_key, creds.secret, creds.private_key, password)
        env = binance_env or cfg.get("binance_env") or os.environ.get("BINANCE_PRO_ENV") or "prod"
        self.binance_env = normalise_env(str(env))
        if not creds.api_key and self.binance_env != "local":
            creds = Credentials.from_env(self.binance_env)
        self.credentials = creds
        self.base_url = base_url or cfg.get("base_url")
        self.mirror = str(mirror or cfg.get("mirror") or "prod")
        self.options = {**DEFAULTS, **snake(cfg.get("options")), **snake(options)}
        self.endpoints = endpoints_for(self.binance_env, self.base_url, mirror=self.mirror)
        self.server_clock = ServerClock(adjust=bool(self.options["adjust_for_time_difference"]))
        self._logon_refused = set()
        self.telemetry = Telemetry()
        self.http = HttpClient(self.telemetry)
        self.markets: dict[Symbol, Market] = {}
        self.markets_by_id: dict[str, Market] = {}
        self._by_type_id = {t: {} for t in MARKET_TYPES}
        self.market_errors = {}
        self._markets_lock = asyncio.Lock()
        self._registry = ConnectionRegistry(self.telemetry, self._on_resubscribed)
        self._tasks = set()
        self._user_data = {}
        self._ud_flights = {}
        self._ud_routers = {}
        self._debug_listener: Listener | None = None
        self._verbose_listener = None
        self._verbose_urls = set()

    @property
    def api_key(self) -> str | None:
        """The instance's API key (None without credentials)."""
        return self.credentials.api_key

    def __repr__(self) -> str:
        key = "set" if self.credentials.api_key else "none"
        return f"<Binance env={self.binance_env} api_key={key} connections={len(self._registry)}>"

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> Binance:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close every connection, background task and the REST session this client opened;
        never raises (what went wrong is logged)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._close_user_data()
        await self._registry.close_all()
        await self.http.close()

    async def ensure_started(self, params: Mapping[str, Any] | None = None) -> None:
        """Load markets (the one start-up step every method needs)."""
        await self.load_markets(params=params)

    # -- registry ----------------------------------------------------------------------------

    def connections(self) -> list[str]:
        """Return the URLs of every connection this client holds."""
        return self._registry.urls()

    def connection_info(self, url_or_connection: str | AnyConnection) -> dict[str, Any]:
        """Return state, waiters, subscriptions, cache sizes and reconnects of a connection."""
        return self._registry.info(url_or_connection)

    async def close_connection(self, url_or_connection: str | AnyConnection) -> None:
        """Close one connection; its waiters fail with ConnectionClosed."""
        await self._registry.close(url_or_connection)

    # -- telemetry ---------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        """Attach a wire-tap listener that receives every :class:`~client.telemetry.WireEvent`."""
        self.telemetry.add(listener)

    def remove_listener(self, listener: Listener) -> None:
        """Detach a wire-tap listener."""
        self.telemetry.remove(listener)

    def attach_debug_logger(self, logger: logging.Logger | None = None) -> Listener:
        """Log lifecycle events (connect, subscribe, ack, reconnect, error, close) at DEBUG."""
        self.detach_debug_logger()
        self._debug_listener = log_listener(logger or log, wire=False)
        self.telemetry.add(self._debug_listener)
        return self._debug_listener

    def detach_debug_logger(self) -> None:
        """Stop the debug logger attached by :meth:`attach_debug_logger`."""
        if self._debug_listener is not None:
            self.telemetry.remove(self._debug_listener)
            self._debug_listener = None


def binance(config: Mapping[str, Any] | None = None) -> Binance:
    """Construct a :class:`Binance` from a CCXT-style config dict."""
    return Binance(config)
