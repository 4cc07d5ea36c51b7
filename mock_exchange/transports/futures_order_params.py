"""A new futures order: its parameters read and checked as Binance's futures API does.

:func:`read_new_order` reads ``POST /fapi/v1/order`` / ``order.place`` parameters (and one
``batchOrders`` element) into a :class:`NewFuturesOrder`; :func:`check_filters` applies the
symbol's filters with the futures codes and messages (reference: USD-M error codes):
``-4013/-4002/-4014`` price, ``-4003/-4004/-4005/-1111/-4023`` quantity, PERCENT_PRICE against
the mark (``-4016``/``-4024``, MARKET ``-4131``) and MIN_NOTIONAL (``-4164``, waived for
reduce-only orders). Conditional types (``STOP``, ``TAKE_PROFIT`` and their ``_MARKET`` forms,
``TRAILING_STOP_MARKET``) answer ``-4120``: since 2025-12-09 Binance serves them only through
the Algo Order API, which ccxt, python-binance and the official SDK all use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ..engine.markets import Market
from ..errors import ExchangeError
from .params import Params, illegal, mandatory

__all__ = [
    "CONDITIONAL_TYPES",
    "PRICE_MATCHES",
    "STP_MODES",
    "NewFuturesOrder",
    "check_filters",
    "not_required",
    "read_new_order",
]

CONDITIONAL_TYPES = frozenset(
    {"STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"}
)
_TIFS = ("GTC", "IOC", "FOK", "GTX", "GTD")
PRICE_MATCHES = (
    "NONE",
    "OPPONENT",
    "OPPONENT_5",
    "OPPONENT_10",
    "OPPONENT_20",
    "QUEUE",
    "QUEUE_5",
    "QUEUE_10",
    "QUEUE_20",
)
STP_MODES = ("NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH")
_CLIENT_ID = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")
_DECIMAL_RANGE = "^([0-9]{1,20})(\\.[0-9]{1,20})?$"
_GTD_MIN_MS = 600_000
_GTD_MAX_MS = 253402300799000
_UP = Decimal("1.05")
_DOWN = Decimal("0.95")


def not_required(name: str) -> ExchangeError:
    """-1106: a parameter sent when not required. Binance's futures API names the parameter
    in lower case (``'reduceonly'``, ``'stopprice'``, as observed), unlike spot."""
    return ExchangeError(-1106, f"Parameter '{name.lower()}' sent when not required.")


def post_only_rejected() -> ExchangeError:
    """-5022: a post-only (``GTX``) order that would take, refused and not kept (Binance's
    full text, as its 2023 change log shows it and live answers carry it)."""
    return ExchangeError(
        -5022,
        "Due to the order could not be executed as maker, the Post Only order will be "
        "rejected. The order will not be recorded in the order history",
    )


def fok_rejected() -> ExchangeError:
    """-5021: a ``FOK`` order that cannot fill completely, refused and not kept."""
    return ExchangeError(
        -5021,
        "Due to the order could not be filled immediately, the FOK order has been rejected. "
        "The order will not be recorded in the order history",
    )


def _decimal(params: Params, name: str) -> Decimal | None:
    text = params.text(name)
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise illegal(name, _DECIMAL_RANGE) from None
    if not value.is_finite():
        raise illegal(name, _DECIMAL_RANGE)
    return value


def _bool(params: Params, name: str) -> bool:
    text = params.text(name)
    if text is None:
        return False
    if text.lower() not in ("true", "false"):
        raise illegal(name, "true, false")
    return text.lower() == "true"


@dataclass(frozen=True)
class NewFuturesOrder:
    """A new order's parameters after reading (prices and quantities exact)."""

    symbol: str
    side: str
    order_type: str  # LIMIT or MARKET
    quantity: Decimal
    price: Decimal | None
    time_in_force: str
    position_side: str | None  # None: not sent
    reduce_only: bool
    reduce_only_sent: bool
    client_order_id: str | None
    resp_type: str
    price_match: str
    stp: str
    good_till: int


