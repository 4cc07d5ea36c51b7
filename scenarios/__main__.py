"""Command line: ``python -m scenarios run|validate|list [PATHS]``."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from .loader import ScenarioError, discover, load_file
from .report import format_row, header, summary
from .runner import run_paths
from .targets import parse_target

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scenarios",
        description="Binance conformance scenarios: run them against the embedded emulator "
        "(default), an emulator at a URL, or a live environment.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run scenarios and print a results table")
    run.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help="scenario files or directories (default: the shipped library)",
    )
    run.add_argument(
        "--target",
        action="append",
        default=None,
        help="emulator (default), url=http://HOST:PORT, testnet, sandbox, demo or "
        "prod; repeat for several",
    )
    validate = sub.add_parser("validate", help="check scenario files without running them")
    validate.add_argument("paths", nargs="*", type=Path)
    listing = sub.add_parser("list", help="list scenarios with their targets")
    listing.add_argument("paths", nargs="*", type=Path)
    return parser


def _validate(paths: list[Path]) -> int:
    bad = 0
    for file in discover(paths or None):
        try:
            s = load_file(file)
            print(f"ok     {file}  ({s.name}, {len(s.steps)} steps)")
        except ScenarioError as exc:
            bad += 1
            print(f"error  {exc}")
    return 1 if bad else 0


def _list(paths: list[Path]) -> int:
    status = 0
    for file in discover(paths or None):
        try:
            s = load_file(file)
        except ScenarioError as exc:
            print(f"error  {exc}")
            status = 1
            continue
        print(f"{s.name:40}  {s.market:5}  {','.join(s.targets):28}  {file}")
    return status


def _run(paths: list[Path], target_names: list[str] | None) -> int:
    try:
        targets = [parse_target(t) for t in (target_names or ["emulator"])]
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(header(), flush=True)
    start = time.monotonic()
    results = asyncio.run(
        run_paths(paths or None, targets, on_result=lambda r: print(format_row(r), flush=True))
    )
    print(summary(results, time.monotonic() - start))
    if not results:
        print("error: no scenarios found", file=sys.stderr)
        return 1
    return 1 if any(r.status == "failed" for r in results) else 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args.paths, args.target)
        if args.command == "validate":
            return _validate(args.paths)
        return _list(args.paths)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
