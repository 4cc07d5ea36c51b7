"""Hypothesis state machine: accounts + matching against a naive reference exchange.

Three accounts trade one symbol with LIMIT (GTC/IOC/FOK), MARKET, cancels and amends, under the
STP modes NONE/EXPIRE_TAKER/EXPIRE_MAKER/EXPIRE_BOTH. The reference is written from Binance's
rules, independently of the engine: a list of resting orders scanned for the best maker, a
wallet per account with the documented locks, and the commission (0.1 % of the asset received,
rounded up to 8 decimals). After every step: the engine's orders, balances, and the order
updates it reported (who, what, in which order) equal the reference's; balances plus fees are
conserved; free and locked are never negative; locked equals what the open orders hold;
executed never exceeds quantity; every balance change is reported in that step's
``outboundAccountPosition`` with the balances as they stand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_UP
from decimal import Decimal as D

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from mock_exchange.engine.accounts import Accounts
from mock_exchange.engine.clock import VirtualClock
from mock_exchange.engine.core import Engine
from mock_exchange.engine.events import AccountPosition, EngineEvent, OrderUpdate
from mock_exchange.engine.ledger import SpotLedger
from mock_exchange.engine.markets import Market
from mock_exchange.engine.types import AccountId
from mock_exchange.errors import ExchangeError

SYMBOL, BASE, QUOTE = "XY", "X", "Y"
# tick 0.001 and step 0.0001: a quote amount has up to 7 decimals and its commission up to 10,
# so the commission's rounding (up, to 8 decimals) shows in every balance
MARKET = Market(
    SYMBOL, BASE, QUOTE, tick_size=D("0.001"), min_price=D("0.001"), max_price=D(1000),
    step_size=D("0.0001"), min_qty=D("0.0001"), max_qty=D(1000), market_max_qty=D(1000),
    min_notional=D("0.0001"), initial_price=D(100),
)  # fmt: skip
TICK, STEP = D("0.001"), D("0.0001")
FUNDS = {BASE: D(100), QUOTE: D(10000)}
RATE = D("0.001")
STP = ("NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH")


def fee(gross: D) -> D:
    return (gross * RATE).quantize(D("0.00000001"), rounding=ROUND_UP)


@dataclass
class Ord:
    """A reference order."""

    oid: int
    owner: str
    side: str
    price: D | None
    qty: D
    tif: str
    stp: str
    executed: D = D(0)
    prevented: D = D(0)
    status: str = "NEW"
    seq: int = 0
    hold: D = D(0)  # what it still has locked

    @property
    def rem(self) -> D:
        return self.qty - self.executed - self.prevented


@dataclass
class Reference:
    """The naive exchange: wallets, resting orders, the events each step reports."""

    wallets: dict[str, dict[str, list[D]]] = field(default_factory=dict)
    orders: dict[int, Ord] = field(default_factory=dict)
    resting: list[Ord] = field(default_factory=list)
    fees: dict[str, D] = field(default_factory=lambda: {BASE: D(0), QUOTE: D(0)})
    seq: int = 0
    events: list[tuple[str, str, str, int]] = field(default_factory=list)

    def open(self, owner: str) -> None:
        self.wallets[owner] = {a: [v, D(0)] for a, v in FUNDS.items()}

    def _lock(self, owner: str, asset: str, amount: D) -> bool:
        w = self.wallets[owner][asset]
        if w[0] < amount:
            return False
        w[0] -= amount
        w[1] += amount
        return True

    def _release(self, o: Ord) -> None:
        asset = QUOTE if o.side == "BUY" else BASE
        w = self.wallets[o.owner][asset]
        w[1] -= o.hold
        w[0] += o.hold
        o.hold = D(0)

    def _report(self, o: Ord, x: str) -> None:
        self.events.append((o.owner, x, o.status, o.oid))

    def _cost(self, side: str, qty: D) -> D:
        total, left = D(0), qty
        for m in self._makers(side, None):
            take = min(left, m.rem)
            total += take * m.price  # type: ignore[operator]
            left -= take
            if left == 0:
                break
        return total

    def _makers(self, side: str, limit: D | None) -> list[Ord]:
        opp = [o for o in self.resting if o.side != side]
        if side == "BUY":
            ok = [o for o in opp if limit is None or o.price <= limit]  # type: ignore[operator]
            return sorted(ok, key=lambda o: (o.price, o.seq))
        ok = [o for o in opp if limit is None or o.price >= limit]  # type: ignore[operator]
        return sorted(ok, key=lambda o: (-o.price, o.seq))  # type: ignore[operator]

    def place(self, o: Ord) -> bool:
        """Place ``o``; False when the account cannot pay (nothing changes)."""
        self.events = []
        if o.side == "SELL":
            need, asset = o.qty, BASE
        elif o.price is not None:
            need, asset = o.qty * o.price, QUOTE
        else:
            need, asset = self._cost("BUY", o.qty), QUOTE
        if not self._lock(o.owner, asset, need):
            return False
        o.hold = need
        self.orders[o.oid] = o
        self._report(o, "NEW")
        if o.tif == "FOK" and sum((m.rem for m in self._makers(o.side, o.price)), D(0)) < o.qty:
            self._final(o, "EXPIRED", "EXPIRED")
            return True
        for m in self._makers(o.side, o.price):
            if o.rem == 0 or o.status == "EXPIRED_IN_MATCH":
                break
            if m.owner == o.owner and o.stp != "NONE":
                if o.stp in ("EXPIRE_MAKER", "EXPIRE_BOTH"):
                    self._prevent(m)
                if o.stp in ("EXPIRE_TAKER", "EXPIRE_BOTH"):
                    self._prevent(o)
                continue
            take = min(o.rem, m.rem)
            assert m.price is not None
            if o.side == "BUY" and o.price is None and not self._top_up(o, take * m.price):
                break
            self._fill(m, take, m.price, maker=True)
            self._fill(o, take, m.price, maker=False)
        if o.status in ("EXPIRED_IN_MATCH", "FILLED"):
            if o.hold:
                self._release(o)
        elif o.price is None or o.tif != "GTC":
            self._final(o, "EXPIRED", "EXPIRED")
        else:
            self.seq += 1
            o.seq = self.seq
            self.resting.append(o)
        return True

    def _top_up(self, o: Ord, needed: D) -> bool:
        if o.hold >= needed:
            return True
        if not self._lock(o.owner, QUOTE, needed - o.hold):
            return False
        o.hold = needed
        return True

    def _fill(self, o: Ord, qty: D, price: D, maker: bool) -> None:
        w = self.wallets[o.owner]
        gross_quote = qty * price
        if o.side == "BUY":
            released = qty * o.price if o.price is not None else gross_quote
            w[QUOTE][1] -= released
            w[QUOTE][0] += released - gross_quote
            o.hold -= released
            paid = fee(qty)
            w[BASE][0] += qty - paid
            self.fees[BASE] += paid
        else:
            w[BASE][1] -= qty
            o.hold -= qty
            paid = fee(gross_quote)
            w[QUOTE][0] += gross_quote - paid
            self.fees[QUOTE] += paid
        o.executed += qty
        o.status = "FILLED" if o.executed == o.qty else "PARTIALLY_FILLED"
        self._report(o, "TRADE")
        if o.status == "FILLED" and maker:
            self.resting.remove(o)
            if o.hold:
                self._release(o)

    def _prevent(self, o: Ord) -> None:
        o.prevented += o.rem
        o.status = "EXPIRED_IN_MATCH"
        if o in self.resting:
            self.resting.remove(o)
        self._report(o, "TRADE_PREVENTION")
        if o.side == "SELL" or o.price is not None or o in self.resting:
            self._release(o)

    def _final(self, o: Ord, status: str, x: str) -> None:
        o.status = status
        self._report(o, x)
        self._release(o)

    def cancel(self, o: Ord) -> None:
        self.events = []
        self.resting.remove(o)
        self._final(o, "CANCELED", "CANCELED")

    def amend(self, o: Ord, new_qty: D) -> None:
        self.events = []
        cut = o.qty - new_qty
        o.qty = new_qty
        if o.side == "BUY":
            assert o.price is not None
            unlock = cut * o.price
        else:
            unlock = cut
        o.hold -= unlock
        asset = QUOTE if o.side == "BUY" else BASE
        self.wallets[o.owner][asset][1] -= unlock
        self.wallets[o.owner][asset][0] += unlock
        self._report(o, "REPLACED")


class AccountsMachine(RuleBasedStateMachine):
    """The engine with a ledger against :class:`Reference`."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = VirtualClock(1_767_225_600_000)
        self.accounts = Accounts()
        self.ledger = SpotLedger(self.accounts)
        self.engine = Engine(self.clock, [MARKET], seed_liquidity=False, ledger=self.ledger)
        self.ref = Reference()
        self.ids: list[AccountId] = []
        for name in ("a", "b", "c"):
            account, _ = self.accounts.register(
                {"apiKey": name, "secret": "s", "balances": {k: str(v) for k, v in FUNDS.items()}}
            )
            self.ids.append(account.id)
            self.ref.open(account.id)
        self.events: list[EngineEvent] = []
        self.before: dict[str, dict[str, tuple[D, D]]] = self._balances()

    def _balances(self) -> dict[str, dict[str, tuple[D, D]]]:
        out = {}
        for owner in self.ids:
            acct = self.accounts.by_id(owner)
            assert acct is not None
            out[str(owner)] = {
                a: (acct.spot.balance(a).free, acct.spot.balance(a).locked) for a in (BASE, QUOTE)
            }
        return out

    def _step(self, events: list[EngineEvent]) -> None:
        self.events = events
        self.clock.advance(1)

    @rule(
        who=st.integers(0, 2),
        side=st.sampled_from(["BUY", "SELL"]),
        price=st.integers(99_990, 100_010),
        qty=st.integers(1, 400_000),
        tif=st.sampled_from(["GTC", "GTC", "IOC", "FOK"]),
        stp=st.sampled_from(STP),
    )
    def limit(self, who: int, side: str, price: int, qty: int, tif: str, stp: str) -> None:
        self._place(who, side, price * TICK, qty * STEP, tif, stp)

    @rule(
        who=st.integers(0, 2),
        side=st.sampled_from(["BUY", "SELL"]),
        qty=st.integers(1, 300_000),
        stp=st.sampled_from(STP),
    )
    def market(self, who: int, side: str, qty: int, stp: str) -> None:
        self._place(who, side, None, qty * STEP, "GTC", stp)

    def _place(self, who: int, side: str, price: D | None, qty: D, tif: str, stp: str) -> None:
        owner = self.ids[who]
        try:
            result, events = self.engine.place_order(
                SYMBOL, side, "LIMIT" if price is not None else "MARKET",  # type: ignore[arg-type]
                quantity=qty, price=price, time_in_force=tif, owner=owner,  # type: ignore[arg-type]
                client_order_id=None, stp_mode=stp,
            )  # fmt: skip
        except ExchangeError as err:
            assert err.code == -2010 and "insufficient balance" in err.msg
            ref_order = Ord(-1, owner, side, price, qty, tif, stp)
            snapshot = (
                {k: {a: list(v) for a, v in w.items()} for k, w in self.ref.wallets.items()},
                list(self.ref.resting),
            )
            assert not self.ref.place(ref_order), "the reference could pay"
            assert (self.ref.wallets, self.ref.resting) == (snapshot[0], snapshot[1])
            self._step([])
            return
        ref_order = Ord(result.order_id, owner, side, price, qty, tif, stp)
        assert self.ref.place(ref_order), "the engine accepted what the reference refused"
        self._step(events)

    @precondition(lambda self: bool(self.ref.resting))
    @rule(pick=st.integers(0, 1000))
    def cancel(self, pick: int) -> None:
        order = self.ref.resting[pick % len(self.ref.resting)]
        record = self.engine.order(order.oid)
        assert record is not None
        events = self.engine.cancel(record, new_client_order_id=f"c{order.oid}")
        self.ref.cancel(order)
        self._step(events)

    @precondition(lambda self: any(o.rem > STEP for o in self.ref.resting))
    @rule(pick=st.integers(0, 1000), steps=st.integers(1, 10_000))
    def amend(self, pick: int, steps: int) -> None:
        candidates = [o for o in self.ref.resting if o.rem > STEP]
        order = candidates[pick % len(candidates)]
        cut = min(steps * STEP, order.rem - STEP)
        record = self.engine.order(order.oid)
        assert record is not None
        events = self.engine.amend(record, order.qty - cut)
        self.ref.amend(order, order.qty - cut)
        self._step(events)

    # -- invariants ------------------------------------------------------------------------

    @invariant()
    def orders_match_the_reference(self) -> None:
        """Every order's status, executed and prevented quantities equal the reference's."""
        for oid, ref in self.ref.orders.items():
            record = self.engine.order(oid)
            assert record is not None
            assert (record.status, record.executed_qty, record.prevented_qty) == (
                ref.status,
                ref.executed,
                ref.prevented,
            ), oid
            assert record.executed_qty + record.prevented_qty <= (record.orig_qty or 0) or (
                record.orig_qty is None
            )
        book = self.engine.book(SYMBOL)
        assert sorted(book.orders) == sorted(o.oid for o in self.ref.resting)
        bid, ask = book.best_bid(), book.best_ask()
        assert bid is None or ask is None or bid[0] < ask[0]

    @invariant()
    def balances_match_and_are_conserved(self) -> None:
        """Balances equal the reference's, are never negative, and with the fees conserve the
        funds; locked is exactly what the open orders hold."""
        now = self._balances()
        for owner, assets in now.items():
            for asset, (free, locked) in assets.items():
                assert free >= 0 and locked >= 0
                assert [free, locked] == self.ref.wallets[owner][asset], (owner, asset)
        for asset in (BASE, QUOTE):
            total = sum(now[o][asset][0] + now[o][asset][1] for o in now)
            assert total + self.ledger.fees.get(asset, D(0)) == FUNDS[asset] * 3
        for owner in now:
            held = {BASE: D(0), QUOTE: D(0)}
            for o in self.ref.resting:
                if o.owner == owner:
                    held[QUOTE if o.side == "BUY" else BASE] += o.hold
            assert held == {a: now[owner][a][1] for a in (BASE, QUOTE)}

    @invariant()
    def each_change_is_reported_as_binance_would(self) -> None:
        """The step's order updates are the reference's, in order; each account whose balance
        changed got one outboundAccountPosition, last, with the balances as they stand."""
        updates = [
            (str(e.owner), e.execution, e.order.status, e.order.order_id)
            for e in self.events
            if isinstance(e, OrderUpdate)
        ]
        assert updates == self.ref.events if self.events else True
        now = self._balances()
        positions = {str(e.owner): e for e in self.events if isinstance(e, AccountPosition)}
        for owner in now:
            changed = {a for a in (BASE, QUOTE) if now[owner][a] != self.before[owner][a]}
            if changed:
                assert owner in positions
                reported = {a: (f, lk) for a, f, lk in positions[owner].balances}
                assert changed <= set(reported)
                assert all(reported[a] == now[owner][a] for a in reported)
        kinds = [type(e).__name__ for e in self.events if getattr(e, "owner", None) is not None]
        if "AccountPosition" in kinds:
            assert kinds.index("AccountPosition") > max(
                (i for i, k in enumerate(kinds) if k == "OrderUpdate"), default=-1
            )
        self.before = now


AccountsMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
TestAccountsAgainstReference = AccountsMachine.TestCase
TestAccountsAgainstReference.__doc__ = (
    "Balances, orders and reported events of the engine with accounts equal a naive reference."
)
