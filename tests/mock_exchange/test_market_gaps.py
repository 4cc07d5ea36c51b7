"""Issue 9, the public gaps: paging, tickers, USD-M and COIN-M endpoints, validation, WS API
errors and microseconds, each against the emulator over loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal as D
from typing import Any

import aiohttp
import orjson
import pytest
import pytest_asyncio

from mock_exchange import MockExchange, ServerConfig

pytestmark = pytest.mark.asyncio(loop_scope="module")

START = 1_767_225_630_123  # 2026-01-01T00:00:30.123Z
API = "https://api.binance.com/api/v3"
FAPI = "https://fapi.binance.com/fapi/v1"
DAPI = "https://dapi.binance.com/dapi/v1"
WS_API = "wss://ws-api.binance.com:443/ws-api/v3"


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def mx() -> AsyncIterator[MockExchange]:
    """An emulator with its history (default rate) on a frozen clock."""
    async with MockExchange(
        config=ServerConfig(seed=5, frozen_clock=True, start_ms=START)
    ) as emulator:
        for _ in range(20):  # some live market after the history
            emulator.clock.advance(500)
            await asyncio.sleep(0)
        yield emulator


async def get(mx: MockExchange, url: str, **params: Any) -> tuple[int, Any, Any]:
    async with aiohttp.ClientSession() as s, s.get(mx.url(url), params=params) as r:
        return r.status, await r.json(content_type=None), r.headers


async def call(ws: aiohttp.ClientWebSocketResponse, request: Any) -> Any:
    await ws.send_str(request if isinstance(request, str) else orjson.dumps(request).decode())
    return orjson.loads(await asyncio.wait_for(ws.receive_str(), 10))


async def test_agg_trades_end_time_alone_pages_backwards(mx: MockExchange) -> None:
    """endTime alone gives the newest trades up to it, so paging backwards by endTime works."""
    end = mx.clock.now_ms() - 90_000  # in the history
    _, page, _ = await get(mx, f"{API}/aggTrades", symbol="BTCUSDT", endTime=end, limit=500)
    assert len(page) == 500 and page[-1]["T"] <= end
    _, after, _ = await get(mx, f"{API}/aggTrades", symbol="BTCUSDT", fromId=page[-1]["a"] + 1)
    assert after[0]["T"] > end  # nothing newer up to endTime was left out
    ids = [a["a"] for a in page]
    assert ids == list(range(ids[0], ids[0] + 500))
    _, older, _ = await get(
        mx, f"{API}/aggTrades", symbol="BTCUSDT", endTime=page[0]["T"] - 1, limit=500
    )
    assert len(older) == 500 and older[-1]["T"] < page[0]["T"] and older[-1]["a"] < ids[0]
    _, live, _ = await get(mx, f"{API}/aggTrades", symbol="BTCUSDT", endTime=mx.clock.now_ms())
    assert live == (await get(mx, f"{API}/aggTrades", symbol="BTCUSDT"))[1]


async def test_rolling_window_opens_on_a_minute(mx: MockExchange) -> None:
    """Rolling-window tickers (REST, WS API, @ticker_1h) report openTime on a whole minute."""
    now = mx.clock.now_ms()
    _, t, _ = await get(mx, f"{API}/ticker", symbol="BTCUSDT", windowSize="1h")
    assert t["openTime"] == (now - 3_600_000) // 60_000 * 60_000 and t["closeTime"] == now
    async with aiohttp.ClientSession() as s, s.ws_connect(mx.url(WS_API)) as ws:
        r = await call(ws, {"id": 1, "method": "ticker", "params": {"symbol": "BTCUSDT"}})
        assert r["result"]["openTime"] % 60_000 == 0
        url = mx.url("wss://stream.binance.com:9443/ws/btcusdt@ticker_1h")
        async with s.ws_connect(url) as stream:
            mx.clock.advance(1000)
            event = orjson.loads(await asyncio.wait_for(stream.receive_str(), 10))
            assert event["e"] == "1hTicker" and event["O"] % 60_000 == 0


async def test_ticker_trading_day_rest_and_ws_api(mx: MockExchange) -> None:
    """ticker/tradingDay and ticker.tradingDay run from midnight in timeZone to now."""
    now = mx.clock.now_ms()
    _, day, headers = await get(mx, f"{API}/ticker/tradingDay", symbol="BTCUSDT")
    midnight = now // 86_400_000 * 86_400_000
    assert (day["openTime"], day["closeTime"]) == (midnight, midnight + 86_399_999)
    assert day["count"] == day["lastId"] - day["firstId"] + 1 and headers["X-MBX-USED-WEIGHT-1M"]
    assert list(day) == [
        *("symbol", "priceChange", "priceChangePercent", "weightedAvgPrice", "openPrice"),
        *("highPrice", "lowPrice", "lastPrice", "volume", "quoteVolume", "openTime"),
        *("closeTime", "firstId", "lastId", "count"),
    ]
    _, east, _ = await get(
        mx, f"{API}/ticker/tradingDay", symbols='["BTCUSDT","ETHUSDT"]', timeZone="+8", type="MINI"
    )
    assert [r["symbol"] for r in east] == ["BTCUSDT", "ETHUSDT"]
    assert (east[0]["openTime"] + 8 * 3_600_000) % 86_400_000 == 0 and "priceChange" not in east[0]
    async with aiohttp.ClientSession() as s, s.ws_connect(mx.url(WS_API)) as ws:
        params = {"symbol": "BTCUSDT"}
        r = await call(ws, {"id": 1, "method": "ticker.tradingDay", "params": params})
        assert r["status"] == 200 and r["result"]["openTime"] == midnight
    status, body, _ = await get(mx, f"{API}/ticker/tradingDay")
    assert status == 400 and body["code"] == -1102


async def test_usdm_endpoints(mx: MockExchange) -> None:
    """USD-M historicalTrades, openInterest, continuous/mark/index/premium klines, fundingInfo
    and ticker/price answer in Binance's shapes from the engine and its samples."""
    _, hist, _ = await get(mx, f"{FAPI}/historicalTrades", symbol="BTCUSDT", limit=3)
    assert len(hist) == 3 and hist[0]["isRPITrade"] is False
    _, older, _ = await get(
        mx, f"{FAPI}/historicalTrades", symbol="BTCUSDT", fromId=hist[0]["id"] - 2000, limit=2
    )
    assert older[1]["id"] == older[0]["id"] + 1
    _, oi, _ = await get(mx, f"{FAPI}/openInterest", symbol="BTCUSDT")
    assert set(oi) == {"openInterest", "symbol", "time"} and D(oi["openInterest"]) > 0
    params = {"interval": "1m", "limit": 5}
    _, cont, _ = await get(
        mx, f"{FAPI}/continuousKlines", pair="BTCUSDT", contractType="PERPETUAL", **params
    )
    _, own, _ = await get(mx, f"{FAPI}/klines", symbol="BTCUSDT", **params)
    assert cont == own
    for path, key in (("markPriceKlines", "symbol"), ("premiumIndexKlines", "symbol")):
        _, rows, _ = await get(mx, f"{FAPI}/{path}", **{key: "BTCUSDT"}, interval="1m", limit=3)
        assert len(rows) == 3 and rows[0][5] == "0" and rows[0][8] > 0
    _, index, _ = await get(mx, f"{FAPI}/indexPriceKlines", pair="BTCUSDT", interval="1m")
    spot_close = D((await get(mx, f"{API}/klines", symbol="BTCUSDT", interval="1m"))[1][-3][4])
    assert D(index[-3][4]) == spot_close  # the index is the spot price
    _, info, _ = await get(mx, f"{FAPI}/fundingInfo")
    assert info[0]["fundingIntervalHours"] == 8 and D(info[0]["adjustedFundingRateCap"]) > 0
    for version in ("v1", "v2"):
        url = f"https://fapi.binance.com/fapi/{version}/ticker/price"
        _, price, _ = await get(mx, url, symbol="BTCUSDT")
        assert set(price) == {"symbol", "price", "time"}


