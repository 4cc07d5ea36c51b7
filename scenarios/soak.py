"""Soak: keep watches running for a while and watch the client's health.

``python -m scenarios soak`` (``tox -e soak``, ``tox -e soak-long``) watches tickers (and order
books, when the client has ``watch_order_book``) on several symbols for
``CCXT_PRO_SOAK_SECONDS``, printing a progress line at a steady interval: updates per second,
reconnects, order-book resyncs and resident memory. It fails when fewer than
``CCXT_PRO_SOAK_MIN_UPDATES`` updates arrived, when a waiter hangs (a watch neither returns
nor raises within its timeout plus a grace period), or when resident memory grows past
``CCXT_PRO_SOAK_MAX_RSS_GROWTH_MB`` over the run.

It runs against the embedded emulator by default and live when ``BINANCE_PRO_ENV`` names a
live environment (a value that names none is an error, not a silent emulator run);
``CCXT_PRO_SOAK_TARGET`` or ``--target`` names any target ``scenarios run`` takes, ``live``
included (the live environment the variables select; with none, the soak skips with the
reason, or fails with ``--require-live`` / ``BINANCE_REQUIRE_LIVE=1``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import resource
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from client.errors import BaseError, NetworkError, RequestTimeout
from client.telemetry import WireEvent

from .model import Scenario, Where
from .soak_private import Counters, run_private_soak
from .targets import Target, expand_targets, pro_env

__all__ = ["SoakConfig", "SoakReport", "resolve_target", "rss_bytes", "run_soak"]

_GRACE_S = 5.0
_RESYNC = re.compile(r"\bresync\b|refetching")  # the client's wire-tap text for a book resync


@dataclass(frozen=True)
class SoakConfig:
    """What to soak and the bounds it must stay within."""

    seconds: float = 10.0
    min_updates: int = 1
    symbols: tuple[str, ...] = ("BTC/USDT", "ETH/USDT", "BNB/USDT")
    interval: float = 5.0
    max_rss_growth_mb: float = 150.0
    watch_timeout_ms: int = 10_000
    target: str = "emulator"
    require_live: bool = False  # ``live`` selecting nothing fails instead of skipping
    private: bool = False  # CCXT_PRO_SOAK_PRIVATE=1: user data and orders (soak_private.py)
    order_interval: float = 0.5  # private: seconds between two orders
    cycle_interval: float = 10.0  # private: seconds between connection cycles (0 = none)
    listen_key_refresh_ms: int = 2_000  # private: listen-key keep-alive period (emulator)
    # private: run past ``seconds`` until this many orders were placed and this many connection
    # cycles were recovered from (reconciled), within one more ``seconds`` + watch timeout; a
    # short soak on a loaded machine then still covers what it is about
    min_orders: int = 0
    min_recoveries: int = 0

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        seconds: float | None = None,
        min_updates: int | None = None,
        target: str | None = None,
        require_live: bool | None = None,
    ) -> SoakConfig:
        """Read ``CCXT_PRO_SOAK_*`` (and ``BINANCE_PRO_ENV`` for the target); arguments win.

        Raises:
            ValueError: a variable that is not a number >= 0, or a ``BINANCE_PRO_ENV`` that
                names no live environment (when no target is given), named in the message.
        """
        env = os.environ if environ is None else environ
        secs = seconds if seconds is not None else _env_number(env, "CCXT_PRO_SOAK_SECONDS", 10.0)
        target = target or env.get("CCXT_PRO_SOAK_TARGET") or pro_env(env) or "emulator"
        if require_live is None:
            require_live = env.get("BINANCE_REQUIRE_LIVE", "").strip() == "1"
        symbols = env.get("CCXT_PRO_SOAK_SYMBOLS")
        if min_updates is None:
            min_updates = int(
                _env_number(env, "CCXT_PRO_SOAK_MIN_UPDATES", max(1, int(secs)), whole=True)
            )
        interval = _env_number(env, "CCXT_PRO_SOAK_INTERVAL", min(10.0, max(1.0, secs / 6)))
        return cls(
            seconds=secs,
            min_updates=min_updates,
            symbols=tuple(s.strip() for s in symbols.split(",")) if symbols else cls.symbols,
            interval=interval,
            max_rss_growth_mb=_env_number(env, "CCXT_PRO_SOAK_MAX_RSS_GROWTH_MB", 150.0),
            target=target,
            require_live=require_live,
            private=env.get("CCXT_PRO_SOAK_PRIVATE", "").strip() == "1",
            order_interval=_env_number(env, "CCXT_PRO_SOAK_ORDER_INTERVAL", 0.5),
            cycle_interval=_env_number(env, "CCXT_PRO_SOAK_CYCLE", 10.0),
            listen_key_refresh_ms=int(
                _env_number(env, "CCXT_PRO_SOAK_LISTEN_KEY_REFRESH", 2000, whole=True)
            ),
        )


def _env_number(env: Mapping[str, str], name: str, default: float, *, whole: bool = False) -> float:
    """Read a non-negative number from ``env[name]`` (``default`` when unset or empty).

    Raises:
        ValueError: ``NAME must be a number >= 0, not 'abc'`` (``a whole number`` with
            ``whole``).
    """
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        value = -1
    if not 0 <= value < float("inf"):
        what = "a whole number" if whole else "a number"
        raise ValueError(f"{name} must be {what} >= 0, not {text!r}")
    return value


@dataclass
class SoakReport:
    """What a soak saw; ``failures`` is empty when it passed."""

    target: str
    seconds: float = 0.0
    updates: int = 0
    reconnects: int = 0
    resyncs: int | None = None
    timeouts: int = 0
    errors: int = 0
    rss_start: int = 0
    rss_peak: int = 0
    failures: list[str] = field(default_factory=list)
    skipped: str | None = None
    interrupted: bool = False  # stopped early (Ctrl-C): the figures cover the time it ran
    private: Counters | None = None  # what the private mode counted

    @property
    def passed(self) -> bool:
        """True when no bound was broken."""
        return not self.failures


def rss_bytes() -> int:
    """Return this process's resident memory in bytes (peak RSS where /proc is missing)."""
    with (
        contextlib.suppress(OSError, ValueError, IndexError),
        open("/proc/self/statm", encoding="ascii") as f,
    ):
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def _progress(report: SoakReport, elapsed: float, total: float) -> str:
    rate = report.updates / elapsed if elapsed > 0 else 0.0
    rss = rss_bytes()
    resyncs = "-" if report.resyncs is None else str(report.resyncs)
    return (
        f"soak {report.target} {elapsed:6.1f}s/{total:.0f}s  updates {report.updates} "
        f"({rate:.1f}/s)  reconnects {report.reconnects}  resyncs {resyncs}  "
        f"timeouts {report.timeouts}  rss {rss / 2**20:.1f} MB "
        f"({(rss - report.rss_start) / 2**20:+.1f})"
    )


