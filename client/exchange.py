"""The public surface: the :class:`Binance` exchange object.

Watch methods return the next update of a subscription that stays open; ``stream_*`` methods
are async iterators over repeated watches; ``unwatch_*`` methods unsubscribe and wait for the
ACK. Connections are shared per URL and visible through :meth:`Binance.connections`,
:meth:`Binance.connection_info` and :meth:`Binance.close_connection`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import orjson

from .connection import StreamConnection
from .environments import Endpoints, endpoints_for, normalise_env
from .errors import (
    BadSymbol,
    BaseError,
    ExchangeNotAvailable,
    NetworkError,
    RequestTimeout,
    error_from_binance,
)
from .protocol.parsers import parse_market, parse_ticker
from .telemetry import Listener, Telemetry, WireEvent, redact
from .types import Market, Symbol, Ticker

__all__ = ["Binance", "binance"]

log = logging.getLogger("client")

_DEFAULTS: dict[str, Any] = {
    "timeout": 10_000,  # ms, for every request and watch
    "unwatch_on_halt": False,
    "verbose": False,
    "cache_limit": 1000,
    "type": "spot",
}
_CAMEL = {
    "binanceEnv": "binance_env",
    "unwatchOnHalt": "unwatch_on_halt",
    "cacheLimit": "cache_limit",
    "recvWindow": "recv_window",
    "apiKey": "api_key",
    "secret": "api_secret",
    "apiSecret": "api_secret",
    "baseUrl": "base_url",
}


def _snake(options: Mapping[str, Any] | None) -> dict[str, Any]:
    return {_CAMEL.get(k, k): v for k, v in (options or {}).items()}


class Binance:
    """An asyncio Binance client with the CCXT Pro surface.

    Args:
        config: CCXT-style config: ``apiKey``/``api_key``, ``secret``/``api_secret``,
            ``binanceEnv``/``binance_env`` (``prod``, ``testnet``, ``sandbox``, ``demo``,
            ``local``), ``base_url`` (the emulator for ``local``) and ``options`` (default
            call options). Keyword arguments override the config. ``mirror`` (``local``
            only) names the environment whose hosts the emulator URLs keep (default prod).

    The environment falls back to ``BINANCE_PRO_ENV`` and then ``prod``.
    """

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        *,
        api_key: str | None = None,
        api_secret: str | None = None,
        binance_env: str | None = None,
        base_url: str | None = None,
        mirror: str | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        cfg = _snake(config)
        self.api_key = api_key or cfg.get("api_key")
        self._secret = api_secret or cfg.get("api_secret")
        env = binance_env or cfg.get("binance_env") or os.environ.get("BINANCE_PRO_ENV") or "prod"
        self.binance_env = normalise_env(str(env))
        self.base_url = base_url or cfg.get("base_url")
        self.mirror = str(mirror or cfg.get("mirror") or "prod")
        self.options: dict[str, Any] = {
            **_DEFAULTS,
            **_snake(cfg.get("options")),
            **_snake(options),
        }
        self.endpoints: Endpoints = endpoints_for(
            self.binance_env, self.base_url, mirror=self.mirror
        )
        self.telemetry = Telemetry()
        self.markets: dict[Symbol, Market] = {}
        self.markets_by_id: dict[str, Market] = {}
        self._markets_lock = asyncio.Lock()
        self._connections: dict[str, StreamConnection] = {}
        self._session: aiohttp.ClientSession | None = None
        self._debug_listener: Listener | None = None
        self._verbose_listener: Listener | None = None

    def __repr__(self) -> str:
        key = "set" if self.api_key else "none"
        return (
            f"<Binance env={self.binance_env} api_key={key} connections={len(self._connections)}>"
        )

    # -- options -----------------------------------------------------------------------------

    def _opts(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        opts = {**self.options, **_snake(params)}
        if opts.get("verbose") and self._verbose_listener is None:
            self._verbose_listener = self._make_logger(logging.getLogger("client.wire"), wire=True)
            self.telemetry.add(self._verbose_listener)
        return opts

    def _endpoints(self, opts: Mapping[str, Any]) -> Endpoints:
        env = opts.get("binance_env")
        if env is None or normalise_env(str(env)) == self.binance_env:
            return self.endpoints
        return endpoints_for(str(env), opts.get("base_url") or self.base_url, mirror=self.mirror)

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> Binance:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close every connection and the REST session this client opened."""
        for conn in list(self._connections.values()):
            await conn.close()
        self._connections.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def ensure_started(self) -> None:
        """Load markets (the one start-up step every method needs)."""
        await self.load_markets()

    # -- REST --------------------------------------------------------------------------------

    async def _rest_get(self, url: str, params: Mapping[str, str] | None, timeout_ms: int) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        self.telemetry.emit("send", url, f"GET {url} {dict(params or {})}")
        try:
            async with self._session.get(
                url, params=params, timeout=aiohttp.ClientTimeout(total=timeout_ms / 1000)
            ) as r:
                body = await r.read()
                status = r.status
        except TimeoutError as exc:
            raise RequestTimeout(f"GET {url}: no answer within {timeout_ms} ms") from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"GET {url}: {type(exc).__name__}: {exc}") from exc
        try:
            data = orjson.loads(body) if body else None
        except orjson.JSONDecodeError:
            data = None
        if status >= 400:
            if isinstance(data, dict) and "code" in data:
                raise error_from_binance(
                    data.get("code"), data.get("msg"), status=status, context=f"GET {url}"
                )
            if status >= 500:
                raise ExchangeNotAvailable(f"GET {url}: HTTP {status}")
            raise error_from_binance(
                None,
                redact(body[:200].decode(errors="replace")),
                status=status,
                context=f"GET {url}",
            )
        return data

    async def load_markets(
        self, reload: bool = False, params: Mapping[str, Any] | None = None
    ) -> dict[Symbol, Market]:
        """Load spot markets once from ``GET /api/v3/exchangeInfo`` and cache them."""
        opts = self._opts(params)
        async with self._markets_lock:
            if self.markets and not reload:
                return self.markets
            url = self._endpoints(opts).spot_rest + "/api/v3/exchangeInfo"
            data = await self._rest_get(url, None, int(opts["timeout"]))
            markets = [
                parse_market(s)
                for s in data.get("symbols", [])
                if "baseAsset" in s and "quoteAsset" in s
            ]
            self.markets = {m["symbol"]: m for m in markets}
            self.markets_by_id = {m["id"]: m for m in markets}
            return self.markets

    async def market(self, symbol: str) -> Market:
        """Return the market of a CCXT symbol (``BTC/USDT``) or a Binance id (``BTCUSDT``).

        Raises:
            BadSymbol: the symbol is not among the loaded markets.
        """
        await self.load_markets()
        m = self.markets.get(Symbol(symbol)) or self.markets_by_id.get(symbol)
        if m is None:
            raise BadSymbol(f"binance does not have market symbol {symbol}")
        return m

    # -- connections -------------------------------------------------------------------------

    def connection(self, url: str) -> StreamConnection:
        """Return the shared connection for ``url`` (created, not yet opened, if new)."""
        conn = self._connections.get(url)
        if conn is None:
            conn = StreamConnection(url, self.telemetry)
            self._connections[url] = conn
        return conn

    def connections(self) -> list[str]:
        """Return the URLs of every connection this client holds."""
        return list(self._connections)

    def _resolve_conn(self, url_or_connection: str | StreamConnection) -> StreamConnection:
        if isinstance(url_or_connection, StreamConnection):
            return url_or_connection
        conn = self._connections.get(url_or_connection)
        if conn is None:
            raise KeyError(f"no connection for {url_or_connection!r}; have {self.connections()}")
        return conn

    def connection_info(self, url_or_connection: str | StreamConnection) -> dict[str, Any]:
        """Return state, waiters, subscriptions, cache sizes and reconnects of a connection."""
        return self._resolve_conn(url_or_connection).info()

    async def close_connection(self, url_or_connection: str | StreamConnection) -> None:
        """Close one connection; its waiters fail with ConnectionClosed."""
        conn = self._resolve_conn(url_or_connection)
        await conn.close()
        self._connections.pop(conn.url, None)

    # -- telemetry ---------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        """Attach a wire-tap listener that receives every :class:`~client.telemetry.WireEvent`."""
        self.telemetry.add(listener)

    def remove_listener(self, listener: Listener) -> None:
        """Detach a wire-tap listener."""
        self.telemetry.remove(listener)

    @staticmethod
    def _make_logger(logger: logging.Logger, *, wire: bool) -> Listener:
        def listener(event: WireEvent) -> None:
            if not wire and event.kind in ("send", "recv"):
                return
            extra = f" {event.detail}" if event.detail else ""
            logger.debug("%s %s %s%s", event.kind, event.url, event.text, extra)

        return listener

    def attach_debug_logger(self, logger: logging.Logger | None = None) -> Listener:
        """Log lifecycle events (connect, subscribe, ack, error, close) at DEBUG level."""
        self.detach_debug_logger()
        self._debug_listener = self._make_logger(logger or log, wire=False)
        self.telemetry.add(self._debug_listener)
        return self._debug_listener

    def detach_debug_logger(self) -> None:
        """Stop the debug logger attached by :meth:`attach_debug_logger`."""
        if self._debug_listener is not None:
            self.telemetry.remove(self._debug_listener)
            self._debug_listener = None

    # -- watch machinery ---------------------------------------------------------------------

    def _stream_url(self, opts: Mapping[str, Any]) -> str:
        # the combined endpoint: every event names its stream, so routing needs no guessing
        return self._endpoints(opts).spot_streams + "/stream"

    async def _watch(self, stream: str, opts: Mapping[str, Any]) -> Any:
        timeout = float(opts["timeout"]) / 1000
        deadline = time.monotonic() + timeout
        conn = self.connection(self._stream_url(opts))
        await conn.ensure_open()
        fut = conn.next_data(stream)
        try:
            await conn.subscribe(stream, timeout)
            remaining = max(0.0, deadline - time.monotonic())
            return await asyncio.wait_for(asyncio.shield(fut), remaining)
        except TimeoutError:
            raise RequestTimeout(f"{stream}: no update within {int(timeout * 1000)} ms") from None
        finally:
            if not fut.done():
                conn.drop_waiter(stream, fut)
                fut.cancel()

    async def _unwatch(self, stream: str, opts: Mapping[str, Any]) -> None:
        conn = self.connection(self._stream_url(opts))
        await conn.ensure_open()
        await conn.unsubscribe(stream, float(opts["timeout"]) / 1000)

    # -- public: ticker ----------------------------------------------------------------------

    async def watch_ticker(self, symbol: str, params: Mapping[str, Any] | None = None) -> Ticker:
        """Return the next 24 h ticker of ``symbol`` (stream ``<symbol>@ticker``).

        Raises:
            BadSymbol: unknown symbol. RequestTimeout: no ACK or update within ``timeout``.
            NetworkError: the connection failed. BadRequest: the server refused the stream.
        """
        opts = self._opts(params)
        m = await self.market(symbol)
        raw = await self._watch(f"{m['id'].lower()}@ticker", opts)
        return parse_ticker(raw, m["symbol"])

    async def unwatch_ticker(self, symbol: str, params: Mapping[str, Any] | None = None) -> None:
        """Unsubscribe ``<symbol>@ticker`` and wait for the ACK.

        Pending watchers of the ticker fail with UnsubscribeError.
        """
        opts = self._opts(params)
        m = await self.market(symbol)
        await self._unwatch(f"{m['id'].lower()}@ticker", opts)

    async def stream_ticker(
        self, symbol: str, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[Ticker]:
        """Yield every ticker update of ``symbol`` (repeated :meth:`watch_ticker`).

        With ``unwatch_on_halt`` the subscription is unwatched when the iteration ends
        (``break``, ``aclose()``, cancellation); wrap the iterator in
        ``contextlib.aclosing`` to make that happen at the ``break`` itself. Errors are
        raised from the iterator; to keep going after a transient one, catch
        :class:`~client.errors.NetworkError` and start a new iteration.
        """
        opts = self._opts(params)
        try:
            while True:
                yield await self.watch_ticker(symbol, params)
        finally:
            if opts.get("unwatch_on_halt"):
                with contextlib.suppress(BaseError, KeyError):
                    await self.unwatch_ticker(symbol, params)


def binance(config: Mapping[str, Any] | None = None) -> Binance:
    """Construct a :class:`Binance` from a CCXT-style config dict."""
    return Binance(config)
