"""The engine's state and its read side: markets, books, tapes and update ids, no I/O.

:class:`EngineState` owns what one engine holds (one :class:`.matching.SymbolState` per symbol,
the order records, the id counter, the seeded generator, the optional ledger) and answers every
read a transport or the control plane makes. :class:`.core.Engine` adds the write side (new
orders, cancels, amends, matching) on top of it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from ..errors import ExchangeError
from .book import Book
from .clock import Clock
from .filters import NewOrder, check_order
from .ids import id_base
from .liquidity import opening_orders
from .markets import DEFAULT_MARKETS, Market
from .matching import SymbolState
from .order_lists import OrderLists
from .orders import OrderStore
from .tape import Kline, PastTrades, Tape, TickerStats, Trade

if TYPE_CHECKING:
    from .ledger import SpotLedger

__all__ = ["EngineState"]


class EngineState:
    """The exchange state: one book, tape and update-id counter per symbol, and its reads."""

    def __init__(
        self,
        clock: Clock,
        markets: list[Market] | tuple[Market, ...] = DEFAULT_MARKETS,
        *,
        seed: int = 0,
        seed_liquidity: bool = True,
        ledger: SpotLedger | None = None,
        order_check: Callable[[NewOrder], None] = check_order,
    ) -> None:
        self.clock = clock
        self.markets: dict[str, Market] = {m.symbol: m for m in markets}
        self.seed = seed
        self.rng = random.Random(seed)
        # accounts' balances; None: orders move no wallet (futures venues, bare engines)
        self.ledger = ledger
        # the filter table new orders pass (a futures venue's transport applies the futures
        # filters, with their own codes and the reduce-only exemption, before the engine)
        self.order_check = order_check
        self._symbols: dict[str, SymbolState] = {
            s: SymbolState(m, clock.now_ms()) for s, m in self.markets.items()
        }
        venue = next(iter(self.markets.values())).kind if self.markets else "spot"
        self._next_order_id = id_base("order", venue)
        self.orders = OrderStore()
        self.lists = OrderLists()  # accounts' order lists (OCO)
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
        self,
        symbol: str,
        window_ms: int = 86_400_000,
        now: int | None = None,
        *,
        start: int | None = None,
        aligned: bool = False,
    ) -> TickerStats:
        """Return rolling-window statistics from the symbol's trades (see :meth:`Tape.stats`)."""
        st = self._symbols[self.market(symbol).symbol]
        at = self.clock.now_ms() if now is None else now
        return st.tape.stats(at, window_ms, start=start, aligned=aligned)

    def recent_trades(self, symbol: str) -> list[Trade]:
        """Return the most recent trades of ``symbol``, oldest first."""
        return self._symbols[self.market(symbol).symbol].tape.recent_trades()

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
        price = tape.vwap(now - mins * 60_000, now)
        last = tape.last_time if tape.last_time is not None else now
        return (tape.last_price if price is None else price), last

    def next_ids(self, symbol: str) -> tuple[int, int]:
        """Return the ids the next trade and aggregate trade of ``symbol`` will get."""
        st = self._symbols[self.market(symbol).symbol]
        return st.trade_id + 1, st.tape.next_agg_id

    def set_past(self, symbol: str, loader: Callable[[], PastTrades]) -> None:
        """Give ``symbol``'s tape the trades from before the start, built when first needed."""
        self._symbols[self.market(symbol).symbol].tape.set_past(loader)

    def skip_update_ids(self, symbol: str, count: int) -> int:
        """Advance the update-id counter by ``count`` without a book change (a diff gap).

        Returns the new update id.
        """
        st = self._symbols[self.market(symbol).symbol]
        st.update_id += max(0, count)
        return st.update_id

    # -- opening book ------------------------------------------------------------------------

    def _seed_book(self, symbol: str) -> None:
        """Rest the opening book around the initial price (no events: the book at the open)."""
        opening = opening_orders(
            self.markets[symbol], self.seed, self._next_order_id, self.clock.now_ms()
        )
        for record, resting in opening:
            self.orders.add(record)
            self._symbols[symbol].book.add(resting)
        self._next_order_id += len(opening)
