"""The engine: matching, update ids, tapes, markets and seeded activity."""

from __future__ import annotations

import itertools
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_exchange.engine.activity import Activity
from mock_exchange.engine.clock import ControlledClock, SystemClock, VirtualClock
from mock_exchange.engine.core import DepthUpdate, Engine
from mock_exchange.engine.markets import ALL_DEFAULT_MARKETS, fmt, markets_from_config
from mock_exchange.engine.ratelimits import RateLimitError, WeightLimiter
from mock_exchange.errors import ExchangeError


def empty_engine() -> Engine:
    return Engine(VirtualClock(), seed_liquidity=False)


def test_limit_orders_rest_and_match_at_maker_price() -> None:
    """A crossing order fills at the resting (maker) price, oldest order first."""
    e = empty_engine()
    first, _ = e.place_order("BTCUSDT", "SELL", "LIMIT", quantity=D("0.01"), price=D("1000"))
    e.place_order("BTCUSDT", "SELL", "LIMIT", quantity=D("0.01"), price=D("1000"))
    res, events = e.place_order("BTCUSDT", "BUY", "LIMIT", quantity=D("0.015"), price=D("1001"))
    assert res.status == "FILLED" and res.executed_qty == D("0.015")
    assert [t.price for t in res.fills] == [D("1000"), D("1000")]
    assert res.fills[0].maker_order_id == first.order_id
    assert res.fills[0].buyer_is_maker is False
    depth = [ev for ev in events if isinstance(ev, DepthUpdate)]
    assert len(depth) == 1 and depth[0].asks == {D("1000"): D("0.005")}


def test_update_ids_are_contiguous() -> None:
    """Every visible book change advances the symbol's update id by one; events cover them."""
    e = empty_engine()
    seen: list[tuple[int, int]] = []
    for i in range(5):
        _, events = e.place_order("BTCUSDT", "BUY", "LIMIT", quantity=D("0.01"), price=D(1000 + i))
        seen += [(ev.first_id, ev.last_id) for ev in events if isinstance(ev, DepthUpdate)]
    _, events = e.place_order("BTCUSDT", "SELL", "MARKET", quantity=D("0.03"))
    seen += [(ev.first_id, ev.last_id) for ev in events if isinstance(ev, DepthUpdate)]
    for (_, prev_last), (first, _) in itertools.pairwise(seen):
        assert first == prev_last + 1
    assert e.update_id("BTCUSDT") == seen[-1][1]
    last_id, bids, _ = e.depth("BTCUSDT", 5)
    assert last_id == e.update_id("BTCUSDT") and bids[0][0] == D("1001")


def test_ioc_fok_market_and_limit_maker() -> None:
    """IOC expires its rest, FOK all-or-nothing, MARKET by quote, LIMIT_MAKER never takes."""
    e = empty_engine()
    e.place_order("BTCUSDT", "SELL", "LIMIT", quantity=D("0.01"), price=D("1000"))
    ioc, _ = e.place_order(
        "BTCUSDT", "BUY", "LIMIT", quantity=D("0.02"), price=D("1000"), time_in_force="IOC"
    )
    assert (ioc.status, ioc.executed_qty) == ("EXPIRED", D("0.01"))
    e.place_order("BTCUSDT", "SELL", "LIMIT", quantity=D("0.01"), price=D("1000"))
    fok, ev = e.place_order(
        "BTCUSDT", "BUY", "LIMIT", quantity=D("0.02"), price=D("1000"), time_in_force="FOK"
    )
    assert (fok.status, fok.executed_qty, ev) == ("EXPIRED", D(0), [])
    by_quote, _ = e.place_order("BTCUSDT", "BUY", "MARKET", quote_qty=D("5"))
    assert by_quote.status == "FILLED" and by_quote.executed_qty == D("0.005")
    e.place_order("BTCUSDT", "BUY", "LIMIT", quantity=D("0.01"), price=D("900"))
    with pytest.raises(ExchangeError) as info:
        e.place_order("BTCUSDT", "SELL", "LIMIT_MAKER", quantity=D("0.01"), price=D("900"))
    assert info.value.code == -2010


