"""The connection registry: one connection per URL, shared by every call that needs it.

Market-stream connections are keyed by their combined-stream URL; when one is full
(``max_streams``, Binance allows 1024), further streams go to ``<base>?c=1``, ``?c=2`` ...
WebSocket API connections are keyed by their URL, listen-key streams by their label (the URL
with the key masked). :class:`~client.Binance` exposes the table
through ``connections()``, ``connection_info()`` and ``close_connection()``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from .connection import ConnectionSettings
from .errors import BadRequest
from .listen_key import ListenKeyConnection
from .stream_connection import StreamConnection
from .telemetry import Telemetry
from .ws_api_connection import WsApiConnection

__all__ = ["AnyConnection", "ConnectionRegistry"]

log = logging.getLogger("client")

AnyConnection = StreamConnection | WsApiConnection | ListenKeyConnection


class ConnectionRegistry:
    """The connections of one exchange object, by URL.

    Args:
        telemetry: handed to every connection.
        on_resubscribed: handed to every market-stream connection (books resync there).
    """

    def __init__(
        self,
        telemetry: Telemetry,
        on_resubscribed: Callable[[StreamConnection, list[str]], None],
    ) -> None:
        self.telemetry = telemetry
        self.on_resubscribed = on_resubscribed
        self._connections: dict[str, AnyConnection] = {}

    def __len__(self) -> int:
        return len(self._connections)

    def urls(self) -> list[str]:
        """Return the URL of every connection."""
        return list(self._connections)

    def stream(self, url: str, settings: Callable[[], ConnectionSettings]) -> StreamConnection:
        """Return the market-stream connection of ``url``, created (not opened) if new.

        Raises:
            BadRequest: ``url`` belongs to a WebSocket API connection.
        """
        conn = self._connections.get(url)
        if isinstance(conn, StreamConnection):
            return conn
        if conn is not None:
            raise BadRequest(f"{url} is a WebSocket API connection")
        conn = StreamConnection(
            url, self.telemetry, settings(), on_resubscribed=self.on_resubscribed
        )
        self._connections[url] = conn
        return conn

    def ws_api(self, url: str, settings: Callable[[], ConnectionSettings]) -> WsApiConnection:
        """Return the WebSocket API connection of ``url``, created (not opened) if new."""
        conn = self._connections.get(url)
        if not isinstance(conn, WsApiConnection):
            conn = WsApiConnection(url, self.telemetry, settings())
            self._connections[url] = conn
        return conn

    def free_label(self, url: str) -> str:
        """Return ``url``, or ``url#N`` with the first N no connection uses."""
        n, label = 1, url
        while label in self._connections:
            n += 1
            label = f"{url}#{n}"
        return label

    def add_listen_key(self, conn: ListenKeyConnection) -> None:
        """Hold a listen-key connection under its label (see :meth:`free_label`)."""
        self._connections[conn.url] = conn

    def forget(self, conn: AnyConnection) -> None:
        """Drop ``conn`` from the table (it was closed by its owner)."""
        if self._connections.get(conn.url) is conn:
            del self._connections[conn.url]

    def pick_stream(
        self,
        base: str,
        streams: list[str],
        max_streams: int,
        settings: Callable[[], ConnectionSettings],
    ) -> StreamConnection:
        """Return the connection of ``base`` that carries ``streams`` or has room for them.

        Raises:
            BadRequest: more streams than one connection may carry.
        """
        if len(streams) > max_streams:
            raise BadRequest(f"{len(streams)} streams exceed max_streams={max_streams}")
        n = 0
        while True:
            url = base if n == 0 else f"{base}?c={n}"
            conn = self._connections.get(url)
            if conn is None:
                return self.stream(url, settings)
            if isinstance(conn, StreamConnection) and (
                any(s in conn.channels for s in streams) or conn.has_room(streams)
            ):
                return conn
            n += 1

    def find_stream(self, stream: str) -> StreamConnection | None:
        """Return the connection that carries ``stream``, if any."""
        for conn in self._connections.values():
            if isinstance(conn, StreamConnection) and stream in conn.channels:
                return conn
        return None

    def resolve(self, url_or_connection: str | AnyConnection) -> AnyConnection:
        """Return the connection a URL names (a connection is returned as is).

        Raises:
            KeyError: no connection has that URL.
        """
        if not isinstance(url_or_connection, str):
            return url_or_connection
        conn = self._connections.get(url_or_connection)
        if conn is None:
            raise KeyError(f"no connection for {url_or_connection!r}; have {self.urls()}")
        return conn

    def info(self, url_or_connection: str | AnyConnection) -> dict[str, Any]:
        """Return the state of one connection (see ``Binance.connection_info``)."""
        return self.resolve(url_or_connection).info()

    async def close(self, url_or_connection: str | AnyConnection) -> None:
        """Close one connection and forget it."""
        conn = self.resolve(url_or_connection)
        await conn.close()
        self._connections.pop(conn.url, None)

    async def close_all(self) -> None:
        """Close every connection and forget them all; never raises."""
        for conn in list(self._connections.values()):
            try:
                await conn.close()
            except Exception:  # one broken connection must not keep the others open
                log.exception("%s: closing failed", conn.url)
        self._connections.clear()
