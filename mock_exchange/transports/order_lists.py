"""Spot OCO order lists, written once for REST and the WS API.

``POST /api/v3/orderList/oco`` = ``orderList.place.oco`` (``aboveType``/``belowType``), the
deprecated ``POST /api/v3/order/oco`` = ``orderList.place`` (``price``/``stopPrice``/
``stopLimitPrice``), ``DELETE /api/v3/orderList`` = ``orderList.cancel``, ``GET
/api/v3/orderList`` = ``orderList.status``, ``GET /api/v3/allOrderList`` = ``allOrderLists``,
``GET /api/v3/openOrderList`` = ``openOrderLists.status``, and ``DELETE /api/v3/openOrders`` =
``openOrders.cancelAll`` (orders and lists). The engine does the work
(:mod:`mock_exchange.engine.order_lists`); this module reads the parameters with Binance's
codes: ``-1158`` for a type an OCO leg cannot have, ``-1165``/``-1166``/``-1196``..``-1199``
for a leg on the wrong side, ``-2010`` "The relationship of the prices for the orders is not
correct." against the last price. OTO/OTOCO/OPO/OPOCO stay refused (``-1020``).
"""

from __future__ import annotations

from typing import Any

from ..engine.order_lists import ListLeg, OrderList
from ..errors import ExchangeError
from . import order_payloads as op
from .order_params import client_id, decimal_param
from .orders_read import select_rows, time_window
from .params import Params, illegal, mandatory
from .private import PrivateCall
from .trading import cancel_record

__all__ = [
    "all_order_lists",
    "cancel_all",
    "cancel_list_answer",
    "cancel_order_list",
    "list_shape",
    "oco_place",
    "oco_place_legacy",
    "open_order_lists",
    "order_list_status",
]

