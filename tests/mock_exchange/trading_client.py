"""A tiny signed REST + WS API caller for emulator tests (HMAC keys, Binance's signing rules)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import aiohttp

from mock_exchange import MockExchange
from mock_exchange.engine.markets import MarketKind
from tests.mock_exchange.signing import Signer, hmac_signer, rest_query, ws_request

_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass
class Reply:
    """One answer: HTTP (or WS ``status``), body, headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def code(self) -> int | None:
        """The Binance error code, if any."""
        if isinstance(self.body, dict):
            if "code" in self.body:
                return int(self.body["code"])
            if "error" in self.body:
                return int(self.body["error"]["code"])
        return None


def open_gap(
    mx: MockExchange,
    symbol: str = "BTCUSDT",
    low: Decimal = Decimal("89991"),
    high: Decimal = Decimal("90009"),
    venue: MarketKind = "spot",
) -> None:
    """Take the opening book's orders priced strictly between ``low`` and ``high`` off it.

    The default book opens deep with a one-tick spread at 90000 (issue 9); trading tests that
    script both sides trade inside this gap: bids from ``low`` down, asks from ``high`` up (a
    background order rests at each edge).
    """
    engine = mx.exchange.engine(venue)
    for order in list(engine.book(symbol).orders.values()):
        if order.owner is None and low < order.price < high:
            engine.cancel_order(symbol, order.order_id)
    qty = max(Decimal("0.01"), engine.market(symbol).min_qty)
    engine.place_order(symbol, "BUY", "LIMIT", quantity=qty, price=low)
    engine.place_order(symbol, "SELL", "LIMIT", quantity=qty, price=high)


class Trader:
    """One account's key, calling the emulator over REST and the WS API."""

    def __init__(self, mx: MockExchange, signer: Signer, session: aiohttp.ClientSession) -> None:
        self.mx, self.signer, self.session = mx, signer, session
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._ids = itertools.count(1)
        self._waiting: dict[Any, asyncio.Future[dict[str, Any]]] = {}
        self._reader: asyncio.Task[None] | None = None

    @classmethod
    def register(
        cls,
        mx: MockExchange,
        session: aiohttp.ClientSession,
        name: str,
        balances: dict[str, str],
        **extra: Any,
    ) -> Trader:
        signer = hmac_signer(name, f"{name}-secret")
        mx.add_account(signer.registration(balances=balances, **extra))
        return cls(mx, signer, session)

    async def rest(self, method: str, path: str, **params: Any) -> Reply:
        """A signed REST call (GET/DELETE in the query, POST/PUT in the form body)."""
        query = rest_query(self.signer, params, timestamp=self.mx.clock.now_ms())
        url = self.mx.url(f"https://api.binance.com{path}")
        headers = {"X-MBX-APIKEY": self.signer.api_key}
        if method in ("GET", "DELETE"):
            ctx = self.session.request(method, f"{url}?{query}", headers=headers)
        else:
            ctx = self.session.request(method, url, data=query, headers={**headers, **_FORM})
        async with ctx as r:
            text = await r.text()
            body = json.loads(text) if text.startswith(("{", "[")) else text
            return Reply(r.status, body, dict(r.headers))

    async def order(self, **params: Any) -> Reply:
        """``POST /api/v3/order``."""
        return await self.rest("POST", "/api/v3/order", **params)

    async def connect(self) -> None:
        """Open a WS API connection; events go to :attr:`events`."""
        url = self.mx.url("wss://ws-api.binance.com:443/ws-api/v3")
        self.ws = await self.session.ws_connect(url)
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.ws is not None
        async for msg in self.ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            if "event" in frame and "id" not in frame:
                await self.events.put(frame)
            elif frame.get("id") in self._waiting:
                self._waiting.pop(frame["id"]).set_result(frame)

    async def call(self, method: str, *, signed: bool = True, **params: Any) -> Reply:
        """A WS API request (signed over the sorted params unless ``signed`` is False)."""
        assert self.ws is not None
        req_id = f"r{next(self._ids)}"
        if signed:
            frame = ws_request(
                self.signer, method, params, timestamp=self.mx.clock.now_ms(), req_id=req_id
            )
        else:
            frame = json.dumps({"id": req_id, "method": method, "params": params})
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[req_id] = future
        await self.ws.send_str(frame)
        answer = await asyncio.wait_for(future, 10)
        return Reply(answer["status"], answer)

    async def event(self, timeout: float = 10) -> dict[str, Any]:
        """The next pushed event frame."""
        return await asyncio.wait_for(self.events.get(), timeout)

    def drain(self) -> list[dict[str, Any]]:
        """Every event frame received so far."""
        out = []
        while not self.events.empty():
            out.append(self.events.get_nowait())
        return out

    async def close(self) -> None:
        """Close the WS API connection."""
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await self._reader


def balance(mx: MockExchange, key: str, asset: str) -> tuple[Decimal, Decimal]:
    """Return (free, locked) of ``asset`` on the account of ``key``."""
    held = mx.account_state(key)["balances"].get(asset, {"free": "0", "locked": "0"})
    return Decimal(held["free"]), Decimal(held["locked"])


@contextlib.asynccontextmanager
async def funded_pair(mx: MockExchange) -> AsyncIterator[tuple[Trader, Trader]]:
    """Two accounts, alice and bob, each with 100000 USDT and 2 BTC; closed on exit."""
    async with aiohttp.ClientSession() as session:
        funds = {"USDT": "100000", "BTC": "2"}
        alice = Trader.register(mx, session, "alice", funds)
        bob = Trader.register(mx, session, "bob", funds)
        try:
            yield alice, bob
        finally:
            await alice.close()
            await bob.close()
