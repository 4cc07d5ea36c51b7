"""REST market data: the routing table and one place that serialises answers and errors.

``REST_ROUTES`` maps (service, HTTP method, path) to (venue, query); the queries are shared
with the WS API (:mod:`mock_exchange.transports.market_data`). Every answer carries
``X-MBX-USED-WEIGHT-1M``; a refused request gets 429 or 418 with ``Retry-After``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..engine.exchange import Exchange
from ..engine.markets import MarketKind
from ..engine.ratelimits import RateLimitError, WeightLimiter
from ..errors import ExchangeError
from ..routing import Service
from . import market_data as md
from .params import Params

__all__ = ["REST_ROUTES", "RestRoute", "rest_answer"]

RestRoute = tuple[MarketKind, md.QueryHandler]


def _table() -> dict[tuple[Service, str, str], RestRoute]:
    spot: dict[str, md.QueryHandler] = {
        "/api/v3/ping": md.ping,
        "/api/v3/time": md.server_time,
        "/api/v3/exchangeInfo": md.exchange_info,
        "/api/v3/depth": md.depth,
        "/api/v3/trades": md.trades,
        "/api/v3/historicalTrades": md.historical_trades,
        "/api/v3/aggTrades": md.agg_trades,
        "/api/v3/klines": md.klines,
        "/api/v3/uiKlines": md.klines,
        "/api/v3/avgPrice": md.avg_price,
        "/api/v3/ticker/price": md.ticker_price,
        "/api/v3/ticker/bookTicker": md.book_ticker,
        "/api/v3/ticker/24hr": md.ticker_24hr,
        "/api/v3/ticker": md.ticker_window,
    }
    usdm: dict[str, md.QueryHandler] = {
        "/fapi/v1/ping": md.ping,
        "/fapi/v1/time": md.server_time,
        "/fapi/v1/exchangeInfo": md.exchange_info,
        "/fapi/v1/depth": md.depth,
        "/fapi/v1/trades": md.trades,
        "/fapi/v1/aggTrades": md.agg_trades,
        "/fapi/v1/klines": md.klines,
        "/fapi/v1/ticker/24hr": md.ticker_24hr,
        "/fapi/v1/ticker/bookTicker": md.book_ticker,
        "/fapi/v1/ticker/price": md.ticker_price,
        "/fapi/v2/ticker/price": md.ticker_price,
        "/fapi/v1/premiumIndex": md.premium_index,
        "/fapi/v1/fundingRate": md.funding_rate,
    }
    coinm: dict[str, md.QueryHandler] = {
        "/dapi/v1/ping": md.ping,
        "/dapi/v1/time": md.server_time,
        "/dapi/v1/exchangeInfo": md.exchange_info,
        "/dapi/v1/depth": md.depth,
    }
    groups: list[tuple[Service, MarketKind, dict[str, md.QueryHandler]]] = [
        ("spot-rest", "spot", spot),
        ("usdm-rest", "usdm", usdm),
        ("coinm-rest", "coinm", coinm),
    ]
    return {
        (service, "GET", path): (venue, handler)
        for service, venue, paths in groups
        for path, handler in paths.items()
    }


REST_ROUTES: dict[tuple[Service, str, str], RestRoute] = _table()


def rest_answer(
    route: RestRoute,
    query: Mapping[str, str],
    exchange: Exchange,
    limiter: WeightLimiter,
    caller: str,
    now: int,
    forced: ExchangeError | None = None,
) -> tuple[int, Any, dict[str, str]]:
    """Run a routed REST request; return (HTTP status, JSON body, headers).

    This is the one place REST errors are serialised: ``{"code","msg"}`` with the error's
    HTTP status, plus ``Retry-After`` on 429/418.
    """
    venue, handler = route
    headers: dict[str, str] = {}
    try:
        if forced is not None:
            raise forced
        body, weight = handler(md.Query(venue, exchange, Params(query), now))
        used = limiter.charge(caller, weight, now)
        status = 200
    except ExchangeError as err:
        body, status = err.payload(), err.http_status
        if isinstance(err, RateLimitError):
            headers["Retry-After"] = str(err.retry_after_s)
        used = limiter.used(caller, now)
    headers["X-MBX-USED-WEIGHT-1M"] = str(used)
    return status, body, headers
