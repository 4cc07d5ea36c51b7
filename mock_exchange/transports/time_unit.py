"""``timeUnit=MICROSECOND``: every time field of a JSON answer in microseconds.

Spot serves it on REST (``X-MBX-TIME-UNIT`` header), market streams and the WS API
(``timeUnit`` in the connection URL); the accepted values are exactly ``MILLISECOND``,
``millisecond``, ``MICROSECOND`` and ``microsecond`` (reference 2.6, changelog 2024-12-17),
anything else is ``-1194``. The engine keeps milliseconds; :func:`to_micros` converts an answer
as it leaves, by field name (``E``, ``T``, ``O``, ``C``, ``time``, ``openTime``...; a kline's
``k.t``) and, for kline rows, by position (open and close time).
"""

from __future__ import annotations

from typing import Any

from ..errors import ExchangeError

__all__ = ["TIME_KEYS", "parse_time_unit", "to_micros"]

_UNITS = {"MILLISECOND": False, "millisecond": False, "MICROSECOND": True, "microsecond": True}
TIME_KEYS = frozenset(
    {
        "E",
        "T",
        "O",
        "C",
        "time",
        "serverTime",
        "openTime",
        "closeTime",
        "transactTime",
        "updateTime",
        "workingTime",
        "retryAfter",
    }
)
_KLINE_ROW = 12


def parse_time_unit(value: str | None) -> bool:
    """Return True for microseconds, False for milliseconds (the default).

    Raises:
        ExchangeError: -1194 for a value Binance does not accept.
    """
    if value is None:
        return False
    if value not in _UNITS:
        raise ExchangeError(
            -1194, "Invalid value for time unit; expected either MICROSECOND or MILLISECOND."
        )
    return _UNITS[value]


def to_micros(value: Any) -> Any:
    """Return a copy of a JSON answer with its time fields in microseconds."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in TIME_KEYS and isinstance(item, int) and not isinstance(item, bool):
                out[key] = item * 1000
            elif key == "k" and isinstance(item, dict):
                body = to_micros(item)
                if isinstance(body.get("t"), int):
                    body["t"] *= 1000
                out[key] = body
            else:
                out[key] = to_micros(item)
        return out
    if isinstance(value, list):
        if value and all(_is_kline_row(r) for r in value):
            return [[r[0] * 1000, *r[1:6], r[6] * 1000, *r[7:]] for r in value]
        return [to_micros(item) for item in value]
    return value


def _is_kline_row(row: Any) -> bool:
    return (
        isinstance(row, list)
        and len(row) == _KLINE_ROW
        and isinstance(row[0], int)
        and isinstance(row[6], int)
    )
