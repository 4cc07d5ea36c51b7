"""Unified order arguments -> Binance order parameters, without I/O.

:func:`order_request` turns ``(market, type, side, amount, price, params)`` into the
parameters of ``POST /api/v3/order`` = ``order.place`` (spot), ``/sapi/v1/margin/order``,
``/fapi/v1/order`` = ``order.place`` (USD-M), ``/dapi/v1/order`` (COIN-M), or USD-M
``/fapi/v1/algoOrder`` (conditional orders, which Binance moved there on 2025-12-09). What it
understands of CCXT's unified params it translates; everything else goes to Binance as is:

* ``clientOrderId`` -> ``newClientOrderId`` (``clientAlgoId`` on algo orders). One is always
  sent (the caller generates it), so an order whose answer was lost can be looked up.
* ``postOnly`` / ``timeInForce: "PO"`` -> ``LIMIT_MAKER`` (spot, margin) or ``GTX`` (futures).
* ``triggerPrice`` / ``stopPrice`` / ``stopLossPrice`` -> a stop order, ``takeProfitPrice`` ->
  a take-profit order, of the limit or market kind the ``type`` names.
* ``cost`` / ``quoteOrderQty`` -> ``quoteOrderQty`` on spot and margin market orders (buy or
  sell by quote amount).
* ``reduceOnly`` -> ``reduceOnly`` (futures), ``sideEffectType: AUTO_REPAY`` (margin);
  ``marginMode: isolated`` -> ``isIsolated``; ``trailingPercent`` -> ``TRAILING_STOP_MARKET``
  with ``callbackRate`` (futures).

Quantities are truncated to the market's ``LOT_SIZE`` step and prices rounded to its tick, as
decimal text (never a float's repr).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any, Literal

from ..errors import ArgumentsRequired, InvalidOrder
from ..types import Market
from .numbers import dec

__all__ = ["OrderRequest", "amount_text", "decimal_text", "order_request", "price_text"]

Endpoint = Literal["order", "algo", "test"]

_CONSUMED = frozenset(
    {
        "clientOrderId",
        "newClientOrderId",
        "postOnly",
        "triggerPrice",
        "stopPrice",
        "stopLossPrice",
        "takeProfitPrice",
        "cost",
        "quoteOrderQty",
        "reduceOnly",
        "test",
        "trailingPercent",
        "timeInForce",
        "type",
        "marginMode",
        "margin_mode",
    }
)


@dataclass(frozen=True)
class OrderRequest:
    """What to send: which endpoint kind, the parameters (in order), the client order id."""

    endpoint: Endpoint
    params: dict[str, Any]
    client_order_id: str


def _filter(market: Market, name: str) -> dict[str, Any]:
    for f in market["info"].get("filters", []):
        if isinstance(f, dict) and f.get("filterType") == name:
            return f
    return {}


def _text(d: Decimal) -> str:
    out = format(d.normalize(), "f")
    return "0" if out in ("-0", "") else out


def _step(value: Any, step: Decimal | None, rounding: str) -> str:
    d = dec(value)
    if d is None:
        raise InvalidOrder(f"not a number: {value!r}")
    if step is None or step <= 0:
        return _text(d)
    return _text((d / step).to_integral_value(rounding=rounding) * step)


def decimal_text(value: Any) -> str:
    """``value`` as plain decimal text (``0.0001``, never ``1e-04``).

    Raises:
        InvalidOrder: not a number.
    """
    return _step(value, None, ROUND_DOWN)


def amount_text(market: Market, amount: Any) -> str:
    """``amount`` truncated to the market's ``LOT_SIZE`` step, as decimal text."""
    return _step(amount, dec(_filter(market, "LOT_SIZE").get("stepSize")), ROUND_DOWN)


