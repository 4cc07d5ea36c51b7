"""Futures orders over REST (``/fapi/v1``, ``/dapi/v1``) and ``ws-fapi``, written once.

Placement (``POST order`` = ``order.place``) reads and checks the order
(:mod:`.futures_order_params`), then applies the account's rules: the position side must match
the position mode (``-4061``), ``reduceOnly`` is refused in hedge mode (``-1106``), an order
that can only reduce finds nothing to reduce (``-2022``; a one-way reduce-only order larger than
the position is cut to it), a post-only (``GTX``) order that would take is refused
(``-5022``), a ``FOK`` order that cannot fill completely is refused (``-5021``), and the
initial margin of what the order opens must fit the available balance (``-2019``), and the
position it grows must stay within the leverage's largest notional (``-2027``, USD-M). The order
then goes to the shared matching engine (:mod:`mock_exchange.engine.core`) as the account's
order; the fills settle into positions in :mod:`mock_exchange.engine.futures.settlement`.

``priceMatch`` sets the limit price from the book at placement: ``OPPONENT[_N]`` the best (N-th)
opposite level, ``QUEUE[_N]`` the best (N-th) own-side level (the last level when the book is
shallower). ``newOrderRespType`` ``ACK`` (the default) answers with the order as accepted,
``RESULT`` with the order after matching.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

import orjson

from ..engine.events import EngineEvent, OrderUpdate
from ..engine.futures.events import FuturesOrderInfo
from ..engine.markets import Market
from ..engine.orders import OrderRecord
from ..errors import ExchangeError
from . import futures_payloads as fp
from .futures_account import FuturesView
from .futures_order_params import (
    NewFuturesOrder,
    check_filters,
    fok_rejected,
    not_required,
    post_only_rejected,
    read_new_order,
)
from .params import Params, illegal, mandatory
from .private import PrivateCall

__all__ = [
    "all_orders",
    "batch_cancel",
    "batch_place",
    "cancel_all",
    "cancel_order",
    "new_order",
    "open_order",
    "open_orders",
    "query_order",
    "test_order",
]

_ZERO = Decimal(0)
_MAX_BATCH = 5


def _level(view: FuturesView, symbol: str, side: Literal["BUY", "SELL"], n: int) -> Decimal | None:
    levels = view.call.engine.book(symbol).levels(side, n)
    return levels[-1][0] if levels else None


def _match_price(view: FuturesView, o: NewFuturesOrder) -> Decimal | None:
    if o.price_match == "NONE":
        return o.price
    kind, _, depth = o.price_match.partition("_")
    n = int(depth) if depth else 1
    own: Literal["BUY", "SELL"] = "BUY" if o.side == "BUY" else "SELL"
    other: Literal["BUY", "SELL"] = "SELL" if own == "BUY" else "BUY"
    price = _level(view, o.symbol, other if kind == "OPPONENT" else own, n)
    if price is None:
        raise ExchangeError(-5041, "No depth matches this BBO order")
    return price


def _closable(view: FuturesView, m: Market, o: NewFuturesOrder, side: str) -> Decimal:
    return view.fa.position(m, side).closable(o.side)


def _fillable(view: FuturesView, o: NewFuturesOrder, price: Decimal | None) -> Decimal:
    other: Literal["BUY", "SELL"] = "SELL" if o.side == "BUY" else "BUY"
    got = _ZERO
    for level, total in view.call.engine.book(o.symbol).levels(other):
        if price is not None and (level > price if o.side == "BUY" else level < price):
            break
        got += total
    return got


def _would_take(view: FuturesView, o: NewFuturesOrder, price: Decimal) -> bool:
    book = view.call.engine.book(o.symbol)
    best = book.best_ask() if o.side == "BUY" else book.best_bid()
    return best is not None and (best[0] <= price if o.side == "BUY" else best[0] >= price)


def _check_max_notional(
    view: FuturesView, m: Market, o: NewFuturesOrder, side: str, opening: Decimal, leverage: int
) -> None:
    """-2027 when the position ``o`` grows (held at its entry, plus what ``o`` opens) would
    exceed the largest notional the symbol's leverage allows (USD-M; as ``leverage`` checks).
    """
    if m.kind != "usdm" or opening <= 0:
        return
    held = view.fa.position(m, side)
    growing = held.amount > 0 if o.side == "BUY" else held.amount < 0
    total = opening + (abs(held.amount) * held.entry if growing else _ZERO)
    if total > view.st.brackets.max_notional(leverage):
        raise ExchangeError(-2027, "Exceeded the maximum allowable position at current leverage.")


def _checked(
    view: FuturesView, o: NewFuturesOrder
) -> tuple[Decimal, Decimal | None, FuturesOrderInfo]:
    """Apply the account's rules to ``o`` (module docstring) without placing it.

    Returns:
        (the quantity to place, its limit price, its futures attributes).
    """
    call, fa, st = view.call, view.fa, view.st
    m = call.engine.market(o.symbol)
    side = o.position_side or "BOTH"
    if side not in fa.position_sides():
        raise ExchangeError(-4061, "Order's position side does not match user's setting.")
    if fa.dual_side and o.reduce_only_sent:
        raise not_required("reduceOnly")
    quantity = o.quantity
    closes = side == "BOTH" and o.reduce_only
    closes |= (side, o.side) in (("LONG", "SELL"), ("SHORT", "BUY"))
    if closes:
        closable = _closable(view, m, o, side)
        if closable <= 0 or (side != "BOTH" and quantity > closable):
            raise ExchangeError(-2022, "ReduceOnly Order is rejected.")
        quantity = min(quantity, closable)
    price = _match_price(view, o)
    book = call.engine.book(o.symbol)
    best = book.best_ask() if o.side == "BUY" else book.best_bid()
    opposite = best[0] if best is not None else None
    mark = view.mark(o.symbol)
    check_filters(m, o, price, mark, opposite, closes)
    if o.time_in_force == "GTX" and price is not None and _would_take(view, o, price):
        raise post_only_rejected()
    if o.time_in_force == "FOK" and _fillable(view, o, price) < quantity:
        raise fok_rejected()
    if o.client_order_id is not None:
        held = call.engine.orders.by_client_id(call.account.id, o.symbol, o.client_order_id)
        if held is not None and held.is_open:
            raise ExchangeError(-4116, "clientOrderId is duplicated")
    if not closes:
        opening = quantity
        if side == "BOTH":
            opening = quantity - min(quantity, _closable(view, m, o, side))
        ref = price if price is not None else (opposite if opposite is not None else mark)
        leverage = fa.settings_of(o.symbol).leverage
        _check_max_notional(view, m, o, side, st.notional(m, opening, ref), leverage)
        needed = st.notional(m, opening, ref) / leverage
        if needed > 0 and needed > view.summary()[m.margin_asset].available:
            raise ExchangeError(-2019, "Margin is insufficient.")
    info = FuturesOrderInfo(
        position_side=side,
        reduce_only=o.reduce_only,
        price_match=o.price_match,
        stp=o.stp,
        good_till=o.good_till,
        display_type=o.order_type,
        time_in_force=o.time_in_force,
    )
    return quantity, price, info


def place(
    view: FuturesView, o: NewFuturesOrder
) -> tuple[OrderRecord, OrderRecord, FuturesOrderInfo]:
    """Check and place ``o`` for the view's account (module docstring).

    Returns:
        (the order as accepted, the order after matching, its futures attributes).
    """
    call, fa, st = view.call, view.fa, view.st
    quantity, price, info = _checked(view, o)
    engine_tif: Literal["GTC", "IOC", "FOK"] = "GTC"
    if o.time_in_force in ("IOC", "FOK"):
        engine_tif = o.time_in_force  # type: ignore[assignment]
    res, events = call.engine.place_order(
        o.symbol,
        "BUY" if o.side == "BUY" else "SELL",
        "MARKET" if o.order_type == "MARKET" else "LIMIT",
        quantity=quantity,
        price=price,
        time_in_force=engine_tif,
        owner=call.account.id,
        client_order_id=o.client_order_id or call.exchange.new_client_id(),
        now=call.now,
        stp_mode=o.stp,
    )
    record = call.engine.order(res.order_id)
    assert record is not None, "an account's orders are remembered"
    st.remember(record, info)
    accepted = _accepted(events, res.order_id) or record
    fa.update_time = call.now
    call.emit(call.venue, events)
    return accepted, record, info


def _accepted(events: list[EngineEvent], order_id: int) -> OrderRecord | None:
    for ev in events:
        if isinstance(ev, OrderUpdate) and ev.execution == "NEW" and ev.order.order_id == order_id:
            return ev.order
    return None


def _place_answer(view: FuturesView, o: NewFuturesOrder) -> dict[str, Any]:
    accepted, final, info = place(view, o)
    m = view.markets[o.symbol]
    shown = final if o.resp_type == "RESULT" else accepted
    return fp.order_object(m, shown, info, shape="new")


def new_order(call: PrivateCall) -> tuple[Any, int]:
    """``POST /fapi/v1/order``; ``order.place``: place a LIMIT or MARKET order."""
    view = FuturesView(call)
    return _place_answer(view, read_new_order(call.params, call.now)), 0


def test_order(call: PrivateCall) -> tuple[Any, int]:
    """``POST /fapi/v1/order/test``: check an order as ``POST /fapi/v1/order`` would, place
    nothing, and answer the order as it would have been accepted (``orderId`` 0: no id is
    used up)."""
    view = FuturesView(call)
    o = read_new_order(call.params, call.now)
    quantity, price, info = _checked(view, o)
    preview = OrderRecord(
        0,
        o.symbol,
        "BUY" if o.side == "BUY" else "SELL",
        "MARKET" if o.order_type == "MARKET" else "LIMIT",
        o.time_in_force,
        price,
        quantity,
        None,
        call.account.id,
        o.client_order_id or call.exchange.new_client_id(),
        call.now,
    )
    return fp.order_object(view.markets[o.symbol], preview, info, shape="new"), 0


def _find(view: FuturesView, params: Params, *, unknown: ExchangeError) -> OrderRecord:
    call = view.call
    symbol = params.symbol()
    call.engine.market(symbol)
    order_id = params.integer("orderId")
    client_id = params.text("origClientOrderId")
    if order_id is None and client_id is None:
        raise ExchangeError(
            -1102, "Param 'orderId' or 'origClientOrderId' must be sent, but both were empty/null!"
        )
    record = None
    if order_id is not None:
        record = call.engine.order(order_id)
    elif client_id is not None:
        record = call.engine.orders.by_client_id(call.account.id, symbol, client_id)
    if (
        record is None
        or record.owner != call.account.id
        or record.symbol != symbol
        or record.order_id not in view.st.info
        or (client_id is not None and record.client_order_id != client_id)
    ):
        raise unknown
    return record


def _no_order() -> ExchangeError:
    return ExchangeError(-2013, "Order does not exist.")


def _unknown_order() -> ExchangeError:
    return ExchangeError(-2011, "Unknown order sent.")


def query_order(call: PrivateCall) -> tuple[Any, int]:
    """``GET /fapi/v1/order``; ``order.status``: one of the account's orders."""
    view = FuturesView(call)
    record = _find(view, call.params, unknown=_no_order())
    return fp.order_object(view.markets[record.symbol], record, view.st.info[record.order_id]), 1


