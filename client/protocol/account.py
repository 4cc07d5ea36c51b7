"""Account payloads -> unified balance, position, liquidation, borrow-rate and conversion
structures (pure functions of their input; no I/O).

Balances (:func:`parse_balance`) come from ``GET /api/v3/account`` = WS API
``account.status`` (spot), ``GET /sapi/v1/margin/account`` (cross margin),
``/sapi/v1/margin/isolated/account`` (isolated), ``GET /fapi/v2|v3/account`` = WS API
``account.status``, ``GET /fapi/v2|v3/balance`` = ``account.balance`` (USD-M) and the
``/dapi/v1`` equivalents (COIN-M). Positions (:func:`parse_position`) come from
``positionRisk`` (REST and ``account.position``), the ``positions`` of a futures account, and
the ``ACCOUNT_UPDATE`` event's ``P`` entries, so user-data events reuse the same parser.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal, cast

from ..types import (
    Balance,
    BorrowRate,
    Conversion,
    IsolatedBorrowRate,
    Liquidation,
    Market,
    Position,
    Symbol,
)
from .numbers import dec, flt, integer, nonzero, text
from .parsers import iso8601

__all__ = [
    "DAY_MS",
    "BalanceKind",
    "parse_balance",
    "parse_borrow_rate",
    "parse_conversion",
    "parse_isolated_borrow_rate",
    "parse_my_liquidation",
    "parse_position",
    "safe_balance",
]

DAY_MS = 86_400_000
"""Binance's borrow rates are daily."""

BalanceKind = Literal["spot", "margin", "isolated", "future", "delivery"]
"""Which account a balance payload describes."""

MarketOf = Callable[[str], Market | None]
"""Find a loaded market by Binance id."""


def safe_balance(
    accounts: dict[str, dict[str, Decimal | None]],
    info: Any,
    timestamp: int | None = None,
) -> Balance:
    """Build a CCXT balance from ``{code: {"free","used","total"[,"debt"]}}`` (Decimals),
    deriving a missing one of free/used/total from the other two, as CCXT does."""
    out: dict[str, Any] = {
        "info": info,
        "timestamp": timestamp,
        "datetime": iso8601(timestamp),
        "free": {},
        "used": {},
        "total": {},
    }
    debts: dict[str, float | None] = {}
    for code, acc in accounts.items():
        free, used, total = acc.get("free"), acc.get("used"), acc.get("total")
        if total is None and free is not None and used is not None:
            total = free + used
        if free is None and total is not None and used is not None:
            free = total - used
        if used is None and total is not None and free is not None:
            used = total - free
        entry: dict[str, Any] = {"free": flt(free), "used": flt(used), "total": flt(total)}
        if "debt" in acc:
            entry["debt"] = debts[code] = flt(acc["debt"])
        out[code] = entry
        out["free"][code] = entry["free"]
        out["used"][code] = entry["used"]
        out["total"][code] = entry["total"]
    if debts:
        out["debt"] = debts
    return cast(Balance, out)


def _sum(*values: Any) -> Decimal | None:
    parts = [d for d in (dec(v) for v in values) if d is not None]
    return sum(parts, Decimal(0)) if parts else None


def _margin_entry(entry: dict[str, Any]) -> dict[str, Decimal | None]:
    return {
        "free": dec(entry.get("free")),
        "used": dec(entry.get("locked")),
        "total": None,
        "debt": _sum(entry.get("borrowed"), entry.get("interest")),
    }


def parse_balance(raw: Any, kind: BalanceKind = "spot") -> Balance:
    """Parse an account or balance payload of ``kind`` into a CCXT balance.

    * spot: ``balances[]`` ``free``/``locked``; the timestamp is ``updateTime``.
    * margin (cross): ``userAssets[]`` with ``debt`` = ``borrowed + interest``.
    * isolated: every pair's ``baseAsset``/``quoteAsset``, summed per currency.
    * future / delivery: ``assets[]`` (an account) or a list (``/balance``): free =
      ``availableBalance``, used = ``initialMargin``, total = ``marginBalance`` (or
      ``balance``). Assets never touched (``updateTime`` 0 and a zero wallet) are left out.
    """
    accounts: dict[str, dict[str, Decimal | None]] = {}
    timestamp: int | None = None
    if kind in ("spot", "margin"):
        timestamp = integer(raw.get("updateTime")) if isinstance(raw, dict) else None
        rows: list[Any] = []
        if isinstance(raw, dict):
            rows = raw.get("balances") or raw.get("userAssets") or []
        for b in rows:
            code = text(b.get("asset"))
            if code is None:
                continue
            if kind == "margin":
                accounts[code] = _margin_entry(b)
            else:
                accounts[code] = {"free": dec(b.get("free")), "used": dec(b.get("locked"))}
    elif kind == "isolated":
        for pair in raw.get("assets", []) if isinstance(raw, dict) else []:
            for side in ("baseAsset", "quoteAsset"):
                part = pair.get(side) or {}
                code = text(part.get("asset"))
                if code is None:
                    continue
                acc = _margin_entry(part)
                have = accounts.get(code)
                if have is not None:
                    acc = {k: _sum(have.get(k), acc.get(k)) for k in ("free", "used", "debt")}
                    acc["total"] = None
                accounts[code] = acc
    else:
        rows = raw if isinstance(raw, list) else raw.get("assets", [])
        for b in rows:
            code = text(b.get("asset"))
            wallet = dec(b.get("walletBalance", b.get("balance")))
            if code is None or (integer(b.get("updateTime")) == 0 and not wallet):
                continue
            accounts[code] = {
                "free": dec(b.get("availableBalance")),
                "used": dec(b.get("initialMargin")),
                "total": dec(b.get("marginBalance", b.get("balance"))),
            }
    return safe_balance(accounts, raw, timestamp)


