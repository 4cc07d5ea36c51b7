"""Venues as data: one row per Binance market type, read instead of branching on ``spot``.

A :class:`Venue` says where a market type lives and what it offers: its REST base (a host of
:class:`~client.environments.Endpoints`, so every environment is covered, plus a path prefix),
its stream host and how streams route under it (USD-M sends book data to ``/public`` and the
rest to ``/market``), its WebSocket API, and how its user data reaches a client
(:class:`UserDataSpec`). Hosts are looked up in the environment at call time, so a test that
swaps an environment's :class:`~client.environments.Endpoints` moves every venue with it.

Rows: ``spot``, ``future`` (USD-M), ``delivery`` (COIN-M), and the private-only ``papi``
(portfolio margin, whose public data is USD-M's) and ``margin`` (whose public data is spot's).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from .environments import Endpoints
from .errors import BadRequest, NotSupported
from .types import Market

__all__ = [
    "MARKET_TYPES",
    "VENUES",
    "UserDataKind",
    "UserDataSpec",
    "Venue",
    "market_venue",
    "venue",
    "venue_for_type",
]

UserDataKind = Literal["ws_api_subscribe", "listen_token", "listen_key"]
"""How user data reaches a client.

``ws_api_subscribe``: subscribe on the venue's WebSocket API (spot: ``session.logon`` +
``userDataStream.subscribe``, or ``userDataStream.subscribe.signature``); events arrive on that
connection wrapped as ``{"subscriptionId","event"}``. ``listen_token``: get a token over REST
(margin: ``POST /sapi/v1/userListenToken``), then ``userDataStream.subscribe.listenToken`` on the
spot WebSocket API. ``listen_key``: create and keep alive a listen key over REST, then dial a
stream URL that contains it (USD-M ``/private/ws?listenKey=``, COIN-M ``/ws/<key>``).
"""


@dataclass(frozen=True)
class UserDataSpec:
    """How one venue delivers user data (binance-protocol.md 4.8, 6.1, 6.3, 6.5).

    Attributes:
        kind: the mechanism (:data:`UserDataKind`).
        ws_api_method: the WebSocket API method that subscribes (``ws_api_subscribe`` and
            ``listen_token``).
        token_path: the REST path that creates (``POST``), extends (``PUT``) and closes
            (``DELETE``) a listen key, or creates a listen token.
        stream_path: where a listen key is dialled, under the venue's stream host; ``{key}``
            is replaced by the key.
        refresh: seconds between keep-alives (listen keys live 60 min; Binance suggests a
            ``PUT`` every 30) or before a token must be replaced (24 h); None: the
            subscription lives as long as its connection.
    """

    kind: UserDataKind
    ws_api_method: str | None = None
    token_path: str | None = None
    stream_path: str | None = None
    refresh: float | None = None


@dataclass(frozen=True)
class Venue:
    """One market type: where it lives and what it offers.

    Attributes:
        name: the ``type`` option value (``spot``, ``future``, ``delivery``, ``papi``, ``margin``).
        label: how messages name it (``USD-M``).
        public: the venue whose markets, streams and WS API serve this venue's public data.
        rest: the :class:`~client.environments.Endpoints` field holding the REST host.
        rest_prefix: the path prefix of its REST API (``/api/v3``).
        streams: the Endpoints field holding the market-stream host.
        stream_routes: channel -> path under the stream host where Binance routes it;
            channels not listed use ``default_route``.
        ws_api: the Endpoints field holding the WebSocket API URL (None: there is none).
        user_data: how user data is delivered.
        environments: environments that offer it (testnet has no ``/sapi`` and no papi).
        has_markets: it has an ``exchangeInfo`` of its own (loaded by ``load_markets``).
        max_depth_limit: the largest ``limit`` its REST depth snapshot accepts.
        all_book_tickers: the all-market best bid/ask stream (spot has none).
        mark_prices, liquidations: it has mark-price and liquidation streams (futures only).
        ws_ticker_method: the WS API method ``fetch_ticker_ws`` calls.
        ws_trades, ws_klines: its WS API has trades / klines methods.
    """

    name: str
    label: str
    public: str
    rest: str
    rest_prefix: str
    streams: str
    user_data: UserDataSpec
    stream_routes: Mapping[str, str] = field(default_factory=dict)
    default_route: str = ""
    ws_api: str | None = None
    environments: frozenset[str] = frozenset({"prod", "testnet", "demo", "local"})
    has_markets: bool = False
    max_depth_limit: int = 1000
    all_book_tickers: str | None = None
    mark_prices: bool = False
    liquidations: bool = False
    ws_ticker_method: str = "ticker.book"
    ws_trades: bool = False
    ws_klines: bool = False

    def _host(self, endpoints: Endpoints, field_name: str) -> str:
        host = str(getattr(endpoints, field_name))
        if not host or endpoints.name not in self.environments:
            raise NotSupported(f"binance {self.label} is not offered on {endpoints.name}")
        return host

    def rest_host(self, endpoints: Endpoints) -> str:
        """Return the REST host without a path (``https://fapi.binance.com``), for endpoints
        under another prefix than :attr:`rest_prefix` (``/fapi/v2/account``).

        Raises:
            NotSupported: the environment does not offer this venue.
        """
        return self._host(endpoints, self.rest)

    def rest_base(self, endpoints: Endpoints) -> str:
        """Return the REST base URL with its prefix (``https://api.binance.com/api/v3``).

        Raises:
            NotSupported: the environment does not offer this venue.
        """
        return self._host(endpoints, self.rest) + self.rest_prefix

    def stream_base(self, endpoints: Endpoints, channel: str) -> str:
        """Return the combined-stream URL for ``channel`` (``.../public/stream`` on USD-M)."""
        route = self.stream_routes.get(channel, self.default_route)
        return f"{self._host(endpoints, self.streams)}{route}/stream"

    def ws_api_url(self, endpoints: Endpoints) -> str:
        """Return the WebSocket API URL.

        Raises:
            NotSupported: the venue has no WebSocket API.
        """
        if self.ws_api is None:
            raise NotSupported(f"binance {self.label} has no WebSocket API")
        return self._host(endpoints, self.ws_api)

    def user_data_url(self, endpoints: Endpoints, key: str) -> str:
        """Return the stream URL that carries the user data of listen key ``key``.

        Raises:
            NotSupported: the venue delivers user data over its WebSocket API instead.
        """
        path = self.user_data.stream_path
        if path is None:
            raise NotSupported(f"binance {self.label} user data has no listen-key stream")
        return self._host(endpoints, self.streams) + path.format(key=key)


# USD-M routes high-frequency book data to /public and everything else to /market
# (binance-protocol.md 3.1); user data goes to /private
_USDM_ROUTES = {"depth": "/public", "bookTicker": "/public", "trade": "/public"}
_LISTEN_KEY_REFRESH = 30 * 60.0
_LISTEN_TOKEN_VALIDITY = 24 * 3600.0

VENUES: dict[str, Venue] = {
    v.name: v
    for v in (
        Venue(
            name="spot",
            label="spot",
            public="spot",
            rest="spot_rest",
            rest_prefix="/api/v3",
            streams="spot_streams",
            ws_api="spot_ws_api",
            user_data=UserDataSpec(
                "ws_api_subscribe", ws_api_method="userDataStream.subscribe.signature"
            ),
            has_markets=True,
            max_depth_limit=5000,
            ws_ticker_method="ticker.24hr",
            ws_trades=True,
            ws_klines=True,
        ),
        Venue(
            name="future",
            label="USD-M",
            public="future",
            rest="usdm_rest",
            rest_prefix="/fapi/v1",
            streams="usdm_streams",
            stream_routes=_USDM_ROUTES,
            default_route="/market",
            ws_api="usdm_ws_api",
            user_data=UserDataSpec(
                "listen_key",
                token_path="/fapi/v1/listenKey",
                stream_path="/private/ws?listenKey={key}",
                refresh=_LISTEN_KEY_REFRESH,
            ),
            has_markets=True,
            all_book_tickers="!bookTicker",
            mark_prices=True,
            liquidations=True,
        ),
        Venue(
            name="delivery",
            label="COIN-M",
            public="delivery",
            rest="coinm_rest",
            rest_prefix="/dapi/v1",
            streams="coinm_streams",
            ws_api="coinm_ws_api",
            user_data=UserDataSpec(
                "listen_key",
                token_path="/dapi/v1/listenKey",
                stream_path="/ws/{key}",
                refresh=_LISTEN_KEY_REFRESH,
            ),
            has_markets=True,
            all_book_tickers="!bookTicker",
            mark_prices=True,
            liquidations=True,
        ),
        Venue(
            name="papi",
            label="portfolio margin",
            public="future",
            rest="papi_rest",
            rest_prefix="/papi/v1",
            streams="usdm_streams",
            user_data=UserDataSpec(
                "listen_key",
                token_path="/papi/v1/listenKey",
                stream_path="/pm/ws/{key}",
                refresh=_LISTEN_KEY_REFRESH,
            ),
            environments=frozenset({"prod", "local"}),
        ),
        Venue(
            name="margin",
            label="margin",
            public="spot",
            rest="spot_rest",
            rest_prefix="/sapi/v1",
            streams="spot_streams",
            ws_api="spot_ws_api",
            user_data=UserDataSpec(
                "listen_token",
                ws_api_method="userDataStream.subscribe.listenToken",
                token_path="/sapi/v1/userListenToken",
                refresh=_LISTEN_TOKEN_VALIDITY,
            ),
            environments=frozenset({"prod", "demo", "local"}),
        ),
    )
}

MARKET_TYPES = tuple(name for name, v in VENUES.items() if v.has_markets)
"""Market types with public data of their own: spot, USD-M (``future``), COIN-M (``delivery``)."""

_TYPE_ALIASES = {
    "spot": "spot",
    "future": "future",
    "swap": "future",
    "linear": "future",
    "usdm": "future",
    "delivery": "delivery",
    "inverse": "delivery",
    "coinm": "delivery",
    "papi": "papi",
    "margin": "margin",
    "cross": "margin",
}


def venue(name: str) -> Venue:
    """Return the venue row ``name`` (``spot``, ``future``, ``delivery``, ``papi``, ``margin``)."""
    return VENUES[name]


def venue_for_type(value: object) -> Venue:
    """Return the venue a ``type`` option names (aliases ``swap``, ``linear``, ``inverse``...).

    Raises:
        BadRequest: not a known type.
    """
    name = _TYPE_ALIASES.get(str(value).lower())
    if name is None:
        raise BadRequest(f"unknown type {value!r}; expected spot, margin, future, delivery")
    return VENUES[name]


def market_venue(m: Market) -> Venue:
    """Return the venue a loaded market belongs to."""
    if m["spot"]:
        return VENUES["spot"]
    return VENUES["future" if m["linear"] else "delivery"]
