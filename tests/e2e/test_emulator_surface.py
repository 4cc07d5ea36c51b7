"""Real client against the real emulator: every public method on spot, USD-M and COIN-M, with
the depth-gap resync and serverShutdown paths driven through the emulator's control API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

import client
from client import Binance, OrderBook
from client.telemetry import WireEvent
from mock_exchange import MockExchange, ServerConfig

FAST = {"timeout": 5000, "backoff_initial": 20, "backoff_cap": 100}


@pytest.fixture
async def busy() -> AsyncIterator[MockExchange]:
    """An emulator with brisk activity and frequent futures liquidations."""
    async with MockExchange(config=ServerConfig(seed=5, rate=60, liquidation_share=0.5)) as mx:
        yield mx


@pytest.fixture
async def bx(busy: MockExchange) -> AsyncIterator[Binance]:
    """A client on the busy emulator."""
    async with Binance(binance_env="local", base_url=busy.base_url, options=FAST) as ex:
        yield ex


def sane(book: OrderBook) -> None:
    """Assert the invariants of a synced book: sorted sides that do not cross."""
    bids, asks = book["bids"], book["asks"]
    assert bids and asks
    assert [p for p, _ in bids] == sorted((p for p, _ in bids), reverse=True)
    assert [p for p, _ in asks] == sorted(p for p, _ in asks)
    assert bids[0][0] < asks[0][0]
    assert all(q > 0 for _, q in bids + asks)


def depth_requests(mx: MockExchange) -> list[str]:
    """Return the REST depth requests clients made, in order."""
    return [e.path for e in mx.control.journal if e.transport == "rest" and "depth" in e.path]


async def test_markets_of_every_venue(bx: Binance) -> None:
    """Markets of spot, USD-M and COIN-M load from the emulator's three exchangeInfo."""
    markets = await bx.load_markets()
    assert {"BTC/USDT", "BTC/USDT:USDT", "BTC/USD:BTC"} <= set(markets)
    assert bx.market_errors == {}
    assert markets["BTC/USD:BTC"]["inverse"] and markets["BTC/USDT:USDT"]["linear"]


@pytest.mark.parametrize("symbol", ["BTC/USDT", "BTC/USDT:USDT", "BTC/USD:BTC"])
async def test_order_book_syncs_and_moves(bx: Binance, symbol: str) -> None:
    """watch_order_book returns a synced, uncrossed book whose nonce keeps increasing."""
    first = await bx.watch_order_book(symbol, 10)
    sane(first)
    assert first["symbol"] == symbol and len(first["bids"]) <= 10
    later = await bx.watch_order_book(symbol)
    sane(later)
    assert later["nonce"] is not None and first["nonce"] is not None
    assert later["nonce"] > first["nonce"]


@pytest.mark.parametrize("symbol", ["BTC/USDT", "BTC/USDT:USDT"])
async def test_live_order_book_stays_current_between_watches(bx: Binance, symbol: str) -> None:
    """With ``liveBook`` watch_order_book returns one book object that every diff keeps
    current: whenever another watch returns, it equals a copy read at that moment."""
    live = await bx.watch_order_book(symbol, params={"liveBook": True})
    sane(live)
    first = live["nonce"]
    for _ in range(5):
        copy = await bx.watch_order_book(symbol)
        assert live["nonce"] == copy["nonce"] and live["datetime"] == copy["datetime"]
        assert live["bids"] == copy["bids"] and live["asks"] == copy["asks"]
        sane(live)
    assert first is not None and live["nonce"] > first
    assert await bx.watch_order_book(symbol, params={"liveBook": True}) is live


async def resynced(bx: Binance, mx: MockExchange, symbol: str, before: int, tries: int) -> bool:
    """Watch the book up to ``tries`` times (checking it each time); True once it resynced."""
    for _ in range(tries):
        sane(await bx.watch_order_book(symbol))
        if len(depth_requests(mx)) > before:
            return True
    return False


