"""The futures private endpoints of ``/fapi`` and ``/dapi`` (and their ``ws-fapi`` methods).

One :class:`~mock_exchange.transports.private.PrivateEndpoint` row per endpoint, as in
:mod:`mock_exchange.private_routes` (which adds these to its table): account reads, settings,
orders and listen keys. COIN-M serves the ``/dapi/v1`` forms only.
"""

from __future__ import annotations

from .engine.markets import MarketKind
from .hosts import Service
from .transports import futures_account as fac
from .transports import futures_algo as falgo
from .transports import futures_config as fcfg
from .transports import futures_modify as fmod
from .transports import futures_orders as ford
from .transports.auth import ACCESS_API_KEY, ACCESS_FUTURES_TRADE, ACCESS_USER_DATA
from .transports.private import PrivateEndpoint

__all__ = ["FUTURES_ENDPOINTS", "FUTURES_SERVICE"]


def _futures_endpoints(api: str, v2: str, v3: str) -> tuple[PrivateEndpoint, ...]:
    """The futures account endpoints of one venue (``/fapi`` or ``/dapi``)."""
    read, trade, key = ACCESS_USER_DATA, ACCESS_FUTURES_TRADE, ACCESS_API_KEY
    return (
        PrivateEndpoint(fac.account_v2, read, ("GET", f"{v2}/account"), "account.status"),
        PrivateEndpoint(fac.account_v3, read, ("GET", f"{v3}/account"), "v2/account.status"),
        PrivateEndpoint(fac.balance, read, ("GET", f"{v2}/balance"), "account.balance"),
        PrivateEndpoint(fac.balance, read, ("GET", f"{v3}/balance"), "v2/account.balance"),
        PrivateEndpoint(
            fac.position_risk_v2, read, ("GET", f"{v2}/positionRisk"), "account.position"
        ),
        PrivateEndpoint(
            fac.position_risk_v3, read, ("GET", f"{v3}/positionRisk"), "v2/account.position"
        ),
        PrivateEndpoint(fac.leverage_bracket, read, ("GET", f"{api}/leverageBracket"), None),
        PrivateEndpoint(fac.commission_rate, read, ("GET", f"{api}/commissionRate"), None),
        PrivateEndpoint(fac.symbol_config, read, ("GET", f"{api}/symbolConfig"), None),
        PrivateEndpoint(fac.account_config, read, ("GET", f"{api}/accountConfig"), None),
        PrivateEndpoint(fac.position_side_dual, read, ("GET", f"{api}/positionSide/dual"), None),
        PrivateEndpoint(fac.income, read, ("GET", f"{api}/income"), None),
        PrivateEndpoint(fac.user_trades, read, ("GET", f"{api}/userTrades"), None),
        PrivateEndpoint(fac.force_orders, read, ("GET", f"{api}/forceOrders"), None),
        PrivateEndpoint(
            fac.position_margin_history, read, ("GET", f"{api}/positionMargin/history"), None
        ),
        PrivateEndpoint(ford.new_order, trade, ("POST", f"{api}/order"), "order.place", 1),
        PrivateEndpoint(ford.query_order, read, ("GET", f"{api}/order"), "order.status"),
        PrivateEndpoint(ford.cancel_order, trade, ("DELETE", f"{api}/order"), "order.cancel", 1),
        PrivateEndpoint(fmod.modify_order, trade, ("PUT", f"{api}/order"), "order.modify", 1),
        PrivateEndpoint(fmod.batch_modify, trade, ("PUT", f"{api}/batchOrders"), None, 5),
        PrivateEndpoint(fmod.order_amendments, read, ("GET", f"{api}/orderAmendment"), None),
        PrivateEndpoint(ford.open_order, read, ("GET", f"{api}/openOrder"), None),
        PrivateEndpoint(ford.open_orders, read, ("GET", f"{api}/openOrders"), None),
        PrivateEndpoint(ford.all_orders, read, ("GET", f"{api}/allOrders"), None),
        PrivateEndpoint(ford.cancel_all, trade, ("DELETE", f"{api}/allOpenOrders"), None),
        PrivateEndpoint(ford.batch_place, trade, ("POST", f"{api}/batchOrders"), None, 5),
        PrivateEndpoint(ford.batch_cancel, trade, ("DELETE", f"{api}/batchOrders"), None, 1),
        PrivateEndpoint(
            falgo.algo_place, trade, ("POST", f"{api}/algoOrder"), "algoOrder.place", 1
        ),
        PrivateEndpoint(
            falgo.algo_cancel, trade, ("DELETE", f"{api}/algoOrder"), "algoOrder.cancel", 1
        ),
        PrivateEndpoint(falgo.algo_query, read, ("GET", f"{api}/algoOrder"), None),
        PrivateEndpoint(falgo.open_algo_orders, read, ("GET", f"{api}/openAlgoOrders"), None),
        PrivateEndpoint(falgo.all_algo_orders, read, ("GET", f"{api}/allAlgoOrders"), None),
        PrivateEndpoint(falgo.algo_cancel_all, trade, ("DELETE", f"{api}/algoOpenOrders"), None),
        PrivateEndpoint(fcfg.change_leverage, trade, ("POST", f"{api}/leverage"), None),
        PrivateEndpoint(fcfg.change_margin_type, trade, ("POST", f"{api}/marginType"), None),
        PrivateEndpoint(
            fcfg.change_position_mode, trade, ("POST", f"{api}/positionSide/dual"), None
        ),
        PrivateEndpoint(fcfg.position_margin, trade, ("POST", f"{api}/positionMargin"), None),
        PrivateEndpoint(
            fcfg.countdown_cancel_all, trade, ("POST", f"{api}/countdownCancelAll"), None
        ),
        PrivateEndpoint(
            fcfg.listen_key_start, key, ("POST", f"{api}/listenKey"), "userDataStream.start"
        ),
        PrivateEndpoint(
            fcfg.listen_key_keepalive, key, ("PUT", f"{api}/listenKey"), "userDataStream.ping"
        ),
        PrivateEndpoint(
            fcfg.listen_key_close, key, ("DELETE", f"{api}/listenKey"), "userDataStream.stop"
        ),
    )


