"""Reading a new order's parameters as Binance does (``order.place`` = ``POST /api/v3/order``).

:func:`parse_new_order` checks, in order: ``symbol`` (-1102, -1121), ``side`` (-1117),
``type`` (-1116), the parameters the type needs (-1102: ``timeInForce``, ``quantity``,
``price``; stop types need ``stopPrice`` or ``trailingDelta``, MARKET ``quantity`` or
``quoteOrderQty``) and those it does not
take (-1106 ``Parameter '%s' sent when not required.``), ``timeInForce`` (-1115), decimal
syntax (-1100) and precision (-1111), ``newClientOrderId`` (-1100), ``newOrderRespType``,
``selfTradePreventionMode`` (-1013 when the symbol does not allow it), ``strategyType``
(-1134), and refuses the features the emulator does not serve (iceberg, trailing, pegged) with
the messages Binance gives for a symbol that does not allow them. Filters, balances and the
matching engine's checks follow in the engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from ..engine.core import Engine
from ..errors import ExchangeError
from .order_payloads import ACK, FULL, RESPONSE_TYPES
from .params import Params, illegal, mandatory

__all__ = [
    "CLIENT_ID_RANGE",
    "NewOrderSpec",
    "client_id",
    "decimal_param",
    "parse_new_order",
]

CLIENT_ID_RANGE = "^[\\.A-Z\\:/a-z0-9_-]{1,36}$"
_CLIENT_ID = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")
_DECIMAL_RANGE = "^([0-9]{1,20})(\\.[0-9]{1,20})?$"
_DECIMAL = re.compile(r"^([0-9]{1,20})(\.[0-9]{1,20})?$")
_TIFS = ("GTC", "IOC", "FOK")
# type -> (mandatory parameters, parameters it does not take)
_TYPE_RULES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "LIMIT": (("timeInForce", "quantity", "price"), ("stopPrice", "quoteOrderQty")),
    "MARKET": ((), ("timeInForce", "price", "stopPrice")),
    "LIMIT_MAKER": (("quantity", "price"), ("timeInForce", "stopPrice", "quoteOrderQty")),
    "STOP_LOSS": (("quantity", "stopPrice"), ("timeInForce", "price", "quoteOrderQty")),
    "TAKE_PROFIT": (("quantity", "stopPrice"), ("timeInForce", "price", "quoteOrderQty")),
    "STOP_LOSS_LIMIT": (("timeInForce", "quantity", "price", "stopPrice"), ("quoteOrderQty",)),
    "TAKE_PROFIT_LIMIT": (("timeInForce", "quantity", "price", "stopPrice"), ("quoteOrderQty",)),
}
_UNSERVED = {
    "icebergQty": "Iceberg orders are not supported for this symbol.",
    "trailingDelta": "Trailing stop orders are not supported for this symbol.",
    "pegPriceType": "Pegged orders are not supported for this symbol.",
    "pegOffsetValue": "Pegged orders are not supported for this symbol.",
    "pegOffsetType": "Pegged orders are not supported for this symbol.",
}


@dataclass(frozen=True)
class NewOrderSpec:
    """A new order's checked parameters."""

    symbol: str
    side: str
    order_type: str
    time_in_force: str
    quantity: Decimal | None
    price: Decimal | None
    quote_qty: Decimal | None
    stop_price: Decimal | None
    client_order_id: str | None
    resp_type: str
    stp_mode: str
    strategy_id: int | None
    strategy_type: int | None


def decimal_param(p: Params, name: str, places: int) -> Decimal | None:
    """Read a decimal parameter (None when absent).

    Raises:
        ExchangeError: -1100 not a plain decimal, -1111 more decimals than ``places``.
    """
    text = p.text(name)
    if text is None:
        return None
    if not _DECIMAL.match(text):
        raise illegal(name, _DECIMAL_RANGE)
    value = Decimal(text)
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise ExchangeError(-1111, f"Parameter '{name}' has too much precision.")
    return value


def client_id(p: Params, name: str) -> str | None:
    """Read a client order id (None when absent).

    Raises:
        ExchangeError: -1100 outside ``^[\\.A-Z\\:/a-z0-9_-]{1,36}$``.
    """
    text = p.text(name)
    if text is None:
        return None
    if not _CLIENT_ID.match(text):
        raise illegal(name, CLIENT_ID_RANGE)
    return text


def _enum(p: Params, name: str, values: tuple[str, ...], code: int, msg: str) -> str | None:
    text = p.text(name)
    if text is None:
        return None
    if text not in values:
        raise ExchangeError(code, msg)
    return text


def _check_presence(p: Params, order_type: str) -> None:
    needed, unwanted = _TYPE_RULES[order_type]
    for name in needed:
        if name == "stopPrice" and p.has("trailingDelta"):
            continue  # a stop order takes stopPrice or trailingDelta (refused below)
        if name == "stopPrice" and not p.has(name):
            raise ExchangeError(
                -1102,
                "Param 'stopPrice' or 'trailingDelta' must be sent, but both were empty/null!",
            )
        if not p.has(name):
            raise mandatory(name)
    if order_type == "MARKET":
        if not p.has("quantity") and not p.has("quoteOrderQty"):
            raise ExchangeError(
                -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"
            )
        if p.has("quantity") and p.has("quoteOrderQty"):
            unwanted = (*unwanted, "quoteOrderQty")
    for name in unwanted:
        if p.has(name):
            raise ExchangeError(-1106, f"Parameter '{name}' sent when not required.")
    for name, message in _UNSERVED.items():
        if p.has(name):
            raise ExchangeError(-2010, message)


def parse_new_order(p: Params, engine: Engine) -> NewOrderSpec:
    """Read and check a new order's parameters (see the module docstring for the order).

    Raises:
        ExchangeError: the first problem, with Binance's code and message.
    """
    symbol = p.symbol()
    market = engine.market(symbol)
    side = p.text("side", required=True)
    if side not in ("BUY", "SELL"):
        raise ExchangeError(-1117, "Invalid side.")
    order_type = p.text("type", required=True)
    if order_type not in _TYPE_RULES or order_type not in market.order_types:
        raise ExchangeError(-1116, "Invalid orderType.")
    _check_presence(p, order_type)
    tif = _enum(p, "timeInForce", _TIFS, -1115, "Invalid timeInForce.") or "GTC"
    base, quote = market.base_precision, market.quote_precision
    quantity = decimal_param(p, "quantity", base)
    price = decimal_param(p, "price", quote)
    quote_qty = decimal_param(p, "quoteOrderQty", quote)
    stop_price = decimal_param(p, "stopPrice", quote)
    default_resp = FULL if order_type in ("LIMIT", "MARKET") else ACK
    resp = p.text("newOrderRespType") or default_resp
    if resp not in RESPONSE_TYPES:
        raise illegal("newOrderRespType", ", ".join(RESPONSE_TYPES))
    stp = p.text("selfTradePreventionMode") or market.stp_default
    if stp not in market.stp_allowed:
        raise ExchangeError(
            -1013, "This symbol does not allow the specified self-trade prevention mode."
        )
    strategy_type = p.integer("strategyType")
    if strategy_type is not None and strategy_type < 1_000_000:
        raise ExchangeError(-1134, "`strategyType` was less than 1000000.")
    return NewOrderSpec(
        symbol,
        side,
        order_type,
        tif,
        quantity,
        price,
        quote_qty,
        stop_price,
        client_id(p, "newClientOrderId"),
        resp,
        stp,
        p.integer("strategyId"),
        strategy_type,
    )
