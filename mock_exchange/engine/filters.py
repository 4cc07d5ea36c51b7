"""Order filters as a table: each check is a function, run in order, messages verbatim.

:data:`ORDER_FILTERS` runs in the order the emulator has always applied them: mandatory
parameters, the price (``Invalid price.``, ``PRICE_FILTER``), the quantity (``Invalid
quantity.``, ``MARKET_LOT_SIZE``, ``LOT_SIZE``), the notional (``NOTIONAL``), and the MARKET
amount (``quantity`` or ``quoteOrderQty``). The first failure is the error Binance returns;
adding a filter is adding a row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from ..errors import ExchangeError
from .markets import Market

__all__ = ["ORDER_FILTERS", "NewOrder", "check_order"]


@dataclass(frozen=True, slots=True)
class NewOrder:
    """What the filters look at in a new order."""

    market: Market
    order_type: str
    quantity: Decimal | None
    price: Decimal | None
    quote_qty: Decimal | None


def _missing(name: str) -> ExchangeError:
    return ExchangeError(
        -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def _mandatory(o: NewOrder) -> None:
    if o.order_type in ("LIMIT", "LIMIT_MAKER"):
        if o.price is None:
            raise _missing("price")
        if o.quantity is None:
            raise _missing("quantity")


def _positive_price(o: NewOrder) -> None:
    if o.price is not None and o.price <= 0:
        raise ExchangeError(-1013, "Invalid price.")


def _price_filter(o: NewOrder) -> None:
    m, p = o.market, o.price
    if p is not None and (p < m.min_price or p > m.max_price or (p - m.min_price) % m.tick_size):
        raise ExchangeError(-1013, "Filter failure: PRICE_FILTER")


def _positive_quantity(o: NewOrder) -> None:
    if o.quantity is not None and o.quantity <= 0:
        raise ExchangeError(-1013, "Invalid quantity.")


def _market_lot_size(o: NewOrder) -> None:
    if o.quantity is not None and o.order_type == "MARKET" and o.quantity > o.market.market_max_qty:
        raise ExchangeError(-1013, "Filter failure: MARKET_LOT_SIZE")


def _lot_size(o: NewOrder) -> None:
    m, q = o.market, o.quantity
    if q is not None and (q < m.min_qty or q > m.max_qty or (q - m.min_qty) % m.step_size):
        raise ExchangeError(-1013, "Filter failure: LOT_SIZE")


def _notional(o: NewOrder) -> None:
    if o.quantity is None or o.price is None:
        return
    notional = o.price * o.quantity
    if notional < o.market.min_notional or notional > o.market.max_notional:
        raise ExchangeError(-1013, "Filter failure: NOTIONAL")


def _market_amount(o: NewOrder) -> None:
    if o.order_type == "MARKET" and o.quantity is None and o.quote_qty is None:
        raise ExchangeError(
            -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"
        )


ORDER_FILTERS: tuple[tuple[str, Callable[[NewOrder], None]], ...] = (
    ("mandatory parameters", _mandatory),
    ("price", _positive_price),
    ("PRICE_FILTER", _price_filter),
    ("quantity", _positive_quantity),
    ("MARKET_LOT_SIZE", _market_lot_size),
    ("LOT_SIZE", _lot_size),
    ("NOTIONAL", _notional),
    ("MARKET amount", _market_amount),
)


def check_order(order: NewOrder) -> None:
    """Run every filter in order.

    Raises:
        ExchangeError: the first failure (-1102 a missing parameter, -1013 a filter).
    """
    for _name, check in ORDER_FILTERS:
        check(order)
