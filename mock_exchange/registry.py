"""The open connections of one emulator, and the ids every connection and REST request gets."""

from __future__ import annotations

import itertools

from .transports.ws_connection import StreamConnection, WsApiConnection, WsConnection

__all__ = ["Registry"]


class Registry:
    """Market-stream and WS API connections by id; ids are shared with REST requests."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self.streams: dict[int, StreamConnection] = {}
        self.ws_api: dict[int, WsApiConnection] = {}
        # bumped whenever a stream connection opens, closes or changes its subscriptions, so
        # the publisher knows when its index of who carries which stream is stale
        self.generation = 0

    def changed(self) -> None:
        """Note that some stream connection changed its subscriptions."""
        self.generation += 1

    def next_id(self) -> int:
        """Return the next connection (or REST request) id."""
        return next(self._ids)

    def add(self, conn: WsConnection) -> None:
        """Register an open connection."""
        if isinstance(conn, StreamConnection):
            self.streams[conn.id] = conn
            self.generation += 1
        elif isinstance(conn, WsApiConnection):
            self.ws_api[conn.id] = conn

    def remove(self, conn: WsConnection) -> None:
        """Forget a connection that ended (unknown ones are ignored)."""
        if self.streams.pop(conn.id, None) is not None:
            self.generation += 1
        self.ws_api.pop(conn.id, None)

    def stream_connections(self) -> list[StreamConnection]:
        """Return the open market-stream connections."""
        return list(self.streams.values())

    def all(self) -> list[WsConnection]:
        """Return every open connection."""
        return [*self.streams.values(), *self.ws_api.values()]
