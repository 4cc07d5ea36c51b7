"""A long-lived owner of the account's order events: ``stream_orders`` in a supervised task.

Run it (the embedded emulator by default; live with ``BINANCE_PRO_ENV=prod|testnet|demo`` and
that environment's own keys, ``BINANCE_TESTNET_API_KEY`` / ``..._API_SECRET`` or
``..._PRIVATE_KEY``)::

    python examples/order_event_worker.py
    CCXT_PRO_ORDER_EVENT_WORKER_SECONDS=10 python examples/order_event_worker.py
    BINANCE_PRO_ENV=testnet python examples/order_event_worker.py

``CCXT_PRO_ORDER_EVENT_WORKER_SECONDS`` (default 10) bounds the run; Ctrl-C stops it earlier.
The worker authenticates once (``authenticate`` returns a ``WsAuth``) and every later stream
reuses that session (``ws_auth``, with ``newUpdates``: each order change once, in its latest
state). The stream is consumed by a :class:`~_worker.Supervised` task, the same owner the
ticker worker uses: restarted with backoff after an error, on the same session (unlike the
ticker worker it does not close the connection first: the client reconnects a user-data
session by itself and reconciles what it missed over REST, while a session closed and opened
again would not report what changed in between), and on stop the task is cancelled, the
connections closed and the last error kept. Business code reads
:attr:`OrderEventWorker.orders` (each order's latest state) whenever it wants.

Against the embedded emulator the program registers an emulator account (a key the emulator
generates, funded with USDT) and runs a small trader beside the worker so that events flow: a
far-from-market limit buy placed and canceled every half second, and now and then a tiny
market buy. Live it only listens (it never places an order on a real account).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

_CHECKOUT = Path(__file__).resolve().parents[1]
if (_CHECKOUT / "client" / "__init__.py").exists():  # a checkout: use the packages beside us
    sys.path.insert(0, str(_CHECKOUT))

from _worker import Supervised  # noqa: E402

from client import BaseError, Binance, Order, WsAuth  # noqa: E402
from client.embedded import EMBEDDED, open_exchange  # noqa: E402

__all__ = ["OrderEventWorker", "main", "run"]

ACCOUNT = {"balances": {"USDT": "100000"}}
"""The embedded emulator's account: what the demo trader spends."""


class OrderEventWorker:
    """Own the latest state of the account's orders (of ``symbol``, or all).

    Args:
        exchange: the client, with credentials; give the worker a client of its own: on a
            restart and on stop the worker closes every connection of that client.
        symbol: the CCXT symbol whose orders to follow (None: all of the venue's).
        params: call options for ``authenticate`` and ``stream_orders`` (``type``,
            ``timeout``...).
        backoff_initial / backoff_cap: restart waits, seconds.
        on_orders: called with each batch of changed orders.
    """

    def __init__(
        self,
        exchange: Binance,
        symbol: str | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        backoff_initial: float = 0.5,
        backoff_cap: float = 30.0,
        on_orders: Any = None,
    ) -> None:
        self.exchange = exchange
        self.symbol = symbol
        self.params = dict(params or {})
        self.auth: WsAuth | None = None
        self.authentications = 0
        self.orders: dict[str, Order] = {}
        self._on_orders = on_orders
        self.owner: Supervised[list[Order]] = Supervised(
            f"orders {symbol or 'all'}",
            self._stream,
            on_value=self._keep,
            # no reset: a restart keeps the session; the client redials and reconciles it by
            # itself, and closing it here would open a gap that no reconciliation covers
            close=self._close_connections,
            backoff_initial=backoff_initial,
            backoff_cap=backoff_cap,
        )

    async def authenticate(self) -> WsAuth:
        """Open the account's user-data session once (``authenticate``); later calls, and
        every stream the worker opens, reuse it as ``ws_auth``. Call it before :meth:`start`
        to be sure no order placed from then on is missed."""
        if self.auth is None:
            self.auth = await self.exchange.authenticate(self.params)
            self.authentications += 1
        return self.auth

    async def _stream(self) -> AsyncIterator[list[Order]]:
        """Stream the account's order changes on the one session."""
        await self.authenticate()
        params = {**self.params, "ws_auth": self.auth, "newUpdates": True}
        orders = self.exchange.stream_orders(self.symbol, None, None, params)
        try:
            async for batch in orders:
                yield batch
        finally:
            aclose = getattr(orders, "aclose", None)  # ends the stream (unwatch on halt)
            if aclose is not None:
                await aclose()

    def _keep(self, batch: list[Order]) -> None:
        for order in batch:
            if order["id"] is not None:
                self.orders[str(order["id"])] = order
        if self._on_orders is not None:
            self._on_orders(batch)

    async def _close_connections(self, *_: object) -> None:
        """Close the client's connections (``close_connection``): on stop."""
        for url in self.exchange.connections():
            with contextlib.suppress(Exception):
                await self.exchange.close_connection(url)

    def start(self) -> None:
        """Start consuming."""
        self.owner.start()

    async def stop(self) -> None:
        """Cancel the stream task and close the connections; :attr:`owner` keeps the counters
        and the last error."""
        await self.owner.stop()

    async def __aenter__(self) -> OrderEventWorker:
        self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def trade(exchange: Binance, symbol: str, stop: asyncio.Event, pause: float = 0.5) -> int:
    """Make order events on an emulator account until ``stop``: a far limit buy placed and
    canceled each ``pause`` seconds, and every fifth round a small market buy. Return how many
    orders were placed."""
    placed = 0
    book = await exchange.fetch_order_book_ws(symbol, 5)
    far = round(float(book["bids"][0][0]) * 0.8, 2)
    while not stop.is_set():
        order = await exchange.create_order(symbol, "limit", "buy", 0.001, far)
        placed += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), pause)
        await exchange.cancel_order(str(order["id"]), symbol)
        if placed % 5 == 0:
            await exchange.create_order(symbol, "market", "buy", 0.0002)
            placed += 1
    return placed