async def test_coinm_market_data_at_parity(mx: MockExchange) -> None:
    """/dapi/v1 serves trades, aggTrades, klines, tickers, premiumIndex, fundingRate and index
    klines in COIN-M's shapes: arrays, pair, volumes in contracts and in the base asset."""
    sym = {"symbol": "BTCUSD_PERP"}
    _, trades, _ = await get(mx, f"{DAPI}/trades", **sym, limit=2)
    assert set(trades[0]) == {"id", "price", "qty", "baseQty", "time", "isBuyerMaker"}
    t = trades[0]
    assert D(t["baseQty"]) == (D(t["qty"]) * 100 / D(t["price"])).quantize(D("1e-8"))
    _, aggs, _ = await get(mx, f"{DAPI}/aggTrades", **sym, limit=2)
    assert set(aggs[0]) == {"a", "p", "q", "f", "l", "T", "m"}
    _, kl, _ = await get(mx, f"{DAPI}/klines", **sym, interval="1m", limit=2)
    assert len(kl[0]) == 12 and D(kl[0][7]) < D(kl[0][5])  # BTC volume < contracts
    _, tick, _ = await get(mx, f"{DAPI}/ticker/24hr", **sym)
    assert isinstance(tick, list) and tick[0]["pair"] == "BTCUSD" and "baseVolume" in tick[0]
    _, book, _ = await get(mx, f"{DAPI}/ticker/bookTicker", pair="BTCUSD")
    assert book[0]["symbol"] == "BTCUSD_PERP" and D(book[0]["bidPrice"]) < D(book[0]["askPrice"])
    _, price, _ = await get(mx, f"{DAPI}/ticker/price", **sym)
    assert price[0]["ps"] == "BTCUSD"
    _, prem, headers = await get(mx, f"{DAPI}/premiumIndex", **sym)
    assert prem[0]["pair"] == "BTCUSD" and headers["X-MBX-USED-WEIGHT-1M"]
    _, funding, _ = await get(mx, f"{DAPI}/fundingRate", **sym, limit=3)
    assert len(funding) == 3 and set(funding[0]) == {"symbol", "fundingTime", "fundingRate"}
    _, index, _ = await get(mx, f"{DAPI}/indexPriceKlines", pair="BTCUSD", interval="1m", limit=2)
    assert len(index) == 2
    status, body, _ = await get(mx, f"{DAPI}/fundingRate")
    assert status == 400 and body["code"] == -1102  # COIN-M needs the symbol


