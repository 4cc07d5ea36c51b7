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
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import Any, TypeVar

import aiohttp
import orjson

from .connection import ConnectionSettings, StreamConnection, WsApiConnection
from .environments import Endpoints, endpoints_for, normalise_env
from .errors import (
    ArgumentsRequired,
    BadRequest,
    BadSymbol,
    BaseError,
    BookSyncError,
    ExchangeNotAvailable,
    NetworkError,
    NotSupported,
    RequestTimeout,
    UnsubscribeError,
    error_from_binance,
)
from .protocol.channels import (
    BookChannel,
    Channel,
    LiquidationChannel,
    OHLCVChannel,
    TickerChannel,
    TradesChannel,
)
from .protocol.parsers import parse_market, parse_ohlcv, parse_order_book, parse_ticker, parse_trade
from .telemetry import Listener, Telemetry, WireEvent, redact
from .types import OHLCV, Liquidation, Market, OrderBook, Symbol, Ticker, Trade

__all__ = ["MARKET_TYPES", "TIMEFRAMES", "Binance", "binance"]

log = logging.getLogger("client")

T = TypeVar("T")

MARKET_TYPES = ("spot", "future", "delivery")
"""Market types with public data: spot, USD-M (``future``) and COIN-M (``delivery``)."""

TIMEFRAMES = (
    "1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M".split()  # noqa: SIM905
)

_DEFAULTS: dict[str, Any] = {
    "timeout": 10_000,  # ms, for every request and watch
    "unwatch_on_halt": False,
    "verbose": False,
    "cache_limit": 1000,
    "type": "spot",
    "recv_window": 5000,
    "keepalive": 20_000,  # ms between our pings
    "keepalive_timeout": 20_000,  # ms without pong before the peer counts as dead
    "reconnect": True,
    "backoff_initial": 100,  # ms
    "backoff_cap": 30_000,  # ms
    "max_streams": 1024,
    "control_rate": 5,
    "book_depth": 1000,  # snapshot limit for watch_order_book
    "max_size": 16 * 1024 * 1024,  # bytes; a bigger message fails the socket with 1009
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
    "defaultType": "type",
    "keepAlive": "keepalive",
    "keepaliveTimeout": "keepalive_timeout",
    "maxStreams": "max_streams",
    "controlRate": "control_rate",
    "backoffInitial": "backoff_initial",
    "backoffCap": "backoff_cap",
    "bookDepth": "book_depth",
    "maxSize": "max_size",
}
_TYPE_ALIASES = {
    "spot": "spot",
    "future": "future",
    "swap": "future",
    "linear": "future",
    "usdm": "future",
    "delivery": "delivery",
    "inverse": "delivery",
    "coinm": "delivery",
    "papi": "papi",
}
# USD-M routes high-frequency book data to /public and everything else to /market
_USDM_PUBLIC = frozenset({"depth", "bookTicker", "trade"})
_DEPTH_LIMITS = (5, 10, 20, 50, 100, 500, 1000, 5000)


def _snake(options: Mapping[str, Any] | None) -> dict[str, Any]:
    return {_CAMEL.get(k, k): v for k, v in (options or {}).items()}


def _ignore_gap(ch: BookChannel) -> None:
    """Placeholder until :meth:`Binance._watch` binds the channel to its connection."""


def _market_type(m: Market) -> str:
    if m["spot"]:
        return "spot"
    return "future" if m["linear"] else "delivery"


