"""Spot order entry, written once for REST and the WS API.

``POST /api/v3/order`` = ``order.place``, ``POST /api/v3/order/test`` = ``order.test``,
``DELETE /api/v3/order`` = ``order.cancel``, ``PUT /api/v3/order/amend/keepPriority`` =
``order.amend.keepPriority`` (cancel-replace is in :mod:`.cancel_replace`). Every handler takes
a :class:`~mock_exchange.transports.private.PrivateCall`, so an order placed over REST and one
placed over the WS API meet the same checks, the same book and the same account.

Weights follow Binance's 2026 rule: successful placements and cancels cost 0, refusals cost
the documented weight (the route's ``error_weight``); every accepted new order counts towards
the account's unfilled order count (``-1015`` when full).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..engine.core import OrderResult
from ..engine.events import EngineEvent, OrderUpdate
from ..engine.filters import NewOrder, check_order
from ..engine.orders import OrderRecord
from ..engine.stops import working_type
from ..errors import ExchangeError
from . import order_payloads as op
from .account import commission_rates
from .order_params import NewOrderSpec, client_id, decimal_param, parse_new_order
from .params import mandatory
from .private import PrivateCall
from .ws_api import parse_bool

__all__ = [
    "amend_keep_priority",
    "cancel_order",
    "cancel_record",
    "cancel_restrictions",
    "find_order",
    "order_place",
    "order_test",
    "place",
    "placement_answer",
]

_RESTRICTIONS = ("ONLY_NEW", "ONLY_PARTIALLY_FILLED")


def find_order(
    call: PrivateCall,
    *,
    id_name: str = "orderId",
    client_name: str = "origClientOrderId",
    unknown: ExchangeError | None = None,
) -> OrderRecord:
    """Find the account's order of ``symbol`` named by ``orderId`` and/or its client id.

    Both given: look up by ``orderId`` and require the client id to match (-2039); neither:
    -1102; not the account's order of that symbol: ``unknown`` (default -2013).
    """
    symbol = call.params.symbol()
    call.engine.market(symbol)
    order_id = call.params.integer(id_name)
    client = call.params.text(client_name)
    missing = unknown or ExchangeError(-2013, "Order does not exist.")
    if order_id is None and client is None:
        raise ExchangeError(
            -1102, f"Param '{id_name}' or '{client_name}' must be sent, but both were empty/null!"
        )
    owner = call.account.id
    if order_id is not None:
        record = call.engine.order(order_id)
        if record is None or record.owner != owner or record.symbol != symbol:
            raise missing
        if client is not None and record.client_order_id != client:
            raise ExchangeError(-2039, "Client order ID is not correct for this order ID.")
        return record
    assert client is not None
    found = call.engine.orders.by_client_id(owner, symbol, client)
    if found is None:
        raise missing
    return found


def place(call: PrivateCall, spec: NewOrderSpec) -> OrderResult:
    """Place ``spec`` for the call's account; publish what it caused.

    Raises:
        ExchangeError: -1015 (429) when the unfilled order count is full, and whatever the
            engine refuses (filters, balance, duplicate client id...).
    """
    market = call.engine.market(spec.symbol)
    if market.status != "TRADING":
        raise ExchangeError(-2010, "Market is closed.")
    counter = call.account.orders
    counter.check(call.now)
    counter.placed(call.now)
    try:
        result, events = call.engine.place_order(
            spec.symbol,
            spec.side,  # type: ignore[arg-type]
            spec.order_type,  # type: ignore[arg-type]
            quantity=spec.quantity,
            price=spec.price,
            quote_qty=spec.quote_qty,
            time_in_force=spec.time_in_force,  # type: ignore[arg-type]
            owner=call.account.id,
            client_order_id=spec.client_order_id or call.exchange.new_client_id(),
            now=call.now,
            stop_price=spec.stop_price,
            stp_mode=spec.stp_mode,
            strategy_id=spec.strategy_id,
            strategy_type=spec.strategy_type,
        )
    except ExchangeError:
        counter.withdraw(call.now)  # a refused order does not count
        raise
    call.emit(call.venue, events)
    return result


def placement_answer(call: PrivateCall, spec: NewOrderSpec, result: OrderResult) -> dict[str, Any]:
    """Return the answer ``spec.resp_type`` asks for."""
    assert result.record is not None
    market = call.engine.market(spec.symbol)
    return op.placement(market, result.record, spec.resp_type, result.fills, result.fees)


def order_place(call: PrivateCall) -> tuple[Any, int]:
    """``POST /api/v3/order``; WS API ``order.place``: a new order (weight 0 when accepted)."""
    spec = parse_new_order(call.params, call.engine)
    return placement_answer(call, spec, place(call, spec)), 0


def order_test(call: PrivateCall) -> tuple[Any, int]:
    """``POST /api/v3/order/test``; WS API ``order.test``: check a new order, place nothing.

    With ``computeCommissionRates`` the answer is the commission the order would pay (weight
    20); otherwise ``{}`` (weight 1).
    """
    spec = parse_new_order(call.params, call.engine)
    market = call.engine.market(spec.symbol)
    avg = call.engine.avg_price(spec.symbol, call.now)[0]
    check_order(
        NewOrder(
            market,
            working_type(spec.order_type),
            spec.quantity,
            spec.price,
            spec.quote_qty,
            spec.stop_price,
            spec.side,
            avg,
        )
    )
    compute = call.params.values.get("computeCommissionRates")
    if compute is None or not parse_bool(compute, "computeCommissionRates"):
        return {}, 1
    rates = commission_rates(call.account)
    side_rate = Decimal(rates["buyer" if spec.side == "BUY" else "seller"])
    zero = market.price_str(Decimal(0))
    return {
        "standardCommissionForOrder": {
            "maker": market.price_str(Decimal(rates["maker"]) + side_rate),
            "taker": market.price_str(Decimal(rates["taker"]) + side_rate),
        },
        "specialCommissionForOrder": {"maker": zero, "taker": zero},
        "taxCommissionForOrder": {"maker": zero, "taker": zero},
        "discount": {
            "enabledForAccount": False,
            "enabledForSymbol": False,
            "discountAsset": "BNB",
            "discount": zero,
        },
    }, 20


def cancel_restrictions(call: PrivateCall, name: str = "cancelRestrictions") -> str | None:
    """Read ``cancelRestrictions`` (-1145 for another value)."""
    value = call.params.text(name)
    if value is not None and value not in _RESTRICTIONS:
        raise ExchangeError(
            -1145, "cancelRestrictions has to be either ONLY_NEW or ONLY_PARTIALLY_FILLED."
        )
    return value


def cancel_record(
    call: PrivateCall, record: OrderRecord, new_client_id: str | None, restrictions: str | None
) -> dict[str, Any]:
    """Cancel ``record`` for the call's account; return the cancel answer.

    Raises:
        ExchangeError: -2011 the order is not open, or the restrictions forbid it.
    """
    if not record.is_open:
        raise ExchangeError(-2011, "Unknown order sent.")
    if restrictions is not None and record.status != restrictions.removeprefix("ONLY_"):
        raise ExchangeError(-2011, "Order was not canceled due to cancel restrictions.")
    original = record.client_order_id
    events = call.engine.cancel(
        record, now=call.now, new_client_order_id=new_client_id or call.exchange.new_client_id()
    )
    call.emit(call.venue, events)
    return op.cancel_shape(call.engine.market(record.symbol), record, original, call.now)


def cancel_order(call: PrivateCall) -> tuple[Any, int]:
    """``DELETE /api/v3/order``; WS API ``order.cancel`` (weight 0 when canceled)."""
    restrictions = cancel_restrictions(call)
    new_id = client_id(call.params, "newClientOrderId")
    record = find_order(call, unknown=ExchangeError(-2011, "Unknown order sent."))
    return cancel_record(call, record, new_id, restrictions), 0


def _replaced_id(events: list[EngineEvent], order_id: int) -> int:
    for ev in events:
        if (
            isinstance(ev, OrderUpdate)
            and ev.execution == "REPLACED"
            and ev.order.order_id == order_id
        ):
            return ev.execution_id
    return 0


def amend_keep_priority(call: PrivateCall) -> tuple[Any, int]:
    """``PUT /api/v3/order/amend/keepPriority``; WS API ``order.amend.keepPriority``.

    Only reduces the quantity; the order keeps its id and its place in the queue. Weight 4
    (0 when the amend ends the order).
    """
    new_id = client_id(call.params, "newClientOrderId")
    if not call.params.has("newQty"):
        raise mandatory("newQty")
    record = find_order(call, unknown=ExchangeError(-2038, "Unknown order sent."))
    market = call.engine.market(record.symbol)
    new_qty = decimal_param(call.params, "newQty", market.base_precision)
    assert new_qty is not None
    if new_qty <= 0:
        raise ExchangeError(-1013, "Invalid quantity.")
    if new_qty < market.min_qty or (new_qty - market.min_qty) % market.step_size:
        raise ExchangeError(-1013, "Filter failure: LOT_SIZE")
    if not record.is_open or record.orig_qty is None:
        raise ExchangeError(-2038, "Unknown order sent.")
    if new_qty > record.orig_qty:
        raise ExchangeError(-2038, "Order amend (quantity increase) is not supported.")
    if new_qty == record.orig_qty:
        raise ExchangeError(-2038, "The requested action would change no state; rejecting")
    if record.amendments >= 10:
        raise ExchangeError(-1013, "Filter failure: MAX_NUM_ORDER_AMENDS")
    original = record.client_order_id
    events = call.engine.amend(
        record, new_qty, now=call.now, new_client_order_id=new_id or call.exchange.new_client_id()
    )
    call.emit(call.venue, events)
    answer = op.amended_order(
        market, record, original, call.now, _replaced_id(events, record.order_id)
    )
    return answer, 0 if not record.is_open else 4
