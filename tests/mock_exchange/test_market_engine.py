"""Issue 9, the market model at engine level: per-symbol flow, determinism, history sums."""

from __future__ import annotations

import itertools
from decimal import Decimal as D
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mock_exchange import ServerConfig
from mock_exchange.config import DEFAULT_RATE
from mock_exchange.emulator import Emulator
from mock_exchange.engine.activity import Activity
from mock_exchange.engine.clock import VirtualClock
from mock_exchange.engine.core import Engine
from mock_exchange.engine.history import History
from mock_exchange.engine.markets import ALL_DEFAULT_MARKETS, DEFAULT_MARKETS, Market

START = 1_767_225_630_000


def _tape(markets: tuple[Market, ...] | list[Market], seed: int) -> list[tuple[Any, ...]]:
    """Play 20 s of the flow; return BTCUSDT's trades (order ids are per venue: left out)."""
    clock = VirtualClock(START)
    engine = Engine(clock, markets, seed=seed)
    activity = Activity(engine, DEFAULT_RATE)
    activity.warm_up(START, START + 20_000)
    trades = engine.recent_trades("BTCUSDT")
    return [(t.trade_id, t.price, t.qty, t.time, t.buyer_is_maker) for t in trades]


def test_activity_is_per_symbol_and_seeded() -> None:
    """Adding a market does not thin out or change BTCUSDT; same seed, same tape."""
    base = _tape(DEFAULT_MARKETS, seed=4)
    extra = Market("SOLUSDT", "SOL", "USDT", initial_price=D("150"))
    assert base == _tape([*DEFAULT_MARKETS, extra], seed=4)
    assert base == _tape(DEFAULT_MARKETS, seed=4) and base != _tape(DEFAULT_MARKETS, seed=5)
    assert len(base) >= 300  # 20 s at ~30 trades/s


def test_rate_zero_is_scripted_and_history_scales_with_the_rate() -> None:
    """Rate 0: no history, no trades as the clock moves; history density follows the rate."""
    quiet = Emulator(ServerConfig(seed=1, rate=0, frozen_clock=True, start_ms=START))
    quiet.clock.advance(60_000)
    quiet.step(quiet.clock.now_ms(), START)
    assert quiet.engine.recent_trades("BTCUSDT") == []
    counts = []
    for rate in (10, 50):
        emu = Emulator(ServerConfig(seed=1, rate=rate, frozen_clock=True, start_ms=START))
        rows = emu.engine.klines("BTCUSDT", "1m", START, limit=100)
        counts.append(sum(k.count for k in rows[:-1]))
    assert 3.5 < counts[1] / counts[0] < 6.5


@settings(max_examples=25, deadline=None)
@given(
    market=st.sampled_from(ALL_DEFAULT_MARKETS),
    rate=st.sampled_from([0.03, 0.3, 2.0, 20.0, 80.0]),
    seed=st.integers(0, 10**6),
    pick=st.integers(0, 29),
)
def test_history_minutes_sum_exactly_to_their_summary(
    market: Market, rate: float, seed: int, pick: int
) -> None:
    """A history minute's generated trades sum exactly to its summary, in time and id order."""
    history = History(
        market, seed, START, rate, next_trade_id=10**10, next_agg_id=10**9, minutes=30
    )
    minutes = history.minutes
    if not minutes:
        return
    mi = minutes[pick % len(minutes)]
    trades, aggs = history.minute_trades(mi)
    b = history.bucket(mi)
    assert (trades[0].price, trades[-1].price) == (b.open, b.close)
    assert max(t.price for t in trades) == b.high and min(t.price for t in trades) == b.low
    assert sum(t.qty for t in trades) == b.volume
    assert sum(t.quote_qty for t in trades) == b.quote_volume
    assert sum(t.qty for t in trades if not t.buyer_is_maker) == b.taker_buy_volume
    assert sum(t.quote_qty for t in trades if not t.buyer_is_maker) == b.taker_buy_quote
    assert [t.trade_id for t in trades] == list(range(b.first_id, b.last_id + 1))
    assert all(mi.start <= t.time < mi.end for t in trades)
    assert all(x.time <= y.time for x, y in itertools.pairwise(trades))
    assert [a.agg_id for a in aggs] == list(range(mi.first_agg_id, mi.first_agg_id + mi.aggs))
    assert sum(a.qty for a in aggs) == b.volume
