"""The emulator over loopback: URL rule, REST, market streams, faults and control HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import orjson
import pytest

from mock_exchange import MockExchange, ServerConfig
from mock_exchange.routing import resolve, rewrite_url


async def get(session: aiohttp.ClientSession, url: str, **kw: Any) -> tuple[int, Any, Any]:
    async with session.get(url, **kw) as r:
        return r.status, await r.json(content_type=None), r.headers


def test_url_rule_resolution() -> None:
    """HOST (with or without a port) is the first path segment; the Host header is a fallback."""
    info, path = resolve("/stream.binance.com:9443/ws/0") or (None, "")
    assert info is not None and info.service == "spot-streams" and path == "/ws/0"
    info, path = resolve("/api/v3/time", "api.binance.com") or (None, "")
    assert info is not None and info.environment == "prod" and path == "/api/v3/time"
    assert resolve("/nowhere/x", "localhost:1234") is None
    assert rewrite_url("wss://stream.binance.com:9443/ws", "http://127.0.0.1:5") == (
        "ws://127.0.0.1:5/stream.binance.com:9443/ws"
    )
    assert rewrite_url("ws://already", "http://127.0.0.1:5") == "ws://already"


async def test_rest_market_data(emulator: MockExchange) -> None:
    """ping, time, exchangeInfo (with filters) and ticker/24hr answer on every spot host."""
    async with aiohttp.ClientSession() as s:
        for host in ("api.binance.com", "testnet.binance.vision", "demo-api.binance.com:443"):
            status, body, headers = await get(s, f"{emulator.base_url}/{host}/api/v3/ping")
            assert (status, body) == (200, {})
            assert headers["Content-Type"].startswith("application/json")
        _, body, _ = await get(s, emulator.url("https://api.binance.com/api/v3/time"))
        assert abs(body["serverTime"] - emulator.clock.now_ms()) < 5000
        _, info, _ = await get(s, emulator.url("https://api.binance.com/api/v3/exchangeInfo"))
        assert {x["symbol"] for x in info["symbols"]} >= {"BTCUSDT", "ETHUSDT", "BNBUSDT", "ETHBTC"}
        assert info["rateLimits"][0]["rateLimitType"] == "REQUEST_WEIGHT"
        _, one, _ = await get(
            s,
            emulator.url("https://api.binance.com/api/v3/exchangeInfo"),
            params={"symbols": '["ETHBTC","BNBUSDT"]'},
        )
        assert [x["symbol"] for x in one["symbols"]] == ["BNBUSDT", "ETHBTC"]
        status, err, _ = await get(
            s,
            emulator.url("https://api.binance.com/api/v3/exchangeInfo"),
            params={"symbol": "NOPE"},
        )
        assert (status, err) == (400, {"code": -1121, "msg": "Invalid symbol."})
        status, err, _ = await get(
            s,
            emulator.url("https://api.binance.com/api/v3/exchangeInfo"),
            params={"symbols": "[bad"},
        )
        assert status == 400 and err["code"] == -1100
        _, tick, _ = await get(
            s,
            emulator.url("https://api.binance.com/api/v3/ticker/24hr"),
            params={"symbol": "BTCUSDT"},
        )
        assert tick["symbol"] == "BTCUSDT" and float(tick["lastPrice"]) > 0
        _, ticks, _ = await get(s, emulator.url("https://api.binance.com/api/v3/ticker/24hr"))
        assert len(ticks) == 4


async def test_unknown_host_path_and_unimplemented(emulator: MockExchange) -> None:
    """Unknown hosts get a 404 naming the URL rule; unimplemented paths an explicit error."""
    async with aiohttp.ClientSession() as s:
        status, body, _ = await get(s, f"{emulator.base_url}/example.com/x")
        assert status == 404 and "URL rule" in body["msg"]
        status, body, _ = await get(s, emulator.url("https://api.binance.com/api/v3/nothing"))
        assert status == 404 and body == {"code": -1020, "msg": "This operation is not supported."}
        status, body, _ = await get(s, emulator.url("https://fapi.binance.com/fapi/v1/nothing"))
        assert status == 404 and body["code"] == -1020


async def recv_json(ws: aiohttp.ClientWebSocketResponse) -> Any:
    return orjson.loads(await asyncio.wait_for(ws.receive_str(), 5))


async def test_raw_and_combined_streams(emulator: MockExchange) -> None:
    """/ws delivers bare payloads, /stream the envelope; URL streams start subscribed."""
    async with aiohttp.ClientSession() as s:
        async with s.ws_connect(
            emulator.url("wss://stream.binance.com:9443/ws/btcusdt@ticker")
        ) as ws:
            event = await recv_json(ws)
            assert event["e"] == "24hrTicker" and event["s"] == "BTCUSDT"
            assert float(event["b"]) < float(event["a"])
        url = emulator.url("wss://stream.binance.com:9443/stream?streams=ethusdt@ticker")
        async with s.ws_connect(url) as ws:
            event = await recv_json(ws)
            assert event["stream"] == "ethusdt@ticker" and event["data"]["s"] == "ETHUSDT"
            await ws.send_str('{"method":"SET_PROPERTY","params":["combined",false],"id":1}')
            while await recv_json(ws) != {"result": None, "id": 1}:
                pass
            assert (await recv_json(ws))["e"] == "24hrTicker"


async def test_ws_bad_input_keeps_serving(emulator: MockExchange) -> None:
    """Binary and malformed frames get an error and the connection keeps working."""
    async with (
        aiohttp.ClientSession() as s,
        s.ws_connect(emulator.url("wss://stream.binance.com/ws")) as ws,
    ):
        await ws.send_bytes(b"\x00\x01")
        assert (await recv_json(ws))["error"]["code"] == 3
        await ws.send_str("nope")
        assert (await recv_json(ws))["error"]["code"] == 3
        await ws.send_str('{"method":"LIST_SUBSCRIPTIONS","id":4}')
        assert await recv_json(ws) == {"result": [], "id": 4}


async def test_faults_and_push(emulator: MockExchange) -> None:
    """withhold/delay/error ACK faults apply once; push reaches subscribers; close drops all."""
    async with aiohttp.ClientSession() as s:
        async with s.ws_connect(emulator.url("wss://stream.binance.com/stream")) as ws:
            emulator.add_fault("error_reply", method="SUBSCRIBE", code=2, msg="scripted")
            await ws.send_str('{"method":"SUBSCRIBE","params":["btcusdt@ticker"],"id":1}')
            assert await recv_json(ws) == {"error": {"code": 2, "msg": "scripted"}, "id": 1}
            emulator.add_fault("withhold_ack", method="LIST_SUBSCRIPTIONS")
            emulator.add_fault("delay_ack", method="SUBSCRIBE", delay_ms=50)
            await ws.send_str('{"method":"LIST_SUBSCRIPTIONS","id":2}')
            await ws.send_str('{"method":"SUBSCRIBE","params":["bnbusdt@ticker"],"id":3}')
            reply = await recv_json(ws)
            while "id" not in reply:  # a ticker may come before the delayed ACK
                reply = await recv_json(ws)
            assert reply == {"result": None, "id": 3}
            assert emulator.push({"hello": 1}, stream="bnbusdt@ticker") == 1
            assert emulator.push({"hello": 2}, stream="ethbtc@ticker") == 0
            msg = await recv_json(ws)
            while msg.get("data", {}).get("hello") != 1:
                msg = await recv_json(ws)
            assert emulator.connection_count() == 1
            emulator.add_fault("close", close_code=4000)
            closed = await asyncio.wait_for(ws.receive(), 5)
            while closed.type == aiohttp.WSMsgType.TEXT:
                closed = await asyncio.wait_for(ws.receive(), 5)
            assert closed.type == aiohttp.WSMsgType.CLOSE and closed.data == 4000
        journal = [e for e in emulator.control.journal if e.transport == "ws"]
        assert [orjson.loads(e.text)["id"] for e in journal] == [1, 2, 3]
        with pytest.raises(ValueError, match="unknown fault kind"):
            emulator.add_fault("explode")
        with pytest.raises(ValueError, match="unknown fault options"):
            emulator.add_fault("withhold_ack", colour="red")


async def test_control_http(emulator: MockExchange) -> None:
    """The /_mock/ API reads and drives the clock, rate, faults, journal and reset."""
    base = f"{emulator.base_url}/_mock"
    async with aiohttp.ClientSession() as s:
        async with s.post(f"{base}/clock/freeze") as r:
            frozen = (await r.json())["now"]
        async with s.post(f"{base}/clock/advance", json={"ms": 1500}) as r:
            assert (await r.json())["now"] == frozen + 1500
        async with s.get(f"{base}/clock") as r:
            assert await r.json() == {"now": frozen + 1500, "frozen": True}
        async with s.post(f"{base}/clock/resume") as r:
            assert (await r.json())["now"] >= frozen + 1500
        async with s.post(f"{base}/rate", json={"rate": 0}) as r:
            assert await r.json() == {"rate": 0.0}
        async with s.post(f"{base}/faults", json={"kind": "withhold_ack", "count": 2}) as r:
            assert (await r.json())["count"] == 2
        async with s.get(f"{base}/faults") as r:
            assert len((await r.json())["faults"]) == 1
        async with s.delete(f"{base}/faults") as r:
            assert await r.json() == {"faults": []}
        async with s.post(f"{base}/push", json={"frame": {"x": 1}}) as r:
            assert await r.json() == {"sent": 0}
        async with s.post(f"{base}/reset", json={"seed": 9}) as r:
            assert (await r.json())["seed"] == 9
        async with s.get(f"{base}/journal") as r:
            assert "entries" in await r.json()
        async with s.post(f"{base}/nothing") as r:
            assert r.status == 400 and "unknown control operation" in (await r.json())["error"]
        async with s.post(f"{base}/faults", json={"kind": "nope"}) as r:
            assert r.status == 400


async def test_virtual_clock_drives_tickers() -> None:
    """With a frozen clock, tickers are published only when the clock is advanced."""
    config = ServerConfig(rate=0, frozen_clock=True)
    async with (
        MockExchange(config=config) as mx,
        aiohttp.ClientSession() as s,
        s.ws_connect(mx.url("wss://stream.binance.com/ws/btcusdt@ticker")) as ws,
    ):
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(ws.receive_str(), 0.3)
        mx.clock.advance(1000)
        event = await recv_json(ws)
        assert event["E"] == mx.clock.now_ms() and event["n"] == 0
