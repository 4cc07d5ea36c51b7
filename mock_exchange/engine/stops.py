"""Stop orders waiting for their trigger, and Binance's trigger rules.

``STOP_LOSS``/``STOP_LOSS_LIMIT`` and ``TAKE_PROFIT``/``TAKE_PROFIT_LIMIT`` orders are not on the
book until the last trade price reaches their ``stopPrice`` (reference 9.1): a SELL stop-loss
triggers when ``last <= stopPrice``, a SELL take-profit when ``last >= stopPrice``, a BUY
stop-loss when ``last >= stopPrice``, a BUY take-profit when ``last <= stopPrice``. An order whose
condition already holds at placement is refused (``Order would trigger immediately.``).
Triggered orders then work as MARKET (``STOP_LOSS``, ``TAKE_PROFIT``) or LIMIT (the ``_LIMIT``
types) orders, in placement order.
"""

from __future__ import annotations

from decimal import Decimal

from .orders import OrderRecord

__all__ = ["STOP_TYPES", "StopBook", "is_limit_type", "triggers", "working_type"]

STOP_TYPES = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})


def triggers(order_type: str, side: str, stop: Decimal, last: Decimal) -> bool:
    """Return True when a stop order of ``order_type``/``side`` triggers at ``last``."""
    loss = order_type.startswith("STOP_LOSS")
    if side == "SELL":
        return last <= stop if loss else last >= stop
    return last >= stop if loss else last <= stop


def working_type(order_type: str) -> str:
    """Return how an order works once triggered: ``MARKET``, ``LIMIT`` or itself."""
    if order_type in ("STOP_LOSS", "TAKE_PROFIT"):
        return "MARKET"
    if order_type in ("STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"):
        return "LIMIT"
    return order_type


def is_limit_type(order_type: str) -> bool:
    """True for the types that carry a limit price."""
    return working_type(order_type) in ("LIMIT", "LIMIT_MAKER")


class StopBook:
    """The untriggered stop orders of one symbol, in placement order."""

    def __init__(self) -> None:
        self._orders: dict[int, OrderRecord] = {}

    def __len__(self) -> int:
        return len(self._orders)

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._orders

    def add(self, record: OrderRecord) -> None:
        """Wait for ``record``'s trigger."""
        self._orders[record.order_id] = record

    def remove(self, order_id: int) -> OrderRecord | None:
        """Stop waiting for ``order_id``; return its record, or None."""
        return self._orders.pop(order_id, None)

    def triggered(self, last: Decimal) -> list[OrderRecord]:
        """Take out and return the orders that trigger at ``last``, oldest first."""
        out = []
        for order_id, record in list(self._orders.items()):
            assert record.stop_price is not None
            if triggers(record.order_type, record.side, record.stop_price, last):
                out.append(record)
                del self._orders[order_id]
        return out
