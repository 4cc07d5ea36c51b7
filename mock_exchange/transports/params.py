"""Request parameters as handlers read them, from a REST query or WS API JSON ``params``.

REST values are strings; WS API values are JSON (numbers, booleans, lists) or strings (the
official SDK sends numbers and booleans as strings). One accessor reads both, and raises
Binance's parameter errors with their messages verbatim.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from ..errors import ExchangeError

__all__ = ["Params", "illegal", "mandatory"]

_INT64_MAX = 2**63 - 1
_SYMBOLS_RANGE = '^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$'


def mandatory(name: str) -> ExchangeError:
    """Return -1102 for a missing mandatory parameter."""
    return ExchangeError(
        -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def illegal(name: str, legal: str) -> ExchangeError:
    """Return -1100 for a parameter with illegal characters."""
    return ExchangeError(
        -1100, f"Illegal characters found in parameter '{name}'; legal range is '{legal}'."
    )


class Params:
    """Typed access to one request's parameters."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values

    def has(self, name: str) -> bool:
        """Return True when ``name`` was sent with a non-empty value."""
        value = self.values.get(name)
        return value is not None and value != ""

    def text(self, name: str, *, required: bool = False) -> str | None:
        """Return ``name`` as text (None when absent and optional)."""
        if not self.has(name):
            if required:
                raise mandatory(name)
            return None
        value = self.values[name]
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float | str):
            return str(value)
        raise illegal(name, "a string")

    def integer(
        self,
        name: str,
        *,
        required: bool = False,
        default: int | None = None,
    ) -> int | None:
        """Return ``name`` as an integer (``default`` when absent).

        Raises:
            ExchangeError: -1100 unless it is ASCII digits (or a JSON integer) from 0 to the
                largest 64-bit integer.
        """
        if not self.has(name):
            if required:
                raise mandatory(name)
            return default
        value = self.values[name]
        if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
            value = int(value)  # str.isdigit alone also takes "\u00b2" and other digits
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _INT64_MAX:
            return value
        raise illegal(name, "^[0-9]{1,20}$")

    def limit(self, default: int, maximum: int) -> int:
        """Return ``limit`` clamped to ``1..maximum`` (Binance truncates large limits)."""
        value = self.integer("limit", default=default)
        assert value is not None
        if value <= 0:
            raise illegal("limit", "^[0-9]{1,20}$")
        return min(value, maximum)

    def symbol(self) -> str:
        """Return the mandatory ``symbol`` upper-cased."""
        value = self.text("symbol", required=True)
        assert value is not None
        return value.upper()

    def symbols(self) -> list[str] | None:
        """Return ``symbol`` or ``symbols`` as a list; None when neither was sent.

        Raises:
            ExchangeError: -1128 when both are sent, -1100 when ``symbols`` is malformed.
        """
        if self.has("symbol") and self.has("symbols"):
            raise ExchangeError(-1128, "Combination of optional parameters invalid.")
        if self.has("symbol"):
            return [self.symbol()]
        if not self.has("symbols"):
            return None
        return self.names("symbols", bare=False)

    def names(self, name: str, *, bare: bool = True) -> list[str]:
        """Return a JSON list of names (``["A","B"]``), or one bare name when ``bare``."""
        value = self.values[name]
        if isinstance(value, str):
            if bare and not value.startswith("["):
                return [value.upper()]
            try:
                value = orjson.loads(value)
            except orjson.JSONDecodeError:
                raise illegal(name, _SYMBOLS_RANGE) from None
        if not isinstance(value, list) or not value or not all(isinstance(s, str) for s in value):
            raise illegal(name, _SYMBOLS_RANGE)
        return [s.upper() for s in value]
