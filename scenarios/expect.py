"""Judging results: CCXT structure kinds, field predicates, ordering and subset matching.

Kinds are CCXT's unified structures (market data, and the private ones: order, balance,
position, liquidation, conversion), written down here independently of the client's own types,
so a client that drifts from CCXT fails the scenarios; ``ws_auth`` is what ``authenticate``
returns and ``error`` an expected client error (``{error, message, code, filter}``).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from .model import Expect
from .templates import Templates, lookup

__all__ = ["KINDS", "ExpectationFailed", "check_expect", "resolve_paths", "subset"]

_TICKER = frozenset(
    [
        "symbol",
        "timestamp",
        "datetime",
        "high",
        "low",
        "bid",
        "bidVolume",
        "ask",
        "askVolume",
        "vwap",
        "open",
        "close",
        "last",
        "previousClose",
        "change",
        "percentage",
        "average",
        "baseVolume",
        "quoteVolume",
        "info",
    ]
)
_TRADE = frozenset(
    [
        "id",
        "timestamp",
        "datetime",
        "symbol",
        "order",
        "type",
        "side",
        "takerOrMaker",
        "price",
        "amount",
        "cost",
        "fee",
        "info",
    ]
)
_BOOK = frozenset(["symbol", "bids", "asks", "timestamp", "datetime", "nonce"])
_ORDER = frozenset(
    [
        "id",
        "clientOrderId",
        "timestamp",
        "datetime",
        "lastTradeTimestamp",
        "symbol",
        "type",
        "timeInForce",
        "side",
        "price",
        "amount",
        "cost",
        "average",
        "filled",
        "remaining",
        "status",
        "fee",
        "trades",
        "info",
    ]
)
_BALANCE = frozenset(["info", "free", "used", "total"])
_POSITION = frozenset(
    [
        "symbol",
        "timestamp",
        "datetime",
        "contracts",
        "contractSize",
        "side",
        "notional",
        "leverage",
        "unrealizedPnl",
        "entryPrice",
        "markPrice",
        "liquidationPrice",
        "marginMode",
        "info",
    ]
)
_LIQUIDATION = frozenset(
    ["symbol", "timestamp", "datetime", "price", "contracts", "side", "baseValue", "quoteValue",
     "info"]
)  # fmt: skip
_CONVERSION = frozenset(
    ["id", "timestamp", "datetime", "fromCurrency", "fromAmount", "toCurrency", "toAmount",
     "price", "info"]
)  # fmt: skip
# what the runner makes of an authenticate() result and of an expected error
_WS_AUTH = frozenset(["venue", "mechanism", "url", "subscription_id"])
_ERROR = frozenset(["error", "message", "code"])


class ExpectationFailed(Exception):
    """A result does not meet an expectation; the message says which and why."""


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _num(v: Any) -> Decimal | None:
    """Return a number or a numeric string (Binance sends prices as strings) as a Decimal."""
    if _is_number(v):
        return Decimal(str(v))
    if isinstance(v, str):
        try:
            d = Decimal(v)
        except InvalidOperation:
            return None
        return d if d.is_finite() else None
    return None


def _has(keys: frozenset[str]) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if not isinstance(value, dict):
            return f"not an object: {type(value).__name__}"
        missing = keys - set(value)
        return f"missing {sorted(missing)}" if missing else None

    return check


def _list_of(item: Callable[[Any], str | None]) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if not isinstance(value, list):
            return f"not a list: {type(value).__name__}"
        for i, v in enumerate(value):
            why = item(v)
            if why:
                return f"item {i}: {why}"
        return None

    return check


def _ohlcv(value: Any) -> str | None:
    ok = isinstance(value, list) and len(value) == 6 and all(_is_number(v) for v in value)
    return None if ok else f"not [timestamp, open, high, low, close, volume]: {value!r}"


def _balance(value: Any) -> str | None:
    why = _has(_BALANCE)(value)
    if why:
        return why
    for part in ("free", "used", "total"):
        if not isinstance(value[part], dict):
            return f"{part} is not an object of currency -> amount"
    return None


def _tickers(value: Any) -> str | None:
    if not isinstance(value, dict):
        return f"not an object: {type(value).__name__}"
    for symbol, ticker in value.items():
        why = _has(_TICKER)(ticker)
        if why:
            return f"{symbol}: {why}"
    return None


KINDS: dict[str, Callable[[Any], str | None]] = {
    "ticker": _has(_TICKER),
    "tickers": _tickers,
    "trade": _has(_TRADE),
    "trades": _list_of(_has(_TRADE)),
    "order_book": _has(_BOOK),
    "order": _has(_ORDER),
    "orders": _list_of(_has(_ORDER)),
    "balance": _balance,
    "position": _has(_POSITION),
    "positions": _list_of(_has(_POSITION)),
    "liquidation": _has(_LIQUIDATION),
    "liquidations": _list_of(_has(_LIQUIDATION)),
    "conversion": _has(_CONVERSION),
    "ws_auth": _has(_WS_AUTH),
    "error": _has(_ERROR),
    "ohlcv": _ohlcv,
    "ohlcvs": _list_of(_ohlcv),
    "list": lambda v: None if isinstance(v, list) else f"not a list: {type(v).__name__}",
    "object": lambda v: None if isinstance(v, dict) else f"not an object: {type(v).__name__}",
    "none": lambda v: None if v is None else f"expected no result, got {v!r}",
}

_TYPES: dict[str, Callable[[Any], bool]] = {
    "number": _is_number,
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
}


def subset(expected: Any, actual: Any) -> bool:
    """True when ``actual`` contains ``expected``: dict keys recursively, lists element-wise."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and subset(v, actual[k]) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(subset(e, a) for e, a in zip(expected, actual, strict=True))
        )
    return bool(expected == actual)


