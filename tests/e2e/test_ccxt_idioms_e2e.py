"""Calls written the way ccxt.pro users write them, against the real emulator: CCXT's
``type``/``subType`` hints, snake_case params, conditional (algo) orders over their whole
life on USD-M and COIN-M. Each test pins a flow the red-team probes found answered wrongly."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from client import Binance
from mock_exchange import MockExchange, ServerConfig
from tests.e2e.accounts import Key, new_key, private_client, register

COINM = {"BTC": "7"}


@pytest.fixture
async def mx() -> AsyncIterator[MockExchange]:
    """A quiet emulator (no background orders)."""
    async with MockExchange(config=ServerConfig(seed=41, rate=0)) as m:
        yield m


@pytest.fixture
async def key(mx: MockExchange) -> Key:
    """A fresh HMAC account with spot, USD-M (USDT) and COIN-M (7 BTC) funds."""
    k = new_key("hmac")
    await register(mx.base_url, k, coinmBalances=COINM)
    return k


@pytest.fixture
async def ex(mx: MockExchange, key: Key) -> AsyncIterator[Binance]:
    """A client of that account."""
    async with private_client(mx.base_url, key) as client:
        yield client


async def test_sub_type_inverse_reads_the_coin_m_account(
    mx: MockExchange, key: Key, ex: Binance
) -> None:
    """``{"type": "swap", "subType": "inverse"}`` (and the ``defaultSubType`` option) mean
    COIN-M, as in ccxt: the balance is the COIN-M wallet, and ``subType`` is not sent."""
    for params in ({"type": "swap", "subType": "inverse"}, {"subType": "inverse"},
                   {"type": "future", "sub_type": "inverse"}):  # fmt: skip
        balance = await ex.fetch_balance(params)
        assert balance["total"] == {"BTC": 7.0}, params
    assert (await ex.fetch_balance({"type": "swap", "subType": "linear"}))["total"] == {
        "USDT": 100000.0
    }
    sent = [e.text for e in mx.control.journal if e.transport == "rest"]
    assert not any("subType" in line for line in sent)
    options = {"defaultType": "swap", "defaultSubType": "inverse"}
    async with private_client(mx.base_url, key, **options) as inverse:
        assert (await inverse.fetch_balance())["total"] == {"BTC": 7.0}
        assert (await inverse.fetch_balance({"type": "spot"}))["total"]["USDT"] == 100000.0


async def test_snake_case_order_params_mean_their_camel_case_names(
    mx: MockExchange, ex: Binance
) -> None:
    """``client_order_id``, ``time_in_force`` and ``post_only`` act as ``clientOrderId``,
    ``timeInForce`` and ``postOnly``: the order carries them, and the client id finds and
    cancels it; no snake_case name reaches Binance."""
    placed = await ex.create_order(
        "BTC/USDT",
        "limit",
        "buy",
        0.001,
        50000,
        {"client_order_id": "snakeCase1", "post_only": True},
    )
    assert placed["clientOrderId"] == "snakeCase1" and placed["postOnly"] is True
    ioc = await ex.create_order("BTC/USDT", "limit", "buy", 0.001, 50000, {"time_in_force": "IOC"})
    assert ioc["timeInForce"] == "IOC" and ioc["status"] == "expired"
    found = await ex.fetch_order(None, "BTC/USDT", {"client_order_id": "snakeCase1"})
    assert found["id"] == placed["id"]
    canceled = await ex.cancel_order(None, "BTC/USDT", {"client_order_id": "snakeCase1"})
    assert canceled["status"] == "canceled"
    sent = " ".join(e.text for e in mx.control.journal if e.transport == "rest")
    assert "_order_id" not in sent and "time_in_force" not in sent and "post_only" not in sent
