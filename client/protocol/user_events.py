"""User-data events -> unified structures, dispatched by the event type ``e`` (no I/O).

:func:`parse_user_event` looks the parser of an event up in :data:`USER_EVENT_PARSERS` by its
``e`` (never by substring) and returns a :class:`UserEvent`: the orders, trades, positions,
liquidations and balance change it carries, and whether it ends the stream. Orders, trades
and positions are parsed by the same functions as REST answers
(:mod:`client.protocol.orders`, :mod:`client.protocol.account`), so a user-data event and
the REST read of the same state give the same structure.

Events (binance-protocol.md 6.4, 6.5):

* spot / margin: ``executionReport`` (an order; a trade when ``x`` is ``TRADE``),
  ``outboundAccountPosition`` (free ``f`` and locked ``l`` of the assets that changed),
  ``balanceUpdate`` (a delta ``d`` of the free amount), ``externalLockUpdate`` (announces an
  ``outboundAccountPosition``; no change of its own), ``listStatus`` (the orders of a list
  are reported by their own ``executionReport``), ``eventStreamTerminated``;
* futures: ``ORDER_TRADE_UPDATE`` (an order; a trade when ``x`` is ``TRADE`` or, for the
  engine's liquidation orders, ``CALCULATED``; a liquidation of the account when its type is
  ``LIQUIDATION`` and it reached a final status), ``TRADE_LITE`` (a fill without fees),
  ``ACCOUNT_UPDATE`` (wallet balances ``wb`` and positions), ``MARGIN_CALL`` (positions at
  risk: mark price, maintenance margin), ``ALGO_UPDATE`` (a conditional order),
  ``ACCOUNT_CONFIG_UPDATE`` (nothing to cache), ``listenKeyExpired``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..types import Liquidation, Market, Order, Position, Trade
from .account import parse_my_liquidation, parse_position
from .numbers import dec, integer, text
from .orders import FINAL_STATUSES, parse_my_trade, parse_order

__all__ = [
    "USER_EVENT_PARSERS",
    "BalanceChange",
    "UserEvent",
    "parse_user_event",
]

MarketOf = Callable[[str], Market | None]
"""Find a loaded market by Binance id."""


@dataclass(frozen=True)
class BalanceChange:
    """How an event changes a balance.

    Attributes:
        set: currency -> (free, used) as now (``outboundAccountPosition``).
        free_delta: currency -> amount added to free and total (``balanceUpdate``).
        wallet: currency -> wallet balance, the futures total (``ACCOUNT_UPDATE`` ``wb``).
    """

    set: dict[str, tuple[Decimal | None, Decimal | None]] = field(default_factory=dict)
    free_delta: dict[str, Decimal] = field(default_factory=dict)
    wallet: dict[str, Decimal | None] = field(default_factory=dict)


@dataclass
class UserEvent:
    """What one user-data event carries (empty lists for what it does not).

    Attributes:
        type: the event type ``e``.
        time: the event time ``E`` (ms).
        order: the order the event reports.
        trade: the account's trade it reports (a fill).
        trade_lite: True when ``trade`` came from ``TRADE_LITE`` (no fee, no order state).
        positions: positions as they are now (``ACCOUNT_UPDATE``, ``MARGIN_CALL``).
        liquidation: the account's liquidation that ended with this event.
        balance: the balance change.
        terminated: the subscription ended (``eventStreamTerminated``).
        expired: the listen key expired (``listenKeyExpired``).
    """

    type: str
    time: int | None
    raw: dict[str, Any]
    order: Order | None = None
    trade: Trade | None = None
    trade_lite: bool = False
    positions: list[Position] = field(default_factory=list)
    liquidation: Liquidation | None = None
    balance: BalanceChange | None = None
    terminated: bool = False
    expired: bool = False


Parser = Callable[[dict[str, Any], MarketOf], UserEvent]


def _base(raw: dict[str, Any]) -> UserEvent:
    return UserEvent(type=str(raw.get("e", "")), time=integer(raw.get("E")), raw=raw)


def _execution_report(raw: dict[str, Any], find: MarketOf) -> UserEvent:
    out = _base(raw)
    out.order = parse_order(raw, find=find)
    if raw.get("x") == "TRADE":
        out.trade = parse_my_trade(raw, find=find)
    return out


def _order_trade_update(raw: dict[str, Any], find: MarketOf) -> UserEvent:
    out = _base(raw)
    o = raw.get("o")
    if not isinstance(o, dict):
        return out
    out.order = parse_order(raw, find=find)
    x = o.get("x")
    if x == "TRADE" or (x == "CALCULATED" and dec(o.get("l"))):
        # a liquidation fill (CALCULATED) is a trade of the account like any other
        trade = parse_my_trade({**o, "x": "TRADE"}, find=find)
        trade["info"] = raw
        out.trade = trade
    if o.get("o") == "LIQUIDATION" and o.get("X") in FINAL_STATUSES and dec(o.get("z")):
        out.liquidation = _liquidation(o, find)
    return out


def _liquidation(o: dict[str, Any], find: MarketOf) -> Liquidation:
    """One liquidation per liquidation order, at its final status: ``z`` contracts at the
    average price ``ap``, read as ``GET /fapi/v1/forceOrders`` reports it (``info``: ``o``)."""
    sid = text(o.get("s"))
    shaped = {
        "symbol": sid,
        "executedQty": o.get("z"),
        "avgPrice": o.get("ap"),
        "side": o.get("S"),
        "updateTime": o.get("T"),
    }
    liq = parse_my_liquidation(shaped, find(sid) if sid else None)
    liq["info"] = o
    return liq


def _trade_lite(raw: dict[str, Any], find: MarketOf) -> UserEvent:
    out = _base(raw)
    shaped = {
        "s": raw.get("s"),
        "x": "TRADE",
        "t": raw.get("t"),
        "T": raw.get("T"),
        "L": raw.get("L"),
        "l": raw.get("l"),
        "S": raw.get("S"),
        "m": raw.get("m"),
        "i": raw.get("i"),
    }
    trade = parse_my_trade(shaped, find=find)
    trade["info"] = raw
    out.trade, out.trade_lite = trade, True
    return out


def _algo_update(raw: dict[str, Any], find: MarketOf) -> UserEvent:
    """A conditional order: read with the REST algo-order fields, ``info`` the event's ``o``."""
    out = _base(raw)
    o = raw.get("o")
    if not isinstance(o, dict):
        return out
    shaped = {
        "algoId": o.get("aid"),
        "clientAlgoId": o.get("caid"),
        "symbol": o.get("s"),
        "side": o.get("S"),
        "positionSide": o.get("ps"),
        "type": o.get("o"),
        "timeInForce": o.get("f"),
        "quantity": o.get("q"),
        "price": o.get("p"),
        "triggerPrice": o.get("tp"),
        "algoStatus": o.get("X"),
        "executedQty": o.get("aq"),
        "avgPrice": o.get("ap"),
        "reduceOnly": o.get("R"),
        "updateTime": raw.get("T") or raw.get("E"),
    }
    order = parse_order(shaped, find=find)
    order["info"] = o
    out.order = order
    return out


