"""User-data sessions: one account's subscription on one venue, its state and its watchers.

A session owns an :class:`~client.protocol.user_data.AccountState`, the watchers waiting on
it, and the background tasks that keep its subscription alive (keep-alive and renewal timers,
reconciliation), all cancelled by :meth:`UserDataSession.close`. Two mechanisms
(``venues.py`` says which a venue uses):

* :class:`~client.user_data_ws_api.WsApiUserData` (spot, margin): a subscription on the
  venue's shared WebSocket API connection, kept as a named restore step, so every new socket
  subscribes again (spot: ``userDataStream.subscribe`` after an Ed25519 ``session.logon``,
  else ``userDataStream.subscribe.signature``; margin: ``userDataStream.subscribe.listenToken``
  with a token renewed before it expires), events routed by socket and ``subscriptionId``;
  an ``eventStreamTerminated`` of a subscription we did not end subscribes again.
* :class:`~client.listen_key.ListenKeyUserData` (USD-M, COIN-M): a listen-key stream of its
  own, a ``PUT`` keep-alive every ``listen_key_refresh``; ``listenKeyExpired`` and a failed
  keep-alive redial with a fresh key.

Nothing is lost across a reconnect: when a socket comes back after a drop (not after a
``serverShutdown`` handover, which overlaps), the session reconciles
(:mod:`client.reconcile`) and the changes it missed reach the same watchers.

Every waiter gets a value or an exception: watchers stay pending across a reconnect (what
they wait for is reconciled), bounded by their timeout; a reconnect whose session could not be
restored (a replayed logon or subscribe failed) fails the watchers waiting then with its error
at once while the connection tries again after its backoff; an error that ends the session for
good (refused credentials, a closed connection) fails them, and later ones, at once.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .connection import reject, resolve
from .errors import BaseError, ConnectionClosed, NetworkError, RequestTimeout
from .protocol.user_data import AccountState, Changes
from .protocol.user_events import MarketOf, parse_user_event
from .telemetry import RateLimitedLog, Telemetry
from .venues import UserDataKind

__all__ = ["Reconcile", "SessionKey", "UserDataSession", "WsAuth", "single_flight"]

log = logging.getLogger("client")

SessionKey = tuple[str, str, str | None]
"""(venue name, API key, isolated-margin symbol): one subscription per key."""

Reconcile = Callable[["UserDataSession"], Awaitable[Changes]]
"""Read what a reconnect may have missed over REST and apply it to the session's state."""


K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


async def single_flight(
    flights: dict[K, asyncio.Future[T]],
    key: K,
    run: Callable[[], Awaitable[T]],
    *,
    keep: bool = False,
) -> T:
    """Run ``run()`` once for ``key`` however many callers ask together: the others wait for
    its result or its error. ``keep``: later callers get the kept result without running
    again (a failure is not kept: the next caller runs again).

    Raises:
        What ``run`` raised (a cancelled leader: NetworkError for the others).
    """
    flight = flights.get(key)
    if flight is not None:
        return await asyncio.shield(flight)
    flight = asyncio.get_running_loop().create_future()
    flights[key] = flight
    try:
        value = await run()
    except BaseException as exc:
        del flights[key]
        err = exc if isinstance(exc, BaseError) else NetworkError(f"abandoned: {exc!r}")
        reject(flight, err)
        raise
    if not keep:
        del flights[key]
    resolve(flight, value)
    return value


@dataclass(frozen=True)
class WsAuth:
    """What :meth:`~client.Binance.authenticate` returns; pass it back as ``ws_auth`` in a
    later call's params to use the same subscription. Never shows the key or a token.

    Attributes:
        venue: ``spot``, ``margin``, ``future``, ``delivery``.
        mechanism: how user data arrives (``ws_api_subscribe``, ``listen_token``,
            ``listen_key``).
        url: the connection carrying it (a listen key masked).
        subscription_id: the WebSocket API subscription id when authenticated.
    """

    venue: str
    mechanism: UserDataKind
    url: str
    subscription_id: int | None
    key: SessionKey = field(repr=False, compare=False)


