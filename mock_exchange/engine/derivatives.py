"""Futures prices derived from the engines: index, mark, premium index, funding, open interest.

Binance's formulas (USD-M and COIN-M perpetuals, since 2025-09-18), with the emulator's inputs:

- **index**: the last price of the spot index symbol (``BTCUSDT`` for both USD-M ``BTCUSDT`` and
  COIN-M ``BTCUSD_PERP``), or the contract's own last price when no spot market backs it;
- **premium index** ``P = [max(0, impact bid - index) - max(0, index - impact ask)] / index``,
  the impact prices being the average fill price of :data:`IMPACT_NOTIONAL` on each side of the
  contract's book, sampled every 5 s;
- **funding rate** ``F = P_avg + clamp(I - P_avg, -0.05 %, 0.05 %)`` with ``I = 0.01 %`` per 8 h
  and ``P_avg`` the premium samples of the current interval weighted 1, 2, ..., n; capped at
  :data:`FUNDING_CAP`; settled every 8 h (00, 08, 16 UTC);
- **mark price** ``median(price 1, price 2, last price)`` with ``price 1 = index * (1 + F *
  time to funding / 8 h)`` and ``price 2 = index + the 30 s moving average of (bid1 + ask1) / 2 -
  index``, sampled every second.

:class:`Derivatives` holds one venue's samples: it is fed by :meth:`Derivatives.sample` as the
clock crosses whole seconds, keeps minute price buckets for the mark, index and premium index
klines, and the funding history (past settlements drawn at the start, so ``fundingRate`` is never
empty, then one row per settlement).
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from .core import Engine
from .liquidity import unit_qty
from .markets import Market
from .pricebars import PriceBar, PriceBars
from .types import derive_seed

__all__ = [
    "FUNDING_CAP",
    "FUNDING_INTERVAL_MS",
    "IMPACT_NOTIONAL",
    "INTEREST_RATE",
    "Derivatives",
    "FundingHistory",
    "MarkPrice",
    "PastBars",
    "funding_rate",
    "impact_prices",
    "next_funding_time",
    "premium_of",
]

FUNDING_INTERVAL_MS = 8 * 3_600_000
INTEREST_RATE = Decimal("0.0001")
FUNDING_CAP = Decimal("0.003")  # 0.75 x the first tier's maintenance margin rate (0.4 %)
IMPACT_NOTIONAL = Decimal(25_000)  # quote (USD-M) or USD (COIN-M) walked for impact prices
PAST_SETTLEMENTS = 90  # funding rows before the start: 30 days
_CLAMP = Decimal("0.0005")
_BASIS_POINTS = 30  # price 2: a 30 s moving average of one-second samples
_PREMIUM_EVERY_MS = 5000


@dataclass(frozen=True)
class MarkPrice:
    """Mark, index and funding state of one perpetual at one time."""

    symbol: str
    mark: Decimal
    index: Decimal
    settle: Decimal
    funding_rate: Decimal
    next_funding_time: int
    time: int


def next_funding_time(now: int) -> int:
    """Return the next funding settlement time after ``now``."""
    return (now // FUNDING_INTERVAL_MS + 1) * FUNDING_INTERVAL_MS


def funding_rate(premium: Decimal) -> Decimal:
    """Return Binance's funding rate for an average premium index, capped."""
    rate = premium + min(max(INTEREST_RATE - premium, -_CLAMP), _CLAMP)
    return min(max(rate, -FUNDING_CAP), FUNDING_CAP)


def impact_prices(engine: Engine, m: Market) -> tuple[Decimal | None, Decimal | None]:
    """Return (impact bid, impact ask): the average fill price of the impact notional per side.

    None when a side cannot absorb it. On COIN-M a contract is worth ``contract_size`` USD.
    """
    book = engine.book(m.symbol)
    return _impact(m, book.levels("BUY", 200)), _impact(m, book.levels("SELL", 200))


def _impact(m: Market, levels: list[tuple[Decimal, Decimal]]) -> Decimal | None:
    left = IMPACT_NOTIONAL
    qty = cost = Decimal(0)
    for price, total in levels:
        value = total * m.contract_size if m.kind == "coinm" else total * price
        take = min(value, left)
        part = take / m.contract_size if m.kind == "coinm" else take / price
        qty += part
        cost += part * price
        left -= take
        if left <= 0:
            return cost / qty
    return None


def premium_of(engine: Engine, m: Market, index: Decimal) -> Decimal:
    """Return the premium index of ``m`` against ``index`` from the book's impact prices."""
    if index <= 0:
        return Decimal(0)
    bid, ask = impact_prices(engine, m)
    up = max(Decimal(0), bid - index) if bid is not None else Decimal(0)
    down = max(Decimal(0), index - ask) if ask is not None else Decimal(0)
    return (up - down) / index