class Binance:
    """An asyncio Binance client with the CCXT Pro surface.

    Args:
        config: CCXT-style config: ``apiKey``/``api_key``, ``secret``/``api_secret``,
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
        self._by_type_id: dict[str, dict[str, Market]] = {t: {} for t in MARKET_TYPES}
        self.market_errors: dict[str, BaseError] = {}
        self._markets_lock = asyncio.Lock()
        self._connections: dict[str, StreamConnection | WsApiConnection] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._session: aiohttp.ClientSession | None = None
        self._debug_listener: Listener | None = None
        self._verbose_listener: Listener | None = None
        self._verbose_urls: set[str] = set()

    def __repr__(self) -> str:
        key = "set" if self.api_key else "none"
        return (
            f"<Binance env={self.binance_env} api_key={key} connections={len(self._connections)}>"
        )

    # -- options -----------------------------------------------------------------------------

    def _opts(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        opts = {**self.options, **_snake(params)}
        if opts.get("verbose") and self._verbose_listener is None:
            wire = self._make_logger(logging.getLogger("client.wire"), wire=True)
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
    def _type(opts: Mapping[str, Any]) -> str:
        t = _TYPE_ALIASES.get(str(opts.get("type", "spot")).lower())
        if t is None:
            raise BadRequest(f"unknown type {opts.get('type')!r}; expected spot, future, delivery")
        # portfolio margin has no public market data of its own: its markets are USD-M's
        return "future" if t == "papi" else t

    def _futures_default(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """Return call options whose type is USD-M unless a futures type was asked for
        (mark prices exist only on futures, so a bare id means the USD-M market)."""
        opts = self._opts(params)
        if self._type(opts) == "spot":
            opts["type"] = "future"
        return opts

    @staticmethod
    def _settings(opts: Mapping[str, Any]) -> ConnectionSettings:
        def sec(key: str) -> float | None:
            v = opts.get(key)
            return None if v is None else float(v) / 1000

        return ConnectionSettings(
            open_timeout=float(opts["timeout"]) / 1000,
            keepalive=sec("keepalive"),
            keepalive_timeout=sec("keepalive_timeout"),
            reconnect=bool(opts.get("reconnect", True)),
            backoff_initial=float(opts["backoff_initial"]) / 1000,
            backoff_cap=float(opts["backoff_cap"]) / 1000,
            max_streams=int(opts["max_streams"]),
            control_rate=float(opts["control_rate"]),
            max_size=int(opts["max_size"]),
        )

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> Binance:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close every connection, background task and the REST session this client opened."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for conn in list(self._connections.values()):
            await conn.close()
        self._connections.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def ensure_started(self, params: Mapping[str, Any] | None = None) -> None:
        """Load markets (the one start-up step every method needs)."""
        await self.load_markets(params=params)

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        """Run ``coro`` as a task this client owns and cancels on :meth:`close`."""
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- REST --------------------------------------------------------------------------------

    async def _rest_get(self, url: str, params: Mapping[str, Any] | None, timeout_ms: int) -> Any:
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

    def _rest_base(self, mtype: str, opts: Mapping[str, Any]) -> str:
        ep = self._endpoints(opts)
        return {
            "spot": ep.spot_rest + "/api/v3",
            "future": ep.usdm_rest + "/fapi/v1",
            "delivery": ep.coinm_rest + "/dapi/v1",
        }[mtype]

    async def load_markets(
        self, reload: bool = False, params: Mapping[str, Any] | None = None
    ) -> dict[Symbol, Market]:
        """Load markets once from ``GET /api/v3/exchangeInfo``, ``/fapi/v1/exchangeInfo`` and
        ``/dapi/v1/exchangeInfo`` (concurrently) and cache them.

        A market type whose exchangeInfo fails is left out (its error is kept in
        ``market_errors`` and raised when one of its symbols is used); when every type fails,
        the first error is raised.
        """
        opts = self._opts(params)
        async with self._markets_lock:
            if self.markets and not reload:
                return self.markets
            timeout = int(opts["timeout"])
            results = await asyncio.gather(
                *(
                    self._rest_get(self._rest_base(t, opts) + "/exchangeInfo", None, timeout)
                    for t in MARKET_TYPES
                ),
                return_exceptions=True,
            )
            markets: list[Market] = []
            errors: dict[str, BaseError] = {}
            for mtype, data in zip(MARKET_TYPES, results, strict=True):
                if isinstance(data, BaseException):
                    if not isinstance(data, BaseError):
                        raise data
                    errors[mtype] = data
                    continue
                markets.extend(
                    parse_market(s, mtype)
                    for s in data.get("symbols", [])
                    if "baseAsset" in s and "quoteAsset" in s
                )
            if len(errors) == len(MARKET_TYPES):
                raise errors["spot"]
            self.market_errors = errors
            self.markets = {m["symbol"]: m for m in markets}
            self._by_type_id = {t: {} for t in MARKET_TYPES}
            for m in markets:
                self._by_type_id[_market_type(m)][m["id"]] = m
            self.markets_by_id = dict(self._by_type_id["spot"])
            return self.markets

    async def market(self, symbol: str, params: Mapping[str, Any] | None = None) -> Market:
        """Return the market of a CCXT symbol (``BTC/USDT``) or a Binance id (``BTCUSDT``).

        A bare id is looked up among the markets of the ``type`` option (spot by default).

        Raises:
            BadSymbol: the symbol is not among the loaded markets.
        """
        opts = self._opts(params)
        await self.load_markets()
        m = self.markets.get(Symbol(symbol))
        if m is None:
            mtype = self._type(opts)
            m = self._by_type_id[mtype].get(symbol.upper())
            if m is None and mtype in self.market_errors:
                raise BadSymbol(
                    f"binance {mtype} markets are unavailable ({self.market_errors[mtype]}); "
                    f"cannot resolve {symbol}"
                )
        if m is None:
            raise BadSymbol(f"binance does not have market symbol {symbol}")
        return m

    async def _markets(self, symbols: Sequence[str], opts: Mapping[str, Any]) -> list[Market]:
        ms = [await self.market(s, opts) for s in symbols]
        if len({_market_type(m) for m in ms}) > 1:
            raise BadRequest("symbols must all be of one market type (spot, USD-M or COIN-M)")
        return ms

    # -- connections -------------------------------------------------------------------------

    def connection(self, url: str, params: Mapping[str, Any] | None = None) -> StreamConnection:
        """Return the shared market-stream connection for ``url`` (created, not opened, if new)."""
        conn = self._connections.get(url)
        if isinstance(conn, StreamConnection):
            return conn
        if conn is not None:
            raise BadRequest(f"{url} is a WebSocket API connection")
        conn = StreamConnection(
            url,
            self.telemetry,
            self._settings(self._opts(params)),
            on_resubscribed=self._on_resubscribed,
        )
        self._connections[url] = conn
        return conn

    def _ws_api(self, mtype: str, opts: Mapping[str, Any]) -> WsApiConnection:
        ep = self._endpoints(opts)
        url = {"spot": ep.spot_ws_api, "future": ep.usdm_ws_api, "delivery": ep.coinm_ws_api}[mtype]
        conn = self._connections.get(url)
        if not isinstance(conn, WsApiConnection):
            conn = WsApiConnection(url, self.telemetry, self._settings(opts))
            self._connections[url] = conn
        return conn

    def connections(self) -> list[str]:
        """Return the URLs of every connection this client holds."""
        return list(self._connections)

    def _resolve_conn(
        self, url_or_connection: str | StreamConnection | WsApiConnection
    ) -> StreamConnection | WsApiConnection:
        if not isinstance(url_or_connection, str):
            return url_or_connection
        conn = self._connections.get(url_or_connection)
        if conn is None:
            raise KeyError(f"no connection for {url_or_connection!r}; have {self.connections()}")
        return conn

    def connection_info(
        self, url_or_connection: str | StreamConnection | WsApiConnection
    ) -> dict[str, Any]:
        """Return state, waiters, subscriptions, cache sizes and reconnects of a connection."""
        return self._resolve_conn(url_or_connection).info()

    async def close_connection(
        self, url_or_connection: str | StreamConnection | WsApiConnection
    ) -> None:
        """Close one connection; its waiters fail with ConnectionClosed."""
        conn = self._resolve_conn(url_or_connection)
        await conn.close()
        self._connections.pop(conn.url, None)

    def _stream_base(self, mtype: str, channel: str, opts: Mapping[str, Any]) -> str:
        ep = self._endpoints(opts)
        if mtype == "spot":
            return ep.spot_streams + "/stream"
        if mtype == "delivery":
            return ep.coinm_streams + "/stream"
        category = "public" if channel in _USDM_PUBLIC else "market"
        return f"{ep.usdm_streams}/{category}/stream"

    def _stream_conn(
        self, base: str, streams: list[str], opts: Mapping[str, Any]
    ) -> StreamConnection:
        """Pick the connection of ``base`` that carries ``streams`` or has room for them.

        Binance allows 1024 streams per connection; further streams go to ``base?c=N``.
        """
        if len(streams) > int(opts["max_streams"]):
            raise BadRequest(f"{len(streams)} streams exceed max_streams={opts['max_streams']}")
        n = 0
        while True:
            url = base if n == 0 else f"{base}?c={n}"
            conn = self._connections.get(url)
            if conn is None:
                return self.connection(url, opts)
            if isinstance(conn, StreamConnection) and (
                any(s in conn.channels for s in streams) or conn.has_room(streams)
            ):
                return conn
            n += 1

    def _find_stream(self, stream: str) -> StreamConnection | None:
        for conn in self._connections.values():
            if isinstance(conn, StreamConnection) and stream in conn.channels:
                return conn
        return None

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
        """Log lifecycle events (connect, subscribe, ack, reconnect, error, close) at DEBUG."""
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

    async def _watch(
        self,
        base: str,
        specs: Mapping[str, Callable[[], Channel]],
        opts: Mapping[str, Any],
    ) -> tuple[StreamConnection, str]:
        """Subscribe ``specs`` (stream -> channel factory) and wait for the next update.

        Returns the connection and the stream that fired.
        """
        timeout = float(opts["timeout"]) / 1000
        deadline = asyncio.get_running_loop().time() + timeout
        streams = list(specs)
        conn = self._stream_conn(base, streams, opts)
        self._mark_verbose(conn.url, opts)
        await conn.ensure_open()
        for stream, factory in specs.items():
            if stream not in conn.channels:
                ch = conn.channels[stream] = factory()
                if isinstance(ch, BookChannel):
                    ch.on_gap = self._on_gap(conn, stream, opts)
        fut = conn.waiter(streams)
        try:
            await conn.subscribe(streams, timeout)
            for stream in streams:
                book = conn.channels.get(stream)
                if isinstance(book, BookChannel):
                    self._ensure_snapshot(conn, stream, book, opts)
            async with asyncio.timeout_at(deadline):
                return conn, await asyncio.shield(fut)
        except TimeoutError:
            what = " ".join(streams)
            raise RequestTimeout(f"{what}: no update within {int(timeout * 1000)} ms") from None
        finally:
            conn.drop_waiter(streams, fut)
            if not fut.done():
                fut.cancel()

    async def _unwatch_symbols(
        self,
        symbols: Sequence[str] | None,
        suffix: str,
        all_stream: str | None,
        opts: Mapping[str, Any],
    ) -> None:
        """Unsubscribe ``<symbol>@<suffix>`` for each symbol, or ``all_stream`` without any."""
        if not symbols:
            if all_stream is None:
                raise ArgumentsRequired(f"unwatching {suffix} needs a list of symbols")
            await self._unwatch([all_stream], opts)
            return
        ms = await self._markets(symbols, opts)
        await self._unwatch([f"{m['id'].lower()}@{suffix}" for m in ms], opts)

    async def _unwatch(self, streams: list[str], opts: Mapping[str, Any]) -> None:
        by_conn: dict[str, tuple[StreamConnection, list[str]]] = {}
        for s in streams:
            conn = self._find_stream(s)
            if conn is None:
                raise UnsubscribeError(f"{s} is not subscribed")
            by_conn.setdefault(conn.url, (conn, []))[1].append(s)
        for conn, names in by_conn.values():
            await conn.unsubscribe(names, float(opts["timeout"]) / 1000)

    # -- order book sync ---------------------------------------------------------------------

    def _ensure_snapshot(
        self, conn: StreamConnection, stream: str, ch: BookChannel, opts: Mapping[str, Any]
    ) -> None:
        if ch.sync.needs_snapshot:
            ch.sync.fetching = True
            self._spawn(self._sync_book(conn, stream, ch, opts), name=f"client.snapshot {stream}")

    async def _sync_book(
        self, conn: StreamConnection, stream: str, ch: BookChannel, opts: Mapping[str, Any]
    ) -> None:
        """Fetch snapshots (``GET /api/v3/depth``, ``/fapi/v1/depth``, ``/dapi/v1/depth``) until
        the book syncs; up to three stale snapshots in a row, then the waiters fail."""
        m = ch.market
        depth = int(opts.get("book_depth") or 1000)
        limit = min((x for x in _DEPTH_LIMITS if x >= depth), default=1000)
        if not m["spot"]:
            limit = min(limit, 1000)
        url = self._rest_base(_market_type(m), opts) + "/depth"
        try:
            for _ in range(3):
                ch.sync.fetching = True
                epoch = ch.sync.epoch
                raw = await self._rest_get(
                    url, {"symbol": m["id"], "limit": str(limit)}, int(opts["timeout"])
                )
                if conn.channels.get(stream) is not ch or ch.sync.epoch != epoch:
                    return  # unwatched, or reset by a reconnect that fetches its own snapshot
                if ch.sync.on_snapshot(raw):
                    self.telemetry.emit("ack", conn.url, f"{stream} synced at {ch.sync.nonce}")
                    conn.wake(stream)
                    return
                self.telemetry.emit("error", conn.url, f"{stream}: stale snapshot, refetching")
            ch.sync.fetching = False
            conn.fail_waiters(stream, BookSyncError(f"{stream}: three stale snapshots in a row"))
        except BaseError as err:
            ch.sync.fetching = False
            conn.fail_waiters(stream, err)

    def _on_gap(
        self, conn: StreamConnection, stream: str, opts: Mapping[str, Any]
    ) -> Callable[[BookChannel], None]:
        def on_gap(ch: BookChannel) -> None:
            self.telemetry.emit("error", conn.url, f"{stream}: gap at {ch.sync.resyncs}, resync")
            self._ensure_snapshot(conn, stream, ch, opts)

        return on_gap

    def _on_resubscribed(self, conn: StreamConnection, streams: list[str]) -> None:
        for stream in streams:
            ch = conn.channels.get(stream)
            if isinstance(ch, BookChannel):
                self._ensure_snapshot(conn, stream, ch, self.options)

    # -- helpers for the public methods ------------------------------------------------------

    def _lookup(self, mtype: str) -> Callable[[str], Market | None]:
        return self._by_type_id[mtype].get

    def _ticker_specs(
        self, ms: list[Market], kind: str, stream_of: Callable[[Market], str]
    ) -> dict[str, Callable[[], Channel]]:
        specs: dict[str, Callable[[], Channel]] = {}
        for m in ms:
            lookup = self._lookup(_market_type(m))
            specs[stream_of(m)] = lambda m=m, lookup=lookup: TickerChannel(kind, m, lookup)  # type: ignore[misc]
        return specs

    async def _watch_tickers(
        self,
        symbols: Sequence[str] | None,
        kind: str,
        suffix: str,
        all_stream: str | None,
        opts: dict[str, Any],
    ) -> dict[Symbol, Ticker]:
        if symbols:
            ms = await self._markets(symbols, opts)
            mtype = _market_type(ms[0])
            specs = self._ticker_specs(ms, kind, lambda m: f"{m['id'].lower()}@{suffix}")
        else:
            await self.load_markets()
            mtype = self._type(opts)
            if all_stream is None:
                raise ArgumentsRequired(f"{kind} on {mtype} needs a list of symbols")
            lookup = self._lookup(mtype)
            specs = {all_stream: lambda: TickerChannel(kind, None, lookup)}
        base = self._stream_base(mtype, kind, opts)
        conn, fired = await self._watch(base, specs, opts)
        ch = conn.channels.get(fired)
        if not isinstance(ch, TickerChannel):
            return {}
        return {s: ch.last[s] for s in ch.updated if s in ch.last}

    # -- public: tickers ---------------------------------------------------------------------

    async def watch_ticker(self, symbol: str, params: Mapping[str, Any] | None = None) -> Ticker:
        """Return the next 24 h ticker of ``symbol`` (stream ``<symbol>@ticker``).

        ``params={"name": "miniTicker"}`` uses ``<symbol>@miniTicker`` (no bid/ask).

        Raises:
            BadSymbol: unknown symbol. RequestTimeout: no ACK or update within ``timeout``.
            NetworkError: the connection failed. BadRequest: the server refused the stream.
        """
        opts = self._opts(params)
        m = await self.market(symbol, opts)
        name = str(opts.get("name", "ticker"))
        got = await self._watch_tickers([m["symbol"]], name, name, None, opts)
        return got[m["symbol"]]

    async def watch_tickers(
        self, symbols: Sequence[str] | None = None, params: Mapping[str, Any] | None = None
    ) -> dict[Symbol, Ticker]:
        """Return the next tickers: ``<symbol>@ticker`` per symbol, or ``!miniTicker@arr``.

        Returns the tickers of the update that fired (CCXT's ``newUpdates``), keyed by symbol.
        """
        opts = self._opts(params)
        name = str(opts.get("name", "ticker" if symbols else "miniTicker"))
        return await self._watch_tickers(symbols, name, name, f"!{name}@arr", opts)

    async def watch_bids_asks(
        self, symbols: Sequence[str] | None = None, params: Mapping[str, Any] | None = None
    ) -> dict[Symbol, Ticker]:
        """Return the next best bid/ask: ``<symbol>@bookTicker``, or ``!bookTicker`` (futures).

        Raises:
            ArgumentsRequired: spot without symbols (Binance has no all-market spot stream).
        """
        opts = self._opts(params)
        all_stream = None if self._type(opts) == "spot" else "!bookTicker"
        return await self._watch_tickers(symbols, "bookTicker", "bookTicker", all_stream, opts)

    async def watch_mark_price(
        self, symbol: str, params: Mapping[str, Any] | None = None
    ) -> Ticker:
        """Return the next mark price of a futures ``symbol`` (``<symbol>@markPrice@1s``).

        Raises:
            BadRequest: ``symbol`` is a spot market (spot has no mark price).
        """
        m = await self.market(symbol, self._futures_default(params))
        got = await self.watch_mark_prices([m["symbol"]], params)
        return got[m["symbol"]]

    async def watch_mark_prices(
        self, symbols: Sequence[str] | None = None, params: Mapping[str, Any] | None = None
    ) -> dict[Symbol, Ticker]:
        """Return the next mark prices: ``<symbol>@markPrice@1s`` each, or ``!markPrice@arr@1s``."""
        opts = self._futures_default(params)
        if symbols:
            for m in await self._markets(symbols, opts):
                if m["spot"]:
                    raise BadRequest(f"watch_mark_price: {m['symbol']} is spot; no mark price")
        return await self._watch_tickers(
            symbols, "markPrice", "markPrice@1s", "!markPrice@arr@1s", opts
        )

    async def unwatch_ticker(self, symbol: str, params: Mapping[str, Any] | None = None) -> None:
        """Unsubscribe ``<symbol>@ticker`` (``UNSUBSCRIBE``) and wait for the ACK.

        Pending watchers of the ticker fail with UnsubscribeError.
        """
        await self.unwatch_tickers([symbol], params)

    async def unwatch_tickers(
        self, symbols: Sequence[str] | None = None, params: Mapping[str, Any] | None = None
    ) -> None:
        """Unsubscribe the ticker streams of ``symbols`` (or ``!miniTicker@arr``)."""
        opts = self._opts(params)
        name = str(opts.get("name", "ticker" if symbols else "miniTicker"))
        await self._unwatch_symbols(symbols, name, f"!{name}@arr", opts)

    async def unwatch_bids_asks(
        self, symbols: Sequence[str] | None = None, params: Mapping[str, Any] | None = None
    ) -> None:
        """Unsubscribe ``<symbol>@bookTicker`` (or ``!bookTicker``)."""
        await self._unwatch_symbols(symbols, "bookTicker", "!bookTicker", self._opts(params))

    async def unwatch_mark_price(
        self, symbol: str, params: Mapping[str, Any] | None = None
    ) -> None:
        """Unsubscribe ``<symbol>@markPrice@1s``."""
        await self.unwatch_mark_prices([symbol], params)

    async def unwatch_mark_prices(
        self, symbols: Sequence[str] | None = None, params: Mapping[str, Any] | None = None
    ) -> None:
        """Unsubscribe ``<symbol>@markPrice@1s`` each (or ``!markPrice@arr@1s``)."""
        opts = self._futures_default(params)
        await self._unwatch_symbols(symbols, "markPrice@1s", "!markPrice@arr@1s", opts)

    # -- public: trades ----------------------------------------------------------------------

    def _trade_name(self, opts: Mapping[str, Any]) -> str:
        name = str(opts.get("name", "trade"))
        if name not in ("trade", "aggTrade"):
            raise BadRequest(f"trades name must be trade or aggTrade, not {name!r}")
        return name

    async def watch_trades(
        self,
        symbol: str,
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[Trade]:
        """Return the trades of ``symbol`` since the previous call (``<symbol>@trade``).

        Waits for the next trade; returns every trade received since this symbol's previous
        call (at most ``limit``, the newest; the cache keeps ``cache_limit``). ``params={"name":
        "aggTrade"}`` uses ``<symbol>@aggTrade``.
        """
        return await self.watch_trades_for_symbols([symbol], since, limit, params)

    async def watch_trades_for_symbols(
        self,
        symbols: Sequence[str],
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[Trade]:
        """Return the new trades of whichever of ``symbols`` traded next (``<symbol>@trade``)."""
        opts = self._opts(params)
        name = self._trade_name(opts)
        ms = await self._markets(symbols, opts)
        cache_limit = int(opts["cache_limit"])
        specs: dict[str, Callable[[], Channel]] = {
            f"{m['id'].lower()}@{name}": (lambda m=m: TradesChannel(m, cache_limit))  # type: ignore[misc]
            for m in ms
        }
        base = self._stream_base(_market_type(ms[0]), name, opts)
        conn, fired = await self._watch(base, specs, opts)
        ch = conn.channels.get(fired)
        if not isinstance(ch, TradesChannel):
            return []
        rows = ch.cache.new_rows("", limit)
        return (
            [t for t in rows if t["timestamp"] is None or t["timestamp"] >= since]
            if since
            else rows
        )

    async def unwatch_trades(self, symbol: str, params: Mapping[str, Any] | None = None) -> None:
        """Unsubscribe ``<symbol>@trade`` and wait for the ACK."""
        await self.unwatch_trades_for_symbols([symbol], params)

    async def unwatch_trades_for_symbols(
        self, symbols: Sequence[str], params: Mapping[str, Any] | None = None
    ) -> None:
        """Unsubscribe ``<symbol>@trade`` for each of ``symbols``."""
        opts = self._opts(params)
        await self._unwatch_symbols(symbols, self._trade_name(opts), None, opts)

    # -- public: order book ------------------------------------------------------------------

    async def watch_order_book(
        self, symbol: str, limit: int | None = None, params: Mapping[str, Any] | None = None
    ) -> OrderBook:
        """Return the synced book of ``symbol`` after its next update (``<symbol>@depth@100ms``).

        The first call subscribes, buffers diffs, fetches the snapshot (``GET /api/v3/depth``,
        ``/fapi/v1/depth`` or ``/dapi/v1/depth``) and returns once the book is synced. A gap or
        a stale snapshot resyncs automatically; a book that is not synced is never returned.
        """
        return await self.watch_order_book_for_symbols([symbol], limit, params)

    async def watch_order_book_for_symbols(
        self,
        symbols: Sequence[str],
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> OrderBook:
        """Return the book of whichever of ``symbols`` updated next (``<symbol>@depth@100ms``)."""
        opts = self._opts(params)
        ms = await self._markets(symbols, opts)
        specs: dict[str, Callable[[], Channel]] = {}
        base = self._stream_base(_market_type(ms[0]), "depth", opts)
        for m in ms:
            stream = f"{m['id'].lower()}@depth@100ms"
            specs[stream] = lambda m=m: BookChannel(m, _ignore_gap)  # type: ignore[misc]
        conn, fired = await self._watch(base, specs, opts)
        ch = conn.channels.get(fired)
        if not isinstance(ch, BookChannel):
            raise BookSyncError(f"{fired}: unwatched while waiting")
        return ch.sync.book(limit)

    async def unwatch_order_book(
        self, symbol: str, params: Mapping[str, Any] | None = None
    ) -> None:
        """Unsubscribe ``<symbol>@depth@100ms`` and drop the local book."""
        await self.unwatch_order_book_for_symbols([symbol], params)

    async def unwatch_order_book_for_symbols(
        self, symbols: Sequence[str], params: Mapping[str, Any] | None = None
    ) -> None:
        """Unsubscribe ``<symbol>@depth@100ms`` for each of ``symbols``."""
        await self._unwatch_symbols(symbols, "depth@100ms", None, self._opts(params))

    # -- public: OHLCV -----------------------------------------------------------------------

    @staticmethod
    def _timeframe(tf: str) -> str:
        if tf not in TIMEFRAMES:
            raise BadRequest(f"unknown timeframe {tf!r}; expected one of {' '.join(TIMEFRAMES)}")
        return tf

    async def watch_ohlcv(
        self,
        symbol: str,
        timeframe: str = "1m",
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[OHLCV]:
        """Return the candles of ``symbol`` updated since the previous call
        (``<symbol>@kline_<interval>``); the open candle is returned again as it changes."""
        got = await self.watch_ohlcv_for_symbols([[symbol, timeframe]], since, limit, params)
        return next(iter(next(iter(got.values())).values()))

    async def watch_ohlcv_for_symbols(
        self,
        symbols_and_timeframes: Sequence[Sequence[str]],
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> dict[Symbol, dict[str, list[OHLCV]]]:
        """Return ``{symbol: {timeframe: candles}}`` for whichever pair updated next."""
        opts = self._opts(params)
        ms = await self._markets([p[0] for p in symbols_and_timeframes], opts)
        cache_limit = int(opts["cache_limit"])
        specs: dict[str, Callable[[], Channel]] = {}
        keys: dict[str, tuple[Symbol, str]] = {}
        for m, pair in zip(ms, symbols_and_timeframes, strict=True):
            tf = self._timeframe(pair[1])
            stream = f"{m['id'].lower()}@kline_{tf}"
            specs[stream] = lambda m=m: OHLCVChannel(m, cache_limit)  # type: ignore[misc]
            keys[stream] = (m["symbol"], tf)
        base = self._stream_base(_market_type(ms[0]), "kline", opts)
        conn, fired = await self._watch(base, specs, opts)
        ch = conn.channels.get(fired)
        rows = ch.new_rows(limit) if isinstance(ch, OHLCVChannel) else []
        if since:
            rows = [r for r in rows if isinstance(r[0], int) and r[0] >= since]
        sym, tf = keys[fired]
        return {sym: {tf: rows}}

    async def unwatch_ohlcv(
        self, symbol: str, timeframe: str = "1m", params: Mapping[str, Any] | None = None
    ) -> None:
        """Unsubscribe ``<symbol>@kline_<interval>``."""
        await self.unwatch_ohlcv_for_symbols([[symbol, timeframe]], params)

    async def unwatch_ohlcv_for_symbols(
        self,
        symbols_and_timeframes: Sequence[Sequence[str]],
        params: Mapping[str, Any] | None = None,
    ) -> None:
        """Unsubscribe ``<symbol>@kline_<interval>`` for each pair."""
        opts = self._opts(params)
        ms = await self._markets([p[0] for p in symbols_and_timeframes], opts)
        await self._unwatch(
            [
                f"{m['id'].lower()}@kline_{self._timeframe(p[1])}"
                for m, p in zip(ms, symbols_and_timeframes, strict=True)
            ],
            opts,
        )

    # -- public: liquidations ----------------------------------------------------------------

    async def watch_liquidations(
        self,
        symbol: str,
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[Liquidation]:
        """Return the new liquidations of a futures ``symbol`` (``<symbol>@forceOrder``)."""
        return await self.watch_liquidations_for_symbols([symbol], since, limit, params)

    async def watch_liquidations_for_symbols(
        self,
        symbols: Sequence[str] | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[Liquidation]:
        """Return the new liquidations of ``symbols`` (``<symbol>@forceOrder``), or of every
        futures market of the ``type`` option (``!forceOrder@arr``) without symbols.

        Raises:
            BadRequest: a spot symbol (spot has no liquidations).
        """
        opts = self._opts(params)
        cache_limit = int(opts["cache_limit"])
        specs: dict[str, Callable[[], Channel]] = {}
        if symbols:
            ms = await self._markets(symbols, opts)
            if ms[0]["spot"]:
                raise BadRequest("watch_liquidations: spot markets have no liquidations")
            mtype = _market_type(ms[0])
            for m in ms:
                lookup = self._lookup(mtype)
                specs[f"{m['id'].lower()}@forceOrder"] = (
                    lambda m=m, lookup=lookup: LiquidationChannel(m, lookup, cache_limit)  # type: ignore[misc]
                )
        else:
            await self.load_markets()
            mtype = self._type(opts)
            if mtype == "spot":
                raise BadRequest("watch_liquidations: spot markets have no liquidations")
            lookup = self._lookup(mtype)
            specs["!forceOrder@arr"] = lambda: LiquidationChannel(None, lookup, cache_limit)
        base = self._stream_base(mtype, "forceOrder", opts)
        conn, fired = await self._watch(base, specs, opts)
        ch = conn.channels.get(fired)
        rows = ch.cache.new_rows("", limit) if isinstance(ch, LiquidationChannel) else []
        return [r for r in rows if (r["timestamp"] or 0) >= since] if since else rows

    # -- WebSocket API requests --------------------------------------------------------------

    async def _request(
        self, mtype: str, method: str, params: Mapping[str, Any], opts: Mapping[str, Any]
    ) -> Any:
        conn = self._ws_api(mtype, opts)
        self._mark_verbose(conn.url, opts)
        return await conn.request(method, params, float(opts["timeout"]) / 1000)

    async def fetch_ticker_ws(self, symbol: str, params: Mapping[str, Any] | None = None) -> Ticker:
        """Return the 24 h ticker over the WebSocket API (spot ``ticker.24hr``; futures
        ``ticker.book``, best bid/ask only, as Binance's futures WS API offers)."""
        opts = self._opts(params)
        m = await self.market(symbol, opts)
        mtype = _market_type(m)
        method = str(opts.get("method", "ticker.24hr" if mtype == "spot" else "ticker.book"))
        raw = await self._request(mtype, method, {"symbol": m["id"]}, opts)
        return parse_ticker(raw, m["symbol"], m)

    async def fetch_order_book_ws(
        self, symbol: str, limit: int | None = None, params: Mapping[str, Any] | None = None
    ) -> OrderBook:
        """Return a depth snapshot over the WebSocket API (``depth``)."""
        opts = self._opts(params)
        m = await self.market(symbol, opts)
        req: dict[str, Any] = {"symbol": m["id"]}
        if limit is not None:
            req["limit"] = limit
        raw = await self._request(_market_type(m), "depth", req, opts)
        return parse_order_book(raw, m["symbol"], limit)

    async def fetch_trades_ws(
        self,
        symbol: str,
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[Trade]:
        """Return recent trades over the spot WebSocket API (``trades.recent``; with ``since``,
        ``trades.aggregate`` with ``startTime``).

        Raises:
            NotSupported: a futures symbol (Binance's futures WS API has no trades method).
        """
        opts = self._opts(params)
        m = await self.market(symbol, opts)
        if not m["spot"]:
            raise NotSupported("fetch_trades_ws: Binance's futures WebSocket API has no trades")
        req: dict[str, Any] = {"symbol": m["id"]}
        if limit is not None:
            req["limit"] = limit
        method = "trades.recent"
        if since is not None:
            method, req["startTime"] = "trades.aggregate", since
        raw = await self._request("spot", method, req, opts)
        return [parse_trade(t, m["symbol"]) for t in raw]

    async def fetch_ohlcv_ws(
        self,
        symbol: str,
        timeframe: str = "1m",
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[OHLCV]:
        """Return candles over the spot WebSocket API (``klines``).

        Raises:
            NotSupported: a futures symbol (Binance's futures WS API has no klines).
        """
        opts = self._opts(params)
        m = await self.market(symbol, opts)
        if not m["spot"]:
            raise NotSupported("fetch_ohlcv_ws: Binance's futures WebSocket API has no klines")
        req: dict[str, Any] = {"symbol": m["id"], "interval": self._timeframe(timeframe)}
        if since is not None:
            req["startTime"] = since
        if limit is not None:
            req["limit"] = limit
        raw = await self._request("spot", "klines", req, opts)
        return [parse_ohlcv(k) for k in raw]

    # -- streams -----------------------------------------------------------------------------

    async def _stream(
        self,
        watch: Callable[[], Awaitable[T]],
        unwatch: Callable[[], Awaitable[None]],
        opts: Mapping[str, Any],
    ) -> AsyncIterator[T]:
        try:
            while True:
                yield await watch()
        finally:
            if opts.get("unwatch_on_halt"):
                with contextlib.suppress(BaseError, KeyError):
                    await unwatch()

    def stream_ticker(
        self, symbol: str, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[Ticker]:
        """Yield every ticker update of ``symbol`` (repeated :meth:`watch_ticker`).

        With ``unwatch_on_halt`` the subscription is unwatched when the iteration ends
        (``break``, ``aclose()``, cancellation); wrap the iterator in
        ``contextlib.aclosing`` to make that happen at the ``break`` itself. Errors are
        raised from the iterator, which is then finished; to keep going after a transient
        one (:class:`~client.errors.NetworkError`), catch it and start a new iteration: the
        subscription and caches survive, and a dropped connection is re-subscribed.
        """
        return self._stream(
            lambda: self.watch_ticker(symbol, params),
            lambda: self.unwatch_ticker(symbol, params),
            self._opts(params),
        )

    def stream_trades(
        self, symbol: str, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[list[Trade]]:
        """Yield the new trades of ``symbol`` batch by batch (repeated :meth:`watch_trades`).

        Halting and errors as in :meth:`stream_ticker`.
        """
        return self._stream(
            lambda: self.watch_trades(symbol, None, None, params),
            lambda: self.unwatch_trades(symbol, params),
            self._opts(params),
        )

    def stream_order_book(
        self, symbol: str, limit: int | None = None, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[OrderBook]:
        """Yield the synced book of ``symbol`` after each update (repeated
        :meth:`watch_order_book`). Halting and errors as in :meth:`stream_ticker`."""
        return self._stream(
            lambda: self.watch_order_book(symbol, limit, params),
            lambda: self.unwatch_order_book(symbol, params),
            self._opts(params),
        )

    def stream_ohlcv(
        self, symbol: str, timeframe: str = "1m", params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[list[OHLCV]]:
        """Yield the updated candles of ``symbol`` (repeated :meth:`watch_ohlcv`).

        Halting and errors as in :meth:`stream_ticker`.
        """
        return self._stream(
            lambda: self.watch_ohlcv(symbol, timeframe, None, None, params),
            lambda: self.unwatch_ohlcv(symbol, timeframe, params),
            self._opts(params),
        )


def binance(config: Mapping[str, Any] | None = None) -> Binance:
    """Construct a :class:`Binance` from a CCXT-style config dict."""
    return Binance(config)
