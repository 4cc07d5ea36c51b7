"""A futures position and the arithmetic of fills: entry, break-even, realised and unrealised PnL.

A :class:`Position` is one (symbol, position side) of an account: ``BOTH`` in one-way mode, or
``LONG`` / ``SHORT`` in hedge mode. ``amount`` is signed (long > 0). Linear contracts (USD-M)
are sized in the base asset and settle in the quote: PnL ``= qty * (exit - entry)``. Inverse
contracts (COIN-M) are sized in contracts of ``contract_size`` USD and settle in the base:
PnL ``= contracts * size * (1/entry - 1/exit)``, and their entry price is the harmonic mean of
the fill prices. A fill that increases the position averages the entry price; one that reduces
it realises PnL on the closed part; one that crosses zero closes, then opens the rest at the
fill price.

Break-even price (``breakEvenPrice``, ``bep``): the price at which closing would return the
commissions paid to open what is held; the opening fees are carried with the position and
shrink in proportion as it is reduced. ``realized`` is the accumulated realised PnL before fees
(``cr`` in ``ACCOUNT_UPDATE``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

__all__ = ["Position", "PositionSide"]

PositionSide = str  # "BOTH", "LONG" or "SHORT"
_ZERO = Decimal(0)


def _sign(value: Decimal) -> int:
    return (value > 0) - (value < 0)


@dataclass
class Position:
    """One position of one account (see the module docstring)."""

    symbol: str
    side: PositionSide
    margin_asset: str
    contract_size: Decimal | None = None  # inverse (COIN-M) contracts; None: linear
    amount: Decimal = _ZERO
    entry: Decimal = _ZERO
    open_fees: Decimal = _ZERO
    realized: Decimal = _ZERO
    isolated_wallet: Decimal = _ZERO
    update_time: int = 0

    @property
    def inverse(self) -> bool:
        """True for an inverse (coin-margined) contract."""
        return self.contract_size is not None

    def pnl(self, qty: Decimal, entry: Decimal, price: Decimal) -> Decimal:
        """Return the PnL of ``qty`` (signed: long > 0) opened at ``entry``, valued at ``price``."""
        if qty == 0 or entry == 0 or price == 0:
            return _ZERO
        if self.contract_size is None:
            return qty * (price - entry)
        return qty * self.contract_size * (1 / entry - 1 / price)

    def notional(self, mark: Decimal) -> Decimal:
        """Return the signed notional at ``mark`` (quote for linear, base for inverse)."""
        if self.contract_size is None:
            return self.amount * mark
        return self.amount * self.contract_size / mark if mark else _ZERO

    def unrealized(self, mark: Decimal) -> Decimal:
        """Return the unrealised PnL at ``mark``."""
        return self.pnl(self.amount, self.entry, mark)

    def break_even(self) -> Decimal:
        """Return the break-even price (0 when flat)."""
        if self.amount == 0 or self.entry == 0:
            return _ZERO
        per_unit = self.open_fees / abs(self.amount)
        if self.contract_size is None:
            return self.entry + per_unit * _sign(self.amount)
        inv = 1 / self.entry - per_unit / self.contract_size * _sign(self.amount)
        return 1 / inv if inv > 0 else _ZERO

    def _average(self, qty: Decimal, price: Decimal) -> Decimal:
        held, add = abs(self.amount), abs(qty)
        if held == 0:
            return price
        if self.contract_size is None:
            return (held * self.entry + add * price) / (held + add)
        return (held + add) / (held / self.entry + add / price)

    def apply(self, qty: Decimal, price: Decimal, fee: Decimal, now: int) -> Decimal:
        """Apply a fill of signed ``qty`` (buy > 0) at ``price`` paying ``fee``.

        Returns:
            The realised PnL of the fill (before the fee).
        """
        self.update_time = now
        if qty == 0:
            return _ZERO
        if self.amount == 0 or _sign(self.amount) == _sign(qty):
            self.entry = self._average(qty, price)
            self.amount += qty
            self.open_fees += fee
            return _ZERO
        held = abs(self.amount)
        closing = min(abs(qty), held)
        direction = _sign(self.amount)
        realized = self.pnl(closing * direction, self.entry, price)
        self.realized += realized
        rest = held - closing
        opening = abs(qty) - closing
        if rest > 0:
            self.open_fees = self.open_fees * rest / held
            self.amount = rest * direction
        elif opening > 0:
            self.amount = opening * _sign(qty)
            self.entry = price
            self.open_fees = fee * opening / abs(qty)
        else:
            self.amount, self.entry, self.open_fees = _ZERO, _ZERO, _ZERO
        return realized

    def closable(self, order_side: str) -> Decimal:
        """Return how much an order on ``order_side`` (BUY/SELL) can reduce (>= 0)."""
        if order_side == "BUY":
            return max(_ZERO, -self.amount)
        return max(_ZERO, self.amount)
