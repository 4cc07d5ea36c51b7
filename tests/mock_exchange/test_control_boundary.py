"""Hostile control requests: refused at the boundary with a 400 and no state change (issue 10)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from mock_exchange import MockExchange, ServerConfig, check_setup


@pytest.fixture
async def frozen() -> AsyncIterator[MockExchange]:
    """A scripted emulator on a frozen clock."""
    async with MockExchange(config=ServerConfig(seed=2, rate=0, frozen_clock=True)) as mx:
        yield mx


async def control(mx: MockExchange, method: str, op: str, **kw: Any) -> tuple[int, Any]:
    """Call ``METHOD /_mock/op`` and return (status, JSON body)."""
    async with (
        aiohttp.ClientSession() as s,
        s.request(method, f"{mx.base_url}/_mock/{op}", **kw) as r,
    ):
        return r.status, await r.json(content_type=None)


async def next_ticker(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    """Return the next JSON frame within 5 s."""
    data: dict[str, Any] = await asyncio.wait_for(ws.receive_json(), 5)
    return data


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "drop_frames", "count": "x"},
        {"kind": "delay_frames", "delay_ms": "x"},
        {"kind": "delay_ack", "delay_ms": -5},
        {"kind": "force_429", "count": "x"},
        {"kind": "withhold_pongs", "count": "x"},
        {"kind": "withhold_pongs", "count": 0},
        {"kind": "drop_frames", "count": True},
        {"kind": "close", "close_code": "x"},
        {"kind": "close", "close_code": 1005},
        {"kind": "error_reply", "code": "x"},
        {"kind": "error_reply", "msg": 5},
        {"kind": "gap", "symbol": 5},
        {"kind": "gap", "symbol": "BTCUSDT", "venue": "mars"},
        {"kind": "withhold_ack", "method": 1},
        {"kind": "drop_frames", "stream": ["x"]},
    ],
)
async def test_fault_fields_are_type_checked_at_the_boundary(
    frozen: MockExchange, body: dict[str, Any]
) -> None:
    """A fault with an ill-typed field answers 400 naming the field and queues nothing."""
    status, answer = await control(frozen, "POST", "faults", json=body)
    assert status == 400
    field = list(body)[-1]
    assert field in answer["error"]
    assert frozen.control.faults == []
    with pytest.raises(ValueError):
        frozen.add_fault(body["kind"], **{k: v for k, v in body.items() if k != "kind"})


@pytest.mark.parametrize("ms", [1e30, 10**17, "x", 1.5, -1, True])
async def test_clock_advance_out_of_range_changes_nothing(frozen: MockExchange, ms: Any) -> None:
    """clock/advance with a huge, fractional or ill-typed value is a 400; the clock stays put
    and the streams keep publishing when it is then advanced properly."""
    before = frozen.clock.now_ms()
    status, answer = await control(frozen, "POST", "clock/advance", json={"ms": ms})
    assert status == 400 and "advance_clock" in answer["error"]
    assert frozen.clock.now_ms() == before
    assert await control(frozen, "GET", "clock") == (200, {"now": before, "frozen": True})
    async with (
        aiohttp.ClientSession() as s,
        s.ws_connect(frozen.url("wss://stream.binance.com/ws/btcusdt@ticker")) as ws,
    ):
        assert (await control(frozen, "POST", "clock/advance", json={"ms": 1000}))[0] == 200
        assert (await next_ticker(ws))["E"] == before + 1000


def test_the_clock_refuses_to_pass_the_last_representable_time() -> None:
    """The clock (and a setup's start_ms) refuse times past year 9999, so calendar klines
    always compute."""
    from mock_exchange.engine.clock import MAX_TIME_MS, ControlledClock

    clock = ControlledClock(frozen=True, start_ms=0)
    with pytest.raises(ValueError, match="9999"):
        clock.advance(10**17)
    assert clock.now_ms() == 0
    assert clock.advance(MAX_TIME_MS) == MAX_TIME_MS
    with pytest.raises(ValueError, match="year 9999"):
        check_setup({"clock": {"start_ms": 10**17}})


async def test_driver_survives_a_failing_tick_and_logs_it(
    frozen: MockExchange, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error inside one clock tick is logged once and the driver keeps publishing and
    pinging on the next ticks (it used to die silently)."""
    failed = asyncio.Event()
    original = frozen.publisher.on_tick

    def flaky(prev: int, now: int) -> None:
        if not failed.is_set():
            failed.set()
            raise RuntimeError("boom in a periodic stream")
        original(prev, now)

    monkeypatch.setattr(frozen.publisher, "on_tick", flaky)
    caplog.set_level(logging.ERROR, logger="mock_exchange")
    start = frozen.clock.now_ms()
    url = frozen.url("wss://stream.binance.com/ws/btcusdt@ticker")
    async with aiohttp.ClientSession() as s, s.ws_connect(url, autoping=False) as ws:
        frozen.clock.advance(1000)  # this tick fails in the publisher
        await asyncio.wait_for(failed.wait(), 5)
        frozen.clock.advance(20_000)  # the next one publishes and pings
        seen: set[aiohttp.WSMsgType] = set()
        while seen != {aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.PING}:
            msg = await asyncio.wait_for(ws.receive(), 5)
            if msg.type == aiohttp.WSMsgType.TEXT:
                assert msg.json()["E"] == start + 21_000
            seen.add(msg.type)
    assert "boom in a periodic stream" in caplog.text


@pytest.mark.parametrize(
    "origin",
    ["http://evil.example", "https://evil.example:443", "null", "http://127.0.0.1.evil.example"],
)
async def test_control_refuses_cross_site_requests(frozen: MockExchange, origin: str) -> None:
    """A control request carrying a foreign Origin (what a web page's fetch or form sends) is
    refused with 403 and does nothing, whatever its content type."""
    before = frozen.clock.now_ms()
    status, answer = await control(
        frozen,
        "POST",
        "clock/advance",
        data=b'{"ms": 5000}',
        headers={"Origin": origin, "Content-Type": "text/plain"},
    )
    assert status == 403 and "Origin" in answer["error"]
    assert frozen.clock.now_ms() == before
    status, _ = await control(frozen, "POST", "shutdown", headers={"Origin": origin})
    assert status == 403


@pytest.mark.parametrize(
    "origin", [None, "http://localhost:3000", "http://127.0.0.1:8080", "http://[::1]", "SAME"]
)
async def test_control_accepts_local_and_same_origin_requests(
    frozen: MockExchange, origin: str | None
) -> None:
    """No Origin (scripts, curl, the scenario runner), a loopback page, or the emulator's own
    address are obeyed."""
    headers = {} if origin is None else {"Origin": frozen.base_url if origin == "SAME" else origin}
    before = frozen.clock.now_ms()
    status, answer = await control(frozen, "POST", "clock/advance", json={"ms": 5}, headers=headers)
    assert (status, answer) == (200, {"now": before + 5})


@pytest.mark.parametrize("raw", [b"null", b"[]", b"5", b'"x"', b"{", b"[1, 2]"])
async def test_control_bodies_must_be_json_objects(frozen: MockExchange, raw: bytes) -> None:
    """A control body that is not a JSON object is a 400 saying so (it was a 500)."""
    for op in ("reset", "faults", "clock/advance", "order"):
        status, answer = await control(frozen, "POST", op, data=raw)
        assert status == 400 and "JSON object" in answer["error"], (op, answer)


async def test_a_refused_reset_seed_leaves_later_resets_working(frozen: MockExchange) -> None:
    """reset {"seed": [1]} is refused without touching the seed; reset {} then works."""
    assert (await control(frozen, "POST", "reset", json={"seed": [1]}))[0] == 400
    status, answer = await control(frozen, "POST", "reset", json={})
    assert (status, answer["seed"]) == (200, 2)
    status, answer = await control(frozen, "POST", "reset", json={"seed": 7})
    assert (status, answer["seed"]) == (200, 7)


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"side": "UP"}, "side"),
        ({"type": "STOP"}, "type"),
        ({"time_in_force": "XYZ"}, "time_in_force"),
        ({"venue": "mars"}, "venue"),
        ({"quantity": "lots"}, "quantity"),
        ({"price": -3}, "price"),
        ({"symbol": 5}, "symbol"),
    ],
)
async def test_invalid_order_fields_are_refused(
    frozen: MockExchange, fields: dict[str, Any], bad: str
) -> None:
    """A scripted order with an invalid side, type, time in force, venue or number is a 400
    naming the field, and the book does not change."""
    order = {"symbol": "BTCUSDT", "side": "BUY", "quantity": "0.01", "price": "90000", **fields}
    book = frozen.engine.depth("BTCUSDT", 1000)
    status, answer = await control(frozen, "POST", "order", json=order)
    assert status == 400 and bad in answer["error"], answer
    assert frozen.engine.depth("BTCUSDT", 1000) == book
    liquidation = {"symbol": "BTCUSDT", "side": "UP", "quantity": "0.01"}
    status, answer = await control(frozen, "POST", "liquidate", json=liquidation)
    assert status == 400 and "side" in answer["error"]