def _pick(raw: dict[str, Any], *keys: str) -> Any:
    for k in keys:
        if k in raw:
            return raw[k]
    return None


def parse_position(raw: dict[str, Any], market: Market | None = None) -> Position:
    """Parse a futures position: ``positionRisk`` (v2/v3, REST and ``account.position``),
    an account's ``positions[]``, or an ``ACCOUNT_UPDATE`` ``P`` entry (``s``, ``pa``, ``ep``,
    ``up``, ``mt``, ``iw``, ``ps``, ``cr``).

    Figures are Binance's own: ``initialMargin`` (else notional / leverage), ``maintMargin``,
    ``liquidationPrice`` and the isolated wallet; none is re-derived from leverage brackets,
    and a cross position's collateral is not guessed (see docs/client.md).
    """
    amount = dec(_pick(raw, "positionAmt", "pa"))
    notional = dec(_pick(raw, "notional", "notionalValue"))
    entry = dec(_pick(raw, "entryPrice", "ep"))
    upnl = dec(_pick(raw, "unRealizedProfit", "unrealizedProfit", "up"))
    initial = dec(_pick(raw, "initialMargin", "positionInitialMargin"))
    maint = dec(_pick(raw, "maintMargin", "maintenanceMargin"))
    leverage = nonzero(dec(raw.get("leverage")))
    isolated_margin = dec(raw.get("isolatedMargin"))
    wallet = dec(_pick(raw, "isolatedWallet", "iw"))
    mode_raw = text(_pick(raw, "marginType", "mt"))
    if mode_raw is not None:
        mode: str | None = "cross" if mode_raw.lower() in ("cross", "crossed") else "isolated"
    elif isinstance(raw.get("isolated"), bool):
        mode = "isolated" if raw["isolated"] else "cross"
    elif isolated_margin is not None:
        mode = "cross" if isolated_margin == 0 else "isolated"
    else:
        mode = None
    position_side = text(_pick(raw, "positionSide", "ps"))
    sign = amount if amount else notional
    side: str | None = None
    if position_side in ("LONG", "SHORT"):
        side = position_side.lower()
    elif sign:
        side = "long" if sign > 0 else "short"
    contracts = abs(amount) if amount is not None else None
    size = dec(market["contractSize"]) if market is not None else None
    collateral: Decimal | None = None
    if mode == "isolated":
        collateral = isolated_margin if isolated_margin is not None else _sum(wallet, upnl)
    notional_abs = abs(notional) if notional is not None else None
    if initial is None and leverage and notional_abs is not None:
        initial = (notional_abs / leverage).quantize(Decimal("1e-8"))
    mm_pct = maint / notional_abs if maint and notional_abs else None
    im_pct = None
    if initial is not None and notional_abs:
        im_pct = (initial / notional_abs).quantize(Decimal("1e-8"))
    elif leverage:
        im_pct = (Decimal(1) / leverage).quantize(Decimal("1e-8"))
    ratio = pct = None
    if collateral and maint is not None:
        ratio = (maint / collateral).quantize(Decimal("1e-4"))
    if initial and upnl is not None:
        pct = (upnl / initial * 100).quantize(Decimal("1e-2"))
    ts = integer(_pick(raw, "updateTime", "T"))
    ts = ts or None
    symbol: Symbol | None = market["symbol"] if market is not None else None
    if symbol is None:
        sid = text(_pick(raw, "symbol", "s"))
        symbol = Symbol(sid) if sid else None
    return Position(
        info=raw,
        id=None,
        symbol=symbol,
        timestamp=ts,
        datetime=iso8601(ts),
        contracts=flt(contracts),
        contractSize=flt(size),
        side=side,
        notional=flt(notional_abs),
        leverage=flt(leverage),
        unrealizedPnl=flt(upnl),
        realizedPnl=flt(dec(raw.get("cr"))),
        collateral=flt(collateral),
        entryPrice=flt(entry),
        markPrice=flt(nonzero(dec(raw.get("markPrice")))),
        liquidationPrice=flt(nonzero(dec(raw.get("liquidationPrice")))),
        marginMode=mode,
        hedged=None if position_side is None else position_side != "BOTH",
        maintenanceMargin=flt(maint),
        maintenanceMarginPercentage=flt(mm_pct),
        initialMargin=flt(initial),
        initialMarginPercentage=flt(im_pct),
        marginRatio=flt(ratio),
        positionMargin=flt(wallet) if mode == "isolated" else None,
        percentage=flt(pct),
        lastUpdateTimestamp=ts,
        lastPrice=None,
        stopLossPrice=None,
        takeProfitPrice=None,
    )


