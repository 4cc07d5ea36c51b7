"""The deposit and transfer history of each account (what clients read back).

:meth:`~mock_exchange.engine.accounts.Accounts.transfer` moves funds between an account's
wallets (Binance's universal transfer) and records it here; spot deposits made through the
control API are recorded as deposit history (``GET /sapi/v1/capital/deposit/hisrec``). Each
gets an id from its own counter; history is kept by uid and outlives a market reset.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal

__all__ = ["Deposit", "Transfer", "WalletMoves"]

# transfer ids look like Binance's (11 digits); deposit ids count on their own
FIRST_TRAN_ID = 10_000_000_001
FIRST_DEPOSIT_ID = 800_000_000_001


@dataclass(frozen=True)
class Transfer:
    """One completed transfer between two wallets of an account."""

    tran_id: int
    kind: str
    asset: str
    amount: Decimal
    time: int


@dataclass(frozen=True)
class Deposit:
    """One completed deposit into an account's spot wallet."""

    deposit_id: int
    asset: str
    amount: Decimal
    time: int


class WalletMoves:
    """Every account's transfers and spot deposits, by uid."""

    def __init__(self) -> None:
        self._transfers: dict[int, list[Transfer]] = {}
        self._deposits: dict[int, list[Deposit]] = {}
        self._tran_ids = itertools.count(FIRST_TRAN_ID)
        self._deposit_ids = itertools.count(FIRST_DEPOSIT_ID)

    def record_transfer(
        self, uid: int, kind: str, asset: str, amount: Decimal, now: int
    ) -> Transfer:
        """Keep a completed transfer of account ``uid``; return it with its new id."""
        done = Transfer(next(self._tran_ids), kind, asset, amount, now)
        self._transfers.setdefault(uid, []).append(done)
        return done

    def record_deposit(self, uid: int, asset: str, amount: Decimal, now: int) -> Deposit:
        """Keep a spot deposit of account ``uid``; return it with its new id."""
        done = Deposit(next(self._deposit_ids), asset, amount, now)
        self._deposits.setdefault(uid, []).append(done)
        return done

    def transfers(self, uid: int) -> list[Transfer]:
        """Account ``uid``'s transfers, oldest first."""
        return list(self._transfers.get(uid, ()))

    def deposits(self, uid: int) -> list[Deposit]:
        """Account ``uid``'s spot deposits, oldest first."""
        return list(self._deposits.get(uid, ()))