async def test_ws_dapi_endpoint(mx: MockExchange) -> None:
    """ws-dapi serves the methods Binance documents for it (all signed: an unsigned call gets
    -2014) in the WS API envelope; others, algoOrder.* included, are not supported."""
    url = mx.url("wss://ws-dapi.binance.com/ws-dapi/v1")
    async with aiohttp.ClientSession() as s, s.ws_connect(url) as ws:
        r = await call(ws, {"id": "a1", "method": "account.status", "params": {}})
        assert r["id"] == "a1" and (r["status"], r["error"]["code"]) == (401, -2014)
        for method in ("algoOrder.place", "depth"):
            r = await call(ws, {"id": "a2", "method": method, "params": {}})
            assert r["error"] == {"code": -1020, "msg": "This operation is not supported."}


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        ("klines", {"symbol": "BTCUSDT", "interval": "1m", "timeZone": "-13:00"}, -1130),
        ("klines", {"symbol": "BTCUSDT", "interval": "1m", "timeZone": "+14:30"}, -1130),
        ("ticker/price", {"symbols": '["BTCUSDT","BTCUSDT"]'}, -1151),
        ("ticker/24hr", {"symbol": "BTCUSDT", "type": "LARGE"}, -1139),
        ("depth", {"symbol": "BTCUSDT", "symbolStatus": "HALT"}, -1220),
        ("depth", {"symbol": "BTCUSDT", "symbolStatus": "OPEN"}, -1122),
    ],
)
async def test_validation_to_binances_letter(
    mx: MockExchange, path: str, params: dict[str, str], code: int
) -> None:
    """Out-of-range timeZone, duplicate symbols, ticker type and symbolStatus get Binance's
    codes."""
    status, body, _ = await get(mx, f"{API}/{path}", **params)
    assert status == 400 and body["code"] == code


