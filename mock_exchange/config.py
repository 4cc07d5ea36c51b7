"""Emulator settings (:class:`ServerConfig`) and the scenario ``setup`` vocabulary that sets them.

A scenario's ``setup`` (``seed``, ``rate``, ``clock: {frozen, start_ms}`` or ``frozen_clock``,
``markets``, ``only_markets``, ``server``; ``account`` and ``accounts`` are checked here but
their keys are generated each time the scenario is played, :mod:`~mock_exchange.setup_accounts`)
is read by one function, :func:`config_from_setup`, whichever way the scenario is played:
``python -m mock_exchange serve --scenario``, the scenario runner's embedded emulator, or
``python -m scenarios validate`` (through :func:`check_setup`). :data:`SETUP_SCHEMA` is the
JSON Schema of that vocabulary; the copy in ``scenarios/schema.json`` is checked against it by
a test.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from .engine.clock import MAX_TIME_MS
from .engine.markets import ALL_DEFAULT_MARKETS, Market, markets_from_config
from .setup_accounts import SETUP_ACCOUNT_SCHEMA, check_setup_accounts
from .transports.rules import FUTURES_RULES, SPOT_RULES, ConnectionRules, RulesFamily

__all__ = [
    "DEFAULT_RATE",
    "DEMO_ACCOUNT",
    "SERVER_SETTINGS",
    "SETUP_SCHEMA",
    "ServerConfig",
    "check_setup",
    "config_from_setup",
]


# Background actions per second of a main symbol (a market with activity 1): enough for a
# depth@100ms update in ~99 % of windows and ~30 trades a second (docs/emulator.md).
DEFAULT_RATE = 50.0
# ``python -m mock_exchange serve`` registers this account unless --no-demo-account is given,
# so a newcomer can trade at once (docs/emulator.md "Accounts").
DEMO_ACCOUNT: dict[str, Any] = {
    "apiKey": "mockDemoApiKey0000000000000000000000000000000000000000000000001",
    "secret": "mockDemoSecret0000000000000000000000000000000000000000000000001",
    "balances": {"USDT": "10000", "BTC": "1", "ETH": "10", "BNB": "10"},
    "futuresBalances": {"USDT": "10000"},
}


@dataclass
class ServerConfig:
    """Emulator settings that a scenario or the CLI may change."""

    seed: int = 0
    rate: float = DEFAULT_RATE
    frozen_clock: bool = False
    start_ms: int | None = None
    markets: list[Market] = field(default_factory=lambda: list(ALL_DEFAULT_MARKETS))
    warmup_ms: int = 2_000  # live flow replayed after the synthetic history, before serving
    max_frame_bytes: int = 1 << 20
    spot_rules: ConnectionRules = SPOT_RULES
    futures_rules: ConnectionRules = FUTURES_RULES
    rate_limits: bool = True
    liquidation_share: float = 0.02  # share of futures taker actions that are liquidations
    handshake_timeout_s: float = 10.0  # wall time a new connection has to send its first request
    # accounts registered at start (the account contract's JSON, as POST /_mock/accounts takes)
    accounts: list[dict[str, Any]] = field(default_factory=list)
    # daily margin interest rates by asset (the defaults cover BTC, ETH, BNB, USDT, USDC)
    borrow_rates: dict[str, str] = field(default_factory=dict)

    def rules_for(self, family: RulesFamily) -> ConnectionRules:
        """Return the connection rules of a venue family (``spot`` or ``futures``)."""
        return {"spot": self.spot_rules, "futures": self.futures_rules}[family]


_SCALARS = {"int": int, "float": float, "bool": bool, "str": str, "int | None": int}
# ``setup.server`` may set the plain-valued fields the other setup keys do not cover.
SERVER_SETTINGS: dict[str, type] = {
    f.name: _SCALARS[str(f.type)]
    for f in fields(ServerConfig)
    if str(f.type) in _SCALARS and f.name not in ("seed", "rate", "frozen_clock", "start_ms")
}

SETUP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "description": "Emulator set-up (ignored on live targets)",
    "properties": {
        "seed": {"type": "integer", "description": "Seed of the emulator's random generator"},
        "rate": {
            "type": "number",
            "minimum": 0,
            "description": "Background orders per second (0 = fully scripted market)",
        },
        "frozen_clock": {
            "type": "boolean",
            "description": "Start with the virtual clock frozen (shorthand for clock.frozen)",
        },
        "clock": {
            "type": "object",
            "additionalProperties": False,
            "description": "The emulator's virtual clock",
            "properties": {
                "frozen": {"type": "boolean", "description": "Time moves only by advance_clock"},
                "start_ms": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": MAX_TIME_MS,
                    "description": "Start time, ms since the epoch",
                },
            },
        },
        "markets": {
            "type": "array",
            "description": "Markets to override or add (snake_case fields of "
            "mock_exchange.Market, e.g. symbol, base, quote, initial_price, tick_size)",
            "items": {
                "type": "object",
                "required": ["symbol"],
                "properties": {"symbol": {"type": "string"}},
            },
        },
        "only_markets": {
            "type": "boolean",
            "description": "Serve only the listed markets instead of extending the defaults",
        },
        "server": {
            "type": "object",
            "description": "Other mock_exchange.ServerConfig fields for the embedded emulator "
            "(e.g. liquidation_share, warmup_ms)",
            "additionalProperties": {"type": ["number", "integer", "boolean", "string"]},
        },
        "account": {
            **SETUP_ACCOUNT_SCHEMA,
            "description": "The account the scenario's client uses: a key the emulator "
            "generates (key_type), its balances and permissions. Live targets use the "
            "environment's own keys instead",
        },
        "accounts": {
            "type": "object",
            "description": "More accounts by name (not main), for steps that refer to them "
            "with {$account: NAME.apiKey}; emulator targets only",
            "propertyNames": {"pattern": "^[a-z][a-z0-9_]{0,31}$"},
            "additionalProperties": SETUP_ACCOUNT_SCHEMA,
        },
    },
}


def _is(value: Any, kind: type) -> bool:
    if kind is bool:
        return isinstance(value, bool)
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, kind) and not isinstance(value, bool)


def _need(ok: bool, key: str, what: str) -> None:
    if not ok:
        raise ValueError(f"setup.{key} must be {what}")


def _check_shape(setup: Mapping[str, Any]) -> None:
    unknown = set(setup) - set(SETUP_SCHEMA["properties"])
    if unknown:
        raise ValueError(f"setup: unknown keys {sorted(unknown)}")
    if "seed" in setup:
        _need(_is(setup["seed"], int), "seed", "an integer")
    if "rate" in setup:
        _need(_is(setup["rate"], float) and setup["rate"] >= 0, "rate", "a number >= 0")
    for key in ("frozen_clock", "only_markets"):
        if key in setup:
            _need(_is(setup[key], bool), key, "true or false")
    clock = setup.get("clock", {})
    _need(isinstance(clock, Mapping), "clock", "a mapping")
    unknown = set(clock) - {"frozen", "start_ms"}
    _need(not unknown, "clock", "a mapping of frozen and start_ms")
    if "frozen" in clock:
        _need(_is(clock["frozen"], bool), "clock.frozen", "true or false")
    if clock.get("start_ms") is not None:
        start = clock["start_ms"]
        ok = _is(start, int) and 0 <= start <= MAX_TIME_MS
        _need(ok, "clock.start_ms", f"an integer from 0 to {MAX_TIME_MS} (year 9999)")
    markets = setup.get("markets", [])
    entries_ok = isinstance(markets, list) and all(isinstance(e, Mapping) for e in markets)
    _need(entries_ok, "markets", "a list of entries")
    server = setup.get("server", {})
    _need(isinstance(server, Mapping), "server", "a mapping")
    for key, value in server.items():
        if key not in SERVER_SETTINGS:
            raise ValueError(f"setup.server: unknown emulator setting {key!r}")
        _need(_is(value, SERVER_SETTINGS[key]), f"server.{key}", SERVER_SETTINGS[key].__name__)
    check_setup_accounts(setup)


def config_from_setup(setup: Mapping[str, Any], config: ServerConfig | None = None) -> ServerConfig:
    """Return ``config`` (default: a new :class:`ServerConfig`) with ``setup`` applied.

    Only the keys present change the config, so a CLI's own settings stay unless the scenario
    names them. ``clock.frozen`` and ``frozen_clock`` are the same setting.

    Raises:
        ValueError: a key, value or market entry the emulator does not accept; the message
            names it (``setup.server: unknown emulator setting 'x'``).
    """
    _check_shape(setup)
    config = config or ServerConfig()
    if "seed" in setup:
        config.seed = int(setup["seed"])
    if "rate" in setup:
        config.rate = float(setup["rate"])
    clock = setup.get("clock", {})
    if "frozen" in clock or "frozen_clock" in setup:
        config.frozen_clock = bool(clock.get("frozen", setup.get("frozen_clock")))
    if clock.get("start_ms") is not None:
        config.start_ms = int(clock["start_ms"])
    for key, value in setup.get("server", {}).items():
        setattr(config, key, SERVER_SETTINGS[key](value))
    if "markets" in setup:
        entries = [dict(e) for e in setup["markets"]]
        config.markets = markets_from_config(entries, extend=not setup.get("only_markets", False))
    return config


def check_setup(setup: Mapping[str, Any]) -> None:
    """Check a scenario ``setup`` without starting anything (what ``validate`` runs).

    Raises:
        ValueError: as :func:`config_from_setup`.
    """
    config_from_setup(setup)