def parse_my_liquidation(raw: dict[str, Any], market: Market | None = None) -> Liquidation:
    """Parse one of the account's liquidations: ``GET /fapi/v1/forceOrders``,
    ``/dapi/v1/forceOrders`` or ``/sapi/v1/margin/forceLiquidationRec`` (``rows[]``).

    ``contracts`` is the executed quantity, ``price`` the average price; the values are
    derived from the contract size (COIN-M reports ``cumBase``, USD-M ``cumQuote``; without
    them, an inverse contract's base value is contracts x size / price). The user-data stream's
    liquidation orders are read through here too.
    """
    ts = integer(_pick(raw, "updatedTime", "updateTime", "time"))
    contracts = dec(raw.get("executedQty"))
    price = nonzero(dec(raw.get("avgPrice")))
    size = dec(market["contractSize"]) if market is not None else None
    base = dec(raw.get("cumBase"))
    quote = dec(raw.get("cumQuote"))
    if base is None and contracts is not None and size is not None and price is not None:
        base = contracts * size / price if market and market["inverse"] else contracts * size
    if quote is None and base is not None and price is not None:
        quote = base * price
    side = text(raw.get("side"))
    sid = text(raw.get("symbol"))
    symbol = market["symbol"] if market is not None else Symbol(sid or "")
    return Liquidation(
        info=raw,
        symbol=symbol,
        contracts=flt(contracts),
        contractSize=flt(size),
        price=flt(price),
        side=side.lower() if side else None,
        baseValue=flt(base),
        quoteValue=flt(quote),
        timestamp=ts,
        datetime=iso8601(ts),
    )


def parse_borrow_rate(raw: dict[str, Any]) -> BorrowRate:
    """Parse a cross-margin rate: ``GET /sapi/v1/margin/interestRateHistory`` (``asset``,
    ``dailyInterestRate``, ``timestamp``) or ``/sapi/v1/margin/crossMarginData`` (``coin``,
    ``dailyInterest``)."""
    ts = integer(raw.get("timestamp"))
    return BorrowRate(
        info=raw,
        currency=text(_pick(raw, "asset", "coin")),
        rate=flt(dec(_pick(raw, "dailyInterestRate", "dailyInterest"))),
        period=DAY_MS,
        timestamp=ts,
        datetime=iso8601(ts),
    )


def parse_isolated_borrow_rate(
    raw: dict[str, Any], find: MarketOf | None = None
) -> IsolatedBorrowRate:
    """Parse one pair of ``GET /sapi/v1/margin/isolatedMarginData``: ``data[0]`` is the base
    asset's rate, ``data[1]`` the quote's (``dailyInterest``)."""
    data: list[dict[str, Any]] = raw.get("data") or []
    base = data[0] if data else {}
    quote = data[1] if len(data) > 1 else {}
    sid = text(raw.get("symbol"))
    market = find(sid) if find is not None and sid else None
    return IsolatedBorrowRate(
        info=raw,
        symbol=market["symbol"] if market else (Symbol(sid) if sid else None),
        base=text(base.get("coin")),
        baseRate=flt(dec(base.get("dailyInterest"))),
        quote=text(quote.get("coin")),
        quoteRate=flt(dec(quote.get("dailyInterest"))),
        period=DAY_MS,
        timestamp=None,
        datetime=None,
    )


def parse_conversion(
    raw: dict[str, Any], from_code: str | None = None, to_code: str | None = None
) -> Conversion:
    """Parse ``POST /sapi/v1/convert/getQuote`` (``quoteId``, ``ratio``, ``fromAmount``,
    ``toAmount``, ``validTimestamp``), ``acceptQuote`` (``orderId``, ``createTime``) or
    ``GET /sapi/v1/convert/orderStatus``. ``price`` is Binance's ``ratio`` (to per from)."""
    ts = integer(_pick(raw, "time", "validTimestamp", "createTime"))
    return Conversion(
        info=raw,
        timestamp=ts,
        datetime=iso8601(ts),
        id=text(_pick(raw, "tranId", "orderId", "quoteId")),
        fromCurrency=text(_pick(raw, "deductedAsset", "fromAsset")) or from_code,
        fromAmount=flt(dec(_pick(raw, "deductedAmount", "fromAmount"))),
        toCurrency=text(_pick(raw, "targetAsset", "toAsset")) or to_code,
        toAmount=flt(dec(_pick(raw, "targetAmount", "toAmount"))),
        price=flt(dec(raw.get("ratio"))),
        fee=None,
    )
