"""The supervised owner and the ticker worker built on it (examples/)."""

from __future__ import annotations

import asyncio
import os
import random
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import client
from mock_exchange import MockExchange

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples"))

from _worker import StreamEnded, Supervised  # noqa: E402
from ticker_worker import TickerWorker  # noqa: E402

TIMEOUT = 20.0


class Script:
    """Streams whose n-th attempt yields ``values[n]`` then raises ``errors[n]`` (or, past
    the script, yields forever on demand)."""

    def __init__(self, plan: list[tuple[list[int], BaseException | None]]) -> None:
        self.plan = plan
        self.opened = 0
        self.closed = 0
        self.more = asyncio.Event()

    async def stream(self) -> AsyncIterator[int]:
        n = self.opened
        self.opened += 1
        try:
            if n < len(self.plan):
                values, error = self.plan[n]
                for v in values:
                    yield v
                if error is not None:
                    raise error
                return
            while True:  # the healthy attempt: one value per nudge
                await self.more.wait()
                self.more.clear()
                yield 100 + n
        finally:
            self.closed += 1


async def test_restarts_with_backoff_and_stops_cleanly() -> None:
    """Errors restart the stream after the reset hook and a growing, jittered backoff; the
    latest value and the last error stay readable; stop cancels, closes once, and ends."""
    script = Script([([1], client.NetworkError("drop 1")), ([2], client.NetworkError("drop 2"))])
    resets: list[str] = []
    closes = 0

    async def reset(exc: BaseException) -> None:
        resets.append(str(exc))

    async def close() -> None:
        nonlocal closes
        closes += 1

    owner: Supervised[int] = Supervised(
        "test",
        script.stream,
        reset=reset,
        close=close,
        backoff_initial=0.001,
        backoff_cap=0.004,
        rng=random.Random(1),
    )
    async with owner:
        await owner.wait_until(lambda o: o.attempts == 3 and o.state == "running", TIMEOUT)
        script.more.set()
        await owner.wait_until(lambda o: o.latest == 102, TIMEOUT)
        assert (owner.updates, owner.restarts) == (3, 2)
        assert resets == ["drop 1", "drop 2"]
        assert isinstance(owner.last_error, client.NetworkError)
        assert 0.0005 <= owner.last_delay <= 0.002  # second wait: 2x the first, jittered
        assert closes == 0
    assert owner.state == "stopped" and owner.done
    assert closes == 1 and script.closed == 3  # every attempt's iterator was closed
    assert str(owner.last_error) == "drop 2"


async def test_non_retryable_error_fails_without_restart() -> None:
    """An error retrying cannot cure (an unknown symbol) ends supervision as failed."""
    script = Script([([], client.BadSymbol("binance does not have market symbol X/Y"))])
    resets: list[BaseException] = []

    async def reset(exc: BaseException) -> None:
        resets.append(exc)

    owner: Supervised[int] = Supervised("bad", script.stream, reset=reset)
    owner.start()
    await owner.wait_until(lambda o: o.done, TIMEOUT)
    assert owner.state == "failed" and owner.restarts == 0 and resets == []
    assert isinstance(owner.last_error, client.BadSymbol)
    await owner.stop()
    assert owner.state == "failed"  # stop keeps the failure visible
    with pytest.raises(RuntimeError, match="already started"):
        owner.start()


async def test_stream_that_ends_is_restarted() -> None:
    """A stream that finishes without an error is restarted (StreamEnded is retryable)."""
    script = Script([([7], None)])
    owner: Supervised[int] = Supervised("ends", script.stream, backoff_initial=0.001)
    async with owner:
        await owner.wait_until(lambda o: o.attempts == 2 and o.state == "running", TIMEOUT)
        assert isinstance(owner.last_error, StreamEnded) and owner.latest == 7


async def test_ticker_worker_survives_a_dropped_connection(
    emulator: MockExchange, ex: client.Binance
) -> None:
    """The ticker worker keeps the latest ticker across a server-side close: it records the
    ConnectionClosed, closes the connection, restarts, and on stop leaves no connection."""
    seen: list[client.Ticker] = []
    worker = TickerWorker(ex, "BTC/USDT", backoff_initial=0.01, on_ticker=seen.append)
    async with worker:
        await worker.owner.wait_until(lambda o: o.updates >= 1, TIMEOUT)
        assert worker.latest is not None and worker.latest["symbol"] == "BTC/USDT"
        emulator.add_fault("close", close_code=1001)
        await worker.owner.wait_until(lambda o: o.restarts >= 1 and o.updates >= 2, TIMEOUT)
        assert isinstance(worker.owner.last_error, client.ConnectionClosed)
        assert worker.latest is seen[-1]
    assert worker.owner.state == "stopped"
    assert ex.connections() == []


async def test_ticker_worker_program_runs_for_its_seconds() -> None:
    """``python examples/ticker_worker.py`` on the embedded emulator prints tickers for
    CCXT_PRO_WORKER_SECONDS, then stops cleanly with its counters (exit 0)."""
    env = {**os.environ, "CCXT_PRO_WORKER_SECONDS": "3", "PYTHONPATH": str(ROOT)}
    env.pop("BINANCE_PRO_ENV", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "examples" / "ticker_worker.py"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    text = out.decode()
    assert proc.returncode == 0, text + err.decode()
    lines = text.splitlines()
    assert lines[0].startswith(
        "ticker worker: BTC/USDT from embedded emulator at http://127.0.0.1:"
    )
    assert any(line.startswith("BTC/USDT last=") for line in lines)
    assert lines[-1].startswith("ticker worker stopped (stopped): ")
    assert "connections left open: 0" in lines[-1]
