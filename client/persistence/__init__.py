"""Persistence: unified structures as flat rows, a SQLite store, and the recorder behind
``python -m client.record``.

The row mappers (:mod:`~client.persistence.rows`) and the schema
(:mod:`~client.persistence.schema`) know no database; :class:`SQLiteStore` is the embedded
default. ``docs/persistence.md`` documents every table.
"""

from __future__ import annotations

from .channels import (
    CHANNELS,
    PRIVATE_CHANNELS,
    ChannelError,
    RecordChannel,
    RecordOptions,
    register_channel,
    resolve_channels,
)
from .recorder import Progress, Recorder, RecorderError
from .rows import (
    Row,
    RowError,
    balance_rows,
    dumps_json,
    liquidation_row,
    my_trade_row,
    ohlcv_row,
    order_book_rows,
    order_row,
    position_row,
    structure_row,
    ticker_row,
    trade_row,
)
from .schema import SCHEMA_VERSION, TABLES, Column, Table, schema_markdown
from .sqlite import SQL_TYPES, Run, SQLiteStore, StoreError, WriteResult

__all__ = [
    "CHANNELS",
    "PRIVATE_CHANNELS",
    "SCHEMA_VERSION",
    "SQL_TYPES",
    "TABLES",
    "ChannelError",
    "Column",
    "Progress",
    "RecordChannel",
    "RecordOptions",
    "Recorder",
    "RecorderError",
    "Row",
    "RowError",
    "Run",
    "SQLiteStore",
    "StoreError",
    "Table",
    "WriteResult",
    "balance_rows",
    "dumps_json",
    "liquidation_row",
    "my_trade_row",
    "ohlcv_row",
    "order_book_rows",
    "order_row",
    "position_row",
    "register_channel",
    "resolve_channels",
    "schema_markdown",
    "structure_row",
    "ticker_row",
    "trade_row",
]