@pytest.mark.parametrize(
    ("kwargs", "code", "msg"),
    [
        ({"quantity": D("0.01"), "price": D("100.001")}, -1013, "Filter failure: PRICE_FILTER"),
        ({"quantity": D("0.000001"), "price": D("100")}, -1013, "Filter failure: LOT_SIZE"),
        ({"quantity": D("0.00001"), "price": D("100")}, -1013, "Filter failure: NOTIONAL"),
        ({"quantity": D("0.01")}, -1102, "Mandatory parameter 'price'"),
        ({"quantity": D("-1"), "price": D("100")}, -1013, "Invalid quantity."),
    ],
)
def test_filter_failures(kwargs: dict[str, D], code: int, msg: str) -> None:
    """Filters reject with Binance's code and message."""
    with pytest.raises(ExchangeError) as info:
        empty_engine().place_order("BTCUSDT", "BUY", "LIMIT", **kwargs)  # type: ignore[arg-type]
    assert info.value.code == code and info.value.msg.startswith(msg)


def test_unknown_symbol_and_order() -> None:
    """Unknown symbols give -1121, unknown orders -2011."""
    e = empty_engine()
    with pytest.raises(ExchangeError, match="Invalid symbol"):
        e.book("NOPE")
    with pytest.raises(ExchangeError, match="Unknown order"):
        e.cancel_order("BTCUSDT", 42)


def test_ticker_stats_from_trades() -> None:
    """24 h statistics are sums of the engine's own trades."""
    clock = VirtualClock()
    e = Engine(clock, seed_liquidity=False)
    stats = e.ticker_stats("BTCUSDT")
    initial = D("90000.00")
    assert (stats.count, stats.first_id, stats.last, stats.change_percent) == (0, -1, initial, 0)
    e.place_order("BTCUSDT", "SELL", "LIMIT", quantity=D("0.1"), price=D("110"))
    e.place_order("BTCUSDT", "BUY", "MARKET", quantity=D("0.05"))
    clock.advance(120_000)
    e.place_order("BTCUSDT", "BUY", "MARKET", quantity=D("0.05"))
    s = e.ticker_stats("BTCUSDT")
    first = e.recent_trades("BTCUSDT")[0].trade_id
    assert (s.count, s.first_id, s.last_id) == (2, first, first + 1) and first > 10**9
    assert s.volume == D("0.1") and s.quote_volume == D("11") and s.vwap == D("110")
    clock.advance(86_400_000 + 120_000)
    old = e.ticker_stats("BTCUSDT")
    assert (old.count, old.prev_close, old.volume) == (0, D("110"), 0)
    assert len(e.recent_trades("BTCUSDT")) == 2


def test_activity_is_deterministic() -> None:
    """Same seed, same calls: the same market."""

    def run(seed: int) -> tuple[int, list[tuple[D, D]]]:
        clock = VirtualClock()
        e = Engine(clock, seed=seed)
        a = Activity(e, 50)
        a.warm_up(clock.now_ms() - 30_000, clock.now_ms())
        _, bids, _ = e.depth("ETHUSDT", 10)
        return e.update_id("ETHUSDT"), bids

    assert run(5) == run(5)
    assert run(5) != run(6)


def test_activity_rate_zero_and_skip_ahead() -> None:
    """Rate 0 is a fully scripted market; a huge clock jump is bounded (per symbol)."""
    clock = VirtualClock()
    e = Engine(clock, seed=1)
    a = Activity(e, 0)
    assert a.run_until(clock.now_ms() + 10_000) == []
    a.set_rate(1000)
    a.run_until(clock.now_ms())
    before = a.actions
    clock.advance(3_600_000)
    a.run_until(clock.now_ms())
    assert 0 < a.actions - before <= 2000 * len(a.flows)  # bounded per symbol's flow


