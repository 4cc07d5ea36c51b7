"""Wallet reads: ``GET /sapi/v1/capital/config/getall`` (ccxt loads currencies from it).

Every asset of the spot markets is listed with the account's free and locked spot balance and
one default network, deposits and withdrawals enabled (the emulator moves funds only through
the control API's deposits).
"""

from __future__ import annotations

from typing import Any

from ..engine.accounts import decimal_text
from .private import PrivateCall

__all__ = ["capital_config"]


def _network(coin: str) -> dict[str, Any]:
    return {
        "network": coin,
        "coin": coin,
        "withdrawIntegerMultiple": "0.00000001",
        "isDefault": True,
        "depositEnable": True,
        "withdrawEnable": True,
        "depositDesc": "",
        "withdrawDesc": "",
        "specialTips": "",
        "name": coin,
        "resetAddressStatus": False,
        "addressRegex": "^[0-9A-Za-z]{20,64}$",
        "addressRule": "",
        "memoRegex": "",
        "withdrawFee": "0",
        "withdrawMin": "0.00000001",
        "withdrawMax": "9999999999.99999999",
        "minConfirm": 1,
        "unLockConfirm": 0,
        "sameAddress": False,
        "estimatedArrivalTime": 5,
        "busy": False,
    }


def capital_config(call: PrivateCall) -> tuple[Any, int]:
    """``GET /sapi/v1/capital/config/getall``: every coin with the account's balance."""
    engine = call.exchange.engine("spot")
    coins = {m.base for m in engine.markets.values()} | {m.quote for m in engine.markets.values()}
    coins |= set(call.account.spot.assets())
    rows = []
    for coin in sorted(coins):
        held = call.account.spot.balance(coin)
        rows.append(
            {
                "coin": coin,
                "depositAllEnable": True,
                "withdrawAllEnable": True,
                "name": coin,
                "free": decimal_text(held.free),
                "locked": decimal_text(held.locked),
                "freeze": "0",
                "withdrawing": "0",
                "ipoing": "0",
                "ipoable": "0",
                "storage": "0",
                "isLegalMoney": False,
                "trading": True,
                "networkList": [_network(coin)],
            }
        )
    return rows, 10
