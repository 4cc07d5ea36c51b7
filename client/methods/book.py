"""The order book: ``watch_order_book`` and the snapshot sync driver.

A book stream (``<symbol>@depth@100ms``) buffers diffs in its
:class:`~client.protocol.channels.BookChannel` until the driver here has fetched a REST
snapshot (``GET /api/v3/depth``, ``/fapi/v1/depth``, ``/dapi/v1/depth``) that the sans-I/O
:class:`~client.protocol.book.BookSync` accepts. The driver refetches on a gap, after a stale
snapshot (three in a row fail the waiters with BookSyncError) and after the stream was
re-subscribed (reconnect or ``serverShutdown`` handover). Snapshot fetches are tasks the
exchange owns.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

from ..errors import BaseError, BookSyncError, RequestTimeout
from ..protocol.book import IllegalBookTransition
from ..protocol.channels import BookChannel, Channel
from ..stream_connection import StreamConnection
from ..types import OrderBook
from ..venues import market_venue
from .watching import WatchBase

__all__ = ["BookMethods"]

DEPTH_LIMITS = (5, 10, 20, 50, 100, 500, 1000, 5000)
"""The snapshot ``limit`` values Binance accepts."""


def _ignore_gap(ch: BookChannel) -> None:
    """Placeholder until :meth:`BookMethods._channel_opened` binds the channel to its driver."""


class BookMethods(WatchBase):
    """Order-book watches and the driver that keeps each book synced."""

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
        live = bool(opts.get("live_book"))
        specs: dict[str, Callable[[], Channel]] = {}
        base = self._stream_base(market_venue(ms[0]), "depth", opts)
        for m in ms:
            stream = f"{m['id'].lower()}@depth@100ms"
            specs[stream] = lambda m=m: BookChannel(m, _ignore_gap, live=live)  # type: ignore[misc]
        loop = asyncio.get_running_loop()
        budget_ms = float(opts["timeout"])
        deadline = loop.time() + budget_ms / 1000  # one budget for every pass
        while True:
            conn, fired = await self._watch(base, specs, opts)
            ch = conn.channels.get(fired)
            if not isinstance(ch, BookChannel):
                raise BookSyncError(f"{fired}: unwatched while waiting")
            try:
                return ch.sync.book(limit, live=live)
            except IllegalBookTransition:
                # it left SYNCED after the update that woke us (a gap later in the same read,
                # or a level that failed to parse when folded): the next watch resyncs it,
                # within what is left of the caller's timeout
                left = deadline - loop.time()
                if left <= 0:
                    raise RequestTimeout(
                        f"watch_order_book: {fired} not resynced within {budget_ms:.0f} ms"
                    ) from None
                opts = {**opts, "timeout": left * 1000}

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

    # -- sync driver -------------------------------------------------------------------------

    def _channel_opened(
        self, conn: StreamConnection, stream: str, ch: Channel, opts: Mapping[str, Any]
    ) -> None:
        """Bind a new book channel's gap signal to this driver."""
        super()._channel_opened(conn, stream, ch, opts)
        if isinstance(ch, BookChannel):
            ch.on_gap = self._on_gap(conn, stream, opts)

    def _channel_subscribed(
        self, conn: StreamConnection, stream: str, ch: Channel, opts: Mapping[str, Any]
    ) -> None:
        """Fetch a snapshot for a subscribed book that has none (and none on the way)."""
        super()._channel_subscribed(conn, stream, ch, opts)
        if isinstance(ch, BookChannel):
            self._ensure_snapshot(conn, stream, ch, opts)

    def _ensure_snapshot(
        self, conn: StreamConnection, stream: str, ch: BookChannel, opts: Mapping[str, Any]
    ) -> None:
        """Start a snapshot fetch for ``ch`` unless it is synced or one is on the way."""
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
        v = market_venue(m)
        limit = min((x for x in DEPTH_LIMITS if x >= depth), default=1000)
        limit = min(limit, v.max_depth_limit)
        url = self._rest_base(v, opts) + "/depth"
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
        """Resync the books among ``streams``: the socket that fed them is gone."""
        super()._on_resubscribed(conn, streams)
        for stream in streams:
            ch = conn.channels.get(stream)
            if isinstance(ch, BookChannel):
                self._ensure_snapshot(conn, stream, ch, self.options)
