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
    KEY_REF,
    LIQUIDATION_SCHEMA,
    check_account,
    check_borrow_rate,
    check_deposit,
    check_liquidation,
)
from .engine.book import Side
from .engine.clock import ControlledClock
from .engine.core import Liquidation, OrderResult
from .engine.markets import MarketKind
from .faults import FAULT_KINDS, Control, Fault, check_fault

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

    def reset(self, seed: int | None = None) -> None: ...
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


# -- value checks (one per script action) ----------------------------------------------------


def _number(name: str, *, integer: bool = False) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        kinds = int if integer else int | float
        if isinstance(value, bool) or not isinstance(value, kinds) or value < 0:
            raise ValueError(f"{name} needs a number >= 0")
        return value

    return check


def _mapping(name: str, required: tuple[str, ...]) -> Callable[[Any], dict[str, Any]]:
    def check(value: Any) -> dict[str, Any]:
        if not isinstance(value, Mapping) or any(k not in value for k in required):
            needs = " and ".join(repr(k) for k in required)
            raise ValueError(f"{name} needs a mapping with {needs}")
        return dict(value)

    return check


def _nothing(name: str) -> Callable[[Any], None]:
    def check(value: Any) -> None:
        if value not in (None, {}):
            raise ValueError(f"{name} takes no value (write {{{name}: {{}}}})")

    return check


def _check_seed(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("reset needs an integer seed (or nothing)")
    return value


def _check_clock(value: Any) -> str:
    if value not in ("freeze", "resume"):
        raise ValueError(f"clock needs 'freeze' or 'resume', not {value!r}")
    return str(value)


def _check_fault(value: Any) -> dict[str, Any]:
    fault = _mapping("fault", ("kind",))(value)
    check_fault(fault["kind"], {k: v for k, v in fault.items() if k != "kind"})
    return fault


def _check_push(value: Any) -> dict[str, Any]:
    push = _mapping("push", ("frame",))(value)
    unknown = set(push) - {"frame", "stream"}
    if unknown:
        raise ValueError(f"push takes frame and stream, not {sorted(unknown)}")
    if push.get("stream") is not None and not isinstance(push["stream"], str):
        raise ValueError("push: stream must be a stream name")
    return push


# -- what each action does -------------------------------------------------------------------


def _reset(mx: Controllable, seed: int | None) -> dict[str, Any]:
    mx.reset(seed)
    return {"seed": mx.seed}


def _clock(mx: Controllable, op: str) -> dict[str, Any]:
    return {"now": mx.clock.freeze() if op == "freeze" else mx.clock.resume()}


def _rate(mx: Controllable, rate: float) -> dict[str, Any]:
    mx.set_rate(float(rate))
    return {"rate": mx.rate}


def _clear_faults(mx: Controllable, _value: None) -> dict[str, Any]:
    mx.control.clear_faults()
    return {"faults": []}


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


def _check_liquidate(value: Any) -> dict[str, Any]:
    body = _mapping("liquidate", ("symbol",))(value)
    if body.get("apiKey") is None and any(k not in body for k in ("side", "quantity")):
        raise ValueError("liquidate needs 'side' and 'quantity' (or 'apiKey' for an account)")
    return body


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
# a decimal amount; in a scenario it may be a template the runner renders first
_AMOUNT: dict[str, Any] = {
    "type": ["string", "number", "object"],
    "description": "A decimal (in a scenario also a template: {$saved: book.asks.0.1})",
}


def _schema(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "description": description}


_ROWS: tuple[ControlAction, ...] = (
    ControlAction(
        "reset",
        "Rebuild the market from a seed (default: the current seed) and clear the faults",
        _reset,
        (HttpRoute("POST", "reset", lambda b: b.get("seed")),),
        lambda seed: {"seed": seed},
        _check_seed,
        {"type": ["integer", "null"]},
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
        (HttpRoute("POST", "clock/advance", lambda b: int(b["ms"])),),
        lambda ms: {"ms": ms},
        _number("advance_clock", integer=True),
        {"type": "integer", "minimum": 0},
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
        _check_clock,
        {"enum": ["freeze", "resume"]},
    ),
    ControlAction(
        "rate",
        "Background orders per second",
        _rate,
        (HttpRoute("POST", "rate", lambda b: float(b["rate"])),),
        lambda rate: {"rate": rate},
        _number("rate"),
        {"type": "number", "minimum": 0},
    ),
    ControlAction(
        "fault",
        "Inject a fault (kinds: " + ", ".join(FAULT_KINDS) + ")",
        lambda mx, v: mx.add_fault(**v).to_dict(),
        (HttpRoute("POST", "faults", _body),),
        dict,
        _check_fault,
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
                "count": {"type": "integer", "description": "Times it fires (-1 = until cleared)"},
                "delay_ms": {"type": "integer", "minimum": 0},
                "code": {"type": "integer"},
                "msg": {"type": "string"},
                "close_code": {"type": "integer"},
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
        _nothing("clear_faults"),
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
        _check_push,
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
        _mapping("order", ("symbol", "side")),
        {
            "type": "object",
            "required": ["symbol", "side"],
            "properties": {
                "symbol": {"type": "string"},
                "side": {"enum": ["BUY", "SELL"]},
                "type": {"enum": ["LIMIT", "MARKET", "LIMIT_MAKER"]},
                "quantity": _AMOUNT,
                "price": _AMOUNT,
                "quote_qty": _AMOUNT,
                "time_in_force": {"enum": ["GTC", "IOC", "FOK"]},
                "venue": {"enum": ["spot", "usdm", "coinm"]},
            },
            "additionalProperties": False,
        },
    ),
    ControlAction(
        "liquidate",
        "Execute a liquidation on a futures venue and publish forceOrder: a synthetic public "
        "one (side, quantity), or with apiKey the account's position (MARGIN_CALL, then the "
        "engine closes it: ORDER_TRADE_UPDATE o=LIQUIDATION, forceOrders history)",
        _liquidate,
        (HttpRoute("POST", "liquidate", _body),),
        dict,
        _check_liquidate,
        {
            "type": "object",
            "required": ["symbol"],
            "properties": {
                "symbol": {"type": "string"},
                "apiKey": KEY_REF,
                "side": {"enum": ["BUY", "SELL"]},
                "quantity": _AMOUNT,
                "venue": {"enum": ["usdm", "coinm"]},
            },
            "additionalProperties": False,
        },
    ),
    ControlAction(
        "shutdown",
        "Send serverShutdown to every connection",
        lambda mx, _v: {"sent": mx.server_shutdown()},
        (HttpRoute("POST", "shutdown", _none),),
        _empty,
        _nothing("shutdown"),
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
