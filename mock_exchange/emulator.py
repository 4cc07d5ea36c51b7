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
import re
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
from .engine.futures.account import futures_account
from .engine.futures.risk import check_margins, liquidate
from .engine.markets import MarketKind
from .engine.ratelimits import WeightLimiter
from .engine.types import AccountId
from .errors import ExchangeError, StreamControlError
from .faults import IMMEDIATE_FAULTS, Control, Fault
from .registry import Registry
from .transports.futures_algo import run_triggers
from .transports.futures_user_data import FuturesUserData
from .transports.order_payloads import query_shape
from .transports.publisher import Publisher
from .transports.rules import ConnectionRules
from .transports.stream_names import LISTEN_KEY_CHANNEL, StreamKey, parse_stream
from .transports.user_data import UserDataHub
from .transports.venues import VENUE_SPECS
from .transports.ws_connection import WsConnection

__all__ = ["Emulator"]

_KEY_TOKEN = re.compile(r"[A-Za-z0-9]{60,64}")
# snake_case keywords of add_account -> the contract's JSON names
_CAMEL = {
    "api_key": "apiKey",
    "public_key": "publicKey",
    "futures_balances": "futuresBalances",
    "coinm_balances": "coinmBalances",
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
        for asset, daily in self.config.borrow_rates.items():
            self.set_borrow_rate(asset, daily)
        self.registry = Registry()
        self.publisher = Publisher(
            self.exchange, self.registry.stream_connections, lambda: self.registry.generation
        )
        self.user_data = UserDataHub(
            lambda: [conn.session for conn in self.registry.ws_api.values()],
            lambda: self.exchange,
        )
        self.futures_user_data = FuturesUserData(
            lambda: self.exchange, self.registry.stream_connections, self.accounts.listen_keys
        )
        self.limiters: dict[str, WeightLimiter] = self._new_limiters()
        self.activities: dict[MarketKind, Activity] = self._new_activities(self.config.rate)
        # set whenever the clock moves or the activity changes: the clock driver wakes up
        self.wake = asyncio.Event()
        self.clock_restarts = 0  # a reset that restarts the clock: the driver starts over
        self.clock.add_listener(lambda _now: self.wake.set())

    def _new_exchange(self) -> Exchange:
        return Exchange(
            self.clock,
            self.config.markets,
            seed=self.config.seed,
            accounts=self.accounts,
        )

    def _new_limiters(self) -> dict[str, WeightLimiter]:
        on = self.config.rate_limits
        limiters: dict[str, WeightLimiter] = {
            v: WeightLimiter(limit=VENUE_SPECS[v].weight_limit, enabled=on) for v in VENUES
        }
        limiters["sapi"] = WeightLimiter(limit=12000, enabled=on)  # /sapi/ IP weight
        return limiters

    def _new_activities(self, rate: float) -> dict[MarketKind, Activity]:
        """Build the flows; with a rate, give the market its history and a live warm-up.

        The history (:meth:`Exchange.add_history`) ends where the warm-up starts, so the tape
        has no hole before "now"; the warm-up replays ``warmup_ms`` of live flow.
        """
        now = self.clock.now_ms()
        start = now - self.config.warmup_ms
        if rate > 0:
            self.exchange.add_history(rate, start)
        paths = self.exchange.fair_paths(start)
        out: dict[MarketKind, Activity] = {}
        for venue in VENUES:
            share = self.config.liquidation_share if VENUE_SPECS[venue].liquidations else 0.0
            engine = self.exchange.engine(venue)
            activity = Activity(engine, rate, paths=paths[venue], liquidation_share=share)
            activity.warm_up(start, now)
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
            lk = self.accounts.listen_keys.lookup(name, self.clock.now_ms())
            if lk is not None and lk.venue == venue:
                return StreamKey(None, LISTEN_KEY_CHANNEL, (name,))
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

    def redact_listen_keys(self, text: str) -> str:
        """Return ``text`` with every live listen key in it replaced (a listen key is a
        credential; ``SUBSCRIBE ["<listenKey>"]`` names one as a stream)."""
        for token in set(_KEY_TOKEN.findall(text)):
            if self.accounts.listen_keys.lookup(token, self.clock.now_ms()) is not None:
                text = text.replace(token, "<redacted>")
        return text

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
        """Publish engine ``events`` of ``venue``: futures fills settle into positions first;
        then market streams, spot user data to the subscriptions of each event's account, and
        futures user data to the account's listen-key streams.

        They are published at the time the engine gave them (the request's time), not at
        the clock's reading now: the clock may have moved while the request was handled, and
        one fill must carry one time in REST answers, ``income`` and the events.
        """
        times = [t for e in events if isinstance(t := getattr(e, "time", None), int) and t > 0]
        self._publish(venue, events, max(times) if times else self.clock.now_ms())

    def _publish(self, venue: MarketKind, events: list[EngineEvent], now: int) -> None:
        settlement = self.exchange.futures.get(venue)
        if settlement is not None and events:
            events = settlement.settle(events, now)
        self.publisher.on_events(venue, events, now)
        if venue == "spot":
            self.user_data.on_events(events)
        else:
            self.futures_user_data.on_events(venue, events, now)

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
        """Execute a synthetic public liquidation on a futures venue and publish ``forceOrder``."""
        liq, events = self.exchange.engine(venue).liquidate(symbol, side, quantity)
        self.publish(venue, events)
        return liq

    def liquidate_account(
        self, api_key: str, symbol: str, *, venue: MarketKind = "usdm"
    ) -> dict[str, Any]:
        """Force-liquidate the position of ``api_key``'s account on ``symbol`` (``POST
        /_mock/liquidate {"symbol","apiKey"}``): MARGIN_CALL, then the engine closes it.

        Raises:
            ValueError: unknown key, venue or symbol, or no open position on ``symbol``.
        """
        try:
            account = self.accounts.of_key(api_key)
        except KeyError:
            raise ValueError("no account has that apiKey") from None
        settlement = self.exchange.futures.get(venue)
        if settlement is None:
            raise ValueError(f"unknown futures venue {venue!r}")
        try:
            market = settlement.engine.market(symbol)
        except ExchangeError:
            raise ValueError(f"unknown {venue} symbol {symbol!r}") from None
        fa = futures_account(account, venue)
        if not fa.open_positions(symbol):
            raise ValueError(f"the account has no open {symbol} position")
        now = self.clock.now_ms()
        events = liquidate(settlement, fa, market, now, call=True)
        self._publish(venue, events, now)
        liqs = [e for e in events if isinstance(e, Liquidation)]
        return {
            "status": liqs[-1].status if liqs else "FILLED",
            "filled": decimal_text(sum((e.filled for e in liqs), Decimal(0))),
            "orderIds": fa.force_orders[-len(liqs) :] if liqs else [],
        }

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
            "coinmBalances": account.futures["coinm"].view(),
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

    def open_orders_view(self, owner: AccountId) -> list[dict[str, Any]]:
        """Return the open spot orders of an account, as ``GET /api/v3/openOrders`` shows them."""
        engine = self.exchange.engine("spot")
        return [query_shape(engine.market(r.symbol), r) for r in engine.orders.open_orders(owner)]

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
        venue: MarketKind = "spot"
        if wallet in ("futures", "usdm"):
            venue = "usdm"
        elif wallet == "coinm":
            venue = "coinm"
        self.publish(venue, events)
        held = account.wallet(wallet).balance(asset.upper())
        return {
            "apiKey": api_key,
            "asset": asset.upper(),
            "amount": decimal_text(value),
            "wallet": wallet,
            "balance": {"free": decimal_text(held.free), "locked": decimal_text(held.locked)},
        }

    # -- margin reference data --------------------------------------------------------------

    def set_borrow_rate(self, asset: str, daily: Any) -> dict[str, Any]:
        """Set ``asset``'s daily margin interest rate.

        Raises:
            ValueError: a malformed rate.
        """
        rate = parse_amount(daily, "dailyInterestRate")
        self.accounts.margin.set_rate(asset, rate)
        return {"asset": asset.upper(), "dailyInterestRate": decimal_text(rate)}

    def force_liquidation(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Record a forced liquidation of the key's margin account (``forceLiquidationRec``).

        Raises:
            ValueError: unknown key or malformed values.
        """
        try:
            account = self.accounts.of_key(str(record["apiKey"]))
        except KeyError:
            raise ValueError("no account has that apiKey") from None
        price = parse_amount(record["price"], "price")
        qty = parse_amount(record["qty"], "qty")
        row = {
            "avgPrice": decimal_text(price),
            "executedQty": decimal_text(qty),
            "price": decimal_text(price),
            "qty": decimal_text(qty),
            "side": str(record["side"]),
            "symbol": str(record["symbol"]).upper(),
            "timeInForce": "IOC",
            "isIsolated": bool(record.get("isIsolated", False)),
            "updatedTime": self.clock.now_ms(),
        }
        return self.accounts.margin.record_liquidation(account.id, row)

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
        """Run everything due at ``now``: activity, user data, funding, futures triggers,
        expiries and margins, periodic streams, connection rules.

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
            return lambda: self._publish(venue, activity.run_until(now), now)

        def funding() -> None:
            for venue, events in self.exchange.settle_funding(now).items():
                self._publish(venue, events, now)

        def futures(venue: MarketKind, settlement: Any) -> Callable[[], None]:
            def run() -> None:
                run_triggers(self.exchange, venue, now, self.publish)
                expired = settlement.expire_due(now)
                if expired:
                    self._publish(venue, expired, now)
                risk = check_margins(settlement, now)
                if risk:
                    self._publish(venue, risk, now)

            return run

        def rules(conn: WsConnection) -> Callable[[], None]:
            return lambda: conn.on_clock(now)

        return [
            *(activity(venue, a) for venue, a in self.activities.items()),
            lambda: self.user_data.on_clock(now),
            lambda: self.exchange.on_clock(prev, now),
            funding,
            *(futures(venue, s) for venue, s in self.exchange.futures.items()),
            lambda: self.futures_user_data.on_clock(now),
            lambda: self.publisher.on_tick(prev, now),
            *(rules(conn) for conn in self.registry.all()),
        ]