def _cancel(view: FuturesView, record: OrderRecord) -> dict[str, Any]:
    call = view.call
    if not record.is_open:
        raise _unknown_order()
    _, events = call.engine.cancel_order(record.symbol, record.order_id, call.now)
    call.emit(call.venue, events)
    view.fa.update_time = call.now
    final = call.engine.order(record.order_id) or record
    info = view.st.info[record.order_id]
    return fp.order_object(view.markets[record.symbol], final, info, shape="cancel")


def cancel_order(call: PrivateCall) -> tuple[Any, int]:
    """``DELETE /fapi/v1/order``; ``order.cancel``: cancel an open order."""
    view = FuturesView(call)
    return _cancel(view, _find(view, call.params, unknown=_unknown_order())), 1


def open_order(call: PrivateCall) -> tuple[Any, int]:
    """``GET /fapi/v1/openOrder``: one open order (``-2013`` once it is final)."""
    view = FuturesView(call)
    record = _find(view, call.params, unknown=_no_order())
    if not record.is_open:
        raise _no_order()
    return fp.order_object(view.markets[record.symbol], record, view.st.info[record.order_id]), 1


def open_orders(call: PrivateCall) -> tuple[Any, int]:
    """``GET /fapi/v1/openOrders``: the account's open orders (of a symbol)."""
    view = FuturesView(call)
    symbols = view.queried_symbols(required=False)
    rows = [
        fp.order_object(view.markets[r.symbol], r, view.st.info[r.order_id])
        for r in view.st.open_orders(call.account.id)
        if symbols is None or r.symbol in symbols
    ]
    return rows, 40 if symbols is None else 1


