"""Unmodified third-party clients against the emulator's default market (issue 9, done-when).

The emulator runs with its defaults (``ServerConfig()``: the running clock, the default rate),
as a user starts it; each client gets 15 s, the timeout the issue measured, for 20 book updates.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from mock_exchange import MockExchange, ServerConfig

pytestmark = pytest.mark.asyncio(loop_scope="module")

BUDGET_S = 15


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def mx() -> AsyncIterator[MockExchange]:
    """The emulator with its default settings."""
    async with MockExchange(config=ServerConfig()) as emulator:
        yield emulator


def _ccxt(mx: MockExchange) -> Any:
    ccxtpro = pytest.importorskip("ccxt.pro")
    ex = ccxtpro.binance(
        {
            "enableRateLimit": False,
            "options": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False},
        }
    )
    api = ex.urls["api"]
    for key, value in list(api.items()):
        if isinstance(value, str) and value.startswith("https://"):
            api[key] = mx.url(value)
    for key, value in list(api["ws"].items()):
        api["ws"][key] = (
            mx.url(value) if isinstance(value, str) else {k: mx.url(v) for k, v in value.items()}
        )
    return ex


async def test_ccxt_watch_order_book_gets_20_updates(mx: MockExchange) -> None:
    """ccxt.pro watch_order_book collects 20 book updates within 15 s with the defaults."""
    ex = _ccxt(mx)

    async def collect() -> list[int]:
        nonces = []
        for _ in range(20):
            book = await ex.watch_order_book("BTC/USDT")
            nonces.append(book["nonce"])
        return nonces

    try:
        nonces = await asyncio.wait_for(collect(), BUDGET_S)
        assert nonces == sorted(nonces) and len(set(nonces)) >= 19
        assert book_is_sane(await ex.watch_order_book("BTC/USDT"))
    finally:
        with contextlib.suppress(Exception):
            await ex.close()


def book_is_sane(book: Any) -> bool:
    """A synced book: hundreds of levels, best bid below best ask."""
    return len(book["bids"]) >= 300 and book["bids"][0][0] < book["asks"][0][0]


async def test_ccxt_history_and_trade_order(mx: MockExchange) -> None:
    """fetch_ohlcv(limit=500) is full; fetch_trades comes back in id order (ids of one width)."""
    ex = _ccxt(mx)
    try:
        candles = await asyncio.wait_for(ex.fetch_ohlcv("BTC/USDT", "1m", limit=500), BUDGET_S)
        assert len(candles) == 500 and candles[-1][0] - candles[0][0] == 499 * 60_000
        trades = await asyncio.wait_for(ex.fetch_trades("BTC/USDT", limit=1000), BUDGET_S)
        ids = [int(t["id"]) for t in trades]
        assert len(ids) == 1000 and ids == sorted(ids)
    finally:
        with contextlib.suppress(Exception):
            await ex.close()


async def test_python_binance_depth_cache_gets_20_updates(mx: MockExchange) -> None:
    """python-binance's DepthCacheManager gets 20 depth-cache updates within 15 s.

    ``ws_interval=100`` subscribes ``@depth@100ms``; the manager's default is the 1 s stream,
    where 20 updates take 20 s on Binance too.
    """
    binance = pytest.importorskip("binance", reason="python-binance is not installed")
    client: Any = binance.AsyncClient()
    client.API_URL = mx.url("https://api.binance.com/api")
    manager: Any = binance.BinanceSocketManager(client)
    manager.STREAM_URL = mx.url("wss://stream.binance.com:9443/")
    dcm: Any = binance.DepthCacheManager(client, "BTCUSDT", bm=manager, ws_interval=100)
    try:

        async def collect() -> Any:
            cache = None
            async with dcm as socket:
                for _ in range(20):
                    cache = await socket.recv()
            return cache

        cache = await asyncio.wait_for(collect(), BUDGET_S)
        bids, asks = cache.get_bids(), cache.get_asks()
        assert len(bids) >= 300 and bids[0][0] < asks[0][0]
    finally:
        await client.close_connection()
