"""Moves between an account's wallets, and the deposit and transfer history clients read.

A transfer (Binance's universal transfer, ``POST /sapi/v1/asset/transfer``) takes an amount
from one of the account's wallets (spot, USD-M, COIN-M) and credits another; it causes what
Binance sends for it: on the spot side ``balanceUpdate`` then ``outboundAccountPosition``, on
a futures side a :class:`~mock_exchange.engine.events.BalanceUpdate` naming that wallet (the
futures settlement turns it into ``ACCOUNT_UPDATE`` with ``m`` ``DEPOSIT`` or ``WITHDRAW`` and
a ``TRANSFER`` income row). Spot deposits made through the control API are kept as deposit
history (``GET /sapi/v1/capital/deposit/hisrec``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from .events import BalanceUpdate, EngineEvent

if TYPE_CHECKING:
    from .accounts import Account

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
    """Every account's transfers and spot deposits, with their ids (they outlive a reset)."""

    def __init__(self) -> None:
        self._transfers: dict[int, list[Transfer]] = {}
        self._deposits: dict[int, list[Deposit]] = {}
        self._tran_ids = itertools.count(FIRST_TRAN_ID)
        self._deposit_ids = itertools.count(FIRST_DEPOSIT_ID)

    def transfer(
        self,
        account: Account,
        kind: str,
        asset: str,
        amount: Decimal,
        wallets: tuple[str, str],
        now: int,
    ) -> tuple[Transfer, dict[str, list[EngineEvent]]]:
        """Move ``amount`` of ``asset`` from ``wallets[0]`` to ``wallets[1]`` of ``account``.

        Returns:
            the transfer, and the events it causes keyed by wallet (``spot``, ``usdm``,
            ``coinm``).

        Raises:
            InsufficientBalance: the source wallet's free balance is smaller than ``amount``.
        """
        source, target = wallets
        account.wallet(source).debit(asset, amount)
        account.wallet(target).credit(asset, amount)
        account.update_time = now
        events: dict[str, list[EngineEvent]] = {}
        for wallet, delta in ((source, -amount), (target, amount)):
            moved: list[EngineEvent] = [BalanceUpdate(account.id, asset, delta, now, wallet)]
            if wallet == "spot":
                moved.append(account.position_event([asset], now))
            events[wallet] = moved
        done = Transfer(next(self._tran_ids), kind, asset, amount, now)
        self._transfers.setdefault(account.uid, []).append(done)
        return done, events

    def record_deposit(self, account: Account, asset: str, amount: Decimal, now: int) -> Deposit:
        """Keep a spot deposit in ``account``'s deposit history."""
        done = Deposit(next(self._deposit_ids), asset, amount, now)
        self._deposits.setdefault(account.uid, []).append(done)
        return done

    def transfers(self, account: Account) -> list[Transfer]:
        """The account's transfers, oldest first."""
        return list(self._transfers.get(account.uid, ()))

    def deposits(self, account: Account) -> list[Deposit]:
        """The account's spot deposits, oldest first."""
        return list(self._deposits.get(account.uid, ()))