def cancel_all(call: PrivateCall) -> tuple[Any, int]:
    """``DELETE /fapi/v1/allOpenOrders``: cancel every open order of a symbol."""
    view = FuturesView(call)
    symbol = call.params.symbol()
    call.engine.market(symbol)
    for record in view.st.open_orders(call.account.id, symbol):
        _cancel(view, record)
    return {"code": 200, "msg": "The operation of cancel all open order is done."}, 1


def all_orders(call: PrivateCall) -> tuple[Any, int]:
    """``GET /fapi/v1/allOrders``: the account's orders of a symbol, oldest first (weight 5;
    COIN-M 20 by ``symbol``, 40 by ``pair``, as Binance documents)."""
    view = FuturesView(call)
    params = call.params
    symbols = view.queried_symbols(required=True) or []
    if call.venue == "coinm" and params.has("pair") and params.has("orderId"):
        raise ExchangeError(-1128, "Combination of optional parameters invalid.")
    rows = sorted(
        (r for s in symbols for r in view.st.all_orders(call.account.id, s)),
        key=lambda r: r.order_id,
    )
    order_id = params.integer("orderId")
    if order_id is not None:
        rows = [r for r in rows if r.order_id >= order_id]
    start, end = params.integer("startTime"), params.integer("endTime")
    rows = [
        r for r in rows if (start is None or r.time >= start) and (end is None or r.time <= end)
    ]
    limit = params.limit(500, 1000)
    rows = rows[:limit] if order_id is not None or start is not None else rows[-limit:]
    by_pair = call.venue == "coinm" and params.has("pair")
    weight = 5 if call.venue == "usdm" else 40 if by_pair else 20  # COIN-M: 20 / 40 by pair
    return [
        fp.order_object(view.markets[r.symbol], r, view.st.info[r.order_id]) for r in rows
    ], weight


