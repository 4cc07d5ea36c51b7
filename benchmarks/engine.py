"""Measure the matching engine alone: background actions per second of CPU, no I/O.

One spot engine with its seeded background flow at a high rate plays a fixed stretch of
virtual clock; the figure is actions divided by the wall time it took. Run from the
repository root:

    python benchmarks/engine.py --rate 3000 --seconds 10 --repeat 3
"""

from __future__ import annotations

import argparse
import time

from mock_exchange.engine.activity import Activity
from mock_exchange.engine.clock import VirtualClock
from mock_exchange.engine.core import Engine

START_MS = 1_767_225_600_000


def run(rate: float, seconds: float) -> tuple[int, float]:
    """Play ``seconds`` of clock at ``rate``; return (actions, wall seconds)."""
    clock = VirtualClock(START_MS)
    activity = Activity(Engine(clock, seed=1), rate)
    activity.warm_up(START_MS, START_MS)
    began = time.perf_counter()
    for step in range(1, int(seconds * 2) + 1):
        activity.run_until(START_MS + step * 500)
    return activity.actions, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=3000, help="background actions per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="virtual seconds to play")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for _ in range(args.repeat):
        actions, wall = run(args.rate, args.seconds)
        print(f"{actions} actions in {wall:.3f} s: {actions / wall:,.0f} actions/s", flush=True)


if __name__ == "__main__":
    main()
