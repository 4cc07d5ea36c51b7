"""Request signing, without I/O: HMAC-SHA256, RSA and Ed25519 over the exact payload.

Binance signs two payload shapes (binance-protocol.md 5.2, 5.3):

* **REST**: the query string followed by the form body, exactly as sent (parameters in the
  order sent, percent-encoded once). :func:`rest_params` appends ``recvWindow`` and
  ``timestamp``; :func:`client.protocol.rest.build_request` hands the encoded text to a
  :class:`KeySigner` and appends ``signature`` last.
* **WebSocket API**: every parameter but ``signature``, sorted by name, ``name=value`` joined
  by ``&``, values not percent-encoded, booleans ``true``/``false``
  (:func:`ws_payload`, :func:`sign_ws_params`).

Key types (5.1): an HMAC secret signs with a lowercase hex digest; an RSA private key
(PKCS#1 v1.5, SHA-256) and an Ed25519 private key sign with base64. Only Ed25519 keys may
``session.logon`` on the WebSocket API (:attr:`KeySigner.can_logon`).

Time is passed in: :func:`estimate_offset` turns one server-time round trip into the offset
the caller adds to its clock, so a skewed local clock still produces valid timestamps.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping
from typing import Any, Literal

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from ..errors import AuthenticationError

__all__ = [
    "KeyKind",
    "KeySigner",
    "estimate_offset",
    "hmac_signer",
    "load_private_key",
    "rest_params",
    "sign_ws_params",
    "signer_for",
    "value_text",
    "ws_payload",
]

KeyKind = Literal["hmac", "rsa", "ed25519"]


class KeySigner:
    """Sign payload text with one key; never shows the key (``repr`` names the kind only).

    Call it with the payload string; it returns the signature text Binance expects (hex for
    HMAC, base64 for RSA and Ed25519).
    """

    __slots__ = ("_sign", "kind")

    def __init__(self, kind: KeyKind, sign: Callable[[bytes], str]) -> None:
        self.kind: KeyKind = kind
        self._sign = sign

    def __call__(self, payload: str) -> str:
        return self._sign(payload.encode())

    def __repr__(self) -> str:
        return f"<KeySigner {self.kind}>"

    @property
    def can_logon(self) -> bool:
        """True for Ed25519 keys, the only kind ``session.logon`` accepts."""
        return self.kind == "ed25519"


def hmac_signer(secret: str) -> KeySigner:
    """Return a signer for an HMAC-SHA256 ``secret`` (lowercase hex digests)."""
    key = secret.encode()

    def sign(payload: bytes) -> str:
        return hmac.new(key, payload, hashlib.sha256).hexdigest()

    return KeySigner("hmac", sign)


PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


def load_private_key(pem: str | bytes, password: str | bytes | None = None) -> PrivateKey:
    """Load an RSA or Ed25519 private key from PEM text (PKCS#8 or traditional).

    Raises:
        AuthenticationError: not a PEM private key, a wrong password, or another key type
            (the message never quotes the key).
    """
    data = pem.encode() if isinstance(pem, str) else pem
    pw = password.encode() if isinstance(password, str) else password
    try:
        try:
            key = serialization.load_pem_private_key(data, password=pw)
        except TypeError:
            if pw is None:
                raise
            # a password for a key that is not encrypted: the key is still good
            key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        # the library's text can say which part failed, never the key itself
        raise AuthenticationError(f"private key could not be loaded: {exc}") from None
    if not isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
        raise AuthenticationError(
            f"private key type {type(key).__name__} is not supported; use RSA or Ed25519"
        )
    return key


def _key_signer(key: PrivateKey) -> KeySigner:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        ed = key

        def sign_ed(payload: bytes) -> str:
            return base64.b64encode(ed.sign(payload)).decode()

        return KeySigner("ed25519", sign_ed)
    rsa_key = key

    def sign_rsa(payload: bytes) -> str:
        sig = rsa_key.sign(payload, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(sig).decode()

    return KeySigner("rsa", sign_rsa)


def signer_for(
    secret: str | None = None,
    private_key: str | bytes | None = None,
    password: str | bytes | None = None,
) -> KeySigner:
    """Return the signer for a secret or a private key.

    ``private_key`` (PEM text) wins; a ``secret`` that holds a PEM private key (``PRIVATE
    KEY`` in it, as ccxt users write it) is loaded as one; any other secret is HMAC.

    Raises:
        AuthenticationError: neither was given, or the PEM could not be loaded.
    """
    if private_key:
        return _key_signer(load_private_key(private_key, password))
    if secret and "PRIVATE KEY" in secret:
        return _key_signer(load_private_key(secret, password))
    if secret:
        return hmac_signer(secret)
    raise AuthenticationError("a secret or a private key is required to sign requests")


def value_text(value: Any) -> str:
    """Return a parameter value as Binance reads it (``true``/``false`` for booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def rest_params(
    params: Mapping[str, Any], *, timestamp: int, recv_window: int | float | None
) -> dict[str, Any]:
    """Return ``params`` (their order kept, ``None`` dropped) with ``recvWindow`` and
    ``timestamp`` appended: what a signed REST request sends before its ``signature``."""
    out = {k: v for k, v in params.items() if v is not None and k != "signature"}
    out.pop("timestamp", None)
    if recv_window is not None and "recvWindow" not in out:
        out["recvWindow"] = recv_window
    out["timestamp"] = timestamp
    return out


def ws_payload(params: Mapping[str, Any]) -> str:
    """Return the WebSocket API signature payload: every parameter but ``signature``, sorted
    by name, ``name=value`` joined by ``&``, values not percent-encoded."""
    return "&".join(
        f"{k}={value_text(params[k])}"
        for k in sorted(params)
        if k != "signature" and params[k] is not None
    )


def sign_ws_params(
    params: Mapping[str, Any],
    *,
    timestamp: int,
    recv_window: int | float | None,
    api_key: str | None = None,
    signer: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    """Return the params of a WebSocket API request with its signing fields.

    With ``api_key`` and ``signer``: ``apiKey``, ``timestamp``, ``recvWindow`` and a
    ``signature`` over :func:`ws_payload`. Without them (a logged-on session, which stands in
    for the key and signature): ``timestamp`` and ``recvWindow`` only.
    """
    out = {k: v for k, v in params.items() if v is not None and k != "signature"}
    out["timestamp"] = timestamp
    if recv_window is not None and "recvWindow" not in out:
        out["recvWindow"] = recv_window
    if api_key is not None and signer is not None:
        out["apiKey"] = api_key
        out = {k: out[k] for k in sorted(out)}
        out["signature"] = signer(ws_payload(out))
    return out


def estimate_offset(sent_ms: float, server_ms: int, received_ms: float) -> int:
    """Return ``server - local`` in ms from one round trip: the server's time is taken to be
    read halfway between sending and receiving."""
    return round(server_ms - (sent_ms + received_ms) / 2)
