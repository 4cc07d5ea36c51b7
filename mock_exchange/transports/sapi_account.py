"""Account and system reads under ``/sapi/v1`` that clients make in ordinary flows.

``GET /sapi/v1/system/status`` (ccxt ``fetch_status``, python-binance ``get_system_status``),
``GET /sapi/v1/asset/tradeFee`` (ccxt ``fetch_trading_fee(s)``, python-binance
``get_trade_fee``), ``GET /sapi/v1/account/apiRestrictions`` (the key's permissions),
``GET /sapi/v1/account/status`` and ``GET /sapi/v1/account/apiTradingStatus``. Each answers
from the emulator's own state: the commission the account pays, the permissions its key has;
the emulator never suspends an account or a key, so the status reads say so.
"""

from __future__ import annotations

from typing import Any

from ..engine.accounts import decimal_text
from .market_data import Query
from .private import PrivateCall

__all__ = [
    "account_api_trading_status",
    "account_status",
    "api_restrictions",
    "system_status",
    "trade_fee",
]


def system_status(_q: Query) -> tuple[Any, int]:
    """``GET /sapi/v1/system/status`` (NONE): the emulator is always up (``0 normal``)."""
    return {"status": 0, "msg": "normal"}, 1


def trade_fee(call: PrivateCall) -> tuple[Any, int]:
    """``GET /sapi/v1/asset/tradeFee``: the account's maker and taker rate per spot symbol.

    ``symbol`` narrows the list (an unknown one is ``-1121 Invalid symbol.``).
    """
    engine = call.exchange.engine("spot")
    if call.params.has("symbol"):
        symbols = [engine.market(call.params.symbol()).symbol]
    else:
        symbols = sorted(engine.markets)
    rates = call.account.commission
    maker, taker = decimal_text(rates.maker), decimal_text(rates.taker)
    return [
        {"symbol": symbol, "makerCommission": maker, "takerCommission": taker} for symbol in symbols
    ], 1


def api_restrictions(call: PrivateCall) -> tuple[Any, int]:
    """``GET /sapi/v1/account/apiRestrictions``: what the calling key may do.

    The emulator's ``spot`` permission is Binance's ``enableSpotAndMarginTrading``; keys are
    never IP-restricted and their creation time is not kept (``createTime`` is the account's
    registration time).
    """
    has = call.key.allows
    return {
        "ipRestrict": False,
        "createTime": call.account.created,
        "enableReading": has("reading"),
        "enableWithdrawals": has("withdrawals"),
        "enableInternalTransfer": False,
        "enableMargin": has("margin"),
        "enableFutures": has("futures"),
        "permitsUniversalTransfer": True,
        "enableVanillaOptions": False,
        "enableFixApiTrade": False,
        "enableFixReadOnly": False,
        "enableSpotAndMarginTrading": has("spot"),
        "enablePortfolioMarginTrading": False,
    }, 1


def account_status(_call: PrivateCall) -> tuple[Any, int]:
    """``GET /sapi/v1/account/status``: accounts are never frozen on the emulator."""
    return {"data": "Normal"}, 1


def account_api_trading_status(call: PrivateCall) -> tuple[Any, int]:
    """``GET /sapi/v1/account/apiTradingStatus``: never locked by the quantitative rules."""
    return {
        "data": {
            "isLocked": False,
            "plannedRecoverTime": 0,
            "triggerCondition": {"GCR": 150, "IFER": 150, "UFR": 300},
            "updateTime": call.account.created,
        }
    }, 1
