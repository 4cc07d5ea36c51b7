"""Spot order and trade queries, written once for REST and the WS API.

``GET /api/v3/order`` = ``order.status``, ``GET /api/v3/openOrders`` = ``openOrders.status``,
``GET /api/v3/allOrders`` = ``allOrders``, ``GET /api/v3/myTrades`` = ``myTrades``. Orders come
from the engine's records (an account's records outlive the book), trades from the ledger.
Time-ranged queries accept at most 24 hours between ``startTime`` and ``endTime`` (-1127);
results are in chronological order: without a start, the most recent ``limit`` items.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ..errors import ExchangeError
from . import order_payloads as op
from .private import PrivateCall
from .trading import find_order

__all__ = ["all_orders", "my_trades", "open_orders", "order_status"]

_DAY_MS = 86_400_000
T = TypeVar("T")


def order_status(call: PrivateCall) -> tuple[Any, int]:
    """``GET /api/v3/order``; WS API ``order.status``: one order in the query shape (weight 4).

    -2013 when unknown, -2039 when ``orderId`` and ``origClientOrderId`` disagree.
    """
    record = find_order(call)
    return op.query_shape(call.engine.market(record.symbol), record), 4


def open_orders(call: PrivateCall) -> tuple[Any, int]:
    """``GET /api/v3/openOrders``; WS API ``openOrders.status``: weight 6, or 80 for all symbols."""
    symbol = call.params.text("symbol")
    if symbol is not None:
        symbol = symbol.upper()
        call.engine.market(symbol)
    records = call.engine.orders.open_orders(call.account.id, symbol)
    rows = [op.query_shape(call.engine.market(r.symbol), r) for r in records]
    return rows, 6 if symbol is not None else 80


def _window(call: PrivateCall) -> tuple[int | None, int | None]:
    start = call.params.integer("startTime")
    end = call.params.integer("endTime")
    if start is not None and end is not None and end - start > _DAY_MS:
        raise ExchangeError(-1127, "More than 24 hours between startTime and endTime.")
    return start, end


def _select(
    items: Sequence[T],
    key: Callable[[T], int],
    time: Callable[[T], int],
    *,
    from_key: int | None,
    start: int | None,
    end: int | None,
    limit: int,
) -> list[T]:
    """Binance's selection: ``>= from_key``, in the time window, oldest first; without a
    lower bound the most recent ``limit``."""
    chosen = [
        it
        for it in items
        if (from_key is None or key(it) >= from_key)
        and (start is None or time(it) >= start)
        and (end is None or time(it) <= end)
    ]
    if from_key is None and start is None:
        return chosen[-limit:]
    return chosen[:limit]


def all_orders(call: PrivateCall) -> tuple[Any, int]:
    """``GET /api/v3/allOrders``; WS API ``allOrders``: the account's orders of a symbol,
    open or final (weight 20)."""
    symbol = call.params.symbol()
    market = call.engine.market(symbol)
    start, end = _window(call)
    records = _select(
        call.engine.orders.owned(call.account.id, symbol),
        lambda r: r.order_id,
        lambda r: r.time,
        from_key=call.params.integer("orderId"),
        start=start,
        end=end,
        limit=call.params.limit(500, 1000),
    )
    return [op.query_shape(market, r) for r in records], 20


def my_trades(call: PrivateCall) -> tuple[Any, int]:
    """``GET /api/v3/myTrades``; WS API ``myTrades``: the account's fills of a symbol with
    their commissions (weight 20, or 5 with ``orderId``)."""
    symbol = call.params.symbol()
    market = call.engine.market(symbol)
    order_id = call.params.integer("orderId")
    from_id = call.params.integer("fromId")
    start, end = _window(call)
    if from_id is not None and (start is not None or end is not None):
        raise ExchangeError(-1128, "Combination of optional parameters invalid.")
    trades = call.exchange.ledger.trades(call.account.id, symbol)
    if order_id is not None:
        trades = [t for t in trades if t.order_id == order_id]
    chosen = _select(
        trades,
        lambda t: t.trade_id,
        lambda t: t.time,
        from_key=from_id,
        start=start,
        end=end,
        limit=call.params.limit(500, 1000),
    )
    return [op.trade_row(market, t) for t in chosen], 5 if order_id is not None else 20
