"""``python -m client.record``: record market data into SQLite.

Records the chosen channels of the chosen symbols from the embedded emulator (default) or a live
environment into a SQLite file, in batches; re-running on the same file appends. The schema is
in ``docs/persistence.md``. Ctrl-C (or SIGTERM) stops the run cleanly: the rows received so far
are written and a summary is printed; a second Ctrl-C aborts at once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Sequence
from typing import TextIO

from .embedded import EMBEDDED, LIVE_ENVS, default_env, open_exchange
from .environments import normalise_env
from .errors import BadRequest, BaseError
from .exchange import Binance
from .persistence.channels import (
    CHANNELS,
    ChannelError,
    RecordChannel,
    RecordOptions,
    resolve_channels,
)
from .persistence.recorder import Progress, Recorder, RecorderError
from .persistence.sqlite import SQLiteStore, StoreError

__all__ = ["build_parser", "main"]

DEFAULT_CHANNELS = "ticker,trades"
RECORD_ACCOUNT = {
    "balances": {"USDT": "100000", "BTC": "1", "ETH": "10"},
    "futuresBalances": {"USDT": "100000"},
    "coinmBalances": {"BTC": "1"},
}
"""The embedded emulator's account for the private channels (throwaway emulator funds)."""


def _epilog() -> str:
    listed = "\n".join(
        f"  {c.name:<13} {c.doc} -> table {c.table}{' (private)' if c.private else ''}"
        for c in CHANNELS.values()
    )
    lines = [
        "channels:",
        listed,
        "",
        "private channels record the account's user data: live with the environment's own",
        "keys (BINANCE_TESTNET_API_KEY and _API_SECRET or _PRIVATE_KEY, ...); on the embedded",
        "emulator with an account it creates (its key is printed, to trade on it).",
    ]
    lines += [
        "",
        "environment:",
        f"  --env {EMBEDDED} (default) starts an emulator in-process on 127.0.0.1:0;",
        "  --env prod|testnet|demo records live; the default comes from BINANCE_PRO_ENV when set;",
        "  --url records from an emulator already running (python -m mock_exchange serve).",
        "",
        "rows and keys: each table has the structure's CCXT fields plus `source` (the env, or",
        "emulator#<run> for the embedded emulator) and `run_id`; trades, book levels and candles",
        "have natural keys, so re-running on the same file appends without duplicating them.",
        "Schema: docs/persistence.md.",
        "",
        "examples:",
        "  python -m client.record --db ticks.sqlite --symbols BTC/USDT,ETH/USDT",
        "  python -m client.record --db ticks.sqlite --symbols BTC/USDT:USDT "
        "--channels ticker,liquidations --seconds 60",
        "  BINANCE_PRO_ENV=testnet python -m client.record --db t.sqlite --symbols BTC/USDT "
        "--channels orderbook --depth 5",
    ]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser (its ``--help`` documents every option)."""
    p = argparse.ArgumentParser(
        prog="python -m client.record",
        description="Record Binance market data (CCXT structures as flat rows) into SQLite.",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--db", required=True, help="SQLite file (created with its schema if new)")
    p.add_argument(
        "--symbols", required=True, help="comma-separated CCXT symbols: BTC/USDT,BTC/USDT:USDT"
    )
    p.add_argument(
        "--channels",
        default=DEFAULT_CHANNELS,
        help=f"comma-separated channels (default {DEFAULT_CHANNELS}; see below)",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--env",
        default=None,
        help=f"{EMBEDDED} (default, or BINANCE_PRO_ENV), {', '.join(LIVE_ENVS)}, sandbox",
    )
    where.add_argument("--url", default=None, help="a running emulator: http://127.0.0.1:PORT")
    p.add_argument("--depth", type=int, default=10, help="orderbook: levels per side (default 10)")
    p.add_argument("--timeframe", default="1m", help="ohlcv: candle interval (default 1m)")
    p.add_argument(
        "--batch-size", type=int, default=500, help="rows per transaction at most (default 500)"
    )
    p.add_argument(
        "--flush-interval",
        type=float,
        default=1.0,
        help="seconds a row waits at most before its batch is written (default 1)",
    )
    p.add_argument(
        "--max-rows", type=int, default=None, help="stop after this many rows were received"
    )
    p.add_argument("--seconds", type=float, default=None, help="stop after this many seconds")
    p.add_argument(
        "--progress",
        type=float,
        default=5.0,
        help="seconds between progress lines on stderr (default 5; 0 = after every batch)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.add_argument("--seed", type=int, default=0, help="embedded emulator: seed (default 0)")
    p.add_argument(
        "--rate",
        type=float,
        default=20.0,
        help="embedded emulator: background actions per second per venue (default 20)",
    )
    return p


def _fail(message: str, code: int = 2) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def _summary(p: Progress, db: str, skipped: Sequence[tuple[str, str | None]], out: TextIO) -> None:
    print(
        f"recorded run {p.run_id} (source {p.source}) in {p.elapsed:.1f}s: "
        f"{p.total_written} rows written, {p.received} received, {p.batches} batches",
        file=out,
    )
    for table in sorted({*p.written, *p.ignored}):
        dup = p.ignored.get(table, 0)
        extra = f" ({dup} duplicates ignored)" if dup else ""
        print(f"  {table:<18} {p.written.get(table, 0)}{extra}", file=out)
    for name, sym in skipped:
        print(f"  skipped {name} for {sym}", file=out)
    print(f"  retries {p.retries}; last error: {p.last_error or 'none'}", file=out)
    print(f"  database: {db}", file=out)


async def _canonical(ex: Binance, symbols: Sequence[str]) -> list[str]:
    """Return the CCXT symbols of ``symbols`` (``BTCUSDT`` -> ``BTC/USDT``), checking each."""
    return [(await ex.market(s))["symbol"] for s in symbols]


async def _record(args: argparse.Namespace, channels: list[RecordChannel]) -> int:
    symbols = [s.strip() for s in args.symbols.split(",") if s.strip()]
    if not symbols:
        return _fail("--symbols names no symbol")
    private = [c.name for c in channels if c.private]
    if private and args.url:
        return _fail(
            f"{', '.join(private)}: private channels record the embedded emulator's own account "
            "or a live environment's, not an emulator at --url"
        )
    try:
        env = args.env or (None if args.url else default_env())
        if env is not None and env.strip().lower() != EMBEDDED:
            normalise_env(env)  # an unknown name is a usage error, before any file is made
        store = SQLiteStore(args.db)
    except (ValueError, StoreError) as exc:
        return _fail(str(exc))
    loop = asyncio.get_running_loop()
    account = RECORD_ACCOUNT if private else None
    try:
        async with open_exchange(
            env, url=args.url, seed=args.seed, rate=args.rate, account=account
        ) as opened:
            if private and not opened.exchange.credentials.complete:
                family = f"BINANCE_{opened.env.upper()}"
                return _fail(
                    f"{', '.join(private)} need {opened.env}'s own keys: set {family}_API_KEY "
                    f"and {family}_API_SECRET (or {family}_PRIVATE_KEY)"
                )
            if private and opened.env == EMBEDDED:
                creds = opened.exchange.credentials
                print(
                    f"note: private channels record an emulator account: apiKey "
                    f"{creds.api_key} secret {creds.secret} (trade on it at the URL below)",
                    file=sys.stderr,
                )
            try:
                symbols = await _canonical(opened.exchange, symbols)
            except BadRequest as exc:  # BadSymbol: a symbol the exchange does not list
                return _fail(str(exc))
            except BaseError as exc:
                return _fail(str(exc), 1)
            last = [0.0]

            def progress(p: Progress) -> None:
                now = time.monotonic()
                if not args.quiet and now - last[0] >= args.progress:
                    last[0] = now
                    print(p.line(), file=sys.stderr, flush=True)

            try:
                recorder = Recorder(
                    opened.exchange,
                    store,
                    channels,
                    symbols,
                    # an emulator by URL restarts its ids too when it restarts: key it like ours
                    env=EMBEDDED if opened.env == "local" else opened.env,
                    options=RecordOptions(depth=args.depth, timeframe=args.timeframe),
                    batch_size=args.batch_size,
                    flush_interval=args.flush_interval,
                    on_progress=progress,
                )
            except ValueError as exc:
                return _fail(str(exc))
            for name, sym in recorder.skipped:
                need = CHANNELS[name].needs
                print(f"note: {name} skips {sym} (needs {need})", file=sys.stderr)
            _install_stop(loop, recorder)
            if args.seconds is not None:
                loop.call_later(args.seconds, recorder.stop)
            print(
                f"recording {','.join(c.name for c in channels)} of {','.join(symbols)} "
                f"from {opened.where} into {args.db} (Ctrl-C stops)",
                file=sys.stderr,
                flush=True,
            )
            code = 0
            try:
                result = await recorder.run(max_rows=args.max_rows)
            except RecorderError as exc:
                result = recorder.progress
                code = _fail(str(exc), 1)
            _summary(result, args.db, recorder.skipped, sys.stdout)
            return code
    finally:
        store.close()


def _install_stop(loop: asyncio.AbstractEventLoop, recorder: Recorder) -> None:
    """First Ctrl-C / SIGTERM: stop cleanly; a second Ctrl-C: the default (abort)."""

    def on_signal() -> None:
        print("stopping: writing what was received (Ctrl-C again aborts)", file=sys.stderr)
        recorder.stop()
        with contextlib.suppress(Exception):
            loop.remove_signal_handler(signal.SIGINT)

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_signal)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the recorder; return the exit status (0 ok, 1 failed, 2 bad arguments)."""
    args = build_parser().parse_args(argv)
    try:
        channels = resolve_channels(args.channels.split(","))
    except ChannelError as exc:
        return _fail(str(exc))
    if args.depth < 1 or args.batch_size < 1:
        return _fail("--depth and --batch-size must be at least 1")
    try:
        return asyncio.run(_record(args, channels))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
