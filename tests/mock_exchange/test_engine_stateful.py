"""Hypothesis state machine: the matching engine against a deliberately naive reference matcher."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal as D

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from mock_exchange.engine.clock import VirtualClock
from mock_exchange.engine.core import DepthUpdate, Engine
from mock_exchange.errors import ExchangeError

SYMBOL = "BTCUSDT"


@dataclass
class RefOrder:
    order_id: int
    side: str
    price: D
    qty: D
    seq: int


class NaiveMatcher:
    """A list of resting orders; each new order scans the whole list for the best maker."""

    def __init__(self) -> None:
        self.resting: list[RefOrder] = []
        self.seq = 0

    def _best(self, side: str, limit: D | None) -> RefOrder | None:
        opposite = [o for o in self.resting if o.side != side]
        if side == "BUY":
            ok = [o for o in opposite if limit is None or o.price <= limit]
            ok.sort(key=lambda o: (o.price, o.seq))
        else:
            ok = [o for o in opposite if limit is None or o.price >= limit]
            ok.sort(key=lambda o: (-o.price, o.seq))
        return ok[0] if ok else None

    def available(self, side: str, limit: D | None) -> D:
        return sum(
            (
                o.qty
                for o in self.resting
                if o.side != side
                and (limit is None or (o.price <= limit if side == "BUY" else o.price >= limit))
            ),
            D(0),
        )

    def place(
        self, order_id: int, side: str, qty: D, price: D | None, tif: str
    ) -> list[tuple[int, D, D]]:
        if tif == "FOK" and self.available(side, price) < qty:
            return []
        fills: list[tuple[int, D, D]] = []
        left = qty
        while left > 0:
            maker = self._best(side, price)
            if maker is None:
                break
            take = min(left, maker.qty)
            fills.append((maker.order_id, maker.price, take))
            maker.qty -= take
            left -= take
            if maker.qty == 0:
                self.resting.remove(maker)
        if left > 0 and price is not None and tif == "GTC":
            self.seq += 1
            self.resting.append(RefOrder(order_id, side, price, left, self.seq))
        return fills

    def cancel(self, order_id: int) -> bool:
        for o in self.resting:
            if o.order_id == order_id:
                self.resting.remove(o)
                return True
        return False

    def levels(self, side: str) -> list[tuple[D, D]]:
        totals: dict[D, D] = {}
        for o in self.resting:
            if o.side == side:
                totals[o.price] = totals.get(o.price, D(0)) + o.qty
        return sorted(totals.items(), reverse=side == "BUY")


class MatchingMachine(RuleBasedStateMachine):
    """Random LIMIT (GTC/IOC/FOK), MARKET and cancel sequences on both matchers."""

    def __init__(self) -> None:
        super().__init__()
        self.engine = Engine(VirtualClock(), seed_liquidity=False)
        self.ref = NaiveMatcher()
        self.placed = D(0)
        self.filled = D(0)
        self.expired = D(0)
        self.cancelled = D(0)
        self.last_update_id = self.engine.update_id(SYMBOL)  # Binance-like offset

    def _check_depth(self, events: list[object]) -> None:
        for ev in events:
            if isinstance(ev, DepthUpdate):
                assert ev.first_id == self.last_update_id + 1
                self.last_update_id = ev.last_id

    @rule(
        side=st.sampled_from(["BUY", "SELL"]),
        price=st.integers(995, 1005),
        lots=st.integers(1, 20),
        tif=st.sampled_from(["GTC", "IOC", "FOK"]),
    )
    def limit(self, side: str, price: int, lots: int, tif: str) -> None:
        qty = D(lots) / 100
        res, events = self.engine.place_order(
            SYMBOL,
            side,  # type: ignore[arg-type]
            "LIMIT",
            quantity=qty,
            price=D(price),
            time_in_force=tif,  # type: ignore[arg-type]
        )
        expected = self.ref.place(res.order_id, side, qty, D(price), tif)
        assert [(t.maker_order_id, t.price, t.qty) for t in res.fills] == expected
        self.placed += qty
        self.filled += res.executed_qty
        if tif != "GTC":
            self.expired += qty - res.executed_qty
        self._check_depth(events)

    @rule(
        side=st.sampled_from(["BUY", "SELL"]), price=st.integers(995, 1005), lots=st.integers(1, 20)
    )
    def limit_maker(self, side: str, price: int, lots: int) -> None:
        qty = D(lots) / 100
        would_take = self.ref._best(side, D(price)) is not None
        try:
            res, events = self.engine.place_order(
                SYMBOL,
                side,  # type: ignore[arg-type]
                "LIMIT_MAKER",
                quantity=qty,
                price=D(price),
            )
        except ExchangeError as err:
            assert would_take and err.code == -2010
            return
        assert not would_take and res.fills == []
        self.ref.place(res.order_id, side, qty, D(price), "GTC")
        self.placed += qty
        self._check_depth(events)

    @rule(side=st.sampled_from(["BUY", "SELL"]), lots=st.integers(1, 30))
    def market(self, side: str, lots: int) -> None:
        qty = D(lots) / 100
        try:
            res, events = self.engine.place_order(SYMBOL, side, "MARKET", quantity=qty)  # type: ignore[arg-type]
        except ExchangeError:
            return
        expected = self.ref.place(res.order_id, side, qty, None, "IOC")
        assert [(t.maker_order_id, t.price, t.qty) for t in res.fills] == expected
        self.placed += qty
        self.filled += res.executed_qty
        self.expired += qty - res.executed_qty
        self._check_depth(events)

    @rule(pick=st.integers(0, 50))
    def cancel(self, pick: int) -> None:
        ids = sorted(self.engine.book(SYMBOL).orders)
        if not ids:
            return
        order_id = ids[pick % len(ids)]
        order, events = self.engine.cancel_order(SYMBOL, order_id)
        assert self.ref.cancel(order_id)
        self.cancelled += order.remaining
        self._check_depth(events)

    @invariant()
    def books_agree_and_never_cross(self) -> None:
        book = self.engine.book(SYMBOL)
        assert book.levels("BUY") == self.ref.levels("BUY")
        assert book.levels("SELL") == self.ref.levels("SELL")
        bid, ask = book.best_bid(), book.best_ask()
        if bid and ask:
            assert bid[0] < ask[0]

    @invariant()
    def quantities_are_conserved(self) -> None:
        resting = sum((o.remaining for o in self.engine.book(SYMBOL).orders.values()), D(0))
        # every unit placed is resting, cancelled, expired, or filled twice (maker and taker)
        assert self.placed == resting + self.cancelled + self.expired + 2 * self.filled


MatchingMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=30, deadline=None)
TestMatchingMachine = MatchingMachine.TestCase
