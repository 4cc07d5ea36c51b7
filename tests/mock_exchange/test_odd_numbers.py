"""Odd numbers in requests: every REST and WS API request gets a Binance error (issue 10)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import aiohttp
import orjson
import pytest

from mock_exchange import MockExchange, ServerConfig
from mock_exchange.routing import REST_ROUTES, WSAPI_METHODS
from mock_exchange.transports.ws_api import WsApiMethod

INT64_MAX = 2**63 - 1


@pytest.fixture
async def mx() -> Any:
    """A scripted emulator on a frozen clock with rate limits on."""
    async with MockExchange(config=ServerConfig(seed=3, rate=0, frozen_clock=True)) as emu:
        yield emu


async def rest(emu: MockExchange, url: str) -> tuple[int, Any]:
    """GET a Binance URL (already percent-encoded) on the emulator; return (status, JSON)."""
    async with aiohttp.ClientSession() as s, s.get(emu.url(url)) as r:
        return r.status, orjson.loads(await r.read())


SPOT = "https://api.binance.com/api/v3"


@pytest.mark.parametrize(
    ("url", "name"),
    [
        (f"{SPOT}/depth?symbol=BTCUSDT&limit=%C2%B2", "limit"),
        (f"{SPOT}/klines?symbol=BTCUSDT&interval=1m&startTime=%C2%B2", "startTime"),
        (f"{SPOT}/aggTrades?symbol=BTCUSDT&endTime=%D9%A3", "endTime"),
        (f"{SPOT}/klines?symbol=BTCUSDT&interval=1M&startTime={'9' * 20}", "startTime"),
        (
            "https://fapi.binance.com/fapi/v1/klines?symbol=BTCUSDT&interval=1M&startTime=%EF%BC%91",
            "startTime",
        ),
    ],
)
async def test_unicode_and_oversized_digits_are_illegal_characters(
    mx: MockExchange, url: str, name: str
) -> None:
    """A digit that is not ASCII, or a number past int64, is Binance's -1100 (it was a 500)."""
    status, body = await rest(mx, url)
    assert status == 400
    assert body == {
        "code": -1100,
        "msg": f"Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'.",
    }


@pytest.mark.parametrize("host", ["api.binance.com/api/v3", "fapi.binance.com/fapi/v1"])
# 5e13 ms is the year 3554; from 1e14 up a time is read as microseconds (1e17 us: year 5138)
@pytest.mark.parametrize("start", [10**17, INT64_MAX, 50_000_000_000_000])
async def test_monthly_klines_from_far_in_the_future_are_empty(
    mx: MockExchange, host: str, start: int
) -> None:
    """Klines 1M starting after now are an empty list, as Binance answers (they were a 500)."""
    url = f"https://{host}/klines?symbol=BTCUSDT&interval=1M&startTime={start}"
    assert await rest(mx, url) == (200, [])
    status, rows = await rest(mx, url.replace(f"startTime={start}", f"endTime={INT64_MAX}"))
    assert status == 200 and rows and rows[-1][0] <= mx.clock.now_ms()


async def test_ws_api_answers_every_request_with_its_id(
    mx: MockExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    """WS API requests with odd numbers are answered with their id and the socket stays open;
    even a handler that breaks answers -1000 with the id instead of dropping the socket."""
    url = mx.url("wss://ws-api.binance.com:443/ws-api/v3")
    odd = [
        {"symbol": "BTCUSDT", "interval": "1M", "startTime": INT64_MAX},
        {"symbol": "BTCUSDT", "interval": "1M", "startTime": 10**17},
        {"symbol": "BTCUSDT", "interval": "1m", "startTime": "\u00b2"},
        {"symbol": "BTCUSDT", "interval": "1m", "startTime": 2**64 - 1},
        {"symbol": "BTCUSDT", "interval": "1m", "endTime": -5},
    ]
    async with aiohttp.ClientSession() as s, s.ws_connect(url) as ws:
        for i, params in enumerate(odd):
            await ws.send_str(
                orjson.dumps({"id": i, "method": "klines", "params": params}).decode()
            )
            reply = await asyncio.wait_for(ws.receive_json(), 5)
            assert reply["id"] == i
            assert reply["status"] == 200 or reply["error"]["code"] == -1100
        monkeypatch.setitem(WSAPI_METHODS["spot"], "time", WsApiMethod(_broken))
        await ws.send_str('{"id":"b","method":"time"}')
        reply = await asyncio.wait_for(ws.receive_json(), 5)
        assert reply["id"] == "b" and reply["status"] == 500
        assert reply["error"] == UNKNOWN
        await ws.send_str('{"id":"p","method":"ping"}')
        assert (await asyncio.wait_for(ws.receive_json(), 5))["id"] == "p"


async def test_rest_answers_an_internal_failure_as_binance_does(
    mx: MockExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A REST handler that breaks answers Binance's -1000 body (HTTP 5XX is Binance's status for
    its own failures), never aiohttp's plain-text 500 page; the next request is served."""
    key = next(k for k in REST_ROUTES if k[1:] == ("GET", "/api/v3/time"))
    monkeypatch.setitem(REST_ROUTES, key, replace(REST_ROUTES[key], handler=_broken))
    assert await rest(mx, "https://api.binance.com/api/v3/time") == (500, UNKNOWN)
    assert await rest(mx, "https://api.binance.com/api/v3/ping") == (200, {})


UNKNOWN = {"code": -1000, "msg": "An unknown error occurred while processing the request."}


def _broken(_call: Any) -> Any:
    raise ZeroDivisionError("an emulator bug")
