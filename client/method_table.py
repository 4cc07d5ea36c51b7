"""The client's method table: which public methods need credentials, and which change orders.

Tools that gate what a caller may do (the scenario runner's live gates, a bot's dry-run mode)
read this table instead of guessing from a method's name: ``watch_balance``,
``authenticate`` and ``keep_alive_listen_key`` need keys although no prefix says so, and
``fetch_convert_quote`` reads while ``create_convert_trade`` moves funds.

The table is built from the mixins :class:`~client.Binance` is composed of: every public
method defined by a private mixin (account, trading, margin and convert, WebSocket API
trading, user data) is ``private``; the order mutations among them are listed here by name,
and a test checks that every public method of ``Binance`` has a row and that the mutations
are private methods.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from functools import cache

from .exchange import Binance
from .methods import (
    AccountMethods,
    MarginMethods,
    TradingMethods,
    UserDataMethods,
    UserDataSessions,
    WsTradingMethods,
)

__all__ = ["MethodInfo", "method_info", "method_table"]

_PRIVATE_MIXINS: tuple[type, ...] = (
    AccountMethods,
    TradingMethods,
    MarginMethods,
    WsTradingMethods,
    UserDataSessions,
    UserDataMethods,
)

# what places, changes or cancels orders (or moves funds, as a conversion does)
_MUTATIONS = frozenset(
    {
        "create_order",
        "create_limit_buy_order",
        "create_limit_sell_order",
        "create_market_buy_order",
        "create_market_sell_order",
        "create_market_order_with_cost",
        "create_market_buy_order_with_cost",
        "create_market_sell_order_with_cost",
        "create_orders",
        "cancel_order",
        "cancel_all_orders",
        "create_convert_trade",
        "create_order_ws",
        "edit_order_ws",
        "cancel_order_ws",
        "cancel_all_orders_ws",
    }
)
# what cancels every open order of a symbol at once (a separate confirmation on live accounts)
_CANCEL_ALL = frozenset({"cancel_all_orders", "cancel_all_orders_ws"})


@dataclass(frozen=True)
class MethodInfo:
    """One public method of :class:`~client.Binance`.

    Attributes:
        name: the method name.
        private: it signs requests or opens user data: it needs an API key.
        mutates: it places, edits or cancels orders (or converts funds).
        cancels_all: it cancels every open order of a symbol.
    """

    name: str
    private: bool
    mutates: bool = False
    cancels_all: bool = False


def _public_names(cls: type) -> set[str]:
    return {
        name
        for name, value in vars(cls).items()
        if not name.startswith("_")
        and (inspect.isfunction(value) or inspect.iscoroutinefunction(value))
    }


@cache
def method_table() -> dict[str, MethodInfo]:
    """Return a row for every public method of :class:`~client.Binance`, by name."""
    private: set[str] = set()
    for mixin in _PRIVATE_MIXINS:
        private |= _public_names(mixin)
    table: dict[str, MethodInfo] = {}
    for name in sorted(dir(Binance)):
        if name.startswith("_") or not callable(getattr(Binance, name, None)):
            continue
        if isinstance(inspect.getattr_static(Binance, name), property | type):
            continue
        table[name] = MethodInfo(name, name in private, name in _MUTATIONS, name in _CANCEL_ALL)
    return table


def method_info(name: str) -> MethodInfo | None:
    """Return the row of public method ``name`` (None when ``Binance`` has no such method)."""
    return method_table().get(name)
