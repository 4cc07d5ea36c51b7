"""USD-M and COIN-M public market: REST, mark price and funding, routed futures streams."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from decimal import Decimal as D
from typing import Any

import aiohttp
import orjson
import pytest
import pytest_asyncio

from mock_exchange import MockExchange, ServerConfig
from mock_exchange.engine.derivatives import FUNDING_INTERVAL_MS, next_funding_time

pytestmark = pytest.mark.asyncio(loop_scope="module")

FAPI = "https://fapi.binance.com/fapi/v1"
FSTREAM = "wss://fstream.binance.com"


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def mx() -> AsyncIterator[MockExchange]:
    """A frozen-clock, fully scripted emulator."""
    config = ServerConfig(seed=2, rate=0, frozen_clock=True, start_ms=1_767_225_630_000)
    async with MockExchange(config=config) as emulator:
        yield emulator


async def get(mx: MockExchange, url: str, **params: Any) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as s, s.get(mx.url(url), params=params) as r:
        return r.status, await r.json(content_type=None)


async def recv(ws: aiohttp.ClientWebSocketResponse) -> Any:
    return orjson.loads(await asyncio.wait_for(ws.receive_str(), 5))


async def recv_until(ws: aiohttp.ClientWebSocketResponse, pred: Callable[[Any], bool]) -> Any:
    while True:
        msg = await recv(ws)
        if pred(msg):
            return msg


async def test_futures_exchange_info(mx: MockExchange) -> None:
    """fapi and dapi exchangeInfo list perpetuals with orderTypes, filters and precisions."""
    _, info = await get(mx, f"{FAPI}/exchangeInfo")
    syms = {s["symbol"]: s for s in info["symbols"]}
    assert set(syms) == {"BTCUSDT", "ETHUSDT"} and info["futuresType"] == "U_MARGINED"
    btc = syms["BTCUSDT"]
    assert btc["contractType"] == "PERPETUAL" and btc["marginAsset"] == "USDT"
    assert "LIMIT" in btc["orderTypes"] and btc["pricePrecision"] == 2
    kinds = {f["filterType"] for f in btc["filters"]}
    assert {"PRICE_FILTER", "LOT_SIZE", "MARKET_LOT_SIZE", "MIN_NOTIONAL"} <= kinds
    _, dinfo = await get(mx, "https://dapi.binance.com/dapi/v1/exchangeInfo")
    perp = dinfo["symbols"][0]
    assert (perp["symbol"], perp["contractSize"], perp["marginAsset"]) == (
        "BTCUSD_PERP",
        100,
        "BTC",
    )
    _, testnet = await get(mx, "https://testnet.binancefuture.com/fapi/v1/exchangeInfo")
    assert {s["symbol"] for s in testnet["symbols"]} == set(syms)


async def test_futures_rest_market_data(mx: MockExchange) -> None:
    """depth has E/T and the shared id; trades, aggTrades, klines, tickers follow the engine."""
    futures = mx.exchange.engine("usdm")
    mx.place_order("BTCUSDT", "SELL", "LIMIT", venue="usdm", quantity=D("0.01"), price=D("90000.1"))
    mx.place_order("BTCUSDT", "BUY", "MARKET", venue="usdm", quantity=D("0.01"))
    _, book = await get(mx, f"{FAPI}/depth", symbol="BTCUSDT", limit=7)
    assert book["lastUpdateId"] == futures.update_id("BTCUSDT") and book["T"] == mx.clock.now_ms()
    assert len(book["bids"]) == 10  # 7 is rounded up to the next valid futures limit
    _, trades = await get(mx, f"{FAPI}/trades", symbol="BTCUSDT", limit=1)
    assert trades[0]["price"] == "90000.10" and "isBestMatch" not in trades[0]
    _, aggs = await get(mx, f"{FAPI}/aggTrades", symbol="BTCUSDT", limit=1)
    assert aggs[0]["q"] == "0.010" and "M" not in aggs[0]
    _, kl = await get(mx, f"{FAPI}/klines", symbol="BTCUSDT", interval="1m", limit=1)
    assert kl[0][4] == "90000.10"
    _, t24 = await get(mx, f"{FAPI}/ticker/24hr", symbol="BTCUSDT")
    assert t24["lastPrice"] == "90000.10" and "bidPrice" not in t24
    _, bt = await get(mx, f"{FAPI}/ticker/bookTicker", symbol="BTCUSDT")
    assert bt["lastUpdateId"] == futures.update_id("BTCUSDT")
    _, dbook = await get(mx, "https://dapi.binance.com/dapi/v1/depth", symbol="BTCUSD_PERP")
    assert dbook["lastUpdateId"] == mx.exchange.engine("coinm").update_id("BTCUSD_PERP")


async def test_mark_price_and_funding(mx: MockExchange) -> None:
    """premiumIndex derives mark/index from the engines; funding settles every 8 h."""
    _, pi = await get(mx, f"{FAPI}/premiumIndex", symbol="BTCUSDT")
    assert D(pi["indexPrice"]) == mx.engine.last_price("BTCUSDT")
    assert pi["nextFundingTime"] == next_funding_time(mx.clock.now_ms())
    assert abs(D(pi["lastFundingRate"])) <= D("0.0006")
    _, everyone = await get(mx, f"{FAPI}/premiumIndex")
    assert {p["symbol"] for p in everyone} == {"BTCUSDT", "ETHUSDT"}
    _, past = await get(mx, f"{FAPI}/fundingRate", symbol="BTCUSDT")
    assert past and all(r["fundingTime"] % FUNDING_INTERVAL_MS == 0 for r in past)
    assert past[-1]["fundingTime"] <= mx.clock.now_ms()
    mx.clock.advance(FUNDING_INTERVAL_MS)
    await asyncio.sleep(0)
    for _ in range(50):
        _, rows = await get(mx, f"{FAPI}/fundingRate", symbol="BTCUSDT")
        if rows[-1]["fundingTime"] > past[-1]["fundingTime"]:
            break
    assert rows[-1]["fundingTime"] == past[-1]["fundingTime"] + FUNDING_INTERVAL_MS


async def test_public_and_market_routing(mx: MockExchange) -> None:
    """/public carries depth (with pu) and bookTicker; /market aggTrade, markPrice, kline."""
    public = mx.url(f"{FSTREAM}/public/stream?streams=btcusdt@depth@100ms/btcusdt@bookTicker")
    market_names = (
        "btcusdt@aggTrade/btcusdt@markPrice@1s/!markPrice@arr/btcusdt_perpetual@continuousKline_1m"
    )
    market = mx.url(f"{FSTREAM}/market/stream?streams={market_names}")
    async with (
        aiohttp.ClientSession() as s,
        s.ws_connect(public) as pub,
        s.ws_connect(market) as mkt,
    ):
        prev_u = None
        seen: list[Any] = []
        for i in range(2):
            mx.place_order(
                "BTCUSDT", "BUY", "LIMIT", venue="usdm", quantity=D("0.01"), price=D(89_000 + i)
            )
            mx.place_order("BTCUSDT", "SELL", "MARKET", venue="usdm", quantity=D("0.002"))
            mx.clock.advance(100)
            ev = (
                await recv_until(
                    pub, lambda m: seen.append(m) or m["stream"] == "btcusdt@depth@100ms"
                )
            )["data"]
            assert {"e", "E", "T", "s", "U", "u", "pu", "b", "a"} == set(ev)
            if prev_u is not None:
                assert ev["pu"] == prev_u
            prev_u = ev["u"]
        mx.place_order("BTCUSDT", "BUY", "LIMIT", venue="usdm", quantity=D("0.01"), price=D(88_990))
        mx.add_fault("gap", symbol="BTCUSDT", venue="usdm", count=1)
        mx.place_order("BTCUSDT", "BUY", "LIMIT", venue="usdm", quantity=D("0.01"), price=D(88_991))
        mx.clock.advance(100)
        ev = (await recv_until(pub, lambda m: m["stream"] == "btcusdt@depth@100ms"))["data"]
        assert ev["pu"] != prev_u and ev["U"] == prev_u + 3  # the gap shows as a broken pu chain
        bt = next(m["data"] for m in seen if m["stream"] == "btcusdt@bookTicker")
        assert bt["e"] == "bookTicker" and {"E", "T", "u"} <= set(bt)
        mx.clock.advance(3000)
        got: dict[str, Any] = {}
        while len(got) < 4:
            msg = await recv(mkt)
            got[msg["stream"]] = msg["data"]
        assert got["btcusdt@aggTrade"]["e"] == "aggTrade" and "nq" in got["btcusdt@aggTrade"]
        assert got["btcusdt@markPrice@1s"]["e"] == "markPriceUpdate"
        assert [m["s"] for m in got["!markPrice@arr"]] == ["BTCUSDT", "ETHUSDT"]
        ck = got["btcusdt_perpetual@continuousKline_1m"]
        assert (ck["e"], ck["ps"], ck["ct"]) == ("continuous_kline", "BTCUSDT", "PERPETUAL")


async def test_misrouted_stream_is_acked_then_silent(mx: MockExchange) -> None:
    """A /market-class stream on /public is ACKed and never delivered, as Binance does."""
    async with (
        aiohttp.ClientSession() as s,
        s.ws_connect(mx.url(f"{FSTREAM}/public/ws/1")) as ws,
    ):
        await ws.send_str('{"method":"SUBSCRIBE","params":["btcusdt@markPrice@1s"],"id":1}')
        assert await recv(ws) == {"result": None, "id": 1}
        mx.clock.advance(1000)
        await ws.send_str('{"method":"LIST_SUBSCRIPTIONS","id":2}')
        assert await recv(ws) == {"result": ["btcusdt@markPrice@1s"], "id": 2}


async def test_liquidations(mx: MockExchange) -> None:
    """A scripted liquidation trades on the book and is published on forceOrder streams."""
    url = mx.url(f"{FSTREAM}/market/stream?streams=btcusdt@forceOrder/!forceOrder@arr")
    async with aiohttp.ClientSession() as s, s.ws_connect(url) as ws:
        first = mx.liquidate("BTCUSDT", "SELL", D("0.002"))
        liq = mx.liquidate("BTCUSDT", "SELL", D("0.005"))
        assert first.status == "FILLED"
        mx.clock.advance(1000)  # one snapshot per symbol per second: the latest liquidation
        one = await recv(ws)
        two = await recv(ws)
        assert {one["stream"], two["stream"]} == {"btcusdt@forceOrder", "!forceOrder@arr"}
        order = one["data"]["o"]
        assert one["data"]["e"] == "forceOrder" and (order["S"], order["q"]) == ("SELL", "0.005")
        assert order["X"] == liq.status == "FILLED" and order["z"] == "0.005"


async def test_coinm_streams(mx: MockExchange) -> None:
    """dstream serves the COIN-M book on /ws without the /public split."""
    async with (
        aiohttp.ClientSession() as s,
        s.ws_connect(mx.url("wss://dstream.binance.com/ws/btcusd_perp@depth@100ms")) as ws,
    ):
        mx.place_order(
            "BTCUSD_PERP", "BUY", "LIMIT", venue="coinm", quantity=D("1"), price=D("89000")
        )
        mx.clock.advance(100)
        ev = await recv(ws)
        assert ev["s"] == "BTCUSD_PERP" and ev["u"] == mx.exchange.engine("coinm").update_id(
            "BTCUSD_PERP"
        )


async def test_futures_periodic_streams_and_root(mx: MockExchange) -> None:
    """Futures tickers, klines and partial depth (depthUpdate shape); the root serves /public."""
    names = [
        "btcusdt@kline_1m",
        "btcusdt@ticker",
        "btcusdt@miniTicker",
        "!ticker@arr",
        "!miniTicker@arr",
    ]
    market = mx.url(f"{FSTREAM}/market/stream?streams={'/'.join(names)}")
    root = mx.url(f"{FSTREAM}/stream?streams=btcusdt@depth5@100ms/btcusdt@aggTrade")
    async with (
        aiohttp.ClientSession() as s,
        s.ws_connect(market) as mkt,
        s.ws_connect(root) as legacy,
    ):
        mx.clock.advance(1000)
        got: dict[str, Any] = {}
        while set(got) != set(names):
            msg = await recv(mkt)
            got[msg["stream"]] = msg["data"]
        assert got["btcusdt@kline_1m"]["k"]["s"] == "BTCUSDT"
        ticker = got["btcusdt@ticker"]
        assert ticker["e"] == "24hrTicker" and "b" not in ticker and "x" not in ticker
        assert got["btcusdt@miniTicker"]["e"] == "24hrMiniTicker"
        assert {t["s"] for t in got["!ticker@arr"]} == {"BTCUSDT", "ETHUSDT"}
        assert len(got["!miniTicker@arr"]) == 2
        partial = (await recv(legacy))["data"]
        assert partial["e"] == "depthUpdate" and len(partial["b"]) == 5 and "pu" in partial
        mx.place_order("BTCUSDT", "BUY", "MARKET", venue="usdm", quantity=D("0.001"))
        await legacy.send_str('{"method":"LIST_SUBSCRIPTIONS","id":5}')
        before: list[Any] = []
        reply = await recv_until(legacy, lambda m: before.append(m) or "id" in m)
        assert reply == {"result": ["btcusdt@depth5@100ms", "btcusdt@aggTrade"], "id": 5}
        # the trade happened before the reply: its aggTrade (a /market stream) never came
        assert all(m.get("stream") != "btcusdt@aggTrade" for m in before)