def resyncs(bx: Binance) -> int:
    """Return the resync count of the client's only book."""
    (url,) = (u for u in bx.connections() if bx.connection_info(u)["books"])
    (book,) = bx.connection_info(url)["books"].values()
    return int(book["resyncs"])


@pytest.mark.parametrize(
    ("symbol", "venue"), [("BTC/USDT", "spot"), ("ETH/USDT:USDT", "usdm"), ("BTC/USD:BTC", "coinm")]
)
async def test_depth_gap_fault_triggers_resync(
    bx: Binance, busy: MockExchange, symbol: str, venue: str
) -> None:
    """The emulator's gap fault (lost update ids) breaks spot U/u and futures pu continuity:
    the client resyncs from one new snapshot and keeps returning sane books."""
    await bx.watch_order_book(symbol)
    await bx.watch_order_book(symbol)  # a live diff applied: the next one on the wire is newer
    before = len(depth_requests(busy))
    market = await bx.market(symbol)
    busy.add_fault("gap", symbol=market["id"], venue=venue, count=5)
    assert await resynced(bx, busy, symbol, before, 20)
    assert len(depth_requests(busy)) == before + 1 and resyncs(bx) == 1
    sane(await bx.watch_order_book(symbol))


@pytest.mark.parametrize("symbol", ["ETH/USDT", "ETH/USDT:USDT"])
async def test_dropped_diff_triggers_resync(bx: Binance, busy: MockExchange, symbol: str) -> None:
    """A diff lost on the wire (drop_frames fault) breaks U/u or pu continuity: the client
    resyncs instead of returning a book that misses the change."""
    await bx.watch_order_book(symbol)
    # after a live diff is applied every later frame is newer than the book, so the dropped
    # one is a real loss (a frame older than the snapshot could be lost harmlessly)
    await bx.watch_order_book(symbol)
    before = len(depth_requests(busy))
    busy.add_fault("drop_frames", count=1)
    assert await resynced(bx, busy, symbol, before, 20)
    assert resyncs(bx) == 1


async def test_trades_spot_and_futures(bx: Binance) -> None:
    """watch_trades returns new trades per market; ids rise; the same id never repeats."""
    spot = await bx.watch_trades("BTC/USDT")
    fut = await bx.watch_trades_for_symbols(["BTC/USDT:USDT", "ETH/USDT:USDT"])
    coin = await bx.watch_trades("BTC/USD:BTC", params={"name": "aggTrade"})
    assert {t["symbol"] for t in spot} == {"BTC/USDT"}
    assert len({t["symbol"] for t in fut}) == 1
    assert {t["symbol"] for t in coin} == {"BTC/USD:BTC"}
    more = await bx.watch_trades("BTC/USDT")
    ids = [int(t["id"] or 0) for t in spot + more]
    assert ids == sorted(set(ids))
    assert all(t["side"] in ("buy", "sell") and (t["cost"] or 0) > 0 for t in spot)
    await bx.unwatch_trades("BTC/USDT")
    await bx.unwatch_trades_for_symbols(["BTC/USDT:USDT", "ETH/USDT:USDT"])
    await bx.unwatch_trades("BTC/USD:BTC", {"name": "aggTrade"})


async def test_ohlcv_tickers_and_bids_asks(bx: Binance) -> None:
    """Klines, tickers and book tickers stream on spot and futures."""
    (candle,) = (await bx.watch_ohlcv("BTC/USDT", "1m"))[-1:]
    assert candle[0] is not None and candle[0] % 60_000 == 0
    got = await bx.watch_ohlcv_for_symbols([["ETH/USDT:USDT", "1m"]])
    assert list(got) == ["ETH/USDT:USDT"]
    tickers = await bx.watch_tickers(None, {"type": "future"})
    assert tickers and all(s.endswith(":USDT") for s in tickers)
    t = await bx.watch_ticker("BTC/USD:BTC", {"name": "miniTicker"})
    assert t["symbol"] == "BTC/USD:BTC" and t["last"]
    ba = await bx.watch_bids_asks(["BTC/USDT", "ETH/USDT"])
    (q,) = ba.values()
    assert q["bid"] is not None and q["ask"] is not None and q["bid"] < q["ask"]
    fut = await bx.watch_bids_asks(None, {"type": "future"})
    assert all(s.endswith(":USDT") for s in fut)
    await bx.unwatch_ohlcv("BTC/USDT", "1m")
    await bx.unwatch_ohlcv_for_symbols([["ETH/USDT:USDT", "1m"]])
    await bx.unwatch_tickers(None, {"type": "future"})
    await bx.unwatch_ticker("BTC/USD:BTC", {"name": "miniTicker"})
    await bx.unwatch_bids_asks(["BTC/USDT", "ETH/USDT"])
    await bx.unwatch_bids_asks(None, {"type": "future"})
    for url in bx.connections():
        assert bx.connection_info(url)["subscriptions"] == {}


