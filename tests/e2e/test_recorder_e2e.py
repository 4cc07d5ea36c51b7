"""The recorder against the emulator: what the watches returned is what the database holds."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import client
from client.persistence import (
    CHANNELS,
    TABLES,
    RecordChannel,
    Recorder,
    RecorderError,
    RecordOptions,
    Row,
    SQLiteStore,
    resolve_channels,
)
from mock_exchange import MockExchange, ServerConfig

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 30.0
SPOT, SWAP = "BTC/USDT", "BTC/USDT:USDT"


@pytest.fixture
async def busy() -> AsyncIterator[MockExchange]:
    """An emulator with brisk activity and frequent futures liquidations."""
    async with MockExchange(config=ServerConfig(seed=9, rate=60, liquidation_share=0.5)) as mx:
        yield mx


@pytest.fixture
async def bx(busy: MockExchange) -> AsyncIterator[client.Binance]:
    """A client on the busy emulator."""
    async with client.Binance(binance_env="local", base_url=busy.base_url) as ex:
        yield ex


def expected_rows(
    seen: list[tuple[str, str | None, Any]], options: RecordOptions
) -> dict[str, list[Row]]:
    """Map the tapped watch results as the recorder does, applying each table's key rule:
    the first row of a key keeps its place; a replacing table keeps the newest values."""
    out: dict[str, dict[Any, Row]] = {}
    for name, symbol, result in seen:
        ch = CHANNELS[name]
        table = TABLES[ch.table]
        rows = out.setdefault(ch.table, {})
        for i, row in enumerate(ch.to_rows(result, symbol, options)):
            key: Any = tuple(row[k] for k in table.key) if table.key else (id(result), i)
            if key not in rows or table.on_duplicate == "replace":
                rows[key] = row
    return {t: list(rows.values()) for t, rows in out.items()}


async def test_recorded_rows_are_what_the_watches_returned(
    bx: client.Binance, tmp_path: Path
) -> None:
    """Recording every public channel of a spot and a futures symbol stores exactly the rows
    of the structures the watches returned (liquidations only for the futures symbol)."""
    seen: list[tuple[str, str | None, Any]] = []
    counts: dict[str, int] = {}
    options = RecordOptions(depth=3, timeframe="1m")
    names = ["ticker", "trades", "ohlcv", "orderbook", "liquidations"]
    with SQLiteStore(tmp_path / "rec.sqlite") as store:
        recorder = Recorder(
            bx,
            store,
            resolve_channels(names),
            [SPOT, SWAP],
            env="emulator",
            options=options,
            batch_size=40,
            flush_interval=0.05,
        )

        def tap(name: str, symbol: str | None, result: Any) -> None:
            seen.append((name, symbol, copy.deepcopy(result)))
            counts[name] = counts.get(name, 0) + 1
            if all(counts.get(n, 0) >= 2 for n in names):
                recorder.stop()

        recorder.on_watch = tap
        assert recorder.skipped == [("liquidations", SPOT)]
        progress = await asyncio.wait_for(recorder.run(), TIMEOUT)
        expected = expected_rows(seen, options)
        assert set(expected) == {"tickers", "trades", "ohlcv", "order_book_levels", "liquidations"}
        for table, rows in expected.items():
            assert store.read(table, source=progress.source) == rows, table
        assert progress.received == sum(len(CHANNELS[n].to_rows(r, s, options)) for n, s, r in seen)
        assert progress.total_written >= sum(len(v) for v in expected.values())
        assert {r["symbol"] for r in store.read("liquidations")} == {SWAP}
        assert {r["symbol"] for r in store.read("tickers")} == {SPOT, SWAP}
        runs = store.runs()
        assert runs[0]["source"] == "emulator#1" and runs[0]["ended_ms"] is not None


async def test_second_run_appends(bx: client.Binance, tmp_path: Path) -> None:
    """Re-running on the same file adds a run and appends its rows after the first run's."""
    path = tmp_path / "again.sqlite"
    totals = []
    for _ in range(2):
        with SQLiteStore(path) as store:
            recorder = Recorder(bx, store, resolve_channels(["trades"]), [SPOT], env="emulator")
            progress = await asyncio.wait_for(recorder.run(max_rows=5), TIMEOUT)
            assert progress.received >= 5
            totals.append(progress.total_written)
    with SQLiteStore(path) as store:
        assert [r["run_id"] for r in store.runs()] == [1, 2]
        assert store.count("trades") == sum(totals)
        assert len(store.read("trades", source="emulator#2")) == totals[1]


