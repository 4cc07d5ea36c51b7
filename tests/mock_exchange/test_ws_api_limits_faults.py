"""WS API envelopes, request-weight limits (429 then 418), connection rules and frame faults."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal as D
from typing import Any

import aiohttp
import orjson
import pytest
import pytest_asyncio

from mock_exchange import MockExchange, ServerConfig
from mock_exchange.transports.rules import SPOT_RULES

pytestmark = pytest.mark.asyncio(loop_scope="module")

WS_API = "wss://ws-api.binance.com:443/ws-api/v3"


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def mx() -> AsyncIterator[MockExchange]:
    """A frozen-clock emulator whose spot connections ping every 20 s and live 24 h."""
    config = ServerConfig(seed=4, rate=0, frozen_clock=True, start_ms=1_767_225_630_000)
    async with MockExchange(config=config) as emulator:
        yield emulator


async def recv(ws: aiohttp.ClientWebSocketResponse) -> Any:
    return orjson.loads(await asyncio.wait_for(ws.receive_str(), 5))


async def call(ws: aiohttp.ClientWebSocketResponse, frame: Any) -> Any:
    await ws.send_str(frame if isinstance(frame, str) else orjson.dumps(frame).decode())
    return await recv(ws)


async def test_ws_api_envelopes(mx: MockExchange) -> None:
    """Ids keep their JSON type; results match REST; rateLimits can be switched off."""
    async with aiohttp.ClientSession() as s, s.ws_connect(mx.url(WS_API)) as ws:
        r = await call(ws, {"id": "abc", "method": "ping"})
        assert (r["id"], r["status"], r["result"]) == ("abc", 200, {})
        assert r["rateLimits"][0]["rateLimitType"] == "REQUEST_WEIGHT"
        r = await call(ws, {"id": 7, "method": "v3/time"})
        assert r["id"] == 7 and r["result"] == {"serverTime": mx.clock.now_ms()}
        r = await call(
            ws,
            {"id": 8, "method": "depth", "params": {"symbol": "BTCUSDT", "limit": 5}},
        )
        assert r["result"]["lastUpdateId"] == mx.engine.update_id("BTCUSDT")
        r = await call(
            ws,
            {
                "id": 9,
                "method": "klines",
                "params": {"symbol": "BTCUSDT", "interval": "1m", "returnRateLimits": False},
            },
        )
        assert "rateLimits" not in r and isinstance(r["result"], list)
        for method, params in (
            ("trades.recent", {"symbol": "BTCUSDT"}),
            ("trades.historical", {"symbol": "BTCUSDT", "fromId": 0}),
            ("trades.aggregate", {"symbol": "BTCUSDT"}),
            ("uiKlines", {"symbol": "BTCUSDT", "interval": "1h"}),
            ("avgPrice", {"symbol": "BTCUSDT"}),
            ("ticker.24hr", {"symbol": "BTCUSDT"}),
            ("ticker.price", {"symbols": ["BTCUSDT", "ETHUSDT"]}),
            ("ticker.book", {"symbol": "BTCUSDT"}),
            ("ticker", {"symbol": "BTCUSDT", "windowSize": "4h"}),
            ("exchangeInfo", {"symbol": "ETHBTC"}),
        ):
            request_id = method.replace(".", "-")  # Binance: ^[a-zA-Z0-9-_]{1,36}$
            r = await call(ws, {"id": request_id, "method": method, "params": params})
            assert r["status"] == 200 and r["id"] == request_id, (method, r)
        r = await call(ws, {"id": None, "method": "klines", "params": {"symbol": "BTCUSDT"}})
        assert r["id"] is None and r["status"] == 400 and r["error"]["code"] == -1102
        r = await call(ws, {"id": 1, "method": "sor.order.place", "params": {}})
        assert r["error"] == {"code": -1020, "msg": "This operation is not supported."}
        r = await call(ws, {"id": 1, "method": "order.place", "params": {}})
        assert (r["status"], r["error"]["code"]) == (401, -2014)
        r = await call(ws, "not json")
        assert r["status"] == 400 and r["id"] is None
    url = mx.url(WS_API) + "?returnRateLimits=false"
    async with aiohttp.ClientSession() as s, s.ws_connect(url) as ws:
        r = await call(ws, {"id": 1, "method": "ping"})
        assert "rateLimits" not in r
        r = await call(ws, {"id": 2, "method": "ping", "params": {"returnRateLimits": "true"}})
        assert "rateLimits" in r


async def test_ws_fapi_methods(mx: MockExchange) -> None:
    """ws-fapi serves depth and tickers of USD-M and refuses spot-only methods."""
    for host in ("ws-fapi.binance.com", "testnet.binancefuture.com"):
        await _check_ws_fapi(mx, mx.url(f"wss://{host}/ws-fapi/v1"))


async def _check_ws_fapi(mx: MockExchange, url: str) -> None:
    async with aiohttp.ClientSession() as s, s.ws_connect(url) as ws:
        r = await call(ws, {"id": "1", "method": "depth", "params": {"symbol": "BTCUSDT"}})
        assert r["result"]["lastUpdateId"] == mx.exchange.engine("usdm").update_id("BTCUSDT")
        assert "T" in r["result"]
        r = await call(ws, {"id": "2", "method": "ticker.book", "params": {"symbol": "BTCUSDT"}})
        assert r["result"]["symbol"] == "BTCUSDT"
        r = await call(ws, {"id": "3", "method": "klines", "params": {"symbol": "BTCUSDT"}})
        assert r["error"]["code"] == -1020


async def test_rest_weight_header_and_forced_limits(mx: MockExchange) -> None:
    """REST reports X-MBX-USED-WEIGHT-1M; forced 429/418 faults answer like Binance."""
    url = mx.url("https://api.binance.com/api/v3/ping")
    async with aiohttp.ClientSession() as s:
        async with s.get(url) as r:
            used = int(r.headers["X-MBX-USED-WEIGHT-1M"])
        async with s.get(url) as r:
            assert int(r.headers["X-MBX-USED-WEIGHT-1M"]) == used + 1
        mx.add_fault("force_429")
        async with s.get(url) as r:
            body = await r.json()
            assert r.status == 429 and body["code"] == -1003 and int(r.headers["Retry-After"]) >= 1
        mx.add_fault("force_418")
        async with s.get(url) as r:
            assert r.status == 418 and "IP banned until" in (await r.json())["msg"]
        async with s.get(url) as r:
            assert r.status == 418  # the ban holds until the clock passes it
        mx.clock.advance(121_000)
        async with s.get(url) as r:
            assert r.status == 200


async def test_server_pings_and_pong_timeout(mx: MockExchange) -> None:
    """The server pings on the clock; a client that never pongs is closed."""
    url = mx.url("wss://stream.binance.com/ws")
    async with aiohttp.ClientSession() as s:
        async with s.ws_connect(url, autoping=False) as ws:
            mx.clock.advance(SPOT_RULES.ping_interval_ms or 0)
            msg = await asyncio.wait_for(ws.receive(), 5)
            assert msg.type == aiohttp.WSMsgType.PING
            mx.clock.advance(SPOT_RULES.pong_timeout_ms or 0)
            msg = await asyncio.wait_for(ws.receive(), 5)
            assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 1008
        async with s.ws_connect(url) as ws:  # autoping answers: alive past the timeout
            for _ in range(4):
                mx.clock.advance(SPOT_RULES.ping_interval_ms or 0)
                await ws.send_str('{"method":"LIST_SUBSCRIPTIONS","id":1}')
                assert await recv(ws) == {"result": [], "id": 1}


async def test_lifetime_rate_limit_and_shutdown(mx: MockExchange) -> None:
    """serverShutdown reaches both transports; 24 h and >5 msg/s close the connection."""
    async with aiohttp.ClientSession() as s:
        async with (
            s.ws_connect(mx.url("wss://stream.binance.com/stream")) as stream,
            s.ws_connect(mx.url(WS_API)) as api,
        ):
            await call(api, {"id": 1, "method": "ping"})
            await call(stream, {"method": "LIST_SUBSCRIPTIONS", "id": 1})
            mx.add_fault("server_shutdown")
            shut = await recv(stream)
            assert shut["stream"] == "!serverShutdown" and shut["data"]["e"] == "serverShutdown"
            assert (await recv(api))["event"]["e"] == "serverShutdown"
            mx.clock.advance(86_400_000)
            for ws in (stream, api):
                msg = await asyncio.wait_for(ws.receive(), 5)
                while msg.type == aiohttp.WSMsgType.TEXT:
                    msg = await asyncio.wait_for(ws.receive(), 5)
                assert msg.type == aiohttp.WSMsgType.CLOSE
        async with s.ws_connect(mx.url("wss://stream.binance.com/ws")) as ws:
            for i in range(6):
                await ws.send_str(f'{{"method":"LIST_SUBSCRIPTIONS","id":{i}}}')
            msg = await asyncio.wait_for(ws.receive(), 5)
            while msg.type == aiohttp.WSMsgType.TEXT:
                msg = await asyncio.wait_for(ws.receive(), 5)
            assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 1008


async def test_relaxed_rules_allow_bursts() -> None:
    """With relaxed rules a burst of control messages is served, not disconnected."""
    config = ServerConfig(rate=0, frozen_clock=True, spot_rules=SPOT_RULES.relaxed())
    async with (
        MockExchange(config=config) as mx,
        aiohttp.ClientSession() as s,
        s.ws_connect(mx.url("wss://stream.binance.com/ws")) as ws,
    ):
        for i in range(20):
            await ws.send_str(f'{{"method":"LIST_SUBSCRIPTIONS","id":{i}}}')
        for i in range(20):
            assert (await recv(ws))["id"] == i
    assert replace(SPOT_RULES).max_incoming_per_s == 5


async def test_gap_drop_and_delay_faults(mx: MockExchange) -> None:
    """A gap fault skips update ids; drop_frames loses (targeted) frames; delay_frames holds."""
    url = mx.url("wss://stream.binance.com/ws/bnbusdt@depth@100ms")
    async with aiohttp.ClientSession() as s, s.ws_connect(url) as ws:

        async def change(i: int) -> Any:
            mx.place_order("BNBUSDT", "BUY", "LIMIT", quantity=D("0.1"), price=D(800 + i))
            mx.clock.advance(100)
            return await recv(ws)

        first = await change(0)
        mx.add_fault("gap", symbol="bnbusdt", count=3)
        second = await change(1)
        assert second["U"] == first["u"] + 4
        other = mx.add_fault("drop_frames", count=1, stream="ethbtc@depth@100ms")
        mx.add_fault("drop_frames", count=1, symbol="bnbusdt")
        mx.place_order("BNBUSDT", "BUY", "LIMIT", quantity=D("0.1"), price=D("802"))
        mx.clock.advance(100)
        # a control round trip: the flush (and the drop) has happened when the reply arrives
        assert await call(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 9}) == {
            "result": ["bnbusdt@depth@100ms"],
            "id": 9,
        }
        fourth = await change(3)
        assert fourth["U"] == second["u"] + 2  # the event between them was dropped
        mx.add_fault("delay_frames", count=1, delay_ms=50)
        fifth = await change(4)
        assert fifth["U"] == fourth["u"] + 1
        assert other in mx.control.faults and other.count == 1  # targeted at another stream
        # a gap inside one aggregation window is still visible: the merged change is lost too
        mx.place_order("BNBUSDT", "BUY", "LIMIT", quantity=D("0.1"), price=D("805"))
        mx.add_fault("gap", symbol="BNBUSDT", count=2)
        sixth = await change(6)
        assert sixth["U"] == fifth["u"] + 4


async def test_oversized_frame_closes_only_that_connection() -> None:
    """A frame over the size limit closes its connection (1009); others keep being served."""
    config = ServerConfig(rate=0, frozen_clock=True, max_frame_bytes=1024)
    async with (
        MockExchange(config=config) as mx,
        aiohttp.ClientSession() as s,
        s.ws_connect(mx.url("wss://stream.binance.com/ws")) as big,
        s.ws_connect(mx.url(WS_API)) as other,
    ):
        await big.send_str('{"method":"SUBSCRIBE","params":["' + "x" * 4096 + '"],"id":1}')
        msg = await asyncio.wait_for(big.receive(), 5)
        assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 1009
        assert (await call(other, {"id": 1, "method": "ping"}))["result"] == {}


async def test_time_unit() -> None:
    """timeUnit is served in µs on spot REST, streams and WS API; other values get -1194."""
    async with (
        MockExchange(config=ServerConfig(rate=0, frozen_clock=True)) as mx,
        aiohttp.ClientSession() as s,
    ):
        now = mx.clock.now_ms()
        async with s.ws_connect(mx.url("wss://stream.binance.com/ws?timeUnit=millisecond")) as ws:
            assert await call(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 1}) == {
                "result": [],
                "id": 1,
            }
        url = mx.url("https://api.binance.com/api/v3/time")
        async with s.get(url, headers={"X-MBX-TIME-UNIT": "MICROSECOND"}) as r:
            assert r.status == 200 and (await r.json()) == {"serverTime": now * 1000}
        async with s.get(url + "?timeUnit=seconds") as r:
            assert (await r.json())["code"] == -1194
        async with s.get(url, headers={"X-MBX-TIME-UNIT": "Microsecond"}) as r:
            assert (await r.json())["code"] == -1194  # only the four documented spellings
        async with s.ws_connect(mx.url(WS_API) + "?timeUnit=MICROSECOND") as ws:
            r = await call(ws, {"id": 1, "method": "time"})
            assert r["result"] == {"serverTime": now * 1000}


async def test_ws_api_connection_costs_weight_and_can_be_refused() -> None:
    """Opening a WS API connection costs 2 weight; forced faults and bans answer requests."""
    async with (
        MockExchange(config=ServerConfig(rate=0, frozen_clock=True)) as mx,
        aiohttp.ClientSession() as s,
    ):
        async with s.ws_connect(mx.url(WS_API)) as ws:
            reply = await call(ws, {"id": 1, "method": "ping"})
            assert reply["rateLimits"][0]["count"] == 3
        mx.add_fault("force_429")
        async with s.ws_connect(mx.url(WS_API)) as ws:
            assert (await call(ws, {"id": 2, "method": "ping"}))["status"] == 429
        mx.add_fault("force_418")
        async with s.get(mx.url("https://api.binance.com/api/v3/ping")) as r:
            assert r.status == 418
        async with s.ws_connect(mx.url(WS_API)) as ws:
            banned = await call(ws, {"id": 3, "method": "ping"})
            assert banned["status"] == 418 and banned["error"]["data"]["retryAfter"] > 0
