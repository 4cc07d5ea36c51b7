"""Cancel an order, place a new one: ``POST /api/v3/order/cancelReplace``, ``order.cancelReplace``.

The new order's parameters and filters are checked before anything happens, then the unfilled
order count (``orderRateLimitExceededMode``: ``DO_NOTHING`` answers the plain ``-1015``,
``CANCEL_ONLY`` still cancels). The cancel runs first; with ``STOP_ON_FAILURE`` a failed cancel
stops there, with ``ALLOW_FAILURE`` the new order is attempted anyway. The operation is not
transactional; the outcome matrix (reference 9.6) is:

- both succeed: 200 ``{"cancelResult":"SUCCESS","newOrderResult":"SUCCESS",...}``;
- the cancel fails and the new order is not attempted: 400 ``-2022``;
- one of the two fails: 409 ``-2021``; both fail: 400 ``-2022``;
- the unfilled order count is full with ``CANCEL_ONLY``: 429 with the ``-1015`` error as
  ``newOrderResponse``.

Failures carry ``data`` with the four result fields (on the WS API under ``error.data``). A new
order the matching engine refuses after the cancel is reported ``REJECTED`` to user data.
"""

from __future__ import annotations

from typing import Any

from ..errors import ExchangeError
from .order_params import client_id, parse_new_order
from .params import illegal, mandatory
from .private import PrivateCall
from .trading import cancel_record, cancel_restrictions, find_order, place, placement_answer

__all__ = ["cancel_replace"]

_MODES = ("STOP_ON_FAILURE", "ALLOW_FAILURE")
_LIMIT_MODES = ("DO_NOTHING", "CANCEL_ONLY")
_REJECT_REASONS = {
    "Account has insufficient balance for requested action.": "INSUFFICIENT_BALANCES",
    "Order would trigger immediately.": "STOP_PRICE_WOULD_TRIGGER_IMMEDIATELY",
    "Order would immediately match and take.": "WOULD_MATCH_IMMEDIATELY",
}


def _enum(call: PrivateCall, name: str, values: tuple[str, ...], default: str | None) -> str:
    value = call.params.text(name) or default
    if value is None:
        raise mandatory(name)
    if value not in values:
        raise illegal(name, ", ".join(values))
    return value


def _failed(cancel: dict[str, Any], new: Any, cancel_ok: bool, new_result: str) -> ExchangeError:
    data = {
        "cancelResult": "SUCCESS" if cancel_ok else "FAILURE",
        "newOrderResult": new_result,
        "cancelResponse": cancel,
        "newOrderResponse": new,
    }
    if cancel_ok or new_result == "SUCCESS":
        return ExchangeError(-2021, "Order cancel-replace partially failed.", 409, data)
    return ExchangeError(-2022, "Order cancel-replace failed.", 400, data)


def cancel_replace(call: PrivateCall) -> tuple[Any, int]:
    """``POST /api/v3/order/cancelReplace``; WS API ``order.cancelReplace`` (weight 0 when both
    succeed)."""
    mode = _enum(call, "cancelReplaceMode", _MODES, None)
    limit_mode = _enum(call, "orderRateLimitExceededMode", _LIMIT_MODES, "DO_NOTHING")
    restrictions = cancel_restrictions(call)
    spec = parse_new_order(call.params, call.engine)
    cancel_new_id = client_id(call.params, "cancelNewClientOrderId")
    account = call.account
    over: ExchangeError | None = None
    try:
        account.orders.check(call.now)
    except ExchangeError as err:
        if limit_mode == "DO_NOTHING":
            raise
        over = err
    cancel_ok = True
    cancel: dict[str, Any]
    try:
        record = find_order(
            call,
            id_name="cancelOrderId",
            client_name="cancelOrigClientOrderId",
            unknown=ExchangeError(-2011, "Unknown order sent."),
        )
        cancel = cancel_record(call, record, cancel_new_id, restrictions)
    except ExchangeError as err:
        if err.code == -1102:
            raise
        cancel_ok, cancel = False, err.payload()
    if over is not None:
        failure = _failed(cancel, over.payload(), cancel_ok, "FAILURE")
        failure.http_status = 429
        raise failure
    if not cancel_ok and mode == "STOP_ON_FAILURE":
        account.orders.placed(call.now)  # a new order not attempted still counts
        raise _failed(cancel, None, False, "NOT_ATTEMPTED")
    try:
        result = place(call, spec)
    except ExchangeError as err:
        if cancel_ok:
            account.orders.placed(call.now)
            events = call.engine.reject(
                spec.symbol,
                spec.side,
                spec.order_type,
                owner=account.id,
                client_order_id=spec.client_order_id or call.exchange.new_client_id(),
                quantity=spec.quantity,
                price=spec.price,
                stop_price=spec.stop_price,
                reason=_REJECT_REASONS.get(err.msg, "NONE"),
                now=call.now,
            )
            call.emit(call.venue, events)
        raise _failed(cancel, err.payload(), cancel_ok, "FAILURE") from None
    new = placement_answer(call, spec, result)
    if not cancel_ok:
        raise _failed(cancel, new, False, "SUCCESS")
    answer = {
        "cancelResult": "SUCCESS",
        "newOrderResult": "SUCCESS",
        "cancelResponse": cancel,
        "newOrderResponse": new,
    }
    return answer, 0
