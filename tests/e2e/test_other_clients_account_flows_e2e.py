"""Unmodified python-binance and the official SDKs through account flows beyond the order
lifecycle (wallet and key reads, batch cancels, test orders, transfers). Each test pins a flow
that failed against the emulator before it matched Binance; URLs rewritten only.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from mock_exchange import MockExchange, ServerConfig

binance = pytest.importorskip("binance", reason="python-binance is not installed")

pytestmark = pytest.mark.asyncio(loop_scope="module")

KEY, SECRET = "pbFlowsKey", "pbFlowsSecret"


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def mx() -> AsyncIterator[MockExchange]:
    """An emulator on the wall clock (the clients sign with their own time), no activity."""
    async with MockExchange(config=ServerConfig(seed=5, rate=0, warmup_ms=0)) as emulator:
        emulator.add_account(
            {
                "apiKey": KEY,
                "secret": SECRET,
                "balances": {"USDT": "100000", "BTC": "2"},
                "futuresBalances": {"USDT": "100000"},
                "coinmBalances": {"BTC": "2"},
                "permissions": ["reading", "spot", "futures"],
            }
        )
        yield emulator


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def pb(mx: MockExchange) -> AsyncIterator[Any]:
    """python-binance's AsyncClient with an HMAC key, its REST base URLs rewritten."""
    client: Any = binance.AsyncClient(api_key=KEY, api_secret=SECRET)
    client.API_URL = mx.url("https://api.binance.com/api")
    client.MARGIN_API_URL = mx.url("https://api.binance.com/sapi")
    client.FUTURES_URL = mx.url("https://fapi.binance.com/fapi")
    client.FUTURES_COIN_URL = mx.url("https://dapi.binance.com/dapi")
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            await client.close_connection()


async def test_python_binance_wallet_and_key_reads(pb: Any) -> None:
    """get_system_status, get_trade_fee, get_account_api_permissions (the key's own
    permissions), get_account_status and get_account_api_trading_status answer as Binance."""
    assert await pb.get_system_status() == {"status": 0, "msg": "normal"}
    assert await pb.get_trade_fee(symbol="BTCUSDT") == [
        {"symbol": "BTCUSDT", "makerCommission": "0.001", "takerCommission": "0.001"}
    ]
    permissions = await pb.get_account_api_permissions()
    assert permissions["enableReading"] and permissions["enableSpotAndMarginTrading"]
    assert permissions["enableFutures"] and not permissions["enableMargin"]
    assert not permissions["enableWithdrawals"] and permissions["ipRestrict"] is False
    assert await pb.get_account_status() == {"data": "Normal"}
    trading = await pb.get_account_api_trading_status()
    assert trading["data"]["isLocked"] is False
