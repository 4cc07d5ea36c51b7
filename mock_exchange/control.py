"""The control vocabulary: one table of the actions that drive a running emulator.

Every way of controlling the emulator reads :data:`CONTROL_ACTIONS`:

- the HTTP control API (``/_mock/<path>``, :mod:`mock_exchange.control_http`) finds the row by
  its HTTP method and path and turns the JSON body into the action's value;
- the Python API (:meth:`MockExchange.act <mock_exchange.emulator.Emulator.act>`) runs a row by
  name; the named methods (``add_fault``, ``set_rate``, ``push``...) are what rows call;
- ``python -m mock_exchange serve --scenario`` (:mod:`mock_exchange.script`) and the scenario
  runner's targets play a scenario's ``emulator:`` actions through the same rows (embedded:
  :meth:`~mock_exchange.emulator.Emulator.act`; at a URL: :meth:`ControlAction.request`);
- ``scenarios/schema.json`` ``$defs.emulatorAction`` is :func:`action_schema` (a test keeps the
  file equal to it).

A script action is a mapping with one key, ``{advance_clock: 1000}``; :func:`check_action` is the
one validator for it (``scenarios validate``, ``scenarios run`` and ``serve --scenario`` call it).
It checks the action's name and shape; values inside a pushed frame or a fault's options may be
templates and are checked when the action runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol
from urllib.parse import quote, unquote

from .control_accounts import (
    ACCOUNT_SCHEMA,
    BORROW_RATE_SCHEMA,
    DEPOSIT_SCHEMA,
    LIQUIDATION_SCHEMA,
    check_account,
    check_borrow_rate,
    check_deposit,
    check_liquidation,
)
from .control_values import (
    LIQUIDATE_SCHEMA,
    MAX_RATE,
    ORDER_SCHEMA,
    check_clock,
    check_fault_value,
    check_liquidate,
    check_push,
    check_reset,
    no_value_check,
    number_check,
    schema_check,
)
from .engine.book import Side
from .engine.clock import MAX_TIME_MS, ControlledClock
from .engine.core import Liquidation, OrderResult
from .engine.markets import MarketKind
from .faults import FAULT_KINDS, Control, Fault

__all__ = [
    "CONTROL_ACTIONS",
    "SCRIPT_ACTIONS",
    "ControlAction",
    "Controllable",
    "HttpRoute",
    "action_schema",
    "check_action",
    "find_http",
]


class Controllable(Protocol):
    """What the control actions need from an emulator (``MockExchange`` provides it)."""

    @property
    def clock(self) -> ControlledClock: ...
    @property
    def control(self) -> Control: ...
    @property
    def seed(self) -> int: ...
    @property
    def rate(self) -> float: ...

    def reset(
        self,
        seed: int | None = None,
        *,
        rate: float | None = None,
        clock: Mapping[str, Any] | None = None,
    ) -> None: ...
    def set_rate(self, rate: float) -> None: ...
    def add_fault(self, kind: str, **options: Any) -> Fault: ...
    def push(self, frame: Any, *, stream: str | None = None) -> int: ...
    def server_shutdown(self) -> int: ...
    def place_order(
        self, symbol: str, side: Side, order_type: Any, *, venue: MarketKind = ..., **kw: Any
    ) -> OrderResult: ...
    def liquidate(
        self, symbol: str, side: Side, quantity: Decimal, *, venue: MarketKind = ...
    ) -> Liquidation: ...
    def liquidate_account(
        self, api_key: str, symbol: str, *, venue: MarketKind = ...
    ) -> dict[str, Any]: ...
    def add_account(
        self, spec: Mapping[str, Any] | None = None, **fields: Any
    ) -> dict[str, Any]: ...
    def account_state(self, api_key: str) -> dict[str, Any]: ...
    def set_borrow_rate(self, asset: str, daily: Any) -> dict[str, Any]: ...
    def force_liquidation(self, record: Mapping[str, Any]) -> dict[str, Any]: ...
    def deposit(
        self, api_key: str, asset: str, amount: Any, wallet: str = ...
    ) -> dict[str, Any]: ...


@dataclass(frozen=True)
class HttpRoute:
    """One ``/_mock/`` route of an action: method, path, and how the JSON body gives the value.

    A path segment written ``{name}`` (``accounts/{apiKey}/deposit``) matches any one segment;
    its text joins the body under ``name`` before ``value`` reads it.
    """

    method: str
    path: str
    value: Callable[[dict[str, Any]], Any]

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """Return the path parameters when ``METHOD path`` is this route, else None."""
        if method != self.method:
            return None
        want, got = self.path.split("/"), path.split("/")
        if len(want) != len(got):
            return None
        params: dict[str, str] = {}
        for pattern, text in zip(want, got, strict=True):
            if pattern.startswith("{") and pattern.endswith("}"):
                if not text:
                    return None
                params[pattern[1:-1]] = unquote(text)
            elif pattern != text:
                return None
        return params

    def fill(self, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Return (path with its ``{name}`` segments from ``body``, the rest of the body)."""
        rest = dict(body)
        parts = []
        for pattern in self.path.split("/"):
            if pattern.startswith("{") and pattern.endswith("}"):
                parts.append(quote(str(rest.pop(pattern[1:-1])), safe=""))
            else:
                parts.append(pattern)
        return "/".join(parts), rest