async def test_dropped_connection_is_retried(
    busy: MockExchange, bx: client.Binance, tmp_path: Path
) -> None:
    """A connection closed under the recorder counts a retry and recording goes on."""
    got_after_close = asyncio.Event()
    closed = False

    def tap(name: str, symbol: str | None, result: Any) -> None:
        nonlocal closed
        if not closed:
            closed = True
            busy.add_fault("close", close_code=1001)
        elif recorder.progress.retries:
            got_after_close.set()

    with SQLiteStore(tmp_path / "drop.sqlite") as store:
        recorder = Recorder(
            bx,
            store,
            resolve_channels(["ticker"]),
            [SPOT],
            env="emulator",
            on_watch=tap,
            backoff_initial=0.01,
        )
        task = asyncio.create_task(recorder.run())
        await asyncio.wait_for(got_after_close.wait(), TIMEOUT)
        recorder.stop()
        progress = await asyncio.wait_for(task, TIMEOUT)
        assert progress.retries >= 1
        assert progress.last_error is not None and "ConnectionClosed" in progress.last_error
        assert store.count("tickers") == progress.total_written >= 2


async def test_fatal_error_writes_what_was_received(bx: client.Binance, tmp_path: Path) -> None:
    """A watch failing with an error retrying cannot cure stops the run with RecorderError
    after writing the rows the other watches returned."""

    async def broken(ex: client.Binance, symbol: str | None, o: RecordOptions) -> Any:
        raise client.BadSymbol("binance does not have market symbol NOPE/USDT")

    bad = RecordChannel("broken", "tickers", "fails", broken, lambda r, s, o: [])
    first = asyncio.Event()
    with SQLiteStore(tmp_path / "fatal.sqlite") as store:
        good = Recorder(
            bx,
            store,
            resolve_channels(["trades"]),
            [SPOT],
            env="emulator",
            on_watch=lambda *_: first.set(),
        )
        good.channels.append(bad)
        good.pairs.append((bad, SPOT))
        with pytest.raises(RecorderError, match="BadSymbol"):
            await asyncio.wait_for(good.run(), TIMEOUT)
        assert store.count("trades") == good.progress.total_written
        assert store.runs()[0]["ended_ms"] is not None


async def test_liquidation_rows_match_scripted_liquidation(
    busy: MockExchange, bx: client.Binance, tmp_path: Path
) -> None:
    """A scripted liquidation arrives as a liquidations row with its side and contracts."""
    busy.set_rate(0)
    acked = asyncio.Event()
    sent: set[int] = set()

    def on_wire(event: client.WireEvent) -> None:  # the SUBSCRIBE's ACK: the stream is live
        if event.kind not in ("send", "recv") or not event.text.startswith("{"):
            return
        frame = json.loads(event.text)
        if event.kind == "send" and "btcusdt@forceOrder" in frame.get("params", []):
            sent.add(frame["id"])
        elif event.kind == "recv" and frame.get("id") in sent and "result" in frame:
            acked.set()

    bx.add_listener(on_wire)
    with SQLiteStore(tmp_path / "liq.sqlite") as store:
        recorder = Recorder(bx, store, resolve_channels(["liquidations"]), [SWAP], env="emulator")
        task = asyncio.create_task(recorder.run(max_rows=1))
        await asyncio.wait_for(acked.wait(), TIMEOUT)
        busy.liquidate("BTCUSDT", "SELL", Decimal("0.004"))
        await asyncio.wait_for(task, TIMEOUT)
        rows = store.read("liquidations")
    assert [(r["symbol"], r["side"], r["contracts"]) for r in rows] == [(SWAP, "sell", 0.004)]


