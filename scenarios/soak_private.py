"""The private soak (``CCXT_PRO_SOAK_PRIVATE=1``): user data held open while orders come and go.

For ``CCXT_PRO_SOAK_SECONDS`` the soak keeps ``watch_orders`` open on spot (WebSocket API
user data) and USD-M (a listen key, kept alive every ``CCXT_PRO_SOAK_LISTEN_KEY_REFRESH`` ms),
places a far-from-market limit order every ``CCXT_PRO_SOAK_ORDER_INTERVAL`` seconds,
alternating spot and USD-M, cancels each one an interval later, and every
``CCXT_PRO_SOAK_CYCLE`` seconds cycles the connections: on an emulator the emulator drops them
(a ``close`` fault) while orders keep changing, so the client must reconnect and reconcile; live
the client closes them itself once every order it placed was seen final (a live environment
cannot be told to drop them).

It fails when an event is lost (after the run, every order's last status seen on the stream
must equal what a REST query says), when a waiter hangs (a watch neither returns nor raises
within its timeout plus a grace period), or when resident memory (current RSS, read from
``/proc``) grows past ``CCXT_PRO_SOAK_MAX_RSS_GROWTH_MB``. Live, it needs the environment's own
keys and ``BINANCE_LIVE_ORDERS=1`` (else it is skipped with the reason); prices come from the
live book so orders never match.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any, TextIO

from client import Binance
from client.errors import BaseError, NetworkError, RequestTimeout
from client.telemetry import WireEvent

from .model import CallStep, Scenario, Where
from .targets import Opened, Target

__all__ = ["PrivateSoak", "private_soak_scenario", "run_private_soak"]

_GRACE_S = 5.0
_PUT = re.compile(r"^PUT \S+/listenKey")
# what the soak trades: a symbol, how far from the book its resting orders sit, their size
_MARKETS: tuple[tuple[str, dict[str, Any], Decimal, Decimal, str], ...] = (
    ("BTC/USDT", {}, Decimal("0.8"), Decimal("0.01"), "0.001"),
    ("BTC/USDT:USDT", {"type": "future"}, Decimal("0.96"), Decimal("0.1"), "0.002"),
)


def private_soak_scenario(target: Target) -> Scenario:
    """The scenario the soak opens its target with: an emulator account funded for the run,
    and the calls that make the live gates (keys, live orders) apply."""
    where = Where(Path("soak"), 1)
    steps = (CallStep(where, call="watch_orders"), CallStep(where, call="create_order"))
    setup = {
        "rate": 20,
        "account": {"balances": {"USDT": "1000000"}, "futuresBalances": {"USDT": "1000000"}},
    }
    return Scenario(where, "soak-private", "", (target.validity,), "spot", setup, (), steps)


@dataclass
class Counters:
    """What the private soak counted; shown on the progress line and in the summary."""

    placed: int = 0
    canceled: int = 0
    events: int = 0  # order updates watch_orders returned
    renewals: int = 0  # listen-key keep-alives sent
    cycles: int = 0  # connection cycles
    reconnects: int = 0
    reconciles: int = 0
    timeouts: int = 0
    errors: int = 0
    lost: int = 0
    final: dict[str, str] = field(default_factory=dict)  # order id -> last status seen


class PrivateSoak:
    """One private soak run on an opened target."""

    def __init__(
        self, opened: Opened, seconds: float, watch_timeout_ms: int, env: dict[str, float]
    ):
        self.name = "emulator" if opened.emulator is not None else "live"
        self.ex: Binance = opened.exchange
        self.emulator = opened.emulator
        self.seconds = seconds
        self.timeout_ms = watch_timeout_ms
        self.order_interval = env["order_interval"]
        self.cycle_interval = env["cycle_interval"]
        self.refresh_ms = int(env["listen_key_refresh"])
        self.min_orders = int(env.get("min_orders", 0))
        self.min_recoveries = int(env.get("min_recoveries", 0))
        self.c = Counters()
        self.failures: list[str] = []
        self.stop = asyncio.Event()  # everything stops (the end, or a hung waiter)
        self.placing_done = asyncio.Event()  # no more orders, no more cycles: the check runs
        self.quiet = asyncio.Event()  # set while no order of ours is waiting for its final state
        self.quiet.set()
        self.placed: dict[str, tuple[str, dict[str, Any]]] = {}  # id -> (symbol, params)
        self.prices: dict[str, str] = {}
        self.changed = asyncio.Event()
        self.ex.add_listener(self.on_event)

    def enough(self) -> bool:
        """True once the minimum work asked for is done (orders placed, cycles reconciled)."""
        return self.c.placed >= self.min_orders and self.c.reconciles >= self.min_recoveries

    # -- telemetry -----------------------------------------------------------------------------

    def on_event(self, event: WireEvent) -> None:
        if event.kind == "send" and _PUT.match(event.text):
            self.c.renewals += 1
        elif event.kind == "reconnect":
            self.c.reconnects += 1
        elif event.kind == "reconcile":
            self.c.reconciles += 1

    # -- guarded calls -------------------------------------------------------------------------

    async def guarded(self, what: str, call: Callable[[], Awaitable[Any]]) -> Any:
        """Run one call; a hang is a failure (and stops the soak), a timeout or a dropped
        connection is counted, any other client error is a failure."""
        limit = self.timeout_ms / 1000 + _GRACE_S
        try:
            return await asyncio.wait_for(call(), limit)
        except TimeoutError:
            self.failures.append(f"{what}: a waiter hung (no value and no error in {limit:.0f} s)")
            self.stop.set()
        except RequestTimeout:
            self.c.timeouts += 1
        except NetworkError:
            self.c.errors += 1  # a cycled connection: the next call opens it again
        except BaseError as exc:
            self.failures.append(f"{what}: {type(exc).__name__}: {exc}")
            self.stop.set()
        return None

    # -- the loops -----------------------------------------------------------------------------

    async def watch_loop(self, symbol: str, params: dict[str, Any]) -> None:
        """Keep ``watch_orders`` open; remember each order's last status."""
        opts = {**params, "timeout": self.timeout_ms}
        while not self.stop.is_set():
            orders = await self.guarded(
                f"watch_orders({symbol})", lambda: self.ex.watch_orders(symbol, params=opts)
            )
            for order in orders or []:
                if order["id"] is not None and order["status"] is not None:
                    self.c.events += 1
                    self.c.final[str(order["id"])] = str(order["status"])
            self.changed.set()

    async def place_loop(self) -> None:
        """Place a far-from-market order every interval (spot and USD-M in turn) and cancel
        the previous one."""
        turn = 0
        previous: str | None = None
        while not (self.stop.is_set() or self.placing_done.is_set()):
            symbol, params, factor, tick, amount = _MARKETS[turn % len(_MARKETS)]
            turn += 1
            await self.quiet.wait()  # a live cycle waits for the orders to settle first
            price = self.far_price(symbol, factor, tick)
            order = await self.guarded(
                f"create_order({symbol})",
                functools.partial(
                    self.ex.create_order, symbol, "limit", "buy", amount, price, dict(params)
                ),
            )
            if order is not None:
                self.c.placed += 1
                self.placed[str(order["id"])] = (symbol, params)
            if previous is not None:
                await self.cancel(previous)
            previous = str(order["id"]) if order is not None else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.placing_done.wait(), self.order_interval)
        if previous is not None:
            await self.cancel(previous)

    def far_price(self, symbol: str, factor: Decimal, tick: Decimal) -> str:
        price = Decimal(self.prices[symbol]) * factor
        return str((price / tick).to_integral_value(rounding=ROUND_DOWN) * tick)

    async def cancel(self, order_id: str) -> None:
        symbol, params = self.placed[order_id]
        done = await self.guarded(
            f"cancel_order({symbol})", lambda: self.ex.cancel_order(order_id, symbol, dict(params))
        )
        self.c.canceled += done is not None

    async def cycle_loop(self) -> None:
        """Cycle the user-data connections every interval."""
        if self.cycle_interval <= 0:
            return
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.placing_done.wait(), self.cycle_interval)
            if self.stop.is_set() or self.placing_done.is_set():
                return
            if self.emulator is not None:
                await self.emulator.act("fault", {"kind": "close"})  # dropped under load
            else:
                self.quiet.clear()  # live: close them ourselves once nothing is in flight
                try:
                    await self.settled(self.timeout_ms / 1000)
                    for url in self.ex.connections():
                        await self.ex.close_connection(url)
                finally:
                    self.quiet.set()
            self.c.cycles += 1

    async def settled(self, timeout: float) -> bool:
        """Wait until every order placed was seen final or open on the stream."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while any(o not in self.c.final for o in self.placed):
                    self.changed.clear()
                    await self.changed.wait()
        return all(o in self.c.final for o in self.placed)

    # -- the check -------------------------------------------------------------------------------

    async def check(self) -> None:
        """Every order's last status on the stream must be what REST says (nothing lost)."""
        await self.settled(self.timeout_ms / 1000)
        mismatched: list[str] = []
        for symbol, params, *_ in _MARKETS:
            mine = {o for o, (s, _p) in self.placed.items() if s == symbol}
            if not mine:
                continue
            rows = await self.ex.fetch_orders(symbol, None, 1000, dict(params))
            rest = {str(o["id"]): str(o["status"]) for o in rows if str(o["id"]) in mine}
            for order_id in sorted(mine):
                seen = self.c.final.get(order_id)
                if seen != rest.get(order_id):
                    mismatched.append(f"{order_id} stream {seen} REST {rest.get(order_id)}")
        self.c.lost = len(mismatched)
        if mismatched:
            self.failures.append(
                f"lost events: {len(mismatched)} of {len(self.placed)} orders end differently on "
                f"the stream than over REST ({'; '.join(mismatched[:5])})"
            )

    def progress(self, elapsed: float, rss_mb: float, growth_mb: float) -> str:
        c = self.c
        return (
            f"soak {self.name} private {elapsed:6.1f}s/{self.seconds:.0f}s  "
            f"orders {c.placed} placed {c.canceled} canceled  updates {c.events}  "
            f"renewals {c.renewals}  cycles {c.cycles}  "
            f"reconnects {c.reconnects}  reconciles {c.reconciles}  timeouts {c.timeouts}  "
            f"rss {rss_mb:.1f} MB ({growth_mb:+.1f})"
        )


