"""Unmodified ccxt.pro against the emulator, redirected only by rewriting its URLs (the URL rule).

The emulator runs a frozen clock that a pump task advances 200 ms of virtual time per loop
turn, so a minute of market passes in well under a second of wall time while every stream and
the background activity follow the same clock.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio

from mock_exchange import MockExchange, ServerConfig

ccxtpro = pytest.importorskip("ccxt.pro")

pytestmark = pytest.mark.asyncio(loop_scope="module")

SPOT = "BTC/USDT"
SWAP = "BTC/USDT:USDT"
TIMEOUT = 20


def redirect(ex: Any, mx: MockExchange) -> None:
    """Point every ccxt REST and WebSocket URL at the emulator with the URL rule."""
    api = ex.urls["api"]
    for key, value in list(api.items()):
        if isinstance(value, str) and value.startswith("https://"):
            api[key] = mx.url(value)
    for key, value in list(api["ws"].items()):
        if isinstance(value, str):
            api["ws"][key] = mx.url(value)
        elif isinstance(value, dict):
            api["ws"][key] = {k: mx.url(v) for k, v in value.items()}


def make_ccxt(mx: MockExchange) -> Any:
    """A ccxt.pro binance with dummy keys (ccxt signs fetch_ticker_ws), spot and USD-M only."""
    ex = ccxtpro.binance(
        {
            "enableRateLimit": False,
            "apiKey": "emulator-key",
            "secret": "emulator-secret",
            "options": {
                "fetchMarkets": {"types": ["spot", "linear"]},
                "fetchCurrencies": False,
                "fetchMargins": False,
            },
        }
    )
    redirect(ex, mx)
    return ex


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def mx() -> AsyncIterator[MockExchange]:
    """One active emulator for the module, its clock pumped fast."""
    config = ServerConfig(seed=11, rate=40, frozen_clock=True, liquidation_share=0.3)
    async with MockExchange(config=config) as emulator:
        stop = asyncio.Event()

        async def pump() -> None:
            while not stop.is_set():
                emulator.clock.advance(200)
                await asyncio.sleep(0.01)

        task = asyncio.create_task(pump())
        try:
            yield emulator
        finally:
            stop.set()
            await task


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def ex(mx: MockExchange) -> AsyncIterator[Any]:
    """One redirected ccxt.pro instance for the module."""
    exchange = make_ccxt(mx)
    try:
        await asyncio.wait_for(exchange.load_markets(), TIMEOUT)
        yield exchange
    finally:
        with contextlib.suppress(Exception):
            await exchange.close()


def subscribed(mx: MockExchange, name: str) -> bool:
    return any(stream == name for _venue, stream in mx.subscriptions())


async def run(coro: Any) -> Any:
    return await asyncio.wait_for(coro, TIMEOUT)


async def test_load_markets_sees_spot_and_swap(ex: Any) -> None:
    """ccxt loads spot and USD-M markets from the emulator's exchangeInfo documents."""
    assert ex.markets[SPOT]["spot"] and ex.markets[SWAP]["swap"]
    assert ex.markets[SPOT]["precision"]["price"] is not None


@pytest.mark.parametrize("symbol", [SPOT, SWAP])
async def test_watch_ticker_tickers_bids_asks(ex: Any, mx: MockExchange, symbol: str) -> None:
    """watch_ticker, watch_tickers and watch_bids_asks resolve, then unwatch ACKs."""
    ticker = await run(ex.watch_ticker(symbol))
    assert ticker["symbol"] == symbol and ticker["last"] > 0
    other = "ETH/USDT" if symbol == SPOT else "ETH/USDT:USDT"
    tickers = await run(ex.watch_tickers([symbol, other]))
    assert set(tickers) <= {symbol, other} and tickers
    quotes = await run(ex.watch_bids_asks([symbol]))
    assert quotes[symbol]["bid"] < quotes[symbol]["ask"]
    assert await run(ex.un_watch_ticker(symbol)) is True
    await run(ex.un_watch_tickers([symbol, other]))
    await run(ex.un_watch_bids_asks([symbol]))
    assert not subscribed(mx, "btcusdt@miniTicker") and not subscribed(mx, "btcusdt@bookTicker")


@pytest.mark.parametrize("symbol", [SPOT, SWAP])
async def test_watch_trades_and_ohlcv(ex: Any, mx: MockExchange, symbol: str) -> None:
    """watch_trades(_for_symbols) and watch_ohlcv return engine trades and candles."""
    trades = await run(ex.watch_trades(symbol))
    assert trades and trades[-1]["symbol"] == symbol and trades[-1]["price"] > 0
    other = "ETH/USDT" if symbol == SPOT else "ETH/USDT:USDT"
    more = await run(ex.watch_trades_for_symbols([symbol, other]))
    assert more and more[-1]["symbol"] in (symbol, other)
    candles = await run(ex.watch_ohlcv(symbol, "1m"))
    assert candles and len(candles[-1]) == 6 and candles[-1][0] % 60_000 == 0
    await run(ex.un_watch_trades(symbol))
    await run(ex.un_watch_trades_for_symbols([symbol, other]))
    await run(ex.un_watch_ohlcv(symbol, "1m"))
    assert not subscribed(mx, "btcusdt@trade") and not subscribed(mx, "btcusdt@kline_1m")


