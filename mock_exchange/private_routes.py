"""The private endpoints: one row per endpoint, naming its REST route and its WS API method.

Each :class:`~mock_exchange.transports.private.PrivateEndpoint` row is turned into a REST route
and a WS API method by :mod:`mock_exchange.routing`, so both faces of an endpoint run one
handler with one access rule, weight on refusal, and order counting. Order lists (OCO, OTO,
OTOCO, OPO, OPOCO) are refused explicitly with ``-1020``: the emulator does not serve them and
never pretends to.
"""

from __future__ import annotations

from typing import Any

from .engine.markets import MarketKind
from .errors import ExchangeError
from .futures_routes import FUTURES_ENDPOINTS, FUTURES_SERVICE
from .hosts import Service
from .transports import account as acct
from .transports import convert as conv
from .transports import margin as mrg
from .transports import order_lists as lists
from .transports import orders_read as reads
from .transports import sapi_account as sapi
from .transports import trading as trade
from .transports import transfers as moves
from .transports.auth import ACCESS_API_KEY, ACCESS_TRADE, ACCESS_USER_DATA, Access, Security
from .transports.cancel_replace import cancel_replace
from .transports.private import PrivateCall, PrivateEndpoint, PrivateHandler
from .transports.wallet import capital_config

__all__ = ["PRIVATE_ENDPOINTS", "PRIVATE_SERVICE", "order_lists_refused"]


def order_lists_refused(call: PrivateCall) -> tuple[Any, int]:
    """OTO/OTOCO/OPO/OPOCO order lists (``/api/v3/orderList/*``, ``orderList.place.*``):
    refused with -1020 (OCO is served)."""
    raise ExchangeError(
        -1020,
        "This operation is not supported. (mock_exchange: order lists other than OCO "
        "(OTO/OTOCO/OPO/OPOCO) are not implemented by the emulator)",
    )


def _ep(
    handler: PrivateHandler,
    access: Access,
    rest: tuple[str, str] | None,
    ws: str | None,
    error_weight: int = 0,
    counts_orders: bool = False,
) -> PrivateEndpoint:
    return PrivateEndpoint(handler, access, rest, ws, error_weight, counts_orders)


_T, _U = ACCESS_TRADE, ACCESS_USER_DATA
_LISTS_REFUSED: tuple[tuple[tuple[str, str] | None, str | None], ...] = (
    (("POST", "/api/v3/orderList/oto"), "orderList.place.oto"),
    (("POST", "/api/v3/orderList/otoco"), "orderList.place.otoco"),
    (("POST", "/api/v3/orderList/opo"), "orderList.place.opo"),
    (("POST", "/api/v3/orderList/opoco"), "orderList.place.opoco"),
)

# /sapi/v1 (served on the spot REST hosts; weights on the SAPI IP limiter). A key without the
# permission is refused with -1002 there; margin endpoints that act need "margin".
_MARGIN = Access(Security.USER_STREAM, "margin", denial=-1002)
_CONVERT = Access(Security.TRADE, "spot", denial=-1002)
_SAPI: tuple[tuple[str, str, PrivateHandler, Access], ...] = (
    ("GET", "/sapi/v1/capital/config/getall", capital_config, _U),
    ("GET", "/sapi/v1/margin/allPairs", mrg.margin_all_pairs, ACCESS_API_KEY),
    ("GET", "/sapi/v1/margin/isolated/allPairs", mrg.margin_isolated_all_pairs, _U),
    ("GET", "/sapi/v1/margin/interestRateHistory", mrg.interest_rate_history, _U),
    ("GET", "/sapi/v1/margin/crossMarginData", mrg.cross_margin_data, _U),
    ("GET", "/sapi/v1/margin/isolatedMarginData", mrg.isolated_margin_data, _U),
    ("GET", "/sapi/v1/margin/next-hourly-interest-rate", mrg.next_hourly_interest_rate, _U),
    ("GET", "/sapi/v1/margin/forceLiquidationRec", mrg.force_liquidation_rec, _U),
    ("GET", "/sapi/v1/margin/account", mrg.margin_account, _U),
    ("GET", "/sapi/v1/margin/isolated/account", mrg.isolated_margin_account, _U),
    ("GET", "/sapi/v1/margin/interestHistory", mrg.interest_history, _U),
    ("POST", "/sapi/v1/asset/get-funding-asset", mrg.funding_assets, _U),
    ("POST", "/sapi/v1/userListenToken", mrg.user_listen_token, _MARGIN),
    ("GET", "/sapi/v1/convert/exchangeInfo", conv.convert_exchange_info, ACCESS_API_KEY),
    ("GET", "/sapi/v1/convert/assetInfo", conv.asset_info, _U),
    ("POST", "/sapi/v1/convert/getQuote", conv.get_quote, _U),
    ("POST", "/sapi/v1/convert/acceptQuote", conv.accept_quote, _CONVERT),
    ("GET", "/sapi/v1/convert/orderStatus", conv.order_status, _U),
    ("GET", "/sapi/v1/convert/tradeFlow", conv.trade_flow, _U),
    ("GET", "/sapi/v1/asset/tradeFee", sapi.trade_fee, _U),
    ("GET", "/sapi/v1/account/apiRestrictions", sapi.api_restrictions, _U),
    ("GET", "/sapi/v1/account/status", sapi.account_status, _U),
    ("GET", "/sapi/v1/account/apiTradingStatus", sapi.account_api_trading_status, _U),
    ("POST", "/sapi/v1/asset/transfer", moves.universal_transfer, _U),
    ("GET", "/sapi/v1/asset/transfer", moves.transfer_history, _U),
    ("GET", "/sapi/v1/capital/deposit/hisrec", moves.deposit_history, _U),
    ("GET", "/sapi/v1/capital/withdraw/history", moves.withdraw_history, _U),
)

