"""The one REST adapter: every verb, query or form body, headers and timeouts.

:class:`HttpClient` builds each request with :func:`client.protocol.rest.build_request`, sends
it through an :class:`HttpTransport` and decodes the answer with
:func:`client.protocol.rest.decode_response`, so HTTP errors and Binance ``{"code","msg"}``
bodies become client exceptions in exactly one place. The default transport is aiohttp
(:class:`AiohttpTransport`, the one place where aiohttp's and the socket layer's exceptions are
translated); tests pass any object with the same ``send``/``close`` methods instead.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

import aiohttp
import yarl

from .errors import NetworkError, RequestTimeout
from .protocol.rest import Method, RestRequest, Signer, build_request, decode_response
from .telemetry import Telemetry

__all__ = ["AiohttpTransport", "HttpClient", "HttpTransport", "RawResponse"]

log = logging.getLogger("client")

RawResponse = tuple[int, Mapping[str, str], bytes]
"""What a transport returns: status, headers, body."""


class HttpTransport(Protocol):
    """Sends one request; raises only the client's errors (NetworkError, RequestTimeout)."""

    async def send(self, request: RestRequest, timeout: float) -> RawResponse:
        """Send ``request`` and return the raw answer, within ``timeout`` seconds."""

    async def close(self) -> None:
        """Release connections."""


class AiohttpTransport:
    """An :class:`HttpTransport` over one lazily created ``aiohttp.ClientSession``."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    async def send(self, request: RestRequest, timeout: float) -> RawResponse:
        """Send ``request`` (the URL is sent exactly as built: a signature covers it).

        Raises:
            RequestTimeout: no complete answer within ``timeout``.
            NetworkError: the connection failed.
        """
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            async with self._session.request(
                request.method,
                yarl.URL(request.url, encoded=True),
                data=request.body,
                headers=dict(request.headers),
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as r:
                return r.status, dict(r.headers), await r.read()
        except TimeoutError as exc:
            raise RequestTimeout(
                f"{request.context}: no answer within {int(timeout * 1000)} ms"
            ) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise NetworkError(f"{request.context}: {type(exc).__name__}: {exc}") from exc

    async def close(self) -> None:
        """Close the session (a later request opens a new one)."""
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()


class HttpClient:
    """REST calls of one exchange object.

    Args:
        telemetry: where each request is reported (redacted) as a ``send`` event.
        transport: what sends requests (default: :class:`AiohttpTransport`).
    """

    def __init__(self, telemetry: Telemetry, transport: HttpTransport | None = None) -> None:
        self.telemetry = telemetry
        self.transport: HttpTransport = transport or AiohttpTransport()

    async def request(
        self,
        method: Method,
        url: str,
        params: Mapping[str, Any] | None = None,
        *,
        timeout: float,
        form: bool = False,
        api_key: str | None = None,
        signer: Signer | None = None,
    ) -> Any:
        """Send ``method url`` with ``params`` and return the decoded JSON answer.

        Args:
            form: send ``params`` as a form body (POST/PUT) instead of the query.
            api_key: sent as ``X-MBX-APIKEY``.
            signer: signs the exact payload (see :func:`~client.protocol.rest.build_request`).

        Raises:
            ExchangeError subclasses: Binance refused the request. RequestTimeout: no answer
            within ``timeout`` seconds. NetworkError: the connection failed.
        """
        req = build_request(method, url, params, form=form, api_key=api_key, signer=signer)
        self.telemetry.emit("send", url, f"{method} {url} {dict(params or {})}")
        status, headers, body = await self.transport.send(req, timeout)
        return decode_response(status, headers, body, context=req.context)

    async def get(
        self, url: str, params: Mapping[str, Any] | None = None, *, timeout: float
    ) -> Any:
        """``GET url?params`` (public endpoints: no key, no signature)."""
        return await self.request("GET", url, params, timeout=timeout)

    async def close(self) -> None:
        """Close the transport; never raises."""
        try:
            await self.transport.close()
        except Exception:  # closing must not hide the error that led to it
            log.warning("closing the REST transport failed", exc_info=True)
