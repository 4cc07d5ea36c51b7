"""Command line: ``python -m scenarios run|validate|list [PATHS]`` and ``soak``."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import time
from pathlib import Path

from .checks import scenario_problems
from .loader import ScenarioError, discover, load_file
from .report import REPORT_FORMATS, format_row, header, matrix, summary, write_report
from .runner import DEFAULT_JOBS, ScenarioResult, run_paths
from .soak import SoakConfig, run_soak
from .targets import DEFAULT_TARGETS, expand_targets, parse_target

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
        help="emulator, url=http://HOST:PORT, testnet (sandbox), demo, prod, live (the "
        "live environments BINANCE_PRO_ENV and the key variables select), or ENV@emulator / "
        "ENV@http://HOST:PORT (a live environment's code path against an emulator); repeat "
        f"for several (default: {' '.join(DEFAULT_TARGETS)})",
    )
    run.add_argument(
        "--jobs",
        type=int,
        default=DEFAULT_JOBS,
        help=f"scenarios run at the same time (default {DEFAULT_JOBS}; 1 = one by one)",
    )
    run.add_argument(
        "--report",
        type=Path,
        action="append",
        default=None,
        help="also write a report; the extension picks the format: "
        + ", ".join(sorted(REPORT_FORMATS)),
    )
    validate = sub.add_parser("validate", help="check scenario files without running them")
    validate.add_argument("paths", nargs="*", type=Path)
    listing = sub.add_parser("list", help="list scenarios with their targets")
    listing.add_argument("paths", nargs="*", type=Path)
    soak = sub.add_parser(
        "soak",
        help="keep watches running and check updates, hangs and memory "
        "(CCXT_PRO_SOAK_SECONDS, CCXT_PRO_SOAK_MIN_UPDATES, ...)",
    )
    soak.add_argument("--seconds", type=float, help="overrides CCXT_PRO_SOAK_SECONDS")
    soak.add_argument("--min-updates", type=int, help="overrides CCXT_PRO_SOAK_MIN_UPDATES")
    soak.add_argument("--target", help="overrides CCXT_PRO_SOAK_TARGET / BINANCE_PRO_ENV")
    soak.add_argument(
        "--private",
        action="store_true",
        help="the private mode (CCXT_PRO_SOAK_PRIVATE=1): user data held open while orders are "
        "placed and canceled, listen keys renewed, connections cycled",
    )
    return parser


def _validate(paths: list[Path]) -> int:
    bad = 0
    for file in discover(paths or None):
        try:
            s = load_file(file)
        except ScenarioError as exc:
            bad += 1
            print(f"error  {exc}")
            continue
        problems = scenario_problems(s)
        for problem in problems:
            print(f"error  {problem}")
        if problems:
            bad += 1
        else:
            print(f"ok     {file}  ({s.name}, {len(s.steps)} steps)")
    return 1 if bad else 0


def _list(paths: list[Path]) -> int:
    status = 0
    kinds: dict[str, int] = {}
    for file in discover(paths or None):
        try:
            s = load_file(file)
        except ScenarioError as exc:
            print(f"error  {exc}")
            status = 1
            continue
        kinds[s.kind] = kinds.get(s.kind, 0) + 1
        print(f"{s.name:40}  {s.kind:10}  {s.market:5}  {','.join(s.targets):28}  {file}")
    if kinds:
        counts = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
        print(f"{sum(kinds.values())} scenarios: {counts}")
    return status


def _run(
    paths: list[Path], target_names: list[str] | None, reports: list[Path] | None, jobs: int
) -> int:
    try:
        targets = expand_targets(target_names)
        for report in reports or []:
            if report.suffix.lower() not in REPORT_FORMATS:
                raise ValueError(f"--report {report}: use one of {', '.join(REPORT_FORMATS)}")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    total = len(discover(paths or None)) * len(targets)
    print(header(), flush=True)
    start = time.monotonic()
    done: list[ScenarioResult] = []

    def progress(r: ScenarioResult) -> None:
        done.append(r)
        print(format_row(r, len(done), total), flush=True)

    results = asyncio.run(run_paths(paths or None, targets, on_result=progress, jobs=jobs))
    elapsed = time.monotonic() - start
    if results:
        print("\n" + matrix(results))
    print(summary(results, elapsed))
    for report in reports or []:
        write_report(report, results, elapsed)
        print(f"report written to {report}")
    if not results:
        print("error: no scenarios found", file=sys.stderr)
        return 1
    return 1 if any(r.status == "failed" for r in results) else 0


def _soak(
    seconds: float | None, min_updates: int | None, target: str | None, private: bool = False
) -> int:
    config = SoakConfig.from_env(seconds=seconds, min_updates=min_updates, target=target)
    if private:
        config = dataclasses.replace(config, private=True)
    try:
        parse_target(config.target)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report = asyncio.run(run_soak(config))
    return 0 if report.passed else 1


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args.paths, args.target, args.report, args.jobs)
        if args.command == "soak":
            return _soak(args.seconds, args.min_updates, args.target, args.private)
        if args.command == "validate":
            return _validate(args.paths)
        return _list(args.paths)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
