"""The emulator server: one aiohttp app on one port serving every Binance host by the URL rule.

:class:`MockExchange` is the :class:`~mock_exchange.emulator.Emulator` (state and the Python
control API) plus its lifecycle: it binds the port, serves the HTTP front
(:mod:`mock_exchange.http_app`), runs the clock driver (:mod:`mock_exchange.driver`), and on
:meth:`MockExchange.stop` closes every connection (1001) and stops every task it started.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable

from aiohttp import web

from .config import ServerConfig
from .driver import ClockDriver
from .emulator import Emulator
from .hosts import rewrite_url
from .http_app import build_app
from .routing import STREAM_ENDPOINTS, WSAPI_ENDPOINTS

__all__ = ["STREAM_ENDPOINTS", "WSAPI_ENDPOINTS", "MockExchange", "ServerConfig"]

log = logging.getLogger("mock_exchange")
_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class HandshakeGuard:
    """Protocol factory that closes a connection whose first request never completes.

    A peer that connects and then sends nothing, or only part of its request headers, would
    otherwise hold a file descriptor until aiohttp's keep-alive timeout (minutes). Each new
    connection gets ``timeout_s`` of wall time (a network timeout, not emulator time: the
    emulator clock may be frozen) to finish its first request's headers; the HTTP app adds the
    transports that did to ``served``.
    """

    def __init__(
        self,
        factory: Callable[[], asyncio.Protocol],
        timeout_s: float,
        served: weakref.WeakSet[asyncio.BaseTransport],
    ) -> None:
        self.factory = factory
        self.timeout_s = timeout_s
        self.served = served

    def __call__(self) -> asyncio.Protocol:
        protocol = self.factory()
        asyncio.get_running_loop().call_later(self.timeout_s, self._expire, protocol)
        return protocol

    def _expire(self, protocol: asyncio.Protocol) -> None:
        transport = getattr(protocol, "transport", None)
        if transport is None or transport.is_closing() or transport in self.served:
            return
        log.info("closing a connection that sent no complete request in %gs", self.timeout_s)
        transport.abort()


class MockExchange(Emulator):
    """A local Binance on ``host:port`` (port 0 picks a free port).

    Use ``async with MockExchange() as mx:`` or :meth:`start`/:meth:`stop`. ``mx.base_url`` is
    ``http://127.0.0.1:PORT``; :meth:`url` applies the URL rule to a Binance URL.
    """

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, config: ServerConfig | None = None
    ) -> None:
        super().__init__(config)
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self._server: asyncio.Server | None = None
        self._driver = ClockDriver(self)

    async def start(self) -> MockExchange:
        """Bind the port and start serving; return self.

        Raises:
            OSError: the address cannot be bound (in use, not local, bad host); nothing is
                left running.
        """
        app = build_app(self)
        served: weakref.WeakSet[asyncio.BaseTransport] = weakref.WeakSet()

        @web.middleware
        async def mark_served(request: web.Request, handler: _Handler) -> web.StreamResponse:
            if request.transport is not None:
                served.add(request.transport)
            return await handler(request)

        app.middlewares.append(mark_served)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        assert self._runner.server is not None
        guard = HandshakeGuard(self._runner.server, self.config.handshake_timeout_s, served)
        try:
            self._server = await asyncio.get_running_loop().create_server(
                guard, self.host, self.port, reuse_address=True
            )
        except BaseException:
            await self._runner.cleanup()
            self._runner = None
            raise
        self.port = self._server.sockets[0].getsockname()[1]
        self._driver.start()
        log.info("emulator listening on %s", self.base_url)
        return self

    async def stop(self) -> None:
        """Close every connection (code 1001) and stop serving."""
        await self._driver.stop()
        for conn in self.registry.all():
            await conn.close(1001)
        if self._server is not None:
            self._server.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> MockExchange:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT`` of the running server."""
        return f"http://{self.host}:{self.port}"

    def url(self, binance_url: str) -> str:
        """Rewrite a Binance ``https``/``wss`` URL to this emulator (the URL rule)."""
        return rewrite_url(binance_url, self.base_url)
