"""A SQLite store for flat rows (stdlib :mod:`sqlite3`): schema on first use, one transaction
per batch, natural keys enforced by ``UNIQUE`` constraints.

Every recorded table has the structure's columns plus two of the store's own: ``source`` (where
the row came from: ``prod``, ``testnet``, ``demo``, or ``emulator#<run>``) and ``run_id`` (the
:class:`Run` that wrote it). The natural key is unique per source, so re-running a recorder on
the same file appends new rows and never duplicates a trade. The file also holds ``meta``
(schema version) and ``runs`` (one row per recorder run).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .rows import Row, Value
from .schema import SCHEMA_VERSION, TABLES, ColumnKind, Table

__all__ = ["SQL_TYPES", "Run", "SQLiteStore", "StoreError", "WriteResult"]

SQL_TYPES: dict[ColumnKind, str] = {
    "int": "INTEGER",
    "float": "REAL",
    "text": "TEXT",
    "bool": "INTEGER",  # 0 / 1
    "json": "TEXT",
}
"""The SQLite column type of each column kind."""

_OWN_COLUMNS = ('"source" TEXT NOT NULL', '"run_id" INTEGER NOT NULL')


class StoreError(Exception):
    """The file cannot be used: another schema version, or not a recorder database."""


@dataclass(frozen=True)
class Run:
    """One recorder run: its id, the ``source`` its rows carry, and what it recorded."""

    run_id: int
    source: str
    env: str
    started_ms: int


@dataclass(frozen=True)
class WriteResult:
    """What one batch did: rows written (inserted or replaced) and duplicates ignored, per table."""

    written: dict[str, int]
    ignored: dict[str, int]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_table_sql(table: Table) -> list[str]:
    """Return the ``CREATE TABLE``/``CREATE INDEX`` statements of ``table`` (idempotent)."""
    cols = [*_OWN_COLUMNS]
    for c in table.columns:
        cols.append(f"{_q(c.name)} {SQL_TYPES[c.kind]}{'' if c.nullable else ' NOT NULL'}")
    if table.key:
        cols.append(f"UNIQUE ({', '.join(_q(k) for k in ('source', *table.key))})")
    stmts = [f"CREATE TABLE IF NOT EXISTS {_q(table.name)} ({', '.join(cols)})"]
    names = set(table.names)
    if {"symbol", "timestamp"} <= names:
        stmts.append(
            f"CREATE INDEX IF NOT EXISTS {_q('ix_' + table.name + '_time')} "
            f"ON {_q(table.name)} (symbol, timestamp)"
        )
    return stmts


def _insert_sql(table: Table) -> str:
    names = ("source", "run_id", *table.names)
    head = f"INSERT INTO {_q(table.name)} ({', '.join(_q(n) for n in names)})"
    values = f"VALUES ({', '.join('?' for _ in names)})"
    if not table.key:
        return f"{head} {values}"
    target = ", ".join(_q(k) for k in ("source", *table.key))
    if table.on_duplicate == "ignore":
        return f"{head} {values} ON CONFLICT ({target}) DO NOTHING"
    updates = ", ".join(f"{_q(n)} = excluded.{_q(n)}" for n in ("run_id", *table.names))
    return f"{head} {values} ON CONFLICT ({target}) DO UPDATE SET {updates}"


class SQLiteStore:
    """Flat rows in one SQLite file.

    Args:
        path: the database file (created with its schema on first use) or ``:memory:``.
        tables: the tables to create (default: every table of the schema).

    Raises:
        StoreError: the file was written under another schema version.
    """

    def __init__(self, path: str | Path, tables: Iterable[Table] | None = None) -> None:
        self.path = str(path)
        self.tables = {t.name: t for t in (tables if tables is not None else TABLES.values())}
        # one user at a time, but not always the creating thread: the recorder writes its
        # batches from a worker thread so the event loop keeps reading the sockets meanwhile
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._sql = {name: _insert_sql(t) for name, t in self.tables.items()}
        try:
            self._ensure_schema()
        except BaseException:
            self._db.close()
            raise

    def _ensure_schema(self) -> None:
        db = self._db
        try:
            if self.path != ":memory:":
                db.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a SQLite database ({exc})") from None
        try:
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            got = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if got is None:
                db.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', ?)",
                    (str(SCHEMA_VERSION),),
                )
            elif got[0] != str(SCHEMA_VERSION):
                raise StoreError(
                    f"{self.path}: schema version {got[0]}, this recorder writes "
                    f"{SCHEMA_VERSION}; record into a new file"
                )
            db.execute(
                "CREATE TABLE IF NOT EXISTS runs (run_id INTEGER PRIMARY KEY, env TEXT NOT NULL,"
                " source TEXT, started_ms INTEGER NOT NULL, ended_ms INTEGER, symbols TEXT,"
                " channels TEXT, rows INTEGER NOT NULL DEFAULT 0)"
            )
            for table in self.tables.values():
                for stmt in create_table_sql(table):
                    db.execute(stmt)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- runs --------------------------------------------------------------------------------

    def start_run(
        self,
        env: str,
        *,
        source: str | None = None,
        symbols: Sequence[str] = (),
        channels: Sequence[str] = (),
    ) -> Run:
        """Record the start of a run and return it.

        Args:
            env: ``emulator`` or the live environment.
            source: the ``source`` of the run's rows; default ``env``, and ``emulator#<run_id>``
                for the embedded emulator, whose ids restart with every new emulator.
        """
        now = int(time.time() * 1000)
        cur = self._db.execute(
            "INSERT INTO runs (env, started_ms, symbols, channels) VALUES (?, ?, ?, ?)",
            (env, now, ",".join(symbols), ",".join(channels)),
        )
        run_id = int(cur.lastrowid or 0)
        src = source or (f"emulator#{run_id}" if env == "emulator" else env)
        self._db.execute("UPDATE runs SET source = ? WHERE run_id = ?", (src, run_id))
        return Run(run_id, src, env, now)

    def end_run(self, run: Run, rows: int) -> None:
        """Record the end of ``run`` and how many rows it wrote."""
        self._db.execute(
            "UPDATE runs SET ended_ms = ?, rows = ? WHERE run_id = ?",
            (int(time.time() * 1000), rows, run.run_id),
        )

    def runs(self) -> list[dict[str, Any]]:
        """Return every run, oldest first."""
        cur = self._db.execute("SELECT * FROM runs ORDER BY run_id")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    # -- rows --------------------------------------------------------------------------------

    def write(self, run: Run, batch: Mapping[str, Sequence[Row]]) -> WriteResult:
        """Write ``batch`` (table name -> rows) in one transaction.

        Raises:
            KeyError: a table this store does not have.
        """
        written: dict[str, int] = {}
        ignored: dict[str, int] = {}
        db = self._db
        db.execute("BEGIN")
        try:
            for name, rows in batch.items():
                if not rows:
                    continue
                table = self.tables[name]
                own = (run.source, run.run_id)
                params = [(*own, *(row[c] for c in table.names)) for row in rows]
                before = db.total_changes
                db.executemany(self._sql[name], params)
                done = db.total_changes - before
                written[name] = written.get(name, 0) + done
                ignored[name] = ignored.get(name, 0) + len(rows) - done
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return WriteResult(written, ignored)

    def read(self, name: str, *, source: str | None = None) -> list[Row]:
        """Return the rows of table ``name`` (of one ``source`` if given) in insertion order,
        with the table's columns only and ``bool`` columns as bools: the rows that were written.
        """
        table = self.tables[name]
        cols = ", ".join(_q(n) for n in table.names)
        sql = f"SELECT {cols} FROM {_q(name)}"
        args: tuple[Any, ...] = ()
        if source is not None:
            sql += " WHERE source = ?"
            args = (source,)
        bools = {c.name for c in table.columns if c.kind == "bool"}
        out: list[Row] = []
        for raw in self._db.execute(sql + " ORDER BY rowid", args):
            row: Row = {}
            for n, v in zip(table.names, raw, strict=True):
                value: Value = v
                if n in bools and v is not None:
                    value = bool(v)
                row[n] = value
            out.append(row)
        return out

    def count(self, name: str) -> int:
        """Return how many rows table ``name`` holds."""
        return int(self._db.execute(f"SELECT COUNT(*) FROM {_q(name)}").fetchone()[0])
