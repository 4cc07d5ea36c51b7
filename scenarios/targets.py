"""Where a scenario runs: the embedded emulator, an emulator at a URL, a live environment, or a
live environment emulated (its hosts rewritten to an emulator by the URL rule).

A target opens a connected client and, offline, an :class:`EmulatorHandle` through which the
scenario's emulator script acts (Python calls for the embedded emulator, ``/_mock/`` HTTP
calls for one at a URL); both run the rows of the emulator's one control table
(:data:`mock_exchange.CONTROL_ACTIONS`), and ``setup`` is read by the emulator's own
:func:`mock_exchange.config_from_setup`. Live and emulated-live targets share one code path:
credentials are looked up per environment family, live gates are checked, emulator steps are
skipped.

Credentials, by environment (families never mix)::

    prod     BINANCE_PROD_API_KEY / BINANCE_PROD_API_SECRET
    testnet  BINANCE_TESTNET_API_KEY / BINANCE_TESTNET_API_SECRET
    demo     BINANCE_DEMO_API_KEY / BINANCE_DEMO_API_SECRET
    BINANCE_API_KEY / BINANCE_API_SECRET apply only to the environment BINANCE_ENV names.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp

import client
from mock_exchange import CONTROL_ACTIONS, MockExchange, ServerConfig, config_from_setup

from .accounts import (
    Account,
    emulated_environ,
    live_account,
    live_reason,
    provision,
    required_gates,
    wall_ms,
)
from .model import Scenario

__all__ = [
    "DEFAULT_TARGETS",
    "LIVE_TARGETS",
    "EmulatorHandle",
    "Opened",
    "Target",
    "credentials_for",
    "expand_targets",
    "gate_reason",
    "live_targets_from_env",
    "no_live_reason",
    "parse_target",
    "pro_env",
    "required_gates",
    "reset_for",
]

LIVE_TARGETS = ("testnet", "demo", "prod")
DEFAULT_TARGETS = ("emulator", "testnet@emulator")
NO_LIVE_ENV = (
    "no live environment configured: set BINANCE_PRO_ENV (prod, testnet, demo) or an "
    "environment's own BINANCE_{PROD,TESTNET,DEMO}_API_KEY and _API_SECRET"
)


class EmulatorHandle(Protocol):
    """What an emulator script can do to the emulator under test.

    ``act`` runs one action of the emulator's control table
    (:data:`mock_exchange.CONTROL_ACTIONS`: ``fault``, ``advance_clock``, ``clock``, ``rate``,
    ``push``, ...) and returns its JSON result.
    """

    async def act(self, name: str, value: Any) -> Any: ...
    def now_ms(self) -> int: ...


class _Embedded:
    def __init__(self, mx: MockExchange) -> None:
        self.mx = mx

    async def act(self, name: str, value: Any) -> Any:
        return self.mx.act(name, value)

    def now_ms(self) -> int:
        return self.mx.clock.now_ms()


class _Remote:
    def __init__(self, base_url: str, session: aiohttp.ClientSession) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session
        self._offset_ms = 0
        self._frozen_at: int | None = None  # the server's time while its clock is frozen

    async def call(self, method: str, op: str, body: dict[str, Any] | None = None) -> Any:
        async with self.session.request(method, f"{self.base_url}/_mock/{op}", json=body) as r:
            data = await r.json()
            if r.status != 200:
                raise RuntimeError(f"emulator control {method} /_mock/{op}: {data}")
            return data

    async def sync_clock(self) -> None:
        data = await self.act("clock_state", None)
        self._offset_ms = int(data["now"]) - int(time.time() * 1000)
        self._frozen_at = int(data["now"]) if data.get("frozen") else None

    async def act(self, name: str, value: Any) -> Any:
        action = CONTROL_ACTIONS.get(name)
        if action is None:
            raise ValueError(f"unknown emulator action {name!r}")
        if action.check is not None:
            value = action.check(value)
        result = await self.call(*action.request(value))
        if isinstance(result, dict) and "now" in result and name != "clock_state":
            await self.sync_clock()  # the action moved the clock
        return result

    def now_ms(self) -> int:
        if self._frozen_at is not None:
            return self._frozen_at
        return int(time.time() * 1000) + self._offset_ms


@dataclass
class Opened:
    """A target opened for one scenario: its client, endpoints, clock, emulator (offline) and
    the accounts it may sign with (``main`` is the client's)."""

    exchange: client.Binance
    endpoints: client.Endpoints
    emulator: EmulatorHandle | None
    now_ms: Callable[[], int]
    accounts: dict[str, Account] = field(default_factory=dict)


def credentials_for(env: str, environ: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """Return ``(key, secret)`` of ``env``'s own family, or None; never another family's."""
    environ = os.environ if environ is None else environ
    family = env.upper()
    key, secret = (
        environ.get(f"BINANCE_{family}_API_KEY"),
        environ.get(f"BINANCE_{family}_API_SECRET"),
    )
    if key and secret:
        return key, secret
    generic_env, _typo = _env_name(environ, "BINANCE_ENV")
    if generic_env == env:
        key, secret = environ.get("BINANCE_API_KEY"), environ.get("BINANCE_API_SECRET")
        if key and secret:
            return key, secret
    return None


def gate_reason(
    scenario: Scenario, env: str, environ: Mapping[str, str] | None = None
) -> str | None:
    """Return why ``scenario`` may not run on live environment ``env``, or None if it may.

    Keys: the environment's own family (a private key family counts), of the key type the
    scenario's ``setup.account`` names; then ``BINANCE_LIVE_ORDERS=1`` for order mutations and
    ``BINANCE_CONFIRM_CANCEL_ALL=1`` for cancel-all.
    """
    environ = os.environ if environ is None else environ
    gates = required_gates(scenario)
    keys = live_reason(scenario, env, environ)
    if keys:
        return keys
    if "live_orders" in gates and environ.get("BINANCE_LIVE_ORDERS") != "1":
        return "mutates orders: set BINANCE_LIVE_ORDERS=1 to allow live order mutations"
    if "cancel_all" in gates and environ.get("BINANCE_CONFIRM_CANCEL_ALL") != "1":
        return "cancels all open orders: set BINANCE_CONFIRM_CANCEL_ALL=1 to confirm"
    return None


@dataclass(frozen=True)
class Target:
    """A named place to run scenarios.

    ``kind`` is ``emulator`` (embedded, started per scenario on 127.0.0.1:0), ``url`` (a
    running emulator at ``base_url``), ``live`` (environment ``env``), ``emulated`` (the
    live path of ``env`` against an emulator: embedded, or at ``base_url``) or ``unset``
    (``live`` was asked for but the environment selects none: every scenario skips).
    """

    kind: str
    base_url: str | None = None
    env: str | None = None
    reason: str | None = None  # ``unset``: why no live environment was selected

    @property
    def name(self) -> str:
        """The target as the report shows it."""
        if self.kind == "url":
            return f"url={self.base_url}"
        if self.kind == "unset":
            return "live"
        if self.kind == "emulated":
            return f"{self.env}@{self.base_url or 'emulator'}"
        return self.env or self.kind

    @property
    def offline(self) -> bool:
        """True when the scenario's emulator script and exact values apply."""
        return self.kind in ("emulator", "url")

    @property
    def validity(self) -> str:
        """The name scenarios list in ``targets:`` (``emulator`` or a live environment)."""
        return "emulator" if self.offline else str(self.env)

    @property
    def answers_to(self) -> tuple[str, ...]:
        """Every ``targets:`` name that selects this target: ``emulator``; a live
        environment; for ``ENV@emulator`` both ``ENV`` and ``ENV@emulator``."""
        if self.kind == "emulated":
            return (str(self.env), f"{self.env}@emulator")
        return (self.validity,)

    def valid_for(self, scenario: Scenario) -> bool:
        """True when the scenario lists this target (emulator URLs count as ``emulator``)."""
        return any(name in scenario.targets for name in self.answers_to)

    def skip_reason(
        self, scenario: Scenario, environ: Mapping[str, str] | None = None
    ) -> str | None:
        """Return why the scenario does not run here (validity, live gates), or None."""
        if self.kind == "unset":
            return self.reason or NO_LIVE_ENV
        if not self.valid_for(scenario):
            return f"not valid on {self.validity} (targets: {', '.join(scenario.targets)})"
        if self.kind == "live":
            return gate_reason(scenario, str(self.env), environ)
        fixed = [k for k in _FIXED_AT_START if k in scenario.setup]
        if self.base_url is not None and fixed:
            return (
                f"setup.{fixed[0]} cannot be applied to a running emulator ({self.name}); "
                "the embedded emulator target plays it"
            )
        return None  # emulated: an emulator account plays the keys, nothing real is traded

    @contextlib.asynccontextmanager
    async def open(self, scenario: Scenario) -> AsyncIterator[Opened]:
        """Yield the opened target: client, endpoints, clock and, offline, the emulator."""
        if self.kind == "emulator":
            async with MockExchange(config=config_from_setup(scenario.setup)) as mx:
                embedded = _Embedded(mx)
                accounts = await provision(scenario, embedded.act)
                async with _client(accounts, base_url=mx.base_url) as ex:
                    yield Opened(ex, ex.endpoints, embedded, mx.clock.now_ms, accounts)
        elif self.kind == "url":
            assert self.base_url is not None
            async with aiohttp.ClientSession() as session:
                remote = _Remote(self.base_url, session)
                await remote.act("reset", reset_for(scenario.setup))
                await remote.sync_clock()
                accounts = await provision(scenario, remote.act)
                async with _client(accounts, base_url=self.base_url) as ex:
                    yield Opened(ex, ex.endpoints, remote, remote.now_ms, accounts)
        elif self.kind == "emulated":
            async with contextlib.AsyncExitStack() as stack:
                base_url = self.base_url
                handle: EmulatorHandle
                if base_url is None:
                    mx = await stack.enter_async_context(MockExchange(config=ServerConfig()))
                    base_url, handle = mx.base_url, _Embedded(mx)
                else:
                    session = await stack.enter_async_context(aiohttp.ClientSession())
                    handle = _Remote(base_url, session)
                made = await provision(scenario, handle.act)
                main = made.get("main")
                # the emulator account plays the environment's own key family, read back
                # through the credential lookup of the live path (never the real keys)
                environ = emulated_environ(str(self.env), main)
                mine = live_account(str(self.env), environ)
                accounts = {**made, "main": mine} if mine is not None else made
                ex = await stack.enter_async_context(self._live_client(mine, base_url))
                yield Opened(ex, ex.endpoints, None, wall_ms, accounts)
        else:
            main = live_account(str(self.env))
            accounts = {"main": main} if main is not None else {}
            async with self._live_client(main, None) as ex:
                yield Opened(ex, ex.endpoints, None, wall_ms, accounts)

    def _live_client(self, main: Account | None, base_url: str | None) -> client.Binance:
        env = "local" if base_url is not None else str(self.env)
        config = dict(main.config) if main is not None else {}
        return client.Binance(config, binance_env=env, base_url=base_url, mirror=self.env)


def reset_for(setup: Mapping[str, Any]) -> dict[str, Any]:
    """Return the ``reset`` value that gives a running emulator the state ``setup`` names.

    Everything a fresh embedded emulator would start with is restored, not only what the
    setup mentions: the seed, the rate, and the clock (frozen or running, at ``start_ms`` or
    the wall clock), with faults, bans and the journal cleared by the reset itself, so a
    scenario never inherits what an earlier one left on a shared server. ``markets`` and
    ``server`` settings cannot change on a running server: :meth:`Target.skip_reason` skips
    a scenario that names them there.
    """
    config = config_from_setup(setup)
    clock: dict[str, Any] = {"frozen": config.frozen_clock}
    if config.start_ms is not None:
        clock["start_ms"] = config.start_ms
    return {"seed": config.seed, "rate": config.rate, "clock": clock}


def _client(accounts: Mapping[str, Account], *, base_url: str) -> client.Binance:
    """A client of the local environment of ``base_url`` with the ``main`` account's key."""
    main = accounts.get("main")
    return client.Binance(dict(main.config) if main else {}, binance_env="local", base_url=base_url)


def _has_keys(env: str, environ: Mapping[str, str]) -> bool:
    """True when ``env``'s own family holds a key with a secret or a private key (one that
    cannot be read still selects the environment: its scenarios then skip saying why)."""
    try:
        return client.Credentials.from_env(env, environ).complete
    except client.AuthenticationError:
        return True


# setup keys a running server cannot take (reset_for restores the rest)
_FIXED_AT_START = ("markets", "only_markets", "server")

_ENV_ALIASES = {"sandbox": "testnet", "production": "prod"}


def _env_name(environ: Mapping[str, str], var: str) -> tuple[str, str | None]:
    """Return (environment or "", the typo when ``var`` names no live environment)."""
    raw = environ.get(var, "").strip()
    name = _ENV_ALIASES.get(raw.lower(), raw.lower())
    if raw and name not in LIVE_TARGETS:
        return "", (
            f"{var}={raw!r} is not a live environment (expected prod, testnet or demo; "
            "sandbox and production are aliases)"
        )
    return name, None


def pro_env(environ: Mapping[str, str] | None = None) -> str | None:
    """Return the live environment ``BINANCE_PRO_ENV`` names, or None when it is unset.

    Raises:
        ValueError: it is set to something that is not a live environment (the typo named).
    """
    environ = os.environ if environ is None else environ
    name, typo = _env_name(environ, "BINANCE_PRO_ENV")
    if typo:
        raise ValueError(typo)
    return name or None


def no_live_reason(environ: Mapping[str, str] | None = None) -> str:
    """Return why ``live`` selects nothing: the mistyped variable first, then what to set."""
    environ = os.environ if environ is None else environ
    typos = [t for var in ("BINANCE_PRO_ENV", "BINANCE_ENV") if (t := _env_name(environ, var)[1])]
    return "; ".join([*typos, NO_LIVE_ENV])


def live_targets_from_env(environ: Mapping[str, str] | None = None) -> list[Target]:
    """Return the live targets the environment selects: ``BINANCE_PRO_ENV`` and each
    environment whose own key family is set (in prod, testnet, demo order)."""
    environ = os.environ if environ is None else environ
    names: list[str] = []
    pro_env, _typo = _env_name(environ, "BINANCE_PRO_ENV")
    if pro_env:
        names.append(pro_env)
    for env in ("prod", "testnet", "demo"):
        if env not in names and _has_keys(env, environ):
            names.append(env)
    return [Target("live", env=n) for n in names]


def parse_target(text: str) -> Target:
    """Parse a target name.

    ``emulator``; ``url=http://127.0.0.1:PORT`` (or a bare URL); ``testnet`` (alias
    ``sandbox``), ``demo``, ``prod``; and the emulated live path ``testnet@emulator`` or
    ``testnet@http://127.0.0.1:PORT``.

    Raises:
        ValueError: anything else.
    """
    t = text.strip()
    if t.startswith("url="):
        t = t[4:]
    if t.startswith(("http://", "https://")):
        return Target("url", t)
    env_part, at, where = t.partition("@")
    name = {"sandbox": "testnet", "local": "emulator"}.get(env_part.lower(), env_part.lower())
    if at:
        if name in LIVE_TARGETS and where == "emulator":
            return Target("emulated", env=name)
        if name in LIVE_TARGETS and where.startswith(("http://", "https://")):
            return Target("emulated", where, env=name)
    elif name == "emulator":
        return Target("emulator")
    elif name in LIVE_TARGETS:
        return Target("live", env=name)
    raise ValueError(
        f"unknown target {text!r}; expected emulator, url=http://HOST:PORT, testnet, "
        "sandbox, demo, prod, live (those the environment selects), or ENV@emulator / "
        "ENV@http://HOST:PORT (a live environment's code path against an emulator)"
    )


def expand_targets(
    names: list[str] | None,
    environ: Mapping[str, str] | None = None,
    *,
    require_live: bool | None = None,
) -> list[Target]:
    """Parse target names (default :data:`DEFAULT_TARGETS`); ``live`` expands to the live
    environments the environment variables select, or to one target that skips with the
    reason (a mistyped ``BINANCE_PRO_ENV`` is named) when none is configured.

    ``require_live`` (default: ``BINANCE_REQUIRE_LIVE=1``) makes "none configured" an error
    instead, for CI jobs that expect their secrets.

    Raises:
        ValueError: an unknown target name, or ``live`` selecting nothing when required.
    """
    environ = os.environ if environ is None else environ
    if require_live is None:
        require_live = environ.get("BINANCE_REQUIRE_LIVE", "").strip() == "1"
    out: list[Target] = []
    for name in names or DEFAULT_TARGETS:
        if name.strip().lower() != "live":
            out.append(parse_target(name))
        elif found := live_targets_from_env(environ):
            out.extend(found)
        elif require_live:
            raise ValueError(f"{no_live_reason(environ)} (a live environment is required)")
        else:
            out.append(Target("unset", reason=no_live_reason(environ)))
    return list(dict.fromkeys(out))
