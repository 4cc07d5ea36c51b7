"""The order-event worker (examples/order_event_worker.py): one authentication reused across
restarts, order changes kept in their latest state, a clean stop, and the program's run."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import client
from mock_exchange import MockExchange, ServerConfig
from tests.e2e.accounts import new_key, private_client, register

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples"))

from order_event_worker import OrderEventWorker  # noqa: E402

TIMEOUT = 20.0


@pytest.fixture
async def emulator() -> AsyncIterator[MockExchange]:
    """A quiet emulator (only the test trades)."""
    async with MockExchange(config=ServerConfig(seed=5, rate=0)) as mx:
        yield mx


async def test_worker_reuses_its_authentication_across_a_restart(emulator: MockExchange) -> None:
    """Orders placed by another client of the account reach the worker in their latest
    state; a stream that fails (an idle watch timing out) is recorded and restarted on the
    same ``ws_auth`` (never a second authenticate); a cancel made while the server dropped the
    connection still arrives (reconciled); stop leaves no connection open."""
    key = new_key("hmac")
    await register(emulator.base_url, key)
    async with (
        private_client(emulator.base_url, key) as ex,
        private_client(emulator.base_url, key) as trader,
    ):
        worker = OrderEventWorker(ex, "BTC/USDT", params={"timeout": 300}, backoff_initial=0.01)
        auth = await worker.authenticate()
        assert await worker.authenticate() is auth
        async with worker:
            first = await trader.create_order("BTC/USDT", "limit", "buy", 0.001, 70000)
            await worker.owner.wait_until(lambda o: str(first["id"]) in worker.orders, TIMEOUT)
            assert worker.orders[str(first["id"])]["status"] == "open"
            assert worker.auth is not None and worker.auth.mechanism == "ws_api_subscribe"
            await worker.owner.wait_until(lambda o: o.restarts >= 1, TIMEOUT)  # idle: timed out
            assert isinstance(worker.owner.last_error, client.RequestTimeout)
            emulator.add_fault("close")  # dropped by the server: the session reconciles
            await trader.cancel_order(str(first["id"]), "BTC/USDT")
            await worker.owner.wait_until(
                lambda o: worker.orders[str(first["id"])]["status"] == "canceled", TIMEOUT
            )
            assert worker.authentications == 1
        assert worker.owner.state == "stopped" and ex.connections() == []


async def test_order_event_worker_program_runs_for_its_seconds() -> None:
    """``python examples/order_event_worker.py`` on the embedded emulator (its own emulator
    account and trader) prints order events for CCXT_PRO_ORDER_EVENT_WORKER_SECONDS, then
    stops cleanly with its counters (exit 0)."""
    env = {**os.environ, "CCXT_PRO_ORDER_EVENT_WORKER_SECONDS": "3", "PYTHONPATH": str(ROOT)}
    env.pop("BINANCE_PRO_ENV", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "examples" / "order_event_worker.py"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    text = out.decode()
    assert proc.returncode == 0, text + err.decode()
    lines = text.splitlines()
    assert lines[0].startswith(
        "order event worker: BTC/USDT from embedded emulator at http://127.0.0.1:"
    )
    assert any(" buy limit open " in line for line in lines)
    assert any(" buy limit canceled " in line for line in lines)
    assert lines[-1].startswith("order event worker stopped (stopped): ")
    assert "1 authentication(s)" in lines[-1] and "connections left open: 0" in lines[-1]
