"""Exact number helpers for the private parsers: Binance's decimal strings in, floats out.

Binance sends prices and quantities as JSON strings; derived values (remaining, cost,
average, total) are computed with ``Decimal`` from those strings, as CCXT's string arithmetic
does, and converted to ``float`` last.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["dec", "flt", "integer", "nonzero", "text"]


def dec(value: Any) -> Decimal | None:
    """Return ``value`` as a finite Decimal, or None (absent, empty, not a number, a bool)."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def nonzero(d: Decimal | None) -> Decimal | None:
    """Treat zero as absent (Binance sends ``"0"`` for an unset stop price or no fill yet)."""
    return None if d is None or d == 0 else d


def flt(d: Decimal | None) -> float | None:
    """Return ``d`` as a float (None stays None)."""
    return None if d is None else float(d)


def integer(value: Any) -> int | None:
    """Return ``value`` as an int (ms timestamps may arrive as text), or None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def text(value: Any) -> str | None:
    """Return ``value`` as text; None and ``""`` are None."""
    if value is None or value == "":
        return None
    return str(value)
