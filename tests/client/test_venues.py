"""Venues as data: each market type's URLs per environment, stream routing and user data."""

from __future__ import annotations

from dataclasses import replace

import pytest

import client
from client.environments import ENVIRONMENTS, endpoints_for
from client.errors import BadRequest, NotSupported
from client.venues import MARKET_TYPES, VENUES, market_venue, venue, venue_for_type

PROD = ENVIRONMENTS["prod"]
LOCAL = endpoints_for("local", "http://127.0.0.1:8123")


def test_rest_bases_per_venue_and_environment() -> None:
    """Each venue's REST base is its environment's host plus its API prefix."""
    assert venue("spot").rest_base(PROD) == "https://api.binance.com/api/v3"
    assert venue("future").rest_base(PROD) == "https://fapi.binance.com/fapi/v1"
    assert venue("delivery").rest_base(PROD) == "https://dapi.binance.com/dapi/v1"
    assert venue("papi").rest_base(PROD) == "https://papi.binance.com/papi/v1"
    assert venue("margin").rest_base(PROD) == "https://api.binance.com/sapi/v1"
    testnet = ENVIRONMENTS["testnet"]
    assert venue("future").rest_base(testnet) == "https://testnet.binancefuture.com/fapi/v1"
    assert venue("spot").rest_base(LOCAL) == "http://127.0.0.1:8123/api.binance.com/api/v3"
    assert venue("papi").rest_base(LOCAL) == "http://127.0.0.1:8123/papi.binance.com/papi/v1"


def test_venues_an_environment_lacks_are_refused() -> None:
    """Testnet has no /sapi and no portfolio margin: asking for them is NotSupported."""
    with pytest.raises(NotSupported, match="portfolio margin"):
        venue("papi").rest_base(ENVIRONMENTS["testnet"])
    with pytest.raises(NotSupported, match="margin"):
        venue("margin").rest_base(ENVIRONMENTS["testnet"])
    with pytest.raises(NotSupported, match="no WebSocket API"):
        venue("papi").ws_api_url(PROD)


def test_stream_routing_is_read_from_the_row() -> None:
    """USD-M routes book data to /public and the rest to /market; spot and COIN-M use /stream."""
    usdm = venue("future")
    assert usdm.stream_base(PROD, "depth") == "wss://fstream.binance.com/public/stream"
    assert usdm.stream_base(PROD, "trade") == "wss://fstream.binance.com/public/stream"
    assert usdm.stream_base(PROD, "kline") == "wss://fstream.binance.com/market/stream"
    assert venue("spot").stream_base(PROD, "depth") == "wss://stream.binance.com:9443/stream"
    assert venue("delivery").stream_base(PROD, "kline") == "wss://dstream.binance.com/stream"


def test_user_data_mechanisms() -> None:
    """Spot subscribes on the WS API, margin with a listen token, futures dial a listen key."""
    spot, margin = venue("spot"), venue("margin")
    assert spot.user_data.kind == "ws_api_subscribe"
    assert spot.ws_api_url(PROD) == "wss://ws-api.binance.com:443/ws-api/v3"
    assert margin.user_data.kind == "listen_token"
    assert margin.user_data.token_path == "/sapi/v1/userListenToken"
    assert margin.user_data.ws_api_method == "userDataStream.subscribe.listenToken"
    assert margin.ws_api_url(PROD) == spot.ws_api_url(PROD)
    usdm, coinm, papi = venue("future"), venue("delivery"), venue("papi")
    assert usdm.user_data.token_path == "/fapi/v1/listenKey"
    assert usdm.user_data_url(PROD, "K1") == "wss://fstream.binance.com/private/ws?listenKey=K1"
    assert coinm.user_data_url(PROD, "K2") == "wss://dstream.binance.com/ws/K2"
    assert papi.user_data_url(PROD, "K3") == "wss://fstream.binance.com/pm/ws/K3"
    assert usdm.user_data.refresh is not None and usdm.user_data.refresh < 3600
    with pytest.raises(NotSupported):
        spot.user_data_url(PROD, "K")


def test_type_option_and_market_lookup() -> None:
    """Type aliases resolve to rows; papi's public data is USD-M's; a market names its row."""
    assert MARKET_TYPES == ("spot", "future", "delivery")
    assert venue_for_type("swap") is VENUES["future"]
    assert venue_for_type("INVERSE") is VENUES["delivery"]
    assert VENUES[venue_for_type("papi").public] is VENUES["future"]
    with pytest.raises(BadRequest, match="unknown type"):
        venue_for_type("moon")
    spot = client.protocol.parse_market(
        {"symbol": "BTCUSDT", "baseAsset": "BTC", "quoteAsset": "USDT"}, "spot"
    )
    usdm = client.protocol.parse_market(
        {"symbol": "BTCUSDT", "baseAsset": "BTC", "quoteAsset": "USDT", "marginAsset": "USDT"},
        "future",
    )
    assert market_venue(spot).name == "spot" and market_venue(usdm).name == "future"


def test_a_swapped_environment_moves_every_venue(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hosts are read from the environment at call time, so replacing it moves every row."""
    moved = replace(PROD, usdm_rest="http://127.0.0.1:9")
    monkeypatch.setitem(ENVIRONMENTS, "prod", moved)
    ex = client.Binance(binance_env="prod")
    assert ex._rest_base(VENUES["future"], ex.options) == "http://127.0.0.1:9/fapi/v1"
