"""Spot public market over loopback: REST market data and every spot stream, from the engine."""

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

pytestmark = pytest.mark.asyncio(loop_scope="module")

API = "https://api.binance.com/api/v3"
WSS = "wss://stream.binance.com:9443"


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def mx() -> AsyncIterator[MockExchange]:
    """A frozen-clock emulator with no background activity: a fully scripted market."""
    config = ServerConfig(seed=1, rate=0, frozen_clock=True, start_ms=1_767_225_630_000)
    async with MockExchange(config=config) as emulator:
        yield emulator


async def rest(mx: MockExchange, path: str, **params: Any) -> tuple[int, Any, Any]:
    async with (
        aiohttp.ClientSession() as s,
        s.get(mx.url(f"{API}/{path}"), params=params) as r,
    ):
        return r.status, await r.json(content_type=None), r.headers


async def recv(ws: aiohttp.ClientWebSocketResponse) -> Any:
    return orjson.loads(await asyncio.wait_for(ws.receive_str(), 5))


async def recv_until(ws: aiohttp.ClientWebSocketResponse, pred: Callable[[Any], bool]) -> Any:
    while True:
        msg = await recv(ws)
        if pred(msg):
            return msg


def cross(mx: MockExchange, symbol: str = "ETHUSDT") -> tuple[D, D, int]:
    """Join the best ask and take that whole level with one buy: one agg trade, several trades.

    Returns the level's price, its total quantity and how many orders it held.
    """
    book = mx.engine.book(symbol)
    best = book.best_ask()
    assert best is not None
    mx.place_order(symbol, "SELL", "LIMIT", quantity=D("0.01"), price=best[0])
    total = book.level_total("SELL", best[0])
    count = len(book.asks.queues[best[0]])
    mx.place_order(symbol, "BUY", "LIMIT", quantity=total, price=best[0])
    return best[0], total, count


async def test_rest_depth_trades_aggtrades_klines(mx: MockExchange) -> None:
    """depth reads the shared update id; trades, aggTrades and klines come from the trades."""
    price, total, count = cross(mx)
    status, book, headers = await rest(mx, "depth", symbol="ETHUSDT", limit=5)
    assert status == 200 and book["lastUpdateId"] == mx.engine.update_id("ETHUSDT")
    assert len(book["bids"]) == 5 and float(book["bids"][0][0]) < float(book["asks"][0][0])
    assert int(headers["X-MBX-USED-WEIGHT-1M"]) >= 5
    _, trades, _ = await rest(mx, "trades", symbol="ETHUSDT", limit=count)
    assert sum(D(t["qty"]) for t in trades) == total and trades[-1]["qty"] == "0.01000000"
    assert {D(t["price"]) for t in trades} == {price}
    assert trades[0]["isBuyerMaker"] is False and trades[0]["isBestMatch"] is True
    _, aggs, _ = await rest(mx, "aggTrades", symbol="ETHUSDT", limit=1)
    assert D(aggs[0]["q"]) == total and aggs[0]["l"] - aggs[0]["f"] == count - 1
    _, by_id, _ = await rest(mx, "aggTrades", symbol="ETHUSDT", fromId=aggs[0]["a"])
    assert by_id == aggs
    _, klines, _ = await rest(mx, "klines", symbol="ETHUSDT", interval="1m", limit=3)
    last = klines[-1]
    assert len(last) == 12 and last[6] == last[0] + 59_999 and last[8] >= count
    assert D(last[5]) >= total and D(last[4]) == price
    _, ui, _ = await rest(mx, "uiKlines", symbol="ETHUSDT", interval="1m", limit=3)
    assert ui == klines
    _, hourly, _ = await rest(mx, "klines", symbol="ETHUSDT", interval="1h", timeZone="+08:00")
    assert (hourly[-1][0] + 8 * 3_600_000) % 3_600_000 == 0


