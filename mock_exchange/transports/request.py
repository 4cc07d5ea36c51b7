"""A REST request exactly as the client sent it, before anything is decoded.

Verifying a Binance signature needs the bytes the client signed: the query string in the order
sent with its percent-encoding intact, the body bytes, the method and the ``X-MBX-APIKEY``
header. :class:`RawRequest` keeps all of them; decoded views (:attr:`RawRequest.query`,
:meth:`RawRequest.params`) are derived from the raw parts on demand, so nothing downstream can
see a different request than the one that was signed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import parse_qsl, quote, quote_plus, unquote, unquote_plus

from multidict import CIMultiDict, CIMultiDictProxy, MultiDictProxy
from yarl import URL

from ..errors import ExchangeError
from ..hosts import HostInfo

__all__ = ["API_KEY_HEADER", "RawRequest"]

API_KEY_HEADER = "X-MBX-APIKEY"
_FORM = "application/x-www-form-urlencoded"


def _unique(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in pairs:
        if name in out:
            raise ExchangeError(-1101, "Duplicate values for a parameter detected.")
        out[name] = value
    return out


def _headers(values: Mapping[str, str] | None) -> CIMultiDictProxy[str]:
    return CIMultiDictProxy(CIMultiDict(values or {}))


@dataclass(frozen=True)
class RawRequest:
    """One HTTP request to a Binance path, raw.

    Attributes:
        method: the HTTP verb (``GET``, ``POST``, ``PUT``, ``DELETE``...).
        host: the Binance host the URL rule (or the ``Host`` header) named.
        path: the Binance path (``/api/v3/order``), without the host segment or query.
        raw_query: the query string as sent (no leading ``?``), order and encoding intact.
        body: the body bytes as sent.
        headers: the request headers (case-insensitive).
        remote: the client address (the rate-limit caller).
        target: the request target as sent (with the URL rule's host segment and the query).
    """

    method: str
    host: HostInfo
    path: str
    raw_query: str = ""
    body: bytes = b""
    headers: CIMultiDictProxy[str] = field(default_factory=lambda: _headers(None))
    remote: str = "local"
    target: str = ""

    @classmethod
    def build(
        cls,
        method: str,
        host: HostInfo,
        path: str,
        *,
        raw_query: str = "",
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        remote: str | None = None,
        target: str | None = None,
    ) -> RawRequest:
        """Return a request from plain values (``headers`` become case-insensitive)."""
        if target is None:
            target = f"{path}?{raw_query}" if raw_query else path
        return cls(
            method.upper(),
            host,
            path,
            raw_query,
            body,
            _headers(headers),
            remote or "local",
            target,
        )

    @cached_property
    def query(self) -> MultiDictProxy[str]:
        """The query decoded as aiohttp decodes it (``+`` is a space, bad escapes kept)."""
        return URL.build(query_string=self.raw_query, encoded=True).query

    @property
    def api_key(self) -> str | None:
        """The ``X-MBX-APIKEY`` header, or None."""
        return self.headers.get(API_KEY_HEADER)

    @property
    def form(self) -> list[tuple[str, str]]:
        """The body as form fields when it is ``application/x-www-form-urlencoded``."""
        content_type = self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if not self.body or content_type != _FORM:
            return []
        return parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True)

    def params(self) -> dict[str, str]:
        """Return the request parameters: form body fields, then the query string.

        Binance reads parameters from both; a name sent in both takes the query string's
        value.

        Raises:
            ExchangeError: -1101 when a name is repeated within the query string or within
                the body (``symbol=A&symbol=B``), as Binance refuses it.
        """
        merged = _unique(self.form)
        merged.update(_unique(self.query.items()))
        return merged

    @property
    def _signed_body(self) -> bytes:
        content_type = self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        return self.body if content_type in ("", _FORM) else b""

    def signed_payload(self) -> bytes:
        """Return the bytes a Binance signature covers.

        The raw query string followed, without a separator, by the raw form body, in the order
        sent and without re-encoding; the ``signature`` pair is left out wherever it was.
        Non-ASCII bytes are percent-encoded (Binance verifies the percent-encoded form since
        2026-01-15, so a payload signed over raw UTF-8 fails as it does there).
        """
        query, _ = _without_signature(self.raw_query.encode())
        body, _ = _without_signature(self._signed_body)
        return _percent_encode_non_ascii(query + body)

    def signed_payloads(self) -> list[bytes]:
        """Return the payloads a signature may cover: :meth:`signed_payload` first, then the
        same parameters re-encoded canonically (``urlencode`` style, and ``%20`` style).

        HTTP libraries may normalise a query on its way out (aiohttp's ``yarl`` sends ``%2C``
        as ``,``), so a client that signed ``urlencode(params)`` (ccxt, the official SDK) can
        arrive with a different byte string than it signed; re-encoding the pairs recovers it.
        """
        first = self.signed_payload()
        query, _ = _without_signature(self.raw_query.encode())
        body, _ = _without_signature(self._signed_body)
        out = [first]
        for encode in (quote_plus, _quote_all):
            again = (_reencode(query, encode) + _reencode(body, encode)).encode()
            if again not in out:
                out.append(again)
        return out

    def raw_signature(self) -> str | None:
        """Return the ``signature`` value as sent (query first, then body), percent-decoded.

        Decoding repeats while escapes remain: base64 never contains ``%``, and a client that
        percent-encodes its signature before its HTTP library encodes the form again
        (python-binance with RSA keys) sends it encoded twice. ``+`` stays ``+``.
        """
        for part in (self.raw_query.encode(), self._signed_body):
            _, value = _without_signature(part)
            if value is not None:
                text = value.decode("utf-8", "replace")
                for _ in range(3):
                    if "%" not in text:
                        break
                    text = unquote(text)
                return text
        return None

    def line(self) -> str:
        """Return ``METHOD target`` as the journal records it (the body is not included)."""
        return f"{self.method} {self.target}"


def _without_signature(raw: bytes) -> tuple[bytes, bytes | None]:
    """Split ``a=1&signature=x&b=2`` into (``a=1&b=2``, ``x``); the first signature wins."""
    if b"signature" not in raw:
        return raw, None
    kept: list[bytes] = []
    signature: bytes | None = None
    for part in raw.split(b"&"):
        name, _, value = part.partition(b"=")
        if unquote(name.decode("utf-8", "replace")) == "signature":
            if signature is None:
                signature = value
            continue
        kept.append(part)
    return b"&".join(kept), signature


def _percent_encode_non_ascii(raw: bytes) -> bytes:
    if raw.isascii():
        return raw
    return b"".join(bytes([b]) if b < 0x80 else b"%%%02X" % b for b in raw)


def _quote_all(text: str) -> str:
    return quote(text, safe="")


def _reencode(raw: bytes, encode: Callable[[str], str]) -> str:
    """Decode each ``name=value`` pair of ``raw`` and encode it again with ``encode``."""
    if not raw:
        return ""
    pairs = []
    for part in raw.decode("utf-8", "replace").split("&"):
        name, sep, value = part.partition("=")
        pairs.append(encode(unquote_plus(name)) + sep + encode(unquote_plus(value)))
    return "&".join(pairs)