@dataclass(frozen=True)
class PastBars:
    """A perpetual's history as the derivatives use it: price bars and minute closes."""

    bars: dict[str, list[PriceBar]]  # "index", "mark", "premium"
    closes: dict[int, Decimal]  # minute open time -> the contract's close


@dataclass
class FundingHistory:
    """Settled funding rates per symbol (what ``GET /fapi/v1/fundingRate`` lists)."""

    limit: int = 1000
    settled: dict[str, deque[MarkPrice]] = field(default_factory=dict)
    last_settlement: int | None = None

    def record(self, row: MarkPrice) -> None:
        """Append one settlement row."""
        self.settled.setdefault(row.symbol, deque(maxlen=self.limit)).append(row)

    def rows(self, symbol: str | None) -> list[MarkPrice]:
        """Return settlements (one symbol or all), oldest first."""
        if symbol is not None:
            return list(self.settled.get(symbol, ()))
        return sorted((r for rows in self.settled.values() for r in rows), key=lambda r: r.time)


class _Premium:
    """The premium samples of the current funding interval, weighted 1, 2, ..., n."""

    def __init__(self) -> None:
        self.weighted = Decimal(0)
        self.weights = 0
        self.count = 0

    def add(self, premium: Decimal) -> None:
        self.count += 1
        self.weights += self.count
        self.weighted += premium * self.count

    def average(self) -> Decimal:
        return self.weighted / self.weights if self.weights else Decimal(0)


