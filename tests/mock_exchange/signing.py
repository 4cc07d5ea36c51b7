"""Test-side signers: key pairs and the three signature algorithms, written from Binance's docs.

Independent of the emulator's own verification code, so a shared mistake cannot hide.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

# Binance's published example secret (rest-api.md, web-socket-api.md)
DOC_API_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
DOC_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"


@dataclass
class Signer:
    """An API key with its signing material and the JSON that registers it."""

    api_key: str
    kind: str  # hmac, rsa, ed25519
    secret: str | None = None
    private: Any = None

    def sign(self, payload: str | bytes) -> str:
        """Return the signature of ``payload`` as Binance expects it (hex or base64)."""
        data = payload.encode() if isinstance(payload, str) else payload
        if self.kind == "hmac":
            assert self.secret is not None
            return hmac.new(self.secret.encode(), data, hashlib.sha256).hexdigest()
        if self.kind == "rsa":
            raw = self.private.sign(data, padding.PKCS1v15(), hashes.SHA256())
        else:
            raw = self.private.sign(data)
        return base64.b64encode(raw).decode()

    def private_pem(self) -> str:
        """The private key in PKCS#8 PEM (what clients are configured with)."""
        return self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    def registration(self, **extra: Any) -> dict[str, Any]:
        """The ``POST /_mock/accounts`` body for this key."""
        body: dict[str, Any] = {"apiKey": self.api_key}
        if self.kind == "hmac":
            body["secret"] = self.secret
        else:
            body["publicKey"] = (
                self.private.public_key()
                .public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
                .decode()
            )
        return {**body, **extra}


def hmac_signer(api_key: str = "hmacKey1", secret: str = "hmacSecret1") -> Signer:
    """An HMAC-SHA256 key."""
    return Signer(api_key, "hmac", secret=secret)


def rsa_signer(api_key: str = "rsaKey1") -> Signer:
    """A fresh 2048-bit RSA key."""
    return Signer(api_key, "rsa", private=rsa.generate_private_key(65537, 2048))


def ed25519_signer(api_key: str = "edKey1") -> Signer:
    """A fresh Ed25519 key."""
    return Signer(api_key, "ed25519", private=ed25519.Ed25519PrivateKey.generate())


def rest_query(signer: Signer, params: dict[str, Any], *, timestamp: int | None = None) -> str:
    """Return ``k=v&...&timestamp=T&signature=S`` (urlencoded, signature percent-encoded)."""
    items = dict(params)
    items["timestamp"] = int(time.time() * 1000) if timestamp is None else timestamp
    query = urllib.parse.urlencode(items)
    return f"{query}&signature={urllib.parse.quote(signer.sign(query), safe='')}"


def ws_request(
    signer: Signer, method: str, params: dict[str, Any], *, timestamp: int, req_id: Any = 1
) -> str:
    """Return a WS API frame signed over the sorted raw ``k=v`` params (Binance's rule)."""
    items = {**params, "apiKey": signer.api_key, "timestamp": timestamp}
    payload = "&".join(f"{k}={_text(v)}" for k, v in sorted(items.items()))
    items["signature"] = signer.sign(payload)
    return json.dumps({"id": req_id, "method": method, "params": items})


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
