"""A small signed client for the emulator's futures REST API and user-data streams (tests only).

Signs exactly as Binance documents (HMAC over the raw query followed by the raw body), so the
emulator's verification is exercised, not bypassed.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import urllib.parse
from typing import Any

import aiohttp

from mock_exchange import MockExchange

__all__ = ["FuturesClient", "next_event"]


class FuturesClient:
    """Signed requests to ``fapi.binance.com`` (or ``dapi``) through the URL rule."""

    def __init__(
        self,
        mx: MockExchange,
        session: aiohttp.ClientSession,
        api_key: str,
        secret: str,
        host: str = "fapi.binance.com",
    ) -> None:
        self.mx, self.session = mx, session
        self.api_key, self.secret, self.host = api_key, secret, host

    def _sign(self, payload: str) -> str:
        return hmac.new(self.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()

    async def call(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        body: str | None = None,
        signed: bool = True,
    ) -> tuple[int, Any]:
        """Send one request; ``body`` is a raw form body signed as sent."""
        query = urllib.parse.urlencode(params or {})
        headers = {"X-MBX-APIKEY": self.api_key}
        if signed:
            stamp = f"timestamp={self.mx.clock.now_ms()}"
            query = f"{query}&{stamp}" if query else stamp
            signature = self._sign(query + (body or ""))
            query += f"&signature={signature}"
        url = self.mx.url(f"https://{self.host}{path}") + (f"?{query}" if query else "")
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        async with self.session.request(method, url, data=body, headers=headers) as r:
            return r.status, await r.json()

    async def ok(self, method: str, path: str, params: dict[str, Any] | None = None) -> Any:
        """Send one request that must succeed; return its body."""
        status, data = await self.call(method, path, params)
        assert status == 200, (status, data)
        return data

    async def listen_key(self, api: str = "/fapi/v1") -> str:
        """``POST .../listenKey`` (API key only)."""
        status, data = await self.call("POST", f"{api}/listenKey", signed=False)
        assert status == 200, data
        return str(data["listenKey"])


async def next_event(
    ws: aiohttp.ClientWebSocketResponse, kind: str, timeout: float = 5.0
) -> dict[str, Any]:
    """Return the next frame whose ``e`` (or ``data.e``) is ``kind``, skipping others."""

    async def read() -> dict[str, Any]:
        while True:
            msg = await ws.receive()
            if msg.type != aiohttp.WSMsgType.TEXT:
                raise AssertionError(f"stream ended before {kind}: {msg.type}")
            frame = json.loads(msg.data)
            event = frame.get("data", frame)
            if event.get("e") == kind:
                return dict(frame)

    return await asyncio.wait_for(read(), timeout)