@pytest.mark.parametrize(("symbol", "venue"), [(SPOT, "spot"), (SWAP, "usdm")])
async def test_watch_order_book_equals_engine(
    ex: Any, mx: MockExchange, symbol: str, venue: str
) -> None:
    """ccxt's book, synced by snapshot + diffs, equals the engine's book at the same id."""
    engine = mx.exchange.engine(venue)  # type: ignore[arg-type]
    market_id = ex.market(symbol)["id"]
    book = await run(ex.watch_order_book(symbol))
    for _ in range(200):
        book = await run(ex.watch_order_book(symbol))
        if book["nonce"] == engine.update_id(market_id):
            break
    assert book["nonce"] == engine.update_id(market_id)
    _, bids, asks = engine.depth(market_id, 1000)
    assert [(Decimal(str(p)), Decimal(str(q))) for p, q in book["bids"][:50]] == [
        (p, q) for p, q in bids[:50]
    ]
    assert [(Decimal(str(p)), Decimal(str(q))) for p, q in book["asks"][:50]] == [
        (p, q) for p, q in asks[:50]
    ]
    await run(ex.un_watch_order_book(symbol))
    assert not subscribed(mx, f"{market_id.lower()}@depth@100ms")


async def test_watch_mark_prices_and_liquidations(ex: Any, mx: MockExchange) -> None:
    """watch_mark_price(s) report mark and index from the engines; liquidations arrive."""
    mark = await run(ex.watch_mark_price(SWAP))
    assert mark["symbol"] == SWAP and mark["markPrice"] > 0 and mark["indexPrice"] > 0
    marks = await run(ex.watch_mark_prices([SWAP, "ETH/USDT:USDT"]))
    assert set(marks) <= {SWAP, "ETH/USDT:USDT"}
    liquidations = await run(ex.watch_liquidations(SWAP))
    assert liquidations[0]["symbol"] == SWAP and liquidations[0]["contracts"] > 0
    await run(ex.un_watch_mark_price(SWAP))
    await run(ex.un_watch_mark_prices([SWAP, "ETH/USDT:USDT"]))
    assert not subscribed(mx, "btcusdt@markPrice@1s")


async def test_ws_api_fetches(ex: Any, mx: MockExchange) -> None:
    """fetch_ticker_ws and fetch_order_book_ws (USD-M), fetch_trades_ws and fetch_ohlcv_ws
    (spot) go over the WS API and match the engine."""
    ticker = await run(ex.fetch_ticker_ws(SWAP))
    assert ticker["symbol"] == SWAP and ticker["bid"] < ticker["ask"]
    book = await run(ex.fetch_order_book_ws(SWAP, 5))
    assert book["nonce"] <= mx.exchange.engine("usdm").update_id("BTCUSDT")
    assert len(book["bids"]) == 5
    trades = await run(ex.fetch_trades_ws(SPOT, limit=5))
    assert len(trades) == 5 and all(t["price"] > 0 for t in trades)
    candles = await run(ex.fetch_ohlcv_ws(SPOT, "1m", limit=3))
    assert len(candles) == 3 and candles[1][0] - candles[0][0] == 60_000


async def test_default_market_types_and_coinm_book(mx: MockExchange) -> None:
    """With ccxt's default fetchMarkets (spot, linear, inverse) the COIN-M book syncs too."""
    exchange = ccxtpro.binance({"enableRateLimit": False, "options": {"fetchMargins": False}})
    redirect(exchange, mx)
    try:
        await run(exchange.load_markets())
        symbol = "BTC/USD:BTC"
        assert exchange.markets[symbol]["inverse"] and exchange.markets[symbol]["contractSize"]
        engine = mx.exchange.engine("coinm")
        book = await run(exchange.watch_order_book(symbol))
        for _ in range(200):
            book = await run(exchange.watch_order_book(symbol))
            if book["nonce"] == engine.update_id("BTCUSD_PERP"):
                break
        assert book["nonce"] == engine.update_id("BTCUSD_PERP")
        _, bids, _ = engine.depth("BTCUSD_PERP", 20)
        assert [(Decimal(str(p)), Decimal(str(q))) for p, q in book["bids"][:20]] == bids
    finally:
        await exchange.close()
