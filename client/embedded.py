"""Open a client on the embedded emulator (the default of the kit's programs) or a live Binance.

The recorder (``python -m client.record``) and the example workers run against an emulator
started in-process on ``127.0.0.1:0`` unless told otherwise, and live when ``--env`` or
``BINANCE_PRO_ENV`` names prod, testnet or demo. This is the one module of ``client`` that
starts the emulator, and it imports ``mock_exchange`` only inside :func:`open_exchange`, only
when the embedded emulator is asked for: the library modules never import it, and the client
still reaches the emulator only over the wire, by its URL rule, like any other client.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from .environments import normalise_env
from .exchange import Binance

__all__ = ["EMBEDDED", "LIVE_ENVS", "Opened", "default_env", "open_exchange"]

EMBEDDED = "emulator"
"""The name of the embedded emulator in ``--env`` and ``BINANCE_PRO_ENV``."""

LIVE_ENVS = ("prod", "testnet", "demo")
"""The live environments (``sandbox`` is an alias of testnet)."""


@dataclass(frozen=True)
class Opened:
    """A client and where it points.

    Attributes:
        exchange: the client (closed when the context ends).
        env: ``emulator`` (embedded), ``local`` (a running emulator by URL) or a live env.
        where: a human description: the emulator's URL or the live environment.
    """

    exchange: Binance
    env: str
    where: str


def default_env(environ: Mapping[str, str] | None = None) -> str:
    """Return ``BINANCE_PRO_ENV`` when set (canonical name), else ``emulator``.

    Raises:
        ValueError: the variable names no environment.
    """
    value = (os.environ if environ is None else environ).get("BINANCE_PRO_ENV", "").strip()
    if not value or value.lower() == EMBEDDED:
        return EMBEDDED
    env = normalise_env(value)
    if env == "local":
        return EMBEDDED
    return env


@asynccontextmanager
async def open_exchange(
    env: str | None = None,
    *,
    url: str | None = None,
    seed: int = 0,
    rate: float = 20.0,
    config: Mapping[str, Any] | None = None,
    account: Mapping[str, Any] | None = None,
) -> AsyncIterator[Opened]:
    """Yield a client on the embedded emulator, a running emulator, or a live environment.

    Args:
        env: ``emulator`` (start one in-process on 127.0.0.1:0), ``prod``, ``testnet``
            (``sandbox``) or ``demo``; default :func:`default_env`.
        url: a running emulator's ``http://HOST:PORT`` (overrides ``env``).
        seed: the embedded emulator's seed.
        rate: the embedded emulator's background activity (actions per second per venue).
        config: more client config (``options``, ``apiKey``...), passed to :class:`Binance`.
        account: the embedded emulator only: register an account with a key it generates
            (``{"key_type": "hmac", "balances": {"USDT": "1000"}, "futuresBalances": ...}``,
            the scenario ``setup.account`` fields) and give the client its credentials. A
            live environment uses its own key family instead (``BINANCE_TESTNET_API_KEY``...).

    Raises:
        ValueError: an unknown environment.
    """
    cfg = dict(config or {})
    if url is not None:
        async with Binance(cfg, binance_env="local", base_url=url) as ex:
            yield Opened(ex, "local", url)
        return
    name = default_env() if env is None else env.strip().lower()
    if name != EMBEDDED:
        live = normalise_env(name)
        if live == "local":
            name = EMBEDDED
        else:
            async with Binance(cfg, binance_env=live) as ex:
                yield Opened(ex, live, live)
            return
    from mock_exchange import MockExchange, ServerConfig, generate_account  # embedded only

    server = ServerConfig(seed=seed, rate=rate)
    if account is not None:
        made = generate_account("main", account)
        server.accounts.append(made.registration)
        cfg.update(made.client_config)
    async with (
        MockExchange(config=server) as mx,
        Binance(cfg, binance_env="local", base_url=mx.base_url) as ex,
    ):
        yield Opened(ex, EMBEDDED, f"embedded emulator at {mx.base_url}")