# Private endpoints per venue.
PRIVATE_ENDPOINTS: dict[MarketKind, tuple[PrivateEndpoint, ...]] = {
    "spot": (
        _ep(acct.account_status, _U, ("GET", "/api/v3/account"), "account.status", 20),
        _ep(
            acct.account_commission,
            _U,
            ("GET", "/api/v3/account/commission"),
            "account.commission",
            20,
        ),
        _ep(
            acct.rate_limit_order,
            _U,
            ("GET", "/api/v3/rateLimit/order"),
            "account.rateLimits.orders",
            40,
        ),
        _ep(trade.order_place, _T, ("POST", "/api/v3/order"), "order.place", 1, True),
        _ep(trade.order_test, _T, ("POST", "/api/v3/order/test"), "order.test", 1),
        _ep(trade.cancel_order, _T, ("DELETE", "/api/v3/order"), "order.cancel", 1),
        _ep(lists.cancel_all, _T, ("DELETE", "/api/v3/openOrders"), "openOrders.cancelAll", 1),
        _ep(
            cancel_replace,
            _T,
            ("POST", "/api/v3/order/cancelReplace"),
            "order.cancelReplace",
            1,
            True,
        ),
        _ep(
            trade.amend_keep_priority,
            _T,
            ("PUT", "/api/v3/order/amend/keepPriority"),
            "order.amend.keepPriority",
            4,
        ),
        _ep(reads.order_status, _U, ("GET", "/api/v3/order"), "order.status", 4),
        _ep(reads.open_orders, _U, ("GET", "/api/v3/openOrders"), "openOrders.status", 6),
        _ep(reads.all_orders, _U, ("GET", "/api/v3/allOrders"), "allOrders", 20),
        _ep(reads.my_trades, _U, ("GET", "/api/v3/myTrades"), "myTrades", 20),
        _ep(
            reads.my_prevented_matches,
            _U,
            ("GET", "/api/v3/myPreventedMatches"),
            "myPreventedMatches",
            2,
        ),
        _ep(lists.oco_place, _T, ("POST", "/api/v3/orderList/oco"), "orderList.place.oco", 1, True),
        _ep(lists.oco_place_legacy, _T, ("POST", "/api/v3/order/oco"), "orderList.place", 1, True),
        _ep(lists.cancel_order_list, _T, ("DELETE", "/api/v3/orderList"), "orderList.cancel", 1),
        _ep(lists.order_list_status, _U, ("GET", "/api/v3/orderList"), "orderList.status", 4),
        _ep(lists.all_order_lists, _U, ("GET", "/api/v3/allOrderList"), "allOrderLists", 20),
        _ep(
            lists.open_order_lists,
            _U,
            ("GET", "/api/v3/openOrderList"),
            "openOrderLists.status",
            6,
        ),
        *(_ep(order_lists_refused, _T, rest, ws, 1) for rest, ws in _LISTS_REFUSED),
        *(_ep(handler, access, (verb, path), None, 1) for verb, path, handler, access in _SAPI),
    ),
}
# the REST service serving each venue's private routes
PRIVATE_ENDPOINTS.update(FUTURES_ENDPOINTS)
PRIVATE_SERVICE: dict[MarketKind, Service] = {"spot": "spot-rest", **FUTURES_SERVICE}
