"""Margin borrow rates, the margin account and Binance Convert against the real emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from client import Binance, NotSupported
from mock_exchange import MockExchange, ServerConfig
from tests.e2e.accounts import new_key, private_client, register


@pytest.fixture
async def ex() -> AsyncIterator[Binance]:
    """A client with a funded HMAC account on a quiet emulator."""
    async with MockExchange(config=ServerConfig(seed=13, rate=0)) as mx:
        key = new_key("hmac")
        await register(mx.base_url, key)
        async with private_client(mx.base_url, key) as client:
            yield client


async def test_borrow_rates(ex: Binance) -> None:
    """Cross rates (one, all) and isolated pair rates agree with each other: the BTC cross
    rate is the base rate of the BTC/USDT isolated pair, per day."""
    one = await ex.fetch_cross_borrow_rate("BTC")
    every = await ex.fetch_cross_borrow_rates()
    assert one["currency"] == "BTC" and one["period"] == 86_400_000 and one["rate"]
    assert every["BTC"]["rate"] == one["rate"] and "USDT" in every
    pair = await ex.fetch_isolated_borrow_rate("BTC/USDT")
    assert (pair["symbol"], pair["base"], pair["quote"]) == ("BTC/USDT", "BTC", "USDT")
    assert pair["baseRate"] == one["rate"]
    assert (await ex.fetch_isolated_borrow_rates())["BTC/USDT"] == pair


async def test_convert_quote_then_trade_moves_the_balance(ex: Binance) -> None:
    """A quote for 100 USDT -> BTC, accepted, leaves 100 USDT less and the quoted BTC more."""
    before = await ex.fetch_balance()
    quote = await ex.fetch_convert_quote("USDT", "BTC", 100)
    assert quote["fromAmount"] == 100.0 and quote["toAmount"] and quote["price"]
    done = await ex.create_convert_trade(quote["id"] or "", "USDT", "BTC")
    assert done["id"] and done["info"]["orderStatus"] in ("PROCESS", "SUCCESS")
    after = await ex.fetch_balance()
    assert after["total"]["USDT"] == pytest.approx(before["total"]["USDT"] - 100)  # type: ignore[operator]
    assert after["total"]["BTC"] == pytest.approx(before["total"]["BTC"] + quote["toAmount"])  # type: ignore[operator]


async def test_margin_account_and_liquidations(ex: Binance) -> None:
    """The cross-margin account parses (no debt yet) and has no liquidations; a margin venue
    is refused on testnet, which has no /sapi."""
    bal = await ex.fetch_balance({"type": "margin"})
    assert bal["info"]["borrowEnabled"] is True
    assert await ex.fetch_my_liquidations(params={"type": "margin"}) == []
    testnet = Binance({"apiKey": "k", "secret": "s", "binanceEnv": "testnet"})
    with pytest.raises(NotSupported):
        await testnet.fetch_cross_borrow_rates()
    await testnet.close()
