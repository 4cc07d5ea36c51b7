"""The whole exchange: one engine per venue (spot, USD-M, COIN-M), history, coupling, accounts.

Venues have separate books (``BTCUSDT`` is both a spot pair and a USD-M perpetual), ids and
seeded generators, and share the clock. The futures venues are coupled to spot three ways: their
index prices read the spot engine (:mod:`.derivatives`), their background flow trades around the
spot symbol's fair price times a mean-reverting basis (:meth:`Exchange.fair_paths`), and their
history follows the spot history (:meth:`Exchange.add_history`).
"""

from __future__ import annotations

import functools
import random
import string
from collections.abc import Callable, Iterable
from decimal import Decimal

from .accounts import Accounts
from .clock import Clock
from .core import Engine
from .derivatives import Derivatives, FundingHistory, MarkPrice, PastBars
from .events import EngineEvent
from .fair import BASIS_MEAN, BasisPath, FairPath, PricePath
from .filters import check_order
from .futures.filters import futures_engine_check
from .futures.risk import settle_funding
from .futures.settlement import FuturesSettlement
from .history import History
from .ledger import SpotLedger
from .markets import Market, MarketKind
from .pricebars import PriceBar
from .types import derive_seed
from .user_streams import ListenTokens

__all__ = ["FUTURES_VENUES", "VENUES", "Exchange"]

VENUES: tuple[MarketKind, ...] = ("spot", "usdm", "coinm")
FUTURES_VENUES: tuple[MarketKind, ...] = ("usdm", "coinm")
_SEED_STRIDE = {"spot": 0, "usdm": 1_000_003, "coinm": 2_000_006}
_ID_CHARS = string.ascii_letters + string.digits


