"""Unmodified python-binance 1.0.37 driven as bots drive it (hedge-mode futures, error paths),
URLs rewritten only. Each test pins a flow that differed from Binance before the fix."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from mock_exchange import MockExchange, ServerConfig

binance = pytest.importorskip("binance", reason="python-binance is not installed")

pytestmark = pytest.mark.asyncio(loop_scope="module")

KEY, SECRET = "pbBotsKey", "pbBotsSecret"


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def mx() -> AsyncIterator[MockExchange]:
    """An emulator on the wall clock (python-binance signs with its own time), no activity."""
    async with MockExchange(config=ServerConfig(seed=6, rate=0, warmup_ms=0)) as emulator:
        emulator.add_account(
            {
                "apiKey": KEY,
                "secret": SECRET,
                "balances": {"USDT": "100000", "BTC": "2"},
                "futuresBalances": {"USDT": "100000"},
                "coinmBalances": {"BTC": "2"},
            }
        )
        yield emulator


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def pb(mx: MockExchange) -> AsyncIterator[Any]:
    """python-binance's AsyncClient with an HMAC key, its REST base URLs rewritten."""
    client: Any = binance.AsyncClient(api_key=KEY, api_secret=SECRET)
    client.API_URL = mx.url("https://api.binance.com/api")
    client.FUTURES_URL = mx.url("https://fapi.binance.com/fapi")
    client.FUTURES_COIN_URL = mx.url("https://dapi.binance.com/dapi")
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            await client.close_connection()


async def test_hedge_mode_reduce_only_is_refused_with_binances_lowercase_name(pb: Any) -> None:
    """In hedge mode a futures order carrying reduceOnly (even false) is -1106 naming
    'reduceonly' in lower case, as Binance's futures API words it; positionSide alone closes."""
    await pb.futures_change_position_mode(dualSidePosition="true")
    try:
        opened = await pb.futures_create_order(
            symbol="BTCUSDT", side="BUY", positionSide="LONG", type="MARKET", quantity="0.01"
        )
        assert opened["positionSide"] == "LONG"
        for flag in ("true", "false"):
            with pytest.raises(binance.exceptions.BinanceAPIException) as refused:
                await pb.futures_create_order(
                    symbol="BTCUSDT", side="SELL", positionSide="LONG", type="MARKET",
                    quantity="0.01", reduceOnly=flag,
                )  # fmt: skip
            assert (refused.value.status_code, refused.value.code) == (400, -1106)
            assert refused.value.message == "Parameter 'reduceonly' sent when not required."
        closed = await pb.futures_create_order(
            symbol="BTCUSDT", side="SELL", positionSide="LONG", type="MARKET", quantity="0.01"
        )
        assert closed["positionSide"] == "LONG"
        rows = await pb.futures_position_information(symbol="BTCUSDT")  # v3: open legs only
        assert [p for p in rows if p["positionSide"] == "LONG"] == []
    finally:
        await pb.futures_change_position_mode(dualSidePosition="false")


async def test_futures_parameter_not_required_names_it_in_lower_case(pb: Any) -> None:
    """A USD-M MARKET order with a stopPrice is -1106 "Parameter 'stopprice' sent when not
    required." (Binance's futures API lower-cases the name)."""
    with pytest.raises(binance.exceptions.BinanceAPIException) as refused:
        await pb.futures_create_order(
            symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01", stopPrice="80000"
        )
    assert refused.value.code == -1106
    assert refused.value.message == "Parameter 'stopprice' sent when not required."
