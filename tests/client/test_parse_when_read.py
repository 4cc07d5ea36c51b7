"""Events kept as decoded and parsed when read: the trade cache, the latest-ticker map, and the
exact trade cost computed from integer mantissas."""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from client.protocol.caches import ArrayCache
from client.protocol.channels import LatestTickers, TickerChannel, TradesChannel
from client.protocol.parsers import parse_bid_ask, parse_market, parse_trade
from client.types import Symbol

SPOT = parse_market(
    {
        "symbol": "BTCUSDT",
        "status": "TRADING",
        "baseAsset": "BTC",
        "quoteAsset": "USDT",
        "filters": [{"filterType": "PRICE_FILTER", "tickSize": "0.01"}],
    }
)


def trade(t: int, p: str = "9005.01000000", q: str = "0.01000000") -> dict[str, Any]:
    """A spot ``trade`` event (the docs' shape)."""
    return {"e": "trade", "E": 1, "s": "BTCUSDT", "t": t, "p": p, "q": q, "T": 1, "m": True}


def test_trade_cache_parses_the_rows_it_returns() -> None:
    """A trades channel keeps events as decoded and returns them parsed, newest last, bounded by
    the limit, with replayed ids dropped."""
    ch = TradesChannel(SPOT, limit=3)
    for t in (1, 2, 2, 3, 4):
        ch.handle(trade(t))
    rows = ch.cache.new_rows("")
    assert [r["id"] for r in rows] == ["2", "3", "4"]
    assert rows[0] == parse_trade(trade(2), SPOT["symbol"])
    assert ch.cache.new_rows("") == [] and len(ch.cache) == 3
    assert [r["id"] for r in ch.cache.rows(2)] == ["3", "4"]
    assert [r["side"] for r in ch.cache] == ["sell"] * 3


def test_cache_without_parse_returns_rows_as_appended() -> None:
    """A cache given no parse function hands back the very objects appended."""
    cache: ArrayCache[list[int]] = ArrayCache(5)
    row = [1]
    cache.append(row)
    assert cache.new_rows("")[0] is row and next(iter(cache)) is row


def test_latest_tickers_parse_once_and_forget_on_update() -> None:
    """The latest-ticker map parses a symbol's newest event when first read, returns the same
    ticker until the next event, and answers membership and size without parsing."""
    calls: list[str] = []

    def parse(raw: dict[str, Any], symbol: Symbol, market: Any) -> Any:
        calls.append(raw["b"])
        return parse_bid_ask(raw, symbol, market)

    latest = LatestTickers(parse)
    sym = SPOT["symbol"]
    latest.put(sym, {"s": "BTCUSDT", "b": "1.0", "B": "2", "a": "1.1", "A": "3"}, SPOT)
    assert sym in latest and len(latest) == 1 and list(latest) == [sym] and calls == []
    first = latest[sym]
    assert latest[sym] is first and first["bid"] == 1.0 and calls == ["1.0"]
    latest.put(sym, {"s": "BTCUSDT", "b": "1.05", "B": "2", "a": "1.1", "A": "3"}, SPOT)
    assert latest[sym]["bid"] == 1.05 and calls == ["1.0", "1.05"]


def test_all_market_ticker_channel_reports_the_newest_event() -> None:
    """An all-market bookTicker channel wakes with the newest event's symbol and its ticker."""
    ch = TickerChannel("bookTicker", None, lambda sid: SPOT if sid == "BTCUSDT" else None)
    assert not ch.handle({"s": "ETHUSDT", "b": "1", "B": "1", "a": "2", "A": "1"})
    assert ch.handle({"s": "BTCUSDT", "b": "3.5", "B": "1", "a": "3.6", "A": "1"})
    assert ch.updated == [SPOT["symbol"]] and ch.last[SPOT["symbol"]]["ask"] == 3.6
    assert ch.size() == 1


DECIMALS = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("99999999"), places=8)


@given(p=DECIMALS, q=DECIMALS, zeros=st.integers(0, 3))
def test_trade_cost_is_the_correctly_rounded_exact_product(
    p: Decimal, q: Decimal, zeros: int
) -> None:
    """Price, amount and cost equal the floats of the exact decimals and of their exact product,
    however many trailing zeros the strings carry."""
    ps, qs = f"{p:f}" + "0" * zeros, f"{q:f}"
    t = parse_trade(trade(1, ps, qs), SPOT["symbol"])
    assert t["price"] == float(p) and t["amount"] == float(q)
    with localcontext() as ctx:
        ctx.prec = 60  # exact: the default 28 digits would round a 32-digit product first
        assert t["cost"] == float(p * q)


def test_trade_numbers_that_are_not_plain_decimals_still_parse() -> None:
    """Exponent notation falls back to Decimal arithmetic; a missing amount gives no cost."""
    t = parse_trade(trade(1, "1E+2", "2.5"), SPOT["symbol"])
    assert (t["price"], t["amount"], t["cost"]) == (100.0, 2.5, 250.0)
    raw = trade(2)
    del raw["q"]
    t = parse_trade(raw, SPOT["symbol"])
    assert t["amount"] is None and t["cost"] is None and t["price"] == 9005.01
