"""REST, without I/O: run a routed :class:`RawRequest`, serialise the answer or the error.

A REST handler receives a :class:`RestCall` (the raw request, the venue, the exchange, the
time and the time unit) and returns ``(body, weight)``. :func:`rest_answer` runs it under the
caller's weight limit (a refused request is charged the weight its error carries, else the
route's) and converts the answer's times to microseconds when the request asked for them;
:func:`error_reply` is the one place a REST error becomes ``{"code","msg"}`` with its
HTTP status (plus ``Retry-After`` on 429/418). Every answer carries ``X-MBX-USED-WEIGHT-1M``
when the request reached a route; the aiohttp front (:mod:`mock_exchange.http_app`) only
copies an :class:`HttpReply` onto the wire.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import orjson

from ..engine.events import EngineEvent
from ..engine.exchange import Exchange
from ..engine.markets import MarketKind
from ..engine.ratelimits import RateLimitError, WeightLimiter
from ..errors import ExchangeError, unknown_error
from . import market_data as md
from .auth import Access, Credentials, Principal, authorize, split_signing
from .params import Params
from .request import RawRequest
from .time_unit import to_micros

__all__ = [
    "JSON_CONTENT_TYPE",
    "Gone",
    "HttpReply",
    "RestCall",
    "RestHandler",
    "error_reply",
    "gone",
    "market",
    "rest_answer",
]

JSON_CONTENT_TYPE = "application/json;charset=UTF-8"
log = logging.getLogger("mock_exchange")


Emit = Callable[[MarketKind, list[EngineEvent]], None]


def _no_emit(_venue: MarketKind, _events: list[EngineEvent]) -> None:
    """Drop events (a call made outside a running emulator)."""


@dataclass(frozen=True)
class RestCall:
    """What a REST handler sees: the raw request, venue, exchange, time and who is calling.

    ``emit`` publishes the engine events a handler causes (trades, user data); ``principal``
    is set by :func:`rest_answer` once the request is authorised (None on public routes).
    """

    request: RawRequest
    venue: MarketKind
    exchange: Exchange
    now: int
    emit: Emit = _no_emit
    principal: Principal | None = None
    micros: bool = False  # X-MBX-TIME-UNIT: MICROSECOND (spot)

    @cached_property
    def _split(self) -> tuple[dict[str, str], Credentials]:
        params, creds = split_signing(self.request.params(), self.request.api_key)
        if creds.signature is not None:
            creds = replace(creds, signature=self.request.raw_signature())
        return params, creds

    @property
    def params(self) -> dict[str, str]:
        """The request parameters without the signing fields."""
        return self._split[0]

    @property
    def credentials(self) -> Credentials:
        """The signing fields the request carried (key header, ``timestamp``, ``signature``)."""
        return self._split[1]


RestHandler = Callable[[RestCall], tuple[Any, int]]


@dataclass(frozen=True)
class HttpReply:
    """A REST answer ready for the wire: status, JSON body bytes and headers."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def _reply(status: int, body: Any, headers: dict[str, str] | None = None) -> HttpReply:
    return HttpReply(
        status, orjson.dumps(body), {"Content-Type": JSON_CONTENT_TYPE, **(headers or {})}
    )


_GONE_HTML = (
    b"<html>\r\n<head><title>410 Gone</title></head>\r\n<body>\r\n"
    b"<center><h1>410 Gone</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


class Gone(ExchangeError):
    """A retired endpoint: HTTP 410 with nginx's HTML page, as Binance answers it today."""

    def __init__(self) -> None:
        super().__init__(0, "Gone", 410)


def gone(_call: RestCall) -> tuple[Any, int]:
    """The retired spot listen-key endpoints (``/api/v3/userDataStream``, removed 2026-02-20)."""
    raise Gone()


def error_reply(err: ExchangeError, headers: dict[str, str] | None = None) -> HttpReply:
    """Serialise a REST error: ``{"code","msg"}``, its HTTP status, ``Retry-After`` on 429/418.

    The only place a REST error is written (a retired endpoint's 410 is nginx HTML).
    """
    if isinstance(err, Gone):
        return HttpReply(410, _GONE_HTML, {"Content-Type": "text/html", **(headers or {})})
    extra = dict(headers or {})
    if isinstance(err, RateLimitError):
        extra["Retry-After"] = str(err.retry_after_s)
    return _reply(err.http_status, err.payload(), extra)


def market(query: md.QueryHandler) -> RestHandler:
    """Adapt a market-data query (shared with the WS API) to a REST handler.

    Signing fields are split off and kept by the auth layer, as the WS API does; public
    endpoints ignore them.
    """

    def handle(call: RestCall) -> tuple[Any, int]:
        q = md.Query(
            call.venue,
            call.exchange,
            Params(call.params, strict_symbol=call.venue == "spot"),
            call.now,
            call.micros,
        )
        return query(q)

    handle.__doc__ = query.__doc__
    return handle


def rest_answer(
    handler: RestHandler,
    access: Access,
    call: RestCall,
    limiter: WeightLimiter,
    forced: ExchangeError | None = None,
    *,
    error_weight: int = 0,
    headers: Callable[[RestCall], dict[str, str]] | None = None,
    weight_header: str = "X-MBX-USED-WEIGHT-1M",
) -> HttpReply:
    """Run a routed REST request under the caller's weight limit; return the reply.

    The request is authorised first (:func:`~mock_exchange.transports.auth.authorize`). A
    refused request costs the weight its error carries (a market-data query computes it from
    the parameters) or else ``error_weight``; ``headers`` adds headers to a successful answer
    (``X-MBX-ORDER-COUNT-*``). ``forced`` answers with that error instead (a control fault). A
    banned caller, or one whose window is spent, is refused before anything runs.
    """
    caller = call.request.remote
    try:
        if forced is not None:
            raise forced
        limiter.admit(caller, call.now)
        principal = authorize(
            access,
            call.credentials,
            call.exchange.accounts,
            call.now,
            call.request.signed_payloads,
        )
        if principal is not None:
            call = replace(call, principal=principal)
        body, weight = handler(call)
        used = limiter.charge(caller, weight, call.now)
    except ExchangeError as err:
        weight = err.weight if err.weight is not None else error_weight
        used = _charge_refusal(limiter, caller, weight, call.now, err)
        return error_reply(err, {weight_header: str(used)})
    except Exception:  # an emulator bug: the caller still gets a Binance error
        log.exception("REST %s %s failed", call.request.method, call.request.path)
        used = limiter.used(caller, call.now)
        return error_reply(unknown_error(), {weight_header: str(used)})
    if call.micros:
        body = to_micros(body)
    extra = headers(call) if headers is not None else {}
    return _reply(200, body, {weight_header: str(used), **extra})


def _charge_refusal(
    limiter: WeightLimiter, caller: str, weight: int, now: int, err: ExchangeError
) -> int:
    """Charge a refused request its weight (rate-limit refusals cost nothing more)."""
    if weight and not isinstance(err, RateLimitError):
        try:
            return limiter.charge(caller, weight, now)
        except RateLimitError:
            pass
    return limiter.used(caller, now)
