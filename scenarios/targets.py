"""Where a scenario runs: the embedded emulator, an emulator at a URL, or a live environment.

A target opens a connected client and, offline, an :class:`EmulatorHandle` through which the
scenario's emulator script acts (Python calls for the embedded emulator, ``/_mock/`` HTTP
calls for one at a URL).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

import client
from mock_exchange import MockExchange, ServerConfig

from .model import Scenario

__all__ = ["EmulatorHandle", "Target", "parse_target"]

LIVE_TARGETS = ("testnet", "demo", "prod")


class EmulatorHandle(Protocol):
    """What an emulator script can do to the emulator under test."""

    async def fault(self, **options: Any) -> None: ...
    async def advance_clock(self, ms: int) -> None: ...
    async def rate(self, rate: float) -> None: ...
    async def push(self, frame: Any, stream: str | None) -> None: ...


class _Embedded:
    def __init__(self, mx: MockExchange) -> None:
        self.mx = mx

    async def fault(self, **options: Any) -> None:
        self.mx.add_fault(**options)

    async def advance_clock(self, ms: int) -> None:
        self.mx.clock.advance(ms)

    async def rate(self, rate: float) -> None:
        self.mx.set_rate(rate)

    async def push(self, frame: Any, stream: str | None) -> None:
        self.mx.push(frame, stream=stream)


class _Remote:
    def __init__(self, base_url: str, session: aiohttp.ClientSession) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session

    async def _call(self, method: str, op: str, body: dict[str, Any] | None = None) -> Any:
        async with self.session.request(method, f"{self.base_url}/_mock/{op}", json=body) as r:
            data = await r.json()
            if r.status != 200:
                raise RuntimeError(f"emulator control {method} /_mock/{op}: {data}")
            return data

    async def fault(self, **options: Any) -> None:
        await self._call("POST", "faults", options)

    async def advance_clock(self, ms: int) -> None:
        await self._call("POST", "clock/advance", {"ms": ms})

    async def rate(self, rate: float) -> None:
        await self._call("POST", "rate", {"rate": rate})

    async def push(self, frame: Any, stream: str | None) -> None:
        await self._call("POST", "push", {"frame": frame, "stream": stream})


@dataclass(frozen=True)
class Target:
    """A named place to run scenarios.

    ``kind`` is ``emulator`` (embedded, started per scenario on 127.0.0.1:0), ``url`` (a
    running emulator at ``base_url``) or a live environment name.
    """

    kind: str
    base_url: str | None = None

    @property
    def name(self) -> str:
        """The target as the report shows it."""
        return f"url={self.base_url}" if self.kind == "url" else self.kind

    @property
    def offline(self) -> bool:
        """True when an emulator stands behind the target (its script runs)."""
        return self.kind in ("emulator", "url")

    def valid_for(self, scenario: Scenario) -> bool:
        """True when the scenario lists this target (emulator URLs count as ``emulator``)."""
        return ("emulator" if self.offline else self.kind) in scenario.targets

    @contextlib.asynccontextmanager
    async def open(
        self, scenario: Scenario
    ) -> AsyncIterator[tuple[client.Binance, EmulatorHandle | None]]:
        """Yield a client for this target and, offline, the emulator handle."""
        if self.kind == "emulator":
            setup = scenario.setup
            config = ServerConfig(
                seed=int(setup.get("seed", 0)),
                rate=float(setup.get("rate", 5.0)),
                frozen_clock=bool(setup.get("frozen_clock", False)),
            )
            async with (
                MockExchange(config=config) as mx,
                client.Binance(binance_env="local", base_url=mx.base_url) as ex,
            ):
                yield ex, _Embedded(mx)
        elif self.kind == "url":
            assert self.base_url is not None
            async with (
                aiohttp.ClientSession() as session,
                client.Binance(binance_env="local", base_url=self.base_url) as ex,
            ):
                remote = _Remote(self.base_url, session)
                await remote._call("POST", "reset", {"seed": int(scenario.setup.get("seed", 0))})
                if "rate" in scenario.setup:
                    await remote.rate(float(scenario.setup["rate"]))
                yield ex, remote
        else:
            async with client.Binance(binance_env=self.kind) as ex:
                yield ex, None


def parse_target(text: str) -> Target:
    """Parse ``emulator``, ``url=http://127.0.0.1:PORT`` (or a bare URL), ``testnet``,
    ``sandbox``, ``demo`` or ``prod``.

    Raises:
        ValueError: anything else.
    """
    t = text.strip()
    if t.startswith("url="):
        t = t[4:]
    if t.startswith(("http://", "https://")):
        return Target("url", t)
    name = {"sandbox": "testnet", "local": "emulator"}.get(t.lower(), t.lower())
    if name == "emulator" or name in LIVE_TARGETS:
        return Target(name)
    raise ValueError(
        f"unknown target {text!r}; expected emulator, url=http://HOST:PORT, "
        "testnet, sandbox, demo or prod"
    )
