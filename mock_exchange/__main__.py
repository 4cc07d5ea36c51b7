"""Command line: ``python -m mock_exchange serve --host 127.0.0.1 --port 0``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from .routing import URL_RULE
from .server import MockExchange, ServerConfig

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mock_exchange",
        description="A local Binance emulator serving every Binance host on one port.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve until SIGINT/SIGTERM, then shut down cleanly")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port to bind; 0 = any free port")
    serve.add_argument("--seed", type=int, default=0, help="seed of the market (default 0)")
    serve.add_argument(
        "--rate",
        type=float,
        default=5.0,
        help="background orders per second, 0 = fully scripted (default 5)",
    )
    serve.add_argument(
        "--frozen-clock",
        action="store_true",
        help="start with a virtual clock that moves only via /_mock/clock/advance",
    )
    return parser


async def _serve(args: argparse.Namespace) -> int:
    config = ServerConfig(seed=args.seed, rate=args.rate, frozen_clock=args.frozen_clock)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with MockExchange(host=args.host, port=args.port, config=config) as mx:
        print(f"mock_exchange listening on {mx.base_url}", flush=True)
        print(f"URL rule: {URL_RULE.replace('127.0.0.1:PORT', f'{mx.host}:{mx.port}')}", flush=True)
        print(f"example: {mx.url('https://api.binance.com/api/v3/time')}", flush=True)
        await stop.wait()
        print("mock_exchange shutting down", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return asyncio.run(_serve(args))
    return 2  # pragma: no cover - argparse enforces the sub-command


if __name__ == "__main__":
    sys.exit(main())
