"""Orders over the WebSocket API: reads and mutations, signed (or on a logged-on session).

Spot (``/ws-api/v3``) has every method; Binance's futures WebSocket APIs (``/ws-fapi/v1``,
``/ws-dapi/v1``) have ``order.place``, ``order.modify``, ``order.cancel``, ``order.status`` and
the account reads only, so the spot-only methods raise ``NotSupported`` on futures symbols
rather than pretend. Requests share the connection's session: an Ed25519 key logs on once and
after every reconnect; a request in flight when the socket drops fails with
:class:`~client.errors.RequestInterrupted` (``may_have_reached``), and an order's
``client_order_id`` is on the error so it can be looked up before it is sent again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ArgumentsRequired, BadRequest, NotSupported
from ..options import exchange_params
from ..protocol.numbers import dec
from ..protocol.order_request import amount_text, price_text
from ..protocol.orders import parse_my_trade, parse_order, since_limit
from ..types import Market, Order, Trade
from ..venues import Venue
from .trading import TradingMethods, parse_orders, placed, tagged, with_status

__all__ = ["WsTradingMethods"]

_SPOT_ONLY = "is offered by Binance's spot WebSocket API only"


class WsTradingMethods(TradingMethods):
    """``*_ws`` order methods: ``order.place``, ``order.cancelReplace``,
    ``order.amend.keepPriority``, ``order.modify``, ``order.cancel``,
    ``openOrders.cancelAll``, ``order.status``, ``openOrders.status``, ``allOrders``,
    ``myTrades``."""

    async def _ws_market(
        self, symbol: str | None, params: Mapping[str, Any] | None, what: str, *, spot_only: bool
    ) -> tuple[Market, Venue, dict[str, Any]]:
        m, v, opts = await self._symbol_venue(symbol, params, what)
        if v.name == "margin":
            raise NotSupported(f"{what}: Binance's WebSocket API has no margin orders")
        if spot_only and v.name != "spot":
            raise NotSupported(f"{what} {_SPOT_ONLY} (not {v.label})")
        return m, v, opts

    # -- mutations -------------------------------------------------------------------------

    async def create_order_ws(
        self,
        symbol: str,
        type: str,
        side: str,
        amount: Any = None,
        price: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> Order:
        """Place an order over the WebSocket API (``order.place``; ``test: True`` ->
        ``order.test``; USD-M conditionals -> ``algoOrder.place``). Arguments as
        :meth:`create_order`.

        Raises:
            InvalidOrder and subclasses, InsufficientFunds, ...: Binance refused it.
            RequestInterrupted, RequestTimeout: the outcome is unknown (``may_have_reached``
                says whether the frame left); ``err.client_order_id`` names the order.
        """
        m, v, opts = await self._ws_market(symbol, params, "create_order_ws", spot_only=False)
        req = self._order_request(m, v, type, side, amount, price, params)
        method = {"order": "order.place", "test": "order.test", "algo": "algoOrder.place"}
        return await placed(m, req, self._signed_ws(v, method[req.endpoint], req.params, opts))

    async def edit_order_ws(
        self,
        id: str,
        symbol: str,
        type: str,
        side: str,
        amount: Any = None,
        price: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> Order:
        """Change an open order over the WebSocket API.

        * Spot, when only the quantity shrinks (same type, side and price; the order is
          looked up with ``order.status``): ``order.amend.keepPriority``, which keeps the
          order id and its place in the queue.
        * Spot otherwise: ``order.cancelReplace`` (``STOP_ON_FAILURE``: if the cancel fails,
          no new order is placed; a cancel of an unknown order raises ``OrderNotFound``).
          ``params={"keepPriority": False}`` always cancel-replaces.
        * Futures: ``order.modify`` (``orderId``, ``side``, ``quantity``, ``price``).

        Returns:
            The order as it is now (the new order after a cancel-replace).
        """
        m, v, opts = await self._ws_market(symbol, params, "edit_order_ws", spot_only=False)
        extra = exchange_params(params)
        keep = extra.pop("keepPriority", True)
        if v.name != "spot":
            if price is None or amount is None:
                raise ArgumentsRequired("edit_order_ws on futures needs an amount and a price")
            req = {
                "symbol": m["id"],
                "side": side.upper(),
                "orderId": id,
                "quantity": amount_text(m, amount),
                "price": price_text(m, price),
                **extra,
            }
            return parse_order(await self._signed_ws(v, "order.modify", req, opts), m)
        if keep and amount is not None and type.lower() in ("limit", "limit_maker"):
            current = await self.fetch_order_ws(id, symbol, params)
            if self._only_shrinks(current, m, type, side, amount, price):
                return await self._amend(m, v, id, amount, extra, opts)
        return await self._cancel_replace(m, v, id, type, side, amount, price, params, opts)

    @staticmethod
    def _only_shrinks(
        current: Order, m: Market, type_: str, side: str, amount: Any, price: Any
    ) -> bool:
        """True when the edit keeps the order's type, side and price and lowers its quantity
        (while staying above what has filled)."""
        info = current["info"]
        new_qty = dec(amount_text(m, amount))
        if current["status"] != "open" or new_qty is None:
            return False
        same_type = str(info.get("type", "")).upper() == type_.upper() or (
            type_.lower() == "limit" and info.get("type") == "LIMIT"
        )
        same_price = price is None or dec(price_text(m, price)) == dec(info.get("price"))
        orig, done = dec(info.get("origQty")), dec(info.get("executedQty")) or 0
        return (
            same_type
            and same_price
            and str(info.get("side", "")).upper() == side.upper()
            and orig is not None
            and done < new_qty < orig
        )

    async def _amend(
        self,
        m: Market,
        v: Venue,
        id: str,
        amount: Any,
        extra: dict[str, Any],
        opts: Mapping[str, Any],
    ) -> Order:
        req = {"symbol": m["id"], "orderId": id, "newQty": amount_text(m, amount), **extra}
        raw = await self._signed_ws(v, "order.amend.keepPriority", req, opts)
        return parse_order(raw, m)

    async def _cancel_replace(
        self,
        m: Market,
        v: Venue,
        id: str,
        type_: str,
        side: str,
        amount: Any,
        price: Any,
        params: Mapping[str, Any] | None,
        opts: Mapping[str, Any],
    ) -> Order:
        own = {k: val for k, val in (params or {}).items() if k != "keepPriority"}
        new = self._order_request(m, v, type_, side, amount, price, own)
        req = {
            **new.params,
            "cancelReplaceMode": own.get("cancelReplaceMode", "STOP_ON_FAILURE"),
            "cancelOrderId": id,
        }
        raw = await tagged(
            new.client_order_id, self._signed_ws(v, "order.cancelReplace", req, opts)
        )
        return parse_order(raw, m)

    async def cancel_order_ws(
        self,
        id: str,
        symbol: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Order:
        """Cancel an order over the WebSocket API (``order.cancel``; USD-M conditional orders
        with ``trigger: True`` -> ``algoOrder.cancel``), by ``id`` or ``clientOrderId``."""
        m, v, opts = await self._ws_market(symbol, params, "cancel_order_ws", spot_only=False)
        ref = self._order_ref(id, params)
        if ref.pop("trigger", False) and v.name == "future":
            algo = {"symbol": m["id"], **ref}
            if "orderId" in algo:
                algo["algoId"] = algo.pop("orderId")
            if "origClientOrderId" in algo:
                algo["clientAlgoId"] = algo.pop("origClientOrderId")
            return parse_order(await self._signed_ws(v, "algoOrder.cancel", algo, opts), m)
        raw = await self._signed_ws(v, "order.cancel", {"symbol": m["id"], **ref}, opts)
        return parse_order(raw, m)

    async def cancel_all_orders_ws(
        self, symbol: str | None = None, params: Mapping[str, Any] | None = None
    ) -> list[Order]:
        """Cancel every open order of a spot symbol (``openOrders.cancelAll``).

        Raises:
            ArgumentsRequired: no symbol. NotSupported: a futures symbol.
        """
        m, v, opts = await self._ws_market(symbol, params, "cancel_all_orders_ws", spot_only=True)
        req = {"symbol": m["id"], **exchange_params(params)}
        return parse_orders(await self._signed_ws(v, "openOrders.cancelAll", req, opts), m)

    # -- reads -----------------------------------------------------------------------------

    async def fetch_order_ws(
        self,
        id: str,
        symbol: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Order:
        """Return one order over the WebSocket API (``order.status``) by ``id`` or
        ``clientOrderId``."""
        m, v, opts = await self._ws_market(symbol, params, "fetch_order_ws", spot_only=False)
        raw = await self._signed_ws(
            v, "order.status", {"symbol": m["id"], **self._order_ref(id, params)}, opts
        )
        return parse_order(raw, m)

    async def fetch_orders_ws(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[Order]:
        """Return a spot symbol's orders over the WebSocket API (``allOrders``)."""
        m, v, opts = await self._ws_market(symbol, params, "fetch_orders_ws", spot_only=True)
        req = self._history_params(m, since, limit, params)
        raw = await self._signed_ws(v, "allOrders", req, opts)
        return since_limit([parse_order(r, m) for r in raw], since, limit)

    async def fetch_closed_orders_ws(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[Order]:
        """Return a spot symbol's filled orders over the WebSocket API (``allOrders``
        filtered; ``limit`` counts filled orders)."""
        every = await self.fetch_orders_ws(symbol, since, None, params)
        return with_status(every, "closed", since, limit)

    async def fetch_open_orders_ws(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[Order]:
        """Return the open spot orders of a symbol, or of every symbol (``openOrders.status``).

        Raises:
            NotSupported: a futures symbol or type.
        """
        m, v, opts, req = await self._open_orders_request(symbol, params)
        if v.name != "spot":
            raise NotSupported(f"fetch_open_orders_ws {_SPOT_ONLY} (not {v.label})")
        raw = await self._signed_ws(v, "openOrders.status", req, opts)
        return since_limit([parse_order(r, m, self._lookup("spot")) for r in raw], since, limit)

    async def fetch_my_trades_ws(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[Trade]:
        """Return the account's trades of a spot symbol over the WebSocket API (``myTrades``).

        Raises:
            BadRequest: both ``since`` and ``fromId`` (Binance takes one).
        """
        m, v, opts = await self._ws_market(symbol, params, "fetch_my_trades_ws", spot_only=True)
        req = self._history_params(m, since, limit, params)
        if since is not None and "fromId" in req:
            raise BadRequest("fetch_my_trades_ws takes since or fromId, not both")
        raw = await self._signed_ws(v, "myTrades", req, opts)
        return since_limit([parse_my_trade(r, m) for r in raw], since, limit)
