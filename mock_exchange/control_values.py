"""Script values checked by their JSON Schema: scripted orders and liquidations.

The ``order`` and ``liquidate`` rows of :data:`mock_exchange.control.CONTROL_ACTIONS` take a
mapping whose fields are enumerations and positive decimals; the schema below is both what
``scenarios/schema.json`` shows and what :func:`schema_check` enforces, so HTTP, Python and
scripts refuse exactly the values the schema refuses (``order: side: 'UP' is not one of
['BUY', 'SELL']``) before anything reaches an engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jsonschema

__all__ = ["LIQUIDATE_SCHEMA", "ORDER_SCHEMA", "schema_check"]

# a positive decimal: "0.01", 95000, "1e-3" is not accepted (Binance does not either)
_DECIMAL: dict[str, Any] = {
    "type": ["string", "number"],
    "pattern": "^[0-9]+(\\.[0-9]+)?$",
    "exclusiveMinimum": 0,
}
_SIDE: dict[str, Any] = {"enum": ["BUY", "SELL"]}

ORDER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["symbol", "side"],
    "properties": {
        "symbol": {"type": "string"},
        "side": _SIDE,
        "type": {"enum": ["LIMIT", "MARKET", "LIMIT_MAKER"]},
        "quantity": _DECIMAL,
        "price": _DECIMAL,
        "quote_qty": _DECIMAL,
        "time_in_force": {"enum": ["GTC", "IOC", "FOK"]},
        "venue": {"enum": ["spot", "usdm", "coinm"]},
    },
    "additionalProperties": False,
}

LIQUIDATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["symbol", "side", "quantity"],
    "properties": {
        "symbol": {"type": "string"},
        "side": _SIDE,
        "quantity": _DECIMAL,
        "venue": {"enum": ["usdm", "coinm"]},
    },
    "additionalProperties": False,
}


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
