"""The engine-side filter table of the futures venues.

A futures order reaches the matching engine after its venue's transport applied the futures
filters (futures codes and messages, PERCENT_PRICE against the mark, MIN_NOTIONAL waived for
reduce-only orders: :mod:`mock_exchange.transports.futures_order_params`). The engine then
runs only the structural checks of the shared table: the spot ``NOTIONAL`` and
``PERCENT_PRICE_BY_SIDE`` rows would refuse a small reduce-only order Binance accepts.
"""

from __future__ import annotations

from ..filters import ORDER_FILTERS, NewOrder

__all__ = ["futures_engine_check"]

_SPOT_ONLY = frozenset({"NOTIONAL", "PERCENT_PRICE_BY_SIDE"})


def futures_engine_check(order: NewOrder) -> None:
    """Run the shared filter table without its spot-only rows."""
    for name, check in ORDER_FILTERS:
        if name not in _SPOT_ONLY:
            check(order)
