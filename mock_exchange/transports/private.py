"""Private handlers written once for REST and the WS API.

A private handler takes a :class:`PrivateCall` (venue, exchange, parameters, time, the
authorised :class:`~mock_exchange.transports.auth.Principal`, and ``emit`` for the engine
events it causes) and returns ``(result, weight)``. :func:`rest` and :func:`ws` adapt it to each
transport, so ``POST /api/v3/order`` and ``order.place`` run the same code. One
:class:`PrivateEndpoint` row names both faces of an endpoint; the routing table builds the
REST route and the WS API method from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from ..engine.accounts import Account, Accounts
from ..engine.core import Engine
from ..engine.events import EngineEvent
from ..engine.exchange import Exchange
from ..engine.keys import ApiKey
from ..engine.markets import MarketKind
from .auth import Access, Principal
from .params import Params
from .rest import RestCall, RestHandler
from .ws_api import WsApiCall

__all__ = ["PrivateCall", "PrivateEndpoint", "PrivateHandler", "rest", "ws"]

Transport = Literal["rest", "ws"]


@dataclass(frozen=True)
class PrivateCall:
    """What a private handler sees."""

    venue: MarketKind
    exchange: Exchange
    params: Params
    now: int
    principal: Principal
    emit: Callable[[MarketKind, list[EngineEvent]], None]
    transport: Transport

    @property
    def account(self) -> Account:
        """The account the request acts for."""
        return self.principal.account

    @property
    def key(self) -> ApiKey:
        """The key the request was authorised with."""
        return self.principal.key

    @property
    def accounts(self) -> Accounts:
        """The account registry."""
        return self.exchange.accounts

    @property
    def engine(self) -> Engine:
        """The engine of the request's venue."""
        return self.exchange.engine(self.venue)


PrivateHandler = Callable[[PrivateCall], tuple[Any, int]]


def rest(handler: PrivateHandler) -> RestHandler:
    """Adapt a private handler to a REST route (the route's access is checked first)."""

    def handle(call: RestCall) -> tuple[Any, int]:
        assert call.principal is not None, "private routes need an access with a key"
        private = PrivateCall(
            call.venue,
            call.exchange,
            Params(call.params, strict_symbol=call.venue == "spot"),
            call.now,
            call.principal,
            call.emit,
            "rest",
        )
        return handler(private)

    handle.__doc__ = handler.__doc__
    return handle


def ws(handler: PrivateHandler) -> Callable[[WsApiCall], tuple[Any, int]]:
    """Adapt a private handler to a WS API method."""

    def handle(call: WsApiCall) -> tuple[Any, int]:
        assert call.principal is not None, "private methods need an access with a key"
        private = PrivateCall(
            call.venue,
            call.exchange,
            call.params,
            call.now,
            call.principal,
            call.session.emit,
            "ws",
        )
        return handler(private)

    handle.__doc__ = handler.__doc__
    return handle


@dataclass(frozen=True)
class PrivateEndpoint:
    """One private endpoint: its handler, access, and its REST and WS API names.

    Attributes:
        rest: ``(HTTP method, path)`` or None when only the WS API serves it.
        ws: the WS API method name, or None when only REST serves it.
        error_weight: what a refused request costs (Binance charges failures).
        counts_orders: it places orders: answers carry the ``ORDERS`` counts.
    """

    handler: PrivateHandler
    access: Access
    rest: tuple[str, str] | None
    ws: str | None
    error_weight: int = 0
    counts_orders: bool = False