class UserDataSession(abc.ABC):
    """One account's user data on one venue (see the module doc)."""

    mechanism: UserDataKind

    def __init__(
        self,
        key: SessionKey,
        state: AccountState,
        telemetry: Telemetry,
        *,
        find: MarketOf,
        reconcile: Reconcile | None,
        url: str,
    ) -> None:
        self.key = key
        self.venue = key[0]
        self.state = state
        self.telemetry = telemetry
        self.find = find
        self.url = url
        self.reconcile_fn = reconcile
        self.closed = False
        self.error: BaseError | None = None
        self.watched: dict[str, set[str]] = {}
        self.seen_balance: dict[str, int] = {}
        self.snapshot_given: set[tuple[str, str]] = set()
        self.reconciliations = 0
        self.reconcile_errors: list[BaseError] = []
        self.snapshots: dict[str, asyncio.Future[None]] = {}
        self._waiters: dict[str, list[asyncio.Future[None]]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._reconciling: asyncio.Task[None] | None = None
        self.reconciled = asyncio.Event()  # set after each reconciliation (tests wait on it)
        self._log = RateLimitedLog(log)

    # -- what the methods use ----------------------------------------------------------------

    def auth(self) -> WsAuth:
        """Return the value :meth:`~client.Binance.authenticate` hands out."""
        return WsAuth(self.venue, self.mechanism, self.url, self.subscription_id, self.key)

    @property
    def subscription_id(self) -> int | None:
        """The WebSocket API subscription id (None on a listen-key stream)."""
        return None

    def watch(self, topic: str, consumer: str) -> None:
        """Note that ``consumer`` watches ``topic`` (unwatch undoes it)."""
        self.watched.setdefault(topic, set()).add(consumer)

    def unwatch(self, topic: str, consumer: str | None, err: BaseError) -> bool:
        """Stop ``consumer`` (None: every consumer) watching ``topic``; fail its waiters with
        ``err``. Return True when nothing is watched any more."""
        consumers = self.watched.get(topic, set())
        if consumer is None:
            consumers.clear()
        else:
            consumers.discard(consumer)
        if not consumers:
            self.watched.pop(topic, None)
            for fut in self._waiters.pop(topic, []):
                reject(fut, err)
        return not self.watched

    async def wait_for(self, topic: str, ready: Callable[[], bool], timeout: float) -> None:
        """Return as soon as ``ready()`` holds, waking on each change of ``topic``.

        Raises:
            RequestTimeout: not within ``timeout``. The session's error (it ended for good).
            UnsubscribeError: the topic was unwatched meanwhile.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self.error is not None:
                raise self.error
            if ready():
                return
            fut: asyncio.Future[None] = loop.create_future()
            self._waiters.setdefault(topic, []).append(fut)
            try:
                async with asyncio.timeout_at(deadline):
                    await fut
            except TimeoutError:
                raise RequestTimeout(
                    f"binance {self.venue} {topic}: no update within {int(timeout * 1000)} ms"
                ) from None
            finally:
                waiting = self._waiters.get(topic)
                if waiting is not None and fut in waiting:
                    waiting.remove(fut)

    def waiting(self) -> dict[str, int]:
        """Return how many watchers wait per topic."""
        return {t: len(w) for t, w in self._waiters.items() if w}

    # -- events ------------------------------------------------------------------------------

    def feed(self, raw: dict[str, Any]) -> None:
        """Absorb one event and wake the watchers of what it changed."""
        try:
            event = parse_user_event(raw, self.find)
        except (KeyError, TypeError, ValueError, AttributeError):
            self._log.exception("parse", "%s: user-data event could not be parsed", self.url)
            return
        if event is None:
            return
        if event.terminated:
            self.on_terminated()
        if event.expired:
            self.on_expired(raw)
        self.wake(self.state.apply(event))

    def wake(self, changes: Changes) -> None:
        """Wake the watchers of every topic in ``changes``."""
        for topic in changes.topics:
            for fut in self._waiters.pop(topic, []):
                resolve(fut, None)

    def fail(self, err: BaseError) -> None:
        """End the session for good: every watcher, now and later, gets ``err``."""
        self.error = err
        self.interrupt(err)

    def interrupt(self, err: BaseError) -> None:
        """Fail the watchers waiting now with ``err`` (the subscription is down and coming
        back failed); the session goes on, and later watchers wait for the next attempt."""
        for waiting in self._waiters.values():
            for fut in waiting:
                reject(fut, err)
        self._waiters.clear()

    @abc.abstractmethod
    def on_terminated(self) -> None:
        """The server ended the subscription (``eventStreamTerminated``)."""

    @abc.abstractmethod
    def on_expired(self, raw: dict[str, Any]) -> None:
        """The listen key expired (``listenKeyExpired``)."""

    # -- tasks -------------------------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run ``coro`` as a task this session owns (cancelled by :meth:`close`)."""
        task = asyncio.create_task(coro, name=f"client.user_data.{name} {self.url}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def start_reconcile(self) -> None:
        """Reconcile now (a running reconciliation is started over: the socket changed)."""
        if self.reconcile_fn is None or self.closed:
            return
        if self._reconciling is not None and not self._reconciling.done():
            self._reconciling.cancel()
        self.reconciled.clear()
        self._reconciling = self.spawn(self._reconcile(), "reconcile")

    async def _reconcile(self) -> None:
        assert self.reconcile_fn is not None
        try:
            changes = await self.reconcile_fn(self)
        except BaseError as err:
            self.reconcile_errors.append(err)
            self.telemetry.emit("error", self.url, f"reconciliation failed: {err}")
        else:
            self.reconciliations += 1
            found = ", ".join(sorted(changes.topics)) or "nothing missed"
            self.telemetry.emit("reconcile", self.url, f"reconciled: {found}")
            self.wake(changes)
        finally:
            self.reconciled.set()

    async def close(self, err: BaseError | None = None, *, end_on_wire: bool = True) -> None:
        """End the subscription (on the wire too unless ``end_on_wire`` is False: someone
        else ends it) and every task; watchers fail with ``err`` (default ConnectionClosed);
        never raises."""
        if self.closed:
            return
        self.closed = True
        self.fail(err or ConnectionClosed(f"{self.url}: user data closed by the client"))
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        try:
            await self.stop(end_on_wire)
        except Exception:  # closing must go on
            log.warning("%s: ending the user-data subscription failed", self.url, exc_info=True)

    @abc.abstractmethod
    async def kick(self, timeout: float) -> None:
        """A watcher wants data now: when the connection is down, cut the reconnect's first
        pause short (as a request would); never raises (the watcher's wait reports)."""

    @abc.abstractmethod
    async def start(self, timeout: float) -> None:
        """Bring the subscription up (raises what refused it)."""

    @abc.abstractmethod
    async def stop(self, end_on_wire: bool) -> None:
        """Stop keeping the subscription up; end it on the wire if ``end_on_wire``."""

    def info(self) -> dict[str, Any]:
        """Return the session's state for inspection (no secret)."""
        return {
            "venue": self.venue,
            "mechanism": self.mechanism,
            "url": self.url,
            "subscription_id": self.subscription_id,
            "watched": {t: sorted(c) for t, c in self.watched.items()},
            "waiters": self.waiting(),
            "events": self.state.events,
            "reconciliations": self.reconciliations,
            "cache": {
                "orders": len(self.state.orders),
                "myTrades": len(self.state.trades),
                "positions": len(self.state.positions),
                "myLiquidations": len(self.state.liquidations),
            },
            "error": str(self.error) if self.error else None,
        }