async def run_private_soak(
    target: Target,
    seconds: float,
    interval: float,
    watch_timeout_ms: int,
    env: dict[str, float],
    rss: Callable[[], int],
    out: TextIO | None = None,
) -> tuple[PrivateSoak | None, str | None, int, int]:
    """Run the private soak; return (the run, why it was skipped, RSS at start, peak RSS)."""
    stream = out or sys.stdout
    scenario = private_soak_scenario(target)
    reason = target.skip_reason(scenario)
    if reason:
        return None, reason, 0, 0
    async with target.open(scenario) as opened:
        soak = PrivateSoak(opened, seconds, watch_timeout_ms, env)
        ex = opened.exchange
        try:
            await ex.load_markets()
        except NetworkError as exc:
            if target.kind != "live":
                raise
            return None, f"cannot reach {target.env}: {exc}", 0, 0
        for symbol, params, *_ in _MARKETS:
            book = await ex.fetch_order_book_ws(symbol, 5, params)
            soak.prices[symbol] = str(book["bids"][0][0])
        await ex.authenticate({"timeout": watch_timeout_ms})
        await ex.authenticate(
            {"type": "future", "listen_key_refresh": soak.refresh_ms, "timeout": watch_timeout_ms}
        )
        start_rss = peak = rss()
        start = time.monotonic()
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(soak.watch_loop(s, dict(p))) for s, p, *_ in _MARKETS]
            tasks.append(group.create_task(soak.cycle_loop()))
            placer = group.create_task(soak.place_loop())
            deadline = start + seconds
            # past the window only while the minimum work is not done, and not for ever
            last = deadline + seconds + watch_timeout_ms / 1000
            while not soak.stop.is_set() and (
                (now := time.monotonic()) < deadline or (not soak.enough() and now < last)
            ):
                wait = min(interval, deadline - now) if now < deadline else interval
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(soak.stop.wait(), wait)
                current = rss()
                peak = max(peak, current)
                print(
                    soak.progress(
                        time.monotonic() - start, current / 2**20, (current - start_rss) / 2**20
                    ),
                    file=stream,
                    flush=True,
                )
            soak.placing_done.set()
            await placer  # its last order is canceled; the watches keep running for the check
            if not soak.stop.is_set():
                await soak.check()
            soak.stop.set()
            for task in tasks:
                task.cancel()
        return soak, None, start_rss, max(peak, rss())
