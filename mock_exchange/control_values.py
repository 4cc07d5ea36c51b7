"""The checks of control-action values: one per script action of the control table.

Each row of :data:`mock_exchange.control.CONTROL_ACTIONS` names its check here; HTTP, Python
and scripts all pass values through it, so a refused value (a 400 on HTTP) changes nothing.
The ``order`` and ``liquidate`` values are checked by their JSON Schema (:func:`schema_check`):
the schema below is both what ``scenarios/schema.json`` shows and what is enforced
(``order: side: 'UP' is not one of ['BUY', 'SELL']``) before anything reaches an engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jsonschema

from .control_accounts import KEY_REF
from .engine.clock import MAX_TIME_MS
from .faults import check_fault

__all__ = [
    "LIQUIDATE_SCHEMA",
    "MAX_RATE",
    "ORDER_SCHEMA",
    "check_clock",
    "check_fault_value",
    "check_liquidate",
    "check_push",
    "check_reset",
    "check_seed",
    "mapping_check",
    "no_value_check",
    "number_check",
    "schema_check",
]

_INT64 = 2**63
MAX_RATE = 100_000  # a sanity bound: actions are >= 1 ms apart, so past 1000/s nothing changes


def number_check(name: str, *, maximum: float, integer: bool = False) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        kinds = int if integer else int | float
        if isinstance(value, bool) or not isinstance(value, kinds) or not 0 <= value <= maximum:
            whole = " (whole)" if integer else ""
            raise ValueError(f"{name} needs a number >= 0 and <= {maximum}{whole}, not {value!r}")
        return value

    return check


def mapping_check(name: str, required: tuple[str, ...]) -> Callable[[Any], dict[str, Any]]:
    def check(value: Any) -> dict[str, Any]:
        if not isinstance(value, Mapping) or any(k not in value for k in required):
            needs = " and ".join(repr(k) for k in required)
            raise ValueError(f"{name} needs a mapping with {needs}")
        return dict(value)

    return check


def no_value_check(name: str) -> Callable[[Any], None]:
    def check(value: Any) -> None:
        if value not in (None, {}):
            raise ValueError(f"{name} takes no value (write {{{name}: {{}}}})")

    return check


def check_seed(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not -_INT64 <= value < _INT64:
        raise ValueError("reset needs an integer seed (64-bit, or nothing)")
    return value


def check_reset(value: Any) -> dict[str, Any]:
    """``reset: SEED`` or ``reset: {seed, rate, clock: {frozen, start_ms}}`` -> the mapping."""
    if not isinstance(value, Mapping):
        return {} if value is None else {"seed": check_seed(value)}
    unknown = set(value) - {"seed", "rate", "clock"}
    if unknown:
        raise ValueError(f"reset takes seed, rate and clock, not {sorted(unknown)}")
    out: dict[str, Any] = {}
    if value.get("seed") is not None:
        out["seed"] = check_seed(value["seed"])
    if value.get("rate") is not None:
        out["rate"] = number_check("reset rate", maximum=MAX_RATE)(value["rate"])
    if "clock" in value:
        clock = value["clock"] if value["clock"] is not None else {}
        if not isinstance(clock, Mapping) or set(clock) - {"frozen", "start_ms"}:
            raise ValueError("reset clock is a mapping of frozen and start_ms")
        if not isinstance(clock.get("frozen", False), bool):
            raise ValueError("reset clock frozen must be true or false")
        if clock.get("start_ms") is not None:
            number_check("reset clock start_ms", maximum=MAX_TIME_MS, integer=True)(
                clock["start_ms"]
            )
        out["clock"] = {k: v for k, v in clock.items() if v is not None}
    return out


def check_clock(value: Any) -> str:
    if value not in ("freeze", "resume"):
        raise ValueError(f"clock needs 'freeze' or 'resume', not {value!r}")
    return str(value)


def check_fault_value(value: Any) -> dict[str, Any]:
    fault = mapping_check("fault", ("kind",))(value)
    check_fault(fault["kind"], {k: v for k, v in fault.items() if k != "kind"})
    return fault


def check_push(value: Any) -> dict[str, Any]:
    push = mapping_check("push", ("frame",))(value)
    unknown = set(push) - {"frame", "stream"}
    if unknown:
        raise ValueError(f"push takes frame and stream, not {sorted(unknown)}")
    if push.get("stream") is not None and not isinstance(push["stream"], str):
        raise ValueError("push: stream must be a stream name")
    return push


# a positive decimal: "0.01", 95000, "1e-3" is not accepted (Binance does not either)
_DECIMAL: dict[str, Any] = {
    "type": ["string", "number"],
    "pattern": "^[0-9]+(\\.[0-9]+)?$",
    "exclusiveMinimum": 0,
}
# in a scenario an amount may be a template the runner renders first ({$saved: book.asks.0.0});
# the rendered value is checked again when the action is played
_AMOUNT: dict[str, Any] = {
    "anyOf": [_DECIMAL, {"type": "object", "minProperties": 1, "maxProperties": 1}],
    "description": "A positive decimal (in a scenario also a template: {$saved: book.asks.0.0})",
}
_SIDE: dict[str, Any] = {"enum": ["BUY", "SELL"]}

ORDER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["symbol", "side"],
    "properties": {
        "symbol": {"type": "string"},
        "side": _SIDE,
        "type": {"enum": ["LIMIT", "MARKET", "LIMIT_MAKER"]},
        "quantity": _AMOUNT,
        "price": _AMOUNT,
        "quote_qty": _AMOUNT,
        "time_in_force": {"enum": ["GTC", "IOC", "FOK"]},
        "venue": {"enum": ["spot", "usdm", "coinm"]},
    },
    "additionalProperties": False,
}

LIQUIDATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["symbol"],
    "properties": {
        "symbol": {"type": "string"},
        "apiKey": KEY_REF,
        "side": _SIDE,
        "quantity": _AMOUNT,
        "venue": {"enum": ["usdm", "coinm"]},
    },
    "additionalProperties": False,
}


def check_liquidate(value: Any) -> dict[str, Any]:
    """Check a ``liquidate`` value: by its schema, then ``side`` and ``quantity`` unless an
    ``apiKey`` names the account to liquidate.

    Raises:
        ValueError: what is wrong, naming the field.
    """
    body = _check_liquidate_schema(value)
    if body.get("apiKey") is None and any(k not in body for k in ("side", "quantity")):
        raise ValueError("liquidate needs 'side' and 'quantity' (or 'apiKey' for an account)")
    return body


def schema_check(name: str, schema: dict[str, Any]) -> Callable[[Any], dict[str, Any]]:
    """Return the check of action ``name``'s value: a mapping that ``schema`` accepts.

    The check raises ValueError naming the action and the field (``order: side: ...``).
    """
    validator = jsonschema.Draft202012Validator(schema)
    required = tuple(schema.get("required", ()))

    def check(value: Any) -> dict[str, Any]:
        if not isinstance(value, Mapping) or any(k not in value for k in required):
            needs = " and ".join(repr(k) for k in required)
            raise ValueError(f"{name} needs a mapping with {needs}")
        error = jsonschema.exceptions.best_match(validator.iter_errors(dict(value)))
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path)
            raise ValueError(f"{name}: {where + ': ' if where else ''}{error.message}")
        return dict(value)

    return check


_check_liquidate_schema = schema_check("liquidate", LIQUIDATE_SCHEMA)
