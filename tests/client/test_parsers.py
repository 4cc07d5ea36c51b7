"""Unified-structure parsers."""

from __future__ import annotations

from client.protocol.parsers import iso8601, parse_market, parse_ticker, to_float
from client.types import Symbol

TICKER = {
    "e": "24hrTicker",
    "E": 1672515782136,
    "s": "BNBBTC",
    "p": "0.0015",
    "P": "250.00",
    "w": "0.0018",
    "x": "0.0009",
    "c": "0.0025",
    "Q": "10",
    "b": "0.0024",
    "B": "10",
    "a": "0.0026",
    "A": "100",
    "o": "0.0010",
    "h": "0.0025",
    "l": "0.0010",
    "v": "10000",
    "q": "18",
    "O": 0,
    "C": 86400000,
    "F": 0,
    "L": 18150,
    "n": 18151,
}


def test_parse_ticker_event() -> None:
    """The documented 24hrTicker payload maps to CCXT's ticker fields."""
    t = parse_ticker(TICKER, Symbol("BNB/BTC"))
    assert t["symbol"] == "BNB/BTC"
    assert t["timestamp"] == 86400000
    assert t["datetime"] == "1970-01-02T00:00:00.000Z"
    assert (t["bid"], t["ask"], t["last"], t["close"]) == (0.0024, 0.0026, 0.0025, 0.0025)
    assert (t["open"], t["high"], t["low"]) == (0.001, 0.0025, 0.001)
    assert t["previousClose"] == 0.0009
    assert t["change"] == 0.0015 and t["percentage"] == 250.0
    assert t["average"] == (0.001 + 0.0025) / 2
    assert (t["baseVolume"], t["quoteVolume"], t["vwap"]) == (10000.0, 18.0, 0.0018)
    assert t["info"] is TICKER


def test_parse_ticker_rest_names() -> None:
    """The REST ticker/24hr object parses with the same result fields."""
    rest = {
        "symbol": "BTCUSDT",
        "lastPrice": "5",
        "openPrice": "4",
        "closeTime": 1000,
        "bidPrice": "",
        "askPrice": None,
    }
    t = parse_ticker(rest, Symbol("BTC/USDT"))
    assert (t["last"], t["open"], t["timestamp"], t["bid"], t["ask"]) == (
        5.0,
        4.0,
        1000,
        None,
        None,
    )


def test_to_float_and_iso() -> None:
    """Helpers tolerate missing values."""
    assert to_float("x") is None and to_float(None) is None and to_float("1.5") == 1.5
    assert iso8601(None) is None
    assert iso8601(1767225600123) == "2026-01-01T00:00:00.123Z"


def test_parse_market() -> None:
    """A spot exchangeInfo symbol becomes a CCXT market with precision and limits."""
    info = {
        "symbol": "ETHBTC",
        "status": "TRADING",
        "baseAsset": "ETH",
        "quoteAsset": "BTC",
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": "0.00000100",
                "maxPrice": "100000",
                "tickSize": "0.00000100",
            },
            {"filterType": "LOT_SIZE", "minQty": "0.001", "maxQty": "100000", "stepSize": "0.001"},
            {"filterType": "NOTIONAL", "minNotional": "0.0001", "maxNotional": "9000000"},
        ],
    }
    m = parse_market(info)
    assert (m["id"], m["symbol"], m["spot"], m["active"]) == ("ETHBTC", "ETH/BTC", True, True)
    assert m["precision"] == {"amount": 0.001, "price": 0.000001}
    assert m["limits"]["cost"]["min"] == 0.0001
