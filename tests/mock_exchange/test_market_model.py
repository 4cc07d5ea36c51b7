"""Issue 9, the market model: activity, book shape, history, ids, spot/futures coupling.

Everything runs on the emulator's virtual clock: a frozen clock advanced by the test, so the
counts below are counts per second of market time, whatever the machine's load.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from decimal import Decimal as D
from typing import Any

import aiohttp
import orjson
import pytest
import pytest_asyncio

from mock_exchange import MockExchange, ServerConfig

pytestmark = pytest.mark.asyncio(loop_scope="module")

START = 1_767_225_630_000  # 2026-01-01T00:00:30Z
API = "https://api.binance.com/api/v3"
FAPI = "https://fapi.binance.com/fapi/v1"
WSS = "wss://stream.binance.com:9443"


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def mx() -> AsyncIterator[MockExchange]:
    """The emulator's default market (default rate) on a frozen clock the tests advance."""
    async with MockExchange(
        config=ServerConfig(seed=9, frozen_clock=True, start_ms=START)
    ) as emulator:
        yield emulator


async def get(mx: MockExchange, url: str, **params: Any) -> tuple[int, Any, Any]:
    async with aiohttp.ClientSession() as s, s.get(mx.url(url), params=params) as r:
        return r.status, await r.json(content_type=None), r.headers


async def recv(ws: aiohttp.ClientWebSocketResponse) -> Any:
    return orjson.loads(await asyncio.wait_for(ws.receive_str(), 10))


async def test_liveness_on_the_virtual_clock(mx: MockExchange) -> None:
    """With the defaults, BTCUSDT gets ~10 depth@100ms updates and tens of trades a second.

    Each 100 ms step of the clock ends with a depth5@100ms frame (sent every period), so the
    frames of every stream are counted per step without waiting on the wall clock.
    """
    names = "btcusdt@depth@100ms/btcusdt@trade/btcusdt@bookTicker/btcusdt@depth5@100ms"
    counts = {"btcusdt@depth@100ms": 0, "btcusdt@trade": 0, "btcusdt@bookTicker": 0}
    longest = gap = 0
    async with (
        aiohttp.ClientSession() as s,
        s.ws_connect(mx.url(f"{WSS}/stream?streams={names}")) as ws,
    ):
        for _ in range(100):  # 10 s of market time
            mx.clock.advance(100)
            depth_seen = False
            while (msg := await recv(ws))["stream"] != "btcusdt@depth5@100ms":
                counts[msg["stream"]] += 1
                depth_seen = depth_seen or msg["stream"] == "btcusdt@depth@100ms"
            gap = 0 if depth_seen else gap + 100
            longest = max(longest, gap)
    assert counts["btcusdt@depth@100ms"] >= 90  # of 100 windows
    assert counts["btcusdt@trade"] >= 150  # tens of trades a second
    assert counts["btcusdt@bookTicker"] >= 50
    assert longest <= 500  # ms without a depth update


