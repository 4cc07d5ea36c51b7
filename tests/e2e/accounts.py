"""Accounts for private e2e tests: fresh keys of each type, registered through the emulator's
control API (``POST /_mock/accounts``), and clients configured with them (test helper)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import aiohttp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

import client

BALANCES = {"USDT": "100000", "BTC": "10", "ETH": "100", "BNB": "100"}
FUTURES_BALANCES = {"USDT": "100000"}


@dataclass(frozen=True)
class Key:
    """An API key with what the client is configured with and what the emulator verifies."""

    api_key: str
    kind: str
    config: dict[str, str]
    registration: dict[str, str]


def _pems(private: Any) -> tuple[str, str]:
    priv = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    pub = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return priv, pub


def new_key(kind: str = "hmac") -> Key:
    """A fresh key of ``kind`` (``hmac``, ``rsa``, ``ed25519``) with a random API key."""
    api_key = f"{kind}{secrets.token_hex(24)}"
    if kind == "hmac":
        secret = secrets.token_hex(32)
        return Key(api_key, kind, {"apiKey": api_key, "secret": secret},
                   {"apiKey": api_key, "secret": secret})  # fmt: skip
    private = (
        ed25519.Ed25519PrivateKey.generate()
        if kind == "ed25519"
        else rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    priv, pub = _pems(private)
    return Key(api_key, kind, {"apiKey": api_key, "privateKey": priv},
               {"apiKey": api_key, "publicKey": pub})  # fmt: skip


async def register(base_url: str, key: Key, **extra: Any) -> dict[str, Any]:
    """Register ``key`` with the emulator over its control API; return the answer.

    Balances default to :data:`BALANCES` (spot) and :data:`FUTURES_BALANCES` (USD-M).
    """
    body = {"balances": BALANCES, "futuresBalances": FUTURES_BALANCES, **key.registration}
    body.update(extra)
    async with (
        aiohttp.ClientSession() as s,
        s.post(f"{base_url}/_mock/accounts", json=body) as r,
    ):
        answer: dict[str, Any] = await r.json()
        assert r.status == 200, answer
        return answer


def private_client(base_url: str, key: Key, **options: Any) -> client.Binance:
    """A client on the ``local`` environment of ``base_url`` with ``key``'s credentials."""
    return client.Binance(
        {**key.config, "options": options}, binance_env="local", base_url=base_url
    )


PYTHON_BINANCE_REST = {
    "API_URL": "https://api.binance.com/api",
    "MARGIN_API_URL": "https://api.binance.com/sapi",
    "FUTURES_URL": "https://fapi.binance.com/fapi",
    "FUTURES_COIN_URL": "https://dapi.binance.com/dapi",
}


def point_python_binance(client_: Any, url: Any) -> Any:
    """Rewrite a python-binance client's REST base URLs by the URL rule (``url`` is the
    emulator's ``MockExchange.url``); the client is otherwise unmodified. Returns it."""
    for attribute, real in PYTHON_BINANCE_REST.items():
        setattr(client_, attribute, url(real))
    return client_


def all_venues_account(api_key: str, secret: str) -> dict[str, Any]:
    """An HMAC account funded on spot, USD-M and COIN-M (``POST /_mock/accounts``'s JSON)."""
    return {
        "apiKey": api_key,
        "secret": secret,
        "balances": {"USDT": "100000", "BTC": "2"},
        "futuresBalances": {"USDT": "100000"},
        "coinmBalances": {"BTC": "2"},
    }