def _account_position(raw: dict[str, Any], find: MarketOf) -> UserEvent:
    out = _base(raw)
    changed: dict[str, tuple[Decimal | None, Decimal | None]] = {}
    for b in raw.get("B") or []:
        code = text(b.get("a")) if isinstance(b, dict) else None
        if code is not None:
            changed[code] = (dec(b.get("f")), dec(b.get("l")))
    out.balance = BalanceChange(set=changed)
    return out


def _balance_update(raw: dict[str, Any], find: MarketOf) -> UserEvent:
    out = _base(raw)
    code, delta = text(raw.get("a")), dec(raw.get("d"))
    if code is not None and delta is not None:
        out.balance = BalanceChange(free_delta={code: delta})
    return out


def _account_update(raw: dict[str, Any], find: MarketOf) -> UserEvent:
    out = _base(raw)
    a = raw.get("a")
    if not isinstance(a, dict):
        return out
    wallet: dict[str, Decimal | None] = {}
    for b in a.get("B") or []:
        code = text(b.get("a")) if isinstance(b, dict) else None
        if code is not None:
            wallet[code] = dec(b.get("wb"))
    if wallet:
        out.balance = BalanceChange(wallet=wallet)
    ts = integer(raw.get("T")) or out.time
    for p in a.get("P") or []:
        if isinstance(p, dict):
            pos = parse_position({**p, "T": ts}, find(str(p.get("s", ""))))
            pos["info"] = p
            out.positions.append(pos)
    return out


def _margin_call(raw: dict[str, Any], find: MarketOf) -> UserEvent:
    """Positions at risk: mark price ``mp`` and maintenance margin ``mm`` (``info`` the row)."""
    out = _base(raw)
    for p in raw.get("p") or []:
        if isinstance(p, dict):
            shaped = {**p, "markPrice": p.get("mp"), "maintMargin": p.get("mm"), "T": out.time}
            pos = parse_position(shaped, find(str(p.get("s", ""))))
            pos["info"] = p
            out.positions.append(pos)
    return out


def _terminated(raw: dict[str, Any], find: MarketOf) -> UserEvent:
    out = _base(raw)
    out.terminated = True
    return out


def _expired(raw: dict[str, Any], find: MarketOf) -> UserEvent:
    out = _base(raw)
    out.expired = True
    return out


def _nothing(raw: dict[str, Any], find: MarketOf) -> UserEvent:
    return _base(raw)


USER_EVENT_PARSERS: dict[str, Parser] = {
    "executionReport": _execution_report,
    "outboundAccountPosition": _account_position,
    "balanceUpdate": _balance_update,
    "externalLockUpdate": _nothing,
    "listStatus": _nothing,
    "eventStreamTerminated": _terminated,
    "ORDER_TRADE_UPDATE": _order_trade_update,
    "TRADE_LITE": _trade_lite,
    "ACCOUNT_UPDATE": _account_update,
    "MARGIN_CALL": _margin_call,
    "ALGO_UPDATE": _algo_update,
    "ACCOUNT_CONFIG_UPDATE": _nothing,
    "listenKeyExpired": _expired,
}
"""Event type ``e`` -> its parser."""


def parse_user_event(raw: dict[str, Any], find: MarketOf) -> UserEvent | None:
    """Parse one user-data event; None for an event type this client does not know."""
    parser = USER_EVENT_PARSERS.get(str(raw.get("e", "")))
    return None if parser is None else parser(raw, find)