async def test_validation_edges_and_weights(mx: MockExchange) -> None:
    """Edge timeZones are accepted, symbolStatus filters lists, failed requests cost their
    weight, USD-M klines above 1000 weigh 10, premiumIndex without symbol 10, nq in REST."""
    for tz in ("-12:00", "+14:00", "05:45", "8"):
        status, _, _ = await get(mx, f"{API}/klines", symbol="BTCUSDT", interval="1h", timeZone=tz)
        assert status == 200
    _, prices, _ = await get(mx, f"{API}/ticker/price", symbolStatus="TRADING")
    assert len(prices) == 4
    _, none, _ = await get(mx, f"{API}/ticker/price", symbolStatus="HALT")
    assert none == []
    async with aiohttp.ClientSession() as s:
        url = mx.url(f"{API}/depth")
        async with s.get(url, params={"symbol": "BTCUSDT", "limit": 5}) as r:
            before = int(r.headers["X-MBX-USED-WEIGHT-1M"])
        async with s.get(url, params={"symbol": "NOPE", "limit": 5}) as r:
            assert r.status == 400 and int(r.headers["X-MBX-USED-WEIGHT-1M"]) == before + 5
        furl = mx.url(f"{FAPI}/klines")
        async with s.get(furl, params={"symbol": "BTCUSDT", "interval": "1m"}) as r:
            used = int(r.headers["X-MBX-USED-WEIGHT-1M"])
        async with s.get(furl, params={"symbol": "BTCUSDT", "interval": "1m", "limit": 1500}) as r:
            assert int(r.headers["X-MBX-USED-WEIGHT-1M"]) == used + 10
        async with s.get(mx.url(f"{FAPI}/premiumIndex")) as r:
            assert int(r.headers["X-MBX-USED-WEIGHT-1M"]) == used + 20
    _, aggs, _ = await get(mx, f"{FAPI}/aggTrades", symbol="BTCUSDT", limit=2)
    assert all(a["nq"] == a["q"] for a in aggs)


async def test_ws_api_ids_and_error_texts(mx: MockExchange) -> None:
    """A missing id is an error; bad ids and params get Binance's own texts, no suffix."""
    async with aiohttp.ClientSession() as s, s.ws_connect(mx.url(WS_API)) as ws:
        r = await call(ws, {"method": "ping"})
        assert r["id"] is None and r["status"] == 400 and r["error"]["code"] == -1102
        assert "'id'" in r["error"]["msg"]
        r = await call(ws, {"id": "has space", "method": "ping"})
        assert r["id"] is None and r["error"]["code"] == -1135
        assert r["error"]["msg"].startswith("Invalid 'id' in JSON request")
        r = await call(ws, {"id": 7, "method": "ping", "params": [1]})
        assert r["id"] == 7 and r["error"] == {
            "code": -1135,
            "msg": "Invalid 'params' in JSON request; expected an object.",
        }
        r = await call(ws, {"id": 8, "method": "klines", "params": {"symbol": "BTCUSDT"}})
        assert "mock_exchange" not in r["error"]["msg"]
        r = await call(ws, {"id": None, "method": "ping"})
        assert r["id"] is None and r["status"] == 200


async def test_microseconds_on_rest_streams_and_ws_api(mx: MockExchange) -> None:
    """timeUnit=MICROSECOND turns every time field into µs on spot REST, streams and WS API;
    futures ignore it."""
    now = mx.clock.now_ms()
    async with aiohttp.ClientSession() as s:
        micros = {"X-MBX-TIME-UNIT": "MICROSECOND"}
        params = {"symbol": "BTCUSDT", "interval": "1m", "limit": 2}
        async with s.get(mx.url(f"{API}/klines"), params=params, headers=micros) as r:
            us = await r.json()
        _, ms, _ = await get(mx, f"{API}/klines", **params)
        assert [(k[0], k[6]) for k in us] == [(k[0] * 1000, k[6] * 1000) for k in ms]
        assert [k[1:6] for k in us] == [k[1:6] for k in ms]
        async with s.get(
            mx.url(f"{API}/aggTrades"), params={"symbol": "BTCUSDT", "limit": 1}, headers=micros
        ) as r:
            agg = (await r.json())[0]
        assert agg["T"] > 10**15 and agg["a"] < 10**13
        async with s.get(mx.url(f"{FAPI}/time"), headers=micros) as r:
            assert (await r.json())["serverTime"] == now
        url = mx.url(
            "wss://stream.binance.com:9443/stream?streams=btcusdt@trade&timeUnit=MICROSECOND"
        )
        async with s.ws_connect(url) as ws:
            mx.clock.advance(1000)
            trade = orjson.loads(await asyncio.wait_for(ws.receive_str(), 10))["data"]
            assert trade["E"] >= now * 1000 and trade["T"] >= now * 1000 and trade["t"] < 10**13
        async with s.ws_connect(mx.url(WS_API) + "?timeUnit=microsecond") as ws:
            r = await call(ws, {"id": 1, "method": "klines", "params": params})
            assert r["result"][0][0] % 60_000_000 == 0 and r["result"][0][0] > 10**15
