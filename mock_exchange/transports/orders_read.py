"""Spot order and trade queries, written once for REST and the WS API.

``GET /api/v3/order`` = ``order.status``, ``GET /api/v3/openOrders`` = ``openOrders.status``,
``GET /api/v3/allOrders`` = ``allOrders``, ``GET /api/v3/myTrades`` = ``myTrades``,
``GET /api/v3/myPreventedMatches`` = ``myPreventedMatches``. Orders (and the self-trades
prevented between them) come from the engine's records (an account's records outlive the
book), trades from the ledger.
Time-ranged queries accept at most 24 hours between ``startTime`` and ``endTime`` (-1127);
results are in chronological order: without a start, the most recent ``limit`` items.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ..engine.markets import Market
from ..engine.orders import PreventedMatch
from ..errors import ExchangeError
from . import order_payloads as op
from .private import PrivateCall
from .trading import find_order

__all__ = [
    "all_orders",
    "my_prevented_matches",
    "my_trades",
    "open_orders",
    "order_status",
    "select_rows",
    "time_window",
]

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


def time_window(call: PrivateCall) -> tuple[int | None, int | None]:
    start = call.params.integer("startTime")
    end = call.params.integer("endTime")
    if start is not None and end is not None and end - start > _DAY_MS:
        raise ExchangeError(-1127, "More than 24 hours between startTime and endTime.")
    return start, end


def select_rows(
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
    start, end = time_window(call)
    records = select_rows(
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
    start, end = time_window(call)
    if from_id is not None and (start is not None or end is not None):
        raise ExchangeError(-1128, "Combination of optional parameters invalid.")
    trades = call.exchange.ledger.trades(call.account.id, symbol)
    if order_id is not None:
        trades = [t for t in trades if t.order_id == order_id]
    chosen = select_rows(
        trades,
        lambda t: t.trade_id,
        lambda t: t.time,
        from_key=from_id,
        start=start,
        end=end,
        limit=call.params.limit(500, 1000),
    )
    rows = []
    for t in chosen:
        record = call.engine.order(t.order_id)
        rows.append(op.trade_row(market, t, record.order_list_id if record else -1))
    return rows, 5 if order_id is not None else 20


def _prevented_row(m: Market, p: PreventedMatch) -> dict[str, Any]:
    row: dict[str, Any] = {
        "symbol": m.symbol,
        "preventedMatchId": p.match_id,
        "takerOrderId": p.taker_order_id,
        "makerSymbol": m.symbol,
        "makerOrderId": p.maker_order_id,
        "tradeGroupId": -1,
        "selfTradePreventionMode": p.stp_mode,
        "price": m.price_str(p.price),
    }
    if p.taker_qty is not None:
        row["takerPreventedQuantity"] = m.qty_str(p.taker_qty)
    if p.maker_qty is not None:
        row["makerPreventedQuantity"] = m.qty_str(p.maker_qty)
    row["transactTime"] = p.time
    return row


def my_prevented_matches(call: PrivateCall) -> tuple[Any, int]:
    """``GET /api/v3/myPreventedMatches``; WS API ``myPreventedMatches``: the self-trades
    STP prevented among the account's orders of a symbol, by ``preventedMatchId`` (weight 2)
    or by ``orderId`` (weight 20, from ``fromPreventedMatchId``, at most ``limit``).

    Other combinations are -1128, as Binance lists only these.
    """
    params = call.params
    market = call.engine.market(params.symbol())
    match_id = params.integer("preventedMatchId")
    order_id = params.integer("orderId")
    from_id = params.integer("fromPreventedMatchId")
    if (match_id is None) == (order_id is None) or (match_id is not None and from_id is not None):
        raise ExchangeError(-1128, "Combination of optional parameters invalid.")
    records = call.engine.orders.owned(call.account.id, market.symbol)
    if match_id is not None:
        found = {p.match_id: p for r in records for p in r.prevented_matches}
        rows = [found[match_id]] if match_id in found else []
        return [_prevented_row(market, p) for p in rows], 2
    matches = [p for r in records if r.order_id == order_id for p in r.prevented_matches]
    chosen = [p for p in matches if from_id is None or p.match_id >= from_id]
    limit = params.limit(500, 1000)
    return [_prevented_row(market, p) for p in chosen[:limit]], 20
