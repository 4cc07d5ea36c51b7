"""Helpers for the user-data e2e tests: what the emulator's journal says a client sent, the
raw events a client received on the wire, and waiting on client telemetry (test helper)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from client import Binance
from client.telemetry import WireEvent
from mock_exchange import MockExchange
from mock_exchange.engine.markets import MarketKind
from tests.mock_exchange.trading_client import open_gap


@dataclass(frozen=True)
class Touch:
    """Prices around a book's touch after :func:`quiet_touch` opened a gap there: the
    emulator keeps one small bid at :attr:`low` and one small ask at :attr:`high`, and
    nothing in between but the test's own orders."""

    low: Decimal
    high: Decimal
    tick: Decimal

    def at(self, ticks: int) -> Decimal:
        """The price ``ticks`` ticks above the gap's floor (inside it while below ``high``)."""
        price = self.low + ticks * self.tick
        assert self.low < price < self.high, "not inside the gap"
        return price

    @property
    def far_above(self) -> float:
        """A sell price no taker reaches: 2 % above the book (which spans 0.5 % a side)."""
        return float((self.high * Decimal("1.02")).quantize(self.tick))

    @property
    def far_below(self) -> float:
        """A buy price no taker reaches: 2 % below the book."""
        return float((self.low * Decimal("0.98")).quantize(self.tick))


def quiet_touch(
    mx: MockExchange, market_id: str = "BTCUSDT", venue: MarketKind = "spot", ticks: int = 20
) -> Touch:
    """Take the emulator's own orders within ``ticks`` ticks of the live book's best bid and
    ask off the book (:func:`open_gap`, which leaves one small order at each edge) and return
    the prices: inside the gap the test's orders are the only ones, so a sell there rests
    until the test's buyer crosses it at its price (the book is deep with a one-tick spread,
    so without the gap a sell at the touch fills at once or queues behind the emulator's)."""
    engine = mx.exchange.engine(venue)
    book, tick = engine.book(market_id), engine.market(market_id).tick_size
    bid, ask = book.best_bid(), book.best_ask()
    assert bid is not None and ask is not None, "the opening book has both sides"
    touch = Touch(bid[0] - ticks * tick, ask[0] + ticks * tick, tick)
    open_gap(mx, market_id, touch.low, touch.high, venue)
    return touch


def ws_methods(mx: MockExchange) -> list[str]:
    """The WS API methods clients sent, in order."""
    out = []
    for entry in mx.control.journal:
        if entry.transport == "ws" and entry.text.startswith("{"):
            method = json.loads(entry.text).get("method")
            if method:
                out.append(str(method))
    return out


def rest_calls(mx: MockExchange, fragment: str) -> list[str]:
    """The REST request lines whose path contains ``fragment``."""
    return [e.text for e in mx.control.journal if e.transport == "rest" and fragment in e.path]


class Wire:
    """Records the user-data events a client receives (the raw JSON, before any parsing) and
    lets a test wait for a telemetry event."""

    def __init__(self, ex: Binance) -> None:
        self.events: list[dict[str, Any]] = []
        self.lifecycle: list[WireEvent] = []
        self.rest: list[str] = []  # "VERB url" of each REST request the client sent
        self._changed = asyncio.Event()
        ex.add_listener(self.on_event)

    def on_event(self, event: WireEvent) -> None:
        if event.kind == "recv" and event.text.startswith("{"):
            msg = json.loads(event.text)
            if isinstance(msg.get("event"), dict):
                msg = msg["event"]
            if "e" in msg:
                self.events.append(msg)
        elif event.kind == "send" and event.text.split(" ", 1)[0] in (
            "GET",
            "POST",
            "PUT",
            "DELETE",
        ):
            self.rest.append(" ".join(event.text.split(" ", 2)[:2]))
        elif event.kind != "send":
            self.lifecycle.append(event)
        self._changed.set()

    def of(self, kind: str) -> list[dict[str, Any]]:
        """The events of type ``kind`` received so far."""
        return [e for e in self.events if e["e"] == kind]

    async def until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait (on received frames and lifecycle events) until ``predicate()`` holds."""
        async with asyncio.timeout(timeout):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    def sent(self, verb: str, fragment: str) -> int:
        """How many REST requests ``verb`` to a URL containing ``fragment`` were sent."""
        return sum(1 for r in self.rest if r.startswith(f"{verb} ") and fragment in r)

    def saw(self, kind: str, fragment: str = "") -> bool:
        """True once a lifecycle event of ``kind`` whose text has ``fragment`` was seen."""
        return any(e.kind == kind and fragment in e.text for e in self.lifecycle)


async def until_waiting(ex: Binance, topic: str) -> None:
    """Let the loop run (no wall-clock wait) until a watcher of ``topic`` is pending."""
    for _ in range(1000):
        if any(s["waiters"].get(topic) for s in ex.user_data_sessions()):
            return
        await asyncio.sleep(0)  # a yield to the other tasks, not a timed wait
    raise AssertionError(f"no {topic} watcher is pending")
