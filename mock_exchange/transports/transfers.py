"""Moving funds between an account's wallets, and the wallet history clients read.

``POST /sapi/v1/asset/transfer`` (Binance's universal transfer: ccxt ``transfer``, python-
binance ``make_universal_transfer``) between the spot wallet and the USD-M or COIN-M wallet;
``GET /sapi/v1/asset/transfer`` (ccxt ``fetch_transfers``) lists them;
``GET /sapi/v1/capital/deposit/hisrec`` (ccxt ``fetch_deposits``, python-binance
``get_deposit_history``) lists the control API's spot deposits;
``GET /sapi/v1/capital/withdraw/history`` is empty, since the emulator has no withdrawals.

The emulator has no margin or funding wallet: transfer types naming one are refused with
``-1020``. A transfer larger than what the source wallet may give (spot: the free balance;
futures: ``maxWithdrawAmount``) is ``-5013 Asset transfer failed: insufficient balance``, as
Binance answers it.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from ..engine.markets import MarketKind
from ..errors import ExchangeError
from .futures_account import FuturesView
from .order_params import decimal_param
from .params import illegal, mandatory
from .private import PrivateCall

__all__ = ["deposit_history", "transfer_history", "universal_transfer", "withdraw_history"]

# the types the emulator moves, as (source wallet, target wallet)
TRANSFER_TYPES: dict[str, tuple[str, str]] = {
    "MAIN_UMFUTURE": ("spot", "usdm"),
    "UMFUTURE_MAIN": ("usdm", "spot"),
    "MAIN_CMFUTURE": ("spot", "coinm"),
    "CMFUTURE_MAIN": ("coinm", "spot"),
}
# Binance's other universal-transfer types name wallets the emulator does not have
_OTHER_WALLETS = ("MARGIN", "ISOLATEDMARGIN", "FUNDING", "OPTION", "PORTFOLIO_MARGIN")
_VENUE_OF: dict[str, MarketKind] = {"spot": "spot", "usdm": "usdm", "coinm": "coinm"}
_DAY_MS = 86_400_000


def _refused_type(kind: str) -> ExchangeError:
    if any(part in _OTHER_WALLETS for part in kind.split("_")):
        return ExchangeError(
            -1020,
            "This operation is not supported. (mock_exchange: transfer type "
            f"'{kind}' names a wallet the emulator does not have; it moves funds between "
            "the spot, USD-M and COIN-M wallets)",
        )
    return illegal("type", "|".join(TRANSFER_TYPES))


def _insufficient() -> ExchangeError:
    return ExchangeError(-5013, "Asset transfer failed: insufficient balance")


def _transferable(call: PrivateCall, wallet: str, asset: str) -> Decimal:
    """What ``wallet`` may give: spot its free balance, a futures wallet ``maxWithdrawAmount``."""
    held = call.account.wallet(wallet).balance(asset).free
    if wallet == "spot":
        return held
    summary = FuturesView(replace(call, venue=_VENUE_OF[wallet])).summary()
    return min(held, summary[asset].max_withdraw) if asset in summary else held


def universal_transfer(call: PrivateCall) -> tuple[Any, int]:
    """``POST /sapi/v1/asset/transfer``: move ``amount`` of ``asset`` between two wallets."""
    kind = (call.params.text("type", required=True) or "").upper()
    wallets = TRANSFER_TYPES.get(kind)
    if wallets is None:
        raise _refused_type(kind)
    asset = (call.params.text("asset", required=True) or "").upper()
    amount = decimal_param(call.params, "amount", 8)
    if amount is None:
        raise mandatory("amount")
    if amount <= 0:
        raise ExchangeError(-1100, "Illegal characters found in parameter 'amount'.")
    if _transferable(call, wallets[0], asset) < amount:
        raise _insufficient()
    done, events = call.exchange.accounts.transfer(
        call.account, kind, asset, amount, wallets, call.now
    )
    for wallet, moved in events.items():
        call.emit(_VENUE_OF[wallet], moved)
    return {"tranId": done.tran_id}, 1


def _window(call: PrivateCall) -> tuple[int, int]:
    """``startTime``/``endTime`` (the last 7 days when neither is sent, as Binance does)."""
    start, end = call.params.integer("startTime"), call.params.integer("endTime")
    if start is None and end is None:
        return call.now - 7 * _DAY_MS, call.now
    if start is None:
        return (end or call.now) - 7 * _DAY_MS, end or call.now
    return start, end if end is not None else start + 7 * _DAY_MS


def transfer_history(call: PrivateCall) -> tuple[Any, int]:
    """``GET /sapi/v1/asset/transfer``: the account's transfers of one ``type``, newest first,
    paged by ``current`` (from 1) and ``size`` (default 10, at most 100)."""
    kind = (call.params.text("type", required=True) or "").upper()
    if kind not in TRANSFER_TYPES:
        raise _refused_type(kind)
    start, end = _window(call)
    rows = [
        t
        for t in reversed(call.exchange.accounts.moves.transfers(call.account.uid))
        if t.kind == kind and start <= t.time <= end
    ]
    current = max(call.params.integer("current", default=1) or 1, 1)
    size = min(max(call.params.integer("size", default=10) or 10, 1), 100)
    page = rows[(current - 1) * size : current * size]
    return {
        "total": len(rows),
        "rows": [
            {
                "asset": t.asset,
                "amount": f"{t.amount.normalize():f}",
                "type": t.kind,
                "status": "CONFIRMED",
                "tranId": t.tran_id,
                "timestamp": t.time,
            }
            for t in page
        ],
    }, 1


def deposit_history(call: PrivateCall) -> tuple[Any, int]:
    """``GET /sapi/v1/capital/deposit/hisrec``: the control API's spot deposits, newest first
    (``coin``, ``status``, ``startTime``/``endTime`` (90 days by default), ``offset``,
    ``limit`` default 1000). Each is credited at once (``status`` 1, ``confirmTimes`` "1/1")
    and, having no chain behind it, is shown as Binance shows an internal transfer
    (``transferType`` 1, ``txId`` "Internal transfer <id>", no address)."""
    params = call.params
    coin = (params.text("coin") or "").upper() or None
    status = params.integer("status")
    start = params.integer("startTime", default=call.now - 90 * _DAY_MS) or 0
    end = params.integer("endTime", default=call.now) or call.now
    rows = [
        d
        for d in reversed(call.exchange.accounts.moves.deposits(call.account.uid))
        if (coin is None or d.asset == coin)
        and (status is None or status == 1)
        and start <= d.time <= end
    ]
    offset = params.integer("offset", default=0) or 0
    limit = min(max(params.integer("limit", default=1000) or 1000, 1), 1000)
    return [
        {
            "id": str(d.deposit_id),
            "amount": f"{d.amount.normalize():f}",
            "coin": d.asset,
            "network": d.asset,
            "status": 1,
            "address": "",
            "addressTag": "",
            "txId": f"Internal transfer {d.deposit_id}",
            "insertTime": d.time,
            "completeTime": d.time,
            "transferType": 1,
            "confirmTimes": "1/1",
            "unlockConfirm": 0,
            "walletType": 0,
        }
        for d in rows[offset : offset + limit]
    ], 1


def withdraw_history(_call: PrivateCall) -> tuple[Any, int]:
    """``GET /sapi/v1/capital/withdraw/history``: empty (the emulator has no withdrawals)."""
    return [], 1
