"""Orders over REST: create (one, many, by quote amount), cancel, and the order queries.

The venue comes from the symbol (``BTC/USDT`` spot, ``BTC/USDT:USDT`` USD-M, ``BTC/USD:BTC``
COIN-M), or from ``marginMode`` / ``type: margin`` for spot margin orders. Every order is sent
with a client order id (generated when ``clientOrderId`` is not given), so an order whose
answer was lost (a timeout, a dropped connection) can be looked up: the error carries it as
``client_order_id``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any

import orjson

from ..errors import ArgumentsRequired, BaseError, ExchangeError, NetworkError, NotSupported
from ..options import exchange_params
from ..protocol.order_request import OrderRequest, order_request
from ..protocol.orders import parse_my_trade, parse_order, rejected_order, since_limit
from ..types import Market, Order, Trade
from ..venues import VENUES, Venue
from .private import PrivateBase

__all__ = ["TradingMethods", "new_client_order_id"]

_ORDER = {
    "spot": "/api/v3/order",
    "margin": "/sapi/v1/margin/order",
    "future": "/fapi/v1/order",
    "delivery": "/dapi/v1/order",
}
_TEST = {"spot": "/api/v3/order/test", "future": "/fapi/v1/order/test"}
_ALGO = {"future": "/fapi/v1/algoOrder"}
_OPEN = {
    "spot": "/api/v3/openOrders",
    "margin": "/sapi/v1/margin/openOrders",
    "future": "/fapi/v1/openOrders",
    "delivery": "/dapi/v1/openOrders",
}
_ALL = {
    "spot": "/api/v3/allOrders",
    "margin": "/sapi/v1/margin/allOrders",
    "future": "/fapi/v1/allOrders",
    "delivery": "/dapi/v1/allOrders",
}
_TRADES = {
    "spot": "/api/v3/myTrades",
    "margin": "/sapi/v1/margin/myTrades",
    "future": "/fapi/v1/userTrades",
    "delivery": "/dapi/v1/userTrades",
}
_CANCEL_ALL = {
    "spot": "/api/v3/openOrders",
    "margin": "/sapi/v1/margin/openOrders",
    "future": "/fapi/v1/allOpenOrders",
    "delivery": "/dapi/v1/allOpenOrders",
}
_BATCH = {"future": "/fapi/v1/batchOrders", "delivery": "/dapi/v1/batchOrders"}
_BATCH_SIZE = 5  # Binance's futures batchOrders take at most 5 orders
_RESPONSE_TYPE = {"spot": "FULL", "margin": "FULL", "future": "RESULT", "delivery": "RESULT"}


def new_client_order_id() -> str:
    """A fresh client order id (32 hex digits: within Binance's 36-character alphabet)."""
    return os.urandom(16).hex()


def _path(table: Mapping[str, str], v: Venue, what: str) -> str:
    path = table.get(v.name)
    if path is None:
        raise NotSupported(f"{what} is not offered on binance {v.label}")
    return path


class TradingMethods(PrivateBase):
    """Create, cancel and query orders; the account's trades."""

    def _order_request(
        self,
        m: Market,
        v: Venue,
        type_: str,
        side: str,
        amount: Any,
        price: Any,
        params: Mapping[str, Any] | None,
    ) -> OrderRequest:
        """The Binance request of a unified order on venue ``v`` (shared with the WS API)."""
        return order_request(
            m,
            type_,
            side,
            amount,
            price,
            exchange_params(params) | _unified(params),
            client_order_id=new_client_order_id(),
            margin=v.name == "margin",
            response_type=_RESPONSE_TYPE.get(v.name),
        )

    async def create_order(
        self,
        symbol: str,
        type: str,
        side: str,
        amount: Any = None,
        price: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> Order:
        """Place an order (``POST /api/v3/order``, ``/sapi/v1/margin/order``,
        ``/fapi/v1/order``, ``/dapi/v1/order``; USD-M conditional orders
        ``/fapi/v1/algoOrder``; ``test: True`` -> ``/order/test``).

        ``amount`` is the base quantity (contracts on futures); ``params`` may give CCXT's
        unified ``clientOrderId``, ``postOnly``, ``triggerPrice``, ``stopLossPrice``,
        ``takeProfitPrice``, ``reduceOnly``, ``cost`` (a market order by quote amount),
        ``marginMode``, ``timeInForce``, and any Binance parameter.

        Raises:
            InvalidOrder and subclasses, InsufficientFunds, ...: Binance refused it.
            NetworkError: the outcome is unknown; ``err.client_order_id`` names the order.
        """
        opts = self._opts(params)
        m = await self.market(symbol, opts)
        v = self._private_venue(opts, m)
        req = self._order_request(m, v, type, side, amount, price, params)
        return await self._place(m, v, req, opts)

    async def _place(
        self, m: Market, v: Venue, req: OrderRequest, opts: Mapping[str, Any]
    ) -> Order:
        table = {"order": _ORDER, "test": _TEST, "algo": _ALGO}[req.endpoint]
        path = _path(table, v, f"{req.endpoint} orders")
        return await placed(m, req, self._signed_rest("POST", v, path, req.params, opts))

    async def create_limit_buy_order(
        self, symbol: str, amount: Any, price: Any, params: Mapping[str, Any] | None = None
    ) -> Order:
        """Place a limit buy order (see :meth:`create_order`)."""
        return await self.create_order(symbol, "limit", "buy", amount, price, params)

    async def create_limit_sell_order(
        self, symbol: str, amount: Any, price: Any, params: Mapping[str, Any] | None = None
    ) -> Order:
        """Place a limit sell order (see :meth:`create_order`)."""
        return await self.create_order(symbol, "limit", "sell", amount, price, params)

    async def create_market_buy_order(
        self, symbol: str, amount: Any, params: Mapping[str, Any] | None = None
    ) -> Order:
        """Place a market buy order of ``amount`` base (``cost`` in params: by quote amount)."""
        return await self.create_order(symbol, "market", "buy", amount, None, params)

    async def create_market_sell_order(
        self, symbol: str, amount: Any, params: Mapping[str, Any] | None = None
    ) -> Order:
        """Place a market sell order of ``amount`` base."""
        return await self.create_order(symbol, "market", "sell", amount, None, params)

    async def create_market_order_with_cost(
        self, symbol: str, side: str, cost: Any, params: Mapping[str, Any] | None = None
    ) -> Order:
        """Place a spot market order spending (buy) or raising (sell) ``cost`` quote
        (``quoteOrderQty``)."""
        return await self.create_order(
            symbol, "market", side, None, None, {**(params or {}), "cost": cost}
        )

    async def create_market_buy_order_with_cost(
        self, symbol: str, cost: Any, params: Mapping[str, Any] | None = None
    ) -> Order:
        """Place a spot market buy spending ``cost`` quote (``quoteOrderQty``)."""
        return await self.create_market_order_with_cost(symbol, "buy", cost, params)

    async def create_market_sell_order_with_cost(
        self, symbol: str, cost: Any, params: Mapping[str, Any] | None = None
    ) -> Order:
        """Place a spot market sell raising ``cost`` quote (``quoteOrderQty``)."""
        return await self.create_market_order_with_cost(symbol, "sell", cost, params)

    # -- many orders -----------------------------------------------------------------------

    async def create_orders(
        self, orders: Sequence[Mapping[str, Any]], params: Mapping[str, Any] | None = None
    ) -> list[Order]:
        """Place several orders and return one result per input, in input order.

        Each input is ``{"symbol", "type", "side", "amount", "price"?, "params"?}``. Spot and
        margin orders (Binance has no spot batch endpoint) are placed concurrently; futures
        orders go in ``POST /fapi/v1/batchOrders`` / ``/dapi/v1/batchOrders`` of up to 5,
        concurrently. A refused order comes back as an order with ``status: "rejected"`` and
        the client error under ``error``; one whose fate is unknown (a timeout, a dropped
        connection) with ``status: None``, the error, and its ``clientOrderId`` to look it up.
        Nothing is left out.
        """
        opts = self._opts(params)
        results: list[Order | None] = [None] * len(orders)
        batches: dict[str, list[tuple[int, Market, OrderRequest]]] = {}
        singles: list[tuple[int, Market, Venue, OrderRequest]] = []
        for i, spec in enumerate(orders):
            try:
                own = {**(params or {}), **(spec.get("params") or {})}
                m = await self.market(str(spec["symbol"]), self._opts(own))
                v = self._private_venue(self._opts(own), m)
                req = self._order_request(
                    m, v, str(spec["type"]), str(spec["side"]), spec.get("amount"),
                    spec.get("price"), own,
                )  # fmt: skip
            except (BaseError, KeyError) as err:
                error = (
                    err if isinstance(err, BaseError) else ArgumentsRequired(f"order {i}: {err}")
                )
                results[i] = _rejected(spec, error, None)
                continue
            if v.name in _BATCH and req.endpoint == "order":
                batches.setdefault(v.name, []).append((i, m, req))
            else:
                singles.append((i, m, v, req))

        async def one(i: int, m: Market, v: Venue, req: OrderRequest) -> None:
            try:
                results[i] = await self._place(m, v, req, opts)
            except BaseError as err:
                results[i] = _rejected(orders[i], err, req.client_order_id)

        jobs = [one(*s) for s in singles]
        for name, items in batches.items():
            for k in range(0, len(items), _BATCH_SIZE):
                jobs.append(self._batch(name, items[k : k + _BATCH_SIZE], orders, results, opts))
        await asyncio.gather(*jobs)
        return [r for r in results if r is not None]

    async def _batch(
        self,
        venue_name: str,
        items: list[tuple[int, Market, OrderRequest]],
        orders: Sequence[Mapping[str, Any]],
        results: list[Order | None],
        opts: Mapping[str, Any],
    ) -> None:
        """One futures ``batchOrders`` request; each answer entry is an order or an error."""
        v = VENUES[venue_name]
        body = [{k: str(val) for k, val in req.params.items()} for _, _, req in items]
        try:
            raw = await self._signed_rest(
                "POST", v, _BATCH[venue_name], {"batchOrders": orjson.dumps(body).decode()}, opts
            )
        except BaseError as err:
            for i, _, req in items:
                results[i] = _rejected(orders[i], err, req.client_order_id)
            return
        for (i, m, req), entry in zip(items, raw, strict=False):
            order = parse_order(entry, m)
            if "error" in order:
                order = _rejected(orders[i], order["error"], req.client_order_id, entry)
            results[i] = order

    # -- cancel ----------------------------------------------------------------------------

    async def cancel_order(
        self,
        id: str,
        symbol: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Order:
        """Cancel an order (``DELETE /api/v3/order``, ``/sapi/v1/margin/order``,
        ``/fapi/v1/order``, ``/dapi/v1/order``) by ``id``, or by ``clientOrderId`` in params.

        Raises:
            ArgumentsRequired: no symbol. OrderNotFound: Binance does not know the order.
        """
        m, v, opts = await self._symbol_venue(symbol, params, "cancel_order")
        req = {"symbol": m["id"], **self._order_ref(id, params)}
        raw = await self._signed_rest("DELETE", v, _path(_ORDER, v, "cancel"), req, opts)
        return parse_order(raw, m)

    async def cancel_all_orders(
        self, symbol: str | None = None, params: Mapping[str, Any] | None = None
    ) -> list[Order]:
        """Cancel every open order of a symbol (``DELETE /api/v3/openOrders``,
        ``/fapi/v1/allOpenOrders``, ...)."""
        m, v, opts = await self._symbol_venue(symbol, params, "cancel_all_orders")
        req = {"symbol": m["id"], **exchange_params(params)}
        raw = await self._signed_rest("DELETE", v, _path(_CANCEL_ALL, v, "cancel all"), req, opts)
        return parse_orders(raw, m)

    # -- queries ---------------------------------------------------------------------------

    async def _symbol_venue(
        self, symbol: str | None, params: Mapping[str, Any] | None, what: str
    ) -> tuple[Market, Venue, dict[str, Any]]:
        if symbol is None:
            raise ArgumentsRequired(f"{what} requires a symbol")
        opts = self._opts(params)
        m = await self.market(symbol, opts)
        return m, self._private_venue(opts, m), opts

    @staticmethod
    def _order_ref(id: Any, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """``orderId``, or ``origClientOrderId`` when params name a client order id, plus the
        other Binance params."""
        extra = exchange_params(params)
        cid = extra.pop("clientOrderId", None) or extra.pop("origClientOrderId", None)
        extra.pop("newClientOrderId", None)
        ref: dict[str, Any] = {"origClientOrderId": cid} if cid else {"orderId": id}
        return {**ref, **extra}

    async def fetch_order(
        self,
        id: str,
        symbol: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Order:
        """Return one order (``GET /api/v3/order``, ``/sapi/v1/margin/order``,
        ``/fapi/v1/order``, ``/dapi/v1/order``) by ``id`` or ``clientOrderId``."""
        m, v, opts = await self._symbol_venue(symbol, params, "fetch_order")
        req = {"symbol": m["id"], **self._order_ref(id, params)}
        raw = await self._signed_rest("GET", v, _path(_ORDER, v, "fetch_order"), req, opts)
        return parse_order(raw, m)

    @staticmethod
    def _history_params(
        m: Market, since: int | None, limit: int | None, params: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """``symbol``, ``startTime`` = since, ``limit``, then the call's Binance params."""
        req: dict[str, Any] = {"symbol": m["id"]}
        if since is not None:
            req["startTime"] = since
        if limit is not None:
            req["limit"] = limit
        req.update(exchange_params(params))
        return req

    async def _history(
        self,
        table: Mapping[str, str],
        what: str,
        symbol: str | None,
        since: int | None,
        limit: int | None,
        params: Mapping[str, Any] | None,
    ) -> tuple[Market, list[Any]]:
        """``GET`` a symbol's history (``startTime`` = since, ``limit``) from ``table``."""
        m, v, opts = await self._symbol_venue(symbol, params, what)
        req = self._history_params(m, since, limit, params)
        raw = await self._signed_rest("GET", v, _path(table, v, what), req, opts)
        return m, raw if isinstance(raw, list) else []

    async def fetch_orders(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[Order]:
        """Return the orders of a symbol, open and done (``GET /api/v3/allOrders``,
        ``/sapi/v1/margin/allOrders``, ``/fapi/v1/allOrders``, ``/dapi/v1/allOrders``)."""
        m, rows = await self._history(_ALL, "fetch_orders", symbol, since, limit, params)
        return since_limit([parse_order(r, m) for r in rows], since, limit)

    async def fetch_open_orders(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[Order]:
        """Return the open orders of a symbol, or of every symbol of the ``type`` option's
        venue (``GET /api/v3/openOrders``, ``/fapi/v1/openOrders``, ...)."""
        m, v, opts, req = await self._open_orders_request(symbol, params)
        raw = await self._signed_rest("GET", v, _path(_OPEN, v, "fetch_open_orders"), req, opts)
        find = self._lookup("spot" if v.name == "margin" else v.name)
        return since_limit([parse_order(r, m, find) for r in raw], since, limit)

    async def _open_orders_request(
        self, symbol: str | None, params: Mapping[str, Any] | None
    ) -> tuple[Market | None, Venue, dict[str, Any], dict[str, Any]]:
        """(market or None, venue, options, request) of an open-orders read: one symbol's,
        or every symbol's of the ``type`` option's venue (shared with the WS API)."""
        opts = self._opts(params)
        m = await self.market(symbol, opts) if symbol is not None else None
        v = self._private_venue(opts, m)
        req: dict[str, Any] = {"symbol": m["id"]} if m is not None else {}
        req.update(exchange_params(params))
        return m, v, opts, req

    async def _done_orders(
        self,
        status: str,
        symbol: str | None,
        since: int | None,
        limit: int | None,
        params: Mapping[str, Any] | None,
    ) -> list[Order]:
        return with_status(
            await self.fetch_orders(symbol, since, None, params), status, since, limit
        )

    async def fetch_closed_orders(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[Order]:
        """Return the filled orders of a symbol (``allOrders`` filtered; ``limit`` counts
        filled orders)."""
        return await self._done_orders("closed", symbol, since, limit, params)

    async def fetch_canceled_orders(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[Order]:
        """Return the canceled orders of a symbol (``allOrders`` filtered)."""
        return await self._done_orders("canceled", symbol, since, limit, params)

    async def fetch_my_trades(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[Trade]:
        """Return the account's trades of a symbol (``GET /api/v3/myTrades``,
        ``/sapi/v1/margin/myTrades``, ``/fapi/v1/userTrades``, ``/dapi/v1/userTrades``)."""
        m, rows = await self._history(_TRADES, "fetch_my_trades", symbol, since, limit, params)
        return since_limit([parse_my_trade(r, m) for r in rows], since, limit)


async def tagged(client_order_id: str | None, answer: Awaitable[Any]) -> Any:
    """Await the answer to a new order; if it is lost (a ``NetworkError``), the error names
    the order's ``client_order_id`` so it can be looked up (shared with the WS API)."""
    try:
        return await answer
    except NetworkError as err:
        err.client_order_id = client_order_id
        raise


async def placed(m: Market, req: OrderRequest, answer: Awaitable[Any]) -> Order:
    """The order a placement answered (see :func:`tagged`); a test order's empty answer
    becomes the order as sent."""
    raw = await tagged(req.client_order_id, answer)
    if not raw:  # order/test and order.test answer {}
        raw = {"symbol": m["id"], "clientOrderId": req.client_order_id}
    return parse_order(raw, m)


def parse_orders(raw: Any, m: Market) -> list[Order]:
    """The orders of a list answer (a cancel-all); anything else is no orders."""
    rows = raw if isinstance(raw, list) else []
    return [parse_order(r, m) for r in rows if isinstance(r, dict)]


def with_status(
    orders: list[Order], status: str, since: int | None, limit: int | None
) -> list[Order]:
    """The orders in ``status`` (``closed``, ``canceled``), then ``since``/``limit``: the
    limit counts the kept orders."""
    return since_limit([o for o in orders if o["status"] == status], since, limit)


def _unified(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The unified order params that are also client options (``marginMode``, ``type``)."""
    out: dict[str, Any] = {}
    for key in ("marginMode", "margin_mode"):
        if params and key in params:
            out["marginMode"] = params[key]
    return out


def _rejected(
    spec: Mapping[str, Any],
    err: BaseError,
    client_order_id: str | None,
    info: dict[str, Any] | None = None,
) -> Order:
    """The result of an order that was refused (an ExchangeError), or whose fate is unknown
    (a network error: status None)."""
    return rejected_order(
        err,
        symbol=str(spec.get("symbol")) if spec.get("symbol") else None,
        type_=str(spec.get("type")) if spec.get("type") else None,
        side=str(spec.get("side")) if spec.get("side") else None,
        amount=spec.get("amount"),
        price=spec.get("price"),
        client_order_id=client_order_id,
        info=info,
        status="rejected" if isinstance(err, ExchangeError) else None,
    )