_ABOVE = ("STOP_LOSS_LIMIT", "STOP_LOSS", "LIMIT_MAKER", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT")
_UNSERVED = {
    "IcebergQty": "Iceberg orders are not supported for this symbol.",
    "TrailingDelta": "Trailing stop orders are not supported for this symbol.",
    "PegPriceType": "Pegged orders are not supported for this symbol.",
}
# (side, leg position, kind) -> Binance's refusal for a leg on the wrong side
_MISPLACED = {
    ("BUY", "above", "LIMIT"): (-1165, "A limit order in a buy OCO must be below."),
    ("SELL", "below", "LIMIT"): (-1166, "A limit order in a sell OCO must be above."),
    ("BUY", "below", "STOP"): (-1196, "A stop loss order in a buy OCO must be above."),
    ("SELL", "above", "STOP"): (-1197, "A stop loss order in a sell OCO must be below."),
    ("BUY", "above", "PROFIT"): (-1198, "A take profit order in a buy OCO must be below."),
    ("SELL", "below", "PROFIT"): (-1199, "A take profit order in a sell OCO must be above."),
}


def _kind(order_type: str) -> str:
    if order_type == "LIMIT_MAKER":
        return "LIMIT"
    return "STOP" if order_type.startswith("STOP_LOSS") else "PROFIT"


def _side(p: Params) -> str:
    side = p.text("side", required=True)
    if side not in ("BUY", "SELL"):
        raise ExchangeError(-1117, "Invalid side.")
    return side


def _leg(p: Params, prefix: str, order_type: str, places: int) -> ListLeg:
    """Read one leg of ``orderList.place.oco`` (``above*`` or ``below*`` parameters)."""
    for suffix, message in _UNSERVED.items():
        if p.has(prefix + suffix):
            raise ExchangeError(-2010, message)
    limit = order_type in ("LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT")
    stop = order_type != "LIMIT_MAKER"
    if limit and not p.has(prefix + "Price"):
        raise mandatory(prefix + "Price")
    if stop and not p.has(prefix + "StopPrice"):
        raise ExchangeError(
            -1102,
            f"Param '{prefix}StopPrice' or '{prefix}TrailingDelta' must be sent, but both were "
            "empty/null!",
        )
    tif = p.text(prefix + "TimeInForce")
    if order_type.endswith("_LIMIT") and tif is None:
        raise mandatory(prefix + "TimeInForce")
    for name, wanted in ((prefix + "Price", limit), (prefix + "StopPrice", stop)):
        if not wanted and p.has(name):
            raise ExchangeError(-1106, f"Parameter '{name}' sent when not required.")
    if tif is not None and tif not in ("GTC", "IOC", "FOK"):
        raise ExchangeError(-1115, "Invalid timeInForce.")
    strategy_type = p.integer(prefix + "StrategyType")
    if strategy_type is not None and strategy_type < 1_000_000:
        raise ExchangeError(-1134, f"`{prefix}StrategyType` was less than 1000000.")
    return ListLeg(
        order_type,
        decimal_param(p, prefix + "Price", places),
        decimal_param(p, prefix + "StopPrice", places),
        tif or "GTC",
        client_id(p, prefix + "ClientOrderId"),
        p.integer(prefix + "StrategyId"),
        strategy_type,
    )


def _common(call: PrivateCall) -> tuple[str, str, Any, str, str | None, str]:
    """Read symbol, side, quantity, response type, list client id and STP mode."""
    p = call.params
    symbol = p.symbol()
    market = call.engine.market(symbol)
    side = _side(p)
    if not p.has("quantity"):
        raise mandatory("quantity")
    quantity = decimal_param(p, "quantity", market.base_precision)
    resp = p.text("newOrderRespType") or op.RESULT
    if resp not in op.RESPONSE_TYPES:
        raise illegal("newOrderRespType", ", ".join(op.RESPONSE_TYPES))
    stp = p.text("selfTradePreventionMode") or market.stp_default
    if stp not in market.stp_allowed:
        raise ExchangeError(
            -1013, "This symbol does not allow the specified self-trade prevention mode."
        )
    return symbol, side, quantity, resp, client_id(p, "listClientOrderId"), stp


def oco_place(call: PrivateCall) -> tuple[Any, int]:
    """``POST /api/v3/orderList/oco``; WS API ``orderList.place.oco``: a new OCO."""
    p = call.params
    symbol, side, quantity, resp, list_id, stp = _common(call)
    places = call.engine.market(symbol).quote_precision
    types = {}
    for position in ("above", "below"):
        order_type = p.text(position + "Type", required=True)
        assert order_type is not None
        if order_type not in _ABOVE:
            raise ExchangeError(-1158, "Order type not supported in OCO.")
        refusal = _MISPLACED.get((side, position, _kind(order_type)))
        if refusal is not None:
            raise ExchangeError(*refusal)
        types[position] = order_type
    if _kind(types["above"]) == _kind(types["below"]):
        raise ExchangeError(-1168, "At least one OCO order must be contingent.")
    legs = [_leg(p, pos, types[pos], places) for pos in ("above", "below")]
    legs.sort(key=lambda leg: _kind(leg.order_type) != "STOP")  # the stop-loss leg first
    return _place(call, symbol, side, quantity, legs, resp, list_id, stp), 0


def oco_place_legacy(call: PrivateCall) -> tuple[Any, int]:
    """Deprecated ``POST /api/v3/order/oco``; WS API ``orderList.place``: a LIMIT_MAKER leg at
    ``price`` and a STOP_LOSS (or, with ``stopLimitPrice``, STOP_LOSS_LIMIT) leg."""
    p = call.params
    symbol, side, quantity, resp, list_id, stp = _common(call)
    places = call.engine.market(symbol).quote_precision
    for name in ("price", "stopPrice"):
        if not p.has(name):
            raise mandatory(name)
    for prefix in ("limit", "stop"):
        if p.has(prefix + "IcebergQty"):
            raise ExchangeError(-2010, _UNSERVED["IcebergQty"])
    if p.has("trailingDelta"):
        raise ExchangeError(-2010, _UNSERVED["TrailingDelta"])
    stop_limit = decimal_param(p, "stopLimitPrice", places)
    tif = p.text("stopLimitTimeInForce")
    if stop_limit is not None and tif is None:
        raise mandatory("stopLimitTimeInForce")
    if tif is not None and tif not in ("GTC", "IOC", "FOK"):
        raise ExchangeError(-1115, "Invalid timeInForce.")
    stop = ListLeg(
        "STOP_LOSS_LIMIT" if stop_limit is not None else "STOP_LOSS",
        stop_limit,
        decimal_param(p, "stopPrice", places),
        tif or "GTC",
        client_id(p, "stopClientOrderId"),
        p.integer("stopStrategyId"),
        p.integer("stopStrategyType"),
    )
    limit = ListLeg(
        "LIMIT_MAKER",
        decimal_param(p, "price", places),
        None,
        "GTC",
        client_id(p, "limitClientOrderId"),
        p.integer("limitStrategyId"),
        p.integer("limitStrategyType"),
    )
    return _place(call, symbol, side, quantity, [stop, limit], resp, list_id, stp), 0


def _place(
    call: PrivateCall,
    symbol: str,
    side: str,
    quantity: Any,
    legs: list[ListLeg],
    resp: str,
    list_client_id: str | None,
    stp: str,
) -> dict[str, Any]:
    """Place the OCO (it counts two unfilled orders); publish; answer with its reports."""
    market = call.engine.market(symbol)
    if market.status != "TRADING":
        raise ExchangeError(-2010, "Market is closed.")
    legs = [
        leg if leg.client_order_id else _with_id(leg, call.exchange.new_client_id()) for leg in legs
    ]
    counter = call.account.orders
    counter.check(call.now)
    for _ in legs:
        counter.placed(call.now)
    try:
        order_list, events = call.engine.place_oco(
            symbol,
            side,  # type: ignore[arg-type]
            quantity,
            legs,
            owner=call.account.id,
            list_client_order_id=list_client_id or call.exchange.new_client_id(),
            now=call.now,
            stp_mode=stp,
        )
    except ExchangeError:
        for _ in legs:
            counter.withdraw(call.now)
        raise
    call.emit(call.venue, events)
    body = list_shape(order_list)
    body["orderReports"] = [op.placement(market, leg, resp) for leg in order_list.legs]
    return body


def _with_id(leg: ListLeg, client_order_id: str) -> ListLeg:
    return ListLeg(
        leg.order_type, leg.price, leg.stop_price, leg.time_in_force, client_order_id,
        leg.strategy_id, leg.strategy_type,
    )  # fmt: skip


def list_shape(order_list: OrderList) -> dict[str, Any]:
    """Return an order list as the list queries show it (no ``orderReports``)."""
    return {
        "orderListId": order_list.list_id,
        "contingencyType": order_list.contingency_type,
        "listStatusType": order_list.status_type,
        "listOrderStatus": order_list.order_status,
        "listClientOrderId": order_list.list_client_order_id,
        "transactionTime": order_list.time,
        "symbol": order_list.symbol,
        "orders": [
            {"symbol": leg.symbol, "orderId": leg.order_id, "clientOrderId": leg.client_order_id}
            for leg in order_list.legs
        ],
    }


def _find_list(call: PrivateCall, client_name: str, missing: ExchangeError) -> OrderList:
    p = call.params
    list_id = p.integer("orderListId")
    client = p.text(client_name)
    if list_id is None and client is None:
        raise ExchangeError(
            -1102,
            f"Param 'orderListId' or '{client_name}' must be sent, but both were empty/null!",
        )
    owner = call.account.id
    if list_id is not None:
        found = call.engine.lists.get(list_id)
        if found is None or found.owner != owner:
            raise missing
        if client is not None and found.list_client_order_id != client:
            raise missing
        return found
    assert client is not None
    by_client = call.engine.lists.by_client_id(owner, client)
    if by_client is None:
        raise missing
    return by_client


def cancel_list_answer(call: PrivateCall, order_list: OrderList, new_id: str | None) -> Any:
    """Cancel ``order_list``; return the cancel answer (the legs in the cancel shape)."""
    originals = [leg.client_order_id for leg in order_list.legs]
    snapshot = list_shape(order_list)  # the legs' ids before the cancel renames them
    events = call.engine.cancel_list(
        order_list, now=call.now, new_client_order_id=new_id or call.exchange.new_client_id()
    )
    call.emit(call.venue, events)
    market = call.engine.market(order_list.symbol)
    body = list_shape(order_list)
    body["orders"] = snapshot["orders"]
    body["transactionTime"] = call.now
    body["orderReports"] = [
        op.cancel_shape(market, leg, original, call.now)
        for leg, original in zip(order_list.legs, originals, strict=True)
    ]
    return body


def cancel_order_list(call: PrivateCall) -> tuple[Any, int]:
    """``DELETE /api/v3/orderList``; WS API ``orderList.cancel``: cancel both legs."""
    symbol = call.params.symbol()
    call.engine.market(symbol)
    new_id = client_id(call.params, "newClientOrderId")
    missing = ExchangeError(-2011, "Unknown order list sent.")
    order_list = _find_list(call, "listClientOrderId", missing)
    if order_list.symbol != symbol or not order_list.is_open:
        raise missing
    return cancel_list_answer(call, order_list, new_id), 0


def order_list_status(call: PrivateCall) -> tuple[Any, int]:
    """``GET /api/v3/orderList``; WS API ``orderList.status`` (by ``orderListId`` or
    ``origClientOrderId``, the list client id)."""
    # as Binance answered it (binance-spot-api-docs PR #43: -2018 for an unknown list id)
    missing = ExchangeError(-2018, "Order list does not exist.")
    return list_shape(_find_list(call, "origClientOrderId", missing)), 4


def all_order_lists(call: PrivateCall) -> tuple[Any, int]:
    """``GET /api/v3/allOrderList``; WS API ``allOrderLists``: the account's lists, oldest
    first, from ``fromId`` or within ``startTime``/``endTime``, at most ``limit`` (500)."""
    p = call.params
    from_id = p.integer("fromId")
    start, end = time_window(call)
    if from_id is not None and (start is not None or end is not None):
        raise ExchangeError(-1128, "Combination of optional parameters invalid.")
    lists = select_rows(
        call.engine.lists.owned(call.account.id),
        lambda lst: lst.list_id,
        lambda lst: lst.time,
        from_key=from_id,
        start=start,
        end=end,
        limit=p.limit(500, 1000),
    )
    return [list_shape(lst) for lst in lists], 20


def open_order_lists(call: PrivateCall) -> tuple[Any, int]:
    """``GET /api/v3/openOrderList``; WS API ``openOrderLists.status``."""
    return [list_shape(lst) for lst in call.engine.lists.open_lists(call.account.id)], 6


def cancel_all(call: PrivateCall) -> tuple[Any, int]:
    """``DELETE /api/v3/openOrders``; WS API ``openOrders.cancelAll``: every open order of a
    symbol, each answered in the cancel shape, and every open order list (once, in the list
    cancel shape, as Binance answers); none open is -2011."""
    symbol = call.params.symbol()
    call.engine.market(symbol)
    records = call.engine.orders.open_orders(call.account.id, symbol)
    if not records:
        raise ExchangeError(-2011, "Unknown order sent.")
    answers: list[Any] = []
    for record in records:
        order_list = call.engine.lists.get(record.order_list_id)
        if order_list is None:
            answers.append(cancel_record(call, record, None, None))
        elif order_list.is_open:
            answers.append(cancel_list_answer(call, order_list, None))
    return answers, 0
