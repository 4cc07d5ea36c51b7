"""API credentials: a value object that signs and never shows its secrets.

:class:`Credentials` holds an API key and either an HMAC ``secret`` or a PEM ``private_key``
(RSA or Ed25519, optionally encrypted with ``password``). It is built from a CCXT-style config
(``apiKey``/``api_key``, ``secret``/``api_secret``, ``privateKey``/``private_key`` as PEM text
or a path to a PEM file, ``password``) or from the environment (:meth:`Credentials.from_env`),
and hands out its :class:`~client.protocol.signing.KeySigner`. Its ``repr`` says which parts
are set, never their values; so do the exceptions it raises.

Environment variables, each family only for its own environment (docs/client.md):

=========  ============================================================================
prod       ``BINANCE_PROD_API_KEY``, ``BINANCE_PROD_API_SECRET``
testnet    ``BINANCE_TESTNET_API_KEY``, ``BINANCE_TESTNET_API_SECRET``
demo       ``BINANCE_DEMO_API_KEY``, ``BINANCE_DEMO_API_SECRET``
any        ``BINANCE_API_KEY``, ``BINANCE_API_SECRET``: only for the environment that
           ``BINANCE_ENV`` names
=========  ============================================================================

Each family may also give ``..._PRIVATE_KEY`` (PEM text or a path) and
``..._PRIVATE_KEY_PASSWORD`` instead of the secret. ``BINANCE_PRO_ENV`` picks the environment
a :class:`~client.Binance` uses when its config names none.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from .environments import normalise_env
from .errors import AuthenticationError, NotSupported
from .protocol.signing import KeyKind, KeySigner, signer_for

__all__ = ["REQUIRED_CREDENTIALS", "Credentials", "required_credentials"]

REQUIRED_CREDENTIALS: dict[str, bool] = {
    "apiKey": True,
    "secret": True,
    "uid": False,
    "accountId": False,
    "login": False,
    "password": False,
    "twofa": False,
    "privateKey": False,
    "walletAddress": False,
    "token": False,
}
"""Binance's required credentials, in CCXT's shape (``exchange.requiredCredentials``)."""


def required_credentials(exchange: str = "binance") -> dict[str, bool]:
    """Return which credentials ``exchange`` needs: ``{"apiKey": True, "secret": True,
    "password": False, ...}`` as CCXT reports them (a private key may stand in for the
    secret).

    Raises:
        NotSupported: an exchange other than Binance.
    """
    if exchange.lower() != "binance":
        raise NotSupported(f"this client speaks to binance only, not {exchange!r}")
    return dict(REQUIRED_CREDENTIALS)


_FAMILIES = {"prod": "BINANCE_PROD", "testnet": "BINANCE_TESTNET", "demo": "BINANCE_DEMO"}
_PEM_MARK = "-----BEGIN"


def _pem_text(value: str) -> str:
    """Return PEM text: ``value`` itself, or the contents of the file it names."""
    if _PEM_MARK in value:
        return value
    path = Path(value).expanduser()
    try:
        return path.read_text()
    except OSError as exc:
        # the path is not a secret; its contents would be
        raise AuthenticationError(
            f"private_key is neither PEM text nor a readable file: {path} ({exc.strerror})"
        ) from None


def _first(cfg: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = cfg.get(name)
        if value not in (None, ""):
            return str(value)
    return None


@dataclass(frozen=True, eq=False)
class Credentials:
    """An API key with its secret or private key (see the module doc).

    Attributes:
        api_key: the API key (sent as ``X-MBX-APIKEY`` / ``apiKey``).
        secret: the HMAC secret.
        private_key: an RSA or Ed25519 private key as PEM text.
        password: the private key's password, if it is encrypted.
    """

    api_key: str | None = field(default=None, repr=False)
    secret: str | None = field(default=None, repr=False)
    private_key: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        parts = [
            f"api_key={'set' if self.api_key else 'none'}",
            f"secret={'set' if self.secret else 'none'}",
        ]
        if self.private_key:
            parts.append("private_key=set")
        return f"Credentials({', '.join(parts)})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Credentials):
            return NotImplemented
        return (self.api_key, self.secret, self.private_key, self.password) == (
            other.api_key,
            other.secret,
            other.private_key,
            other.password,
        )

    def __hash__(self) -> int:
        return hash((self.api_key, self.secret, self.private_key))

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> Credentials:
        """Read ``apiKey``/``api_key``, ``secret``/``api_secret``/``apiSecret``,
        ``privateKey``/``private_key`` (PEM text or a file path) and ``password``.

        Raises:
            AuthenticationError: ``private_key`` is neither PEM text nor a readable file.
        """
        cfg = config or {}
        pem = _first(cfg, "privateKey", "private_key")
        return cls(
            api_key=_first(cfg, "apiKey", "api_key"),
            secret=_first(cfg, "secret", "api_secret", "apiSecret"),
            private_key=_pem_text(pem) if pem else None,
            password=_first(cfg, "password"),
        )

    @classmethod
    def from_env(cls, env: str, environ: Mapping[str, str] | None = None) -> Credentials:
        """Read the credentials of environment ``env`` (``prod``, ``testnet``/``sandbox``,
        ``demo``) from its own variable family, else from ``BINANCE_API_KEY`` /
        ``BINANCE_API_SECRET`` when ``BINANCE_ENV`` names ``env``; empty otherwise.

        Raises:
            ValueError: an unknown environment name.
        """
        source = os.environ if environ is None else environ
        name = normalise_env(env)
        family = _FAMILIES.get(name)
        if family is not None:
            found = cls._family(source, family)
            if found.api_key:
                return found
        generic_env = source.get("BINANCE_ENV")
        if generic_env:
            try:
                generic = normalise_env(generic_env)
            except ValueError:
                generic = None
            if generic == name:
                return cls._family(source, "BINANCE")
        return cls()

    @classmethod
    def _family(cls, source: Mapping[str, str], prefix: str) -> Credentials:
        pem = source.get(f"{prefix}_PRIVATE_KEY") or None
        return cls(
            api_key=source.get(f"{prefix}_API_KEY") or None,
            secret=source.get(f"{prefix}_API_SECRET") or None,
            private_key=_pem_text(pem) if pem else None,
            password=source.get(f"{prefix}_PRIVATE_KEY_PASSWORD") or None,
        )

    def override(self, api_key: str | None = None, api_secret: str | None = None) -> Credentials:
        """Return these credentials with a per-call key and/or secret in their place (a
        per-call secret replaces the private key too; ``api_secret`` may itself be PEM)."""
        if api_key is None and api_secret is None:
            return self
        if api_secret is None:
            return replace(self, api_key=api_key)
        return Credentials(api_key or self.api_key, api_secret, None, self.password)

    @property
    def complete(self) -> bool:
        """True when a key and a secret or private key are set (signed calls can be made)."""
        return bool(self.api_key) and bool(self.secret or self.private_key)

    @cached_property
    def signer(self) -> KeySigner:
        """The signer of these credentials (HMAC for a secret, RSA/Ed25519 for a PEM key).

        Raises:
            AuthenticationError: no secret or key, or a PEM that does not load.
        """
        return signer_for(self.secret, self.private_key, self.password)

    @property
    def key_type(self) -> KeyKind | None:
        """``hmac``, ``rsa`` or ``ed25519``; None without a secret or key."""
        if not (self.secret or self.private_key):
            return None
        return self.signer.kind

    def require(self, what: str = "this call") -> tuple[str, KeySigner]:
        """Return ``(api_key, signer)``.

        Raises:
            AuthenticationError: the key or the secret is missing (named as CCXT names them).
        """
        if not self.api_key:
            raise AuthenticationError(f'binance {what} requires "apiKey" credential')
        if not (self.secret or self.private_key):
            raise AuthenticationError(f'binance {what} requires "secret" credential')
        return self.api_key, self.signer