# -- the command line ------------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BINANCE_")}
    return {**env, "PYTHONPATH": str(ROOT)}


async def _cli(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "client.record",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_env(),
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_cli_private_channels_need_an_account(tmp_path: Path) -> None:
    """Private channels record the embedded emulator's own account or a live one: with
    --url they are refused in one line, before any database is made; live without the
    environment's own keys too."""
    code, out, err = await _cli("--db", str(tmp_path / "x.sqlite"), "--symbols", SPOT,
                                "--channels", "ticker,orders", "--url", "http://127.0.0.1:9",
                                )  # fmt: skip
    assert code == 2 and out == ""
    assert err.startswith("error: orders: private channels record the embedded emulator")
    code, out, err = await _cli("--db", str(tmp_path / "y.sqlite"), "--symbols", SPOT,
                                "--channels", "unknown")  # fmt: skip
    assert code == 2 and err.startswith("error: unknown channel 'unknown'; available: ticker")
    code, out, err = await _cli("--db", str(tmp_path / "z.sqlite"), "--symbols", SPOT,
                                "--channels", "orders", "--env", "testnet")  # fmt: skip
    assert code == 2 and out == ""  # no network needed to know the keys are missing
    assert err == (
        "error: orders need testnet's own keys: set BINANCE_TESTNET_API_KEY and "
        "BINANCE_TESTNET_API_SECRET (or BINANCE_TESTNET_PRIVATE_KEY)\n"
    )


async def test_cli_records_private_channels_of_its_emulator_account(tmp_path: Path) -> None:
    """``--channels balance,orders`` on the embedded emulator records its own account (the
    balance snapshot at least) and says which key it created."""
    db = tmp_path / "p.sqlite"
    code, _, err = await _cli("--db", str(db), "--symbols", SPOT, "--channels",
                              "balance,orders", "--seconds", "2", "--quiet")  # fmt: skip
    assert code == 0, err
    assert "note: private channels record an emulator account: apiKey scn" in err
    with SQLiteStore(db) as store:
        assert {r["currency"] for r in store.read("balances")} >= {"USDT", "BTC"}


async def test_cli_help_documents_channels_and_envs() -> None:
    """``--help`` lists every channel, the private ones marked, and the environments."""
    code, out, _ = await _cli("--help")
    assert code == 0
    for word in [*CHANNELS, "(private)", "BINANCE_TESTNET_API_KEY", "BINANCE_PRO_ENV", "--env",
                 "--url", "--max-rows", "--batch-size", "docs/persistence.md"]:  # fmt: skip
        assert word in out, word


async def test_cli_records_and_resumes(tmp_path: Path) -> None:
    """Two bounded runs on one file from the embedded emulator: each prints a summary, the
    second appends a run, and an unknown symbol is a one-line error."""
    db = str(tmp_path / "ticks.sqlite")
    args = ("--db", db, "--symbols", "BTC/USDT,ETH/USDT", "--channels", "ticker,trades",
            "--max-rows", "12", "--progress", "0")  # fmt: skip
    for run in (1, 2):
        code, out, err = await _cli(*args)
        assert code == 0, err
        assert out.startswith(f"recorded run {run} (source emulator#{run})")
        assert "recording ticker,trades of BTC/USDT,ETH/USDT from embedded emulator" in err
        assert f"run {run}: " in err  # a progress line
    with sqlite3.connect(db) as conn:
        runs = conn.execute("SELECT run_id, rows FROM runs").fetchall()
        stored = conn.execute("SELECT COUNT(*) FROM tickers").fetchone()[0]
        stored += conn.execute("SELECT COUNT(*) FROM trades").fetchone()[0]
    assert [r[0] for r in runs] == [1, 2] and sum(r[1] for r in runs) == stored >= 24
    code, out, err = await _cli("--db", db, "--symbols", "NOPE/USDT", "--quiet")
    assert code == 2 and err.count("\n") == 1 and err.startswith("error: ")
    code, out, err = await _cli(
        "--db", str(tmp_path / "moon.sqlite"), "--symbols", SPOT, "--env", "moon"
    )
    assert (code, err) == (2, "error: unknown binance_env 'moon'; expected prod, testnet, "
                              "sandbox, demo or local\n")  # fmt: skip
    assert not (tmp_path / "moon.sqlite").exists()


async def test_cli_ctrl_c_flushes_and_summarises(tmp_path: Path) -> None:
    """Ctrl-C stops the recorder cleanly: exit 0, a summary, and every counted row stored."""
    db = str(tmp_path / "int.sqlite")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "client.record", "--db", db, "--symbols", SPOT,
        "--channels", "trades", "--progress", "0", "--flush-interval", "0.05",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=_env(),
    )  # fmt: skip
    assert proc.stderr is not None
    try:
        while True:  # wait for a progress line: rows are in the file
            line = (await asyncio.wait_for(proc.stderr.readline(), TIMEOUT)).decode()
            assert line, "recorder ended before its first batch"
            if line.startswith("run 1: "):
                break
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err
    assert "stopping: writing what was received" in err.decode()
    summary = out.decode()
    assert summary.startswith("recorded run 1")
    written = int(summary.split(": ", 1)[1].split(" rows written")[0])
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM trades").fetchone()[0] == written > 0
        assert conn.execute("SELECT rows FROM runs").fetchone()[0] == written