class Exchange:
    """Engines by venue, the futures state (:class:`Derivatives`) and the history; pure."""

    def __init__(
        self,
        clock: Clock,
        markets: Iterable[Market],
        *,
        seed: int = 0,
        accounts: Accounts | None = None,
    ) -> None:
        self.clock = clock
        self.seed = seed
        # accounts outlive a market reset: the emulator hands the same registry to each build
        self.accounts = accounts if accounts is not None else Accounts()
        chosen = list(markets)
        # client order ids Binance generates (22 letters and digits), from their own generator
        self._client_ids = random.Random(seed + 0x5EED)
        # accounts' spot orders lock and move spot balances through the spot ledger
        self.ledger = SpotLedger(self.accounts)
        self.engines: dict[MarketKind, Engine] = {
            v: Engine(
                clock,
                [m for m in chosen if m.kind == v],
                seed=seed + _SEED_STRIDE[v],
                ledger=self.ledger if v == "spot" else None,
                order_check=check_order if v == "spot" else futures_engine_check,
            )
            for v in VENUES
        }
        spot = self.engines["spot"]
        start = clock.now_ms()
        self.derivatives: dict[MarketKind, Derivatives] = {}
        for venue in FUTURES_VENUES:
            engine = self.engines[venue]
            index = {
                s: (spot if m.index_symbol in spot.markets else None)
                for s, m in engine.markets.items()
            }
            self.derivatives[venue] = Derivatives(engine, index, start, seed)
        self.histories: dict[tuple[MarketKind, str], History] = {}
        self._history_spec: tuple[float, int] | None = None  # (rate, end) once there is one
        self._next_ids: dict[tuple[MarketKind, str], tuple[int, int]] = {}
        # what fills mean on each futures venue: positions, margin, futures user data
        self.futures: dict[MarketKind, FuturesSettlement] = {
            v: FuturesSettlement(v, self.engines[v], self.accounts, self._mark_of(v))
            for v in FUTURES_VENUES
        }

    def _mark_of(self, venue: MarketKind) -> Callable[[str], Decimal]:
        def mark(symbol: str) -> Decimal:
            return self.mark(venue, symbol, self.clock.now_ms()).mark

        return mark

    @property
    def tokens(self) -> ListenTokens:
        """The margin listen tokens (kept with the accounts, across resets)."""
        return self.accounts.tokens

    def new_client_id(self) -> str:
        """Return a fresh client order id as Binance generates them (22 letters and digits)."""
        return "".join(self._client_ids.choices(_ID_CHARS, k=22))

    def engine(self, venue: MarketKind) -> Engine:
        """Return the engine of ``venue``."""
        return self.engines[venue]

    @property
    def funding(self) -> dict[MarketKind, FundingHistory]:
        """The funding history of each futures venue (past settlements priced by the history)."""
        return {v: d.funding_history() for v, d in self.derivatives.items()}

    def index_price(self, market: Market) -> Decimal | None:
        """Return the index (spot) price backing a futures market, or None."""
        spot = self.engines["spot"]
        if market.index_symbol and market.index_symbol in spot.markets:
            return spot.last_price(market.index_symbol)
        return None

    def mark(self, venue: MarketKind, symbol: str, now: int) -> MarkPrice:
        """Return the mark state of a futures ``symbol``.

        Raises:
            ExchangeError: -1121 Invalid symbol.
        """
        return self.derivatives[venue].mark(symbol, now)

    def marks(self, venue: MarketKind, now: int) -> dict[str, MarkPrice]:
        """Return the mark state of every symbol of a futures venue."""
        return self.derivatives[venue].marks(now)

    def on_clock(self, prev: int, now: int) -> None:
        """Take the futures samples (mark, index, premium) due in ``(prev, now]``."""
        for derivatives in self.derivatives.values():
            derivatives.sample(prev, now)

    def settle_funding(self, now: int) -> dict[MarketKind, list[EngineEvent]]:
        """Settle funding on every futures venue whose funding time passed.

        Records the settled rates (``/fapi/v1/fundingRate``) and charges or pays every open
        position at the rate and mark of the settlement; returns the user-data events per venue.
        """
        out: dict[MarketKind, list[EngineEvent]] = {}
        for venue, derivatives in self.derivatives.items():
            rows = derivatives.settle(now)
            if rows:
                rates = {r.symbol: (r.mark, r.funding_rate) for r in rows}
                out[venue] = settle_funding(self.futures[venue], rates, now)
        return out

    # -- the start ---------------------------------------------------------------------------

    def fair_paths(self, start: int) -> dict[MarketKind, dict[str, FairPath]]:
        """Return the fair price of every symbol from ``start`` (what the flows trade around).

        Spot symbols walk from their initial price; a perpetual whose index symbol is listed
        on spot follows it times ``1 + basis``, the basis starting where the initial prices put
        it and reverting to a small premium.
        """
        spot = self.engines["spot"]
        paths: dict[MarketKind, dict[str, FairPath]] = {v: {} for v in VENUES}
        for symbol, m in sorted(spot.markets.items()):
            seed = derive_seed(self.seed, "spot", symbol, "fair")
            paths["spot"][symbol] = PricePath(seed, float(m.initial_price), start)
        for venue in FUTURES_VENUES:
            for symbol, m in sorted(self.engines[venue].markets.items()):
                under = paths["spot"].get(m.index_symbol or "")
                if under is None:
                    seed = derive_seed(self.seed, venue, symbol, "fair")
                    paths[venue][symbol] = PricePath(seed, float(m.initial_price), start)
                    continue
                spot_price = float(spot.markets[m.index_symbol or ""].initial_price)
                basis = float(m.initial_price) / spot_price - 1 if spot_price else BASIS_MEAN
                seed = derive_seed(self.seed, venue, symbol, "basis")
                paths[venue][symbol] = BasisPath(seed, under, basis, start)
        return paths

    def add_history(self, rate: float, end: int) -> None:
        """Give every symbol a synthetic history ending at ``end`` at background ``rate``.

        Call before any live trade. Each symbol's history is drawn when a query first needs it
        (:meth:`history`), so a market nobody asks about costs nothing at start.
        """
        self._history_spec = (rate, end)
        for venue in VENUES:
            engine = self.engines[venue]
            for symbol in sorted(engine.markets):
                self._next_ids[(venue, symbol)] = engine.next_ids(symbol)
                engine.set_past(symbol, functools.partial(self.history, venue, symbol))
        for venue, derivatives in self.derivatives.items():
            for symbol in sorted(self.engines[venue].markets):
                derivatives.set_past(symbol, functools.partial(self._past_bars, venue, symbol))

    def history(self, venue: MarketKind, symbol: str) -> History:
        """Return the history of ``symbol`` on ``venue``, drawing it on first use.

        A perpetual follows its index symbol's history, drawn first.
        """
        known = self.histories.get((venue, symbol))
        if known is not None:
            return known
        if self._history_spec is None:
            raise ValueError("the exchange has no history (rate 0)")
        rate, end = self._history_spec
        m = self.engines[venue].market(symbol)
        under = None
        if venue != "spot" and m.index_symbol in self.engines["spot"].markets:
            under = self.history("spot", m.index_symbol or "")
        trade_id, agg_id = self._next_ids[(venue, symbol)]
        history = History(
            m, self.seed, end, rate, next_trade_id=trade_id, next_agg_id=agg_id, underlying=under
        )
        self.histories[(venue, symbol)] = history
        return history

    def _past_bars(self, venue: MarketKind, symbol: str) -> PastBars:
        """Draw the index, mark and premium bars of a perpetual's history minutes, and its
        closes (for the past funding settlements' mark prices)."""
        history = self.history(venue, symbol)
        m = history.market
        source = history.underlying or history
        index = {mi.start: mi for mi in source.minutes}
        bars: dict[str, list[PriceBar]] = {"index": [], "mark": [], "premium": []}
        for mi in history.minutes:
            idx = index.get(mi.start)
            if idx is None:
                continue
            tick = source.tick
            o, h, lo, c = (v * tick for v in (idx.open, idx.high, idx.low, idx.close))
            end = mi.start + 60_000
            seconds = (mi.end - mi.start) // 1000  # samples: one a second (premium: every 5 s)
            bars["index"].append(PriceBar(mi.start, end, o, h, lo, c, seconds))
            k = Decimal(repr(1 + mi.basis))
            mo, mh, ml, mc = (m.round_price(v * k) for v in (o, h, lo, c))
            bars["mark"].append(PriceBar(mi.start, end, mo, mh, ml, mc, seconds))
            p = Decimal(repr(round(mi.basis, 8)))
            bars["premium"].append(PriceBar(mi.start, end, p, p, p, p, seconds // 5))
        closes = {mi.start: mi.close * history.tick for mi in history.minutes}
        return PastBars(bars, closes)
