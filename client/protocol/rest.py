"""Binance REST requests and responses, without I/O.

:func:`build_request` turns (method, URL, params) into the exact request to send: the query
string or form body encoded once, in the caller's order, so that a signature computed over it
covers exactly the bytes that go out; a :data:`Signer` plugs in there (it receives that payload
string and returns the signature, which is appended as the last parameter, as Binance requires).
:func:`decode_response` is the one place where an HTTP status and a Binance ``{"code","msg"}``
body become a result or the right client exception (through :func:`~client.errors.
error_from_binance`). No clock reads: a ``timestamp`` parameter is the caller's to add.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

import orjson

from ..errors import ExchangeNotAvailable, error_from_binance
from .redaction import redact

__all__ = [
    "Method",
    "RestRequest",
    "Signer",
    "build_request",
    "decode_response",
    "encode_params",
    "parse_retry_after",
]

Method = Literal["GET", "POST", "PUT", "DELETE"]

Signer = Callable[[str], str]
"""Return the signature of the exact payload string (HMAC, RSA or Ed25519; none is built in)."""

API_KEY_HEADER = "X-MBX-APIKEY"


@dataclass(frozen=True)
class RestRequest:
    """One request ready to send.

    Attributes:
        method: the HTTP verb.
        url: the full URL, query string included, already percent-encoded.
        body: the form body (``application/x-www-form-urlencoded``), or None.
        headers: headers to send (the API key, the content type of a body).
        context: how errors name the request (``GET https://.../depth``, no query: a
            signature or key in it must not reach an exception message).
    """

    method: Method
    url: str
    body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    context: str = ""


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"  # Binance's spelling, not Python's
    return str(value)


def encode_params(params: Mapping[str, Any] | None) -> str:
    """Percent-encode ``params`` in their order (``None`` values are left out)."""
    if not params:
        return ""
    return "&".join(
        f"{quote(str(k), safe='')}={quote(_text(v), safe='')}"
        for k, v in params.items()
        if v is not None
    )


def build_request(
    method: Method,
    url: str,
    params: Mapping[str, Any] | None = None,
    *,
    form: bool = False,
    api_key: str | None = None,
    signer: Signer | None = None,
) -> RestRequest:
    """Build the request for ``method url`` with ``params``.

    Args:
        method: the HTTP verb.
        url: the endpoint URL without a query.
        params: the parameters, in the order they are to be sent.
        form: send ``params`` as a form body instead of the query string (POST/PUT).
        api_key: sent as ``X-MBX-APIKEY`` (listen keys, signed endpoints).
        signer: signs the payload (query or body text) and appends ``signature=``.
    """
    payload = encode_params(params)
    if signer is not None:
        signature = signer(payload)
        payload = f"{payload}&signature={quote(signature, safe='')}".lstrip("&")
    headers: dict[str, str] = {}
    if api_key:
        headers[API_KEY_HEADER] = api_key
    body: bytes | None = None
    full = url
    if form and payload:
        body = payload.encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif payload:
        full = f"{url}?{payload}"
    return RestRequest(method, full, body, headers, f"{method} {url}")


def parse_retry_after(value: str | None) -> float | None:
    """Return a ``Retry-After`` of whole seconds, or None (absent, an HTTP date, garbage).

    Only ASCII digits count: ``str.isdigit`` also accepts ``²`` and other Unicode digits that
    ``float`` then refuses.
    """
    if value is None:
        return None
    value = value.strip()
    if not value or not value.isascii() or not value.isdigit():
        return None
    return float(value)


def decode_response(
    status: int, headers: Mapping[str, str], body: bytes, *, context: str = ""
) -> Any:
    """Return the decoded JSON of a 2xx/3xx answer; raise the client error of any other.

    Raises:
        ExchangeError subclasses: Binance's ``{"code","msg"}`` (by the code table), or a
            4xx without one. RateLimitExceeded / DDoSProtection: 429 / 418, with the
            ``Retry-After`` seconds. ExchangeNotAvailable: a 5xx without a Binance body.
    """
    try:
        data = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        data = None
    if status < 400:
        return data
    retry_after = parse_retry_after(_header(headers, "Retry-After"))
    if isinstance(data, dict) and "code" in data:
        raise error_from_binance(
            data.get("code"), data.get("msg"), status=status, context=context,
            retry_after=retry_after, data=data.get("data"),
        )  # fmt: skip
    if status >= 500:
        err = ExchangeNotAvailable(f"{context}: HTTP {status}")
        err.status, err.retry_after = status, retry_after
        raise err
    raise error_from_binance(
        None,
        redact(body[:200].decode(errors="replace")),
        status=status,
        context=context,
        retry_after=retry_after,
    )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    lower = name.lower()
    for k, v in headers.items():
        if k.lower() == lower:
            return v
    return None
