"""The futures Algo Order API: conditional orders over REST and ``ws-fapi``, and their triggers.

``POST /fapi/v1/algoOrder`` = ``algoOrder.place`` (``algoType=CONDITIONAL``), ``DELETE
/fapi/v1/algoOrder`` = ``algoOrder.cancel``, ``GET /fapi/v1/algoOrder``, ``openAlgoOrders``,
``allAlgoOrders`` and ``DELETE /fapi/v1/algoOpenOrders``. Each status change is an
``ALGO_UPDATE`` on the account's listen-key streams. :func:`run_triggers` runs on the emulator
clock: an order whose working price reached its trigger places its order through the same
futures placement as ``POST /fapi/v1/order`` (client order id = the client algo id), as the
account that made it; a placement Binance would refuse makes the algo order ``REJECTED`` with
the refusal in ``rm``. The trigger rules are in :mod:`mock_exchange.engine.futures.algo`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from ..engine.events import EngineEvent
from ..engine.exchange import Exchange
from ..engine.futures.algo import AlgoOrder
from ..engine.futures.events import AlgoUpdate
from ..engine.markets import Market, MarketKind, fmt
from ..errors import ExchangeError
from . import futures_payloads as fp
from .auth import Principal
from .futures_account import FuturesView
from .futures_order_params import CONDITIONAL_TYPES, STP_MODES, NewFuturesOrder, not_required
from .futures_orders import place
from .params import Params, illegal, mandatory
from .private import PrivateCall

__all__ = [
    "algo_cancel",
    "algo_cancel_all",
    "algo_place",
    "algo_query",
    "all_algo_orders",
    "open_algo_orders",
    "run_triggers",
]

_ZERO = Decimal(0)
_CLIENT_ID = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")
_RANGE = "^([0-9]{1,20})(\\.[0-9]{1,20})?$"


def _dec(params: Params, name: str) -> Decimal | None:
    text = params.text(name)
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise illegal(name, _RANGE) from None
    if not value.is_finite() or value <= 0:
        raise illegal(name, _RANGE)
    return value


def _flag(params: Params, name: str) -> bool:
    text = params.text(name)
    return text is not None and text.lower() == "true"


def _working_price(view: FuturesView, m: Market, working_type: str) -> Decimal:
    if working_type == "MARK_PRICE":
        return view.mark(m.symbol)
    return view.call.engine.last_price(m.symbol)


def _tick(m: Market, price: Decimal) -> None:
    if price < m.min_price or price > m.max_price or (price - m.min_price) % m.tick_size:
        raise ExchangeError(-4014, "Price not increased by tick size.")


def _read(view: FuturesView, params: Params) -> AlgoOrder:
    call, fa = view.call, view.fa
    if str(params.text("algoType", required=True)).upper() != "CONDITIONAL":
        raise ExchangeError(-1116, "Invalid algoType.")
    symbol = params.symbol()
    m = call.engine.market(symbol)
    side = params.text("side", required=True)
    if side not in ("BUY", "SELL"):
        raise ExchangeError(-1117, "Invalid side.")
    order_type = str(params.text("type", required=True)).upper()
    if order_type not in CONDITIONAL_TYPES:
        raise ExchangeError(-1116, "Invalid orderType.")
    position_side = str(params.text("positionSide") or "BOTH").upper()
    if position_side not in fa.position_sides():
        raise ExchangeError(-4061, "Order's position side does not match user's setting.")
    close = _flag(params, "closePosition")
    quantity = _dec(params, "quantity")
    if close:
        if order_type not in ("STOP_MARKET", "TAKE_PROFIT_MARKET"):
            raise not_required("closePosition")
        if quantity is not None:
            raise ExchangeError(-4137, "Quantity must be zero with closePosition equals true")
        if params.has("reduceOnly"):
            raise not_required("reduceOnly")
    elif quantity is None:
        raise mandatory("quantity")
    if fa.dual_side and params.has("reduceOnly"):
        raise not_required("reduceOnly")
    price = _dec(params, "price")
    match = str(params.text("priceMatch") or "NONE").upper()
    limit = order_type in ("STOP", "TAKE_PROFIT")
    if limit and price is None and match == "NONE":
        raise mandatory("price")
    if not limit and price is not None:
        raise not_required("price")
    trigger = _dec(params, "triggerPrice")
    activate = _dec(params, "activatePrice")
    rate = _dec(params, "callbackRate")
    if order_type == "TRAILING_STOP_MARKET":
        if rate is None:
            raise mandatory("callbackRate")
        if not Decimal("0.1") <= rate <= Decimal("10"):
            raise ExchangeError(-1130, "Data sent for parameter 'callbackRate' is not valid.")
    elif trigger is None:
        raise mandatory("triggerPrice")
    working = str(params.text("workingType") or "CONTRACT_PRICE").upper()
    if working not in ("MARK_PRICE", "CONTRACT_PRICE"):
        raise ExchangeError(-4031, f"Invalid parameter working type: {working}")
    stp = str(params.text("selfTradePreventionMode") or "NONE").upper()
    if stp not in STP_MODES:
        raise ExchangeError(-5039, "Invalid self trade prevention mode")
    tif = str(params.text("timeInForce") or "GTC").upper()
    if tif not in ("GTC", "IOC", "FOK", "GTX", "GTD"):
        raise ExchangeError(-1115, "Invalid timeInForce.")
    for value in (price, trigger, activate):
        if value is not None:
            _tick(m, value)
    client_id = params.text("clientAlgoId") or call.exchange.new_client_id()
    if not _CLIENT_ID.match(client_id):
        raise ExchangeError(-4015, "Client order id is not valid.")
    held = view.st.algos.by_client(call.account.id, client_id)
    if held is not None and held.is_open:
        raise ExchangeError(-4116, "clientOrderId is duplicated")
    now = call.now
    return AlgoOrder(
        view.st.algos.next_id(),
        client_id,
        call.account.id,
        call.key,
        symbol,
        side,
        position_side,
        order_type,
        tif,
        quantity,
        price,
        trigger or _ZERO,
        working,
        match,
        close,
        _flag(params, "priceProtect"),
        _flag(params, "reduceOnly") or close,
        activate,
        rate,
        stp,
        params.integer("goodTillDate", default=0) or 0,
        now,
        now,
    )


def _emit(
    call_emit: Callable[[MarketKind, list[EngineEvent]], None],
    venue: MarketKind,
    algo: AlgoOrder,
    now: int,
    avg: Decimal = _ZERO,
    executed: Decimal = _ZERO,
) -> None:
    algo.update_time = now
    call_emit(venue, [AlgoUpdate(algo.owner, now, algo.snapshot(), avg, executed)])


def algo_place(call: PrivateCall) -> tuple[Any, int]:
    """``POST /fapi/v1/algoOrder``; ``algoOrder.place``: a conditional order."""
    view = FuturesView(call)
    algo = _read(view, call.params)
    m = call.engine.market(algo.symbol)
    if algo.order_type == "TRAILING_STOP_MARKET" and algo.activate_price is None:
        algo.activated, algo.extreme = True, _working_price(view, m, algo.working_type)
        algo.observe(algo.extreme)
    elif algo.would_trigger(_working_price(view, m, algo.working_type)):
        raise ExchangeError(-2021, "Order would immediately trigger.")
    view.st.algos.add(algo)
    _emit(call.emit, call.venue, algo, call.now)
    return fp.algo_object(m, algo), 0


def _find(view: FuturesView, params: Params) -> AlgoOrder:
    algo_id = params.integer("algoId")
    client_id = params.text("clientAlgoId")
    if algo_id is None and client_id is None:
        raise ExchangeError(
            -1102, "Param 'algoId' or 'clientAlgoId' must be sent, but both were empty/null!"
        )
    account = view.call.account.id
    algo = (
        view.st.algos.get(algo_id)
        if algo_id is not None
        else view.st.algos.by_client(account, str(client_id))
    )
    if algo is None or algo.owner != account:
        raise ExchangeError(-2013, "Order does not exist.")
    return algo


def algo_cancel(call: PrivateCall) -> tuple[Any, int]:
    """``DELETE /fapi/v1/algoOrder``; ``algoOrder.cancel``: cancel a waiting conditional order."""
    view = FuturesView(call)
    algo = _find(view, call.params)
    if algo.status != "NEW":
        raise ExchangeError(-2011, "Unknown order sent.")
    algo.status = "CANCELED"
    _emit(call.emit, call.venue, algo, call.now)
    return {
        "algoId": algo.algo_id,
        "clientAlgoId": algo.client_algo_id,
        "code": "200",
        "msg": "success",
    }, 1


def algo_cancel_all(call: PrivateCall) -> tuple[Any, int]:
    """``DELETE /fapi/v1/algoOpenOrders``: cancel every waiting conditional order of a symbol."""
    view = FuturesView(call)
    symbol = call.params.symbol()
    call.engine.market(symbol)
    for algo in view.st.algos.open(call.account.id, symbol):
        if algo.status == "NEW":
            algo.status = "CANCELED"
            _emit(call.emit, call.venue, algo, call.now)
    return {"code": 200, "msg": "The operation of cancel all open order is done."}, 1


def _query_row(view: FuturesView, algo: AlgoOrder) -> dict[str, Any]:
    m = view.markets[algo.symbol]
    record = None if algo.actual_order_id is None else view.call.engine.order(algo.actual_order_id)
    return fp.algo_object(m, algo, record, query=True)


def algo_query(call: PrivateCall) -> tuple[Any, int]:
    """``GET /fapi/v1/algoOrder``: one conditional order."""
    view = FuturesView(call)
    return _query_row(view, _find(view, call.params)), 1


def open_algo_orders(call: PrivateCall) -> tuple[Any, int]:
    """``GET /fapi/v1/openAlgoOrders``: the account's open conditional orders."""
    view = FuturesView(call)
    symbol = view.symbols()[0] if call.params.has("symbol") else None
    return [_query_row(view, a) for a in view.st.algos.open(call.account.id, symbol)], 1


