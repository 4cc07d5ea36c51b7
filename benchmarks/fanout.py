"""Measure the emulator's market-stream fan-out: messages/s delivered to 1 and to N connections.

The emulator runs as its own process (``python -m mock_exchange serve``) with a high background
rate, so the benchmark's clients do not share its event loop. Each client subscribes to the
real-time and 100 ms streams of every spot symbol and counts the frames it receives for a
fixed wall-clock window. Prints one line per connection count. Run from the repository root:

    python benchmarks/fanout.py --rate 3000 --seconds 5 --connections 1 10
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

import aiohttp

SYMBOLS = ("btcusdt", "ethusdt", "bnbusdt", "ethbtc")
CHANNELS = ("trade", "aggTrade", "bookTicker", "depth@100ms")


async def client(base: str, seconds: float, counts: list[int], index: int) -> None:
    streams = "/".join(f"{s}@{c}" for s in SYMBOLS for c in CHANNELS)
    url = f"{base.replace('http', 'ws')}/stream.binance.com:9443/stream?streams={streams}"
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = await asyncio.wait_for(ws.receive(), left)
            except TimeoutError:
                break
            if msg.type == aiohttp.WSMsgType.TEXT:
                counts[index] += 1


async def measure(base: str, connections: int, seconds: float) -> tuple[float, float]:
    counts = [0] * connections
    await asyncio.gather(*(client(base, seconds, counts, i) for i in range(connections)))
    total = sum(counts) / seconds
    return total, total / connections


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=3000, help="engine actions per second")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 10])
    args = parser.parse_args()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mock_exchange",
        "serve",
        "--port",
        "0",
        "--rate",
        str(args.rate),
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    base = (await proc.stdout.readline()).decode().split()[-1]
    try:
        for n in args.connections:
            total, per = await measure(base, n, args.seconds)
            print(
                f"connections={n:3d} rate={args.rate:g}/s total={total:10.0f} msg/s "
                f"per-connection={per:9.0f} msg/s",
                flush=True,
            )
    finally:
        proc.terminate()
        await proc.wait()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
