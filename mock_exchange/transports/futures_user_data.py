"""Futures user data on listen-key streams: events routed by account, expiry on the clock.

A live listen key subscribed on a stream connection (``/private/ws?listenKey=``, ``/ws/<key>``,
``/stream?streams=<key>`` or ``SUBSCRIBE ["<key>"]``) is a stream whose key is
``StreamKey(None, "listenKey", (key,))``. :class:`FuturesUserData` turns the futures engine
events (:mod:`mock_exchange.engine.futures.events`) into Binance's payloads and sends each to
every connection holding a live key of the event's account on that venue: bare on a raw
connection, ``{"stream": "<listenKey>", "data": {...}}`` on a combined one, and only the event
types of the connection's ``events=`` allow-list when it has one. A fill gives ``TRADE_LITE``
(USD-M only: COIN-M has no such event) then ``ORDER_TRADE_UPDATE``, then the step's
``ACCOUNT_UPDATE``, all with the step's ``E``.

When a key expires (:meth:`FuturesUserData.on_clock`), each connection holding it gets
``{"e":"listenKeyExpired","E":<int>,"listenKey":...}`` (subject to its allow-list) and is
closed; a key closed with ``DELETE`` closes its connections without an event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

import orjson

from ..engine.events import EngineEvent
from ..engine.exchange import Exchange
from ..engine.futures.events import (
    AlgoUpdate,
    ConfigUpdate,
    FuturesAccountUpdate,
    FuturesOrderUpdate,
    MarginCall,
)
from ..engine.listen_keys import ListenKeys
from ..engine.markets import MarketKind
from . import futures_payloads as fp
from .stream_names import LISTEN_KEY_CHANNEL
from .stream_session import StreamSession

__all__ = ["FuturesUserData", "UserDataSubscriber"]

_FUTURES: tuple[MarketKind, ...] = ("usdm", "coinm")
_ALIAS = "SfsR"  # COIN-M ACCOUNT_UPDATE ``i`` (an account alias)


class UserDataSubscriber(Protocol):
    """What delivery needs from a stream connection."""

    venue: MarketKind
    session: StreamSession
    events: frozenset[str]

    def send_text(self, text: str, stream: str | None = None, symbol: str | None = None) -> None:
        """Queue a data frame."""
        ...

    def close_soon(self, code: int) -> None:
        """Close the connection from an owned task."""
        ...


class FuturesUserData:
    """Routes futures user data to listen-key connections (see the module docstring)."""

    def __init__(
        self,
        exchange: Callable[[], Exchange],
        subscribers: Callable[[], Iterable[UserDataSubscriber]],
        listen_keys: ListenKeys,
    ) -> None:
        self.exchange = exchange
        self.subscribers = subscribers
        self.listen_keys = listen_keys
        self.frames_sent = 0

    def _payloads(self, venue: MarketKind, ev: EngineEvent) -> list[dict[str, Any]]:
        markets = self.exchange().engine(venue).markets
        if isinstance(ev, FuturesOrderUpdate):
            m = markets[ev.order.symbol]
            out = []
            if ev.trade is not None and ev.execution == "TRADE" and venue == "usdm":
                out.append(fp.trade_lite_event(m, ev))
            out.append(fp.order_trade_update_event(m, ev))
            return out
        if isinstance(ev, FuturesAccountUpdate):
            alias = _ALIAS if venue == "coinm" else None
            return [fp.account_update_event(ev, markets, alias)]
        if isinstance(ev, MarginCall):
            return [fp.margin_call_event(ev, markets)]
        if isinstance(ev, ConfigUpdate):
            return [fp.config_update_event(ev)]
        if isinstance(ev, AlgoUpdate):
            return [fp.algo_update_event(markets[ev.algo.symbol], ev)]
        return []

    def on_events(self, venue: MarketKind, events: list[EngineEvent], now: int) -> None:
        """Deliver the futures user-data events among ``events``."""
        if venue not in _FUTURES or not events:
            return
        for ev in events:
            owner = getattr(ev, "owner", None)
            if owner is None:
                continue
            payloads = self._payloads(venue, ev)
            if payloads:
                self._deliver(venue, int(owner), payloads, now)

    def _holders(
        self, venue: MarketKind, uid: int, now: int
    ) -> list[tuple[UserDataSubscriber, str]]:
        out = []
        for sub in self.subscribers():
            if sub.venue != venue:
                continue
            for name, key in sub.session.streams.items():
                if key.channel != LISTEN_KEY_CHANNEL:
                    continue
                lk = self.listen_keys.lookup(name, now)
                if lk is not None and lk.uid == uid and lk.venue == venue:
                    out.append((sub, name))
        return out

    def _send(self, sub: UserDataSubscriber, name: str, payload: dict[str, Any]) -> None:
        if sub.events and payload.get("e") not in sub.events:
            return
        raw = orjson.dumps(payload).decode()
        if sub.session.combined:
            raw = f'{{"stream":{orjson.dumps(name).decode()},"data":{raw}}}'
        sub.send_text(raw, name, None)
        self.frames_sent += 1

    def _deliver(
        self, venue: MarketKind, uid: int, payloads: list[dict[str, Any]], now: int
    ) -> None:
        for sub, name in self._holders(venue, uid, now):
            for payload in payloads:
                self._send(sub, name, payload)

    def on_clock(self, now: int) -> None:
        """Expire listen keys whose hour passed; close streams of expired or closed keys."""
        expired = {lk.key: lk for lk in self.listen_keys.expire(now)}
        for sub in self.subscribers():
            doomed = False
            for name, key in list(sub.session.streams.items()):
                if key.channel != LISTEN_KEY_CHANNEL:
                    continue
                if name in expired:
                    event = {"e": "listenKeyExpired", "E": now, "listenKey": name}
                    self._send(sub, name, event)
                    doomed = True
                elif self.listen_keys.lookup(name, now) is None:
                    doomed = True
            if doomed:
                sub.close_soon(1000)
