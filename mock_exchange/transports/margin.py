"""Margin endpoints that clients read (``/sapi/v1/margin/*``) and the margin listen token.

The emulator has no margin trading (no borrowing, no margin wallet) and no funding wallet: a
margin account is empty and has no liabilities or interest, no isolated account is enabled,
and the funding wallet holds nothing. It serves what ccxt, python-binance and the official
SDK read about margin: cross and isolated pairs (every spot symbol that allows margin),
borrow rates from :class:`~mock_exchange.engine.margin.Margin` (daily, history, next hourly,
per-pair data), forced liquidations a script recorded, and ``POST /sapi/v1/userListenToken``
for the WS API ``userDataStream.subscribe.listenToken`` subscription.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..engine.markets import fmt
from ..errors import ExchangeError
from .private import PrivateCall
from .ws_api import parse_bool

__all__ = [
    "cross_margin_data",
    "force_liquidation_rec",
    "funding_assets",
    "interest_history",
    "interest_rate_history",
    "isolated_margin_account",
    "isolated_margin_data",
    "margin_account",
    "margin_all_pairs",
    "margin_isolated_all_pairs",
    "next_hourly_interest_rate",
    "user_listen_token",
]

_DAY_MS = 86_400_000
_VIP = 0
_LEVERAGE = "10"


def _rate(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _margin_markets(call: PrivateCall) -> list[Any]:
    engine = call.exchange.engine("spot")
    return [engine.markets[s] for s in sorted(engine.markets)]


def _assets(call: PrivateCall) -> list[str]:
    markets = _margin_markets(call)
    return sorted({m.base for m in markets} | {m.quote for m in markets})


def margin_all_pairs(call: PrivateCall) -> tuple[Any, int]:
    """``GET /sapi/v1/margin/allPairs``: the cross-margin pairs (ccxt loads them with keys)."""
    return [
        {
            "base": m.base,
            "id": 100000 + i,
            "isBuyAllowed": True,
            "isMarginTrade": True,
            "isSellAllowed": True,
            "quote": m.quote,
            "symbol": m.symbol,
        }
        for i, m in enumerate(_margin_markets(call))
    ], 1


def margin_isolated_all_pairs(call: PrivateCall) -> tuple[Any, int]:
    """``GET /sapi/v1/margin/isolated/allPairs``: the isolated-margin pairs."""
    return [
        {
            "base": m.base,
            "isBuyAllowed": True,
            "isMarginTrade": True,
            "isSellAllowed": True,
            "quote": m.quote,
            "symbol": m.symbol,
        }
        for m in _margin_markets(call)
    ], 10


def interest_rate_history(call: PrivateCall) -> tuple[Any, int]:
    """``GET /sapi/v1/margin/interestRateHistory``: an asset's daily rate, newest first.

    ``startTime``/``endTime`` at most 30 days apart (default: the last 7 days); ``limit``
    default 20, max 100.
    """
    asset = call.params.text("asset", required=True)
    assert asset is not None
    end = call.params.integer("endTime") or call.now
    start = call.params.integer("startTime")
    if start is None:
        start = end - 7 * _DAY_MS
    if end - start > 30 * _DAY_MS:
        raise ExchangeError(-1127, "More than 30 days between startTime and endTime.")
    limit = call.params.limit(20, 100)
    history = call.exchange.accounts.margin.history(asset, start, end)[:limit]
    return [
        {
            "asset": asset.upper(),
            "timestamp": day,
            "dailyInterestRate": _rate(rate),
            "vipLevel": _VIP,
        }
        for day, rate in history
    ], 1


def cross_margin_data(call: PrivateCall) -> tuple[Any, int]:
    """``GET /sapi/v1/margin/crossMarginData``: rates and limits per asset (``coin`` filters)."""
    coin = call.params.text("coin")
    margin = call.exchange.accounts.margin
    markets = _margin_markets(call)
    rows = []
    for asset in _assets(call):
        if coin is not None and coin.upper() != asset:
            continue
        daily = margin.rate(asset)
        rows.append(
            {
                "vipLevel": _VIP,
                "coin": asset,
                "transferIn": True,
                "borrowable": True,
                "dailyInterest": _rate(daily),
                "yearlyInterest": _rate(daily * 365),
                "borrowLimit": "1000000",
                "marginablePairs": [m.symbol for m in markets if asset in (m.base, m.quote)],
            }
        )
    return rows, 1 if coin is not None else 5


def isolated_margin_data(call: PrivateCall) -> tuple[Any, int]:
    """``GET /sapi/v1/margin/isolatedMarginData``: base and quote rates per pair."""
    symbol = call.params.text("symbol")
    margin = call.exchange.accounts.margin
    rows = []
    for m in _margin_markets(call):
        if symbol is not None and symbol.upper() != m.symbol:
            continue
        rows.append(
            {
                "vipLevel": _VIP,
                "symbol": m.symbol,
                "leverage": _LEVERAGE,
                "data": [
                    {"coin": a, "dailyInterest": _rate(margin.rate(a)), "borrowLimit": "1000000"}
                    for a in (m.base, m.quote)
                ],
            }
        )
    if symbol is not None and not rows:
        raise ExchangeError(-1121, "Invalid symbol.")
    return rows, 1 if symbol is not None else 10


def next_hourly_interest_rate(call: PrivateCall) -> tuple[Any, int]:
    """``GET /sapi/v1/margin/next-hourly-interest-rate``: daily rate / 24 per asset."""
    text = call.params.text("assets", required=True)
    assert text is not None
    if not call.params.has("isIsolated"):
        raise ExchangeError(
            -1102, "Mandatory parameter 'isIsolated' was not sent, was empty/null, or malformed."
        )
    parse_bool(call.params.values["isIsolated"], "isIsolated")
    assets = [a.strip().upper() for a in text.split(",") if a.strip()]
    if len(assets) > 20:
        raise ExchangeError(-1101, "Too many parameters; expected '20' and received "
                            f"'{len(assets)}'.")  # fmt: skip
    margin = call.exchange.accounts.margin
    return [
        {"asset": a, "nextHourlyInterestRate": fmt(margin.rate(a) / 24, 8)} for a in assets
    ], 100


def force_liquidation_rec(call: PrivateCall) -> tuple[Any, int]:
    """``GET /sapi/v1/margin/forceLiquidationRec``: the account's forced liquidations (only
    those a script recorded), newest first, paged by ``current``/``size``."""
    rows = list(reversed(call.exchange.accounts.margin.liquidations.get(call.account.id, [])))
    symbol = call.params.text("isolatedSymbol")
    if symbol is not None:
        rows = [r for r in rows if r.get("symbol") == symbol.upper()]
    start, end = call.params.integer("startTime"), call.params.integer("endTime")
    rows = [
        r
        for r in rows
        if (start is None or r["updatedTime"] >= start) and (end is None or r["updatedTime"] <= end)
    ]
    current = call.params.integer("current", default=1) or 1
    size = min(call.params.integer("size", default=10) or 10, 100)
    page = rows[(current - 1) * size : current * size]
    return {"rows": page, "total": len(rows)}, 1


def margin_account(call: PrivateCall) -> tuple[Any, int]:
    """``GET /sapi/v1/margin/account``: the cross-margin account (empty: no margin trading)."""
    zero = "0.00000000"
    return {
        "created": True,
        "borrowEnabled": True,
        "marginLevel": "999.00000000",
        "collateralMarginLevel": "999.00000000",
        "totalAssetOfBtc": zero,
        "totalLiabilityOfBtc": zero,
        "totalNetAssetOfBtc": zero,
        "TotalCollateralValueInUSDT": zero,
        "totalOpenOrderLossInUsdt": zero,
        "tradeEnabled": True,
        "transferInEnabled": True,
        "transferOutEnabled": True,
        "accountType": "MARGIN_1",
        "userAssets": [
            {
                "asset": asset,
                "borrowed": zero,
                "free": zero,
                "interest": zero,
                "locked": zero,
                "netAsset": zero,
            }
            for asset in _assets(call)
        ],
    }, 10


def isolated_margin_account(_call: PrivateCall) -> tuple[Any, int]:
    """``GET /sapi/v1/margin/isolated/account``: no isolated margin account is enabled (ccxt
    ``fetch_balance({"type": "margin", "marginMode": "isolated"})``)."""
    zero = "0.00000000"
    return {
        "assets": [],
        "totalAssetOfBtc": zero,
        "totalLiabilityOfBtc": zero,
        "totalNetAssetOfBtc": zero,
    }, 10


def interest_history(_call: PrivateCall) -> tuple[Any, int]:
    """``GET /sapi/v1/margin/interestHistory``: nothing was ever borrowed, so no interest."""
    return {"rows": [], "total": 0}, 1


def funding_assets(_call: PrivateCall) -> tuple[Any, int]:
    """``POST /sapi/v1/asset/get-funding-asset``: the emulator has no funding wallet, so it
    holds nothing (ccxt ``fetch_balance({"type": "funding"})``)."""
    return [], 1


def user_listen_token(call: PrivateCall) -> tuple[Any, int]:
    """``POST /sapi/v1/userListenToken``: a token for ``userDataStream.subscribe.listenToken``
    (cross margin, or isolated with ``symbol`` + ``isIsolated=true``; ``validity`` ms, default
    and max 24 h)."""
    isolated = False
    if call.params.has("isIsolated"):
        isolated = parse_bool(call.params.values["isIsolated"], "isIsolated")
    margin = "cross"
    if isolated:
        symbol = call.params.symbol()
        call.exchange.engine("spot").market(symbol)
        margin = symbol
    validity = call.params.integer("validity")
    token = call.exchange.tokens.issue(call.account.id, margin, call.now, validity)
    return {"token": token.token, "expirationTime": token.expires}, 1