async def test_book_is_deep_with_a_one_tick_spread(mx: MockExchange) -> None:
    """The book has hundreds of levels a side near a one- or few-tick spread; a normal market
    order walks a few levels, not the book."""
    _, book, _ = await get(mx, f"{API}/depth", symbol="BTCUSDT", limit=1000)
    assert len(book["bids"]) >= 300 and len(book["asks"]) >= 300
    spread = D(book["asks"][0][0]) - D(book["bids"][0][0])
    assert D("0.01") <= spread <= D("0.10")
    top = sum(D(q) for _, q in book["asks"][:20])
    assert D("0.1") < top < D("50")  # realistic BTC sizes near the top
    result = mx.place_order("BTCUSDT", "BUY", "MARKET", quantity=D("0.02"))
    assert result.status == "FILLED" and len({t.price for t in result.fills}) <= 5
    spreads = []
    for _ in range(50):
        mx.clock.advance(200)
        await asyncio.sleep(0)
        bid, ask = mx.engine.book("BTCUSDT").best_bid(), mx.engine.book("BTCUSDT").best_ask()
        assert bid is not None and ask is not None and bid[0] < ask[0]
        spreads.append(ask[0] - bid[0])
    assert sorted(spreads)[len(spreads) // 2] <= D("0.03")  # median: a tick or a few


async def test_history_is_full_and_consistent_with_the_tape(mx: MockExchange) -> None:
    """klines?limit=1000 on 1m is full and without holes; a minute's aggTrades sum to its kline."""
    _, rows, _ = await get(mx, f"{API}/klines", symbol="BTCUSDT", interval="1m", limit=1000)
    assert len(rows) == 1000
    assert all(b[0] - a[0] == 60_000 for a, b in itertools.pairwise(rows))
    assert rows[-1][0] <= mx.clock.now_ms() <= rows[-1][6] and all(r[8] > 0 for r in rows)
    past = rows[500]  # a minute of the synthetic history
    aggs: list[Any] = []
    params: dict[str, Any] = {"startTime": past[0], "endTime": past[6], "limit": 1000}
    while True:  # a minute holds more than one page: page on by id
        _, page, _ = await get(mx, f"{API}/aggTrades", symbol="BTCUSDT", **params)
        aggs += page
        if len(page) < 1000 or page[-1]["T"] > past[6]:
            break
        params = {"fromId": page[-1]["a"] + 1, "limit": 1000}
    aggs = [a for a in aggs if past[0] <= a["T"] <= past[6]]
    assert sum(D(a["q"]) for a in aggs) == D(past[5])
    assert sum(D(a["q"]) * D(a["p"]) for a in aggs) == D(past[7])
    assert aggs[-1]["l"] - aggs[0]["f"] + 1 == past[8]
    assert D(aggs[0]["p"]) == D(past[1]) and D(aggs[-1]["p"]) == D(past[4])
    ids = [a["a"] for a in aggs]
    assert ids == list(range(ids[0], ids[0] + len(ids)))


async def test_ids_start_at_binance_like_offsets(mx: MockExchange) -> None:
    """Trade, aggTrade, order and book update ids are ~10^9-10^10, not counted from 1."""
    _, trades, _ = await get(mx, f"{API}/trades", symbol="BTCUSDT", limit=5)
    _, aggs, _ = await get(mx, f"{API}/aggTrades", symbol="BTCUSDT", limit=5)
    _, book, _ = await get(mx, f"{API}/depth", symbol="BTCUSDT", limit=5)
    order = mx.place_order("ETHUSDT", "BUY", "LIMIT", quantity=D("0.1"), price=D("100"))
    assert all(t["id"] > 10**9 for t in trades) and all(a["a"] > 10**9 for a in aggs)
    assert book["lastUpdateId"] > 10**10 and order.order_id > 10**9
    assert len({len(str(t["id"])) for t in trades}) == 1  # string order is numeric order


async def test_futures_follow_spot_and_funding_stays_usual(mx: MockExchange) -> None:
    """Index is the spot price, mark stays near it, funding is in Binance's usual range and
    the funding history is not empty."""
    for _ in range(8):  # 2 minutes of market time
        mx.clock.advance(15_000)
        await asyncio.sleep(0)
    for symbol in ("BTCUSDT", "ETHUSDT"):
        _, pi, _ = await get(mx, f"{FAPI}/premiumIndex", symbol=symbol)
        index, mark = D(pi["indexPrice"]), D(pi["markPrice"])
        assert index == mx.engine.last_price(symbol)
        assert abs(mark - index) / index < D("0.001")
        assert abs(D(pi["lastFundingRate"]) - D("0.0001")) <= D("0.0005")
        futures_last = mx.exchange.engine("usdm").last_price(symbol)
        assert abs(futures_last - index) / index < D("0.002")  # the contract follows spot
    _, rows, _ = await get(mx, f"{FAPI}/fundingRate", symbol="BTCUSDT")
    assert len(rows) >= 90 and all(abs(D(r["fundingRate"])) <= D("0.003") for r in rows)
