"""Private watches over the user-data stream: balance, orders, positions, my trades, my
liquidations; their ``stream_*`` iterators and ``unwatch_*``.

Every watch uses the session of its venue and account (:mod:`client.methods.user_data`,
opened once) and returns at once what changed since the same caller (the symbol, or all
symbols) last asked, else waits for the next change, within ``timeout``. With
``newUpdates`` (the default) list watches return only what changed, each order and position
in its latest state once; without it, the whole cache. Nothing is lost across a reconnect:
what the stream missed is reconciled into the same caches. ``fetch_balance_snapshot`` /
``fetch_positions_snapshot`` start the state from REST (``snapshot_fetcher`` or
``rest_fetcher`` may be injected), so the first watch returns the full picture at once.

``unwatch_*`` stops a topic (its waiters fail with UnsubscribeError); when nothing is watched
any more the subscription ends on the wire (``userDataStream.unsubscribe``, or the listen-key
stream closed and the key deleted).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any, TypeVar

from ..errors import UnsubscribeError
from ..protocol.user_data import Changes
from ..reconcile import apply_balance
from ..types import Balance, Liquidation, Market, Order, Position, Trade
from ..user_data import UserDataSession, single_flight
from ..venues import VENUES
from .user_data import UserDataSessions
from .watching import WatchBase

__all__ = ["UserDataMethods"]

R = TypeVar("R", Order, Trade, Position, Liquidation)


def _keep(markets: Sequence[Market]) -> Callable[[Any], bool]:
    symbols = {m["symbol"] for m in markets}
    if not symbols:
        return lambda row: True
    return lambda row: row["symbol"] in symbols


def _consumer(markets: Sequence[Market]) -> str:
    return ",".join(sorted(m["symbol"] for m in markets))


def _since_limit(rows: list[R], since: int | None, limit: int | None) -> list[R]:
    if since is not None:
        rows = [r for r in rows if r["timestamp"] is None or r["timestamp"] >= since]
    return rows[-limit:] if limit else rows


class UserDataMethods(UserDataSessions, WatchBase):
    """``watch_balance``, ``watch_orders``, ``watch_positions``, ``watch_my_trades``,
    ``watch_my_liquidations(_for_symbols)``, their streams and unwatches."""

    async def _snapshot(self, session: UserDataSession, kind: str, opts: Mapping[str, Any]) -> None:
        """Load the balance or positions from REST once per session (concurrent callers share
        the read; a failed read is raised and tried again by the next call)."""
        await single_flight(
            session.snapshots, kind, lambda: self._load_snapshot(session, kind, opts), keep=True
        )

    async def _load_snapshot(
        self, session: UserDataSession, kind: str, opts: Mapping[str, Any]
    ) -> None:
        params = self._ud_params(VENUES[session.venue], session.key, opts)
        fetcher = opts.get("snapshot_fetcher")
        state = session.state
        if kind == "balance":
            if fetcher is not None:
                balance: Balance = await fetcher("balance", params)
            else:
                balance = await self._rest_fetcher(opts)("fetch_balance", {"params": params})
            apply_balance(state, balance, state.futures)
            state.balance_version += 1  # the snapshot itself is news to every watcher
            return
        if fetcher is not None:
            positions: list[Position] = await fetcher("positions", params)
        else:
            positions = await self._rest_fetcher(opts)(
                "fetch_positions", {"symbols": None, "params": params}
            )
        changes = Changes()
        for pos in positions:
            if state.apply_position(pos):
                changes.add("positions", pos["symbol"])
        session.wake(changes)

    async def _rows(
        self,
        session: UserDataSession,
        topic: str,
        consumer: str,
        has_new: Callable[[], bool],
        take: Callable[[], list[R]],
        opts: Mapping[str, Any],
    ) -> list[R]:
        session.watch(topic, consumer)
        given = (topic, consumer) in session.snapshot_given
        snapshot = topic in session.snapshots and session.snapshots[topic].done() and not given
        if snapshot:
            session.snapshot_given.add((topic, consumer))
            return take()  # the first watch after a snapshot: the full picture, even empty
        await self._ud_wait(session, topic, has_new, opts)
        return take()

    @staticmethod
    async def _ud_wait(
        session: UserDataSession, topic: str, ready: Callable[[], bool], opts: Mapping[str, Any]
    ) -> None:
        """Wait until ``ready()``, reconnecting first if the stream is down, all within the
        ``timeout`` option."""
        loop = asyncio.get_running_loop()
        timeout = float(opts["timeout"]) / 1000
        deadline = loop.time() + timeout
        if not ready():
            await session.kick(timeout)
        await session.wait_for(topic, ready, max(0.0, deadline - loop.time()))

    # -- balance ---------------------------------------------------------------------------

    async def watch_balance(self, params: Mapping[str, Any] | None = None) -> Balance:
        """Return the account's balance when it next changes (spot and margin:
        ``outboundAccountPosition``, ``balanceUpdate``; futures: ``ACCOUNT_UPDATE``), the
        whole balance each time. With ``fetch_balance_snapshot`` the first call returns the
        REST balance at once.

        Raises:
            RequestTimeout: no change within ``timeout``. AuthenticationError: no or refused
                credentials. UnsubscribeError: unwatched meanwhile.
        """
        opts = self._opts(params)
        session = await self._ud_session(opts)
        if opts.get("fetch_balance_snapshot"):
            await self._snapshot(session, "balance", opts)
        session.watch("balance", "")
        state = session.state
        seen = session.seen_balance
        await self._ud_wait(
            session, "balance", lambda: state.balance_version > seen.get("", 0), opts
        )
        seen[""] = state.balance_version
        return state.balance()

    # -- orders and trades -------------------------------------------------------------------

    async def watch_orders(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[Order]:
        """Return the account's orders that changed since this caller (``symbol``, or all)
        last asked, each in its latest state (spot ``executionReport``, futures
        ``ORDER_TRADE_UPDATE`` and ``ALGO_UPDATE``), waiting for the next change if none."""
        opts = self._opts(params)
        ms = [await self.market(symbol, opts)] if symbol else []
        session = await self._ud_session(opts, ms[0] if ms else None)
        cache, keep, consumer = session.state.orders, _keep(ms), _consumer(ms)
        rows: list[Order] = await self._rows(
            session,
            "orders",
            consumer,
            lambda: cache.has_new(consumer, keep),
            lambda: cache.new_rows(consumer, keep, None),
            opts,
        )
        if not opts.get("new_updates", True):
            rows = [o for o in cache.values() if keep(o)]
        return _since_limit(rows, since, limit)

    async def watch_my_trades(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[Trade]:
        """Return the account's trades since this caller last asked (``x`` = ``TRADE``
        events; futures ``TRADE_LITE`` with ``trade_lite``), waiting for the next one."""
        opts = self._opts(params)
        ms = [await self.market(symbol, opts)] if symbol else []
        session = await self._ud_session(opts, ms[0] if ms else None)
        cache, keep, consumer = session.state.trades, _keep(ms), _consumer(ms)
        rows: list[Trade] = await self._rows(
            session,
            "myTrades",
            consumer,
            lambda: cache.has_new(consumer, keep),
            lambda: cache.new_rows_where(consumer, keep),
            opts,
        )
        if not opts.get("new_updates", True):
            rows = [t for t in cache if keep(t)]
        return _since_limit(rows, since, limit)

    # -- positions and liquidations ----------------------------------------------------------

    async def watch_positions(
        self,
        symbols: Sequence[str] | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[Position]:
        """Return the futures positions that changed (``ACCOUNT_UPDATE``, ``MARGIN_CALL``),
        each once in its latest state; with ``fetch_positions_snapshot`` (default) the first
        call returns the open positions from REST at once. USD-M unless the symbols or
        ``type`` say COIN-M."""
        opts = self._opts(params)
        ms = await self._markets(list(symbols or []), opts)
        session = await self._ud_session(opts, ms[0] if ms else None, futures=True)
        if opts.get("fetch_positions_snapshot"):
            await self._snapshot(session, "positions", opts)
        cache, keep, consumer = session.state.positions, _keep(ms), _consumer(ms)
        rows: list[Position] = await self._rows(
            session,
            "positions",
            consumer,
            lambda: cache.has_new(consumer, keep),
            lambda: cache.new_rows(consumer, keep, None),
            opts,
        )
        if not opts.get("new_updates", True):
            rows = [p for p in cache.values() if keep(p) and p["contracts"]]
        return _since_limit(rows, since, limit)

    async def watch_my_liquidations(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[Liquidation]:
        """Return the account's liquidations since the last call (futures: a liquidation
        order of the engine, ``ORDER_TRADE_UPDATE`` type ``LIQUIDATION``, at its end)."""
        return await self.watch_my_liquidations_for_symbols(
            [symbol] if symbol else [], since, limit, params
        )

    async def watch_my_liquidations_for_symbols(
        self,
        symbols: Sequence[str],
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[Liquidation]:
        """Return the account's liquidations of ``symbols`` (all when empty) since the last
        call, waiting for the next one."""
        opts = self._opts(params)
        ms = await self._markets(list(symbols), opts)
        session = await self._ud_session(opts, ms[0] if ms else None, futures=True)
        cache, keep, consumer = session.state.liquidations, _keep(ms), _consumer(ms)
        rows: list[Liquidation] = await self._rows(
            session,
            "myLiquidations",
            consumer,
            lambda: cache.has_new(consumer, keep),
            lambda: cache.new_rows_where(consumer, keep),
            opts,
        )
        if not opts.get("new_updates", True):
            rows = [liq for liq in cache if keep(liq)]
        return _since_limit(rows, since, limit)

    # -- streams -----------------------------------------------------------------------------

    def stream_balance(self, params: Mapping[str, Any] | None = None) -> AsyncIterator[Balance]:
        """Yield :meth:`watch_balance` results until the iteration stops."""
        return self._stream(
            lambda: self.watch_balance(params),
            lambda: self.unwatch_balance(params),
            self._opts(params),
        )

    def stream_orders(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[list[Order]]:
        """Yield :meth:`watch_orders` results (``newUpdates``: each change once)."""
        return self._stream(
            lambda: self.watch_orders(symbol, since, limit, params),
            lambda: self.unwatch_orders(symbol, params),
            self._opts(params),
        )

    def stream_positions(
        self,
        symbols: Sequence[str] | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[list[Position]]:
        """Yield :meth:`watch_positions` results."""
        return self._stream(
            lambda: self.watch_positions(symbols, since, limit, params),
            lambda: self.unwatch_positions(symbols, params),
            self._opts(params),
        )

    def stream_my_trades(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[list[Trade]]:
        """Yield :meth:`watch_my_trades` results."""
        return self._stream(
            lambda: self.watch_my_trades(symbol, since, limit, params),
            lambda: self.unwatch_my_trades(symbol, params),
            self._opts(params),
        )

    # -- unwatch -----------------------------------------------------------------------------

    async def _ud_unwatch(
        self,
        topic: str,
        symbols: Sequence[str],
        params: Mapping[str, Any] | None,
        *,
        futures: bool = False,
    ) -> None:
        opts = self._opts(params)
        ms = await self._markets(list(symbols), opts)
        session = self._existing_session(opts, ms[0] if ms else None, futures=futures)
        if session is None or topic not in session.watched:
            raise UnsubscribeError(f"binance {topic} is not watched")
        err = UnsubscribeError(f"binance {topic} unwatched")
        if session.unwatch(topic, _consumer(ms) if ms else None, err):
            await self._ud_drop(session, err)

    async def unwatch_balance(self, params: Mapping[str, Any] | None = None) -> None:
        """Stop watching the balance (the subscription ends when nothing is watched)."""
        await self._ud_unwatch("balance", [], params)

    async def unwatch_orders(
        self, symbol: str | None = None, params: Mapping[str, Any] | None = None
    ) -> None:
        """Stop watching orders (of ``symbol``, or all of them)."""
        await self._ud_unwatch("orders", [symbol] if symbol else [], params)

    async def unwatch_my_trades(
        self, symbol: str | None = None, params: Mapping[str, Any] | None = None
    ) -> None:
        """Stop watching the account's trades (of ``symbol``, or all of them)."""
        await self._ud_unwatch("myTrades", [symbol] if symbol else [], params)

    async def unwatch_positions(
        self, symbols: Sequence[str] | None = None, params: Mapping[str, Any] | None = None
    ) -> None:
        """Stop watching positions (of ``symbols``, or all of them)."""
        await self._ud_unwatch("positions", list(symbols or []), params, futures=True)

    async def unwatch_my_liquidations(
        self, symbol: str | None = None, params: Mapping[str, Any] | None = None
    ) -> None:
        """Stop watching the account's liquidations (of ``symbol``, or all)."""
        await self._ud_unwatch("myLiquidations", [symbol] if symbol else [], params, futures=True)

    async def unwatch_my_liquidations_for_symbols(
        self, symbols: Sequence[str], params: Mapping[str, Any] | None = None
    ) -> None:
        """Stop watching the account's liquidations of ``symbols``."""
        await self._ud_unwatch("myLiquidations", list(symbols), params, futures=True)