async def test_mark_prices_and_liquidations(bx: Binance) -> None:
    """Mark prices and liquidations stream on USD-M (one symbol and all symbols)."""
    mp = await bx.watch_mark_price("BTC/USDT:USDT")
    assert mp["markPrice"] and mp["indexPrice"] and "r" in mp["info"]
    allm = await bx.watch_mark_prices()
    assert allm and all(s.endswith(":USDT") for s in allm)
    liqs = await bx.watch_liquidations_for_symbols(None, params={"type": "future"})
    assert liqs and all(x["side"] in ("buy", "sell") and x["price"] for x in liqs)
    one = await bx.watch_liquidations_for_symbols(["BTC/USDT:USDT", "ETH/USDT:USDT"])
    assert one and one[0]["symbol"] in ("BTC/USDT:USDT", "ETH/USDT:USDT")
    await bx.unwatch_mark_price("BTC/USDT:USDT")
    await bx.unwatch_mark_prices()


async def test_ws_api_fetches(bx: Binance) -> None:
    """fetch_*_ws answer over the emulator's WebSocket API for spot and USD-M."""
    t = await bx.fetch_ticker_ws("BTC/USDT")
    assert t["symbol"] == "BTC/USDT" and t["last"] and t["baseVolume"]
    ft = await bx.fetch_ticker_ws("BTC/USDT:USDT")
    assert ft["bid"] and ft["ask"]
    book = await bx.fetch_order_book_ws("BTC/USDT", 5)
    sane(book)
    assert len(book["asks"]) <= 5 and book["nonce"]
    sane(await bx.fetch_order_book_ws("BTC/USDT:USDT", 5))
    trades = await bx.fetch_trades_ws("BTC/USDT", limit=3)
    assert 0 < len(trades) <= 3 and trades[0]["symbol"] == "BTC/USDT"
    since = trades[0]["timestamp"]
    assert all(
        (x["timestamp"] or 0) >= (since or 0) for x in await bx.fetch_trades_ws("BTC/USDT", since)
    )
    candles = await bx.fetch_ohlcv_ws("BTC/USDT", "1m", limit=2)
    assert 1 <= len(candles) <= 2 and candles[0][0] is not None
    with pytest.raises(client.NotSupported):
        await bx.fetch_ohlcv_ws("BTC/USDT:USDT")


async def test_server_shutdown_fault_keeps_books(bx: Binance, busy: MockExchange) -> None:
    """The emulator's server_shutdown fault moves streams to a new socket; the book resyncs."""
    await bx.watch_order_book("ETH/USDT")
    announced, resubscribed = asyncio.Event(), asyncio.Event()

    def on_event(event: WireEvent) -> None:
        if "serverShutdown" in event.text:
            announced.set()
        elif event.kind == "ack" and announced.is_set():
            resubscribed.set()  # the new socket's SUBSCRIBE is answered: the handover is done

    bx.add_listener(on_event)
    busy.add_fault("server_shutdown")
    await asyncio.wait_for(resubscribed.wait(), 5)
    for _ in range(3):
        sane(await bx.watch_order_book("ETH/USDT"))
    info = bx.connection_info(bx.connections()[0])
    assert info["handovers"] == 1 and info["state"] == "open"
