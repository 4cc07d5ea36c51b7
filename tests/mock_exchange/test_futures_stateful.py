"""Hypothesis state machine: futures positions and margin against a naive reference.

The machine trades one account on the USD-M BTCUSDT book (taker orders, resting orders filled by
background flow), moves the market, pays funding and runs the liquidation check. The reference
keeps only what it saw: the account's own fills, the commissions and realised PnL reported on
them, and the funding it paid. It checks that the position is the signed sum of the fills,
that realised plus unrealised PnL equals the fills' cash flow valued at the mark, that the
wallet (less any shortfall the insurance fund covered) equals deposits + realised PnL -
commissions + funding, and that a liquidation happens only when the margin balance is at or
below the maintenance margin.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP
from decimal import Decimal as D

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from mock_exchange.engine.clock import ControlledClock
from mock_exchange.engine.core import Liquidation
from mock_exchange.engine.events import EngineEvent
from mock_exchange.engine.exchange import Exchange
from mock_exchange.engine.futures.account import futures_account
from mock_exchange.engine.futures.events import FuturesOrderInfo, FuturesOrderUpdate
from mock_exchange.engine.futures.risk import check_margins, settle_funding
from mock_exchange.engine.markets import ALL_DEFAULT_MARKETS
from mock_exchange.errors import ExchangeError

SYMBOL = "BTCUSDT"
DEPOSIT = D("60")
TOLERANCE = D("0.000001")


class FuturesMachine(RuleBasedStateMachine):
    """One account's futures life against a naive reference (module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = ControlledClock(frozen=True, start_ms=1_767_229_200_000)
        self.exchange = Exchange(self.clock, ALL_DEFAULT_MARKETS, seed=3)
        account, _ = self.exchange.accounts.register(
            {"apiKey": "prop1", "secret": "s", "futuresBalances": {"USDT": str(DEPOSIT)}}
        )
        self.account = account
        self.fa = futures_account(account, "usdm")
        self.st = self.exchange.futures["usdm"]
        self.engine = self.exchange.engine("usdm")
        self.market = self.engine.market(SYMBOL)
        # the reference: what the account was told
        self.fills: list[tuple[D, D]] = []  # (signed qty, price)
        self.fees = D(0)
        self.realized = D(0)
        self.funding = D(0)
        self.liquidations = 0

    # -- helpers ------------------------------------------------------------------------------

    def _settle(self, events: list[EngineEvent]) -> list[EngineEvent]:
        out = self.st.settle(events, self.clock.now_ms())
        for ev in out:
            if isinstance(ev, FuturesOrderUpdate) and ev.trade is not None:
                signed = ev.trade.qty if ev.order.side == "BUY" else -ev.trade.qty
                self.fills.append((signed, ev.trade.price))
                self.fees += ev.commission
                self.realized += ev.realized
        return out

    def _own(self, side: str, order_type: str, qty: D, price: D | None = None) -> None:
        try:
            res, events = self.engine.place_order(
                SYMBOL,
                "BUY" if side == "BUY" else "SELL",
                "MARKET" if order_type == "MARKET" else "LIMIT",
                quantity=qty,
                price=price,
                owner=self.account.id,
                client_order_id=f"h{len(self.fills)}-{self.clock.now_ms()}",
            )
        except ExchangeError:
            return
        record = self.engine.order(res.order_id)
        assert record is not None
        self.st.remember(record, FuturesOrderInfo(display_type=order_type))
        self._settle(events)

    def _background(self, side: str, qty: D) -> None:
        try:
            _, events = self.engine.place_order(
                SYMBOL, "BUY" if side == "BUY" else "SELL", "MARKET", quantity=qty
            )
        except ExchangeError:
            return
        self._settle(events)

    def _margin(self) -> tuple[D, D]:
        """(cross margin balance, maintenance margin), computed naively from the positions."""
        balance = self.fa.balance("USDT")
        maint = D(0)
        for p in self.fa.open_positions():
            mark = self.st.marks(p.symbol)
            balance += p.amount * (mark - p.entry)
            maint += self.st.brackets.maint_margin(abs(p.amount) * mark)
        return balance, maint

    # -- rules --------------------------------------------------------------------------------

    @rule(side=st.sampled_from(["BUY", "SELL"]), lots=st.integers(1, 200))
    def take(self, side: str, lots: int) -> None:
        """The account takes liquidity."""
        self._own(side, "MARKET", self.market.step_size * lots)

    @rule(side=st.sampled_from(["BUY", "SELL"]), lots=st.integers(1, 20), ticks=st.integers(1, 30))
    def rest_then_fill(self, side: str, lots: int, ticks: int) -> None:
        """The account rests a limit order that background flow then fills (a maker fill)."""
        book = self.engine.book(SYMBOL)
        best = book.best_bid() if side == "BUY" else book.best_ask()
        if best is None:
            return
        offset = self.market.tick_size * ticks
        price = best[0] - offset if side == "BUY" else best[0] + offset
        qty = self.market.step_size * lots
        self._own(side, "LIMIT", qty, price)
        self._background("SELL" if side == "BUY" else "BUY", qty * 40)

    @rule(side=st.sampled_from(["BUY", "SELL"]), lots=st.integers(10, 400))
    def move_market(self, side: str, lots: int) -> None:
        """Background flow sweeps the book (the mark follows the contract's mid and last)."""
        self._background(side, self.market.step_size * lots)

    @rule(side=st.sampled_from(["BUY", "SELL"]), levels=st.integers(1, 10))
    def replenish(self, side: str, levels: int) -> None:
        """Background makers rest new liquidity around the last price."""
        last = self.engine.last_price(SYMBOL)
        for i in range(1, levels + 1):
            step = self.market.tick_size * 10 * i
            price = last - step if side == "BUY" else last + step
            try:
                _, events = self.engine.place_order(
                    SYMBOL,
                    "BUY" if side == "BUY" else "SELL",
                    "LIMIT",
                    quantity=D("0.05"),
                    price=self.market.round_price(price),
                )
            except ExchangeError:
                continue
            self._settle(events)

    @rule(rate=st.decimals(D("-0.003"), D("0.003"), places=6))
    def funding_time(self, rate: D) -> None:
        """A funding settlement at ``rate``."""
        mark = self.st.marks(SYMBOL)
        expected = sum(
            (
                (-p.amount * mark * rate).quantize(D("1e-8"), rounding=ROUND_HALF_UP)
                for p in self.fa.open_positions()
            ),
            D(0),
        )
        settle_funding(self.st, {SYMBOL: (mark, rate)}, self.clock.now_ms())
        self.funding += expected

    @rule()
    def risk_check(self) -> None:
        """The liquidation check runs; it liquidates only at or below maintenance."""
        balance, maint = self._margin()
        events = self._settle(check_margins(self.st, self.clock.now_ms()))
        liquidated = any(isinstance(e, Liquidation) and e.owner == self.account.id for e in events)
        if liquidated:
            self.liquidations += 1
            assert maint > 0 and balance <= maint
        elif maint > 0:
            assert balance > maint
        self.clock.advance(1000)

    # -- invariants ---------------------------------------------------------------------------

    @invariant()
    def position_is_the_sum_of_fills(self) -> None:
        """The position amount is the signed sum of the account's fills."""
        held = sum((p.amount for p in self.fa.open_positions()), D(0))
        assert held == sum((q for q, _ in self.fills), D(0))

    @invariant()
    def pnl_matches_the_cash_flow(self) -> None:
        """Realised + unrealised PnL equals the fills' cash flow valued at the mark."""
        mark = self.st.marks(SYMBOL)
        amount = sum((q for q, _ in self.fills), D(0))
        cash = -sum((q * p for q, p in self.fills), D(0)) + amount * mark
        unrealized = sum((p.unrealized(mark) for p in self.fa.open_positions()), D(0))
        realized = sum((p.realized for p in self.fa.positions.values()), D(0))
        assert abs(realized + unrealized - cash) <= TOLERANCE * (len(self.fills) + 1)

    @invariant()
    def wallet_is_conserved(self) -> None:
        """Wallet - shortfall = deposit + realised PnL - commissions + funding."""
        wallet = self.fa.balance("USDT") - self.fa.shortfall.get("USDT", D(0))
        insurance = sum(
            (i.income for i in self.fa.income if i.income_type == "INSURANCE_CLEAR"), D(0)
        )
        expected = DEPOSIT + self.realized + insurance - self.fees + self.funding
        assert wallet == expected


TestFuturesMachine = FuturesMachine.TestCase
TestFuturesMachine.settings = settings(max_examples=15, stateful_step_count=25, deadline=None)
