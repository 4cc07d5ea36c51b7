"""Spot account reads, shared by REST and the WS API.

``GET /api/v3/account`` = ``account.status``, ``GET /api/v3/account/commission`` =
``account.commission``, ``GET /api/v3/rateLimit/order`` = ``account.rateLimits.orders``. Each
handler is written once (:class:`~mock_exchange.transports.private.PrivateCall`); the two
transports cannot disagree about an account.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..engine.accounts import Account
from ..engine.markets import fmt
from .private import PrivateCall
from .ws_api import parse_bool

__all__ = [
    "account_commission",
    "account_status",
    "commission_rates",
    "rate_limit_order",
    "spot_assets",
]

_PLACES = 8


def spot_assets(call: PrivateCall) -> list[str]:
    """Return every asset of the spot markets and of the account's wallet, sorted."""
    engine = call.exchange.engine("spot")
    assets = {m.base for m in engine.markets.values()} | {m.quote for m in engine.markets.values()}
    return sorted(assets | set(call.account.spot.assets()))


def _bips(rate: Decimal) -> int:
    return int(rate * 10_000)


def commission_rates(account: Account) -> dict[str, str]:
    """Return the account's ``commissionRates`` (fractions, 8 decimals)."""
    c = account.commission
    return {
        "maker": fmt(c.maker, _PLACES),
        "taker": fmt(c.taker, _PLACES),
        "buyer": fmt(c.buyer, _PLACES),
        "seller": fmt(c.seller, _PLACES),
    }


def account_status(call: PrivateCall) -> tuple[Any, int]:
    """``GET /api/v3/account``; WS API ``account.status``: commissions, flags, balances.

    Every spot asset is listed unless ``omitZeroBalances`` is true.
    """
    omit = False
    if call.params.has("omitZeroBalances"):
        omit = parse_bool(call.params.values["omitZeroBalances"], "omitZeroBalances")
    account = call.account
    balances = []
    for asset in spot_assets(call):
        held = account.spot.balance(asset)
        if omit and held.total == 0:
            continue
        balances.append(
            {"asset": asset, "free": fmt(held.free, _PLACES), "locked": fmt(held.locked, _PLACES)}
        )
    c = account.commission
    return {
        "makerCommission": _bips(c.maker),
        "takerCommission": _bips(c.taker),
        "buyerCommission": _bips(c.buyer),
        "sellerCommission": _bips(c.seller),
        "commissionRates": commission_rates(account),
        "canTrade": account.can_trade,
        "canWithdraw": account.can_withdraw,
        "canDeposit": account.can_deposit,
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": account.update_time,
        "accountType": "SPOT",
        "balances": balances,
        "permissions": ["SPOT"],
        "uid": account.uid,
    }, 20


def account_commission(call: PrivateCall) -> tuple[Any, int]:
    """``GET /api/v3/account/commission``; WS API ``account.commission``: rates of a symbol.

    The emulator charges the standard rates only: no special or tax commission, and no BNB
    discount (commissions are paid in the asset received).
    """
    symbol = call.params.symbol()
    call.engine.market(symbol)
    zero = fmt(Decimal(0), _PLACES)
    nothing = {"maker": zero, "taker": zero, "buyer": zero, "seller": zero}
    return {
        "symbol": symbol,
        "standardCommission": commission_rates(call.account),
        "specialCommission": dict(nothing),
        "taxCommission": dict(nothing),
        "discount": {
            "enabledForAccount": False,
            "enabledForSymbol": False,
            "discountAsset": "BNB",
            "discount": fmt(Decimal(0), _PLACES),
        },
    }, 20


def rate_limit_order(call: PrivateCall) -> tuple[Any, int]:
    """``GET /api/v3/rateLimit/order``; WS API ``account.rateLimits.orders``: unfilled counts."""
    return call.account.orders.rate_limits(call.now), 40