def resolve_paths(obj: Any, dotted: str) -> Iterator[tuple[str, Any]]:
    """Yield ``(path, value)`` for a dotted path; a ``*`` segment fans out over every element
    and ``$`` (or an empty path) is the result itself.

    Raises:
        KeyError: a segment (other than under ``*``) does not exist.
    """
    if dotted in ("", "$"):
        yield "$", obj
        return
    yield from _walk(obj, dotted.split("."), "")


def _walk(obj: Any, parts: list[str], prefix: str) -> Iterator[tuple[str, Any]]:
    if not parts:
        yield prefix, obj
        return
    head, rest = parts[0], parts[1:]
    join = f"{prefix}." if prefix else ""
    if head == "*":
        if isinstance(obj, dict):
            items: Any = obj.items()
        elif isinstance(obj, list):
            items = enumerate(obj)
        else:
            raise KeyError(f"{prefix or '(result)'} is not a list or object")
        for key, value in items:
            yield from _walk(value, rest, f"{join}{key}")
        return
    yield from _walk(lookup(obj, head), rest, f"{join}{head}")


def _sorted_ok(value: Any, spec: Any) -> bool:
    if not isinstance(value, list):
        return False
    order, by, strict = (
        (spec, None, False)
        if isinstance(spec, str)
        else (
            spec["order"],
            spec.get("by"),
            bool(spec.get("strict", False)),
        )
    )
    raw = [lookup(v, str(by)) if by is not None else v for v in value]
    nums = [_num(k) for k in raw]
    keys = [k for k in nums if k is not None]
    if len(keys) != len(nums):
        return False
    pairs = list(itertools.pairwise(keys))
    if order == "asc":
        return all(a < b if strict else a <= b for a, b in pairs)
    return all(a > b if strict else a >= b for a, b in pairs)


def _bind(ref: str, pattern: str, path: str) -> str:
    """Give a ``{field: ...}`` reference's ``*`` segments the indices the checked path took.

    ``*.2: {gte: {field: "*.3"}}`` compares each candle's high with the same candle's low.
    """
    if "*" not in ref:
        return ref
    chosen = [c for p, c in zip(pattern.split("."), path.split("."), strict=False) if p == "*"]
    parts = ref.split(".")
    for i, part in enumerate(parts):
        if part == "*" and chosen:
            parts[i] = chosen.pop(0)
    return ".".join(parts)


def _check(value: Any, op: str, arg: Any, result: Any, where: tuple[str, str]) -> bool:
    if isinstance(arg, dict) and set(arg) == {"field"}:
        arg = lookup(result, _bind(str(arg["field"]), *where))
    if op in ("gt", "gte", "lt", "lte"):
        a, b = _num(value), _num(arg)
        if a is None or b is None:
            return False
        table = {"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}
        return bool(table[op])
    checks: dict[str, Callable[[], bool]] = {
        "eq": lambda: bool(value == arg),
        "ne": lambda: bool(value != arg),
        "in": lambda: value in arg,
        "type": lambda: _TYPES[arg](value),
        "matches": lambda: isinstance(value, str) and re.search(arg, value) is not None,
        "not_null": lambda: (value is not None) == bool(arg),
        "contains": lambda: (
            any(subset(arg, v) for v in value) if isinstance(value, list) else subset(arg, value)
        ),
        "contains_all": lambda: (
            isinstance(value, list) and all(any(subset(a, v) for v in value) for a in arg)
        ),
        "sorted": lambda: _sorted_ok(value, arg),
    }
    return checks[op]()


def _check_predicates(
    path: str, value: Any, predicates: dict[str, Any], result: Any, pattern: str
) -> None:
    for op, arg in predicates.items():
        if op == "length":
            if not isinstance(value, list | dict | str):
                raise ExpectationFailed(f"{path} = {value!r} has no length")
            _check_predicates(f"len({path})", len(value), arg, result, pattern)
            continue
        try:
            ok = _check(value, op, arg, result, (pattern, path))
        except KeyError as exc:
            raise ExpectationFailed(f"{path}: {op} refers to missing field {exc}") from None
        if not ok:
            shown = repr(value) if len(repr(value)) < 300 else repr(value)[:300] + "..."
            raise ExpectationFailed(f"{path} = {shown} does not satisfy {op} {arg!r}")


def check_expect(expect: Expect, result: Any, offline: bool, templates: Templates) -> None:
    """Check ``result`` against ``expect`` (``emulator_fields`` only when ``offline``).

    Raises:
        ExpectationFailed: the first expectation that does not hold.
    """
    if expect.kind:
        why = KINDS[expect.kind](result)
        if why:
            raise ExpectationFailed(f"result is not a {expect.kind}: {why}")
    groups = [expect.fields] + ([expect.emulator_fields] if offline else [])
    for fields in groups:
        for dotted, predicates in fields.items():
            try:
                matches = list(resolve_paths(result, dotted))
            except KeyError:
                raise ExpectationFailed(f"result has no field {dotted!r}") from None
            rendered = templates.render(predicates)
            for path, value in matches:
                _check_predicates(path, value, rendered, result, dotted)