def _error(err: ExchangeError) -> dict[str, Any]:
    return {"code": err.code, "msg": err.msg}


def _json_list(params: Params, name: str) -> list[Any]:
    value = params.values.get(name)
    if value is None or value == "":
        raise mandatory(name)
    if isinstance(value, str):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            raise ExchangeError(-1130, f"Data sent for parameter '{name}' is not valid.") from None
    if not isinstance(value, list):
        raise illegal(name, "a JSON list")
    return value


def batch_place(call: PrivateCall) -> tuple[Any, int]:
    """``POST /fapi/v1/batchOrders``: up to 5 orders, each answered on its own.

    ``batchOrders`` is a JSON list (ccxt sends it unencoded in the form body; the signature
    covers that raw text). Each element succeeds or carries its own ``{"code","msg"}``.
    """
    orders = _json_list(call.params, "batchOrders")
    if not orders or len(orders) > _MAX_BATCH:
        raise ExchangeError(-4082, f"Invalid number of batch place orders: {len(orders)}")
    view = FuturesView(call)
    out: list[Any] = []
    for item in orders:
        try:
            if not isinstance(item, dict):
                raise ExchangeError(-1130, "Data sent for parameter 'batchOrders' is not valid.")
            values = {k: v for k, v in item.items() if v is not None}
            out.append(_place_answer(view, read_new_order(Params(values), call.now)))
        except ExchangeError as err:
            out.append(_error(err))
    return out, 5


def _any_case(params: Params, name: str) -> Params:
    """Return ``params`` with ``name`` set from whichever spelling of it was sent.

    Binance matches the list names of ``DELETE batchOrders`` without regard to case: ccxt and
    python-binance send ``orderidlist`` / ``origclientorderidlist`` and Binance's own refusal
    names the parameter ``'orderidlist'``.
    """
    if params.has(name):
        return params
    folded = name.lower()
    for sent, value in params.values.items():
        if sent.lower() == folded and value not in (None, ""):
            return Params({**params.values, name: value})
    return params


def batch_cancel(call: PrivateCall) -> tuple[Any, int]:
    """``DELETE /fapi/v1/batchOrders``: cancel up to 10 orders by id or client id."""
    view = FuturesView(call)
    params = _any_case(_any_case(call.params, "orderIdList"), "origClientOrderIdList")
    symbol = params.symbol()
    ids = _json_list(params, "orderIdList") if params.has("orderIdList") else None
    cids = (
        _json_list(params, "origClientOrderIdList")
        if ids is None and params.has("origClientOrderIdList")
        else None
    )
    if ids is None and cids is None:
        raise ExchangeError(
            -1102,
            "Param 'orderIdList' or 'origClientOrderIdList' must be sent, but both were "
            "empty/null!",
        )
    out: list[Any] = []
    for ref in ids if ids is not None else cids or []:
        one = {"symbol": symbol}
        one["orderId" if ids is not None else "origClientOrderId"] = str(ref)
        try:
            out.append(_cancel(view, _find(view, Params(one), unknown=_unknown_order())))
        except ExchangeError as err:
            out.append(_error(err))
    return out, 1
