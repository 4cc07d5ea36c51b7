"""Secret redaction: the one function every text passes before it is logged or reported."""

from __future__ import annotations

import hashlib
import re

__all__ = ["SECRET_KEYS", "key_digest", "redact"]

SECRET_KEYS = (
    "apiKey",
    "api_key",
    "signature",
    "secret",
    "privateKey",
    "private_key",
    "password",
    "listenKey",
    "listenToken",
    "token",
)
"""Keys whose values never leave the client: API keys, signatures, secrets, listen keys/tokens."""

# a secret key, quoted or not, then ``:`` or ``=``, then its value up to a quote, ``&``, ``,``,
# ``}`` or a space: JSON (``"apiKey":"v"``), Python reprs (``'apiKey': 'v'``, how REST params
# are reported) and query strings (``apiKey=v``)
_SECRET_RE = re.compile(
    r"""(["']?(?:""" + "|".join(SECRET_KEYS) + r""")["']?\s*[:=]\s*["']?)([^"'&,}\s]+)""",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """Replace the values of secret keys (apiKey, signature, listenKey, ...) with ``***``, in
    JSON, in Python dict reprs and in query strings."""
    return _SECRET_RE.sub(r"\1***", text)


def key_digest(api_key: str) -> str:
    """Name an API key where state must be told apart by key and may be shown (restore-step
    names in ``connection_info``): 12 hex digits of its SHA-256, never the key itself."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:12]
