"""Spot order shapes: placement (ACK / RESULT / FULL), query, cancel, amend and trade rows.

Binance answers the same order differently depending on the request (reference 4.6, 4.7,
9.3): a placement has ``transactTime`` and, in ``FULL``, ``fills``; a query has ``time``,
``updateTime``, ``isWorking`` and always ``stopPrice``/``icebergQty``; a cancel names the old
and new client ids. Prices and quantities are padded to the asset precision; the double-m
``cummulativeQuoteQty`` is Binance's spelling (``cumulativeQuoteQty`` in the amend answer).
Conditional fields appear only when they apply.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..engine.ledger import AccountTrade
from ..engine.markets import Market
from ..engine.orders import OrderRecord
from ..engine.tape import Trade

__all__ = [
    "ACK",
    "FULL",
    "RESPONSE_TYPES",
    "RESULT",
    "amended_order",
    "cancel_shape",
    "placement",
    "query_shape",
    "trade_row",
]

ACK, RESULT, FULL = "ACK", "RESULT", "FULL"
RESPONSE_TYPES = (ACK, RESULT, FULL)
_ZERO = Decimal(0)


def _price(m: Market, value: Decimal | None) -> str:
    return m.price_str(value if value is not None else _ZERO)


def _qty(m: Market, value: Decimal | None) -> str:
    return m.qty_str(value if value is not None else _ZERO)


def _conditional(m: Market, r: OrderRecord, body: dict[str, Any], *, result: bool) -> None:
    """Add the fields that appear only when they apply."""
    if r.strategy_id is not None:
        body["strategyId"] = r.strategy_id
    if r.strategy_type is not None:
        body["strategyType"] = r.strategy_type
    if r.prevented_match_id is not None:
        body["preventedMatchId"] = r.prevented_match_id
        body["preventedQuantity"] = _qty(m, r.prevented_qty)
    if result and r.expiry_reason is not None:
        body["expiryReason"] = r.expiry_reason


def _common(m: Market, r: OrderRecord) -> dict[str, Any]:
    return {
        "price": _price(m, r.price),
        "origQty": _qty(m, r.orig_qty if r.orig_qty is not None else r.executed_qty),
        "executedQty": _qty(m, r.executed_qty),
    }


def placement(
    m: Market,
    r: OrderRecord,
    resp_type: str,
    fills: list[Trade] | None = None,
    fees: list[tuple[Decimal, str]] | None = None,
) -> dict[str, Any]:
    """Return the answer to a new order: ``ACK``, ``RESULT`` or ``FULL`` (with ``fills``)."""
    body: dict[str, Any] = {
        "symbol": r.symbol,
        "orderId": r.order_id,
        "orderListId": r.order_list_id,
        "clientOrderId": r.client_order_id,
        "transactTime": r.time,
    }
    if resp_type == ACK:
        return body
    body.update(_common(m, r))
    body["origQuoteOrderQty"] = _price(m, r.quote_order_qty)
    body["cummulativeQuoteQty"] = _price(m, r.cumulative_quote_qty)
    body["status"] = r.status
    body["timeInForce"] = r.time_in_force
    body["type"] = r.order_type
    body["side"] = r.side
    if r.stop_price is not None:
        body["stopPrice"] = _price(m, r.stop_price)
    body["workingTime"] = r.working_time
    _conditional(m, r, body, result=True)
    body["selfTradePreventionMode"] = r.stp_mode
    if resp_type == FULL:
        paid = fees or []
        body["fills"] = [
            {
                "price": _price(m, t.price),
                "qty": _qty(m, t.qty),
                "commission": _commission(m, paid[i] if i < len(paid) else None, r.side),
                "commissionAsset": (paid[i][1] if i < len(paid) else _received(m, r.side)),
                "tradeId": t.trade_id,
            }
            for i, t in enumerate(fills or [])
        ]
    return body


def _received(m: Market, side: str) -> str:
    return m.base if side == "BUY" else m.quote


def _commission(m: Market, fee: tuple[Decimal, str] | None, side: str) -> str:
    amount = fee[0] if fee is not None else _ZERO
    return m.qty_str(amount) if side == "BUY" else m.price_str(amount)


def query_shape(m: Market, r: OrderRecord) -> dict[str, Any]:
    """Return ``order.status`` / ``GET /api/v3/order`` / ``openOrders`` / ``allOrders`` rows."""
    body: dict[str, Any] = {
        "symbol": r.symbol,
        "orderId": r.order_id,
        "orderListId": r.order_list_id,
        "clientOrderId": r.client_order_id,
        **_common(m, r),
        "cummulativeQuoteQty": _price(m, r.cumulative_quote_qty),
        "status": r.status,
        "timeInForce": r.time_in_force,
        "type": r.order_type,
        "side": r.side,
        "stopPrice": _price(m, r.stop_price),
        "icebergQty": _qty(m, _ZERO),
        "time": r.time,
        "updateTime": r.update_time,
        "isWorking": r.is_working,
        "workingTime": r.working_time,
        "origQuoteOrderQty": _price(m, r.quote_order_qty),
    }
    _conditional(m, r, body, result=True)
    body["selfTradePreventionMode"] = r.stp_mode
    return body


def cancel_shape(m: Market, r: OrderRecord, orig_client_id: str | None, now: int) -> dict[str, Any]:
    """Return the answer to a cancel: the order with its old and new client ids."""
    body: dict[str, Any] = {
        "symbol": r.symbol,
        "origClientOrderId": orig_client_id,
        "orderId": r.order_id,
        "orderListId": r.order_list_id,
        "clientOrderId": r.client_order_id,
        "transactTime": now,
        **_common(m, r),
        "origQuoteOrderQty": _price(m, r.quote_order_qty),
        "cummulativeQuoteQty": _price(m, r.cumulative_quote_qty),
        "status": r.status,
        "timeInForce": r.time_in_force,
        "type": r.order_type,
        "side": r.side,
    }
    if r.stop_price is not None:
        body["stopPrice"] = _price(m, r.stop_price)
    _conditional(m, r, body, result=False)
    body["selfTradePreventionMode"] = r.stp_mode
    return body


def amended_order(
    m: Market, r: OrderRecord, orig_client_id: str | None, now: int, execution_id: int
) -> dict[str, Any]:
    """Return the answer to an amend keep priority (``cumulativeQuoteQty`` spelled right)."""
    order: dict[str, Any] = {
        "symbol": r.symbol,
        "orderId": r.order_id,
        "orderListId": r.order_list_id,
        "origClientOrderId": orig_client_id,
        "clientOrderId": r.client_order_id,
        "price": _price(m, r.price),
        "qty": _qty(m, r.orig_qty),
        "executedQty": _qty(m, r.executed_qty),
        "preventedQty": _qty(m, r.prevented_qty),
        "quoteOrderQty": _price(m, r.quote_order_qty),
        "cumulativeQuoteQty": _price(m, r.cumulative_quote_qty),
        "status": r.status,
        "timeInForce": r.time_in_force,
        "type": r.order_type,
        "side": r.side,
    }
    if r.is_working:
        order["workingTime"] = r.working_time
    order["selfTradePreventionMode"] = r.stp_mode
    return {"transactTime": now, "executionId": execution_id, "amendedOrder": order}


def trade_row(m: Market, t: AccountTrade, list_id: int = -1) -> dict[str, Any]:
    """Return one ``myTrades`` row (``list_id``: the order list its order belongs to)."""
    commission = m.qty_str(t.commission) if t.is_buyer else m.price_str(t.commission)
    return {
        "symbol": t.symbol,
        "id": t.trade_id,
        "orderId": t.order_id,
        "orderListId": list_id,
        "price": _price(m, t.price),
        "qty": _qty(m, t.qty),
        "quoteQty": _price(m, t.quote_qty),
        "commission": commission,
        "commissionAsset": t.commission_asset,
        "time": t.time,
        "isBuyer": t.is_buyer,
        "isMaker": t.is_maker,
        "isBestMatch": True,
    }
