"""The real client against a loopback Binance speaking documented payloads.

These cover what the emulator does not serve yet: USD-M and COIN-M markets, trades, klines,
book tickers, mark prices, liquidations, diff depth with REST snapshots, and the WebSocket API.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

import client
from client import Binance

from .loopback import Loopback

FAST = {
    "timeout": 3000,
    "keepalive": 200,
    "keepalive_timeout": 200,
    "backoff_initial": 20,
    "backoff_cap": 100,
}


@pytest.fixture
async def lb() -> AsyncIterator[Loopback]:
    """A loopback Binance on 127.0.0.1:0."""
    async with Loopback() as server:
        yield server


@pytest.fixture
async def lex(lb: Loopback) -> AsyncIterator[Binance]:
    """A client on the ``local`` environment of the loopback server, with fast timers."""
    async with Binance(binance_env="local", base_url=lb.base_url, options=FAST) as ex:
        yield ex


def trade(symbol: str, tid: int, price: str = "100.0", maker: bool = True) -> dict[str, Any]:
    """A ``trade`` event as documented."""
    return {
        "e": "trade",
        "E": 1672515782136 + tid,
        "s": symbol,
        "t": tid,
        "p": price,
        "q": "0.5",
        "T": 1672515782136 + tid,
        "m": maker,
        "M": True,
    }


async def start(lb: Loopback, coro: Any, *streams: str) -> asyncio.Task[Any]:
    """Start a watch and wait until the server carries its streams."""
    task = asyncio.ensure_future(coro)
    await lb.wait_until(lambda: all(lb.carrying(s) for s in streams))
    return task


async def waiting(ex: Binance, stream: str) -> None:
    """Yield to the loop (no wall-clock wait) until a watch of ``stream`` is registered."""

    def registered() -> bool:
        return any(ex.connection_info(u)["waiters"].get(stream) for u in ex.connections())

    async with asyncio.timeout(5):
        while not registered():  # noqa: ASYNC110 - nothing to wait on: registration is a yield away
            await asyncio.sleep(0)


async def test_markets_of_three_types(lex: Binance) -> None:
    """Markets load once for spot, USD-M and COIN-M with CCXT symbols; ids resolve by type."""
    markets = await lex.load_markets()
    assert {"BTC/USDT", "BTC/USDT:USDT", "BTC/USD:BTC"} <= set(markets)
    assert (await lex.market("BTCUSDT"))["symbol"] == "BTC/USDT"
    assert (await lex.market("BTCUSDT", {"type": "future"}))["symbol"] == "BTC/USDT:USDT"
    assert (await lex.market("BTCUSD_PERP", {"defaultType": "delivery"}))["contractSize"] == 100
    assert await lex.load_markets() is markets
    with pytest.raises(client.BadSymbol):
        await lex.market("BTCUSDT", {"type": "delivery"})


async def test_spot_symbol_never_gets_futures_trades(lb: Loopback, lex: Binance) -> None:
    """The same id BTCUSDT on spot and USD-M streams reaches only the market it was sent for."""
    spot = await start(lb, lex.watch_trades("BTC/USDT"), "btcusdt@trade")
    fut = await start(lb, lex.watch_trades("BTC/USDT:USDT"), "btcusdt@trade")
    await lb.wait_until(lambda: lb.carrying("btcusdt@trade") == 2)
    assert lb.push("btcusdt@trade", trade("BTCUSDT", 1, "200.5"), kind="future") == 1
    got = await fut
    assert [t["symbol"] for t in got] == ["BTC/USDT:USDT"] and got[0]["price"] == 200.5
    assert not spot.done()
    lb.push("btcusdt@trade", trade("BTCUSDT", 2, "100.25"), kind="spot")
    assert [t["price"] for t in await spot] == [100.25]
    urls = lex.connections()
    assert any(u.endswith("/stream.binance.com:9443/stream") for u in urls)
    assert any(u.endswith("/fstream.binance.com/public/stream") for u in urls)


async def test_trades_new_updates_and_limit(lb: Loopback, lex: Binance) -> None:
    """Trades pushed together come back together; limit keeps the newest; cache_limit bounds."""
    task = await start(lb, lex.watch_trades("ETH/USDT"), "ethusdt@trade")
    for i in range(3):
        lb.push("ethusdt@trade", trade("ETHUSDT", i))
    got = await task
    assert [t["id"] for t in got] == ["0", "1", "2"]
    assert got[0]["side"] == "sell" and got[0]["cost"] == 50.0
    task = asyncio.ensure_future(lex.watch_trades("ETH/USDT", None, 2, {"cacheLimit": 3}))
    await waiting(lex, "ethusdt@trade")
    for i in range(3, 6):
        lb.push("ethusdt@trade", trade("ETHUSDT", i, maker=False))
    got = await task
    assert [t["id"] for t in got] == ["4", "5"] and got[0]["side"] == "buy"
    info = lex.connection_info(lex.connections()[0])
    assert info["cache"] == {"ethusdt@trade": 6}


async def test_trades_for_symbols_and_unwatch(lb: Loopback, lex: Binance) -> None:
    """watch_trades_for_symbols returns the symbol that fired; unwatch fails pending watchers."""
    task = await start(
        lb, lex.watch_trades_for_symbols(["BTC/USDT", "ETH/USDT"]), "btcusdt@trade", "ethusdt@trade"
    )
    assert len(lb.sent("SUBSCRIBE")) == 1
    lb.push("ethusdt@trade", trade("ETHUSDT", 9))
    assert [t["symbol"] for t in await task] == ["ETH/USDT"]
    pending = asyncio.ensure_future(lex.watch_trades("BTC/USDT"))
    await waiting(lex, "btcusdt@trade")
    await lex.unwatch_trades_for_symbols(["BTC/USDT", "ETH/USDT"])
    with pytest.raises(client.UnsubscribeError):
        await pending
    assert lb.sent("UNSUBSCRIBE")[-1]["params"] == ["btcusdt@trade", "ethusdt@trade"]
    assert lex.connection_info(lex.connections()[0])["state"] == "open"
    with pytest.raises(client.UnsubscribeError):
        await lex.unwatch_trades("BTC/USDT")


def kline(symbol: str, t: int, close: str, closed: bool = False) -> dict[str, Any]:
    """A ``kline`` event as documented."""
    return {
        "e": "kline",
        "E": t + 1,
        "s": symbol,
        "k": {
            "t": t,
            "T": t + 59_999,
            "s": symbol,
            "i": "1m",
            "f": 100,
            "L": 200,
            "o": "10.0",
            "c": close,
            "h": "12.0",
            "l": "9.0",
            "v": "1000",
            "n": 100,
            "x": closed,
            "q": "1.0",
            "V": "500",
            "Q": "0.5",
            "B": "0",
        },
    }


async def test_ohlcv_updates_open_candle(lb: Loopback, lex: Binance) -> None:
    """watch_ohlcv returns new candles; an update of the open candle comes back replaced."""
    task = await start(lb, lex.watch_ohlcv("BTC/USDT:USDT", "1m"), "btcusdt@kline_1m")
    lb.push("btcusdt@kline_1m", kline("BTCUSDT", 60_000, "11.0"))
    assert await task == [[60_000, 10.0, 12.0, 9.0, 11.0, 1000.0]]
    assert lb.sessions[0].path == "/market/stream"
    task = asyncio.ensure_future(lex.watch_ohlcv_for_symbols([["BTC/USDT:USDT", "1m"]]))
    await waiting(lex, "btcusdt@kline_1m")
    lb.push("btcusdt@kline_1m", kline("BTCUSDT", 60_000, "11.5", closed=True))
    assert await task == {"BTC/USDT:USDT": {"1m": [[60_000, 10.0, 12.0, 9.0, 11.5, 1000.0]]}}
    with pytest.raises(client.BadRequest):
        await lex.watch_ohlcv("BTC/USDT", "7m")
    await lex.unwatch_ohlcv("BTC/USDT:USDT", "1m")
    assert lb.carrying("btcusdt@kline_1m") == 0


async def test_tickers_bids_asks_and_mark_prices(lb: Loopback, lex: Binance) -> None:
    """Ticker-shaped watchers parse miniTicker arrays, bookTicker and markPriceUpdate."""
    task = await start(lb, lex.watch_tickers(None, {"type": "future"}), "!miniTicker@arr")
    mini = {"e": "24hrMiniTicker", "E": 5, "s": "ETHUSDT", "c": "2.0", "o": "1.0"}
    mini |= {"h": "2.5", "l": "0.5", "v": "10", "q": "15"}
    lb.push("!miniTicker@arr", [mini, {**mini, "s": "NOPE"}])
    got = await task
    assert list(got) == ["ETH/USDT:USDT"] and got["ETH/USDT:USDT"]["change"] == 1.0
    book = {"e": "bookTicker", "u": 400900217, "E": 1568014460893, "T": 1568014460891}
    book |= {"s": "BTCUSDT", "b": "25.35", "B": "31.21", "a": "25.36", "A": "40.66"}
    task = await start(lb, lex.watch_bids_asks(None, {"type": "future"}), "!bookTicker")
    lb.push("!bookTicker", book)
    assert (await task)["BTC/USDT:USDT"]["ask"] == 25.36
    with pytest.raises(client.ArgumentsRequired):
        await lex.watch_bids_asks()
    mark = {"e": "markPriceUpdate", "E": 1562305380000, "s": "BTCUSDT", "p": "11794.15"}
    mark |= {"i": "11784.62", "P": "11784.25", "r": "0.00038167", "T": 1562306400000}
    task = await start(lb, lex.watch_mark_price("BTC/USDT:USDT"), "btcusdt@markPrice@1s")
    lb.push("btcusdt@markPrice@1s", mark)
    t = await task
    assert t["markPrice"] == 11794.15 and t["indexPrice"] == 11784.62
    assert t["info"]["r"] == "0.00038167"
    task = await start(lb, lex.watch_mark_prices(), "!markPrice@arr@1s")
    lb.push("!markPrice@arr@1s", [mark])
    assert list(await task) == ["BTC/USDT:USDT"]
    with pytest.raises(client.BadRequest):
        await lex.watch_mark_price("BTC/USDT")
    await lex.unwatch_mark_price("BTC/USDT:USDT")
    await lex.unwatch_mark_prices()
    await lex.unwatch_bids_asks(None)
    await lex.unwatch_tickers()
    assert lb.carrying("!markPrice@arr@1s") == lb.carrying("!bookTicker") == 0


async def test_coinm_ticker_and_liquidations(lb: Loopback, lex: Binance) -> None:
    """COIN-M tickers swap contract and base volumes; liquidations parse forceOrder events."""
    task = await start(lb, lex.watch_ticker("BTC/USD:BTC"), "btcusd_perp@ticker")
    tick = {"e": "24hrTicker", "E": 1, "s": "BTCUSD_PERP", "p": "10", "P": "1.0", "w": "1000"}
    tick |= {"c": "1010", "Q": "1", "o": "1000", "h": "1020", "l": "990", "v": "500", "q": "50"}
    tick |= {"O": 0, "C": 86_400_000, "F": 0, "L": 10, "n": 11}
    lb.push("btcusd_perp@ticker", tick)
    t = await task
    assert t["baseVolume"] == 50.0 and t["quoteVolume"] == 50_000.0
    assert lb.sessions[0].kind == "delivery" and lb.sessions[0].path == "/stream"
    force = {"e": "forceOrder", "E": 1568014460893}
    force["o"] = {"s": "BTCUSD_PERP", "ps": "BTCUSD", "S": "SELL", "o": "LIMIT", "f": "IOC"}
    force["o"] |= {"q": "1", "p": "9425.5", "ap": "9496.5", "X": "FILLED", "l": "1", "z": "1"}
    force["o"]["T"] = 1591154240949
    task = await start(lb, lex.watch_liquidations("BTC/USD:BTC"), "btcusd_perp@forceOrder")
    lb.push("btcusd_perp@forceOrder", force)
    (liq,) = await task
    assert liq["side"] == "sell" and liq["price"] == 9496.5 and liq["contractSize"] == 100
    task = await start(
        lb, lex.watch_liquidations_for_symbols(None, params={"type": "delivery"}), "!forceOrder@arr"
    )
    lb.push("!forceOrder@arr", force)
    assert [x["symbol"] for x in await task] == ["BTC/USD:BTC"]
    with pytest.raises(client.BadRequest):
        await lex.watch_liquidations("BTC/USDT")


def diff(first: int, last: int, bids: list[list[str]], asks: list[list[str]], **kw: Any) -> Any:
    """A ``depthUpdate`` event as documented (futures add ``pu`` via ``kw``)."""
    return {"e": "depthUpdate", "E": 1000 + last, "s": "BTCUSDT", "U": first, "u": last}.__or__(
        {"b": bids, "a": asks, **kw}
    )


async def test_spot_book_sync_gap_and_resync(lb: Loopback, lex: Binance) -> None:
    """Diffs buffered before the snapshot replay onto it; a gap resyncs from a new snapshot."""
    lb.depth[("spot", "BTCUSDT")] = {
        "lastUpdateId": 100,
        "bids": [["10.0", "1"], ["9.0", "2"]],
        "asks": [["11.0", "1"]],
    }
    lb.depth_gate = asyncio.Event()  # hold the snapshot until two diffs are buffered
    seen = asyncio.Event()
    diffs: list[str] = []

    def on_wire(e: client.WireEvent) -> None:
        if e.kind == "recv" and "depthUpdate" in e.text:
            diffs.append(e.text)
            if len(diffs) == 2:
                seen.set()

    lex.add_listener(on_wire)
    task = await start(lb, lex.watch_order_book("BTC/USDT", 5), "btcusdt@depth@100ms")
    await lb.wait_until(lambda: bool(lb.depth_requests))
    lb.push("btcusdt@depth@100ms", diff(95, 99, [["8.0", "5"]], []))  # older than the snapshot
    lb.push("btcusdt@depth@100ms", diff(100, 102, [["10.0", "0"]], [["11.5", "3"]]))
    await asyncio.wait_for(seen.wait(), 5)
    lb.depth_gate.set()
    book = await task
    assert book["nonce"] == 102 and book["bids"] == [[9.0, 2.0]]
    assert lb.depth_requests[0][1] == {"symbol": "BTCUSDT", "limit": "1000"}
    task = asyncio.ensure_future(lex.watch_order_book("BTC/USDT"))
    await waiting(lex, "btcusdt@depth@100ms")
    lb.push("btcusdt@depth@100ms", diff(103, 103, [["9.5", "1"]], []))
    book = await task
    assert book["bids"] == [[9.5, 1.0], [9.0, 2.0]] and book["asks"] == [[11.0, 1.0], [11.5, 3.0]]
    assert book["nonce"] == 103
    # a gap: 105 follows 103; the client fetches a new snapshot and never returns a bad book
    lb.depth[("spot", "BTCUSDT")] = {"lastUpdateId": 110, "bids": [["7.0", "1"]], "asks": []}
    task = asyncio.ensure_future(lex.watch_order_book("BTC/USDT"))
    await waiting(lex, "btcusdt@depth@100ms")
    before = len(lb.depth_requests)
    lb.push("btcusdt@depth@100ms", diff(105, 106, [["1.0", "1"]], []))
    book = await task
    assert len(lb.depth_requests) == before + 1
    assert book["nonce"] == 110 and book["bids"] == [[7.0, 1.0]]
    conn = lex.connection_info(lex.connections()[0])
    assert conn["cache"] == {"btcusdt@depth@100ms": 1}
    await lex.unwatch_order_book("BTC/USDT")


async def test_a_level_that_fails_to_parse_resyncs_a_watched_book(
    lb: Loopback, lex: Binance
) -> None:
    """A diff whose level is not a number, found when the book is read, makes the watch fetch
    a new snapshot and return the resynced book, never the bad level nor an exception."""
    lb.depth[("spot", "BTCUSDT")] = {"lastUpdateId": 100, "bids": [["10.0", "1"]], "asks": []}
    task = await start(lb, lex.watch_order_book("BTC/USDT"), "btcusdt@depth@100ms")
    lb.push("btcusdt@depth@100ms", diff(101, 101, [["9.0", "2"]], []))
    book = await task
    assert book["nonce"] == 101 and book["bids"] == [[10.0, 1.0], [9.0, 2.0]]
    lb.depth[("spot", "BTCUSDT")] = {"lastUpdateId": 110, "bids": [["7.0", "1"]], "asks": []}
    before = len(lb.depth_requests)
    task = asyncio.ensure_future(lex.watch_order_book("BTC/USDT"))
    await waiting(lex, "btcusdt@depth@100ms")
    lb.push("btcusdt@depth@100ms", diff(102, 102, [["abc", "1"]], []))
    book = await asyncio.wait_for(task, 10)
    assert len(lb.depth_requests) == before + 1
    assert book["nonce"] == 110 and book["bids"] == [[7.0, 1.0]]
    await lex.unwatch_order_book("BTC/USDT")


async def test_futures_book_uses_pu(lb: Loopback, lex: Binance) -> None:
    """USD-M books accept the first diff spanning the snapshot and then chain on ``pu``."""
    lb.depth[("future", "BTCUSDT")] = {
        "lastUpdateId": 150,
        "E": 1,
        "T": 2,
        "bids": [["100.0", "1"]],
        "asks": [["101.0", "1"]],
    }
    book = await lex.watch_order_book("BTC/USDT:USDT")
    assert book["nonce"] == 150 and book["timestamp"] == 2
    assert lb.sessions[0].path == "/public/stream"
    task = asyncio.ensure_future(lex.watch_order_book_for_symbols(["BTC/USDT:USDT"]))
    await waiting(lex, "btcusdt@depth@100ms")
    lb.push("btcusdt@depth@100ms", diff(140, 160, [["99.0", "4"]], [], pu=139))
    lb.push("btcusdt@depth@100ms", diff(170, 175, [["100.0", "0"]], [], pu=160))
    book = await task
    if book["nonce"] == 160:
        book = await lex.watch_order_book("BTC/USDT:USDT")
    assert book["nonce"] == 175 and book["bids"] == [[99.0, 4.0]]
    before = len(lb.depth_requests)
    task = asyncio.ensure_future(lex.watch_order_book("BTC/USDT:USDT"))
    await waiting(lex, "btcusdt@depth@100ms")
    lb.push("btcusdt@depth@100ms", diff(180, 185, [["1.0", "1"]], [], pu=177))  # pu != 175
    book = await task
    assert len(lb.depth_requests) == before + 1 and book["nonce"] == 150


async def test_ws_api_requests(lb: Loopback, lex: Binance) -> None:
    """fetch_*_ws send WS API requests with string ids and parse the matched answers."""
    lb.ws_api[("spot", "ticker.24hr")] = lambda r: {
        "symbol": "BTCUSDT",
        "priceChange": "1.0",
        "lastPrice": "11.0",
        "openPrice": "10.0",
        "closeTime": 1700000000000,
        "volume": "2",
        "quoteVolume": "21",
    }
    lb.ws_api[("spot", "depth")] = lambda r: {
        "lastUpdateId": 7,
        "bids": [["1.0", "2.0"], ["1.5", "1"]],
        "asks": [["2.0", "1.0"]],
    }
    lb.ws_api[("spot", "trades.recent")] = lambda r: [
        {"id": 1, "price": "3", "qty": "2", "time": 5, "isBuyerMaker": False}
    ]
    lb.ws_api[("spot", "klines")] = lambda r: [[60000, "1", "2", "0.5", "1.5", "9", 119999]]

    def refuse(r: dict[str, Any]) -> Any:
        raise LookupError(-1121, "Invalid symbol.")

    lb.ws_api[("future", "depth")] = refuse
    t = await lex.fetch_ticker_ws("BTC/USDT")
    assert t["last"] == 11.0 and t["timestamp"] == 1700000000000
    book = await lex.fetch_order_book_ws("BTC/USDT", 5)
    assert book["nonce"] == 7 and book["bids"][0] == [1.5, 1.0]
    (tr,) = await lex.fetch_trades_ws("BTC/USDT", limit=1)
    assert tr["side"] == "buy" and tr["cost"] == 6.0
    assert await lex.fetch_ohlcv_ws("BTC/USDT", "1m", 1, 1) == [[60000, 1.0, 2.0, 0.5, 1.5, 9.0]]
    sent = lb.sent("klines")[0]
    assert sent["params"] == {"symbol": "BTCUSDT", "interval": "1m", "startTime": 1, "limit": 1}
    assert isinstance(sent["id"], str)
    with pytest.raises(client.BadSymbol):
        await lex.fetch_order_book_ws("BTC/USDT:USDT")
    with pytest.raises(client.NotSupported):
        await lex.fetch_trades_ws("BTC/USDT:USDT")
    ws_api = [u for u in lex.connections() if "ws-api" in u]
    assert lex.connection_info(ws_api[0])["pending_requests"] == 0


async def test_reconnect_resubscribes_and_resyncs(lb: Loopback, lex: Binance) -> None:
    """A dropped socket reconnects with backoff, re-subscribes every stream and resyncs books."""
    lb.depth[("spot", "BTCUSDT")] = {"lastUpdateId": 10, "bids": [["1.0", "1"]], "asks": []}
    await lex.watch_order_book("BTC/USDT")
    task = await start(lb, lex.watch_trades("ETH/USDT"), "ethusdt@trade")
    await lb.close_all(1011)
    with pytest.raises(client.ConnectionClosed):
        await task
    await lb.wait_until(lambda: lb.carrying("ethusdt@trade") and lb.carrying("btcusdt@depth@100ms"))
    lb.depth[("spot", "BTCUSDT")] = {"lastUpdateId": 20, "bids": [["2.0", "1"]], "asks": []}
    book = await lex.watch_order_book("BTC/USDT")
    assert book["nonce"] == 20
    info = lex.connection_info(lex.connections()[0])
    assert info["reconnects"] == 1 and info["state"] == "open"
    assert set(info["subscriptions"]) == {"ethusdt@trade", "btcusdt@depth@100ms"}
    task = asyncio.ensure_future(lex.watch_trades("ETH/USDT"))
    await waiting(lex, "ethusdt@trade")
    lb.push("ethusdt@trade", trade("ETHUSDT", 1))
    assert len(await task) == 1


async def test_server_shutdown_hands_over_without_errors(lb: Loopback, lex: Binance) -> None:
    """On serverShutdown the client moves its streams to a new socket before the old drops."""
    task = await start(lb, lex.watch_trades("BTC/USDT"), "btcusdt@trade")
    old = lb.sessions[0]
    lb.push_raw({"stream": "!serverShutdown", "data": {"e": "serverShutdown", "E": 1}})
    await lb.wait_until(lambda: old not in lb.sessions and lb.carrying("btcusdt@trade") == 1)
    assert not task.done()
    lb.push("btcusdt@trade", trade("BTCUSDT", 3))
    assert [t["id"] for t in await task] == ["3"]
    info = lex.connection_info(lex.connections()[0])
    assert info["handovers"] == 1 and info["reconnects"] == 0


async def test_dead_peer_is_detected_and_replaced(lb: Loopback, lex: Binance) -> None:
    """A peer that stops answering pings is dropped within keepalive bounds and replaced."""
    lb.answer_pings = False
    task = await start(lb, lex.watch_trades("BTC/USDT"), "btcusdt@trade")
    lb.answer_pings = True
    with pytest.raises(client.NetworkError):
        await task
    await lb.wait_until(lambda: lb.carrying("btcusdt@trade") == 1)
    conn = lex.connection_info(lex.connections()[0])
    assert conn["reconnects"] >= 1


# the short timeouts below must time what a test is about (a withheld ACK, no data), not a
# handshake on a loaded machine nor the pacer's 250 ms between frames (keepalive pings take
# its slots): the connection is opened first and this client's pacer does not hold a frame
UNPACED = {**FAST, "controlRate": 1000}


async def test_withheld_ack_and_stream_spreading(lb: Loopback) -> None:
    """A withheld ACK times out; streams beyond max_streams go to a second connection."""
    async with Binance(binance_env="local", base_url=lb.base_url, options=UNPACED) as ex:
        opened = await start(lb, ex.watch_trades("BTC/USDT"), "btcusdt@trade")
        lb.withhold_acks = 1
        with pytest.raises(client.RequestTimeout, match="no answer to SUBSCRIBE ethusdt@trade"):
            await ex.watch_trades("ETH/USDT", params={"timeout": 200})
        opened.cancel()
    opts = {**UNPACED, "maxStreams": 2}
    async with Binance(binance_env="local", base_url=lb.base_url, options=opts) as ex:
        watching = [
            await start(lb, ex.watch_trades(sym.upper(), params={"name": "aggTrade"}), stream)
            for sym, stream in (("btcusdt", "btcusdt@aggTrade"), ("ethusdt", "ethusdt@aggTrade"))
        ]
        watching.append(await start(lb, ex.watch_ticker("BTC/USDT"), "btcusdt@ticker"))
        with pytest.raises(client.RequestTimeout, match="no update within 200 ms"):
            await ex.watch_ticker("BTC/USDT", {"timeout": 200})  # subscribed: no data comes
        with pytest.raises(client.BadRequest):
            await ex.watch_trades_for_symbols(["BTC/USDT", "ETH/USDT"], params={"maxStreams": 1})
        assert len(ex.connections()) == 2
        assert ex.connections()[1].endswith("/stream?c=1")
        assert lb.carrying("btcusdt@ticker") == 1 and len(lb.sessions) == 2
        for task in watching:
            task.cancel()


async def test_stream_iterators_unwatch_on_halt(lb: Loopback, lex: Binance) -> None:
    """stream_trades/order_book/ohlcv yield repeated watches and unwatch when halted."""
    lb.depth[("spot", "ETHUSDT")] = {"lastUpdateId": 1, "bids": [], "asks": [["5.0", "1"]]}
    async with asyncio.timeout(5):
        books = lex.stream_order_book("ETH/USDT", 1, {"unwatchOnHalt": True})
        assert (await anext(books))["asks"] == [[5.0, 1.0]]
        await books.aclose()
        assert lb.carrying("ethusdt@depth@100ms") == 0
        trades = lex.stream_trades("ETH/USDT", {"unwatch_on_halt": True})
        nxt = asyncio.ensure_future(anext(trades))
        await lb.wait_until(lambda: lb.carrying("ethusdt@trade") == 1)
        lb.push("ethusdt@trade", trade("ETHUSDT", 1))
        assert len(await nxt) == 1
        await trades.aclose()
        candles = lex.stream_ohlcv("ETH/USDT", "1m", {"unwatch_on_halt": True})
        nxt = asyncio.ensure_future(anext(candles))
        await lb.wait_until(lambda: lb.carrying("ethusdt@kline_1m") == 1)
        lb.push("ethusdt@kline_1m", kline("ETHUSDT", 0, "1"))
        assert len(await nxt) == 1
        await candles.aclose()
        await lb.wait_until(lambda: not lb.carrying("ethusdt@kline_1m"))
        assert lb.carrying("ethusdt@trade") == 0


async def test_concurrent_watchers_share_a_withheld_subscribe(lb: Loopback) -> None:
    """Two watchers behind one withheld SUBSCRIBE both get RequestTimeout, not a hang."""
    async with Binance(binance_env="local", base_url=lb.base_url, options=UNPACED) as ex:
        opened = await start(lb, ex.watch_trades("BTC/USDT"), "btcusdt@trade")
        lb.withhold_acks = 1
        results = await asyncio.gather(
            ex.watch_trades("ETH/USDT", params={"timeout": 200}),
            ex.watch_trades("ETH/USDT", params={"timeout": 200}),
            return_exceptions=True,
        )
        assert all(isinstance(r, client.RequestTimeout) for r in results), results
        assert [r["params"] for r in lb.sent("SUBSCRIBE")] == [["btcusdt@trade"], ["ethusdt@trade"]]
        opened.cancel()


async def test_ws_api_shutdown_drop_and_timeout(lb: Loopback, lex: Binance) -> None:
    """WS API: serverShutdown moves new requests to a new socket; a drop fails the pending
    request with ConnectionClosed and the next request redials; no answer is RequestTimeout."""
    lb.ws_api[("spot", "ping")] = lambda r: {}
    assert await lex._request("spot", "ping", {}, lex._opts({"timeout": 2000})) == {}
    first = lb.ws_api_sockets[0]
    await first.send_str('{"event":{"e":"serverShutdown","E":1}}')
    await lb.wait_until(lambda: first.closed)
    assert await lex._request("spot", "ping", {}, lex._opts({"timeout": 2000})) == {}
    assert len(lb.ws_api_sockets) == 2
    with pytest.raises(client.RequestTimeout):
        await lex._request("spot", "hold", {}, lex._opts({"timeout": 100}))
    pending = asyncio.ensure_future(lex._request("spot", "hold", {}, lex._opts({"timeout": 5000})))
    await lb.wait_until(lambda: len(lb.sent("hold")) == 2)
    await lb.ws_api_sockets[1].close(code=1011)
    with pytest.raises(client.ConnectionClosed):
        await pending
    assert await lex._request("spot", "ping", {}, lex._opts({"timeout": 2000})) == {}
    url = next(u for u in lex.connections() if "ws-api" in u)
    info = lex.connection_info(url)
    assert info["reconnects"] == 2 and info["pending_requests"] == 0


async def test_list_subscriptions_matches_the_server(lb: Loopback, lex: Binance) -> None:
    """LIST_SUBSCRIPTIONS reports what the server carries for this socket."""
    task = await start(lb, lex.watch_trades("BTC/USDT"), "btcusdt@trade")
    conn = lex.connection(lex.connections()[0])
    assert await conn.list_subscriptions(2) == ["btcusdt@trade"]
    task.cancel()


async def test_verbose_is_per_connection_and_redacted(
    lb: Loopback, caplog: pytest.LogCaptureFixture
) -> None:
    """verbose logs the frames of the connections it was asked on, with secrets redacted."""
    import logging

    caplog.set_level(logging.DEBUG, logger="client.wire")
    config = {"apiKey": "KEY-SHOULD-NOT-LEAK", "secret": "SECRET-SHOULD-NOT-LEAK"}
    async with Binance(config, binance_env="local", base_url=lb.base_url, options=FAST) as ex:
        quiet = await start(lb, ex.watch_trades("BTC/USDT"), "btcusdt@trade")
        loud = await start(
            lb, ex.watch_trades("BTC/USDT:USDT", params={"verbose": True}), "btcusdt@trade"
        )
        await lb.wait_until(lambda: lb.carrying("btcusdt@trade") == 2)
        lb.push("btcusdt@trade", trade("BTCUSDT", 1))
        await quiet
        await loud
        lb.push_raw({"apiKey": "KEY-SHOULD-NOT-LEAK", "signature": "abc"})
    lines = [r.getMessage() for r in caplog.records if r.name == "client.wire"]
    assert lines and all("fstream.binance.com" in m for m in lines)
    assert any('"apiKey":"***"' in m for m in lines)
    assert not any("SHOULD-NOT-LEAK" in m for m in lines)
    assert "SHOULD-NOT-LEAK" not in repr(ex)


async def test_memory_stays_bounded_on_a_long_feed(lb: Loopback) -> None:
    """Thousands of trades and diffs leave caches at cache_limit and books at their levels."""
    lb.depth[("spot", "ETHUSDT")] = {"lastUpdateId": 0, "bids": [], "asks": []}
    opts = {**FAST, "cacheLimit": 50}
    async with Binance(binance_env="local", base_url=lb.base_url, options=opts) as ex:
        await ex.watch_order_book("ETH/USDT")
        task = await start(lb, ex.watch_trades("ETH/USDT"), "ethusdt@trade")
        for i in range(1, 3001):
            lb.push("ethusdt@trade", trade("ETHUSDT", i))
            price = f"{100 + i % 20}.0"
            lb.push("ethusdt@depth@100ms", diff(i, i, [[price, str(i % 3)]], []))
        await task
        while (await ex.watch_order_book("ETH/USDT"))["nonce"] != 3000:
            pass
        info = ex.connection_info(ex.connections()[0])
        assert info["cache"]["ethusdt@trade"] == 50
        assert info["cache"]["ethusdt@depth@100ms"] <= 20


async def test_cancelled_stream_unwatches_and_close_fails_waiters(lb: Loopback) -> None:
    """Cancelling a stream_* consumer sends the unwatch; close() fails pending watchers."""
    async with Binance(binance_env="local", base_url=lb.base_url, options=FAST) as ex:

        async def consume() -> None:
            async for _ in ex.stream_trades("BTC/USDT", {"unwatchOnHalt": True}):
                pass

        consumer = asyncio.ensure_future(consume())
        await lb.wait_until(lambda: lb.carrying("btcusdt@trade") == 1)
        consumer.cancel()
        with pytest.raises(asyncio.CancelledError):
            await consumer
        await lb.wait_until(lambda: lb.carrying("btcusdt@trade") == 0)
        pending = await start(lb, ex.watch_trades("ETH/USDT"), "ethusdt@trade")
    with pytest.raises(client.ConnectionClosed):
        await pending


async def test_duplicate_trades_are_dropped(lb: Loopback, lex: Binance) -> None:
    """A trade id seen before (a replay on the handover overlap) is not returned twice."""
    task = await start(lb, lex.watch_trades("BTC/USDT"), "btcusdt@trade")
    lb.push("btcusdt@trade", trade("BTCUSDT", 5))
    lb.push("btcusdt@trade", trade("BTCUSDT", 5))
    lb.push("btcusdt@trade", trade("BTCUSDT", 6))
    got = await task
    if len(got) == 1:
        nxt = asyncio.ensure_future(lex.watch_trades("BTC/USDT"))
        await waiting(lex, "btcusdt@trade")
        lb.push("btcusdt@trade", trade("BTCUSDT", 7))
        got += await nxt
    assert [t["id"] for t in got][:2] == ["5", "6"] and len({t["id"] for t in got}) == len(got)