@dataclass(frozen=True)
class ControlAction:
    """One control action.

    Attributes:
        name: the name in scripts and :meth:`~mock_exchange.emulator.Emulator.act`.
        doc: what it does (one line).
        run: perform it on an emulator with a checked value; return the JSON result.
        http: its ``/_mock/`` routes.
        body: the JSON body of a request performing it with a given value (the inverse of
            the routes' ``value``).
        check: validate and normalise a script value (raises ValueError); None for the
            read-only actions, which scripts cannot use.
        schema: the JSON Schema of a script value (None for read-only actions).
    """

    name: str
    doc: str
    run: Callable[[Controllable, Any], Any]
    http: tuple[HttpRoute, ...]
    body: Callable[[Any], dict[str, Any]]
    check: Callable[[Any], Any] | None = None
    schema: dict[str, Any] | None = None

    def request(self, value: Any) -> tuple[str, str, dict[str, Any]]:
        """Return (HTTP method, ``/_mock/`` path, JSON body) that performs this action.

        The route is the one whose decoding of the body gives ``value`` back (``clock:
        freeze`` is ``POST clock/freeze``); used to drive an emulator at a URL.
        """
        body = self.body(value)
        for route in self.http:
            if route.value(body) == value:
                path, rest = route.fill(body)
                return route.method, path, rest
        raise ValueError(f"{self.name}: no control route for {value!r}")


# -- what each action does -------------------------------------------------------------------


def _reset(mx: Controllable, value: dict[str, Any]) -> dict[str, Any]:
    mx.reset(value.get("seed"), rate=value.get("rate"), clock=value.get("clock"))
    return {"seed": mx.seed, "rate": mx.rate, "now": mx.clock.now_ms(), "frozen": mx.clock.frozen}


def _clock(mx: Controllable, op: str) -> dict[str, Any]:
    return {"now": mx.clock.freeze() if op == "freeze" else mx.clock.resume()}


def _rate(mx: Controllable, rate: float) -> dict[str, Any]:
    mx.set_rate(float(rate))
    return {"rate": mx.rate}


def _clear_faults(mx: Controllable, _value: None) -> dict[str, Any]:
    mx.control.clear_faults()
    return {"faults": []}


def _clear_journal(mx: Controllable, _value: None) -> dict[str, Any]:
    mx.control.clear_journal()
    return {"entries": []}


