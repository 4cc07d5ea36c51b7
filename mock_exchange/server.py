"""The emulator server: one aiohttp app on one port serving every Binance host by the URL rule.

:class:`MockExchange` is the :class:`~mock_exchange.emulator.Emulator` (state and the Python
control API) plus its lifecycle: it binds the port, serves the HTTP front
(:mod:`mock_exchange.http_app`), runs the clock driver (:mod:`mock_exchange.driver`), and on
:meth:`MockExchange.stop` closes every connection (1001) and stops every task it started.
"""

from __future__ import annotations

import logging

from aiohttp import web

from .config import ServerConfig
from .driver import ClockDriver
from .emulator import Emulator
from .hosts import rewrite_url
from .http_app import build_app
from .routing import STREAM_ENDPOINTS, WSAPI_ENDPOINTS

__all__ = ["STREAM_ENDPOINTS", "WSAPI_ENDPOINTS", "MockExchange", "ServerConfig"]

log = logging.getLogger("mock_exchange")


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
        self._driver = ClockDriver(self)

    async def start(self) -> MockExchange:
        """Bind the port and start serving; return self."""
        self._runner = web.AppRunner(build_app(self), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1]
        self._driver.start()
        log.info("emulator listening on %s", self.base_url)
        return self

    async def stop(self) -> None:
        """Close every connection (code 1001) and stop serving."""
        await self._driver.stop()
        for conn in self.registry.all():
            await conn.close(1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

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