def all_algo_orders(call: PrivateCall) -> tuple[Any, int]:
    """``GET /fapi/v1/allAlgoOrders``: the account's conditional orders of a symbol."""
    view = FuturesView(call)
    symbol = call.params.symbol()
    call.engine.market(symbol)
    rows = view.st.algos.of(call.account.id, symbol)[-call.params.limit(500, 1000) :]
    return [_query_row(view, a) for a in rows], 5


# -- triggers on the clock -------------------------------------------------------------------


def _fire(view: FuturesView, algo: AlgoOrder, m: Market) -> None:
    call = view.call
    algo.status, algo.trigger_time = "TRIGGERING", call.now
    _emit(call.emit, call.venue, algo, call.now)
    quantity = algo.quantity
    if algo.close_position:
        pos = view.fa.position(m, algo.position_side)
        quantity = pos.closable(algo.side)
    try:
        if not quantity:
            raise ExchangeError(-2022, "ReduceOnly Order is rejected.")
        order = NewFuturesOrder(
            algo.symbol,
            algo.side,
            "LIMIT" if algo.limit else "MARKET",
            quantity,
            algo.price,
            algo.time_in_force if algo.limit else "GTC",
            None if algo.position_side == "BOTH" else algo.position_side,
            algo.reduce_only,
            False,
            algo.client_algo_id,
            "RESULT",
            algo.price_match if algo.limit else "NONE",
            algo.stp,
            algo.good_till,
        )
        _accepted, record, _info = place(view, order)
    except ExchangeError as err:
        algo.status, algo.fail_reason = "REJECTED", err.msg
        _emit(call.emit, call.venue, algo, call.now)
        return
    algo.status, algo.actual_order_id = "TRIGGERED", record.order_id
    _emit(call.emit, call.venue, algo, call.now)
    _finish_if_done(view, algo)


