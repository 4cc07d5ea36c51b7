"""SQLite store: schema on first use, natural keys per source, one transaction per batch."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from client.persistence import (
    SCHEMA_VERSION,
    TABLES,
    SQLiteStore,
    StoreError,
    ohlcv_row,
    order_book_rows,
    order_row,
    ticker_row,
    trade_row,
)
from client.persistence.sqlite import create_table_sql

from .test_persistence_rows import BOOK, ORDER, TICKER, TRADE


def test_schema_created_on_first_use(tmp_path: Path) -> None:
    """A new file gets meta (with the schema version), runs, and every table with the store's
    source/run_id columns first and UNIQUE over source plus the natural key."""
    path = tmp_path / "new.sqlite"
    SQLiteStore(path).close()
    db = sqlite3.connect(path)
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert names == {"meta", "runs", *TABLES}
    assert db.execute("SELECT value FROM meta").fetchone() == (str(SCHEMA_VERSION),)
    cols = [r[1] for r in db.execute('PRAGMA table_info("trades")')]
    assert cols == ["source", "run_id", *TABLES["trades"].names]
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name='trades'").fetchone()[0]
    assert 'UNIQUE ("source", "symbol", "id")' in sql
    assert "UNIQUE" not in create_table_sql(TABLES["tickers"])[0]
    db.close()


def test_rows_read_back_as_written(tmp_path: Path) -> None:
    """Rows written in one batch read back equal to the mapper's rows, bools as bools."""
    with SQLiteStore(tmp_path / "r.sqlite") as store:
        run = store.start_run("prod", symbols=["BTC/USDT"], channels=["ticker"])
        batch = {
            "tickers": [ticker_row(TICKER)],
            "trades": [trade_row(TRADE)],
            "orders": [order_row(ORDER)],
            "order_book_levels": order_book_rows(BOOK),
        }
        result = store.write(run, batch)
        assert result.written == {k: len(v) for k, v in batch.items()}
        for name, rows in batch.items():
            assert store.read(name) == rows
        assert store.read("orders")[0]["postOnly"] is False


def test_natural_keys_ignore_or_replace(tmp_path: Path) -> None:
    """A trade written twice under one source is stored once; the same trade from another
    source is kept; a candle written twice keeps the newer values in place."""
    with SQLiteStore(tmp_path / "k.sqlite") as store:
        run = store.start_run("prod")
        first = store.write(run, {"trades": [trade_row(TRADE)]})
        again = store.write(run, {"trades": [trade_row(TRADE), trade_row({**TRADE, "id": "43"})]})
        assert (first.written, again.written, again.ignored) == (
            {"trades": 1},
            {"trades": 1},
            {"trades": 1},
        )
        other = store.start_run("testnet")
        store.write(other, {"trades": [trade_row(TRADE)]})
        assert [r["id"] for r in store.read("trades")] == ["42", "43", "42"]
        assert len(store.read("trades", source="prod")) == 2

        candle = [1700000040000, 1.0, 2.0, 0.5, 1.5, 10.0]
        store.write(run, {"ohlcv": [ohlcv_row("BTC/USDT", "1m", candle)]})
        newer = ohlcv_row("BTC/USDT", "1m", [*candle[:4], 1.75, 12.0])
        store.write(run, {"ohlcv": [newer]})
        assert store.read("ohlcv") == [newer]


def test_emulator_runs_key_by_run(tmp_path: Path) -> None:
    """Each embedded-emulator run is its own source (its ids restart), so a second run's
    trade 42 is a new row, and re-opening the file appends runs."""
    path = tmp_path / "e.sqlite"
    with SQLiteStore(path) as store:
        r1 = store.start_run("emulator", symbols=["BTC/USDT"], channels=["trades"])
        store.write(r1, {"trades": [trade_row(TRADE)]})
        store.end_run(r1, 1)
    with SQLiteStore(path) as store:
        r2 = store.start_run("emulator")
        store.write(r2, {"trades": [trade_row(TRADE)]})
        assert (r1.source, r2.source) == ("emulator#1", "emulator#2")
        assert store.count("trades") == 2
        runs = store.runs()
        assert [(r["run_id"], r["rows"], r["symbols"]) for r in runs] == [
            (1, 1, "BTC/USDT"),
            (2, 0, ""),
        ]
        assert runs[0]["ended_ms"] is not None and runs[1]["ended_ms"] is None


def test_failed_batch_writes_nothing(tmp_path: Path) -> None:
    """A batch that fails part-way is rolled back whole (one transaction per batch)."""
    with SQLiteStore(tmp_path / "t.sqlite") as store:
        run = store.start_run("prod")
        bad = {**ticker_row(TICKER), "symbol": None}  # NOT NULL violated in the second table
        with pytest.raises(sqlite3.IntegrityError):
            store.write(run, {"trades": [trade_row(TRADE)], "tickers": [bad]})
        assert store.count("trades") == 0
        with pytest.raises(KeyError):
            store.write(run, {"nope": [ticker_row(TICKER)]})


def test_other_schema_version_refused(tmp_path: Path) -> None:
    """A file written under another schema version, or not a database, is refused by name."""
    path = tmp_path / "old.sqlite"
    SQLiteStore(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = '0'")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="schema version 0"):
        SQLiteStore(path)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a SQLite database"):
        SQLiteStore(junk)


def test_memory_store() -> None:
    """``:memory:`` works for tests and throwaway runs."""
    with SQLiteStore(":memory:", [TABLES["tickers"]]) as store:
        run = store.start_run("demo")
        store.write(run, {"tickers": [ticker_row(TICKER)]})
        assert store.count("tickers") == 1
