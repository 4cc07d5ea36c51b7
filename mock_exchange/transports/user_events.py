"""Spot user-data event payloads: ``executionReport``, ``outboundAccountPosition``,
``balanceUpdate`` and ``eventStreamTerminated`` (reference 6.4), built from engine events.

Every field of ``executionReport`` is written with Binance's types: ``n`` is ``"0"`` and ``N``
null without a trade, ``t`` -1, ``g`` -1, ``C`` empty unless the order was canceled (then the
client id it had before), ``W`` only once the order works, the STP fields (``v``, ``A``, ``B``,
``u``, ``U``, ``Cs``, ``pl``, ``pL``, ``pY``) only for self-trade prevention, ``eR`` only when
the order expired. ``E`` and ``T`` are the engine step's time, shared by every event of the step.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..engine.events import AccountPosition, BalanceUpdate, ListStatus, OrderUpdate
from ..engine.markets import Market, fmt

__all__ = [
    "account_position",
    "balance_update",
    "execution_report",
    "list_status",
    "stream_terminated",
]

_ZERO = Decimal(0)
_PLACES = 8


def _on_book(update: OrderUpdate) -> bool:
    """Binance's ``w``: is the order on the book after this event."""
    order = update.order
    if not order.is_open or not order.is_working:
        return False
    if update.execution == "TRADE":
        return update.is_maker
    return True


def execution_report(m: Market, update: OrderUpdate) -> dict[str, Any]:
    """Return the ``executionReport`` for one order update."""
    r, trade = update.order, update.trade
    orig = r.orig_qty if r.orig_qty is not None else r.executed_qty
    last_qty = trade.qty if trade is not None else _ZERO
    last_price = trade.price if trade is not None else _ZERO
    event: dict[str, Any] = {
        "e": "executionReport",
        "E": update.time,
        "s": r.symbol,
        "c": r.client_order_id,
        "S": r.side,
        "o": r.order_type,
        "f": r.time_in_force,
        "q": m.qty_str(orig),
        "p": m.price_str(r.price if r.price is not None else _ZERO),
        "P": m.price_str(r.stop_price if r.stop_price is not None else _ZERO),
        "F": m.qty_str(_ZERO),
        "g": r.order_list_id,
        "C": update.orig_client_order_id or "",
        "x": update.execution,
        "X": r.status,
        "r": update.reject_reason,
        "i": r.order_id,
        "l": m.qty_str(last_qty),
        "z": m.qty_str(r.executed_qty),
        "L": m.price_str(last_price),
        "n": fmt(update.commission, _PLACES) if trade is not None else "0",
        "N": update.commission_asset if trade is not None else None,
        "T": update.time,
        "t": trade.trade_id if trade is not None else -1,
    }
    prevention = update.prevention
    if prevention is not None:
        event["v"] = prevention.match_id
    event.update(
        {
            "I": update.execution_id,
            "w": _on_book(update),
            "m": update.is_maker if trade is not None else False,
            "M": trade is not None,
            "O": r.time,
            "Z": m.price_str(r.cumulative_quote_qty),
            "Y": m.price_str(last_qty * last_price),
            "Q": m.price_str(r.quote_order_qty if r.quote_order_qty is not None else _ZERO),
        }
    )
    if r.is_working:
        event["W"] = r.working_time
    event["V"] = r.stp_mode
    if r.strategy_id is not None:
        event["j"] = r.strategy_id
    if r.strategy_type is not None:
        event["J"] = r.strategy_type
    if prevention is not None:
        event.update(
            {
                "A": m.qty_str(r.prevented_qty),
                "B": m.qty_str(prevention.qty),
                "u": -1,
                "U": prevention.counter_order_id,
                "Cs": prevention.counter_symbol,
                "pl": m.qty_str(prevention.qty),
                "pL": m.price_str(prevention.price),
                "pY": m.price_str(prevention.qty * prevention.price),
            }
        )
    if r.status == "EXPIRED" and r.expiry_reason is not None:
        event["eR"] = r.expiry_reason
    return event


def list_status(event: ListStatus) -> dict[str, Any]:
    """Return the ``listStatus`` event of an order list (sent after its legs' reports)."""
    lst = event.order_list
    return {
        "e": "listStatus",
        "E": event.time,
        "s": lst.symbol,
        "g": lst.list_id,
        "c": lst.contingency_type,
        "l": lst.status_type,
        "L": lst.order_status,
        "r": event.reject_reason,
        "C": lst.list_client_order_id,
        "T": event.time,
        "O": [{"s": leg.symbol, "i": leg.order_id, "c": leg.client_order_id} for leg in lst.legs],
    }


def account_position(event: AccountPosition) -> dict[str, Any]:
    """Return ``outboundAccountPosition`` (the assets one step changed)."""
    return {
        "e": "outboundAccountPosition",
        "E": event.time,
        "u": event.time,
        "B": [
            {"a": asset, "f": fmt(free, _PLACES), "l": fmt(locked, _PLACES)}
            for asset, free, locked in event.balances
        ],
    }


def balance_update(event: BalanceUpdate) -> dict[str, Any]:
    """Return ``balanceUpdate`` (a deposit, withdrawal or transfer)."""
    return {
        "e": "balanceUpdate",
        "E": event.time,
        "a": event.asset,
        "d": fmt(event.delta, _PLACES),
        "T": event.time,
    }


def stream_terminated(now: int) -> dict[str, Any]:
    """Return ``eventStreamTerminated``."""
    return {"e": "eventStreamTerminated", "E": now}