async def test_rest_tickers_and_avg_price(mx: MockExchange) -> None:
    """avgPrice, ticker/price, bookTicker, rolling ticker and 24 h MINI agree with the engine."""
    _, avg, _ = await rest(mx, "avgPrice", symbol="BTCUSDT")
    assert avg["mins"] == 5 and D(avg["price"]) > 0
    _, price, _ = await rest(mx, "ticker/price", symbol="BTCUSDT")
    assert D(price["price"]) == mx.engine.last_price("BTCUSDT")
    _, prices, _ = await rest(mx, "ticker/price")
    assert len(prices) == 4
    _, bt, _ = await rest(mx, "ticker/bookTicker", symbols='["BTCUSDT","ETHBTC"]')
    best = mx.engine.book("BTCUSDT").best_bid()
    assert best is not None and D(bt[0]["bidPrice"]) == best[0] and len(bt) == 2
    _, rolling, _ = await rest(mx, "ticker", symbol="ETHUSDT", windowSize="1h")
    assert rolling["openTime"] % 60_000 == 0 and "bidPrice" not in rolling  # on a minute
    assert 3_600_000 <= rolling["closeTime"] - rolling["openTime"] < 3_660_000
    _, mini, _ = await rest(mx, "ticker/24hr", symbol="ETHUSDT", type="MINI")
    assert set(mini) >= {"openPrice", "lastPrice", "volume"} and "priceChange" not in mini


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        ("klines", {"symbol": "BTCUSDT", "interval": "7m"}, -1120),
        ("depth", {}, -1102),
        ("depth", {"symbol": "NOPE"}, -1121),
        ("depth", {"symbol": "BTCUSDT", "limit": "x"}, -1100),
        ("ticker", {"symbol": "BTCUSDT", "windowSize": "9d"}, -1130),
        ("ticker", {}, -1102),
        ("ticker/price", {"symbol": "BTCUSDT", "symbols": '["BTCUSDT"]'}, -1128),
        ("ticker/24hr", {"type": "HUGE"}, -1139),
    ],
)
async def test_rest_errors(mx: MockExchange, path: str, params: dict[str, str], code: int) -> None:
    """Bad parameters get Binance's error code with HTTP 400."""
    status, body, _ = await rest(mx, path, **params)
    assert status == 400 and body["code"] == code and body["msg"]


async def test_diff_depth_is_contiguous_and_matches_rest(mx: MockExchange) -> None:
    """@depth@100ms events chain U == prev u + 1 and replaying them on a snapshot gives REST."""
    url = mx.url(f"{WSS}/stream?streams=btcusdt@depth@100ms/btcusdt@depth")
    async with aiohttp.ClientSession() as s, s.ws_connect(url) as ws:
        _, snap, _ = await rest(mx, "depth", symbol="BTCUSDT", limit=1000)
        book = {
            "bids": {D(p): D(q) for p, q in snap["bids"]},
            "asks": {D(p): D(q) for p, q in snap["asks"]},
        }
        nonce = snap["lastUpdateId"]
        for i in range(3):
            mx.place_order("BTCUSDT", "BUY", "LIMIT", quantity=D("0.01"), price=D(89_000 + i))
            mx.place_order("BTCUSDT", "SELL", "MARKET", quantity=D("0.005"))
            mx.clock.advance(100)
            ev = await recv_until(ws, lambda m: m["stream"] == "btcusdt@depth@100ms")
            data = ev["data"]
            assert data["e"] == "depthUpdate" and data["U"] == nonce + 1
            for side, key in (("bids", "b"), ("asks", "a")):
                for p, q in data[key]:
                    if D(q) == 0:
                        book[side].pop(D(p), None)
                    else:
                        book[side][D(p)] = D(q)
            nonce = data["u"]
        mx.clock.advance(1000)
        slow = await recv_until(ws, lambda m: m["stream"] == "btcusdt@depth")
        assert slow["data"]["u"] == nonce
        _, after, _ = await rest(mx, "depth", symbol="BTCUSDT", limit=1000)
        assert after["lastUpdateId"] == nonce
        assert {D(p): D(q) for p, q in after["bids"]} == book["bids"]
        assert {D(p): D(q) for p, q in after["asks"]} == book["asks"]


