"""The engine: markets, books, matching, trade tapes and update ids, with no I/O.

Every mutating call returns its result together with the events it caused (trades and depth
changes); transports turn those events into stream payloads. Time comes from the injected
clock (or an explicit ``now``), randomness from one seeded generator, so the same seed and the
same calls give the same market.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from ..errors import ExchangeError
from .book import Book, RestingOrder, Side
from .clock import Clock
from .markets import DEFAULT_MARKETS, Market
from .tape import AggTrade, Kline, Tape, TickerStats, Trade

__all__ = [
    "AggTrade",
    "DepthUpdate",
    "Engine",
    "EngineEvent",
    "Liquidation",
    "OrderResult",
    "TimeInForce",
]

TimeInForce = Literal["GTC", "IOC", "FOK"]


@dataclass
class DepthUpdate:
    """Level changes on one symbol covering update ids ``first_id..last_id``.

    Quantities are absolute level totals after the change; zero means the level is gone.
    """

    symbol: str
    first_id: int
    last_id: int
    time: int
    bids: dict[Decimal, Decimal] = field(default_factory=dict)
    asks: dict[Decimal, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class Liquidation:
    """A forced (liquidation) order the engine executed, as ``forceOrder`` reports it."""

    symbol: str
    side: Side
    qty: Decimal
    price: Decimal
    avg_price: Decimal
    status: str
    last_filled: Decimal
    filled: Decimal
    time: int


EngineEvent = Trade | AggTrade | DepthUpdate | Liquidation


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
        owner: str = "market",
        now: int | None = None,
    ) -> tuple[OrderResult, list[EngineEvent]]:
        """Validate and match a new order; rest what is left when the order type allows.

        Returns:
            The order result and the events (trades, then one depth update) it caused.

        Raises:
            ExchangeError: a filter failure (-1013), an invalid symbol (-1121), or
                LIMIT_MAKER that would trade (-2010).
        """
        m = self.market(symbol)
        ts = self.clock.now_ms() if now is None else now
        self._validate(m, order_type, quantity, price, quote_qty)
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
        if time_in_force == "FOK" and order_type == "LIMIT":
            assert quantity is not None
            if self._fillable(book, opposite, quantity, crosses) < quantity:
                order_id = self._new_order_id()
                return OrderResult(
                    order_id,
                    symbol,
                    side,
                    "EXPIRED",
                    quantity,
                    Decimal(0),
                    Decimal(0),
                    price,
                    [],
                    ts,
                ), []

        order_id = self._new_order_id()
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
                taker_order_id=order_id,
            )
            fills.append(trade)
            agg = st.tape.add(trade)
            if not aggs or aggs[-1] is not agg:
                aggs.append(agg)
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

        executed = sum((t.qty for t in fills), Decimal(0))
        cum_quote = sum((t.quote_qty for t in fills), Decimal(0))
        orig = quantity if quantity is not None else executed
        left = orig - executed
        if order_type == "MARKET" or time_in_force in ("IOC", "FOK"):
            status = "FILLED" if satisfied and executed > 0 else "EXPIRED"
        elif left > 0:
            assert price is not None
            total = book.add(RestingOrder(order_id, side, price, left, owner, ts))
            self._touch(st, depth, side, price, total)
            status = "PARTIALLY_FILLED" if executed > 0 else "NEW"
        else:
            status = "FILLED"
        events: list[EngineEvent] = [*fills, *aggs]
        if depth.last_id >= depth.first_id:
            events.append(depth)
        return OrderResult(
            order_id, symbol, side, status, orig, executed, cum_quote, price, fills, ts
        ), events

    def liquidate(
        self, symbol: str, side: Side, quantity: Decimal, now: int | None = None
    ) -> tuple[Liquidation, list[EngineEvent]]:
        """Execute a forced order (a liquidation): an IOC taker of ``quantity`` on ``side``.

        Returns:
            The liquidation (``forceOrder`` fields) and the events it caused; the liquidation
            itself is the last event.
        """
        ts = self.clock.now_ms() if now is None else now
        res, events = self.place_order(
            symbol, side, "MARKET", quantity=quantity, owner="liquidation", now=ts
        )
        worst = res.fills[-1].price if res.fills else self.last_price(symbol)
        avg = res.cumulative_quote_qty / res.executed_qty if res.executed_qty else worst
        last = res.fills[-1].qty if res.fills else Decimal(0)
        status = "FILLED" if res.executed_qty == quantity else "EXPIRED"
        liq = Liquidation(symbol, side, quantity, worst, avg, status, last, res.executed_qty, ts)
        return liq, [*events, liq]

    def cancel_order(
        self, symbol: str, order_id: int, now: int | None = None
    ) -> tuple[RestingOrder, list[EngineEvent]]:
        """Remove a resting order.

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
        return order, [depth]

    # -- internals ---------------------------------------------------------------------------

    def _new_order_id(self) -> int:
        oid = self._next_order_id
        self._next_order_id += 1
        return oid

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

    @staticmethod
    def _validate(
        m: Market,
        order_type: str,
        quantity: Decimal | None,
        price: Decimal | None,
        quote_qty: Decimal | None,
    ) -> None:
        if order_type in ("LIMIT", "LIMIT_MAKER"):
            if price is None:
                raise ExchangeError(
                    -1102, "Mandatory parameter 'price' was not sent, was empty/null, or malformed."
                )
            if quantity is None:
                raise ExchangeError(
                    -1102,
                    "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.",
                )
        if price is not None:
            if price <= 0:
                raise ExchangeError(-1013, "Invalid price.")
            if (
                price < m.min_price
                or price > m.max_price
                or (price - m.min_price) % m.tick_size != 0
            ):
                raise ExchangeError(-1013, "Filter failure: PRICE_FILTER")
        if quantity is not None:
            if quantity <= 0:
                raise ExchangeError(-1013, "Invalid quantity.")
            if order_type == "MARKET" and quantity > m.market_max_qty:
                raise ExchangeError(-1013, "Filter failure: MARKET_LOT_SIZE")
            if (
                quantity < m.min_qty
                or quantity > m.max_qty
                or (quantity - m.min_qty) % m.step_size != 0
            ):
                raise ExchangeError(-1013, "Filter failure: LOT_SIZE")
            if price is not None:
                notional = price * quantity
                if notional < m.min_notional or notional > m.max_notional:
                    raise ExchangeError(-1013, "Filter failure: NOTIONAL")
        elif order_type == "MARKET" and quote_qty is None:
            raise ExchangeError(
                -1102,
                "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!",
            )

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
                self.place_order(
                    symbol,
                    side,
                    "LIMIT",
                    quantity=qty,
                    price=p,
                    owner="market",
                    now=self.clock.now_ms(),
                )
