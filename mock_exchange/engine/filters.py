"""Order filters as a table: each check is a function, run in order, messages verbatim.

:data:`ORDER_FILTERS` runs in the order the emulator applies them: mandatory parameters, the
price (``Invalid price.``, ``PRICE_FILTER`` on ``price`` and ``stopPrice``,
``PERCENT_PRICE_BY_SIDE`` against the average price), the quantity (``Invalid quantity.``,
``MARKET_LOT_SIZE``, ``LOT_SIZE``), the notional (``NOTIONAL``; a MARKET order is valued at the
average price, or by its ``quoteOrderQty``), and the MARKET amount (``quantity`` or
``quoteOrderQty``). The first failure is the error Binance returns; adding a filter is adding a
row. :func:`check_account_limits` applies the per-account filters (``MAX_NUM_ORDERS``,
``MAX_NUM_ALGO_ORDERS``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ..errors import ExchangeError
from .markets import Market

__all__ = ["ORDER_FILTERS", "NewOrder", "check_account_limits", "check_order", "mandatory"]

_STOPS = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})
# PERCENT_PRICE_BY_SIDE as exchangeInfo publishes it (bid and ask bounds alike)
_MULTIPLIER_UP, _MULTIPLIER_DOWN = Decimal(5), Decimal("0.2")


@dataclass(frozen=True, slots=True)
class NewOrder:
    """What the filters look at in a new order."""

    market: Market
    order_type: str  # how it works: LIMIT, LIMIT_MAKER or MARKET (a stop's working type)
    quantity: Decimal | None
    price: Decimal | None
    quote_qty: Decimal | None
    stop_price: Decimal | None = None
    side: str = "BUY"
    # the average price PERCENT_PRICE_BY_SIDE and a MARKET NOTIONAL use (None: not checked)
    avg_price: Decimal | None = None


def mandatory(name: str) -> ExchangeError:
    """Return -1102 for a missing mandatory parameter."""
    return _missing(name)


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
    m = o.market
    for p in (o.price, o.stop_price):
        if p is None:
            continue
        if p <= 0:
            raise ExchangeError(-1013, "Invalid price.")
        if p < m.min_price or p > m.max_price or (p - m.min_price) % m.tick_size:
            raise ExchangeError(-1013, "Filter failure: PRICE_FILTER")


def _percent_price_by_side(o: NewOrder) -> None:
    if o.price is None or o.avg_price is None or o.order_type == "MARKET":
        return
    if not o.avg_price * _MULTIPLIER_DOWN <= o.price <= o.avg_price * _MULTIPLIER_UP:
        raise ExchangeError(-1013, "Filter failure: PERCENT_PRICE_BY_SIDE")


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
    m = o.market
    if o.order_type == "MARKET":
        # applyMinToMarket: true, applyMaxToMarket: false (as exchangeInfo says)
        if o.quote_qty is not None:
            notional = o.quote_qty
        elif o.quantity is not None and o.avg_price is not None:
            notional = o.quantity * o.avg_price
        else:
            return
        if notional < m.min_notional:
            raise ExchangeError(-1013, "Filter failure: NOTIONAL")
        return
    if o.quantity is None or o.price is None:
        return
    notional = o.price * o.quantity
    if notional < m.min_notional or notional > m.max_notional:
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
    ("PERCENT_PRICE_BY_SIDE", _percent_price_by_side),
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


def check_account_limits(market: Market, order_type: str, open_orders: Sequence[object]) -> None:
    """Apply the per-account filters to a new order given the account's open orders.

    Raises:
        ExchangeError: -1013 ``Filter failure: MAX_NUM_ORDERS`` / ``MAX_NUM_ALGO_ORDERS``.
    """
    if len(open_orders) >= market.max_num_orders:
        raise ExchangeError(-1013, "Filter failure: MAX_NUM_ORDERS")
    if order_type in _STOPS:
        stops = sum(1 for o in open_orders if getattr(o, "order_type", None) in _STOPS)
        if stops >= market.max_num_algo_orders:
            raise ExchangeError(-1013, "Filter failure: MAX_NUM_ALGO_ORDERS")