FUTURES_ENDPOINTS: dict[MarketKind, tuple[PrivateEndpoint, ...]] = {}
FUTURES_ENDPOINTS["usdm"] = (
    *_futures_endpoints("/fapi/v1", "/fapi/v2", "/fapi/v3"),
    # USD-M only: COIN-M has no test-order endpoint and no Multi-Assets mode
    PrivateEndpoint(
        ford.test_order, ACCESS_FUTURES_TRADE, ("POST", "/fapi/v1/order/test"), None, 1
    ),
    PrivateEndpoint(
        fcfg.multi_assets_mode, ACCESS_USER_DATA, ("GET", "/fapi/v1/multiAssetsMargin"), None
    ),
    PrivateEndpoint(
        fcfg.order_rate_limits, ACCESS_USER_DATA, ("GET", "/fapi/v1/rateLimit/order"), None
    ),
    PrivateEndpoint(
        fcfg.api_trading_status, ACCESS_USER_DATA, ("GET", "/fapi/v1/apiTradingStatus"), None
    ),
)
# COIN-M serves the v1 forms (``/dapi/v1/account``, ``/balance``, ``/positionRisk``) and the
# per-symbol ``/dapi/v2/leverageBracket``
FUTURES_ENDPOINTS["coinm"] = (
    *(
        ep
        for ep in _futures_endpoints("/dapi/v1", "/dapi/v1", "/dapi/v2")
        if ep.rest is not None and ep.rest[1].startswith("/dapi/v1/")
    ),
    PrivateEndpoint(
        fac.leverage_bracket_by_symbol,
        ACCESS_USER_DATA,
        ("GET", "/dapi/v2/leverageBracket"),
        None,
    ),
)
FUTURES_SERVICE: dict[MarketKind, Service] = {"usdm": "usdm-rest", "coinm": "coinm-rest"}
