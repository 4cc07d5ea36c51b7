"""open_exchange: the embedded emulator by default, a running one by URL, live by name."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import client
from client.embedded import EMBEDDED, default_env, open_exchange
from mock_exchange import MockExchange, ServerConfig

ROOT = Path(__file__).resolve().parents[2]


def test_library_does_not_import_the_emulator() -> None:
    """Importing the client, its persistence layer and the recorder CLI loads no
    mock_exchange module: only open_exchange's embedded branch does."""
    code = (
        "import sys, client, client.persistence, client.record, client.embedded; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'mock_exchange'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": ""},
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("module", ["client.persistence", "client.embedded", "client.record"])
def test_exports(module: str) -> None:
    """Every name in __all__ exists."""
    mod = importlib.import_module(module)
    assert all(hasattr(mod, name) for name in mod.__all__)


def test_default_env_follows_binance_pro_env() -> None:
    """BINANCE_PRO_ENV picks a live environment (aliases allowed); unset, empty, emulator
    and local mean the embedded emulator; an unknown name is refused."""
    assert default_env({}) == EMBEDDED
    assert default_env({"BINANCE_PRO_ENV": ""}) == EMBEDDED
    assert default_env({"BINANCE_PRO_ENV": "local"}) == EMBEDDED
    assert default_env({"BINANCE_PRO_ENV": "sandbox"}) == "testnet"
    assert default_env({"BINANCE_PRO_ENV": "DEMO"}) == "demo"
    with pytest.raises(ValueError, match="unknown binance_env"):
        default_env({"BINANCE_PRO_ENV": "moon"})


async def test_embedded_and_url() -> None:
    """The default starts an emulator the client reaches by URL; ``url`` uses a running one."""
    async with open_exchange("emulator", seed=1, rate=5) as opened:
        assert opened.env == EMBEDDED and opened.where.startswith("embedded emulator at http")
        ticker = await opened.exchange.fetch_ticker_ws("BTC/USDT")
        assert ticker["symbol"] == "BTC/USDT"
    async with (
        MockExchange(config=ServerConfig(seed=2, rate=5)) as mx,
        open_exchange(url=mx.base_url) as opened,
    ):
        assert (opened.env, opened.where) == ("local", mx.base_url)
        assert opened.exchange.endpoints.name == "local"


async def test_live_env_is_not_dialled_until_used() -> None:
    """A live environment yields a client on its endpoints without touching the network."""
    async with open_exchange("sandbox") as opened:
        assert opened.env == "testnet" and isinstance(opened.exchange, client.Binance)
        assert opened.exchange.connections() == []
