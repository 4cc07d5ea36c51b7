"""The engine: markets, books, matching, order records, trade tapes and update ids, with no I/O.

Every mutating call returns its result together with the events it caused (trades, depth
changes, and order updates and balance positions for orders an account placed; see
:mod:`.events`); transports turn those events into stream payloads. Every order gets a record
in :attr:`Engine.orders` that outlives its time on the book (:mod:`.orders`); new orders pass
the filter table (:mod:`.filters`). One call is one matching step (:mod:`.matching`): its
events share one time. Stop orders wait in :mod:`.stops` until the last price triggers them.
Accounts' orders lock and move balances through the :attr:`Engine.ledger` (:mod:`.ledger`).
Time comes from the injected clock (or an explicit ``now``), randomness from one seeded
generator, so the same seed and the same calls give the same market. The state and the read
side live in :mod:`.state`; this module is the write side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from ..errors import ExchangeError
from .book import RestingOrder, Side
from .events import AccountId, DepthUpdate, EngineEvent, Liquidation, OrderUpdate
from .filters import NewOrder, check_account_limits, mandatory
from .markets import Market
from .matching import EXPIRY_REASONS, Step, SymbolState, sweep_book
from .order_lists import ListLeg, OrderList, check_oco_prices, leg_records
from .orders import OrderRecord
from .state import EngineState
from .stops import STOP_TYPES, triggers, working_type
from .tape import AggTrade, Trade

__all__ = [
    "AggTrade",
    "DepthUpdate",
    "Engine",
    "EngineEvent",
    "Liquidation",
    "OrderResult",
    "OrderType",
    "OrderUpdate",
    "TimeInForce",
]

TimeInForce = Literal["GTC", "IOC", "FOK"]
OrderType = Literal[
    "LIMIT",
    "MARKET",
    "LIMIT_MAKER",
    "STOP_LOSS",
    "STOP_LOSS_LIMIT",
    "TAKE_PROFIT",
    "TAKE_PROFIT_LIMIT",
]


@dataclass
class OrderResult:
    """What became of a new order."""

    order_id: int
    symbol: str
    side: Side
    status: str  # NEW, PARTIALLY_FILLED, FILLED, EXPIRED
    orig_qty: Decimal
    executed_qty: Decimal
    cumulative_quote_qty: Decimal
    price: Decimal | None
    fills: list[Trade]
    time: int
    record: OrderRecord | None = None  # the order as it stands after the call
    fees: list[tuple[Decimal, str]] = field(default_factory=list)  # per fill, for accounts


class Engine(EngineState):
    """The exchange: the state and reads of :class:`.state.EngineState` plus the write side.

    Ids start at Binance-like offsets (:mod:`.ids`); with ``seed_liquidity`` every symbol opens
    with a deep, one-tick-spread book (:func:`.liquidity.opening_orders`).
    """

    # -- write side --------------------------------------------------------------------------

    def place_order(
        self,
        symbol: str,
        side: Side,
        order_type: OrderType,
        *,
        quantity: Decimal | None = None,
        price: Decimal | None = None,
        quote_qty: Decimal | None = None,
        time_in_force: TimeInForce = "GTC",
        owner: AccountId | None = None,
        client_order_id: str | None = None,
        now: int | None = None,
        stop_price: Decimal | None = None,
        stp_mode: str = "NONE",
        strategy_id: int | None = None,
        strategy_type: int | None = None,
    ) -> tuple[OrderResult, list[EngineEvent]]:
        """Validate and match a new order; rest what is left when the order type allows.

        Args:
            owner: the account placing it; None for background activity. Only an account's
                orders produce :class:`OrderUpdate` events and move balances (through the
                ledger, when the engine has one).
            client_order_id: the account's id for it (unique among its open orders).
            stop_price: the trigger of a ``STOP_LOSS*``/``TAKE_PROFIT*`` order.
            stp_mode: self-trade prevention mode (the transport applies the symbol default).

        Returns:
            The order result and the events it caused (trades, aggregate trades, one depth
            update, the owners' order updates and balance positions), all at one time.

        Raises:
            ExchangeError: a filter failure (-1013), an invalid symbol (-1121), LIMIT_MAKER
                that would trade, a stop that would trigger immediately, a duplicate client
                order id or insufficient balance (-2010).
        """
        m = self.market(symbol)
        ts = self.clock.now_ms() if now is None else now
        st = self._symbols[symbol]
        wtype = working_type(order_type)
        # the filters that read the average price (PERCENT_PRICE_BY_SIDE, a MARKET order's
        # NOTIONAL) apply to accounts' orders; scripted and background orders skip them
        avg = self.avg_price(symbol, ts)[0] if owner is not None else None
        self.order_check(
            NewOrder(m, wtype, quantity, price, quote_qty, stop_price, side, avg),
        )
        if order_type in STOP_TYPES:
            if stop_price is None:
                raise mandatory("stopPrice")
            if triggers(order_type, side, stop_price, st.tape.last_price):
                raise ExchangeError(-2010, "Order would trigger immediately.")
        elif order_type == "LIMIT_MAKER":
            assert price is not None
            best = st.book.best_ask() if side == "BUY" else st.book.best_bid()
            if best is not None and (best[0] <= price if side == "BUY" else best[0] >= price):
                raise ExchangeError(-2010, "Order would immediately match and take.")
        record = OrderRecord(
            self._next_order_id,
            symbol,
            side,
            order_type,
            "GTC" if wtype == "MARKET" else time_in_force,
            price,
            quantity,
            quote_qty,
            owner,
            client_order_id,
            ts,
            stop_price=stop_price,
            stp_mode=stp_mode,
            strategy_id=strategy_id,
            strategy_type=strategy_type,
        )
        if owner is not None:
            check_account_limits(m, order_type, self.orders.open_orders(owner, symbol))
            self.orders.check_client_id(record)
            self._reserve(record, m, st)
        self.orders.add(record)
        self._next_order_id += 1
        step = self._step(st, ts)
        if order_type not in STOP_TYPES:
            record.working_time = ts  # works at once (a stop waits for its trigger)
        step.report(record, "NEW")
        if order_type in STOP_TYPES:
            st.stops.add(record)
        else:
            self._work(step, record)
        self._trigger(step)
        fills = [t for t in step.fills if t.taker_order_id == record.order_id]
        result = self._result(record, fills, ts, step.fees.get(record.order_id, []))
        return result, step.events()

    def place_oco(
        self,
        symbol: str,
        side: Side,
        quantity: Decimal,
        legs: list[ListLeg],
        *,
        owner: AccountId,
        list_client_order_id: str,
        now: int | None = None,
        stp_mode: str = "NONE",
    ) -> tuple[OrderList, list[EngineEvent]]:
        """Place an OCO of an account: ``legs`` in Binance's order (the stop-loss leg first).

        Both legs pass the filters; their prices must straddle the last trade price
        (:func:`.order_lists.check_oco_prices`); the balance is locked once for the list.

        Raises:
            ExchangeError: as :meth:`place_order`, and -2010 for prices on the wrong side.
        """
        m = self.market(symbol)
        ts = self.clock.now_ms() if now is None else now
        st = self._symbols[symbol]
        avg = self.avg_price(symbol, ts)[0]
        for leg in legs:
            wtype = working_type(leg.order_type)
            self.order_check(
                NewOrder(m, wtype, quantity, leg.price, None, leg.stop_price, side, avg)
            )
        best = st.book.best_ask() if side == "BUY" else st.book.best_bid()
        check_oco_prices(side, legs, st.tape.last_price, best[0] if best else None)
        list_id = self.lists.next_id  # taken once the list is accepted
        records = leg_records(
            self._next_order_id, list_id, symbol, side, quantity, legs, owner, ts, stp_mode
        )
        open_orders: list[object] = list(self.orders.open_orders(owner, symbol))
        for record in records:
            check_account_limits(m, record.order_type, open_orders)
            self.orders.check_client_id(record)
            open_orders.append(record)
        ids = [r.client_order_id for r in records if r.client_order_id is not None]
        if len(set(ids)) < len(ids):
            raise ExchangeError(-2010, "Duplicate order sent.")
        holder = next((r for r in records if r.order_type == "LIMIT_MAKER"), records[0])
        if self.ledger is not None:
            self.ledger.reserve_list(holder, records, m)
        self.lists.new_id()
        order_list = OrderList(list_id, symbol, owner, list_client_order_id, records, ts)
        self.lists.add(order_list)
        for record in records:
            self.orders.add(record)
        self._next_order_id += len(records)
        step = self._step(st, ts)
        for record in records:
            if record.order_type not in STOP_TYPES:
                record.working_time = ts
            step.report(record, "NEW")
        for record in records:
            if record.order_type in STOP_TYPES:
                st.stops.add(record)
            else:
                self._work(step, record)
        step.list_status(order_list)
        return order_list, step.events()

    def cancel_list(
        self,
        order_list: OrderList,
        *,
        now: int | None = None,
        new_client_order_id: str | None = None,
    ) -> list[EngineEvent]:
        """Cancel every open leg of an order list in one step; the list becomes ALL_DONE.

        Each leg takes ``new_client_order_id`` (Binance gives both legs the cancel's id).

        Raises:
            ExchangeError: -2011 Unknown order sent (the list is done).
        """
        if not order_list.is_open:
            raise ExchangeError(-2011, "Unknown order sent.")
        st = self._symbols[order_list.symbol]
        step = self._step(st, self.clock.now_ms() if now is None else now)
        for record in order_list.legs:
            if not record.is_open:
                continue
            self._unlist(step, record)
            original = record.client_order_id
            if new_client_order_id is not None:
                self.orders.rename(record, new_client_order_id)
            record.settle("CANCELED", step.ts)
            step.report(record, "CANCELED", orig_client_order_id=original)
            if self.ledger is not None:
                self.ledger.release(record, step.ts)
            self.orders.settled(record)
        order_list.done()
        step.list_status(order_list)
        return step.events()

    def liquidate(
        self, symbol: str, side: Side, quantity: Decimal, now: int | None = None
    ) -> tuple[Liquidation, list[EngineEvent]]:
        """Execute a forced order (a liquidation): an IOC taker of ``quantity`` on ``side``.

        Returns:
            The liquidation (``forceOrder`` fields) and the events it caused; the liquidation
            itself is the last event.
        """
        ts = self.clock.now_ms() if now is None else now
        res, events = self.place_order(symbol, side, "MARKET", quantity=quantity, now=ts)
        worst = res.fills[-1].price if res.fills else self.last_price(symbol)
        avg = res.cumulative_quote_qty / res.executed_qty if res.executed_qty else worst
        last = res.fills[-1].qty if res.fills else Decimal(0)
        status = "FILLED" if res.executed_qty == quantity else "EXPIRED"
        liq = Liquidation(symbol, side, quantity, worst, avg, status, last, res.executed_qty, ts)
        return liq, [*events, liq]

    def cancel_order(
        self, symbol: str, order_id: int, now: int | None = None
    ) -> tuple[RestingOrder, list[EngineEvent]]:
        """Remove a resting order; its record (if any) becomes CANCELED.

        Raises:
            ExchangeError: -2011 Unknown order sent.
        """
        st = self._symbols[self.market(symbol).symbol]
        resting = st.book.orders.get(order_id)
        if resting is None:
            raise ExchangeError(-2011, "Unknown order sent.")
        ts = self.clock.now_ms() if now is None else now
        record = self.orders.get(order_id)
        if record is not None:
            return resting, self.cancel(record, now=ts)
        step = self._step(st, ts)
        st.book.remove(order_id)
        step.touch(resting.side, resting.price)
        return resting, step.events()

    def cancel(
        self, record: OrderRecord, *, now: int | None = None, new_client_order_id: str | None = None
    ) -> list[EngineEvent]:
        """Cancel an open order (resting or a stop waiting for its trigger).

        The order takes ``new_client_order_id`` (the cancel's id) and frees its old one; the
        ``CANCELED`` update names the old one. What it locked is released.

        Raises:
            ExchangeError: -2011 Unknown order sent (not open).
        """
        st = self._symbols[record.symbol]
        ts = self.clock.now_ms() if now is None else now
        order_list = self.lists.get(record.order_list_id)
        if order_list is not None and order_list.is_open and record.is_open:
            return self.cancel_list(order_list, now=ts, new_client_order_id=new_client_order_id)
        step = self._step(st, ts)
        if st.stops.remove(record.order_id) is None:
            resting = st.book.remove(record.order_id)
            if resting is None:
                raise ExchangeError(-2011, "Unknown order sent.")
            step.touch(resting.side, resting.price)
        original = record.client_order_id
        if new_client_order_id is not None:
            self.orders.rename(record, new_client_order_id)
        record.settle("CANCELED", ts)
        step.report(record, "CANCELED", orig_client_order_id=original)
        if self.ledger is not None:
            self.ledger.release(record, ts)
        self.orders.settled(record)
        return step.events()

    def amend(
        self,
        record: OrderRecord,
        new_qty: Decimal,
        *,
        now: int | None = None,
        new_client_order_id: str | None = None,
    ) -> list[EngineEvent]:
        """Reduce an open order's quantity keeping its place in the queue (``REPLACED``).

        A quantity at or below what was executed ends the order (``EXPIRED``).

        Raises:
            ExchangeError: -2011 the order is not open.
        """
        st = self._symbols[record.symbol]
        ts = self.clock.now_ms() if now is None else now
        if not record.is_open or record.orig_qty is None:
            raise ExchangeError(-2011, "Unknown order sent.")
        step = self._step(st, ts)
        cut = record.orig_qty - max(new_qty, record.executed_qty)
        resting = st.book.orders.get(record.order_id)
        if resting is not None:
            resting.remaining -= cut
            if resting.remaining <= 0:
                st.book.remove(record.order_id)
            else:
                st.book.side(resting.side).reduce(resting.price, cut)
            step.touch(resting.side, resting.price)
        if self.ledger is not None:
            self.ledger.release_units(record, cut, ts)
        if new_client_order_id is not None:
            self.orders.rename(record, new_client_order_id)
        record.orig_qty -= cut
        record.amendments += 1
        record.update_time = ts
        if record.remaining is not None and record.remaining <= 0:
            st.stops.remove(record.order_id)
            record.settle("EXPIRED", ts)
        step.report(record, "REPLACED")
        if not record.is_open:
            if self.ledger is not None:
                self.ledger.release(record, ts)
            self.orders.settled(record)
        return step.events()

    def sweep(
        self, symbol: str, side: Side, *, qty: Decimal | None = None, quote: Decimal | None = None
    ) -> tuple[Decimal, Decimal]:
        """Return (base, quote) a taker would trade against ``side`` of the book as it is, for
        the base ``qty`` or the ``quote`` amount; what the book lacks is at the last price."""
        st = self._symbols[self.market(symbol).symbol]
        return sweep_book(st, side, qty=qty, quote=quote, fill_at_last=True)

    def requeue(
        self, record: OrderRecord, price: Decimal, quantity: Decimal, *, now: int | None = None
    ) -> list[EngineEvent]:
        """Give a resting order a new price and quantity (a futures order modify).

        The order leaves the book and works again at its new price, behind the orders already
        there (it loses its time priority), and may trade if the new price crosses.

        Raises:
            ExchangeError: -2011 the order is not resting.
        """
        st = self._symbols[record.symbol]
        ts = self.clock.now_ms() if now is None else now
        resting = st.book.remove(record.order_id)
        if resting is None:
            raise ExchangeError(-2011, "Unknown order sent.")
        step = self._step(st, ts)
        step.touch(resting.side, resting.price)
        record.price = price
        record.orig_qty = quantity
        record.update_time = ts
        self._work(step, record)
        self._trigger(step)
        return step.events()

    def expire(
        self, record: OrderRecord, reason: str, *, now: int | None = None
    ) -> list[EngineEvent]:
        """End an open order as ``EXPIRED`` with ``reason`` (a futures GTD order at its
        ``goodTillDate``, a reduce-only order left with nothing to reduce).

        Raises:
            ExchangeError: -2011 the order is not resting.
        """
        st = self._symbols[record.symbol]
        resting = st.book.remove(record.order_id)
        if resting is None:
            raise ExchangeError(-2011, "Unknown order sent.")
        step = self._step(st, self.clock.now_ms() if now is None else now)
        step.touch(resting.side, resting.price)
        step.finish(record, "EXPIRED", reason)
        return step.events()

    def reject(
        self,
        symbol: str,
        side: str,
        order_type: str,
        *,
        owner: AccountId,
        client_order_id: str,
        quantity: Decimal | None,
        price: Decimal | None,
        stop_price: Decimal | None,
        reason: str,
        now: int | None = None,
    ) -> list[EngineEvent]:
        """Record an account's order the matching engine refused after a cancel-replace's
        cancel: it is reported ``REJECTED`` with ``reason`` and never works."""
        st = self._symbols[self.market(symbol).symbol]
        ts = self.clock.now_ms() if now is None else now
        record = OrderRecord(
            self._next_order_id,
            symbol,
            side,  # type: ignore[arg-type]
            order_type,
            "GTC",
            price,
            quantity,
            None,
            owner,
            client_order_id,
            ts,
            status="REJECTED",
            stop_price=stop_price,
        )
        self._next_order_id += 1
        self.orders.add(record)
        step = self._step(st, ts)
        step.report(record, "REJECTED", reject_reason=reason)
        return step.events()

    def order(self, order_id: int) -> OrderRecord | None:
        """Return the record of an order (None once a background order is final)."""
        return self.orders.get(order_id)

    def is_resting(self, record: OrderRecord) -> bool:
        """True when ``record`` is on the book (not a stop waiting for its trigger)."""
        return record.order_id in self._symbols[record.symbol].book.orders

    # -- internals ---------------------------------------------------------------------------

    def _step(self, st: SymbolState, ts: int) -> Step:
        return Step(
            st, ts, self.ledger, self.orders.get, self.orders.settled, list_hook=self._end_list
        )

    def _unlist(self, step: Step, record: OrderRecord) -> None:
        """Take an open order off its book or out of the waiting stops."""
        if step.st.stops.remove(record.order_id) is None:
            resting = step.st.book.remove(record.order_id)
            if resting is not None:
                step.touch(resting.side, resting.price)

    def _end_list(self, step: Step, record: OrderRecord) -> None:
        """``record``, a leg of an open OCO, trades, triggers or expired in match: the other
        leg expires (``OCO_TRIGGER``), handing a working leg the list's lock, and the list is
        ALL_DONE."""
        order_list = self.lists.get(record.order_list_id)
        if order_list is None or not order_list.is_open:
            return
        sibling = order_list.sibling(record)
        if sibling is not None and sibling.is_open:
            if self.ledger is not None and record.is_open:
                self.ledger.move_hold(sibling.order_id, record)
            self._unlist(step, sibling)
            step.finish(sibling, "EXPIRED", "OCO_TRIGGER")
        order_list.done()
        step.list_status(order_list)

    def _reserve(self, record: OrderRecord, m: Market, st: SymbolState) -> None:
        """Lock what an account's new order may spend (reference 9.4)."""
        if self.ledger is not None:
            self.ledger.reserve_order(
                record, m, lambda side, qty, quote: sweep_book(st, side, qty=qty, quote=quote)
            )

    def _work(self, step: Step, record: OrderRecord) -> None:
        """Let ``record`` work: match it as a taker, then rest or expire what is left."""
        st, ts = step.st, step.ts
        wtype = working_type(record.order_type)
        record.working_time = ts
        limit = record.price if wtype != "MARKET" else None
        opposite: Side = "SELL" if record.side == "BUY" else "BUY"
        if record.time_in_force == "FOK" and wtype == "LIMIT":
            assert record.remaining is not None
            if sweep_book(st, opposite, qty=record.remaining, limit=limit)[0] < record.remaining:
                step.finish(record, "EXPIRED", EXPIRY_REASONS["FOK"])
                return
        satisfied = step.take(record, limit)
        if not record.is_open:
            step.finish(record, record.status)
            return
        if wtype == "MARKET" or record.time_in_force in ("IOC", "FOK"):
            if record.orig_qty is None:  # quote-sized: done when the quote amount is spent
                record.orig_qty = record.executed_qty
                if satisfied and record.executed_qty > 0:
                    step.finish(record, "FILLED")
                    step.restate_last_trade(record)
                    return
            key = "MARKET" if wtype == "MARKET" else record.time_in_force
            step.finish(record, "EXPIRED", EXPIRY_REASONS[key])
            return
        assert record.price is not None and record.remaining is not None
        st.book.add(
            RestingOrder(
                record.order_id, record.side, record.price, record.remaining, record.owner, ts
            )
        )
        step.touch(record.side, record.price)
        step.settled(record)

    def _trigger(self, step: Step) -> None:
        """Work every stop order the step's trades triggered (and those they trigger)."""
        st = step.st
        while len(st.stops) and step.fills:
            fired = st.stops.triggered(st.tape.last_price)
            if not fired:
                return
            for record in fired:
                if record.is_open:
                    self._end_list(step, record)  # an OCO leg that starts working
                    self._work(step, record)

    @staticmethod
    def _result(
        record: OrderRecord, fills: list[Trade], now: int, fees: list[tuple[Decimal, str]]
    ) -> OrderResult:
        return OrderResult(
            record.order_id,
            record.symbol,
            record.side,
            record.status,
            record.orig_qty if record.orig_qty is not None else record.executed_qty,
            record.executed_qty,
            record.cumulative_quote_qty,
            record.price,
            fills,
            now,
            record.snapshot(),
            list(fees),
        )