async def test_private_channels_record_what_the_watches_returned(tmp_path: Path) -> None:
    """Recording orders, my_trades, balance and positions of an account while another client
    of it trades stores exactly the rows of the structures the private watches returned."""
    from tests.e2e.accounts import new_key, private_client, register

    async with MockExchange(config=ServerConfig(seed=12, rate=0)) as mx:
        key = new_key("hmac")
        await register(mx.base_url, key)
        seen: list[tuple[str, str | None, Any]] = []
        names = ["orders", "my_trades", "balance", "positions"]
        options = RecordOptions()
        async with (
            private_client(mx.base_url, key) as ex,
            private_client(mx.base_url, key) as trader,
        ):
            await ex.authenticate()
            await ex.authenticate({"type": "future"})
            with SQLiteStore(tmp_path / "private.sqlite") as store:
                recorder = Recorder(ex, store, resolve_channels(names), [SPOT, SWAP],
                                    env="emulator", flush_interval=0.05)  # fmt: skip
                assert recorder.skipped == [("positions", SPOT)]

                def tap(name: str, symbol: str | None, result: Any) -> None:
                    seen.append((name, symbol, copy.deepcopy(result)))
                    got = {n for n, s, r in seen if r}
                    if {"orders", "my_trades", "balance", "positions"} <= got:
                        recorder.stop()

                recorder.on_watch = tap
                task = asyncio.create_task(recorder.run())
                await trader.create_order(SPOT, "market", "buy", 0.001)
                await trader.create_order(SWAP, "market", "buy", 0.002)
                progress = await asyncio.wait_for(task, TIMEOUT)
                expected = expected_rows(seen, options)
                assert set(expected) >= {"orders", "my_trades", "balances", "positions"}
                for table, rows in expected.items():
                    assert store.read(table, source=progress.source) == rows, table
                assert {r["symbol"] for r in store.read("orders")} <= {SPOT, SWAP}
                assert {r["symbol"] for r in store.read("positions")} == {SWAP}