def _order(mx: Controllable, body: dict[str, Any]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for name in ("quantity", "price", "quote_qty"):
        if body.get(name) is not None:
            kwargs[name] = Decimal(str(body[name]))
    if "time_in_force" in body:
        kwargs["time_in_force"] = body["time_in_force"]
    res = mx.place_order(
        str(body["symbol"]).upper(),
        body["side"],
        body.get("type", "LIMIT"),
        venue=body.get("venue", "spot"),
        **kwargs,
    )
    return {"orderId": res.order_id, "status": res.status, "executedQty": str(res.executed_qty)}


def _liquidate(mx: Controllable, body: dict[str, Any]) -> dict[str, Any]:
    if body.get("apiKey") is not None:
        return mx.liquidate_account(
            str(body["apiKey"]), str(body["symbol"]).upper(), venue=body.get("venue", "usdm")
        )
    liq = mx.liquidate(
        str(body["symbol"]).upper(),
        body["side"],
        Decimal(str(body["quantity"])),
        venue=body.get("venue", "usdm"),
    )
    return {"status": liq.status, "filled": str(liq.filled)}


def _deposit(mx: Controllable, v: dict[str, Any]) -> dict[str, Any]:
    return mx.deposit(v["apiKey"], v["asset"], v["amount"], v.get("wallet", "spot"))


def _body(body: dict[str, Any]) -> dict[str, Any]:
    return body


def _none(_body: dict[str, Any]) -> None:
    return None


def _empty(_value: Any) -> dict[str, Any]:
    return {}


_NO_VALUE: dict[str, Any] = {"type": ["object", "null"], "maxProperties": 0}


def _schema(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "description": description}


_ROWS: tuple[ControlAction, ...] = (
    ControlAction(
        "reset",
        "Rebuild the market from a seed (default: the current seed); clear faults, bans and "
        "journal; with rate and clock, also set the activity and restart the clock there "
        "(clock: {} = running at wall time)",
        _reset,
        (HttpRoute("POST", "reset", check_reset),),
        dict,
        check_reset,
        {
            "type": ["integer", "null", "object"],
            "properties": {
                "seed": {"type": ["integer", "null"]},
                "rate": {"type": "number", "minimum": 0, "maximum": MAX_RATE},
                "clock": {
                    "type": "object",
                    "properties": {
                        "frozen": {"type": "boolean"},
                        "start_ms": {"type": "integer", "minimum": 0, "maximum": MAX_TIME_MS},
                    },
                    "additionalProperties": False,
                },
            },
            "additionalProperties": False,
        },
    ),
    ControlAction(
        "clock_state",
        "Read the clock: now (ms) and whether it is frozen",
        lambda mx, _v: {"now": mx.clock.now_ms(), "frozen": mx.clock.frozen},
        (HttpRoute("GET", "clock", _none),),
        _empty,
    ),
    ControlAction(
        "advance_clock",
        "Move the virtual clock forward, ms",
        lambda mx, ms: {"now": mx.clock.advance(int(ms))},
        (HttpRoute("POST", "clock/advance", lambda b: b.get("ms")),),
        lambda ms: {"ms": ms},
        number_check("advance_clock", integer=True, maximum=MAX_TIME_MS),
        {"type": "integer", "minimum": 0, "maximum": MAX_TIME_MS},
    ),
    ControlAction(
        "clock",
        "Freeze or resume the virtual clock",
        _clock,
        (
            HttpRoute("POST", "clock/freeze", lambda _b: "freeze"),
            HttpRoute("POST", "clock/resume", lambda _b: "resume"),
        ),
        _empty,
        check_clock,
        {"enum": ["freeze", "resume"]},
    ),
    ControlAction(
        "rate",
        "Background orders per second",
        _rate,
        (HttpRoute("POST", "rate", lambda b: b.get("rate")),),
        lambda rate: {"rate": rate},
        number_check("rate", maximum=MAX_RATE),
        {"type": "number", "minimum": 0, "maximum": MAX_RATE},
    ),
    ControlAction(
        "fault",
        "Inject a fault (kinds: " + ", ".join(FAULT_KINDS) + ")",
        lambda mx, v: mx.add_fault(**v).to_dict(),
        (HttpRoute("POST", "faults", _body),),
        dict,
        check_fault_value,
        {
            "type": "object",
            "required": ["kind"],
            "properties": {
                "kind": {
                    "type": "string",
                    "description": "One of the emulator's fault kinds (checked when the "
                    "scenario is validated or run)",
                },
                "method": {
                    "type": "string",
                    "description": "Control method it applies to (SUBSCRIBE...)",
                },
                "count": {
                    "type": "integer",
                    "minimum": -1,
                    "not": {"const": 0},
                    "description": "Times it fires (-1 = until cleared)",
                },
                "delay_ms": {"type": "integer", "minimum": 0, "maximum": 86_400_000},
                "code": {"type": "integer"},
                "msg": {"type": "string"},
                "close_code": {"type": "integer", "minimum": 1000, "maximum": 4999},
                "stream": {"type": "string"},
                "symbol": {"type": "string"},
                "venue": {"enum": ["spot", "usdm", "coinm"]},
            },
            "additionalProperties": False,
        },
    ),
    ControlAction(
        "clear_faults",
        "Drop every queued fault",
        _clear_faults,
        (HttpRoute("DELETE", "faults", _none),),
        _empty,
        no_value_check("clear_faults"),
        _NO_VALUE,
    ),
    ControlAction(
        "faults",
        "List the queued faults",
        lambda mx, _v: {"faults": [f.to_dict() for f in mx.control.faults]},
        (HttpRoute("GET", "faults", _none),),
        _empty,
    ),
    ControlAction(
        "push",
        "Push a frame to stream connections; values may be templates ($int, $decimal, "
        "$choice, $seq, $now, $faker, $saved)",
        lambda mx, v: {"sent": mx.push(v["frame"], stream=v.get("stream"))},
        (HttpRoute("POST", "push", _body),),
        dict,
        check_push,
        {
            "type": "object",
            "required": ["frame"],
            "properties": {
                "frame": {
                    "description": "The frame (raw payload; with stream, each connection wraps "
                    "it in its own envelope)"
                },
                "stream": {
                    "type": "string",
                    "description": "Send only to connections subscribed to this stream",
                },
            },
            "additionalProperties": False,
        },
    ),
    ControlAction(
        "order",
        "Place an order in an engine and publish what it caused",
        _order,
        (HttpRoute("POST", "order", _body),),
        dict,
        schema_check("order", ORDER_SCHEMA),
        ORDER_SCHEMA,
    ),
    ControlAction(
        "liquidate",
        "Execute a liquidation on a futures venue and publish forceOrder: a synthetic public "
        "one (side, quantity), or with apiKey the account's position (MARGIN_CALL, then the "
        "engine closes it: ORDER_TRADE_UPDATE o=LIQUIDATION, forceOrders history)",
        _liquidate,
        (HttpRoute("POST", "liquidate", _body),),
        dict,
        check_liquidate,
        LIQUIDATE_SCHEMA,
    ),
    ControlAction(
        "shutdown",
        "Send serverShutdown to every connection",
        lambda mx, _v: {"sent": mx.server_shutdown()},
        (HttpRoute("POST", "shutdown", _none),),
        _empty,
        no_value_check("shutdown"),
        _NO_VALUE,
    ),
    ControlAction(
        "account",
        "Register an API key (HMAC secret, or RSA/Ed25519 publicKey PEM) with its account, "
        "balances and permissions; 'account' adds the key to an existing uid",
        lambda mx, v: mx.add_account(v),
        (HttpRoute("POST", "accounts", _body),),
        dict,
        check_account,
        ACCOUNT_SCHEMA,
    ),
    ControlAction(
        "account_state",
        "Read an account by one of its API keys: balances, futures balances, open orders",
        lambda mx, key: mx.account_state(str(key)),
        (HttpRoute("GET", "accounts/{apiKey}", lambda b: b["apiKey"]),),
        lambda key: {"apiKey": key},
    ),
    ControlAction(
        "deposit",
        "Credit a wallet (spot, usdm/futures, coinm) and send the user-data events Binance would",
        _deposit,
        (HttpRoute("POST", "accounts/{apiKey}/deposit", _body),),
        dict,
        check_deposit,
        DEPOSIT_SCHEMA,
    ),
    ControlAction(
        "borrow_rate",
        "Set an asset's daily margin interest rate (the borrow-rate endpoints read it)",
        lambda mx, v: mx.set_borrow_rate(v["asset"], v["dailyInterestRate"]),
        (HttpRoute("POST", "margin/borrowRate", _body),),
        dict,
        check_borrow_rate,
        BORROW_RATE_SCHEMA,
    ),
    ControlAction(
        "force_liquidation",
        "Record a margin forced liquidation of an account (forceLiquidationRec lists it)",
        lambda mx, v: mx.force_liquidation(v),
        (HttpRoute("POST", "margin/forceLiquidation", _body),),
        dict,
        check_liquidation,
        LIQUIDATION_SCHEMA,
    ),
    ControlAction(
        "journal",
        "List what clients sent (WebSocket frames and REST request lines), secrets redacted",
        lambda mx, _v: {"entries": [e.to_dict() for e in mx.control.journal]},
        (HttpRoute("GET", "journal", _none),),
        _empty,
    ),
    ControlAction(
        "clear_journal",
        "Forget every journal entry",
        _clear_journal,
        (HttpRoute("DELETE", "journal", _none),),
        _empty,
        no_value_check("clear_journal"),
        _NO_VALUE,
    ),
)

CONTROL_ACTIONS: dict[str, ControlAction] = {row.name: row for row in _ROWS}
SCRIPT_ACTIONS: tuple[str, ...] = tuple(r.name for r in _ROWS if r.check is not None)


def check_action(action: Any) -> tuple[str, Any]:
    """Check one script action ``{name: value}``; return (name, checked value).

    Raises:
        ValueError: not a one-key mapping, an unknown or read-only action, or a malformed
            value (the message names the action: ``fault: unknown fault kind 'x' ...``).
    """
    if not isinstance(action, Mapping) or len(action) != 1:
        raise ValueError("an action is a mapping with exactly one key")
    ((name, value),) = action.items()
    row = CONTROL_ACTIONS.get(name)
    if row is None or row.check is None:
        raise ValueError(f"unknown action {name!r}; expected one of {SCRIPT_ACTIONS}")
    return name, row.check(value)


def find_http(method: str, path: str) -> tuple[ControlAction, HttpRoute, dict[str, str]]:
    """Return the action and route serving ``METHOD /_mock/path``, and its path parameters.

    Raises:
        ValueError: unknown operation (the message lists the known ones).
    """
    path = path.strip("/")
    for row in _ROWS:
        for route in row.http:
            params = route.match(method, path)
            if params is not None:
                return row, route, params
    known = ", ".join(f"{r.method} /_mock/{r.path}" for row in _ROWS for r in row.http)
    raise ValueError(f"unknown control operation {method} /_mock/{path}; known: {known}")


def action_schema() -> dict[str, Any]:
    """Return the JSON Schema of one script action (``$defs.emulatorAction``)."""
    properties: dict[str, Any] = {}
    for row in _ROWS:
        if row.schema is not None:
            properties[row.name] = _schema(row.doc, row.schema)
    return {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "maxProperties": 1,
        "description": "One emulator action (offline only)",
        "properties": properties,
    }
