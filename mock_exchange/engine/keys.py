"""API keys: which account a key belongs to, its type, its permissions, and its signatures.

Binance supports three key types (reference 5.1): HMAC-SHA256 (a shared secret; the signature
is the hex digest, compared case-insensitively), RSA (RSASSA-PKCS1-v1_5 with SHA-256, base64)
and Ed25519 (base64). RSA and Ed25519 keys are registered with the public key in PEM form; the
type is read from the PEM. :meth:`ApiKey.verify` checks a signature over the exact payload bytes
a transport built. Secrets never appear in a ``repr`` or in :meth:`ApiKey.describe`.

Permissions are the emulator's names for Binance's API-key restrictions: ``reading``,
``spot`` (spot trading), ``margin`` (margin trading), ``futures`` and ``withdrawals``; Binance's
own ``enable*`` names (``enableSpotAndMarginTrading``...) are accepted as aliases.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

__all__ = [
    "API_KEY_PATTERN",
    "DEFAULT_PERMISSIONS",
    "PERMISSIONS",
    "ApiKey",
    "KeyRing",
    "KeyType",
    "make_key",
    "parse_permissions",
    "valid_key_format",
]

# Binance's keys are 64 letters and digits; the emulator accepts any printable ASCII without
# spaces (1-256 characters), so readable test keys work. Anything else is "format invalid".
API_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,256}$")

PERMISSIONS: tuple[str, ...] = ("reading", "spot", "margin", "futures", "withdrawals")
DEFAULT_PERMISSIONS: frozenset[str] = frozenset({"reading", "spot", "margin", "futures"})
_ALIASES: dict[str, tuple[str, ...]] = {
    "enablereading": ("reading",),
    "enablespotandmargintrading": ("spot", "margin"),
    "enablemargin": ("margin",),
    "enablefutures": ("futures",),
    "enablewithdrawals": ("withdrawals",),
    "spotandmargin": ("spot", "margin"),
}


class KeyType(Enum):
    """The three API key types."""

    HMAC = "HMAC_SHA256"
    RSA = "RSA"
    ED25519 = "Ed25519"


def valid_key_format(api_key: Any) -> bool:
    """Return True when ``api_key`` has the shape of an API key."""
    return isinstance(api_key, str) and API_KEY_PATTERN.match(api_key) is not None


def parse_permissions(value: Any) -> frozenset[str]:
    """Read permissions: a list of names, or a mapping of names to booleans.

    Names are case-insensitive: ``reading``, ``spot``, ``margin``, ``futures``,
    ``withdrawals`` or Binance's ``enable*`` restriction names.

    Raises:
        ValueError: an unknown name or another shape.
    """
    if value is None:
        return DEFAULT_PERMISSIONS
    names: Iterable[Any]
    if isinstance(value, Mapping):
        names = [k for k, v in value.items() if v]
    elif isinstance(value, list | tuple | set | frozenset):
        names = value
    else:
        raise ValueError("permissions must be a list of names or a mapping of names to booleans")
    out: set[str] = set()
    for name in names:
        key = str(name).lower()
        if key in PERMISSIONS:
            out.add(key)
        elif key in _ALIASES:
            out.update(_ALIASES[key])
        else:
            raise ValueError(f"unknown permission {name!r}; known: {list(PERMISSIONS)}")
    return frozenset(out)


def _b64(signature: str) -> bytes | None:
    try:
        return base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return None


@dataclass(frozen=True, eq=False)
class ApiKey:
    """One API key: its account (uid), type, permissions and verifying material.

    ``repr`` and :meth:`describe` never show the secret.
    """

    api_key: str
    key_type: KeyType
    uid: int
    permissions: frozenset[str]
    _secret: bytes | None = field(default=None, repr=False)
    _public: Any = field(default=None, repr=False)

    def __repr__(self) -> str:
        return f"ApiKey(type={self.key_type.value}, uid={self.uid})"

    def allows(self, permission: str | None) -> bool:
        """Return True when the key has ``permission`` (None: any key)."""
        return permission is None or permission in self.permissions

    def verify(self, payload: bytes, signature: str) -> bool:
        """Return True when ``signature`` signs ``payload`` with this key.

        HMAC compares hex digests case-insensitively; RSA and Ed25519 signatures are base64
        (already percent-decoded by the transport) and case-sensitive.
        """
        if self.key_type is KeyType.HMAC:
            assert self._secret is not None
            expected = hmac.new(self._secret, payload, hashlib.sha256).hexdigest()
            return hmac.compare_digest(expected, signature.strip().lower())
        raw = _b64(signature.strip())
        if raw is None:
            return False
        try:
            if self.key_type is KeyType.RSA:
                self._public.verify(raw, payload, padding.PKCS1v15(), hashes.SHA256())
            else:
                self._public.verify(raw, payload)
        except (InvalidSignature, ValueError):
            return False
        return True

    def describe(self) -> dict[str, Any]:
        """Return the key as the control API shows it (no secret)."""
        return {
            "apiKey": self.api_key,
            "type": self.key_type.value,
            "permissions": sorted(self.permissions),
        }


def _public_key(pem: str) -> tuple[KeyType, Any]:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, UnsupportedAlgorithm, TypeError):
        raise ValueError("publicKey is not a PEM public key") from None
    if isinstance(key, ed25519.Ed25519PublicKey):
        return KeyType.ED25519, key
    if isinstance(key, rsa.RSAPublicKey):
        if not 2048 <= key.key_size <= 4096:
            raise ValueError("an RSA publicKey must have 2048 to 4096 bits")
        return KeyType.RSA, key
    raise ValueError("publicKey must be an RSA or Ed25519 public key")


def make_key(
    api_key: Any,
    uid: int,
    *,
    secret: Any = None,
    public_key: Any = None,
    permissions: Any = None,
) -> ApiKey:
    """Build a key: HMAC from ``secret``, RSA or Ed25519 from a PEM ``public_key``.

    Raises:
        ValueError: a malformed key, both or neither of ``secret``/``public_key``, a PEM that
            is not an RSA (2048-4096 bit) or Ed25519 public key, unknown permissions.
    """
    if not valid_key_format(api_key):
        raise ValueError("apiKey must be 1-256 printable ASCII characters without spaces")
    if (secret is None) == (public_key is None):
        raise ValueError("give exactly one of 'secret' (HMAC) and 'publicKey' (RSA or Ed25519)")
    perms = parse_permissions(permissions)
    if secret is not None:
        if not isinstance(secret, str) or not secret:
            raise ValueError("secret must be a non-empty string")
        return ApiKey(api_key, KeyType.HMAC, uid, perms, _secret=secret.encode())
    if not isinstance(public_key, str):
        raise ValueError("publicKey must be a PEM string")
    key_type, key = _public_key(public_key)
    return ApiKey(api_key, key_type, uid, perms, _public=key)


class KeyRing:
    """API keys by key string."""

    def __init__(self) -> None:
        self._keys: dict[str, ApiKey] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, api_key: object) -> bool:
        return api_key in self._keys

    def get(self, api_key: str | None) -> ApiKey | None:
        """Return the key, or None when unknown."""
        return None if api_key is None else self._keys.get(api_key)

    def add(self, key: ApiKey) -> None:
        """Register ``key``.

        Raises:
            ValueError: the key string is already registered.
        """
        if key.api_key in self._keys:
            raise ValueError("apiKey is already registered")
        self._keys[key.api_key] = key

    def of_account(self, uid: int) -> list[ApiKey]:
        """Return the keys of account ``uid``, in registration order."""
        return [k for k in self._keys.values() if k.uid == uid]