class Derivatives:
    """The mark, premium and funding state of one futures venue (see the module docstring)."""

    def __init__(self, engine: Engine, index: dict[str, Engine | None], start: int, seed: int):
        """Start with no samples and a drawn funding history ending at the last settlement.

        Args:
            index: per symbol, the spot engine holding its index symbol (None: own price).
        """
        self.engine = engine
        self.index_engines = index
        self.basis: dict[str, deque[Decimal]] = {
            s: deque(maxlen=_BASIS_POINTS) for s in engine.markets
        }
        self.premium: dict[str, _Premium] = {s: _Premium() for s in engine.markets}
        self.bars: dict[str, dict[str, PriceBars]] = {
            s: {k: PriceBars() for k in ("mark", "index", "premium")} for s in engine.markets
        }
        self._past: dict[str, Callable[[], PastBars]] = {}
        self.funding = FundingHistory(
            last_settlement=start // FUNDING_INTERVAL_MS * FUNDING_INTERVAL_MS
        )
        self._draw_past_funding(seed, start)

    # -- history ---------------------------------------------------------------------------

    def set_past(self, symbol: str, loader: Callable[[], PastBars]) -> None:
        """Give ``symbol`` its history (price bars, settlement prices), loaded when first read."""
        self._past[symbol] = loader

    def _ensure_past(self, symbol: str) -> None:
        loader = self._past.pop(symbol, None)
        if loader is None:
            return
        past = loader()
        for series, bars in past.bars.items():
            self.bars[symbol][series].prepend(bars)
        self.adopt_history_prices(symbol, past.closes)

    def price_bars(self, symbol: str, series: str) -> PriceBars:
        """Return the ``mark``, ``index`` or ``premium`` bars of ``symbol``, history included."""
        self._ensure_past(symbol)
        return self.bars[symbol][series]

    def funding_history(self) -> FundingHistory:
        """Return the settlements, the past ones priced by the history."""
        for symbol in sorted(self._past):
            self._ensure_past(symbol)
        return self.funding

    # -- reads -----------------------------------------------------------------------------

    def index_price(self, symbol: str) -> Decimal:
        """Return the index price of ``symbol``."""
        m = self.engine.market(symbol)
        spot = self.index_engines.get(symbol)
        if spot is not None and m.index_symbol is not None:
            return spot.last_price(m.index_symbol)
        return self.engine.last_price(symbol)

    def estimated_rate(self, symbol: str, now: int) -> Decimal:
        """Return the funding rate the current interval's samples give (the next settlement)."""
        prem = self.premium[symbol]
        if prem.count == 0:
            return funding_rate(
                premium_of(self.engine, self.engine.market(symbol), self.index_price(symbol))
            )
        return funding_rate(prem.average())

    def mark(self, symbol: str, now: int) -> MarkPrice:
        """Return the mark state of ``symbol`` at ``now``.

        Raises:
            ExchangeError: -1121 Invalid symbol.
        """
        m = self.engine.market(symbol)
        index = self.index_price(symbol)
        rate = self.estimated_rate(symbol, now)
        nxt = next_funding_time(now)
        price1 = index * (1 + rate * Decimal(nxt - now) / FUNDING_INTERVAL_MS)
        samples = self.basis[symbol]
        basis = (
            sum(samples, Decimal(0)) / len(samples) if samples else self._basis_now(symbol, index)
        )
        price2 = index + basis
        last = self.engine.last_price(symbol)
        mark = m.round_price(sorted((price1, price2, last))[1]) if index > 0 else last
        return MarkPrice(symbol, mark, index, index, rate, nxt, now)

    def marks(self, now: int) -> dict[str, MarkPrice]:
        """Return the mark state of every symbol of the venue."""
        return {s: self.mark(s, now) for s in sorted(self.engine.markets)}

    def open_interest(self, symbol: str) -> Decimal:
        """Return the open interest: a base size moved by the tape's net taker flow (24 h)."""
        m = self.engine.market(symbol)
        tape = self.engine.tape(symbol)
        base = m.round_qty(Decimal(repr(unit_qty(m, float(m.initial_price)))) * 250_000)
        flow = sum((2 * b.taker_buy_volume - b.volume for b in tape.buckets), Decimal(0))
        return m.round_qty(max(base / 2, base + flow / 2))

    # -- the clock -------------------------------------------------------------------------

    def sample(self, prev: int, now: int) -> None:
        """Take the samples due for each whole second in ``(prev, now]`` (at most 60)."""
        first = (prev // 1000 + 1) * 1000
        seconds = range(max(first, (now // 1000 - 59) * 1000), now // 1000 * 1000 + 1, 1000)
        for t in seconds:
            for symbol in sorted(self.engine.markets):
                self._sample_symbol(symbol, t)

    def _basis_now(self, symbol: str, index: Decimal) -> Decimal:
        book = self.engine.book(symbol)
        bid, ask = book.best_bid(), book.best_ask()
        if bid is None or ask is None or index <= 0:
            return Decimal(0)
        return (bid[0] + ask[0]) / 2 - index

    def _sample_symbol(self, symbol: str, t: int) -> None:
        index = self.index_price(symbol)
        self.basis[symbol].append(self._basis_now(symbol, index))
        bars = self.bars[symbol]
        bars["index"].add(t, index)
        if t % _PREMIUM_EVERY_MS == 0:
            premium = premium_of(self.engine, self.engine.market(symbol), index)
            self.premium[symbol].add(premium)
            bars["premium"].add(t, premium)
        bars["mark"].add(t, self.mark(symbol, t).mark)

    def settle(self, now: int) -> list[MarkPrice]:
        """Record one settlement per symbol when a funding time passed since the last one.

        Returns the rows recorded (none when no funding time passed).
        """
        boundary = now // FUNDING_INTERVAL_MS * FUNDING_INTERVAL_MS
        last = self.funding.last_settlement
        if last is not None and boundary <= last:
            return []
        self.funding.last_settlement = boundary
        rows = []
        for symbol, mp in self.marks(now).items():
            row = MarkPrice(
                symbol, mp.mark, mp.index, mp.settle, mp.funding_rate, boundary, boundary
            )
            self.funding.record(row)
            rows.append(row)
            self.premium[symbol] = _Premium()
        return rows

    # -- the start -------------------------------------------------------------------------

    def adopt_history_prices(self, symbol: str, closes: dict[int, Decimal]) -> None:
        """Give the past settlements inside the trade history that history's prices.

        ``closes`` maps minute open times to the contract's close. Rows before the history are
        scaled to meet the first row inside it, so the mark price walk has no jump.
        """
        rows = list(self.funding.settled.get(symbol, ()))
        if not rows or not closes:
            return
        priced = {r.time: closes.get(r.time - 60_000) for r in rows}
        inside = [r for r in rows if priced[r.time] is not None]
        if not inside:
            return
        first = inside[0]
        ratio = priced[first.time] / first.mark if first.mark else Decimal(1)  # type: ignore[operator]
        m = self.engine.market(symbol)
        out: deque[MarkPrice] = deque(maxlen=self.funding.limit)
        for r in rows:
            price = priced[r.time]
            mark = price if price is not None else m.round_price(r.mark * ratio)
            out.append(MarkPrice(symbol, mark, mark, mark, r.funding_rate, r.time, r.time))
        self.funding.settled[symbol] = out

    def _draw_past_funding(self, seed: int, start: int) -> None:
        """Draw the settlements before ``start``: rates in Binance's usual range, walked marks."""
        last = self.funding.last_settlement or 0
        for symbol, m in sorted(self.engine.markets.items()):
            rng = random.Random(derive_seed(seed, m.kind, symbol, "funding"))
            price = float(m.initial_price)
            rows: list[MarkPrice] = []
            for i in range(PAST_SETTLEMENTS):
                t = last - i * FUNDING_INTERVAL_MS
                premium = Decimal(repr(round(rng.gauss(0.0001, 0.0003), 8)))
                rate = funding_rate(premium)
                mark = m.round_price(Decimal(repr(price)))
                rows.append(MarkPrice(symbol, mark, mark, mark, rate, t, t))
                price *= math.exp(0.01 * math.sqrt(1 / 3) * rng.gauss(0.0, 1.0))
            for row in reversed(rows):
                self.funding.record(row)
