"""Request parameters as handlers read them, from a REST query or WS API JSON ``params``.

REST values are strings; WS API values are JSON (numbers, booleans, lists) or strings (the
official SDK sends numbers and booleans as strings). One accessor reads both, and raises
Binance's parameter errors with Binance's own messages (``errors.md``): ``-1100`` with the
legal range only where Binance's range is known (integers, symbol lists), the general ``-1100``
text otherwise, ``-1130`` for a well-formed value out of range, ``-1102`` for a missing one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

from ..errors import ExchangeError

__all__ = [
    "SYMBOL_STATUSES",
    "Params",
    "either_mandatory",
    "illegal",
    "illegal_chars",
    "invalid",
    "mandatory",
]

_INT64_MAX = 2**63 - 1
_SYMBOLS_RANGE = '^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$'
_INTEGER_RANGE = "^[0-9]{1,20}$"
SYMBOL_STATUSES = ("TRADING", "HALT", "BREAK")
_MICROS_FROM = 10**14  # a timestamp this large is in microseconds (ms reach it in year 5138)


def mandatory(name: str) -> ExchangeError:
    """Return -1102 for a missing mandatory parameter."""
    return ExchangeError(
        -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def either_mandatory(first: str, second: str) -> ExchangeError:
    """Return -1102 for two parameters of which one must be sent."""
    return ExchangeError(
        -1102, f"Param '{first}' or '{second}' must be sent, but both were empty/null!"
    )


def illegal(name: str, legal: str) -> ExchangeError:
    """Return -1100 naming Binance's legal range of the parameter."""
    return ExchangeError(
        -1100, f"Illegal characters found in parameter '{name}'; legal range is '{legal}'."
    )


def illegal_chars() -> ExchangeError:
    """Return -1100 in Binance's general form (for parameters whose range we do not know)."""
    return ExchangeError(-1100, "Illegal characters found in a parameter.")


def invalid(name: str) -> ExchangeError:
    """Return -1130 for a well-formed value Binance does not accept."""
    return ExchangeError(-1130, f"Data sent for parameter '{name}' is not valid.")


_SYMBOL_RANGE = "^[A-Z0-9-_.]{1,20}$"
_SYMBOL = re.compile(r"^[A-Z0-9\-_.]{1,20}$")


class Params:
    """Typed access to one request's parameters.

    ``strict_symbol`` (spot): a ``symbol`` outside ``^[A-Z0-9-_.]{1,20}$`` (lower case) is
    -1100, as Binance's spot API answers; otherwise (futures) it is upper-cased.
    """

    def __init__(self, values: Mapping[str, Any], *, strict_symbol: bool = False) -> None:
        self.values = values
        self.strict_symbol = strict_symbol

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
        raise illegal_chars()

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
        raise illegal(name, _INTEGER_RANGE)

    def time(self, name: str) -> int | None:
        """Return a timestamp parameter in ms; microseconds are told apart by magnitude."""
        value = self.integer(name)
        if value is not None and value >= _MICROS_FROM:
            return value // 1000
        return value

    def limit(self, default: int, maximum: int) -> int:
        """Return ``limit`` clamped to ``1..maximum`` (Binance truncates large limits)."""
        value = self.integer("limit", default=default)
        assert value is not None
        if value <= 0:
            raise illegal("limit", _INTEGER_RANGE)
        return min(value, maximum)

    def soft_limit(self, default: int, maximum: int) -> int:
        """Return ``limit`` as :meth:`limit` does, or ``default`` when it is malformed.

        What a request weight is computed from: a refused request still costs its weight.
        """
        try:
            return self.limit(default, maximum)
        except ExchangeError:
            return default

    def symbol(self) -> str:
        """Return the mandatory ``symbol`` (checked on spot, upper-cased on futures)."""
        value = self.text("symbol", required=True)
        assert value is not None
        if self.strict_symbol:
            if not _SYMBOL.match(value):
                raise illegal("symbol", _SYMBOL_RANGE)
            return value
        return value.upper()

    def symbols(self) -> list[str] | None:
        """Return ``symbol`` or ``symbols`` as a list; None when neither was sent.

        Raises:
            ExchangeError: -1128 when both are sent, -1100 when ``symbols`` is malformed,
                -1151 when it names a symbol twice.
        """
        if self.has("symbol") and self.has("symbols"):
            raise ExchangeError(-1128, "Combination of optional parameters invalid.")
        if self.has("symbol"):
            return [self.symbol()]
        if not self.has("symbols"):
            return None
        names = self.names("symbols", bare=False)
        if len(set(names)) != len(names):
            raise ExchangeError(-1151, "Symbol is present multiple times in the list.")
        return names

    def count_symbols(self) -> int | None:
        """Return how many symbols ``symbols`` names, without raising (None: not sent)."""
        try:
            names = self.symbols()
        except ExchangeError:
            return None
        return None if names is None or self.has("symbol") else len(names)

    def symbol_status(self) -> str | None:
        """Return ``symbolStatus`` (TRADING, HALT or BREAK) or None.

        Raises:
            ExchangeError: -1122 for another value.
        """
        value = self.text("symbolStatus")
        if value is not None and value not in SYMBOL_STATUSES:
            raise ExchangeError(-1122, "Invalid symbolStatus.")
        return value

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
