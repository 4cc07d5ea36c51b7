"""Every route of every verb, in one table, and the one function that looks a request up in it.

A request reaches the emulator as ``/HOST/PATH`` (the URL rule, :mod:`mock_exchange.hosts`).
The host names a service (``spot-rest``, ``usdm-streams``...); :func:`route` then finds:

- a market-stream entry point (:data:`STREAM_ENDPOINTS`, WebSocket upgrades), keyed by the
  service and the parsed path's prefix (:mod:`mock_exchange.transports.stream_paths`);
- a WS API endpoint (:data:`WSAPI_ENDPOINTS`, WebSocket upgrades);
- a REST route (:data:`REST_ROUTES`), keyed by (service, HTTP method, path), with the venue,
  the handler and the security type it needs;
- otherwise :class:`NoRoute`, which the front answers with the explicit ``-1020`` error.

``docs/emulator.md``'s surface table is generated from these tables
(:mod:`mock_exchange.surface`).
"""

from __future__ import annotations

from dataclasses import dataclass

from .engine.markets import MarketKind
from .hosts import (
    HOSTS,
    URL_RULE,
    Environment,
    HostInfo,
    Service,
    resolve,
    rewrite_url,
    service_for,
)
from .private_routes import PRIVATE_ENDPOINTS, PRIVATE_SERVICE
from .transports import futures_data as fd
from .transports import market_data as md
from .transports import private
from .transports import tickers as tk
from .transports.auth import ACCESS_PUBLIC, Access, Security
from .transports.request import RawRequest
from .transports.rest import RestCall, RestHandler, gone, market
from .transports.sapi_account import system_status
from .transports.stream_paths import Category, ListenKeyPath, MarketStreamPath, parse_stream_path
from .transports.user_data import USER_DATA_METHODS
from .transports.ws_api import WsApiMethod, public

__all__ = [
    "HOSTS",
    "PRIVATE_ENDPOINTS",
    "REST_ROUTES",
    "STREAM_ENDPOINTS",
    "URL_RULE",
    "WSAPI_ENDPOINTS",
    "WSAPI_METHODS",
    "Environment",
    "HostInfo",
    "Match",
    "NoRoute",
    "RestMatch",
    "RestRoute",
    "Service",
    "StreamMatch",
    "WsApiMatch",
    "resolve",
    "rewrite_url",
    "route",
]


@dataclass(frozen=True)
class RestRoute:
    """One REST endpoint: where it is served, its venue, handler, access and accounting.

    ``error_weight`` is what a refused request costs; ``counts_orders`` adds the account's
    ``X-MBX-ORDER-COUNT-*`` headers to a successful answer.
    """

    service: Service
    method: str
    path: str
    venue: MarketKind
    handler: RestHandler
    access: Access = ACCESS_PUBLIC
    error_weight: int = 0
    counts_orders: bool = False

    @property
    def weight_group(self) -> str:
        """Which request-weight limiter the route charges: ``sapi`` for ``/sapi/`` paths (their
        own IP limit on Binance), else its venue's."""
        return "sapi" if self.path.startswith("/sapi/") else self.venue

    @property
    def weight_header(self) -> str:
        """The response header reporting the used weight."""
        return "X-SAPI-USED-IP-WEIGHT-1M" if self.weight_group == "sapi" else "X-MBX-USED-WEIGHT-1M"

    @property
    def security(self) -> Security:
        """The route's Binance security type."""
        return self.access.security

    def headers(self, call: RestCall) -> dict[str, str]:
        """Return the extra headers of a successful answer (order counts on order routes)."""
        if not self.counts_orders or call.principal is None:
            return {}
        return call.principal.account.orders.headers(call.now)


