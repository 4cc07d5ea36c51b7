"""The account actions' script values: their checks and JSON Schemas (the account contract).

``POST /_mock/accounts`` (script action ``account``) registers an API key with its account;
``POST /_mock/accounts/<apiKey>/deposit`` (``deposit``) credits a wallet. The rows themselves
are in :data:`mock_exchange.control.CONTROL_ACTIONS`; the values are checked here, before the
registry (:class:`~mock_exchange.engine.accounts.Accounts`) reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "ACCOUNT_FIELDS",
    "ACCOUNT_SCHEMA",
    "BORROW_RATE_SCHEMA",
    "DEPOSIT_SCHEMA",
    "KEY_REF",
    "LIQUIDATION_SCHEMA",
    "check_account",
    "check_borrow_rate",
    "check_deposit",
    "check_liquidation",
]

ACCOUNT_FIELDS = frozenset(
    {
        "apiKey",
        "secret",
        "publicKey",
        "balances",
        "futuresBalances",
        "coinmBalances",
        "permissions",
        "account",
    }
)
_DEPOSIT_FIELDS = frozenset({"apiKey", "asset", "amount", "wallet"})


def _mapping(
    name: str, value: Any, required: tuple[str, ...], known: frozenset[str]
) -> dict[str, Any]:
    if not isinstance(value, Mapping) or any(k not in value for k in required):
        needs = " and ".join(repr(k) for k in required)
        raise ValueError(f"{name} needs a mapping with {needs}")
    unknown = set(value) - known
    if unknown:
        raise ValueError(f"{name}: unknown fields {sorted(unknown)}")
    return dict(value)


def check_account(value: Any) -> dict[str, Any]:
    """Check an ``account`` value: ``apiKey`` and exactly one of ``secret``/``publicKey``.

    Raises:
        ValueError: what is wrong (never echoing a secret).
    """
    spec = _mapping("account", value, ("apiKey",), ACCOUNT_FIELDS)
    if ("secret" in spec) == ("publicKey" in spec):
        raise ValueError("account needs exactly one of 'secret' and 'publicKey'")
    return spec


def check_deposit(value: Any) -> dict[str, Any]:
    """Check a ``deposit`` value: ``apiKey``, ``asset``, ``amount`` and optional ``wallet``.

    Raises:
        ValueError: what is wrong.
    """
    return _mapping("deposit", value, ("apiKey", "asset", "amount"), _DEPOSIT_FIELDS)


def check_borrow_rate(value: Any) -> dict[str, Any]:
    """Check a ``borrow_rate`` value: ``asset`` and its ``dailyInterestRate``.

    Raises:
        ValueError: what is wrong.
    """
    return _mapping("borrow_rate", value, ("asset", "dailyInterestRate"),
                    frozenset({"asset", "dailyInterestRate"}))  # fmt: skip


def check_liquidation(value: Any) -> dict[str, Any]:
    """Check a ``force_liquidation`` value: the account's key, symbol, side, price and qty.

    Raises:
        ValueError: what is wrong.
    """
    return _mapping(
        "force_liquidation",
        value,
        ("apiKey", "symbol", "side", "price", "qty"),
        frozenset({"apiKey", "symbol", "side", "price", "qty", "isIsolated"}),
    )


_AMOUNTS = {"type": "object", "additionalProperties": {"type": ["string", "number"]}}
# an account's key in a scenario script may be a template naming one of its accounts
KEY_REF: dict[str, Any] = {
    "type": ["string", "object"],
    "description": "The account's API key (in a scenario: {$account: NAME.apiKey})",
}

ACCOUNT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["apiKey"],
    "properties": {
        "apiKey": {"type": "string"},
        "secret": {"type": "string", "description": "HMAC-SHA256 secret"},
        "publicKey": {"type": "string", "description": "RSA or Ed25519 public key, PEM"},
        "balances": {**_AMOUNTS, "description": "Spot wallet: asset -> decimal string"},
        "futuresBalances": {**_AMOUNTS, "description": "USD-M wallet: asset -> decimal string"},
        "coinmBalances": {
            **_AMOUNTS,
            "description": "COIN-M wallet (funded in the base coin): asset -> decimal string",
        },
        "permissions": {
            "type": ["array", "object"],
            "description": "reading, spot, margin, futures, withdrawals (default: all but "
            "withdrawals)",
        },
        "account": {"type": "integer", "description": "uid of an existing account"},
    },
    "additionalProperties": False,
}

DEPOSIT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["apiKey", "asset", "amount"],
    "properties": {
        "apiKey": KEY_REF,
        "asset": {"type": "string"},
        "amount": {"type": ["string", "number"]},
        "wallet": {"enum": ["spot", "futures", "usdm", "coinm"]},
    },
    "additionalProperties": False,
}

BORROW_RATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["asset", "dailyInterestRate"],
    "properties": {
        "asset": {"type": "string"},
        "dailyInterestRate": {"type": ["string", "number"]},
    },
    "additionalProperties": False,
}

LIQUIDATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["apiKey", "symbol", "side", "price", "qty"],
    "properties": {
        "apiKey": KEY_REF,
        "symbol": {"type": "string"},
        "side": {"enum": ["BUY", "SELL"]},
        "price": {"type": ["string", "number"]},
        "qty": {"type": ["string", "number"]},
        "isIsolated": {"type": "boolean"},
    },
    "additionalProperties": False,
}
