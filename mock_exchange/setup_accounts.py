"""Accounts a scenario's ``setup`` asks for, with keys the emulator generates offline.

A scenario says what account its client trades with, never its credentials::

    setup:
      account: {key_type: ed25519, balances: {USDT: "10000", BTC: "1"},
                futuresBalances: {USDT: "10000"}, permissions: [reading, spot, futures]}
      accounts:                      # more accounts, by name (emulator targets only)
        readonly: {permissions: [reading]}

:func:`check_setup_accounts` checks that part of ``setup`` (``check_setup`` and
``config_from_setup`` call it, so ``scenarios validate``, ``scenarios run`` and ``serve
--scenario`` refuse the same values); :func:`generate_accounts` makes a fresh key of the
named type for each account (an HMAC secret, or an RSA / Ed25519 key pair made here, offline:
never a real credential). Each :class:`GeneratedAccount` has the ``POST /_mock/accounts`` body
(public parts only) and the client configuration (the secret or the private key), which its
``repr`` never shows. The balance, permission and wallet fields are the account contract's
(:data:`~mock_exchange.control_accounts.ACCOUNT_SCHEMA`).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from .control_accounts import ACCOUNT_SCHEMA
from .engine.accounts import parse_amount
from .engine.keys import parse_permissions

__all__ = [
    "KEY_TYPES",
    "MAIN_ACCOUNT",
    "SETUP_ACCOUNT_SCHEMA",
    "GeneratedAccount",
    "check_setup_accounts",
    "generate_account",
    "generate_accounts",
]

KEY_TYPES: tuple[str, ...] = ("hmac", "rsa", "ed25519")
MAIN_ACCOUNT = "main"
"""The name of ``setup.account``: the account the scenario's client is configured with."""

_WALLETS = ("balances", "futuresBalances", "coinmBalances")
_FIELDS = frozenset({"key_type", "permissions", *_WALLETS})
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")

SETUP_ACCOUNT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "description": "An account with a key the emulator generates (never a real credential)",
    "properties": {
        "key_type": {
            "enum": list(KEY_TYPES),
            "description": "hmac (default), rsa or ed25519; on a live target the environment's "
            "own key must be of this type, else the scenario is skipped with the reason",
        },
        **{k: ACCOUNT_SCHEMA["properties"][k] for k in (*_WALLETS, "permissions")},
    },
}


def _check_one(where: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{where} must be a mapping of {sorted(_FIELDS)}")
    unknown = set(value) - _FIELDS
    if unknown:
        raise ValueError(f"{where}: unknown fields {sorted(unknown)} (allowed: {sorted(_FIELDS)})")
    kind = value.get("key_type", "hmac")
    if kind not in KEY_TYPES:
        raise ValueError(f"{where}.key_type must be one of {list(KEY_TYPES)}, not {kind!r}")
    for wallet in _WALLETS:
        amounts = value.get(wallet, {})
        if not isinstance(amounts, Mapping):
            raise ValueError(f"{where}.{wallet} must map assets to amounts")
        for asset, amount in amounts.items():
            parse_amount(amount, f"{where}.{wallet}.{asset}")
    if "permissions" in value:
        try:
            parse_permissions(value["permissions"])
        except ValueError as exc:
            raise ValueError(f"{where}.permissions: {exc}") from None
    return dict(value)


def check_setup_accounts(setup: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Check ``setup.account`` and ``setup.accounts``; return the accounts by name (``main``
    first when ``account`` is given).

    Raises:
        ValueError: a malformed account, an unknown field or key type, a bad amount or
            permission, or an extra account named ``main`` (the message names it).
    """
    out: dict[str, dict[str, Any]] = {}
    if "account" in setup:
        out[MAIN_ACCOUNT] = _check_one("setup.account", setup["account"])
    extra = setup.get("accounts", {})
    if not isinstance(extra, Mapping):
        raise ValueError("setup.accounts must map account names to accounts")
    for name, value in extra.items():
        if not isinstance(name, str) or not _NAME.match(name) or name == MAIN_ACCOUNT:
            raise ValueError(
                f"setup.accounts: {name!r} is not an account name (lower case letters, digits "
                f"and _, not {MAIN_ACCOUNT!r}, which is setup.account)"
            )
        out[name] = _check_one(f"setup.accounts.{name}", value)
    return out


@dataclass(frozen=True)
class GeneratedAccount:
    """An account with a freshly generated key.

    Attributes:
        name: ``main`` (``setup.account``) or its name under ``setup.accounts``.
        key_type: ``hmac``, ``rsa`` or ``ed25519``.
        api_key: the API key (random).
        registration: the ``POST /_mock/accounts`` body (public key only, never a private one).
        client_config: ``{"apiKey", "secret"}`` or ``{"apiKey", "privateKey"}`` (PEM).
    """

    name: str
    key_type: str
    api_key: str = field(repr=False)
    registration: dict[str, Any] = field(repr=False)
    client_config: dict[str, str] = field(repr=False)

    @property
    def secret(self) -> str:
        """The HMAC secret or the private key's PEM (what a client signs with)."""
        return self.client_config.get("secret") or self.client_config["privateKey"]


def _pem_pair(private: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey) -> tuple[str, str]:
    priv = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    pub = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return priv, pub


def generate_account(name: str, spec: Mapping[str, Any]) -> GeneratedAccount:
    """Generate a key of ``spec["key_type"]`` (default HMAC) for a checked account spec.

    The API key is 64 random letters and digits (as Binance's are), so accounts generated for
    different scenarios on one running emulator never collide.
    """
    kind = str(spec.get("key_type", "hmac"))
    api_key = "scn" + secrets.token_hex(30) + "x"
    body: dict[str, Any] = {"apiKey": api_key}
    body.update({k: dict(spec[k]) for k in _WALLETS if k in spec})
    if "permissions" in spec:
        body["permissions"] = spec["permissions"]
    if kind == "hmac":
        secret = secrets.token_hex(32)
        body["secret"] = secret
        config = {"apiKey": api_key, "secret": secret}
    else:
        private = (
            ed25519.Ed25519PrivateKey.generate()
            if kind == "ed25519"
            else rsa.generate_private_key(public_exponent=65537, key_size=2048)
        )
        priv, pub = _pem_pair(private)
        body["publicKey"] = pub
        config = {"apiKey": api_key, "privateKey": priv}
    return GeneratedAccount(name, kind, api_key, body, config)


def generate_accounts(setup: Mapping[str, Any]) -> list[GeneratedAccount]:
    """Check the setup's accounts and generate a key for each (``main`` first).

    Raises:
        ValueError: as :func:`check_setup_accounts`.
    """
    return [generate_account(n, s) for n, s in check_setup_accounts(setup).items()]