def _seconds(environ: Mapping[str, str]) -> float:
    name = "CCXT_PRO_ORDER_EVENT_WORKER_SECONDS"
    raw = environ.get(name, "10")
    try:
        return max(0.0, float(raw))
    except ValueError:
        raise SystemExit(f"error: {name} must be a number, not {raw!r}") from None


async def run(environ: Mapping[str, str]) -> int:
    """Run the worker for ``CCXT_PRO_ORDER_EVENT_WORKER_SECONDS``; return the exit status."""
    seconds = _seconds(environ)
    symbol = environ.get("CCXT_PRO_ORDER_EVENT_WORKER_SYMBOL", "BTC/USDT")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)

    def show(batch: list[Order]) -> None:
        for o in batch:
            print(
                f"{o['symbol']} order {o['id']} {o['side']} {o['type']} {o['status']} "
                f"filled={o['filled']}/{o['amount']} price={o['price']}"
            )

    async with open_exchange(account=ACCOUNT) as opened:
        embedded = opened.env == EMBEDDED
        print(f"order event worker: {symbol} from {opened.where} for {seconds:g}s", flush=True)
        worker = OrderEventWorker(opened.exchange, symbol, on_orders=show)
        try:
            await worker.authenticate()
        except BaseError as exc:  # live without that environment's keys, or refused ones
            print(f"order event worker: cannot authenticate: {exc}", file=sys.stderr)
            return 1
        async with worker, contextlib.AsyncExitStack() as stack:
            trader = None
            if embedded:  # a second client on the same account makes the events
                other = await stack.enter_async_context(
                    Binance(
                        {
                            "apiKey": opened.exchange.credentials.api_key,
                            "secret": opened.exchange.credentials.secret,
                        },
                        binance_env="local",
                        base_url=opened.exchange.base_url,
                    )
                )
                trader = asyncio.create_task(trade(other, symbol, stop), name="trader")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), seconds)
            stop.set()
            if trader is not None:
                await trader
        owner = worker.owner
        error = (
            f"{type(owner.last_error).__name__}: {owner.last_error}" if owner.last_error else "none"
        )
        print(
            f"order event worker stopped ({owner.state}): {owner.updates} updates, "
            f"{len(worker.orders)} orders, {worker.authentications} authentication(s), "
            f"{owner.restarts} restarts, last error: {error}, "
            f"connections left open: {len(opened.exchange.connections())}"
        )
        ok = owner.state == "stopped" and (owner.updates > 0 or not embedded)
        return 0 if ok else 1


def main() -> int:
    """Entry point."""
    return asyncio.run(run(os.environ))


if __name__ == "__main__":
    sys.exit(main())
