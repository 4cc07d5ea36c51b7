"""Transfers between an account's wallets and the deposit history (engine, no I/O)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mock_exchange.engine.accounts import Account, Accounts, InsufficientBalance
from mock_exchange.engine.events import AccountPosition, BalanceUpdate


def _accounts() -> tuple[Accounts, Account]:
    accounts = Accounts()
    account, _ = accounts.register(
        {
            "apiKey": "k",
            "secret": "s",
            "balances": {"USDT": "100"},
            "futuresBalances": {"USDT": "10"},
        },
        now=5,
    )
    return accounts, account


def test_transfer_moves_the_amount_and_reports_both_sides() -> None:
    """A spot -> USD-M transfer debits spot, credits USD-M (the total is unchanged) and causes
    balanceUpdate(-) + outboundAccountPosition on spot and a credit on the futures wallet."""
    accounts, account = _accounts()
    done, events = accounts.transfer(
        account, "MAIN_UMFUTURE", "USDT", Decimal("40"), ("spot", "usdm"), now=7
    )
    assert account.spot.balance("USDT").free == 60
    assert account.futures["usdm"].balance("USDT").free == 50
    spot_update, position = events["spot"]
    assert isinstance(spot_update, BalanceUpdate) and spot_update.delta == -40
    assert isinstance(position, AccountPosition) and position.balances == (
        ("USDT", Decimal(60), Decimal(0)),
    )
    (futures_update,) = events["usdm"]
    assert isinstance(futures_update, BalanceUpdate)
    assert (futures_update.wallet, futures_update.delta) == ("usdm", 40)
    assert accounts.moves.transfers(account.uid) == [done] and done.time == 7


def test_transfer_beyond_the_free_balance_changes_nothing() -> None:
    """A transfer larger than the source's free balance is refused and moves nothing."""
    accounts, account = _accounts()
    with pytest.raises(InsufficientBalance):
        accounts.transfer(
            account, "UMFUTURE_MAIN", "USDT", Decimal("10.01"), ("usdm", "spot"), now=7
        )
    assert account.futures["usdm"].balance("USDT").free == 10
    assert account.spot.balance("USDT").free == 100
    assert accounts.moves.transfers(account.uid) == []


def test_only_spot_deposits_are_deposit_history() -> None:
    """A spot deposit is kept as deposit history; a futures credit is not a deposit."""
    accounts, account = _accounts()
    accounts.deposit(account, "btc", Decimal("1.5"), "spot", now=9)
    accounts.deposit(account, "USDT", Decimal("3"), "futures", now=10)
    (deposit,) = accounts.moves.deposits(account.uid)
    assert (deposit.asset, deposit.amount, deposit.time) == ("BTC", Decimal("1.5"), 9)
