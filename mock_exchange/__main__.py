"""Command line: ``python -m mock_exchange serve --host 127.0.0.1 --port 0``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import signal
import sys

import yaml

from .config import DEFAULT_RATE, DEMO_ACCOUNT, ServerConfig
from .control_http import is_loopback_host
from .control_values import MAX_RATE, number_check
from .hosts import URL_RULE
from .script import (
    ScenarioScript,
    load_accounts_file,
    load_markets_file,
    load_scenario_script,
    play_script,
)
from .server import MockExchange

__all__ = ["main"]


def _version() -> str:
    try:
        return importlib.metadata.version("binance-pro-kit")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _rate(text: str) -> float:
    try:
        return float(number_check("rate", maximum=MAX_RATE)(float(text)))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text} is not a rate (actions per second, 0 to {MAX_RATE})"
        ) from None


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port (0-65535)")
    return port


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mock_exchange",
        description="A local Binance emulator serving every Binance host on one port.",
    )
    parser.add_argument("--version", action="version", version=f"mock_exchange {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve until SIGINT/SIGTERM, then shut down cleanly")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=0, help="port to bind; 0 = any free port")
    serve.add_argument("--seed", type=int, default=0, help="seed of the market (default 0)")
    serve.add_argument(
        "--rate",
        type=_rate,
        default=DEFAULT_RATE,
        help="background actions per second of each main symbol (others get a share), "
        f"0 = fully scripted (default {DEFAULT_RATE:g})",
    )
    serve.add_argument(
        "--frozen-clock",
        action="store_true",
        help="start with a virtual clock that moves only via /_mock/clock/advance",
    )
    serve.add_argument(
        "--markets",
        metavar="FILE",
        help="YAML list of market entries (Market field names; 'kind' spot/usdm/coinm) that "
        "override or extend the defaults; {markets: [...], extend: false} replaces them",
    )
    serve.add_argument(
        "--accounts",
        metavar="FILE",
        help="YAML list of accounts (each as POST /_mock/accounts takes it: apiKey, secret or "
        "publicKey, balances, futuresBalances, permissions, account) registered at start",
    )
    serve.add_argument(
        "--no-demo-account",
        action="store_true",
        help="do not register the demo account (its key and secret are printed at start-up)",
    )
    serve.add_argument(
        "--scenario",
        metavar="FILE",
        help="scenario YAML: apply its setup and play its emulator: script after starting",
    )
    return parser


async def _serve(args: argparse.Namespace) -> int:
    config = ServerConfig(seed=args.seed, rate=args.rate, frozen_clock=args.frozen_clock)
    script = None
    try:
        if args.markets:
            config.markets = load_markets_file(args.markets)
        if not args.no_demo_account:
            config.accounts.append(dict(DEMO_ACCOUNT))
        if args.accounts:
            config.accounts.extend(load_accounts_file(args.accounts))
        if args.scenario:
            script = load_scenario_script(args.scenario)
            script.apply_setup(config)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        for line in str(exc).splitlines():
            print(f"mock_exchange: {line}", file=sys.stderr, flush=True)
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        mx = MockExchange(host=args.host, port=args.port, config=config)
    except ValueError as exc:
        print(f"mock_exchange: accounts: {exc}", file=sys.stderr, flush=True)
        return 2
    try:
        await mx.start()
    except OSError as exc:
        why = exc.strerror or str(exc)
        print(
            f"mock_exchange: cannot listen on {args.host}:{args.port}: {why}",
            file=sys.stderr,
            flush=True,
        )
        return 2
    if not is_loopback_host(args.host.strip("[]")):
        print(
            f"mock_exchange: warning: --host {args.host} makes the emulator and its control API "
            "(/_mock/: reset, faults, orders, accounts) reachable from other machines; "
            "bind 127.0.0.1 unless that is what you want",
            file=sys.stderr,
            flush=True,
        )
    try:
        return await _announce_and_serve(mx, args, config, script, stop)
    finally:
        await mx.stop()


async def _announce_and_serve(
    mx: MockExchange,
    args: argparse.Namespace,
    config: ServerConfig,
    script: ScenarioScript | None,
    stop: asyncio.Event,
) -> int:
    print(f"mock_exchange listening on {mx.base_url}", flush=True)
    print(f"URL rule: {URL_RULE.replace('127.0.0.1:PORT', f'{mx.host}:{mx.port}')}", flush=True)
    print(f"example: {mx.url('https://api.binance.com/api/v3/time')}", flush=True)
    status = 0
    if script is not None:
        try:
            played = play_script(mx, script.actions)
        except ValueError as exc:  # refused by the running emulator
            print(f"mock_exchange: scenario {script.name}: {exc}", file=sys.stderr, flush=True)
            stop.set()
            status = 2
        else:
            print(f"scenario {script.name}: played {played} emulator actions", flush=True)
            for line in script.account_lines():
                print(line, flush=True)
    if not args.no_demo_account and not stop.is_set():
        demo = mx.account_state(DEMO_ACCOUNT["apiKey"])
        print(
            f"demo account uid {demo['uid']}: apiKey {DEMO_ACCOUNT['apiKey']} "
            f"secret {DEMO_ACCOUNT['secret']} (HMAC; --no-demo-account turns it off)",
            flush=True,
        )
    if len(config.accounts) > (0 if args.no_demo_account else 1) and not stop.is_set():
        print(f"accounts registered: {len(mx.accounts)}", flush=True)
    await stop.wait()
    print("mock_exchange shutting down", flush=True)
    return status


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return asyncio.run(_serve(args))
    return 2  # pragma: no cover - argparse enforces the sub-command


if __name__ == "__main__":
    sys.exit(main())