def price_text(market: Market, price: Any) -> str:
    """``price`` rounded to the market's tick, as decimal text."""
    return _step(price, dec(_filter(market, "PRICE_FILTER").get("tickSize")), ROUND_HALF_UP)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def order_request(
    market: Market,
    type_: str,
    side: str,
    amount: Any,
    price: Any,
    params: Mapping[str, Any],
    *,
    client_order_id: str,
    margin: bool = False,
    response_type: str | None = None,
) -> OrderRequest:
    """Return the Binance request for a unified order (see the module doc).

    Args:
        market: the order's market.
        type_: ``limit``, ``market`` or a Binance type (``LIMIT_MAKER``, ``STOP_LOSS_LIMIT``...).
        side: ``buy`` or ``sell``.
        amount: base quantity (contracts on COIN-M); None for a market order by ``cost``.
        price: the limit price (ignored by market orders).
        params: unified and Binance parameters.
        client_order_id: the id to send when ``params`` gives none.
        margin: a margin order (``/sapi/v1/margin/order``).
        response_type: ``newOrderRespType`` to ask for unless ``params`` says.

    Raises:
        InvalidOrder: a type the market does not offer, a missing price or trigger.
        ArgumentsRequired: neither ``amount`` nor ``cost``.
    """
    contract = bool(market["contract"])
    t = type_.upper()
    trigger = next(
        (params[k] for k in ("triggerPrice", "stopPrice", "stopLossPrice") if params.get(k)),
        None,
    )
    take_profit = params.get("takeProfitPrice")
    tif = params.get("timeInForce")
    post_only = _truthy(params.get("postOnly")) or tif == "PO" or t == "LIMIT_MAKER"
    trailing = params.get("trailingPercent")
    if t in ("LIMIT", "MARKET"):
        limit = t == "LIMIT"
        if contract and trailing is not None:
            t = "TRAILING_STOP_MARKET"
        elif take_profit:
            t = (
                ("TAKE_PROFIT" if contract else "TAKE_PROFIT_LIMIT")
                if limit
                else ("TAKE_PROFIT_MARKET" if contract else "TAKE_PROFIT")
            )
            trigger = take_profit
        elif trigger:
            t = (
                ("STOP" if contract else "STOP_LOSS_LIMIT")
                if limit
                else ("STOP_MARKET" if contract else "STOP_LOSS")
            )
        elif limit and post_only and not contract:
            t = "LIMIT_MAKER"
    allowed = market["info"].get("orderTypes")
    if allowed and t not in allowed:
        raise InvalidOrder(f"{t} is not an order type of {market['symbol']} ({', '.join(allowed)})")
    algo = contract and market["linear"] and t in (
        "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"
    )  # fmt: skip
    cid = str(params.get("clientOrderId") or params.get("newClientOrderId") or client_order_id)
    req: dict[str, Any] = {"symbol": market["id"], "side": side.upper(), "type": t}
    if algo:
        req["algoType"] = "CONDITIONAL"
    needs_price = t in ("LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT")
    needs_price = needs_price or (contract and t in ("STOP", "TAKE_PROFIT"))
    needs_tif = t in ("LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT") or (
        contract and t in ("STOP", "TAKE_PROFIT")
    )
    if needs_tif:
        req["timeInForce"] = "GTX" if (contract and post_only) else (
            tif if tif and tif != "PO" else "GTC"
        )  # fmt: skip
    cost = params.get("cost", params.get("quoteOrderQty"))
    close_all = _truthy(params.get("closePosition"))
    if t == "MARKET" and not contract and cost is not None:
        tick = dec(_filter(market, "PRICE_FILTER").get("tickSize"))
        req["quoteOrderQty"] = _step(cost, tick, ROUND_DOWN)  # never more than was asked
    elif amount is not None:
        req["quantity"] = amount_text(market, amount)
    elif not close_all:
        raise ArgumentsRequired(f"create_order on {market['symbol']} needs an amount (or cost)")
    if needs_price:
        if price is None:
            raise InvalidOrder(f"a {t} order on {market['symbol']} needs a price")
        req["price"] = price_text(market, price)
    if t in ("STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT") or (
        contract and t in ("STOP", "STOP_MARKET", "TAKE_PROFIT_MARKET")
    ):
        if trigger is None and "trailingDelta" not in params:
            raise InvalidOrder(f"a {t} order on {market['symbol']} needs a triggerPrice")
        if trigger is not None:
            req["triggerPrice" if algo else "stopPrice"] = price_text(market, trigger)
    if t == "TRAILING_STOP_MARKET":
        if trailing is None and "callbackRate" not in params:
            raise InvalidOrder("a TRAILING_STOP_MARKET order needs trailingPercent")
        if trailing is not None:
            req["callbackRate"] = str(trailing)
    if _truthy(params.get("reduceOnly")):
        if margin:
            req["sideEffectType"] = "AUTO_REPAY"
        elif contract:
            req["reduceOnly"] = "true"
    if margin and str(params.get("marginMode", params.get("margin_mode"))) == "isolated":
        req["isIsolated"] = "TRUE"
    req["clientAlgoId" if algo else "newClientOrderId"] = cid
    if response_type is not None and not algo:
        req["newOrderRespType"] = response_type
    req.update({k: v for k, v in params.items() if k not in _CONSUMED and v is not None})
    return OrderRequest("algo" if algo else "test" if _truthy(params.get("test")) else "order",
                        req, cid)  # fmt: skip