def test_clocks() -> None:
    """Virtual clocks move only forward; the controlled clock freezes, advances, resumes."""
    v = VirtualClock(0)
    seen: list[int] = []
    v.add_listener(seen.append)
    assert v.advance(5) == 5 and seen == [5]
    v.remove_listener(seen.append)
    with pytest.raises(ValueError):
        v.advance(-1)
    with pytest.raises(ValueError):
        v.set(1)
    assert abs(SystemClock(1000).now_ms() - SystemClock().now_ms() - 1000) < 100
    c = ControlledClock(frozen=True, start_ms=1_000)
    assert c.frozen and c.now_ms() == 1_000
    assert c.advance(500) == 1_500
    resumed = c.resume()
    assert not c.frozen and resumed >= 1_500
    assert c.advance(60_000) >= resumed + 60_000
    with pytest.raises(ValueError):
        c.advance(-5)


def test_frozen_clock_starts_exactly_at_start_ms(monkeypatch: pytest.MonkeyPatch) -> None:
    """A clock frozen at start_ms reads start_ms even when the wall clock ticks during set-up."""
    ticks = itertools.count(10_000)
    monkeypatch.setattr(ControlledClock, "_wall", staticmethod(lambda: next(ticks)))
    assert ControlledClock(frozen=True, start_ms=1_700_000_000_000).now_ms() == 1_700_000_000_000


def test_markets_config_and_format() -> None:
    """Config entries override defaults or add markets; bad entries are refused."""
    ms = markets_from_config(
        [
            {"symbol": "btcusdt", "tick_size": "0.1"},
            {"symbol": "SOLUSDT", "base": "SOL", "quote": "USDT", "order_types": ["LIMIT"]},
        ]
    )
    by = {(m.kind, m.symbol): m for m in ms}
    assert by[("spot", "BTCUSDT")].tick_size == D("0.1")
    assert by[("usdm", "BTCUSDT")].tick_size == D("0.10")
    assert by[("spot", "SOLUSDT")].order_types == ("LIMIT",)
    assert len(ms) == len(ALL_DEFAULT_MARKETS) + 1
    assert [m.symbol for m in markets_from_config([{"symbol": "ETHBTC"}], extend=False)] == [
        "ETHBTC"
    ]
    bad_entries: list[dict[str, object]] = [
        {"tick_size": "1"},
        {"symbol": "X", "nope": 1},
        {"symbol": "NEWONE"},
        {"symbol": "X", "kind": "options"},
    ]
    for bad in bad_entries:
        with pytest.raises(ValueError):
            markets_from_config([bad])
    assert fmt(D("1.5"), 8) == "1.50000000"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["BUY", "SELL"]),
            st.integers(90, 110),
            st.integers(1, 30),
            st.sampled_from(["LIMIT", "MARKET"]),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_book_never_crossed_and_quantity_conserved(orders: list[tuple[str, int, int, str]]) -> None:
    """After any order sequence the book is uncrossed and no fill exceeds its order."""
    e = empty_engine()
    for side, price, qty, kind in orders:
        q = D(qty) / 100
        try:
            res, _ = e.place_order(
                "BTCUSDT",
                side,
                kind,
                quantity=q,  # type: ignore[arg-type]
                price=D(price) if kind == "LIMIT" else None,
            )
        except ExchangeError:
            continue
        assert res.executed_qty <= q
        assert sum(t.qty for t in res.fills) == res.executed_qty
        bid, ask = e.book("BTCUSDT").best_bid(), e.book("BTCUSDT").best_ask()
        if bid and ask:
            assert bid[0] < ask[0]


def test_weight_limiter_429_then_418() -> None:
    """Fixed windows: over the limit gives 429 with Retry-After; persisting bans with 418."""
    lim = WeightLimiter(limit=10, window_ms=60_000, ban_after=2, ban_ms=120_000)
    assert lim.charge("ip", 10, 0) == 10
    with pytest.raises(RateLimitError) as first:
        lim.charge("ip", 1, 1_000)
    assert first.value.http_status == 429
    assert first.value.retry_after_s == 59
    for _ in range(2):
        with pytest.raises(RateLimitError):
            lim.charge("ip", 1, 2_000)
    with pytest.raises(RateLimitError) as banned:
        lim.charge("ip", 1, 61_000)
    assert banned.value.http_status == 418
    assert lim.charge("ip", 1, 123_000) == 1  # ban over, new window
