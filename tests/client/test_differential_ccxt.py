"""Differential tests: for the same raw Binance payloads (literals from Binance's docs), our
unified structures equal ccxt's parse results field by field.

ccxt (a test-only dependency) runs offline: a ``ccxt.pro.binance`` instance whose markets are
parsed from literal exchangeInfo entries; nothing touches the network. Intentional differences
are listed in docs/client.md; none of them shows up for these payloads.
"""

from __future__ import annotations

from typing import Any

import pytest

from client.protocol.book import BookSync
from client.protocol.parsers import (
    parse_bid_ask,
    parse_liquidation,
    parse_mark_price,
    parse_market,
    parse_ohlcv,
    parse_order_book,
    parse_ticker,
    parse_trade,
)
from client.types import Market, Symbol
from tests.client.test_parsers import TICKER
from tests.e2e.loopback import COINM_INFO, SPOT_INFO, USDM_INFO

ccxt_pro = pytest.importorskip("ccxt.pro")


class _FakeClient:
    """What ccxt's handlers read from a client: the URL (spot detection) and resolve()."""

    def __init__(self, url: str) -> None:
        self.url = url

    def resolve(self, *args: Any) -> None:
        """Ignore resolutions (no one is waiting)."""


def ours(kind: str, index: int = 0) -> Market:
    """Our market parsed from the same literal."""
    info = {"spot": SPOT_INFO, "future": USDM_INFO, "delivery": COINM_INFO}[kind]
    return parse_market(info["symbols"][index], kind)  # type: ignore[index]


def same(theirs: dict[str, Any], mine: Any, *, except_: frozenset[str] = frozenset()) -> None:
    """Assert both dicts have the same keys and equal values (but the listed differences)."""
    assert set(theirs) == set(mine)
    diffs = {k: (theirs[k], mine[k]) for k in theirs if theirs[k] != mine[k] and k not in except_}
    assert not diffs


SPOT_TICKER = {**TICKER, "s": "BTCUSDT"}  # the docs' 24hrTicker, on a loaded market
MINI = {
    "e": "24hrMiniTicker",
    "E": 1672515782136,
    "s": "BTCUSDT",
    "c": "0.0025",
    "o": "0.0010",
    "h": "0.0025",
    "l": "0.0010",
    "v": "10000",
    "q": "18",
}
FUT_TICKER = {k: v for k, v in SPOT_TICKER.items() if k not in "xbBaA"}
COINM_TICKER = {**FUT_TICKER, "s": "BTCUSD_PERP", "w": "9000.5", "v": "120", "q": "0.1333"}
COINM_MINI = {**MINI, "s": "BTCUSD_PERP", "v": "120", "q": "0.1333"}


@pytest.mark.parametrize(
    ("raw", "kind", "ccxt_type"),
    [
        (SPOT_TICKER, "spot", "spot"),
        (MINI, "spot", "spot"),
        (FUT_TICKER, "future", "swap"),
        ({**MINI, "c": "0", "o": "0"}, "future", "swap"),
        (COINM_TICKER, "delivery", "swap"),
        (COINM_MINI, "delivery", "swap"),
    ],
)
def test_ticker_equals_ccxt(cx: Any, raw: dict[str, Any], kind: str, ccxt_type: str) -> None:
    """24hrTicker and miniTicker (spot, USD-M, COIN-M) parse to ccxt's ticker exactly."""
    m = ours(kind)
    same(cx.parse_ws_ticker(raw, ccxt_type), parse_ticker(raw, m["symbol"], m))


@pytest.mark.parametrize(
    ("raw", "kind", "ccxt_type"),
    [
        (
            {"u": 400900217, "s": "BTCUSDT", "b": "25.3519", "B": "31.21", "a": "25.3652"},
            "spot",
            "spot",
        ),
        (
            {"e": "bookTicker", "u": 400900217, "E": 1568014460893, "T": 1568014460891}
            | {"s": "BTCUSDT", "b": "25.35190000", "B": "31.21000000", "a": "25.36520000"}
            | {"A": "40.66000000"},
            "future",
            "swap",
        ),
    ],
)
def test_bid_ask_equals_ccxt(cx: Any, raw: dict[str, Any], kind: str, ccxt_type: str) -> None:
    """bookTicker (spot without E, futures with E) parses to ccxt's bid/ask ticker."""
    m = ours(kind)
    same(cx.parse_ws_ticker(raw, ccxt_type), parse_bid_ask(raw, m["symbol"], m))


def test_mark_price_equals_ccxt(cx: Any) -> None:
    """markPriceUpdate parses to ccxt's mark-price ticker (funding rate stays in info)."""
    raw = {
        "e": "markPriceUpdate",
        "E": 1562305380000,
        "s": "BTCUSDT",
        "p": "11794.15000000",
        "i": "11784.62659091",
        "P": "11784.25641265",
        "r": "0.00038167",
        "T": 1562306400000,
    }
    m = ours("future")
    same(cx.parse_ws_ticker(raw, "swap"), parse_mark_price(raw, m["symbol"], m))


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (
            {"e": "trade", "E": 1672515782136, "s": "BTCUSDT", "t": 12345, "p": "0.001"}
            | {"q": "100", "T": 1672515782136, "m": True, "M": True},
            "spot",
        ),
        (
            {"e": "aggTrade", "E": 123456789, "s": "BTCUSDT", "a": 5933014, "p": "0.001"}
            | {"q": "100", "nq": "100", "f": 100, "l": 105, "T": 123456785, "m": False},
            "future",
        ),
        (
            {"e": "aggTrade", "E": 1672515782136, "s": "BTCUSDT", "a": 12345, "p": "0.001"}
            | {"q": "100", "f": 100, "l": 105, "T": 1672515782136, "m": True, "M": True},
            "spot",
        ),
    ],
)
def test_trade_equals_ccxt(cx: Any, raw: dict[str, Any], kind: str) -> None:
    """trade and aggTrade events parse to ccxt's trade exactly."""
    m = ours(kind)
    ccxt_market = cx.markets[m["symbol"]]
    same(cx.parse_ws_trade(raw, ccxt_market), parse_trade(raw, m["symbol"]))


