"""Measure the default market: messages per second per stream, depth gaps, and CPU per rate.

The emulator runs as its own process (``python -m mock_exchange serve --rate R``, the running
clock). For each rate ``--clients`` connections subscribe ``btcusdt@depth@100ms``,
``btcusdt@trade`` and ``btcusdt@bookTicker`` on one combined connection each; the first one
counts frames for ``--seconds`` of wall time after a second of settling, and the longest depth
gap is the longest wall time between two of its ``depth@100ms`` frames. The server's CPU is
read from ``/proc/<pid>/stat`` over the same window (user + system, as a share of one core).
Linux only. Run from the repository root:

    python benchmarks/market.py --rates 0 10 50 100 200 --seconds 10
    python benchmarks/market.py --rates 50 --clients 50
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time

import aiohttp
import orjson

STREAMS = ("btcusdt@depth@100ms", "btcusdt@trade", "btcusdt@bookTicker")


def cpu_seconds(pid: int) -> float:
    """Return the user + system CPU time of process ``pid`` in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _client(url: str, window: tuple[float, float], counts: dict[str, int] | None) -> float:
    """Read one connection; count frames in ``window`` when ``counts`` is given.

    Returns the longest gap between two depth frames inside the window.
    """
    began, deadline = window
    longest, last_depth = 0.0, began
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = await asyncio.wait_for(ws.receive(), left)
            except TimeoutError:
                break
            now = time.monotonic()
            if msg.type != aiohttp.WSMsgType.TEXT or now < began or counts is None:
                continue
            stream = orjson.loads(msg.data)["stream"]
            counts[stream] += 1
            if stream == "btcusdt@depth@100ms":
                longest = max(longest, now - last_depth)
                last_depth = now
    return max(longest, deadline - last_depth) if counts is not None else 0.0


async def measure(
    base: str, pid: int, seconds: float, clients: int
) -> tuple[dict[str, float], float, float]:
    """Count the first client's frames per stream over ``seconds`` (after one second of
    settling); return (per-second counts, longest depth gap in s, server CPU share)."""
    url = f"{base.replace('http', 'ws')}/stream.binance.com:9443/stream?streams={'/'.join(STREAMS)}"
    counts = dict.fromkeys(STREAMS, 0)
    began = time.monotonic() + 1.0
    window = (began, began + seconds)
    readers = [_client(url, window, counts if i == 0 else None) for i in range(clients)]
    tasks = [asyncio.ensure_future(r) for r in readers]
    await asyncio.sleep(max(0.0, began - time.monotonic()))
    cpu0 = cpu_seconds(pid)
    gaps = await asyncio.gather(*tasks)
    cpu = (cpu_seconds(pid) - cpu0) / seconds
    return {k: v / seconds for k, v in counts.items()}, gaps[0], cpu


async def run_rate(rate: float, seconds: float, clients: int) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mock_exchange", "serve", "--port", "0", "--rate", str(rate),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    base = (await proc.stdout.readline()).decode().split()[-1]
    try:
        per_s, gap, cpu = await measure(base, proc.pid, seconds, clients)
        print(
            f"rate={rate:g} clients={clients} depth@100ms={per_s[STREAMS[0]]:.1f}/s"
            f" trade={per_s[STREAMS[1]]:.1f}/s bookTicker={per_s[STREAMS[2]]:.1f}/s"
            f" longest-depth-gap={gap:.2f}s server-cpu={cpu * 100:.1f}%",
            flush=True,
        )
    finally:
        proc.terminate()
        await proc.wait()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=float, nargs="+", default=[50, 100])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=1, help="connections, each subscribed")
    args = parser.parse_args()
    for rate in args.rates:
        await run_rate(rate, args.seconds, args.clients)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
