"""Reconciliation: after a user-data socket comes back, read what it may have missed.

While a user-data connection is down, Binance does not queue its events. When the session is
subscribed again (first: so nothing after the reads is missed either), :func:`reconcile` reads
over REST, through the same ``fetch_*`` methods the client offers (or the ``rest_fetcher``
the caller injected), and applies the answers to the account's state by the same rules as
live events (:class:`~client.protocol.user_data.AccountState`): an order's state is taken only
when it is later than, and different from, what is held, so each order's latest state reaches
watchers exactly once and never goes back, whichever arrives first, the event or the read.

1. ``fetch_open_orders`` (every symbol of the venue; isolated margin: its pair, which Binance
   requires there): the open orders as they are now.
2. ``fetch_order`` for each order held open that is no longer open: its final state.
3. ``fetch_my_trades`` for every symbol the session saw an order or trade on, is watched on,
   or has an open order on, from the newest trade held (else from when the session started):
   the fills missed; ``fetch_order`` for a fill's order that was never seen (an order placed
   and finished while the socket was down).
4. ``fetch_balance``: the balance now (isolated margin: of its pair only).
5. futures: ``fetch_positions``; a position held open that is no longer listed was closed.

Orders and positions that last changed before the session started are not reported (they
are not changes the session missed). A step that fails is recorded and the others still run.
Binance requires a symbol for the account's trades: a symbol the session never saw, that has
no open order and is not watched, is not read (an order placed and finished there during the
drop is not found).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .errors import BaseError, OrderNotFound
from .protocol.numbers import dec
from .protocol.orders import FINAL_STATUSES
from .protocol.user_data import AccountState, Changes, futures_wallet
from .types import Balance, Order, Position, Symbol, Trade

__all__ = ["ReconcilePlan", "RestFetcher", "apply_balance", "reconcile"]

RestFetcher = Callable[[str, dict[str, Any]], Awaitable[Any]]
"""``rest_fetcher(method, kwargs)``: call the client method ``method`` (``fetch_open_orders``,
``fetch_order``, ``fetch_my_trades``, ``fetch_balance``, ``fetch_positions``) with ``kwargs``
and return what it returns."""


@dataclass
class ReconcilePlan:
    """What one session reconciles and how.

    Attributes:
        fetch: the REST reads.
        params: the ``params`` every read gets (``type``, ``marginMode``).
        since: Binance time (ms) when the session started.
        futures: read positions and wallet balances.
        watched: the symbols watchers asked for.
        symbol: isolated margin: the pair every read is about (None: the whole venue).
        errors: what failed, per step, in the last run.
    """

    fetch: RestFetcher
    params: dict[str, Any]
    since: int
    futures: bool
    watched: Callable[[], Iterable[Symbol]] = lambda: ()
    symbol: Symbol | None = None
    errors: list[BaseError] = field(default_factory=list)


def _status(order: Order) -> str | None:
    info = order["info"] or {}
    status = info.get("status", info.get("X"))
    return str(status) if status is not None else None


def _recent(order: Order, since: int) -> bool:
    stamp = order["lastUpdateTimestamp"] or order["timestamp"]
    return stamp is None or stamp >= since


async def reconcile(state: AccountState, plan: ReconcilePlan) -> Changes:
    """Read and apply what the stream may have missed (see the module doc); return what
    changed. Failures are kept in ``plan.errors`` (the last one is raised when every read
    failed)."""
    changes = Changes()
    plan.errors = []
    params = dict(plan.params)
    fetched: set[tuple[Any, Any]] = set()

    def take(order: Order) -> None:
        fetched.add(state.order_key(order))
        if state.orders.get(state.order_key(order)) is None and not _recent(order, plan.since):
            return
        if state.apply_order(order):
            changes.add("orders", order["symbol"])

    async def final_state(symbol: Any, order_id: Any) -> None:
        try:
            order = await plan.fetch(
                "fetch_order", {"id": order_id, "symbol": symbol, "params": params}
            )
        except OrderNotFound:
            return
        take(order)

    steps = 0
    held_open = dict(state.open)
    open_now: list[Order] = []
    try:
        steps += 1
        open_now = await plan.fetch(
            "fetch_open_orders",
            {"symbol": plan.symbol, "since": None, "limit": None, "params": params},
        )
        for order in open_now:
            take(order)
        for key in held_open.keys() - fetched:
            await final_state(*key)
    except BaseError as err:
        plan.errors.append(err)

    symbols = state.symbols() | set(plan.watched()) | {o["symbol"] for o in open_now}
    if plan.symbol is not None:
        symbols.add(plan.symbol)
    for symbol in sorted(s for s in symbols if s):
        try:
            steps += 1
            await _trades(state, plan, symbol, params, changes, fetched, final_state)
        except BaseError as err:
            plan.errors.append(err)

    try:
        steps += 1
        wallet = params
        if plan.symbol is not None:  # the isolated account takes its pairs, not isIsolated
            wallet = {k: v for k, v in params.items() if k != "isIsolated"}
            wallet["symbols"] = [plan.symbol]
        balance: Balance = await plan.fetch("fetch_balance", {"params": wallet})
        if apply_balance(state, balance, plan.futures):
            changes.add("balance", None)
    except BaseError as err:
        plan.errors.append(err)

    if plan.futures:
        try:
            steps += 1
            positions = await plan.fetch("fetch_positions", {"symbols": None, "params": params})
            _apply_positions(state, positions, changes, plan.since)
        except BaseError as err:
            plan.errors.append(err)
    if plan.errors and len(plan.errors) == steps:
        raise plan.errors[-1]
    return changes


async def _trades(
    state: AccountState,
    plan: ReconcilePlan,
    symbol: Symbol,
    params: dict[str, Any],
    changes: Changes,
    fetched: set[tuple[Any, Any]],
    final_state: Callable[[Any, Any], Awaitable[None]],
) -> None:
    since = state.last_trade_time(symbol) or plan.since
    trades: list[Trade] = await plan.fetch(
        "fetch_my_trades", {"symbol": symbol, "since": since, "limit": None, "params": params}
    )
    for trade in trades:
        if trade["timestamp"] is not None and trade["timestamp"] < plan.since:
            continue
        if state.add_trade(trade):
            changes.add("myTrades", trade["symbol"])
        key = (trade["symbol"], trade["order"])
        held = state.orders.get(key)
        known = held is not None and (_status(held) in FINAL_STATUSES or key in fetched)
        if not known and trade["order"] is not None:
            await final_state(trade["symbol"], trade["order"])


def apply_balance(state: AccountState, balance: Balance, futures: bool) -> bool:
    """Take a balance read over REST (futures: the wallet balances of its ``info``); True
    when it changed what is held."""
    if futures:
        return state.set_wallet(
            futures_wallet(balance["info"]), balance["info"], balance["timestamp"]
        )
    accounts = {
        code: (dec(balance["free"].get(code)), dec(balance["used"].get(code)), dec(total))
        for code, total in balance["total"].items()
    }
    return state.set_balance(accounts, balance["info"], balance["timestamp"])


def _apply_positions(
    state: AccountState, positions: list[Position], changes: Changes, since: int
) -> None:
    listed = set()
    for pos in positions:
        key = state.position_key(pos)
        listed.add(key)
        stamp = pos["timestamp"]
        if state.positions.get(key) is None and stamp is not None and stamp < since:
            continue
        if state.apply_position(pos):
            changes.add("positions", pos["symbol"])
    for key in [k for k in state.positions.keys() if k not in listed]:  # noqa: SIM118
        held = state.positions.get(key)
        if held is None or not held["contracts"]:
            continue
        flat = Position(**held)
        flat["contracts"], flat["side"], flat["entryPrice"] = 0.0, None, 0.0
        flat["unrealizedPnl"], flat["notional"] = 0.0, 0.0
        if state.apply_position(flat):
            changes.add("positions", flat["symbol"])