def test_ohlcv_equals_ccxt(cx: Any) -> None:
    """A kline event gives the same candle as ccxt's handler stores."""
    raw = {
        "e": "kline",
        "E": 1672515782136,
        "s": "BTCUSDT",
        "k": {
            "t": 1672515780000,
            "T": 1672515839999,
            "s": "BTCUSDT",
            "i": "1m",
            "f": 100,
            "L": 200,
            "o": "0.0010",
            "c": "0.0020",
            "h": "0.0025",
            "l": "0.0015",
            "v": "1000",
            "n": 100,
            "x": False,
            "q": "1.0000",
            "V": "500",
            "Q": "0.500",
            "B": "123456",
        },
    }
    cx.handle_ohlcv(_FakeClient("wss://stream.binance.com:9443/stream"), raw)
    assert cx.ohlcvs["BTC/USDT"]["1m"][-1] == parse_ohlcv(raw)


SNAPSHOT = {
    "lastUpdateId": 1027024,
    "E": 1589436922972,
    "T": 1589436922959,
    "bids": [["4.00000000", "431.00000000"], ["3.9", "1"]],
    "asks": [["4.00000200", "12.00000000"], ["4.1", "2"]],
}


@pytest.mark.parametrize("kind", ["spot", "future"])
def test_order_book_snapshot_and_diffs_equal_ccxt(cx: Any, kind: str) -> None:
    """A depth snapshot parses, and diffs apply, to the same book ccxt maintains."""
    m = ours(kind)
    raw = SNAPSHOT if kind == "future" else {k: v for k, v in SNAPSHOT.items() if k in "bidsasks"}
    if kind == "spot":
        raw = {**raw, "lastUpdateId": 1027024}
    theirs = cx.parse_order_book(raw, m["symbol"], raw.get("T"))
    theirs["nonce"] = raw["lastUpdateId"]
    same(theirs, parse_order_book(raw, m["symbol"]))
    book = cx.order_book({})
    book.reset(theirs)
    mine = BookSync(m["symbol"], futures=kind == "future")
    mine.on_snapshot(raw)
    diffs = [
        {"e": "depthUpdate", "E": 1589436923000, "s": "BTCUSDT", "U": 1027025, "u": 1027026}
        | {"b": [["4.00000000", "0"], ["3.95", "7"]], "a": [["4.05", "1"]], "pu": 1027024},
        {"e": "depthUpdate", "E": 1589436924000, "s": "BTCUSDT", "U": 1027027, "u": 1027030}
        | {"b": [["3.9", "2.5"]], "a": [["4.00000200", "0"], ["5", "0"]], "pu": 1027026},
    ]
    for d in diffs:
        cx.handle_order_book_message(_FakeClient(""), d, book)
        mine.on_diff(d)
    got = mine.book()
    assert [list(x) for x in book["bids"]] == got["bids"]
    assert [list(x) for x in book["asks"]] == got["asks"]
    assert (book["nonce"], book["timestamp"], book["datetime"]) == (
        got["nonce"],
        got["timestamp"],
        got["datetime"],
    )


@pytest.mark.parametrize(
    ("o", "kind"),
    [
        (
            {"s": "BTCUSDT", "S": "SELL", "o": "LIMIT", "f": "IOC", "q": "0.014", "p": "9910"}
            | {"ap": "9910", "X": "FILLED", "l": "0.014", "z": "0.014", "T": 1568014460893},
            "future",
        ),
        (
            {"s": "BTCUSD_PERP", "ps": "BTCUSD", "S": "BUY", "o": "LIMIT", "f": "IOC", "q": "1"}
            | {
                "p": "9425.5",
                "ap": "9496.5",
                "X": "FILLED",
                "l": "1",
                "z": "1",
                "T": 1591154240949,
            },
            "delivery",
        ),
    ],
)
def test_liquidation_equals_ccxt(cx: Any, o: dict[str, Any], kind: str) -> None:
    """forceOrder orders parse to ccxt's liquidation (USD-M and COIN-M); the one listed
    difference: ccxt's liquidation loses the contract size, we report the market's."""
    m = ours(kind)
    theirs = cx.parse_ws_liquidation(o, cx.markets[m["symbol"]])
    mine = parse_liquidation({"e": "forceOrder", "E": 1, "o": o}, Symbol(m["symbol"]), m)
    same(theirs, mine, except_=frozenset({"contractSize"}))
    assert mine["contractSize"] == cx.markets[m["symbol"]]["contractSize"]


@pytest.mark.parametrize("kind", ["spot", "future", "delivery"])
def test_market_fields_equal_ccxt(cx: Any, kind: str) -> None:
    """Symbol, type flags, settle and contract size of each market type equal ccxt's."""
    m = ours(kind)
    theirs = cx.markets[m["symbol"]]
    keys = ("id", "symbol", "base", "quote", "settle", "type", "spot", "swap", "future")
    keys += ("contract", "linear", "inverse", "contractSize", "expiry", "active")
    assert {k: theirs[k] for k in keys} == {k: m[k] for k in keys}  # type: ignore[literal-required]
