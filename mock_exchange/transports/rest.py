"""Spot REST market data: parse the query, call the engine, serialise the answer.

Handlers take the parsed request and return ``(body, weight)``; they raise
:class:`~mock_exchange.errors.ExchangeError` for Binance errors, which the server serialises
in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from ..engine.core import Engine
from ..engine.markets import spot_exchange_info
from ..errors import ExchangeError
from .payloads import spot_ticker_rest

__all__ = ["SPOT_ROUTES", "RestHandler", "RestRequest"]


@dataclass(frozen=True)
class RestRequest:
    """A parsed REST request as handlers see it."""

    method: str
    path: str
    params: Mapping[str, str]
    engine: Engine
    now: int


_SYMBOLS_ILLEGAL = (
    "Illegal characters found in parameter 'symbols'; legal range is "
    '\'^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$\'.'
)

RestHandler = Callable[[RestRequest], tuple[Any, int]]


def _symbols_param(req: RestRequest) -> list[str] | None:
    if "symbol" in req.params and "symbols" in req.params:
        raise ExchangeError(-1128, "Combination of optional parameters invalid.")
    if "symbol" in req.params:
        return [req.params["symbol"].upper()]
    if "symbols" in req.params:
        try:
            value = orjson.loads(req.params["symbols"])
        except orjson.JSONDecodeError:
            raise ExchangeError(-1100, _SYMBOLS_ILLEGAL) from None
        if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
            raise ExchangeError(-1100, _SYMBOLS_ILLEGAL)
        return [s.upper() for s in value]
    return None


def ping(req: RestRequest) -> tuple[Any, int]:
    """``GET /api/v3/ping``: an empty object."""
    return {}, 1


def server_time(req: RestRequest) -> tuple[Any, int]:
    """``GET /api/v3/time``: the engine clock."""
    return {"serverTime": req.now}, 1


def exchange_info(req: RestRequest) -> tuple[Any, int]:
    """``GET /api/v3/exchangeInfo`` with the ``symbol``/``symbols`` filters."""
    names = _symbols_param(req)
    markets = [m for m in req.engine.markets.values() if m.kind == "spot"]
    if names is not None:
        for name in names:
            if name not in req.engine.markets:
                raise ExchangeError(-1121, "Invalid symbol.")
        markets = [m for m in markets if m.symbol in names]
    return spot_exchange_info(markets, req.now), 20


def ticker_24hr(req: RestRequest) -> tuple[Any, int]:
    """``GET /api/v3/ticker/24hr`` (FULL type), one symbol or a list."""
    names = _symbols_param(req)
    if names is not None:
        for name in names:
            req.engine.market(name)
    if "symbol" in req.params:
        return spot_ticker_rest(req.engine, names[0], req.now), 2  # type: ignore[index]
    chosen = names if names is not None else sorted(req.engine.markets)
    weight = 80 if names is None else (2 if len(chosen) <= 20 else 40 if len(chosen) <= 100 else 80)
    return [spot_ticker_rest(req.engine, s, req.now) for s in chosen], weight


SPOT_ROUTES: dict[tuple[str, str], RestHandler] = {
    ("GET", "/api/v3/ping"): ping,
    ("GET", "/api/v3/time"): server_time,
    ("GET", "/api/v3/exchangeInfo"): exchange_info,
    ("GET", "/api/v3/ticker/24hr"): ticker_24hr,
}
