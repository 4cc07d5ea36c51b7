"""Shared fixtures: an emulator on 127.0.0.1:0 and a client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import client
from mock_exchange import MockExchange, ServerConfig


@pytest.fixture
async def emulator() -> AsyncIterator[MockExchange]:
    """A running emulator with a seeded, moderately active market."""
    async with MockExchange(config=ServerConfig(seed=3, rate=20)) as mx:
        yield mx


@pytest.fixture
async def ex(emulator: MockExchange) -> AsyncIterator[client.Binance]:
    """A client on the ``local`` environment of the running emulator."""
    async with client.Binance(binance_env="local", base_url=emulator.base_url) as binance:
        yield binance
