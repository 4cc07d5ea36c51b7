"""The whole exchange: one engine per venue (spot, USD-M, COIN-M), the futures prices, accounts.

Venues have separate books (``BTCUSDT`` is both a spot pair and a USD-M perpetual), one seeded
generator each (derived from the exchange seed), and share the clock. Futures index prices read
the spot engine, so the derivatives follow the spot market.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Iterable
from decimal import Decimal

from .accounts import Accounts
from .clock import Clock
from .core import Engine
from .derivatives import FUNDING_INTERVAL_MS, FundingHistory, MarkPrice, mark_price
from .events import EngineEvent
from .filters import check_order
from .futures.filters import futures_engine_check
from .futures.risk import settle_funding
from .futures.settlement import FuturesSettlement
from .ledger import SpotLedger
from .markets import Market, MarketKind
from .user_streams import ListenTokens

__all__ = ["VENUES", "Exchange"]

VENUES: tuple[MarketKind, ...] = ("spot", "usdm", "coinm")
_SEED_STRIDE = {"spot": 0, "usdm": 1_000_003, "coinm": 2_000_006}
_ID_CHARS = string.ascii_letters + string.digits


class Exchange:
    """Engines by venue plus funding history; pure and synchronous."""

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
        boundary = clock.now_ms() // FUNDING_INTERVAL_MS * FUNDING_INTERVAL_MS
        self.funding: dict[MarketKind, FundingHistory] = {
            "usdm": FundingHistory(last_settlement=boundary),
            "coinm": FundingHistory(last_settlement=boundary),
        }
        # what fills mean on each futures venue: positions, margin, futures user data
        self.futures: dict[MarketKind, FuturesSettlement] = {
            v: FuturesSettlement(v, self.engines[v], self.accounts, self._mark_of(v))
            for v in ("usdm", "coinm")
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
        engine = self.engines[venue]
        return mark_price(engine, symbol, self.index_price(engine.market(symbol)), now)

    def marks(self, venue: MarketKind, now: int) -> dict[str, MarkPrice]:
        """Return the mark state of every symbol of a futures venue."""
        return {s: self.mark(venue, s, now) for s in sorted(self.engines[venue].markets)}

    def settle_funding(self, now: int) -> dict[MarketKind, list[EngineEvent]]:
        """Settle funding on every futures venue whose funding time passed.

        Records the settled rates (``/fapi/v1/fundingRate``) and charges or pays every open
        position at the rate and mark of the settlement; returns the user-data events per venue.
        """
        boundary = now // FUNDING_INTERVAL_MS * FUNDING_INTERVAL_MS
        out: dict[MarketKind, list[EngineEvent]] = {}
        for venue, history in self.funding.items():
            due = history.last_settlement is None or boundary > history.last_settlement
            if not (due and self.engines[venue].markets):
                continue
            if history.settle_due(now, self.marks(venue, now)):
                rates = {
                    s: (rows[-1].mark, rows[-1].funding_rate)
                    for s, rows in history.settled.items()
                    if rows and rows[-1].time == history.last_settlement
                }
                out[venue] = settle_funding(self.futures[venue], rates, now)
        return out
