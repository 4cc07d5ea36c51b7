"""Secret redaction: the one function every text passes before it is logged or reported."""

from __future__ import annotations

import re

__all__ = ["SECRET_KEYS", "redact"]

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