class _Soak:
    def __init__(self, config: SoakConfig, report: SoakReport, ex: Any) -> None:
        self.config = config
        self.report = report
        self.ex = ex
        self.connects: dict[str, int] = {}
        self.stop = asyncio.Event()

    def on_event(self, event: WireEvent) -> None:
        if event.kind == "error" and _RESYNC.search(event.text) and self.report.resyncs is not None:
            self.report.resyncs += 1
        if event.kind == "connect":
            self.connects[event.url] = self.connects.get(event.url, 0) + 1
            self.report.reconnects = sum(n - 1 for n in self.connects.values())

    async def _guarded(self, what: str, watch: Callable[[], Any]) -> bool:
        """Run one watch; return False when the soak must stop."""
        limit = self.config.watch_timeout_ms / 1000 + _GRACE_S
        try:
            await asyncio.wait_for(watch(), limit)
        except TimeoutError:
            self.report.failures.append(
                f"{what}: a waiter hung (no value and no error within {limit:.0f} s)"
            )
            return False
        except RequestTimeout:
            self.report.timeouts += 1
        except NetworkError:
            self.report.errors += 1  # the next watch reconnects
        except (BaseError, TypeError, ValueError, KeyError) as exc:
            self.report.failures.append(f"{what}: {type(exc).__name__}: {exc}")
            return False
        else:
            self.report.updates += 1
        return True

    async def watch_loop(self, symbol: str, method: str) -> None:
        params = {"timeout": self.config.watch_timeout_ms}
        fn = getattr(self.ex, method)
        while not self.stop.is_set():
            if not await self._guarded(f"{method}({symbol})", lambda: fn(symbol, params=params)):
                self.stop.set()
                return


def resolve_target(config: SoakConfig) -> Target:
    """Return the target to soak: ``config.target`` parsed as ``scenarios run`` parses it
    (``live``: the first live environment the variables select, or one that skips).

    Raises:
        ValueError: an unknown target, or ``live`` selecting nothing when it is required.
    """
    return expand_targets([config.target], require_live=config.require_live)[0]


async def _relay(stop: asyncio.Event, soak: _Soak, report: SoakReport) -> None:
    await stop.wait()
    report.interrupted = True
    soak.stop.set()


