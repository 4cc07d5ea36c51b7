"""Command line: ``python -m scenarios run|validate|list [PATHS]`` and ``soak``."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import importlib.metadata
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from .checks import scenario_problems
from .loader import ScenarioError, discover, load_file
from .report import REPORT_FORMATS, format_row, header, matrix, summary, write_report
from .runner import DEFAULT_JOBS, ScenarioResult, run_paths
from .soak import SoakConfig, resolve_target, run_soak
from .targets import DEFAULT_TARGETS, expand_targets

__all__ = ["main"]

T = TypeVar("T")
_REQUIRE_LIVE = (
    "fail (exit 2) when --target live selects no live environment instead of skipping "
    "(also BINANCE_REQUIRE_LIVE=1), for CI jobs that expect their secrets"
)


def version() -> str:
    """Return the installed kit's version ("unknown" when it is run from a plain checkout)."""
    try:
        return importlib.metadata.version("binance-pro-kit")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _jobs(text: str) -> int:
    try:
        jobs = int(text)
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a number of jobs (1 or more)")
    return jobs


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scenarios",
        description="Binance conformance scenarios: run them against the embedded emulator "
        "(default), an emulator at a URL, or a live environment.",
    )
    parser.add_argument("--version", action="version", version=f"scenarios {version()}")
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
        type=_jobs,
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
    run.add_argument("--require-live", action="store_true", help=_REQUIRE_LIVE)
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
    soak.add_argument(
        "--target",
        help="any target run takes, live included (overrides CCXT_PRO_SOAK_TARGET, then "
        "BINANCE_PRO_ENV; default emulator)",
    )
    soak.add_argument("--require-live", action="store_true", help=_REQUIRE_LIVE)
    soak.add_argument(
        "--private",
        action="store_true",
        help="the private mode (CCXT_PRO_SOAK_PRIVATE=1): user data held open while orders are "
        "placed and canceled, listen keys renewed, connections cycled",
    )
    return parser


def _validate(paths: list[Path]) -> int:
    bad = 0
    files = discover(paths or None)
    for file in files:
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
    print(f"{len(files)} files: {len(files) - bad} valid, {bad} with errors")
    return 1 if bad else 0


def _list(paths: list[Path]) -> int:
    status = 0
    kinds: dict[str, int] = {}
    print(f"{'scenario':40}  {'kind':10}  {'market':6}  {'targets':28}  file")
    for file in discover(paths or None):
        try:
            s = load_file(file)
        except ScenarioError as exc:
            print(f"error  {exc}")
            status = 1
            continue
        kinds[s.kind] = kinds.get(s.kind, 0) + 1
        print(f"{s.name:40}  {s.kind:10}  {s.market:6}  {','.join(s.targets):28}  {file}")
    if kinds:
        counts = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
        print(f"{sum(kinds.values())} scenarios: {counts}")
    return status


def _interruptible(make: Callable[[asyncio.Event], Awaitable[T]]) -> tuple[T, bool]:
    """Run ``make(stop)`` in a new event loop; the first Ctrl-C sets ``stop`` (the work winds
    down and reports), a second one cancels it outright. Return (result, interrupted)."""
    stop = asyncio.Event()

    async def main() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()

        def on_sigint() -> None:
            if stop.is_set() and task is not None:
                task.cancel()
                return
            stop.set()
            print("interrupted: stopping (Ctrl-C again to force)", file=sys.stderr, flush=True)

        try:
            loop.add_signal_handler(signal.SIGINT, on_sigint)
        except (NotImplementedError, RuntimeError):  # no signal handlers here: Ctrl-C raises
            return await make(stop)
        try:
            return await make(stop)
        finally:
            loop.remove_signal_handler(signal.SIGINT)

    return asyncio.run(main()), stop.is_set()


def _check_report_paths(reports: list[Path]) -> None:
    """Refuse a report the run could not write, before anything runs."""
    for report in reports:
        if report.suffix.lower() not in REPORT_FORMATS:
            raise ValueError(f"--report {report}: use one of {', '.join(REPORT_FORMATS)}")
        parent = report.parent
        if not parent.is_dir():
            raise ValueError(f"--report {report}: directory {parent} does not exist")
        if not os.access(parent, os.W_OK) or report.is_dir():
            raise ValueError(f"--report {report}: cannot write there")


def _run(
    paths: list[Path],
    target_names: list[str] | None,
    reports: list[Path] | None,
    jobs: int,
    require_live: bool | None = None,
) -> int:
    try:
        targets = expand_targets(target_names, require_live=require_live)
        _check_report_paths(reports or [])
        total = len(discover(paths or None)) * len(targets)
    except (ValueError, ScenarioError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(header(), flush=True)
    start = time.monotonic()
    done: list[ScenarioResult] = []

    def progress(r: ScenarioResult) -> None:
        done.append(r)
        print(format_row(r, len(done), total), flush=True)

    results, interrupted = _interruptible(
        lambda stop: run_paths(paths or None, targets, on_result=progress, jobs=jobs, stop=stop)
    )
    elapsed = time.monotonic() - start
    if results:
        print("\n" + matrix(results))
    line = summary(results, elapsed)
    if interrupted:
        line += f", {total - len(results)} not run (interrupted)"
    print(line, flush=True)
    for report in reports or []:
        write_report(report, results, elapsed)
        print(f"report written to {report}")
    if interrupted:
        return 130
    if not results:
        print("error: no scenarios found", file=sys.stderr)
        return 1
    return 1 if any(r.status == "failed" for r in results) else 0


def _soak(
    seconds: float | None,
    min_updates: int | None,
    target: str | None,
    require_live: bool | None,
    private: bool = False,
) -> int:
    try:
        config = SoakConfig.from_env(
            seconds=seconds, min_updates=min_updates, target=target, require_live=require_live
        )
        if private:
            config = dataclasses.replace(config, private=True)
        resolve_target(config)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report, interrupted = _interruptible(lambda stop: run_soak(config, stop=stop))
    if interrupted:
        return 130
    return 0 if report.passed else 1


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args.paths, args.target, args.report, args.jobs, args.require_live or None)
        if args.command == "soak":
            return _soak(
                args.seconds, args.min_updates, args.target, args.require_live or None, args.private
            )
        if args.command == "validate":
            return _validate(args.paths)
        return _list(args.paths)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (``list | head``): stop quietly, as cat does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
