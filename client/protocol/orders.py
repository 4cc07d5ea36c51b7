"""Orders and the account's trades: Binance payloads -> unified structures, and the order
status as a transition table (pure functions of their input; no I/O).

:func:`parse_order` reads every order shape Binance sends: REST and WS API placement answers
(ACK, RESULT, FULL with ``fills``), query and cancel answers, futures orders, a cancel-replace
result (its ``newOrderResponse``), an amend (``amendedOrder``), the user-data events
``executionReport`` and ``ORDER_TRADE_UPDATE``, and a batch entry that is an error
(``{"code","msg"}``: status ``rejected``). :func:`parse_my_trade` reads ``myTrades``,
``userTrades``, placement ``fills`` and the trade events. The derivations (remaining, average,
cost, fees summed per currency) follow CCXT's ``safe_order`` with exact decimals; where we
depart from ccxt is listed in docs/client.md.

:data:`ORDER_TRANSITIONS` says which Binance status may follow which (an order never leaves a
final status); :func:`order_transition` applies it and :func:`supersedes` tells a cache
whether an incoming update is newer than the order it holds, so user-data events and
reconciliation can reuse one rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from ..errors import BaseError, error_from_binance
from ..types import Fee, Market, Order, Symbol, Trade
from .numbers import dec, flt, integer, nonzero, text
from .parsers import iso8601

__all__ = [
    "FINAL_STATUSES",
    "ORDER_STATUS",
    "ORDER_TRANSITIONS",
    "IllegalOrderTransition",
    "order_transition",
    "parse_my_trade",
    "parse_order",
    "parse_order_status",
    "rejected_order",
    "since_limit",
    "sum_fees",
    "supersedes",
]

MarketOf = Callable[[str], Market | None]

ORDER_STATUS: dict[str, str] = {
    "NEW": "open",
    "PENDING_NEW": "open",
    "PARTIALLY_FILLED": "open",
    "ACCEPTED": "open",
    "TRIGGERING": "open",
    "PENDING_CANCEL": "canceling",
    "FILLED": "closed",
    "TRIGGERED": "closed",
    "FINISHED": "closed",
    "CANCELED": "canceled",
    "CANCELLED": "canceled",
    "REJECTED": "rejected",
    "EXPIRED": "expired",
    "EXPIRED_IN_MATCH": "expired",
}
"""Binance order status (spot, futures, algo) -> CCXT status."""

FINAL_STATUSES = frozenset(
    {"FILLED", "CANCELED", "CANCELLED", "REJECTED", "EXPIRED", "EXPIRED_IN_MATCH", "FINISHED"}
)
"""Statuses an order never leaves."""

_ENDINGS = frozenset({"FILLED", "CANCELED", "EXPIRED", "EXPIRED_IN_MATCH", "REJECTED"})

ORDER_TRANSITIONS: dict[str | None, frozenset[str]] = {
    # first sight of an order: it may be reported in any state
    None: frozenset(ORDER_STATUS),
    "PENDING_NEW": frozenset({"PENDING_NEW", "NEW", "PARTIALLY_FILLED"}) | _ENDINGS,
    "NEW": frozenset({"NEW", "PARTIALLY_FILLED", "PENDING_CANCEL", "TRIGGERING", "TRIGGERED"})
    | _ENDINGS,
    "ACCEPTED": frozenset({"ACCEPTED", "NEW", "PARTIALLY_FILLED"}) | _ENDINGS,
    "PARTIALLY_FILLED": frozenset({"PARTIALLY_FILLED", "PENDING_CANCEL"}) | _ENDINGS - {"REJECTED"},
    "PENDING_CANCEL": frozenset({"PENDING_CANCEL", "PARTIALLY_FILLED"}) | _ENDINGS,
    "TRIGGERING": frozenset({"TRIGGERING", "TRIGGERED", "FINISHED"}) | _ENDINGS,
    "TRIGGERED": frozenset({"TRIGGERED", "FINISHED"}),
    **{final: frozenset({final}) for final in FINAL_STATUSES},
}
"""Binance status -> the statuses that may follow it. Repeating a status is allowed (a
partial fill after a partial fill, an amend, a replayed event); a final status admits only
itself. Algo statuses (TRIGGERING, TRIGGERED, FINISHED) follow USD-M conditional orders."""


class IllegalOrderTransition(ValueError):
    """An update moves an order from a status that does not allow it (e.g. out of FILLED)."""


def order_transition(current: str | None, new: str) -> str:
    """Return ``new`` if an order in ``current`` (None: unknown so far) may move there.

    Raises:
        IllegalOrderTransition: the table does not allow it (the caller keeps ``current``).
    """
    allowed = ORDER_TRANSITIONS.get(current)
    if allowed is None or new not in allowed:
        raise IllegalOrderTransition(f"order status {current} cannot become {new}")
    return new


def supersedes(current: Order, incoming: Order) -> bool:
    """Return True when ``incoming`` is a later state of the same order than ``current``: the
    status table allows the move, no fill is undone, and it is not older."""
    old = current["info"].get("status", current["info"].get("X")) if current["info"] else None
    new = incoming["info"].get("status", incoming["info"].get("X"))
    if isinstance(old, str) and isinstance(new, str):
        try:
            order_transition(old, new)
        except IllegalOrderTransition:
            return False
    if (incoming["filled"] or 0) < (current["filled"] or 0):
        return False
    a, b = current["lastUpdateTimestamp"], incoming["lastUpdateTimestamp"]
    return a is None or b is None or b >= a


def parse_order_status(status: Any) -> str | None:
    """Return the CCXT status of a Binance status (unknown ones pass through)."""
    if status is None:
        return None
    return ORDER_STATUS.get(str(status), str(status))


_SPOT_TYPES = {
    "limit_maker": "limit",
    "stop_loss_limit": "limit",
    "stop_loss": "market",
    "take_profit_limit": "limit",
    "take_profit": "market",
}
_CONTRACT_TYPES = {
    "limit_maker": "limit",
    "stop": "limit",
    "stop_market": "market",
    "take_profit": "limit",
    "take_profit_market": "market",
    "trailing_stop_market": "market",
}
_TAKE_PROFIT = {"take_profit", "take_profit_market", "take_profit_limit"}


def _market(raw_id: Any, market: Market | None, find: MarketOf | None) -> Market | None:
    if market is not None:
        return market
    if find is not None and raw_id:
        return find(str(raw_id))
    return None


def _symbol(raw_id: Any, market: Market | None) -> Symbol | None:
    if market is not None:
        return market["symbol"]
    return Symbol(str(raw_id)) if raw_id else None


def _first(raw: dict[str, Any], *keys: str) -> Any:
    for k in keys:
        v = raw.get(k)
        if v is not None:
            return v
    return None


def sum_fees(items: Iterable[Fee]) -> list[Fee]:
    """Sum fees per currency, in order of first appearance (CCXT's reduce_fees_by_currency)."""
    sums: dict[str | None, Decimal] = {}
    for fee in items:
        cost = dec(fee["cost"])
        if cost is not None:
            sums[fee["currency"]] = sums.get(fee["currency"], Decimal(0)) + cost
    return [Fee(cost=float(c), currency=cur) for cur, c in sums.items()]


def rejected_order(
    error: BaseError,
    *,
    symbol: str | None = None,
    type_: str | None = None,
    side: str | None = None,
    amount: Any = None,
    price: Any = None,
    client_order_id: str | None = None,
    info: dict[str, Any] | None = None,
    status: str | None = "rejected",
) -> Order:
    """An order that was refused (``status`` ``rejected``), or whose fate is unknown
    (``status`` None: a timeout or a dropped connection), carrying the error and what was
    asked for, so a batch result lines up with its input."""
    order = _blank(info or {})
    order["symbol"] = Symbol(symbol) if symbol else None
    order["type"] = type_
    order["side"] = side
    order["amount"] = flt(dec(amount))
    order["price"] = flt(dec(price))
    order["clientOrderId"] = client_order_id
    order["status"] = status
    order["error"] = error
    return order


def _blank(info: dict[str, Any]) -> Order:
    return Order(
        info=info,
        id=None,
        clientOrderId=None,
        timestamp=None,
        datetime=None,
        lastTradeTimestamp=None,
        lastUpdateTimestamp=None,
        symbol=None,
        type=None,
        timeInForce=None,
        postOnly=None,
        reduceOnly=None,
        side=None,
        price=None,
        triggerPrice=None,
        stopPrice=None,
        takeProfitPrice=None,
        stopLossPrice=None,
        amount=None,
        cost=None,
        average=None,
        filled=None,
        remaining=None,
        status=None,
        fee=None,
        fees=[],
        trades=[],
    )


def parse_order(
    raw: dict[str, Any], market: Market | None = None, find: MarketOf | None = None
) -> Order:
    """Parse any Binance order payload (see the module doc) into a CCXT order.

    Args:
        raw: the payload.
        market: its market, when the caller knows it.
        find: looks a market up by Binance id (used when ``market`` is None).
    """
    if "code" in raw and "msg" in raw and "orderId" not in raw:
        err = error_from_binance(raw.get("code"), raw.get("msg"), data=raw.get("data"))
        return rejected_order(err, info=raw)
    if isinstance(raw.get("newOrderResponse"), dict):
        return parse_order(raw["newOrderResponse"], market, find)
    if isinstance(raw.get("amendedOrder"), dict):
        amended = {"transactTime": raw.get("transactTime"), **raw["amendedOrder"]}
        return parse_order(amended, market, find)
    if raw.get("e") == "ORDER_TRADE_UPDATE" and isinstance(raw.get("o"), dict):
        return _parse_event_order(raw["o"], market, find)
    if raw.get("e") == "executionReport" or ("x" in raw and "X" in raw and "i" in raw):
        return _parse_event_order(raw, market, find)
    return _parse_rest_order(raw, market, find)


def _parse_rest_order(raw: dict[str, Any], market: Market | None, find: MarketOf | None) -> Order:
    sid = raw.get("symbol")
    m = _market(sid, market, find)
    contract = "positionSide" in raw or "cumQuote" in raw or "cumBase" in raw
    status_raw = _first(raw, "status", "algoStatus", "strategyStatus")
    status = parse_order_status(status_raw)
    filled = dec(_first(raw, "executedQty", "filledQty"))
    if filled is None:
        filled = Decimal(0)
    stamps = [integer(raw.get(k)) for k in ("time", "createTime", "workingTime", "transactTime")]
    stamps += [integer(raw.get("updateTime"))]
    valid = [t for t in stamps if t is not None and t > 0]
    timestamp = valid[0] if valid else None
    updated = next(
        (
            t
            for t in (integer(raw.get(k)) for k in ("updateTime", "transactTime"))
            if t is not None and t > 0
        ),
        None,
    )
    last_trade = None
    if updated is not None and (status == "closed" or (status == "open" and filled > 0)):
        last_trade = updated
    cost = dec(_first(raw, "cummulativeQuoteQty", "cumulativeQuoteQty", "cumQuote"))
    if m is not None and m["inverse"]:
        cost = dec(raw.get("cumBase")) if "cumBase" in raw else cost
    order_type = text(_first(raw, "type", "orderType"))
    order_type = order_type.lower() if order_type else None
    fills = raw.get("fills") or []
    side = text(raw.get("side"))
    oid = text(_first(raw, "orderId", "algoId", "strategyId"))
    trades = [
        parse_my_trade(
            f,
            m,
            order_id=oid,
            side=side,
            order_type=order_type,
            time=integer(raw.get("transactTime")),
        )
        for f in fills
        if isinstance(f, dict)
    ]
    trigger = nonzero(dec(_first(raw, "stopPrice", "triggerPrice")))
    return _finish(
        raw,
        m,
        sid,
        contract=contract,
        oid=oid,
        client_id=text(_first(raw, "clientOrderId", "clientAlgoId", "newClientStrategyId")),
        timestamp=timestamp,
        last_trade=last_trade,
        last_update=updated,
        order_type=order_type,
        tif=text(raw.get("timeInForce")),
        reduce_only=raw.get("reduceOnly") if isinstance(raw.get("reduceOnly"), bool) else None,
        side=side,
        price=dec(raw.get("price")),
        trigger=trigger,
        amount=dec(_first(raw, "origQty", "qty", "quantity")),
        cost=cost,
        average=dec(raw.get("avgPrice")),
        filled=filled,
        status=status,
        fee=None,
        trades=trades,
    )


def _parse_event_order(o: dict[str, Any], market: Market | None, find: MarketOf | None) -> Order:
    """``executionReport`` or the ``o`` of ``ORDER_TRADE_UPDATE`` (short keys)."""
    sid = o.get("s")
    m = _market(sid, market, find)
    x = text(o.get("x"))
    t = integer(o.get("T"))
    timestamp = integer(o.get("O"))
    last_trade = None
    if x in ("NEW", "AMENDMENT", "CANCELED") and timestamp is None:
        timestamp = t
    elif x == "TRADE":
        last_trade = t
    fee = None
    fee_cost = dec(o.get("n"))
    if fee_cost is not None and fee_cost > 0:
        fee = Fee(cost=float(fee_cost), currency=text(o.get("N")))
    client_id = text(o.get("C")) or text(o.get("c"))
    order_type = text(o.get("o"))
    order_type = order_type.lower() if order_type else None
    return _finish(
        o,
        m,
        sid,
        contract="ps" in o,
        oid=text(o.get("i")),
        client_id=client_id,
        timestamp=timestamp,
        last_trade=last_trade,
        last_update=t,
        order_type=order_type,
        tif=text(o.get("f")),
        reduce_only=o.get("R") if isinstance(o.get("R"), bool) else None,
        side=text(o.get("S")),
        price=dec(o.get("p")),
        trigger=nonzero(dec(_first(o, "P", "sp"))),
        amount=dec(o.get("q")),
        cost=dec(o.get("Z")),
        average=dec(o.get("ap")),
        filled=dec(o.get("z")),
        status=parse_order_status(o.get("X")),
        fee=fee,
        trades=[],
    )


def _finish(
    raw: dict[str, Any],
    m: Market | None,
    sid: Any,
    *,
    contract: bool,
    oid: str | None,
    client_id: str | None,
    timestamp: int | None,
    last_trade: int | None,
    last_update: int | None,
    order_type: str | None,
    tif: str | None,
    reduce_only: bool | None,
    side: str | None,
    price: Decimal | None,
    trigger: Decimal | None,
    amount: Decimal | None,
    cost: Decimal | None,
    average: Decimal | None,
    filled: Decimal | None,
    status: str | None,
    fee: Fee | None,
    trades: list[Trade],
) -> Order:
    """CCXT's ``safe_order`` derivations, exactly."""
    if tif == "GTX":
        tif = "PO"
    post_only = order_type == "limit_maker" or tif == "PO"
    take_profit = trigger if order_type in _TAKE_PROFIT else None
    unified_type = order_type
    if order_type is not None:
        table = _CONTRACT_TYPES if (contract or (m is not None and m["contract"])) else _SPOT_TYPES
        unified_type = table.get(order_type, order_type)
    amount, price, average = nonzero(amount), nonzero(price), nonzero(average)
    if cost is None and trades:
        cost = sum((dec(tr["cost"]) or Decimal(0) for tr in trades), Decimal(0))
    fees = sum_fees(fee_ for tr in trades for fee_ in tr["fees"])
    if fee is not None:
        fees = fees or [fee]
    elif len(fees) == 1:
        fee = fees[0]
    if amount is None and status == "closed":
        amount = filled
    remaining: Decimal | None = None
    if amount is not None and filled is not None:
        remaining = amount - filled
    elif status == "closed":
        remaining = Decimal(0)
    size = (dec(m["contractSize"]) if m is not None else None) or Decimal(1)
    inverse = bool(m is not None and m["inverse"])
    if average is None and filled and cost:
        average = (filled * size / cost) if inverse else (cost / (filled * size))
    if cost is None and filled is not None and (average or price):
        basis = average or price
        assert basis is not None
        cost = (filled * size / basis) if inverse else (filled * size * basis)
    if price is None and unified_type == "market":
        price = average
    if tif is None and unified_type == "market" and trigger is None:
        tif = "IOC"
    return Order(
        info=raw,
        id=oid,
        clientOrderId=client_id,
        timestamp=timestamp,
        datetime=iso8601(timestamp),
        lastTradeTimestamp=last_trade,
        lastUpdateTimestamp=last_update,
        symbol=_symbol(sid, m),
        type=unified_type,
        timeInForce=tif,
        postOnly=post_only,
        reduceOnly=reduce_only,
        side=side.lower() if side else None,
        price=flt(price),
        triggerPrice=flt(trigger),
        stopPrice=flt(trigger),
        takeProfitPrice=flt(take_profit),
        stopLossPrice=None,
        amount=flt(amount),
        cost=flt(cost),
        average=flt(average),
        filled=flt(filled),
        remaining=flt(remaining),
        status=status,
        fee=fee,
        fees=fees,
        trades=trades,
    )


def parse_my_trade(
    raw: dict[str, Any],
    market: Market | None = None,
    find: MarketOf | None = None,
    *,
    order_id: str | None = None,
    side: str | None = None,
    order_type: str | None = None,
    time: int | None = None,
) -> Trade:
    """Parse one of the account's trades: spot ``myTrades`` (``isBuyer``, ``isMaker``),
    futures ``userTrades`` (``side``, ``maker``; COIN-M ``baseQty``), a placement ``fill``
    (the order's id, side, type and time passed in), or an ``executionReport`` /
    ``ORDER_TRADE_UPDATE`` with ``x`` = ``TRADE``."""
    o = raw["o"] if isinstance(raw.get("o"), dict) else raw
    event = o.get("x") == "TRADE"
    sid = _first(o, "symbol", "s")
    m = _market(sid, market, find)
    if event:
        tid = text(o.get("t"))
        ts = integer(o.get("T"))
        price, amount = dec(o.get("L")), dec(o.get("l"))
        cost = dec(o.get("Y"))
        side_ = text(o.get("S"))
        maker = o.get("m")
        oid = text(o.get("i"))
        kind = text(o.get("o"))
        fee_cost, fee_cur = dec(o.get("n")), text(o.get("N"))
    else:
        tid = text(_first(o, "id", "tradeId"))
        ts = integer(o.get("time")) or time
        price = dec(o.get("price"))
        amount = dec(_first(o, "qty", "quantity"))
        cost = dec(_first(o, "quoteQty", "baseQty"))
        if m is not None and m["inverse"] and "baseQty" in o:
            cost = dec(o["baseQty"])
        side_ = text(o.get("side")) or side
        if "isBuyer" in o:
            side_ = "BUY" if o["isBuyer"] else "SELL"
        maker = _first(o, "isMaker", "maker")
        oid = text(o.get("orderId")) or order_id
        kind = order_type
        fee_cost, fee_cur = dec(o.get("commission")), text(o.get("commissionAsset"))
    if cost is None and price is not None and amount is not None:
        size = dec(m["contractSize"]) if m is not None and m["contractSize"] else None
        if size is not None and m is not None and m["inverse"]:
            cost = amount * size / price
        else:
            cost = amount * price * (size or 1)
    fee = Fee(cost=flt(fee_cost), currency=fee_cur)
    return Trade(
        info=raw,
        timestamp=ts,
        datetime=iso8601(ts),
        symbol=_symbol(sid, m),  # type: ignore[typeddict-item]
        id=tid,
        order=oid,
        type=kind.lower() if kind else None,
        side=side_.lower() if side_ else None,
        takerOrMaker=None if not isinstance(maker, bool) else ("maker" if maker else "taker"),
        price=flt(price),
        amount=flt(amount),
        cost=flt(cost),
        fee=fee if fee_cost is not None else Fee(cost=None, currency=None),
        fees=[fee] if fee_cost is not None else [],
    )


def since_limit(items: list[Any], since: int | None, limit: int | None) -> list[Any]:
    """CCXT's since/limit filter on items sorted by ``timestamp``: from ``since`` the first
    ``limit``; without ``since`` the last ``limit``."""
    out = sorted(items, key=lambda i: i["timestamp"] or 0)
    if since is not None:
        out = [i for i in out if i["timestamp"] and i["timestamp"] >= since]
        return out[:limit] if limit else out
    return out[-limit:] if limit else out