def _rest_table() -> dict[tuple[Service, str, str], RestRoute]:
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
        "/api/v3/ticker/price": tk.ticker_price,
        "/api/v3/ticker/bookTicker": tk.book_ticker,
        "/api/v3/ticker/24hr": tk.ticker_24hr,
        "/api/v3/ticker": tk.ticker_window,
        "/api/v3/ticker/tradingDay": tk.ticker_trading_day,
        "/sapi/v1/system/status": system_status,
    }
    # what USD-M and COIN-M both serve, under /fapi/v1 and /dapi/v1
    futures: dict[str, md.QueryHandler] = {
        "ping": md.ping,
        "time": md.server_time,
        "exchangeInfo": md.exchange_info,
        "depth": md.depth,
        "trades": md.trades,
        "historicalTrades": md.historical_trades,
        "aggTrades": md.agg_trades,
        "klines": md.klines,
        "continuousKlines": fd.continuous_klines,
        "markPriceKlines": fd.mark_price_klines,
        "indexPriceKlines": fd.index_price_klines,
        "premiumIndexKlines": fd.premium_index_klines,
        "ticker/24hr": tk.ticker_24hr,
        "ticker/bookTicker": tk.book_ticker,
        "ticker/price": tk.ticker_price,
        "premiumIndex": fd.premium_index,
        "fundingRate": fd.funding_rate,
        "fundingInfo": fd.funding_info,
        "openInterest": fd.open_interest,
    }
    usdm = {f"/fapi/v1/{name}": query for name, query in futures.items()}
    usdm["/fapi/v2/ticker/price"] = tk.ticker_price
    coinm = {f"/dapi/v1/{name}": query for name, query in futures.items()}
    groups: list[tuple[Service, MarketKind, dict[str, md.QueryHandler]]] = [
        ("spot-rest", "spot", spot),
        ("usdm-rest", "usdm", usdm),
        ("coinm-rest", "coinm", coinm),
    ]
    routes = [
        RestRoute(service, "GET", path, venue, market(query))
        for service, venue, paths in groups
        for path, query in paths.items()
    ]
    # the retired spot listen-key endpoints answer as Binance prod does today: 410 Gone
    routes += [
        RestRoute("spot-rest", verb, "/api/v3/userDataStream", "spot", gone)
        for verb in ("POST", "PUT", "DELETE")
    ]
    for venue, endpoints in PRIVATE_ENDPOINTS.items():
        for ep in endpoints:
            if ep.rest is not None:
                verb, path = ep.rest
                routes.append(
                    RestRoute(
                        PRIVATE_SERVICE[venue],
                        verb,
                        path,
                        venue,
                        private.rest(ep.handler),
                        ep.access,
                        ep.error_weight,
                        ep.counts_orders,
                    )
                )
    return {(r.service, r.method, r.path): r for r in routes}


REST_ROUTES: dict[tuple[Service, str, str], RestRoute] = _rest_table()

# Market-stream entry points: (service, path prefix) -> (venue, category). ``None`` is no
# prefix (``/ws``, ``/stream``); USD-M also serves ``/public`` and ``/market``.
STREAM_ENDPOINTS: dict[tuple[Service, str | None], tuple[MarketKind, Category]] = {
    ("spot-streams", None): ("spot", "all"),
    ("usdm-streams", "public"): ("usdm", "public"),
    ("usdm-streams", "market"): ("usdm", "market"),
    ("usdm-streams", None): ("usdm", "root"),
    ("usdm-streams", "private"): ("usdm", "private"),
    ("coinm-streams", None): ("coinm", "all"),
}
# WS API entry points: (service, path) -> venue.
WSAPI_ENDPOINTS: dict[tuple[Service, str], MarketKind] = {
    ("spot-wsapi", "/ws-api/v3"): "spot",
    ("usdm-wsapi", "/ws-fapi/v1"): "usdm",
    ("futures-testnet", "/ws-fapi/v1"): "usdm",
    ("coinm-wsapi", "/ws-dapi/v1"): "coinm",
}