def _finish_if_done(view: FuturesView, algo: AlgoOrder) -> None:
    record = None if algo.actual_order_id is None else view.call.engine.order(algo.actual_order_id)
    if record is None or record.is_open:
        return
    algo.status = "FINISHED"
    avg = record.cumulative_quote_qty / record.executed_qty if record.executed_qty else _ZERO
    _emit(view.call.emit, view.call.venue, algo, view.call.now, avg, record.executed_qty)


def run_triggers(
    exchange: Exchange,
    venue: MarketKind,
    now: int,
    emit: Callable[[MarketKind, list[EngineEvent]], None],
) -> None:
    """Trigger, expire or finish the venue's conditional orders at ``now`` (module docstring)."""
    st = exchange.futures[venue]
    for algo in st.algos.open():
        account = exchange.accounts.get(int(algo.owner))
        if account is None:
            continue
        call = PrivateCall(
            venue, exchange, Params({}), now, Principal(algo.key, account), emit, "rest"
        )
        view = FuturesView(call)
        m = exchange.engine(venue).market(algo.symbol)
        if algo.status == "TRIGGERED":
            _finish_if_done(view, algo)
        elif algo.status == "NEW":
            if algo.time_in_force == "GTD" and algo.good_till and now >= algo.good_till:
                algo.status = "EXPIRED"
                _emit(emit, venue, algo, now)
            elif algo.observe(_working_price(view, m, algo.working_type)) and not algo.held_back(
                exchange.engine(venue).last_price(m.symbol), view.mark(m.symbol), m.trigger_protect
            ):
                _fire(view, algo, m)


def price_text(m: Market, value: Decimal | None) -> str:
    """A price of ``m`` (``0`` when absent)."""
    return fmt(value or _ZERO, m.quote_precision)
