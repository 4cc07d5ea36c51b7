"""Whose keys a scenario signs with on each target, and the live gates it needs.

Gates (:func:`required_gates`): ``keys`` for every private method of the client (read from the
client's method table, :func:`client.method_info`, not guessed from a name), for a signed raw
request or frame, and for ``requires: [keys]``; ``live_orders`` for every order mutation;
``cancel_all`` for every cancel-all.

Accounts (:class:`Account`), per target kind:

* ``emulator`` / ``url=``: the ``setup``'s accounts (``account`` is ``main``, the client's;
  ``accounts`` by name) get keys the emulator generates
  (:func:`mock_exchange.generate_accounts`) and are registered through the control table's
  ``account`` action; a scenario that needs keys but declares no account gets a ``main``
  account funded like the emulator's demo account.
* ``ENV@emulator``: the same emulator-made ``main`` account plays the environment's own key
  family (``BINANCE_TESTNET_API_KEY`` ...), read back through the client's own credential
  lookup, so the live path is exercised; the real environment's keys are never sent to an
  emulator. Nothing real can be traded there, so the order gates are open, and the report
  says so.
* live: ``main`` is the environment's own key family (``client.Credentials.from_env``); no
  other account exists.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from client import AuthenticationError, Credentials, method_info
from client.protocol.signing import KeySigner
from mock_exchange import GeneratedAccount, generate_account, generate_accounts
from mock_exchange.config import DEMO_ACCOUNT

from .model import CallStep, RequestStep, Scenario, SendStep, walk_steps

__all__ = [
    "Account",
    "describe_gates",
    "emulated_environ",
    "key_type_reason",
    "live_account",
    "live_reason",
    "provision",
    "required_gates",
    "wall_ms",
]

MAIN = "main"
# a main account for scenarios that need keys but declare none: funded like the demo account
_DEFAULT_MAIN = {k: DEMO_ACCOUNT[k] for k in ("balances", "futuresBalances")}
_KEY_TYPE_NAMES = {"hmac": "HMAC", "rsa": "RSA", "ed25519": "Ed25519"}

_GATE_VARS = {"live_orders": "BINANCE_LIVE_ORDERS=1", "cancel_all": "BINANCE_CONFIRM_CANCEL_ALL=1"}


@dataclass(frozen=True)
class Account:
    """A key a scenario run signs with; ``repr`` never shows the key or its secret.

    Attributes:
        name: ``main`` (the target's own key) or a ``setup.accounts`` name.
        key_type: ``hmac``, ``rsa`` or ``ed25519``.
        config: the client configuration: ``apiKey`` and ``secret`` or ``privateKey``.
    """

    name: str
    key_type: str
    config: dict[str, str] = field(repr=False)

    @property
    def api_key(self) -> str:
        """The API key."""
        return self.config["apiKey"]

    @cached_property
    def signer(self) -> KeySigner:
        """The signer of this key (the client's own)."""
        return Credentials.from_config(self.config).signer

    def template_values(self) -> dict[str, str]:
        """What ``{$account: NAME.part}`` reads: ``apiKey``, ``secret`` (the HMAC secret or
        the private key's PEM) and ``key_type``."""
        secret = self.config.get("secret") or self.config.get("privateKey", "")
        return {"apiKey": self.api_key, "secret": secret, "key_type": self.key_type}

    @classmethod
    def generated(cls, made: GeneratedAccount) -> Account:
        """The account of a key the emulator generated."""
        return cls(made.name, made.key_type, dict(made.client_config))


def _signs(step: object) -> bool:
    if isinstance(step, RequestStep):
        return step.auth != "none"
    return isinstance(step, SendStep) and step.sign is not None


def required_gates(scenario: Scenario) -> set[str]:
    """Return the gates a scenario needs: declared ones plus those its steps imply."""
    gates = set(scenario.requires)
    for step in walk_steps(scenario.steps + scenario.cleanup):
        if _signs(step):
            gates.add("keys")
        if not isinstance(step, CallStep):
            continue
        info = method_info(step.call)
        if info is None:
            continue  # check_references reports it
        if info.private:
            gates.add("keys")
        if info.mutates:
            gates.add("live_orders")
        if info.cancels_all:
            gates.add("cancel_all")
    return gates


def describe_gates(scenario: Scenario, kind: str, env: str | None) -> list[str]:
    """Return how each gate ``scenario`` needs was met on a target of ``kind`` (``live``,
    ``emulated``), as the report shows it; nothing offline, where no gate applies."""
    gates = required_gates(scenario)
    family = f"BINANCE_{str(env).upper()}_*"
    out = []
    for gate in ("keys", "live_orders", "cancel_all"):
        if gate not in gates:
            continue
        if kind == "live":
            out.append(f"{gate}: {family}" if gate == "keys" else f"{gate}: {_GATE_VARS[gate]}")
        elif kind == "emulated":
            how = "an emulator account as " + family if gate == "keys" else "open (emulated)"
            out.append(f"{gate}: {how}")
    return out


def _declared(scenario: Scenario) -> dict[str, Any]:
    return scenario.setup.get("account") or {}


def live_account(env: str, environ: Mapping[str, str] | None = None) -> Account | None:
    """Return environment ``env``'s own key (its family only), or None when it is not set.

    Raises:
        AuthenticationError: a ``..._PRIVATE_KEY`` that is neither PEM nor a readable file.
    """
    creds = Credentials.from_env(env, os.environ if environ is None else environ)
    if not creds.complete or creds.api_key is None:
        return None
    config = {"apiKey": creds.api_key}
    if creds.private_key:
        config["privateKey"] = creds.private_key
    else:
        config["secret"] = str(creds.secret)
    return Account(MAIN, creds.signer.kind, config)


def key_type_reason(scenario: Scenario, account: Account, env: str) -> str | None:
    """Return why ``account`` (a live key) cannot play ``scenario``: the ``setup.account``
    names another key type (a logon needs Ed25519, an HMAC refusal needs HMAC)."""
    wanted = _declared(scenario).get("key_type")
    if wanted is None or wanted == account.key_type:
        return None
    family = f"BINANCE_{env.upper()}"
    how = f"{family}_API_SECRET" if wanted == "hmac" else f"{family}_PRIVATE_KEY"
    return (
        f"needs an {_KEY_TYPE_NAMES[wanted]} key ({family}_API_KEY with {how}); "
        f"the key set is {_KEY_TYPE_NAMES.get(account.key_type, account.key_type)}"
    )


def live_reason(scenario: Scenario, env: str, environ: Mapping[str, str]) -> str | None:
    """Return why the environment's own key cannot play ``scenario`` (None: it can, or the
    scenario needs no key)."""
    if "keys" not in required_gates(scenario):
        return None
    family = f"BINANCE_{env.upper()}"
    try:
        account = live_account(env, environ)
    except AuthenticationError as exc:
        return f"{family}_PRIVATE_KEY: {exc}"
    if account is None:
        return f"needs {family}_API_KEY and {family}_API_SECRET (or {family}_PRIVATE_KEY)"
    return key_type_reason(scenario, account, env)


Act = Callable[[str, Any], Awaitable[Any]]


async def provision(scenario: Scenario, act: Act) -> dict[str, Account]:
    """Generate the scenario's accounts and register them with an emulator through ``act``
    (the control table's ``account`` action); a scenario that needs keys and declares no
    account gets a funded ``main`` one.

    Raises:
        ValueError: a ``setup`` account the emulator refuses.
    """
    made = generate_accounts(scenario.setup)
    if not any(m.name == MAIN for m in made) and "keys" in required_gates(scenario):
        made.insert(0, generate_account(MAIN, _DEFAULT_MAIN))
    for m in made:
        await act("account", m.registration)
    return {m.name: Account.generated(m) for m in made}


def emulated_environ(env: str, account: Account | None) -> dict[str, str]:
    """Return the variables an ``ENV@emulator`` run reads its key and gates from: the
    emulator account as ``env``'s own family, and the order gates open."""
    out = {"BINANCE_LIVE_ORDERS": "1", "BINANCE_CONFIRM_CANCEL_ALL": "1"}
    if account is not None:
        family = f"BINANCE_{env.upper()}"
        out[f"{family}_API_KEY"] = account.api_key
        if "secret" in account.config:
            out[f"{family}_API_SECRET"] = account.config["secret"]
        else:
            out[f"{family}_PRIVATE_KEY"] = account.config["privateKey"]
    return out


def wall_ms() -> int:
    """The local clock in ms (what live and emulated targets sign with, offset applied)."""
    return int(time.time() * 1000)
