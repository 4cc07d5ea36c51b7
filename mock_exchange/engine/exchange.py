"""The whole exchange: one engine per venue (spot, USD-M, COIN-M), the futures prices, accounts.

Venues have separate books (``BTCUSDT`` is both a spot pair and a USD-M perpetual), one seeded
generator each (derived from the exchange seed), and share the clock. Futures index prices read
the spot engine, so the derivatives follow the spot market.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from .accounts import Accounts
from .clock import Clock
from .core import Engine
from .derivatives import FUNDING_INTERVAL_MS, FundingHistory, MarkPrice, mark_price
from .markets import Market, MarketKind

__all__ = ["VENUES", "Exchange"]

VENUES: tuple[MarketKind, ...] = ("spot", "usdm", "coinm")
_SEED_STRIDE = {"spot": 0, "usdm": 1_000_003, "coinm": 2_000_006}


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
        self.engines: dict[MarketKind, Engine] = {
            v: Engine(clock, [m for m in chosen if m.kind == v], seed=seed + _SEED_STRIDE[v])
            for v in VENUES
        }
        boundary = clock.now_ms() // FUNDING_INTERVAL_MS * FUNDING_INTERVAL_MS
        self.funding: dict[MarketKind, FundingHistory] = {
            "usdm": FundingHistory(last_settlement=boundary),
            "coinm": FundingHistory(last_settlement=boundary),
        }

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

    def settle_funding(self, now: int) -> None:
        """Record funding settlements for every futures venue whose funding time passed."""
        boundary = now // FUNDING_INTERVAL_MS * FUNDING_INTERVAL_MS
        for venue, history in self.funding.items():
            due = history.last_settlement is None or boundary > history.last_settlement
            if due and self.engines[venue].markets:
                history.settle_due(now, self.marks(venue, now))