# WS API methods per venue; each maps to the market-data query REST uses, so both agree.
_SPOT_WSAPI: dict[str, md.QueryHandler] = {
    "ping": md.ping,
    "time": md.server_time,
    "exchangeInfo": md.exchange_info,
    "depth": md.depth,
    "trades.recent": md.trades,
    "trades.historical": md.historical_trades,
    "trades.aggregate": md.agg_trades,
    "klines": md.klines,
    "uiKlines": md.klines,
    "avgPrice": md.avg_price,
    "ticker.24hr": tk.ticker_24hr,
    "ticker.tradingDay": tk.ticker_trading_day,
    "ticker.price": tk.ticker_price,
    "ticker.book": tk.book_ticker,
    "ticker": tk.ticker_window,
}
_USDM_WSAPI: dict[str, md.QueryHandler] = {
    "depth": md.depth,
    "ticker.price": tk.ticker_price,
    "ticker.book": tk.book_ticker,
}
# ws-dapi documents only signed methods (account, order, user data streams): the private
# endpoints' WS API names serve them, and no method is public.
_COINM_WSAPI: dict[str, md.QueryHandler] = {}


def _ws_methods(venue: MarketKind, queries: dict[str, md.QueryHandler]) -> dict[str, WsApiMethod]:
    methods = {name: WsApiMethod(public(query)) for name, query in queries.items()}
    for ep in PRIVATE_ENDPOINTS.get(venue, ()):
        if ep.ws is not None:
            methods[ep.ws] = WsApiMethod(
                private.ws(ep.handler),
                ep.access,
                error_weight=ep.error_weight,
                counts_orders=ep.counts_orders,
            )
    return methods


# ws-fapi has the session methods (logon, status, logout) but no WS API user-data subscriptions
_SESSION_METHODS = {
    name: method
    for name, method in USER_DATA_METHODS.items()
    if name in ("session.logon", "session.status", "session.logout")
}
WSAPI_METHODS: dict[MarketKind, dict[str, WsApiMethod]] = {
    "spot": {**_ws_methods("spot", _SPOT_WSAPI), **USER_DATA_METHODS},
    "usdm": {**_ws_methods("usdm", _USDM_WSAPI), **_SESSION_METHODS},
    "coinm": {
        name: method
        for name, method in _ws_methods("coinm", _COINM_WSAPI).items()
        if not name.startswith("algoOrder.")  # not a ws-dapi method in Binance's docs
    },
}


@dataclass(frozen=True)
class RestMatch:
    """A REST route for the request."""

    route: RestRoute


@dataclass(frozen=True)
class StreamMatch:
    """A market-stream entry point, with the parsed path."""

    venue: MarketKind
    category: Category
    path: MarketStreamPath


@dataclass(frozen=True)
class WsApiMatch:
    """A WS API endpoint."""

    venue: MarketKind


@dataclass(frozen=True)
class NoRoute:
    """Nothing serves the request: the explicit ``-1020`` answer."""


Match = RestMatch | StreamMatch | WsApiMatch | NoRoute


def route(request: RawRequest, *, upgrade: bool) -> Match:
    """Look ``request`` up: WebSocket entry points first (on an upgrade), then REST routes.

    ``/ws/<listenKey>`` and ``/private/ws?listenKey=`` open a stream connection whose stream is
    the listen key (the account's user data).
    """
    service = service_for(request.host, request.path)
    if upgrade:
        parsed = parse_stream_path(request.path, request.query)
        if isinstance(parsed, ListenKeyPath):
            parsed = parsed.as_market()
        if isinstance(parsed, MarketStreamPath):
            entry = STREAM_ENDPOINTS.get((service, parsed.prefix))
            if entry is not None:
                return StreamMatch(entry[0], entry[1], parsed)
        venue = WSAPI_ENDPOINTS.get((service, request.path.rstrip("/")))
        if venue is not None:
            return WsApiMatch(venue)
    rest = REST_ROUTES.get((service, request.method, request.path))
    if rest is not None:
        return RestMatch(rest)
    return NoRoute()