def read_new_order(params: Params, now: int) -> NewFuturesOrder:
    """Read a new order's parameters (module docstring).

    Raises:
        ExchangeError: Binance's parameter errors (-1102, -1106, -1115, -1116, -1117, -1136,
            -4015, -4120, -5037, -5038, -5039, -5040).
    """
    symbol = params.symbol()
    side = params.text("side", required=True)
    if side not in ("BUY", "SELL"):
        raise ExchangeError(-1117, "Invalid side.")
    order_type = str(params.text("type", required=True)).upper()
    if order_type in CONDITIONAL_TYPES:
        raise ExchangeError(
            -4120,
            "Order type not supported for this endpoint. Please use the Algo Order API "
            "endpoints instead.",
        )
    if order_type not in ("LIMIT", "MARKET"):
        raise ExchangeError(-1116, "Invalid orderType.")
    quantity = _decimal(params, "quantity")
    if quantity is None:
        if _bool(params, "closePosition"):
            raise ExchangeError(
                -4136, "Target strategy invalid for orderType MARKET,closePosition true"
            )
        raise mandatory("quantity")
    if params.has("stopPrice"):
        raise not_required("stopPrice")
    price = _decimal(params, "price")
    price_match = str(params.text("priceMatch") or "NONE").upper()
    if price_match not in PRICE_MATCHES:
        raise ExchangeError(-5037, "Invalid price match")
    tif = params.text("timeInForce")
    if order_type == "MARKET":
        if price_match != "NONE":
            raise ExchangeError(
                -5038, "Price match only supports order type: LIMIT, STOP AND TAKE_PROFIT"
            )
        if price is not None:
            raise not_required("price")
        tif = "GTC"
    else:
        if tif is None:
            raise mandatory("timeInForce")
        if price is None and price_match == "NONE":
            raise mandatory("price")
        if price is not None and price_match != "NONE":
            raise not_required("price")
    if tif not in _TIFS:
        raise ExchangeError(-1115, "Invalid timeInForce.")
    good_till = params.integer("goodTillDate", default=0) or 0
    if tif == "GTD":
        if not good_till:
            raise mandatory("goodTillDate")
        if good_till <= now + _GTD_MIN_MS or good_till >= _GTD_MAX_MS:
            raise ExchangeError(
                -5040,
                "The goodTillDate timestamp must be greater than the current time plus 600 "
                "seconds and smaller than 253402300799000 (UTC 9999-12-31 23:59:59)",
            )
        good_till = good_till // 1000 * 1000
    elif params.has("goodTillDate"):
        good_till = 0
    client_id = params.text("newClientOrderId")
    if client_id is not None and not _CLIENT_ID.match(client_id):
        raise ExchangeError(-4015, "Client order id is not valid.")
    resp = str(params.text("newOrderRespType") or "ACK").upper()
    if resp not in ("ACK", "RESULT"):
        raise ExchangeError(-1136, "Invalid newOrderRespType.")
    stp = str(params.text("selfTradePreventionMode") or "NONE").upper()
    if stp not in STP_MODES:
        raise ExchangeError(-5039, "Invalid self trade prevention mode")
    position_side = params.text("positionSide")
    return NewFuturesOrder(
        symbol,
        side,
        order_type,
        quantity,
        price,
        tif,
        None if position_side is None else position_side.upper(),
        _bool(params, "reduceOnly"),
        params.has("reduceOnly"),
        client_id,
        resp,
        price_match,
        stp,
        good_till,
    )


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def check_filters(
    m: Market,
    o: NewFuturesOrder,
    price: Decimal | None,
    mark: Decimal,
    opposite: Decimal | None,
    reduce_only: bool,
) -> None:
    """Apply PRICE_FILTER, LOT_SIZE / MARKET_LOT_SIZE, PERCENT_PRICE and MIN_NOTIONAL.

    Args:
        price: the order's limit price (after ``priceMatch``); None for MARKET.
        mark: the symbol's mark price.
        opposite: the best opposite price on the book (None when that side is empty).
        reduce_only: the order only reduces a position (MIN_NOTIONAL does not apply).
    """
    if price is not None:
        if price <= 0:
            raise ExchangeError(-4001, "Price less than 0.")
        if price < m.min_price:
            raise ExchangeError(-4013, "Price less than min price.")
        if price > m.max_price:
            raise ExchangeError(-4002, "Price greater than max price.")
        if (price - m.min_price) % m.tick_size:
            raise ExchangeError(-4014, "Price not increased by tick size.")
    q = o.quantity
    if q <= 0:
        raise ExchangeError(-4003, "Quantity less than zero.")
    if _places(q) > m.base_precision:
        raise ExchangeError(-1111, "Precision is over the maximum defined for this asset.")
    if q < m.min_qty:
        raise ExchangeError(-4004, "Quantity less than min quantity.")
    if q > (m.market_max_qty if o.order_type == "MARKET" else m.max_qty):
        raise ExchangeError(-4005, "Quantity greater than max quantity.")
    if (q - m.min_qty) % m.step_size:
        raise ExchangeError(-4023, "Qty not increased by step size.")
    if price is not None:
        if price > mark * _UP:
            raise ExchangeError(-4016, "Price is higher than mark price multiplier cap.")
        if price < mark * _DOWN:
            raise ExchangeError(-4024, "Price is lower than mark price multiplier floor.")
    elif opposite is not None and not (mark * _DOWN <= opposite <= mark * _UP):
        raise ExchangeError(
            -4131, "The counterparty's best price does not meet the PERCENT_PRICE filter limit"
        )
    if m.kind != "coinm" and not reduce_only and m.min_notional > 0:
        ref = price if price is not None else (opposite if opposite is not None else mark)
        if q * ref < m.min_notional:
            floor = f"{m.min_notional.normalize():f}"
            raise ExchangeError(
                -4164,
                f"Order's notional must be no smaller than {floor} (unless you choose reduce only)",
            )
