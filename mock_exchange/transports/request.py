"""A REST request exactly as the client sent it, before anything is decoded.

Verifying a Binance signature needs the bytes the client signed: the query string in the order
sent with its percent-encoding intact, the body bytes, the method and the ``X-MBX-APIKEY``
header. :class:`RawRequest` keeps all of them; decoded views (:attr:`RawRequest.query`,
:meth:`RawRequest.params`) are derived from the raw parts on demand, so nothing downstream can
see a different request than the one that was signed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import parse_qsl

from multidict import CIMultiDict, CIMultiDictProxy, MultiDictProxy
from yarl import URL

from ..hosts import HostInfo

__all__ = ["API_KEY_HEADER", "RawRequest"]

API_KEY_HEADER = "X-MBX-APIKEY"
_FORM = "application/x-www-form-urlencoded"


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
        value. The first occurrence of a repeated name wins, as with ``query.get``.
        """
        merged: dict[str, str] = {}
        for name, value in self.form:
            merged.setdefault(name, value)
        from_query: dict[str, str] = {}
        for name, value in self.query.items():
            from_query.setdefault(name, value)
        merged.update(from_query)
        return merged

    def signed_payload(self) -> bytes:
        """Return the bytes a Binance signature covers: the raw query, then the raw body."""
        return self.raw_query.encode() + self.body

    def line(self) -> str:
        """Return ``METHOD target`` as the journal records it (the body is not included)."""
        return f"{self.method} {self.target}"