async def test_realtime_streams(mx: MockExchange) -> None:
    """trade, aggTrade and bookTicker follow engine events; bookTicker u is the depth id."""
    names = "ethusdt@trade/ethusdt@aggTrade/ethusdt@bookTicker"
    async with (
        aiohttp.ClientSession() as s,
        s.ws_connect(mx.url(f"{WSS}/stream?streams={names}")) as ws,
    ):
        _, total, count = cross(mx)
        seen: dict[str, list[Any]] = {}
        while len(seen.get("ethusdt@trade", [])) < count or "ethusdt@aggTrade" not in seen:
            msg = await recv(ws)
            seen.setdefault(msg["stream"], []).append(msg["data"])
        t = seen["ethusdt@trade"]
        assert {x["e"] for x in t} == {"trade"} and t[-1]["t"] == t[0]["t"] + count - 1
        agg = seen["ethusdt@aggTrade"][0]
        assert (agg["f"], agg["l"], D(agg["q"]), agg["M"]) == (
            t[0]["t"],
            t[-1]["t"],
            total,
            True,
        )
        bt = seen["ethusdt@bookTicker"][-1]
        assert "e" not in bt and bt["u"] <= mx.engine.update_id("ETHUSDT")


async def test_periodic_streams(mx: MockExchange) -> None:
    """Tickers, klines, partial depth and avgPrice publish on the clock with Binance's shapes."""
    names = [
        "ethusdt@kline_1m",
        "ethusdt@miniTicker",
        "!miniTicker@arr",
        "ethusdt@ticker_1h",
        "!ticker_4h@arr",
        "ethusdt@depth5",
        "ethusdt@depth10@100ms",
        "ethusdt@avgPrice",
        "ethusdt@ticker",
    ]
    url = mx.url(f"{WSS}/stream?streams={'/'.join(names)}")
    async with aiohttp.ClientSession() as s, s.ws_connect(url) as ws:
        mx.clock.advance(2000)
        got: dict[str, Any] = {}
        while set(got) != set(names):
            msg = await recv(ws)
            got[msg["stream"]] = msg["data"]
        assert got["ethusdt@kline_1m"]["k"]["i"] == "1m" and got["ethusdt@kline_1m"]["e"] == "kline"
        assert got["ethusdt@miniTicker"]["e"] == "24hrMiniTicker"
        assert {x["s"] for x in got["!miniTicker@arr"]} == {
            "BTCUSDT",
            "ETHUSDT",
            "BNBUSDT",
            "ETHBTC",
        }
        assert got["ethusdt@ticker_1h"]["e"] == "1hTicker"
        assert got["!ticker_4h@arr"][0]["e"] == "4hTicker"
        assert set(got["ethusdt@depth5"]) == {"lastUpdateId", "bids", "asks"}
        assert len(got["ethusdt@depth10@100ms"]["bids"]) == 10
        assert got["ethusdt@avgPrice"]["e"] == "avgPrice" and got["ethusdt@avgPrice"]["i"] == "5m"
        assert got["ethusdt@ticker"]["e"] == "24hrTicker"
        mx.place_order("BNBUSDT", "SELL", "LIMIT", quantity=D("0.1"), price=D("900.01"))
        mx.place_order("BNBUSDT", "BUY", "MARKET", quantity=D("0.1"))
        mx.clock.advance(1000)
        changed = await recv_until(ws, lambda m: m["stream"] == "!miniTicker@arr")
        assert [t["s"] for t in changed["data"]] == ["BNBUSDT"]  # only what traded since
        start = got["ethusdt@kline_1m"]["k"]["t"]
        mx.clock.advance(60_000)
        closed = await recv_until(
            ws, lambda m: m["stream"] == "ethusdt@kline_1m" and m["data"]["k"]["t"] == start
        )
        assert closed["data"]["k"]["x"] is True


async def test_unserved_stream_is_refused(mx: MockExchange) -> None:
    """A spot stream the emulator does not serve (or Binance retired) is refused with code 2."""
    async with (
        aiohttp.ClientSession() as s,
        s.ws_connect(mx.url(f"{WSS}/ws")) as ws,
    ):
        await ws.send_str('{"method":"SUBSCRIBE","params":["!ticker@arr"],"id":1}')
        assert await recv(ws) == {
            "error": {"code": 2, "msg": "Invalid request: invalid stream"},
            "id": 1,
        }
        await ws.send_str('{"method":"SUBSCRIBE","params":["nopeusdt@trade"],"id":2}')
        assert (await recv(ws))["error"]["code"] == 2
