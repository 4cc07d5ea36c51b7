"""The machinery under every watch: pick a connection, subscribe, wait for the next update.

A watch names its streams with a channel factory each (``stream -> Channel``); the channel is
created on the connection the first time, the streams are subscribed (one SUBSCRIBE shared by
concurrent watchers), and the watch returns the connection and the stream that fired. A
channel kind that needs more (the order book's snapshot) overrides the two hooks
:meth:`WatchBase._channel_opened` and :meth:`WatchBase._channel_subscribed`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from ..errors import ArgumentsRequired, BaseError, RequestTimeout, UnsubscribeError
from ..protocol.channels import Channel
from ..stream_connection import StreamConnection
from ..venues import Venue
from .markets import MarketsBase

__all__ = ["WatchBase"]

T = TypeVar("T")


class WatchBase(MarketsBase):
    """Subscribe-and-wait, unwatch and stream helpers shared by the watch methods."""

    def _stream_base(self, v: Venue, channel: str, opts: Mapping[str, Any]) -> str:
        """Return the combined-stream URL where venue ``v`` routes ``channel``."""
        return v.stream_base(self._endpoints(opts), channel)

    def _stream_conn(
        self, base: str, streams: list[str], opts: Mapping[str, Any]
    ) -> StreamConnection:
        """Pick the connection of ``base`` that carries ``streams`` or has room for them.

        Binance allows 1024 streams per connection; further streams go to ``base?c=N``.
        """
        return self._registry.pick_stream(
            base, streams, int(opts["max_streams"]), lambda: self._settings(self._opts(opts))
        )

    def _channel_opened(
        self, conn: StreamConnection, stream: str, ch: Channel, opts: Mapping[str, Any]
    ) -> None:
        """Hook: channel ``ch`` of ``stream`` was just created on ``conn``."""

    def _channel_subscribed(
        self, conn: StreamConnection, stream: str, ch: Channel, opts: Mapping[str, Any]
    ) -> None:
        """Hook: ``stream`` is subscribed (ACKed) on ``conn``; called on every watch."""

    async def _watch(
        self,
        base: str,
        specs: Mapping[str, Callable[[], Channel]],
        opts: Mapping[str, Any],
    ) -> tuple[StreamConnection, str]:
        """Subscribe ``specs`` (stream -> channel factory) and wait for the next update, all
        within the ``timeout`` option.

        Returns the connection and the stream that fired.
        """
        timeout = float(opts["timeout"]) / 1000
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout  # one budget: connect, SUBSCRIBE and the update
        streams = list(specs)
        conn = self._stream_conn(base, streams, opts)
        self._mark_verbose(conn.url, opts)
        await conn.ensure_open(timeout)
        for stream, factory in specs.items():
            if stream not in conn.channels:
                ch = conn.channels[stream] = factory()
                self._channel_opened(conn, stream, ch, opts)
        fut = conn.waiter(streams)
        try:
            await conn.subscribe(streams, max(0.0, deadline - loop.time()))
            for stream in streams:
                sub = conn.channels.get(stream)
                if sub is not None:
                    self._channel_subscribed(conn, stream, sub, opts)
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
            conn = self._registry.find_stream(s)
            if conn is None:
                raise UnsubscribeError(f"{s} is not subscribed")
            by_conn.setdefault(conn.url, (conn, []))[1].append(s)
        for conn, names in by_conn.values():
            await conn.unsubscribe(names, float(opts["timeout"]) / 1000)

    async def _stream(
        self,
        watch: Callable[[], Awaitable[T]],
        unwatch: Callable[[], Awaitable[None]],
        opts: Mapping[str, Any],
    ) -> AsyncIterator[T]:
        """Yield repeated watches; unwatch at the end when ``unwatch_on_halt`` is set."""
        try:
            while True:
                yield await watch()
        finally:
            if opts.get("unwatch_on_halt"):
                with contextlib.suppress(BaseError, KeyError):
                    await unwatch()
