"""Order modify (``PUT /fapi/v1/order`` = ``order.modify``, ``PUT /fapi/v1/batchOrders``).

Binance modifies only LIMIT orders: the new price and quantity replace the old ones and the
order works again at its new price (it loses its time priority, and trades if the new price
crosses: :meth:`Engine.requeue <mock_exchange.engine.core.Engine.requeue>`); the account gets
``ORDER_TRADE_UPDATE`` with ``x: AMENDMENT`` (status unchanged), then any fills. Unchanged
price and quantity are ``-5027 No need to modify the order.``; a quantity at or below what
was executed, or a price that fails the filters, is refused; a post-only (``GTX``) order whose
new price would take is ``-5022``. Every modify is kept for ``GET orderAmendment`` (newest
first, ``limit`` default 50, max 100).
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from ..engine.events import EngineEvent
from ..engine.futures.events import FuturesOrderUpdate, OrderAmendment
from ..engine.orders import OrderRecord
from ..errors import ExchangeError
from . import futures_payloads as fp
from .futures_account import FuturesView
from .futures_order_params import NewFuturesOrder, check_filters, post_only_rejected
from .futures_orders import _error, _find, _json_list, _match_price, _no_order, _would_take
from .params import Params
from .private import PrivateCall

__all__ = ["batch_modify", "modify_order", "order_amendments"]

_ZERO = Decimal(0)


def _spec(record: OrderRecord, qty: Decimal, price: Decimal | None, match: str) -> NewFuturesOrder:
    return NewFuturesOrder(
        record.symbol,
        record.side,
        "LIMIT",
        qty,
        price,
        "GTC",
        None,
        False,
        False,
        None,
        "ACK",
        match,
        "NONE",
        0,
    )


def _modify(view: FuturesView, params: Params) -> dict[str, Any]:
    call = view.call
    record = _find(view, params, unknown=_no_order())
    info = view.st.info[record.order_id]
    if not record.is_open:
        raise _no_order()
    if info.display_type != "LIMIT":
        raise ExchangeError(-5025, "Only limit order is supported.")
    side = params.text("side", required=True)
    if side != record.side:
        raise ExchangeError(-1117, "Invalid side.")
    quantity = Decimal(str(params.text("quantity", required=True)))
    match = str(params.text("priceMatch") or "NONE").upper()
    price = Decimal(str(params.text("price"))) if params.has("price") else None
    if price is None and match == "NONE":
        price = record.price
    price = _match_price(view, _spec(record, quantity, price, match))
    assert price is not None
    m = call.engine.market(record.symbol)
    check_filters(
        m,
        _spec(record, quantity, price, match),
        price,
        view.mark(record.symbol),
        None,
        info.reduce_only,
    )
    if quantity <= record.executed_qty:
        raise ExchangeError(-4003, "Quantity less than zero.")
    if quantity == record.orig_qty and price == record.price:
        raise ExchangeError(-5027, "No need to modify the order.")
    if info.time_in_force == "GTX" and _would_take(
        view, _spec(record, quantity, price, match), price
    ):
        raise post_only_rejected()
    if not call.engine.is_resting(record):
        raise _no_order()
    info = dataclasses.replace(info, modify_count=info.modify_count + 1)
    view.st.info[record.order_id] = info
    _remember(view, record, price, quantity, info.modify_count)
    amended = record.snapshot()
    amended.price, amended.orig_qty, amended.update_time = price, quantity, call.now
    update = FuturesOrderUpdate(
        call.account.id, call.now, "AMENDMENT", amended, info, commission_asset=m.margin_asset
    )
    requeued = call.engine.requeue(record, price, quantity, now=call.now)
    events: list[EngineEvent] = [update, *requeued]
    call.emit(call.venue, events)
    return fp.order_object(m, record, info, shape="modify")


def _remember(view: FuturesView, record: OrderRecord, price: Decimal, qty: Decimal, n: int) -> None:
    kept = view.st.amendments
    assert record.price is not None and record.orig_qty is not None
    amendment = OrderAmendment(
        sum(map(len, kept.values())) + 1, record.order_id, record.client_order_id or "",
        view.call.now, record.price, price, record.orig_qty, qty, n,
    )  # fmt: skip
    kept.setdefault(record.order_id, []).append(amendment)


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def order_amendments(call: PrivateCall) -> tuple[Any, int]:
    """``GET /fapi/v1/orderAmendment``: an order's modifies, newest first (``orderId``
    prevails over ``origClientOrderId``; an unknown order is -2013)."""
    view = FuturesView(call)
    record = _find(view, call.params, unknown=ExchangeError(-2013, "Order does not exist."))
    start, end = call.params.integer("startTime"), call.params.integer("endTime")
    rows = [
        a
        for a in reversed(view.st.amendments.get(record.order_id, []))
        if (start is None or a.time >= start) and (end is None or a.time <= end)
    ]
    m = call.engine.market(record.symbol)
    return [
        {
            "amendmentId": a.amendment_id,
            "symbol": m.symbol,
            "pair": m.pair,
            "orderId": a.order_id,
            "clientOrderId": a.client_order_id,
            "time": a.time,
            "amendment": {
                "price": {"before": _plain(a.price_before), "after": _plain(a.price_after)},
                "origQty": {"before": _plain(a.qty_before), "after": _plain(a.qty_after)},
                "count": a.count,
            },
        }
        for a in rows[: call.params.limit(50, 100)]
    ], 1


def modify_order(call: PrivateCall) -> tuple[Any, int]:
    """``PUT /fapi/v1/order``; ``order.modify``: new price and quantity for a LIMIT order."""
    return _modify(FuturesView(call), call.params), 1


def batch_modify(call: PrivateCall) -> tuple[Any, int]:
    """``PUT /fapi/v1/batchOrders``: up to 5 modifications, each answered on its own."""
    orders = _json_list(call.params, "batchOrders")
    if not orders or len(orders) > 5:
        raise ExchangeError(-4082, f"Invalid number of batch place orders: {len(orders)}")
    view = FuturesView(call)
    out: list[Any] = []
    for item in orders:
        try:
            if not isinstance(item, dict):
                raise ExchangeError(-1130, "Data sent for parameter 'batchOrders' is not valid.")
            out.append(_modify(view, Params({k: v for k, v in item.items() if v is not None})))
        except ExchangeError as err:
            out.append(_error(err))
    return out, 5
