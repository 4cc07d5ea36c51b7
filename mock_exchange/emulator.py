"""The emulator without its port: state, connections, and the Python control API.

:class:`Emulator` owns the clock, the exchange (engines per venue), the background activity,
the weight limiters, the fault queue and journal, the connection registry and the publisher.
Its methods are the Python control API (``reset``, ``set_rate``, ``add_fault``, ``push``,
``place_order``...) that the rows of :data:`mock_exchange.control.CONTROL_ACTIONS` call, and
:meth:`Emulator.step` runs everything due at a point of the clock. It does no I/O of its own:
:class:`~mock_exchange.server.MockExchange` adds the port, the HTTP front and the clock driver.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Literal

from .config import ServerConfig
from .control import CONTROL_ACTIONS
from .engine.accounts import Accounts, decimal_text, parse_amount
from .engine.activity import Activity
from .engine.book import Side
from .engine.clock import ControlledClock
from .engine.core import Engine, EngineEvent, Liquidation, OrderResult
from .engine.exchange import VENUES, Exchange
from .engine.markets import MarketKind
from .engine.ratelimits import WeightLimiter
from .errors import ExchangeError, StreamControlError
from .faults import IMMEDIATE_FAULTS, Control, Fault
from .registry import Registry
from .transports.publisher import Publisher
from .transports.rules import ConnectionRules
from .transports.stream_names import StreamKey, parse_stream
from .transports.venues import VENUE_SPECS
from .transports.ws_connection import WsConnection

__all__ = ["Emulator"]

# snake_case keywords of add_account -> the contract's JSON names
_CAMEL = {
    "api_key": "apiKey",
    "public_key": "publicKey",
    "futures_balances": "futuresBalances",
}


class Emulator:
    """A Binance emulator's state and control API (see the module docstring)."""

    def __init__(self, config: ServerConfig | None = None) -> None:
        self.config = config or ServerConfig()
        self.control = Control()
        self.clock = ControlledClock(frozen=self.config.frozen_clock, start_ms=self.config.start_ms)
        self.accounts = Accounts()
        self.exchange = self._new_exchange()
        for spec in self.config.accounts:
            self.add_account(spec)
        self.registry = Registry()
        self.publisher = Publisher(self.exchange, self.registry.stream_connections)
        self.limiters: dict[str, WeightLimiter] = self._new_limiters()
        self.activities: dict[MarketKind, Activity] = self._new_activities(self.config.rate)
        # set whenever the clock moves or the activity changes: the clock driver wakes up
        self.wake = asyncio.Event()
        self.clock_restarts = 0  # a reset that restarts the clock: the driver starts over
        self.clock.add_listener(lambda _now: self.wake.set())

    def _new_exchange(self) -> Exchange:
        return Exchange(
            self.clock, self.config.markets, seed=self.config.seed, accounts=self.accounts
        )

    def _new_limiters(self) -> dict[str, WeightLimiter]:
        on = self.config.rate_limits
        return {v: WeightLimiter(limit=VENUE_SPECS[v].weight_limit, enabled=on) for v in VENUES}

    def _new_activities(self, rate: float) -> dict[MarketKind, Activity]:
        now = self.clock.now_ms()
        out: dict[MarketKind, Activity] = {}
        for venue in VENUES:
            share = self.config.liquidation_share if VENUE_SPECS[venue].liquidations else 0.0
            activity = Activity(self.exchange.engine(venue), rate, liquidation_share=share)
            activity.warm_up(now - self.config.warmup_ms, now)
            out[venue] = activity
        return out

    # -- views -------------------------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        """The spot engine."""
        return self.exchange.engine("spot")

    @property
    def activity(self) -> Activity:
        """The spot background activity."""
        return self.activities["spot"]

    @property
    def seed(self) -> int:
        """The seed the market was built from."""
        return self.config.seed

    @property
    def rate(self) -> float:
        """Background actions per second (each venue)."""
        return self.activity.rate

    def limiter(self, venue: MarketKind) -> WeightLimiter:
        """Return the request-weight limiter shared by ``venue``'s REST and WS API."""
        return self.limiters[venue]

    def rules(self, venue: MarketKind) -> ConnectionRules:
        """Return the connection rules of ``venue``'s sockets."""
        return self.config.rules_for(VENUE_SPECS[venue].rules_family)

    def validator(self, venue: MarketKind) -> Callable[[str], StreamKey]:
        """Return the stream-name check of ``venue`` (grammar, then a known symbol)."""

        def validate(name: str) -> StreamKey:
            key = parse_stream(name, venue)
            engine = self.exchange.engine(venue)
            if key is None:
                raise StreamControlError(2, "Invalid request: invalid stream")
            if key.symbol is not None:
                known = (
                    any(m.pair == key.symbol for m in engine.markets.values())
                    if key.channel == "continuousKline"
                    else key.symbol in engine.markets
                )
                if not known:
                    raise StreamControlError(2, "Invalid request: invalid stream")
            return key

        return validate

    def forced_error(self, venue: MarketKind, caller: str, now: int) -> ExchangeError | None:
        """Consume a ``force_429``/``force_418`` fault; return the error it forces, or None."""
        fault = self.control.take(("force_429", "force_418"), None)
        if fault is None:
            return None
        limiter = self.limiter(venue)
        if fault.kind == "force_418":
            return limiter.ban(caller, now)
        return limiter.over_limit(caller, now)

    # -- control (Python API) ----------------------------------------------------------------

    def act(self, name: str, value: Any = None) -> Any:
        """Run control action ``name`` of :data:`~mock_exchange.control.CONTROL_ACTIONS`.

        The value is checked as a script value is; returns the action's JSON result.

        Raises:
            ValueError: unknown action or malformed value.
        """
        action = CONTROL_ACTIONS.get(name)
        if action is None:
            raise ValueError(f"unknown control action {name!r}; known: {sorted(CONTROL_ACTIONS)}")
        if action.check is not None:
            value = action.check(value)
        return action.run(self, value)

    def reset(
        self,
        seed: int | None = None,
        *,
        rate: float | None = None,
        clock: Mapping[str, Any] | None = None,
    ) -> None:
        """Rebuild the exchange and activity from ``seed`` (default: the current seed).

        ``rate`` sets the background activity (default: unchanged); ``clock`` (``frozen``,
        ``start_ms``) restarts the clock there, frozen or running (``{}``: running at wall
        time), even backwards, and open connections count their rules from the new time.
        Accounts, keys and balances stay; open orders go with the old books, so what they
        locked is free again. Faults, weight counters and bans, and the journal are cleared.

        Raises:
            ValueError: a ``start_ms`` the clock cannot take; nothing changes.
        """
        if clock is not None:
            self.clock.restart(
                frozen=bool(clock.get("frozen", False)), start_ms=clock.get("start_ms")
            )
            self.clock_restarts += 1
            for conn in self.registry.all():
                conn.rebase(self.clock.now_ms())
        if seed is not None:
            self.config.seed = seed
        rate = self.activity.rate if rate is None else rate
        self.accounts.release_locks()  # the orders holding them go with the old books
        self.exchange = self._new_exchange()
        self.publisher.reset(self.exchange)
        self.activities = self._new_activities(rate)
        self.limiters = self._new_limiters()
        self.control.clear_faults()
        self.control.clear_journal()
        self.wake.set()

    def set_rate(self, rate: float) -> None:
        """Set background activity in actions per second (0 = fully scripted market)."""
        for activity in self.activities.values():
            activity.set_rate(rate)
        self.wake.set()

    def publish(self, venue: MarketKind, events: list[EngineEvent]) -> None:
        """Publish engine ``events`` of ``venue`` to the streams (real-time part)."""
        self.publisher.on_events(venue, events, self.clock.now_ms())

    def place_order(
        self,
        symbol: str,
        side: Side,
        order_type: Literal["LIMIT", "MARKET", "LIMIT_MAKER"],
        *,
        venue: MarketKind = "spot",
        **kwargs: Any,
    ) -> OrderResult:
        """Place a scripted order in the engine of ``venue`` and publish what it caused."""
        result, events = self.exchange.engine(venue).place_order(symbol, side, order_type, **kwargs)
        self.publish(venue, events)
        return result

    def liquidate(
        self, symbol: str, side: Side, quantity: Decimal, *, venue: MarketKind = "usdm"
    ) -> Liquidation:
        """Execute a scripted liquidation on a futures venue and publish ``forceOrder``."""
        liq, events = self.exchange.engine(venue).liquidate(symbol, side, quantity)
        self.publish(venue, events)
        return liq

    # -- accounts (the account contract) ---------------------------------------------------

    def add_account(self, spec: Mapping[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
        """Register an API key with its account (``POST /_mock/accounts``); return its summary.

        ``spec`` is the contract's JSON (``apiKey``, ``secret`` or ``publicKey``, optional
        ``balances``, ``futuresBalances``, ``permissions``, ``account``); keyword arguments may
        give the same fields (``api_key=``, ``public_key=``, ``futures_balances=`` also work).

        Raises:
            ValueError: a malformed field, an unknown ``account`` or a duplicate ``apiKey``.
        """
        merged = {**(spec or {}), **{_CAMEL.get(k, k): v for k, v in fields.items()}}
        account, key = self.accounts.register(merged, self.clock.now_ms())
        return {
            "apiKey": key.api_key,
            "uid": account.uid,
            "type": key.key_type.value,
            "permissions": sorted(key.permissions),
            "balances": account.spot.view(),
            "futuresBalances": account.futures["usdm"].view(),
        }

    def account_state(self, api_key: str) -> dict[str, Any]:
        """Return ``GET /_mock/accounts/<apiKey>``: balances, futures balances, open orders.

        Raises:
            ValueError: no account has that key.
        """
        try:
            account = self.accounts.of_key(api_key)
        except KeyError:
            raise ValueError("no account has that apiKey") from None
        return self.accounts.state(api_key, self.open_orders_view(account.id))

    def open_orders_view(self, owner: Any) -> list[dict[str, Any]]:
        """Return the open spot orders of an account, as ``GET /api/v3/openOrders`` shows them."""
        return []

    def deposit(
        self, api_key: str, asset: str, amount: Any, wallet: str = "spot"
    ) -> dict[str, Any]:
        """Credit ``amount`` of ``asset`` to a wallet of the key's account and publish the
        user-data events Binance sends (spot: ``balanceUpdate``, ``outboundAccountPosition``).

        Raises:
            ValueError: unknown key, wallet or a malformed amount.
        """
        try:
            account = self.accounts.of_key(api_key)
        except KeyError:
            raise ValueError("no account has that apiKey") from None
        value = parse_amount(amount, "amount")
        if not isinstance(asset, str) or not asset:
            raise ValueError("asset must be an asset name")
        events = self.accounts.deposit(account, asset, value, wallet, self.clock.now_ms())
        self.publish("spot", events)
        held = account.wallet(wallet).balance(asset.upper())
        return {
            "apiKey": api_key,
            "asset": asset.upper(),
            "amount": decimal_text(value),
            "wallet": wallet,
            "balance": {"free": decimal_text(held.free), "locked": decimal_text(held.locked)},
        }

    def server_shutdown(self) -> int:
        """Send ``serverShutdown`` to every connection; return how many got it."""
        event = {"e": "serverShutdown", "E": self.clock.now_ms()}
        streams, ws_api = self.registry.stream_connections(), list(self.registry.ws_api.values())
        for conn in streams:
            frame: Any = event
            if conn.session.combined:
                frame = {"stream": "!serverShutdown", "data": event}
            conn.send_control(frame)
        for api_conn in ws_api:
            api_conn.session.push_event(event)
        return len(streams) + len(ws_api)

    def add_fault(self, kind: str, **options: Any) -> Fault:
        """Queue a fault (see :class:`mock_exchange.faults.Fault`).

        ``close``, ``gap`` and ``server_shutdown`` act at once; the others wait for the
        frame or request they apply to.
        """
        fault = self.control.add_fault(kind, **options)
        if fault.kind in IMMEDIATE_FAULTS:
            self.control.faults.remove(fault)
            if fault.kind == "close":
                for conn in self.registry.all():
                    conn.close_soon(fault.close_code)
            elif fault.kind == "gap":
                if fault.symbol is None:
                    raise ValueError("a gap fault needs 'symbol'")
                venue = fault.venue
                if venue not in VENUES:
                    raise ValueError(f"unknown venue {venue!r}; expected one of {VENUES}")
                engine = self.exchange.engine(venue)
                engine.skip_update_ids(fault.symbol.upper(), max(1, fault.count))
                self.publisher.gap(venue, fault.symbol.upper())
            else:
                self.server_shutdown()
        return fault

    def push(self, frame: Any, *, stream: str | None = None) -> int:
        """Send ``frame`` to stream connections (those subscribed to ``stream`` if given).

        With ``stream``, each connection gets it in its own envelope; without, verbatim.
        Returns how many connections it was sent to.
        """
        sent = 0
        for conn in self.registry.stream_connections():
            if stream is None:
                conn.send(frame)
            elif stream in conn.session.streams:
                conn.send(conn.session.envelope(stream, frame))
            else:
                continue
            sent += 1
        return sent

    def connection_count(self) -> int:
        """Return the number of open stream connections."""
        return len(self.registry.streams)

    def subscriptions(self) -> list[tuple[MarketKind, str]]:
        """Return (venue, stream name) of every subscription on every open connection."""
        return [
            (conn.venue, name)
            for conn in self.registry.stream_connections()
            for name in conn.session.streams
        ]

    # -- the clock ---------------------------------------------------------------------------

    def step(self, now: int, prev: int) -> None:
        """Run everything due at ``now``: activity, funding, periodic streams, connection rules.

        Each part runs even when an earlier one fails (a broken stream must not stop the
        pings); the failures are raised together afterwards.

        Raises:
            ExceptionGroup: the parts that failed.
        """
        errors: list[Exception] = []
        for part in self._step_parts(now, prev):
            try:
                part()
            except Exception as exc:  # collected, raised together below
                errors.append(exc)
        if errors:
            raise ExceptionGroup(f"clock step to {now}", errors)

    def _step_parts(self, now: int, prev: int) -> list[Callable[[], None]]:
        def activity(venue: MarketKind, activity: Activity) -> Callable[[], None]:
            return lambda: self.publisher.on_events(venue, activity.run_until(now), now)

        def rules(conn: WsConnection) -> Callable[[], None]:
            return lambda: conn.on_clock(now)

        return [
            *(activity(venue, a) for venue, a in self.activities.items()),
            lambda: self.exchange.settle_funding(now),
            lambda: self.publisher.on_tick(prev, now),
            *(rules(conn) for conn in self.registry.all()),
        ]
