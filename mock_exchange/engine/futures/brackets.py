"""Leverage brackets: the maximum leverage and maintenance margin rate by position notional.

Binance publishes a bracket table per symbol (``GET /fapi/v1/leverageBracket``): bracket ``n``
covers notional ``[notionalFloor, notionalCap)``, allows up to ``initialLeverage`` and charges
``maintMarginRatio``; ``cum`` is the maintenance amount that makes the margin continuous across
brackets (``cum_n = cum_{n-1} + floor_n * (mmr_n - mmr_{n-1})``), so the maintenance margin of a
position is ``notional * mmr - cum``. The tables below are Binance's published BTCUSDT-style
tiers (USD-M, in USDT) and BTCUSD_PERP-style tiers (COIN-M, in BTC); ``cum`` is computed, not
copied. Everything is exact :class:`~decimal.Decimal`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

__all__ = ["Bracket", "Brackets", "brackets_for"]

_D = Decimal


@dataclass(frozen=True)
class Bracket:
    """One bracket of a symbol's table."""

    bracket: int
    initial_leverage: int
    notional_floor: Decimal
    notional_cap: Decimal
    maint_margin_ratio: Decimal
    cum: Decimal


class Brackets:
    """A symbol's bracket table, lowest notional first."""

    def __init__(self, rows: list[tuple[int, Decimal, Decimal, Decimal]]) -> None:
        """Build from ``(initialLeverage, floor, cap, maintMarginRatio)`` rows (``cum`` derived)."""
        out: list[Bracket] = []
        cum, prev_mmr = _D(0), _D(0)
        for i, (lev, floor, cap, mmr) in enumerate(rows, start=1):
            cum += floor * (mmr - prev_mmr)
            out.append(Bracket(i, lev, floor, cap, mmr, cum))
            prev_mmr = mmr
        self.rows: tuple[Bracket, ...] = tuple(out)

    @property
    def max_leverage(self) -> int:
        """The highest leverage of the table (its first bracket)."""
        return self.rows[0].initial_leverage

    def at(self, notional: Decimal) -> Bracket:
        """Return the bracket covering ``|notional|`` (the last one beyond the table)."""
        value = abs(notional)
        for row in self.rows:
            if value < row.notional_cap:
                return row
        return self.rows[-1]

    def maint_margin(self, notional: Decimal) -> Decimal:
        """Return the maintenance margin of a position of ``|notional|``."""
        value = abs(notional)
        if value == 0:
            return _D(0)
        row = self.at(value)
        return max(_D(0), value * row.maint_margin_ratio - row.cum)

    def max_notional(self, leverage: int) -> Decimal:
        """Return the largest notional ``leverage`` may hold (``maxNotionalValue``)."""
        allowed = [row.notional_cap for row in self.rows if row.initial_leverage >= leverage]
        return max(allowed) if allowed else _D(0)


_USDM_ROWS: list[tuple[int, Decimal, Decimal, Decimal]] = [
    (125, _D(0), _D(50_000), _D("0.004")),
    (100, _D(50_000), _D(600_000), _D("0.005")),
    (75, _D(600_000), _D(3_000_000), _D("0.0065")),
    (50, _D(3_000_000), _D(12_000_000), _D("0.01")),
    (25, _D(12_000_000), _D(70_000_000), _D("0.02")),
    (20, _D(70_000_000), _D(100_000_000), _D("0.025")),
    (10, _D(100_000_000), _D(230_000_000), _D("0.05")),
    (5, _D(230_000_000), _D(480_000_000), _D("0.1")),
    (4, _D(480_000_000), _D(600_000_000), _D("0.125")),
    (3, _D(600_000_000), _D(800_000_000), _D("0.15")),
    (2, _D(800_000_000), _D(1_200_000_000), _D("0.25")),
    (1, _D(1_200_000_000), _D(1_800_000_000), _D("0.5")),
]
_COINM_ROWS: list[tuple[int, Decimal, Decimal, Decimal]] = [
    (125, _D(0), _D(5), _D("0.004")),
    (100, _D(5), _D(10), _D("0.005")),
    (50, _D(10), _D(20), _D("0.01")),
    (20, _D(20), _D(50), _D("0.025")),
    (10, _D(50), _D(100), _D("0.05")),
    (5, _D(100), _D(200), _D("0.1")),
    (4, _D(200), _D(400), _D("0.125")),
    (3, _D(400), _D(1000), _D("0.15")),
    (2, _D(1000), _D(1500), _D("0.25")),
    (1, _D(1500), _D(1_000_000), _D("0.5")),
]
_TABLES = {"usdm": Brackets(_USDM_ROWS), "coinm": Brackets(_COINM_ROWS)}


def brackets_for(venue: str) -> Brackets:
    """Return the bracket table the emulator uses for every symbol of ``venue``."""
    return _TABLES[venue]
