"""One matching step: a taker against the book, with self-trade prevention and settlement.

A :class:`Step` is one engine call (a new order, a cancel, an amend, the stop orders a trade
triggered): it has one time, shared by every event it reports (Binance's ``E``/``T`` of one
matching step), and collects the public events (trades, aggregate trades, one depth update) and
the owners' order updates. :meth:`Step.take` matches a taker at the makers' prices in
price-time priority; when both sides belong to the same account, the taker's self-trade
prevention mode decides (reference 9.5; ``TRANSFER`` acts as ``DECREMENT`` since the emulator
has no trade groups). Fills of an account's orders go through the ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING

from .book import Book, RestingOrder
from .events import DepthUpdate, EngineEvent, ExecutionType, OrderUpdate, Prevention
from .ids import id_base
from .markets import Market
from .order_lists import ListStatus, OrderList
from .orders import OrderRecord, OrderStatus, PreventedMatch
from .tape import AggTrade, Tape, Trade
from .types import Side

if TYPE_CHECKING:
    from .ledger import SpotLedger

__all__ = ["EXPIRY_REASONS", "Step", "SymbolState", "sweep_book"]

_ZERO = Decimal(0)
# why a taker's unfilled remainder expires (Binance's ``eR``)
EXPIRY_REASONS = {
    "IOC": "UNFILLED_IOC_QUANTITY_EXPIRED",
    "FOK": "UNFILLED_FOK_ORDER_EXPIRED",
    "MARKET": "INSUFFICIENT_LIQUIDITY",
}


class SymbolState:
    """Everything the engine keeps per symbol."""

    def __init__(self, market: Market, origin: int) -> None:
        from .stops import StopBook

        self.market = market
        self.book = Book()
        agg_base = id_base("agg", market.kind, market.symbol)
        self.tape = Tape(market.initial_price, origin=origin, agg_base=agg_base)
        self.stops = StopBook()
        # ids start at Binance-like offsets (engine/ids.py)
        self.update_id = id_base("update", market.kind, market.symbol)
        self.trade_id = id_base("trade", market.kind, market.symbol)
        self.execution_id = 0
        self.prevented_match_id = -1


def sweep_book(
    st: SymbolState,
    side: Side,
    *,
    qty: Decimal | None = None,
    quote: Decimal | None = None,
    limit: Decimal | None = None,
    fill_at_last: bool = False,
) -> tuple[Decimal, Decimal]:
    """Return (base, quote) a taker would trade against ``side`` of the book as it is, up to
    the base ``qty`` or the ``quote`` amount (rounded to the step), within ``limit``; with
    ``fill_at_last`` what the book lacks is priced at the last trade price."""
    base_total, quote_total = _ZERO, _ZERO
    for price, total in st.book.levels(side):
        if limit is not None and (price > limit if side == "SELL" else price < limit):
            break
        if qty is not None:
            take = min(total, qty - base_total)
        else:
            assert quote is not None
            take = min(total, st.market.round_qty((quote - quote_total) / price))
        if take <= 0:
            break
        base_total += take
        quote_total += take * price
    if fill_at_last:
        last = st.tape.last_price
        if qty is not None and base_total < qty:
            quote_total += (qty - base_total) * last
            base_total = qty
        elif quote is not None and quote_total < quote:
            base_total += (quote - quote_total) / last
            quote_total = quote
    return base_total, quote_total


@dataclass
class Step:
    """One engine call on one symbol: its time, what it changed, what it reports."""

    st: SymbolState
    ts: int
    ledger: SpotLedger | None
    lookup: Callable[[int], OrderRecord | None]
    settled: Callable[[OrderRecord], None]
    fills: list[Trade] = field(default_factory=list)
    aggs: list[AggTrade] = field(default_factory=list)
    updates: list[OrderUpdate | ListStatus] = field(default_factory=list)
    fees: dict[int, list[tuple[Decimal, str]]] = field(default_factory=dict)
    # called when a leg of an order list trades or expires in match (the engine ends the list)
    list_hook: Callable[[Step, OrderRecord], None] | None = None
    depth: DepthUpdate = field(init=False)

    def __post_init__(self) -> None:
        st = self.st
        self.depth = DepthUpdate(st.market.symbol, st.update_id + 1, st.update_id, self.ts)

    @property
    def market(self) -> Market:
        """The symbol's market."""
        return self.st.market

    # -- reporting ---------------------------------------------------------------------------

    def report(self, record: OrderRecord, execution: ExecutionType, **extra: object) -> None:
        """Add an order update for ``record``'s owner (none for background orders)."""
        if record.owner is None:
            return
        self.st.execution_id += 1
        self.updates.append(
            OrderUpdate(
                record.owner,
                execution,
                record.snapshot(),
                time=self.ts,
                execution_id=self.st.execution_id,
                **extra,  # type: ignore[arg-type]
            )
        )

    def list_status(self, order_list: OrderList) -> None:
        """Add a ``listStatus`` event for the list as it now stands."""
        self.updates.append(ListStatus(order_list.owner, order_list.snapshot(), self.ts))

    def touch(self, side: Side, price: Decimal) -> None:
        """Record the new total of a book level in this step's depth update."""
        st = self.st
        st.update_id += 1
        self.depth.last_id = st.update_id
        total = st.book.level_total(side, price)
        (self.depth.bids if side == "BUY" else self.depth.asks)[price] = total

    def finish(self, record: OrderRecord, status: OrderStatus, reason: str | None = None) -> None:
        """Move ``record`` to ``status``; a newly canceled or expired order is reported and
        its lock released."""
        before = record.status
        record.settle(status, self.ts)
        if status != before and status in ("CANCELED", "EXPIRED"):
            if status == "EXPIRED" and record.expiry_reason is None:
                record.expiry_reason = reason
            self.report(record, "CANCELED" if status == "CANCELED" else "EXPIRED")
        if not record.is_open and self.ledger is not None:
            self.ledger.release(record, self.ts)
        self.settled(record)

    def restate_last_trade(self, record: OrderRecord) -> None:
        """Show ``record`` as it now stands in its last TRADE update of this step.

        A MARKET order sized by quote amount only knows its last fill was the last once the
        next one rounds to nothing; Binance's last ``executionReport`` of such an order
        already says FILLED (with the executed quantity), so that update is restated.
        """
        for i in range(len(self.updates) - 1, -1, -1):
            update = self.updates[i]
            if isinstance(update, OrderUpdate) and update.order.order_id == record.order_id:
                if update.execution == "TRADE":
                    self.updates[i] = replace(update, order=record.snapshot())
                return

    def events(self) -> list[EngineEvent]:
        """Return the step's events: trades, aggregate trades, depth, updates, balances."""
        out: list[EngineEvent] = [*self.fills, *self.aggs]
        if self.depth.last_id >= self.depth.first_id:
            out.append(self.depth)
        out.extend(self.updates)
        if self.ledger is not None:
            out.extend(self.ledger.positions(self.ts))
        return out

    # -- matching ----------------------------------------------------------------------------

    def take(self, record: OrderRecord, limit: Decimal | None) -> bool:
        """Match ``record`` as a taker against the opposite side up to ``limit`` (None: any).

        Returns True when the order got all it asked for (its quantity, or its quote amount).
        Stops early when self-trade prevention expires the taker or its account cannot pay.
        """
        book, m = self.st.book, self.market
        opposite: Side = "SELL" if record.side == "BUY" else "BUY"
        levels = book.side(opposite)
        quote_left = record.quote_order_qty if record.orig_qty is None else None
        while levels.prices:
            price = levels.prices[-1] if opposite == "BUY" else levels.prices[0]
            if limit is not None and (price > limit if record.side == "BUY" else price < limit):
                return False
            maker = levels.queues[price][0]
            own = record.owner is not None and maker.owner == record.owner
            if own and record.stp_mode != "NONE":
                if not self._prevent(record, maker):
                    return False
                continue
            remaining = record.remaining
            if remaining is not None:
                qty = min(remaining, maker.remaining)
            else:
                assert quote_left is not None
                qty = min(m.round_qty(quote_left / price), maker.remaining)
                if qty <= 0:
                    return True
            if not self._affordable(record, qty, price):
                return False
            trade = self._trade(record, maker, price, qty)
            if quote_left is not None:
                quote_left -= trade.quote_qty
            elif record.remaining == 0:
                return True
        return False

    def _affordable(self, record: OrderRecord, qty: Decimal, price: Decimal) -> bool:
        """Make sure a taker of an account can pay for ``qty`` at ``price``."""
        if self.ledger is None or record.owner is None:
            return True
        hold = self.ledger.hold(record.order_id)
        if hold is None or hold.unit_price is not None:
            return True
        needed = qty * price if record.side == "BUY" else qty
        return self.ledger.top_up(record, needed, self.ts)

    def _trade(
        self, record: OrderRecord, maker: RestingOrder, price: Decimal, qty: Decimal
    ) -> Trade:
        st, book = self.st, self.st.book
        st.trade_id += 1
        trade = Trade(
            st.market.symbol,
            st.trade_id,
            price,
            qty,
            qty * price,
            self.ts,
            buyer_is_maker=(record.side == "SELL"),
            maker_order_id=maker.order_id,
            taker_order_id=record.order_id,
            maker_owner=maker.owner,
            taker_owner=record.owner,
        )
        self.fills.append(trade)
        agg = st.tape.add(trade)
        if not self.aggs or self.aggs[-1] is not agg:
            self.aggs.append(agg)
        maker_record = self.lookup(maker.order_id)
        if maker_record is not None:
            self._fill(maker_record, trade, True)
        self._fill(record, trade, False)
        maker.remaining -= qty
        levels = book.side(maker.side)
        if maker.remaining <= 0:
            levels.queues[price].popleft()
            del book.orders[maker.order_id]
        levels.reduce(price, qty)
        self.touch(maker.side, price)
        return trade

    def _fill(self, record: OrderRecord, trade: Trade, is_maker: bool) -> None:
        commission, asset = _ZERO, None
        if self.ledger is not None and record.owner is not None:
            commission, asset = self.ledger.settle(record, self.market, trade, is_maker, self.ts)
            self.fees.setdefault(record.order_id, []).append((commission, asset))
        record.fill(trade.qty, trade.quote_qty, self.ts)
        self.report(
            record,
            "TRADE",
            trade=trade,
            commission=commission,
            commission_asset=asset,
            is_maker=is_maker,
        )
        if record.order_list_id >= 0 and self.list_hook is not None:
            self.list_hook(self, record)
        if is_maker:
            if not record.is_open and self.ledger is not None:
                self.ledger.release(record, self.ts)
            self.settled(record)

    # -- self-trade prevention ---------------------------------------------------------------

    def _prevent(self, taker: OrderRecord, maker: RestingOrder) -> bool:
        """Apply the taker's STP mode against its own ``maker``; return False to stop taking."""
        mode = "DECREMENT" if taker.stp_mode == "TRANSFER" else taker.stp_mode
        maker_record = self.lookup(maker.order_id)
        st = self.st
        st.prevented_match_id += 1
        match_id = st.prevented_match_id
        taker_left = taker.remaining if taker.remaining is not None else maker.remaining
        if mode == "DECREMENT":
            qty = min(taker_left, maker.remaining)
            expire_taker, expire_maker = qty >= taker_left, qty >= maker.remaining
        else:
            expire_taker = mode in ("EXPIRE_TAKER", "EXPIRE_BOTH")
            expire_maker = mode in ("EXPIRE_MAKER", "EXPIRE_BOTH")
            qty = _ZERO
        price = maker.price
        maker_qty = (maker.remaining if expire_maker else qty) if expire_maker or qty else None
        taker_qty = (taker_left if expire_taker else qty) if expire_taker or qty else None
        match = PreventedMatch(
            match_id, taker.order_id, maker.order_id, taker.stp_mode, price, taker_qty,
            maker_qty, self.ts,
        )  # fmt: skip
        for record in (taker, maker_record):
            if record is not None:
                record.prevented_matches.append(match)
        if maker_qty is not None:
            self._prevent_maker(maker, maker_record, taker, match_id, qty, expire_maker)
        if taker_qty is not None:
            self._prevented(taker, taker_qty, match_id, price, maker.order_id, expire_taker)
        return not expire_taker

    def _prevent_maker(
        self,
        maker: RestingOrder,
        record: OrderRecord | None,
        taker: OrderRecord,
        match_id: int,
        qty: Decimal,
        expire: bool,
    ) -> None:
        book = self.st.book
        cut = maker.remaining if expire else qty
        if expire:
            book.remove(maker.order_id)
        else:
            maker.remaining -= cut
            book.side(maker.side).reduce(maker.price, cut)
        self.touch(maker.side, maker.price)
        if record is not None:
            self._prevented(record, cut, match_id, maker.price, taker.order_id, expire)

    def _prevented(
        self,
        record: OrderRecord,
        qty: Decimal,
        match_id: int,
        price: Decimal,
        counter: int,
        expire: bool,
    ) -> None:
        record.prevented_qty += qty
        record.prevented_match_id = match_id
        if self.ledger is not None:
            self.ledger.release_units(record, qty, self.ts)
        if expire:
            record.settle("EXPIRED_IN_MATCH", self.ts)
        prevention = Prevention(match_id, qty, price, counter, self.market.symbol)
        self.report(record, "TRADE_PREVENTION", prevention=prevention)
        if expire:
            if self.ledger is not None:
                self.ledger.release(record, self.ts)
            self.settled(record)
            if record.order_list_id >= 0 and self.list_hook is not None:
                self.list_hook(self, record)  # an OCO leg expired in match ends its list