async def run_soak(
    config: SoakConfig, out: TextIO | None = None, *, stop: asyncio.Event | None = None
) -> SoakReport:
    """Soak ``config.target`` for ``config.seconds``; print progress lines to ``out``.

    Setting ``stop`` (Ctrl-C) ends the soak early: the watches stop, the target closes, and
    the summary of what ran is printed, marked ``interrupted``.
    """
    stream = out or sys.stdout
    target = resolve_target(config)
    report = SoakReport(target.name)
    if target.kind == "unset":
        report.skipped = target.reason
        print(f"soak {report.target}: skipped, {report.skipped}", file=stream, flush=True)
        return report
    if config.private:
        return await _private(config, target, report, stream)
    placeholder = Scenario(
        Where(Path("soak"), 1), "soak", "", (target.validity,), "spot", {"rate": 20}, (), ()
    )
    start = time.monotonic()  # reset below: the soak window starts when the watches do
    async with target.open(placeholder) as opened:
        ex = opened.exchange
        soak = _Soak(config, report, ex)
        ex.add_listener(soak.on_event)
        try:
            await ex.load_markets()
        except NetworkError as exc:
            if target.kind != "live":
                raise
            report.skipped = f"cannot reach {target.env}: {exc}"
            print(f"soak {report.target}: skipped, {report.skipped}", file=stream, flush=True)
            return report
        report.rss_start = report.rss_peak = rss_bytes()
        methods = ["watch_ticker"]
        if hasattr(ex, "watch_order_book"):
            methods.append("watch_order_book")
            report.resyncs = 0
        # setting up (an emulator's warm-up, loading markets) must not eat the soak window: on a
        # loaded machine it did, and a short soak ended before its first watch returned
        start = time.monotonic()
        async with asyncio.TaskGroup() as group:
            tasks = [
                group.create_task(soak.watch_loop(symbol, method))
                for symbol in config.symbols
                for method in methods
            ]
            if stop is not None:
                tasks.append(group.create_task(_relay(stop, soak, report)))
            deadline = start + config.seconds
            while not soak.stop.is_set() and (now := time.monotonic()) < deadline:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(soak.stop.wait(), min(config.interval, deadline - now))
                report.rss_peak = max(report.rss_peak, rss_bytes())
                print(
                    _progress(report, time.monotonic() - start, config.seconds),
                    file=stream,
                    flush=True,
                )
            soak.stop.set()
            for task in tasks:
                task.cancel()
    report.seconds = time.monotonic() - start
    growth_mb = (report.rss_peak - report.rss_start) / 2**20
    if report.updates < config.min_updates:
        report.failures.append(
            f"only {report.updates} updates in {report.seconds:.1f} s "
            f"(CCXT_PRO_SOAK_MIN_UPDATES={config.min_updates})"
        )
    if growth_mb > config.max_rss_growth_mb:
        report.failures.append(
            f"resident memory grew {growth_mb:.1f} MB "
            f"(bound CCXT_PRO_SOAK_MAX_RSS_GROWTH_MB={config.max_rss_growth_mb:g})"
        )
    verdict = "passed" if report.passed else "FAILED: " + "; ".join(report.failures)
    if report.interrupted:
        verdict = f"{verdict}; interrupted"
    print(
        f"soak {report.target}: {report.updates} updates in {report.seconds:.1f} s, "
        f"{report.reconnects} reconnects, "
        f"{'-' if report.resyncs is None else report.resyncs} resyncs, {report.timeouts} timeouts, "
        f"rss +{growth_mb:.1f} MB: {verdict}",
        file=stream,
        flush=True,
    )
    return report


async def _private(
    config: SoakConfig, target: Target, report: SoakReport, out: TextIO
) -> SoakReport:
    """The private mode (:mod:`scenarios.soak_private`), judged by the same memory bound."""
    live_refresh = target.kind == "live"  # live keys keep Binance's own keep-alive period
    env = {
        "order_interval": config.order_interval,
        "cycle_interval": config.cycle_interval,
        "listen_key_refresh": 30 * 60_000 if live_refresh else config.listen_key_refresh_ms,
        "min_orders": config.min_orders,
        "min_recoveries": config.min_recoveries,
    }
    soak, skipped, start_rss, peak = await run_private_soak(
        target, config.seconds, config.interval, config.watch_timeout_ms, env, rss_bytes, out
    )
    if soak is None:
        report.skipped = skipped
        print(f"soak {report.target} private: skipped, {skipped}", file=out, flush=True)
        return report
    c = report.private = soak.c
    report.seconds = config.seconds
    report.updates, report.reconnects, report.timeouts = c.events, c.reconnects, c.timeouts
    report.errors, report.rss_start, report.rss_peak = c.errors, start_rss, peak
    report.failures.extend(soak.failures)
    growth_mb = (peak - start_rss) / 2**20
    if growth_mb > config.max_rss_growth_mb:
        report.failures.append(
            f"resident memory grew {growth_mb:.1f} MB "
            f"(bound CCXT_PRO_SOAK_MAX_RSS_GROWTH_MB={config.max_rss_growth_mb:g})"
        )
    if c.placed == 0:
        report.failures.append("no order was placed")
    verdict = "passed" if report.passed else "FAILED: " + "; ".join(report.failures)
    print(
        f"soak {report.target} private: {c.placed} orders placed, {c.canceled} canceled, "
        f"{len(c.final)} final states seen on the stream, {c.lost} lost; {c.events} order "
        f"updates, {c.renewals} listen-key renewals, {c.cycles} connection cycles, "
        f"{c.reconnects} reconnects, {c.reconciles} reconciliations, {c.timeouts} timeouts, "
        f"rss +{growth_mb:.1f} MB (peak {peak / 2**20:.1f} MB): {verdict}",
        file=out,
        flush=True,
    )
    return report
