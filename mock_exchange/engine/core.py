"""The engine: markets, books, matching, order records, trade tapes and update ids, with no I/O.

Every mutating call returns its result together with the events it caused (trades, depth
changes, and order updates for orders an account placed; see :mod:`.events`); transports turn
those events into stream payloads. Every order gets a record in :attr:`Engine.orders` that
outlives its time on the book (:mod:`.orders`); new orders pass the filter table
(:mod:`.filters`). Time comes from the injected
clock (or an explicit ``now``), randomness from one seeded generator, so the same seed and the
same calls give the same market.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from ..errors import ExchangeError
from .book import Book, RestingOrder, Side
from .clock import Clock
from .events import (
    AccountId,
    DepthUpdate,
    EngineEvent,
    ExecutionType,
    Liquidation,
    OrderUpdate,
)
from .filters import NewOrder, check_order
from .markets import DEFAULT_MARKETS, Market
from .orders import OrderRecord, OrderStatus, OrderStore
from .tape import AggTrade, Kline, Tape, TickerStats, Trade

__all__ = [
    "AggTrade",
    "DepthUpdate",
    "Engine",
    "EngineEvent",
    "Liquidation",
    "OrderResult",
    "OrderUpdate",
    "TimeInForce",
]

TimeInForce = Literal["GTC", "IOC", "FOK"]


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


class _SymbolState:
    def __init__(self, market: Market, origin: int) -> None:
        self.market = market
        self.book = Book()
        self.tape = Tape(market.initial_price, origin=origin)
        self.update_id = 0
        self.trade_id = 0


class Engine:
    """The exchange state: one book, tape and update-id counter per symbol."""

    def __init__(
        self,
        clock: Clock,
        markets: list[Market] | tuple[Market, ...] = DEFAULT_MARKETS,
        *,
        seed: int = 0,
        seed_liquidity: bool = True,
    ) -> None:
        self.clock = clock
        self.markets: dict[str, Market] = {m.symbol: m for m in markets}
        self.seed = seed
        self.rng = random.Random(seed)
        self._symbols: dict[str, _SymbolState] = {
            s: _SymbolState(m, clock.now_ms()) for s, m in self.markets.items()
        }
        self._next_order_id = 1
        self.orders = OrderStore()
        if seed_liquidity:
            for symbol in self.markets:
                self._seed_book(symbol)

    # -- read side ---------------------------------------------------------------------------

    def market(self, symbol: str) -> Market:
        """Return the market for ``symbol``.

        Raises:
            ExchangeError: -1121 Invalid symbol.
        """
        try:
            return self.markets[symbol]
        except KeyError:
            raise ExchangeError(-1121, "Invalid symbol.") from None

    def book(self, symbol: str) -> Book:
        """Return the live book of ``symbol``."""
        self.market(symbol)
        return self._symbols[symbol].book

    def update_id(self, symbol: str) -> int:
        """Return the book's current update id (shared by every depth view)."""
        self.market(symbol)
        return self._symbols[symbol].update_id

    def depth(
        self, symbol: str, limit: int = 100
    ) -> tuple[int, list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        """Return (lastUpdateId, bids, asks) read atomically, best levels first."""
        st = self._symbols[self.market(symbol).symbol]
        return st.update_id, st.book.levels("BUY", limit), st.book.levels("SELL", limit)

    def ticker_stats(
        self, symbol: str, window_ms: int = 86_400_000, now: int | None = None
    ) -> TickerStats:
        """Return rolling-window statistics from the symbol's trades."""
        st = self._symbols[self.market(symbol).symbol]
        return st.tape.stats(self.clock.now_ms() if now is None else now, window_ms)

    def recent_trades(self, symbol: str) -> list[Trade]:
        """Return the most recent trades of ``symbol``, oldest first."""
        return list(self._symbols[self.market(symbol).symbol].tape.recent)

    def last_price(self, symbol: str) -> Decimal:
        """Return the last traded price (the market's initial price before any trade)."""
        return self._symbols[self.market(symbol).symbol].tape.last_price

    def tape(self, symbol: str) -> Tape:
        """Return the trade tape of ``symbol`` (klines, agg trades, recent trades)."""
        return self._symbols[self.market(symbol).symbol].tape

    def klines(
        self,
        symbol: str,
        interval: str,
        now: int,
        *,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int = 500,
        offset_ms: int = 0,
    ) -> list[Kline]:
        """Return klines of ``symbol`` aggregated from its trades, oldest first."""
        return self.tape(symbol).klines(
            interval,
            now,
            start_time=start_time,
            end_time=end_time,
            limit=limit,
            offset_ms=offset_ms,
        )

    def avg_price(self, symbol: str, now: int, mins: int = 5) -> tuple[Decimal, int]:
        """Return (volume-weighted price of the last ``mins`` minutes, last trade time).

        With no trade in the window the last price is returned; the time is the last trade's
        time (``now`` before any trade).
        """
        tape = self.tape(symbol)
        horizon = now - mins * 60_000
        recent = [t for t in tape.recent if t.time > horizon]
        volume = sum((t.qty for t in recent), Decimal(0))
        price = (
            sum((t.quote_qty for t in recent), Decimal(0)) / volume if volume else tape.last_price
        )
        return price, tape.last_time if tape.last_time is not None else now

    def skip_update_ids(self, symbol: str, count: int) -> int:
        """Advance the update-id counter by ``count`` without a book change (a diff gap).

        Returns the new update id.
        """
        st = self._symbols[self.market(symbol).symbol]
        st.update_id += max(0, count)
        return st.update_id

    # -- write side --------------------------------------------------------------------------

    def place_order(
        self,
        symbol: str,
        side: Side,
        order_type: Literal["LIMIT", "MARKET", "LIMIT_MAKER"],
        *,
        quantity: Decimal | None = None,
        price: Decimal | None = None,
        quote_qty: Decimal | None = None,
        time_in_force: TimeInForce = "GTC",
        owner: AccountId | None = None,
        client_order_id: str | None = None,
        now: int | None = None,
    ) -> tuple[OrderResult, list[EngineEvent]]:
        """Validate and match a new order; rest what is left when the order type allows.

        Args:
            owner: the account placing it; None for background activity. Only an account's
                orders produce :class:`OrderUpdate` events.
            client_order_id: the account's id for it (unique among its open orders).

        Returns:
            The order result and the events (trades, aggregate trades, one depth update, and
            the owner's order updates) it caused.

        Raises:
            ExchangeError: a filter failure (-1013), an invalid symbol (-1121), LIMIT_MAKER
                that would trade or a duplicate client order id (-2010).
        """
        m = self.market(symbol)
        ts = self.clock.now_ms() if now is None else now
        check_order(NewOrder(m, order_type, quantity, price, quote_qty))
        st = self._symbols[symbol]
        book = st.book
        opposite: Side = "SELL" if side == "BUY" else "BUY"

        def crosses(level_price: Decimal) -> bool:
            if order_type == "MARKET" or price is None:
                return True
            return level_price <= price if side == "BUY" else level_price >= price

        if order_type == "LIMIT_MAKER":
            best = book.best_ask() if side == "BUY" else book.best_bid()
            if best is not None and crosses(best[0]):
                raise ExchangeError(-2010, "Order would immediately match and take.")
        record = OrderRecord(
            self._next_order_id,
            symbol,
            side,
            order_type,
            time_in_force,
            price,
            quantity,
            quote_qty,
            owner,
            client_order_id,
            ts,
        )
        self.orders.add(record)
        self._next_order_id += 1
        updates = _Updates(record)
        if time_in_force == "FOK" and order_type == "LIMIT":
            assert quantity is not None
            if self._fillable(book, opposite, quantity, crosses) < quantity:
                self._finish(record, "EXPIRED", ts, updates)
                return self._result(record, [], ts), updates.events

        remaining = quantity if quantity is not None else None
        quote_left = quote_qty
        satisfied = False  # the order got all it asked for (quantity or quote amount)
        fills: list[Trade] = []
        aggs: list[AggTrade] = []
        depth = DepthUpdate(symbol, st.update_id + 1, st.update_id, ts)
        levels = book.side(opposite)
        while levels.prices:
            level_price = levels.prices[-1] if opposite == "BUY" else levels.prices[0]
            if not crosses(level_price):
                break
            queue = levels.queues[level_price]
            maker = queue[0]
            if remaining is not None:
                qty = min(remaining, maker.remaining)
            else:
                assert quote_left is not None
                qty = min(m.round_qty(quote_left / level_price), maker.remaining)
                if qty <= 0:
                    satisfied = True
                    break
            st.trade_id += 1
            trade = Trade(
                symbol,
                st.trade_id,
                level_price,
                qty,
                qty * level_price,
                ts,
                buyer_is_maker=(side == "SELL"),
                maker_order_id=maker.order_id,
                taker_order_id=record.order_id,
                maker_owner=maker.owner,
                taker_owner=owner,
            )
            fills.append(trade)
            agg = st.tape.add(trade)
            if not aggs or aggs[-1] is not agg:
                aggs.append(agg)
            self._fill(maker.order_id, trade, ts, updates)
            record.fill(qty, trade.quote_qty, ts)
            updates.trade(record, trade)
            maker.remaining -= qty
            if maker.remaining <= 0:
                queue.popleft()
                del book.orders[maker.order_id]
            total = levels.reduce(level_price, qty)
            self._touch(st, depth, opposite, level_price, total)
            if remaining is not None:
                remaining -= qty
                if remaining <= 0:
                    satisfied = True
                    break
            else:
                assert quote_left is not None
                quote_left -= trade.quote_qty

        executed = record.executed_qty
        left = (quantity if quantity is not None else executed) - executed
        status: OrderStatus
        if order_type == "MARKET" or time_in_force in ("IOC", "FOK"):
            status = "FILLED" if satisfied and executed > 0 else "EXPIRED"
        elif left > 0:
            assert price is not None
            total = book.add(RestingOrder(record.order_id, side, price, left, owner, ts))
            self._touch(st, depth, side, price, total)
            status = "PARTIALLY_FILLED" if executed > 0 else "NEW"
        else:
            status = "FILLED"
        self._finish(record, status, ts, updates)
        events: list[EngineEvent] = [*fills, *aggs]
        if depth.last_id >= depth.first_id:
            events.append(depth)
        return self._result(record, fills, ts), events + updates.events

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
        """Remove a resting order; its record becomes CANCELED.

        Raises:
            ExchangeError: -2011 Unknown order sent.
        """
        st = self._symbols[self.market(symbol).symbol]
        order = st.book.remove(order_id)
        if order is None:
            raise ExchangeError(-2011, "Unknown order sent.")
        ts = self.clock.now_ms() if now is None else now
        depth = DepthUpdate(symbol, st.update_id + 1, st.update_id, ts)
        self._touch(
            st, depth, order.side, order.price, st.book.level_total(order.side, order.price)
        )
        events: list[EngineEvent] = [depth]
        record = self.orders.get(order_id)
        if record is not None:
            updates = _Updates(record, announce=False)
            self._finish(record, "CANCELED", ts, updates)
            events += updates.events
        return order, events

    def order(self, order_id: int) -> OrderRecord | None:
        """Return the record of an order (None once a background order is final)."""
        return self.orders.get(order_id)

    # -- internals ---------------------------------------------------------------------------

    def _fill(self, order_id: int, trade: Trade, now: int, updates: _Updates) -> None:
        record = self.orders.get(order_id)
        if record is None:
            return
        record.fill(trade.qty, trade.quote_qty, now)
        updates.trade(record, trade)
        self.orders.settled(record)

    def _finish(self, record: OrderRecord, status: OrderStatus, now: int, up: _Updates) -> None:
        before = record.status
        record.settle(status, now)
        if status != before and status in ("CANCELED", "EXPIRED"):
            up.final(record, status)
        self.orders.settled(record)

    @staticmethod
    def _result(record: OrderRecord, fills: list[Trade], now: int) -> OrderResult:
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
        )

    @staticmethod
    def _touch(
        st: _SymbolState, depth: DepthUpdate, side: Side, price: Decimal, total: Decimal
    ) -> None:
        st.update_id += 1
        depth.last_id = st.update_id
        (depth.bids if side == "BUY" else depth.asks)[price] = total

    @staticmethod
    def _fillable(book: Book, side: Side, want: Decimal, crosses: object) -> Decimal:
        got = Decimal(0)
        assert callable(crosses)
        for p, total in book.levels(side):
            if not crosses(p) or got >= want:
                break
            got += total
        return got

    def _seed_book(self, symbol: str, levels: int = 20) -> None:
        """Rest a symmetric ladder around the initial price so the market opens two-sided."""
        m = self.markets[symbol]
        mid = m.initial_price
        for i in range(1, levels + 1):
            sides: tuple[Side, Side] = ("BUY", "SELL")
            for side in sides:
                offset = m.tick_size * i * max(1, int(mid * Decimal("0.0001") / m.tick_size))
                p = m.round_price(mid - offset if side == "BUY" else mid + offset)
                qty = m.round_qty(Decimal(self.rng.randint(1, 40)) * m.min_qty * 10)
                if p <= 0 or qty < m.min_qty:
                    continue
                if p * qty < m.min_notional:
                    qty = m.round_qty(m.min_notional / p * 2) + m.step_size
                self.place_order(symbol, side, "LIMIT", quantity=qty, price=p)


class _Updates:
    """The :class:`OrderUpdate` events of one engine call, for orders an account owns."""

    def __init__(self, record: OrderRecord, *, announce: bool = True) -> None:
        self.events: list[EngineEvent] = []
        if announce:
            self._add(record, "NEW", None)

    def _add(self, record: OrderRecord, execution: ExecutionType, trade: Trade | None) -> None:
        if record.owner is not None:
            self.events.append(OrderUpdate(record.owner, execution, record.snapshot(), trade))

    def trade(self, record: OrderRecord, trade: Trade) -> None:
        self._add(record, "TRADE", trade)

    def final(self, record: OrderRecord, status: OrderStatus) -> None:
        self._add(record, "CANCELED" if status == "CANCELED" else "EXPIRED", None)
