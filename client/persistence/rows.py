"""Row mappers: unified structures in, flat rows of :mod:`~client.persistence.schema` out.

Each mapper takes a unified structure as this client (or CCXT) returns it and returns rows
whose keys are exactly the table's columns, in order, with values of the column's kind: ``int``,
``float``, ``str``, ``bool``, None, and JSON text for ``json`` columns. Absent fields become
None; fields the table does not list are left out (they remain in ``info``). A value of the
wrong kind raises :class:`RowError` naming the table and column, so a bad row never reaches a
store half-converted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import orjson

from .schema import (
    BALANCE,
    LIQUIDATION,
    MY_TRADE,
    OHLCV_TABLE,
    ORDER,
    ORDER_BOOK,
    POSITION,
    TICKER,
    TRADE,
    Column,
    Table,
)

__all__ = [
    "Row",
    "RowError",
    "Value",
    "balance_rows",
    "dumps_json",
    "liquidation_row",
    "my_trade_row",
    "ohlcv_row",
    "order_book_rows",
    "order_row",
    "position_row",
    "structure_row",
    "ticker_row",
    "trade_row",
]

Value = int | float | str | bool | None
Row = dict[str, Value]
"""One flat row: column name -> value, in the table's column order."""

# keys of a CCXT balance that are not currency codes
_BALANCE_FIELDS = frozenset({"info", "timestamp", "datetime", "free", "used", "total", "debt"})


class RowError(ValueError):
    """A structure field does not fit its column (wrong kind, or missing where required)."""


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def dumps_json(value: Any) -> str:
    """Return ``value`` as compact JSON text with sorted keys (stable across runs)."""
    return orjson.dumps(
        value, default=_json_default, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
    ).decode()


def _convert(table: Table, col: Column, value: Any) -> Value:
    """Return ``value`` as ``col``'s kind, or raise :class:`RowError`."""
    if value is None:
        if not col.nullable:
            raise RowError(f"{table.name}.{col.name}: required, got None")
        return None
    kind = col.kind
    try:
        if kind == "json":
            return dumps_json(value)
        if isinstance(value, bool):
            if kind == "bool":
                return value
            raise TypeError
        if kind == "float":
            if isinstance(value, int | float | Decimal | str):
                return float(value)
            raise TypeError
        if kind == "int":
            if isinstance(value, int):
                return value
            if isinstance(value, float) and value.is_integer():
                return int(value)
            if isinstance(value, str | Decimal):
                return int(value)
            raise TypeError
        if kind == "text":
            if isinstance(value, str):
                return value
            if isinstance(value, int):  # numeric ids
                return str(value)
            raise TypeError
        if kind == "bool" and value in (0, 1):
            return bool(value)
        raise TypeError
    except (TypeError, ValueError, ArithmeticError):
        raise RowError(
            f"{table.name}.{col.name}: expected {kind}, got {type(value).__name__} {value!r:.60}"
        ) from None


def _get(structure: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = structure
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def structure_row(table: Table, structure: Mapping[str, Any], **extra: Any) -> Row:
    """Return the row of ``structure`` in ``table``; ``extra`` supplies (or overrides) fields.

    Raises:
        RowError: a value of the wrong kind, or None in a required column.
    """
    merged = {**structure, **extra} if extra else structure
    return {c.name: _convert(table, c, _get(merged, c.source)) for c in table.columns}


def ticker_row(ticker: Mapping[str, Any]) -> Row:
    """Return the ``tickers`` row of a ticker."""
    return structure_row(TICKER, ticker)


def trade_row(trade: Mapping[str, Any]) -> Row:
    """Return the ``trades`` row of a public trade."""
    return structure_row(TRADE, trade)


def my_trade_row(trade: Mapping[str, Any]) -> Row:
    """Return the ``my_trades`` row of an account trade (same columns as ``trades``)."""
    return structure_row(MY_TRADE, trade)


def order_row(order: Mapping[str, Any]) -> Row:
    """Return the ``orders`` row of an order."""
    return structure_row(ORDER, order)


def position_row(position: Mapping[str, Any]) -> Row:
    """Return the ``positions`` row of a position."""
    return structure_row(POSITION, position)


def liquidation_row(liquidation: Mapping[str, Any]) -> Row:
    """Return the ``liquidations`` row of a liquidation."""
    return structure_row(LIQUIDATION, liquidation)


def balance_rows(balance: Mapping[str, Any]) -> list[Row]:
    """Return the ``balances`` rows of a balance: one per currency, sorted by code.

    The currencies are the balance's own per-currency entries (``balance["BTC"]``); a
    currency only present in the ``free``/``used``/``total`` maps is taken from those.
    """
    codes = {k for k, v in balance.items() if k not in _BALANCE_FIELDS and isinstance(v, Mapping)}
    for field in ("free", "used", "total", "debt"):
        per_field = balance.get(field)
        if isinstance(per_field, Mapping):
            codes.update(str(k) for k in per_field)
    rows: list[Row] = []
    for code in sorted(codes):
        account = balance.get(code)
        entry: dict[str, Any] = dict(account) if isinstance(account, Mapping) else {}
        for field in ("free", "used", "total", "debt"):
            per_field = balance.get(field)
            if entry.get(field) is None and isinstance(per_field, Mapping):
                entry[field] = per_field.get(code)
        rows.append(
            structure_row(
                BALANCE,
                entry,
                currency=code,
                timestamp=balance.get("timestamp"),
                datetime=balance.get("datetime"),
                info=balance.get("info"),
            )
        )
    return rows


def order_book_rows(book: Mapping[str, Any], depth: int | None = None) -> list[Row]:
    """Return the ``order_book_levels`` rows of a book: bids then asks, best first.

    Args:
        book: an order book (levels ``[price, amount]``, best first).
        depth: keep the best ``depth`` levels of each side (None: every level).
    """
    rows: list[Row] = []
    head = {k: book.get(k) for k in ("symbol", "timestamp", "datetime", "nonce")}
    for side, levels in (("bid", book.get("bids") or []), ("ask", book.get("asks") or [])):
        for i, level in enumerate(levels if depth is None else levels[:depth]):
            if not isinstance(level, Sequence) or len(level) < 2:
                raise RowError(f"{ORDER_BOOK.name}: {side} level {i} is not [price, amount]")
            rows.append(
                structure_row(ORDER_BOOK, head, side=side, level=i, price=level[0], amount=level[1])
            )
    return rows


def ohlcv_row(symbol: str, timeframe: str, candle: Sequence[Any]) -> Row:
    """Return the ``ohlcv`` row of one candle ``[timestamp, open, high, low, close, volume]``."""
    if len(candle) < 6:
        raise RowError(f"{OHLCV_TABLE.name}: a candle has 6 values, got {len(candle)}")
    fields = dict(
        zip(("timestamp", "open", "high", "low", "close", "volume"), candle, strict=False)
    )
    return structure_row(OHLCV_TABLE, fields, symbol=symbol, timeframe=timeframe)
