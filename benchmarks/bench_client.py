"""Client throughput and latency against one feed over loopback (prints a table).

Cases, all fed the same recorded-format frames by ``benchmarks.feed`` in its own process:

* ``raw``: the ceiling, a bare ``websockets`` receive loop with ``orjson.loads`` per frame;
* ``ours``: :meth:`client.Binance.watch_trades` and :meth:`~client.Binance.watch_order_book`
  (diff depth with the book maintained);
* ``ccxt.pro``: the same two watches of ``ccxt.pro.binance`` (rate limiter off, as fast as it
  goes).

Throughput: N frames sent as fast as the socket takes them; messages/s = N over the time from
the first frame's send to the watch return that covers the last one. Latency: frames paced at a
fixed rate every client keeps up with; per message, the time from the feed's send to the watch
return that covers it (p50/p99). ccxt.pro needs the ``ccxt`` package (the ``test`` extra);
without it the benchmark says so and runs the other clients. For CPU per message on
Binance-shaped loads (many symbols, deep diffs) see :mod:`benchmarks.loads`. Run::

    python -m benchmarks.bench_client [--n 30000] [--rate 2000] [--json out.json] [--plot out.png]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import orjson
import websockets

from .loads import CCXT_MISSING, have_ccxt

Run = Callable[[str, str, int], Awaitable[list[tuple[int, int]]]]
"""(base_url, kind, last_id) -> [(message id covered, return time ns)]."""


async def raw_ceiling(base: str, kind: str, last: int) -> list[tuple[int, int]]:
    """Receive with bare websockets and parse every frame with orjson."""
    stream = "btcusdt@trade" if kind == "trade" else "btcusdt@depth@100ms"
    url = base.replace("http://", "ws://") + "/stream.binance.com:9443/stream"
    marks: list[tuple[int, int]] = []
    async with websockets.connect(url, max_size=None, compression=None, max_queue=None) as ws:
        await ws.send(orjson.dumps({"method": "SUBSCRIBE", "params": [stream], "id": 1}).decode())
        await ws.recv()
        ready.set()
        key = "t" if kind == "trade" else "u"
        async for frame in ws:
            i = orjson.loads(frame)["data"][key]
            marks.append((i, time.time_ns()))
            if i >= last:
                break
    return marks


async def drive(
    kind: str,
    watch_trades: Callable[[], Awaitable[Any]],
    watch_book: Callable[[], Awaitable[Any]],
    last: int,
) -> list[tuple[int, int]]:
    """Watch until the message with id ``last`` is covered; mark each return (id, time)."""
    marks: list[tuple[int, int]] = []
    i = 0
    if kind == "trade":
        # keep one watch pending from before the burst, as a trading loop would
        watch = asyncio.ensure_future(watch_trades())
        await asyncio.sleep(0.3)  # ccxt has no way to observe its SUBSCRIBE ACK
        ready.set()
        while i < last:
            trades = await watch
            now = time.time_ns()
            i = int(trades[-1]["id"] or 0)
            marks.append((i, now))
            watch = asyncio.ensure_future(watch_trades())
        watch.cancel()
    else:
        await watch_book()  # subscribed and synced
        ready.set()
        while i < last:
            book = await watch_book()
            i = int(book["nonce"] or 0)
            marks.append((i, time.time_ns()))
    return marks


async def ours(base: str, kind: str, last: int) -> list[tuple[int, int]]:
    """Our client's watch_trades / watch_order_book."""
    import client

    opts = {"cache_limit": 100_000, "timeout": 60_000}
    async with client.Binance(binance_env="local", base_url=base, options=opts) as ex:
        return await drive(
            kind,
            lambda: ex.watch_trades("BTC/USDT"),
            lambda: ex.watch_order_book("BTC/USDT"),
            last,
        )


async def ccxt_pro(base: str, kind: str, last: int) -> list[tuple[int, int]]:
    """ccxt.pro's watch_trades / watch_order_book, redirected per its documented recipe."""
    import ccxt.pro

    ex = ccxt.pro.binance(
        {
            "enableRateLimit": False,
            "options": {
                "fetchMarkets": {"types": ["spot"]},
                "fetchCurrencies": False,
                "fetchMargins": False,
                "tradesLimit": 100_000,
                "ws": {"compress": 0},
            },
        }
    )
    for k, v in list(ex.urls["api"].items()):
        if isinstance(v, str) and v.startswith("https://"):
            ex.urls["api"][k] = f"{base}/api.binance.com/" + v.split("/", 3)[3]
    ex.urls["api"]["ws"]["spot"] = base.replace("http", "ws") + "/stream.binance.com:9443/ws"
    try:
        await ex.load_markets()
        return await drive(
            kind,
            lambda: ex.watch_trades("BTC/USDT"),
            lambda: ex.watch_order_book("BTC/USDT"),
            last,
        )
    finally:
        await ex.close()


ready = asyncio.Event()


async def case(base: str, run: Run, kind: str, n: int, rate: float) -> dict[str, float]:
    """Run one client against one feed burst; return rate and latency figures."""
    async with aiohttp.ClientSession() as http:
        await http.post(f"{base}/reset")
        first = 1 if kind == "trade" else 1001
        last = first + n - 1
        ready.clear()
        task = asyncio.ensure_future(run(base, kind, last))
        await asyncio.wait_for(ready.wait(), 30)
        await http.post(f"{base}/go?stream={kind}&n={n}&rate={rate}")
        marks = await asyncio.wait_for(task, 300)
        await http.post(f"{base}/stop")
        async with http.get(f"{base}/sendtimes") as r:
            sent = {int(k): v for k, v in orjson.loads(await r.read()).items()}
    lat: list[float] = []
    covered = first - 1
    for i, at in marks:
        for j in range(covered + 1, i + 1):
            lat.append((at - sent[j]) / 1e3)
        covered = max(covered, i)
    elapsed = (marks[-1][1] - sent[first]) / 1e9
    return {
        "msgs_per_s": n / elapsed,
        "p50_us": statistics.median(lat),
        "p99_us": statistics.quantiles(lat, n=100)[98],
    }


CLIENTS: dict[str, Run] = {"raw websockets+orjson": raw_ceiling, "ours": ours, "ccxt.pro": ccxt_pro}


async def main(n: int, rate: float, repeat: int) -> dict[str, dict[str, dict[str, float]]]:
    """Start the feed, run every case, return {kind: {client: figures}}."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.feed", "--port", "0", stdout=subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        port = int((await proc.stdout.readline()).split()[1])
        base = f"http://127.0.0.1:{port}"
        out: dict[str, dict[str, dict[str, float]]] = {}
        for kind in ("trade", "depth"):
            for name, run in CLIENTS.items():
                best: dict[str, float] = {}
                for _ in range(repeat):
                    thr = await case(base, run, kind, n, 0)
                    if thr["msgs_per_s"] > best.get("msgs_per_s", 0):
                        best = {"msgs_per_s": thr["msgs_per_s"]}
                paced = await case(base, run, kind, min(n, int(rate * 5)), rate)
                best |= {"p50_us": paced["p50_us"], "p99_us": paced["p99_us"]}
                out.setdefault(kind, {})[name] = best
                rate_s, p50, p99 = best["msgs_per_s"], best["p50_us"], best["p99_us"]
                line = (
                    f"{kind:6} {name:24} {rate_s:10.0f} msg/s p50 {p50:8.0f} us p99 {p99:8.0f} us"
                )
                print(line, flush=True)
        return out
    finally:
        proc.terminate()
        await proc.wait()


def plot(results: dict[str, dict[str, dict[str, float]]], path: str) -> None:
    """Draw messages/s per client and feed as a grouped bar chart (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in CLIENTS if n in next(iter(results.values()))]
    kinds = list(results)
    fig, ax = plt.subplots(figsize=(7, 3.6))
    width = 0.8 / len(names)
    for k, name in enumerate(names):
        values = [results[kind][name]["msgs_per_s"] / 1000 for kind in kinds]
        xs = [i + k * width for i in range(len(kinds))]
        bars = ax.bar(xs, values, width, label=name)
        ax.bar_label(bars, fmt="%.0f", fontsize=8)
    ax.set_xticks([i + width for i in range(len(kinds))])
    ax.set_xticklabels(["watch_trades (trade)", "watch_order_book (diff depth)"])
    ax.set_ylabel("thousand messages / s")
    ax.set_title("Loopback throughput, one feed, 1 client process")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=30_000, help="frames per throughput run")
    p.add_argument("--rate", type=float, default=2000, help="frames/s for the latency runs")
    p.add_argument("--repeat", type=int, default=2, help="throughput runs per case (best kept)")
    p.add_argument("--json", help="write the figures as JSON here")
    p.add_argument("--plot", help="write a PNG bar chart here")
    a = p.parse_args()
    if not have_ccxt():
        print(CCXT_MISSING, file=sys.stderr)
        del CLIENTS["ccxt.pro"]
    res = asyncio.run(main(a.n, a.rate, a.repeat))
    if a.json:
        with open(a.json, "wb") as f:
            f.write(orjson.dumps(res, option=orjson.OPT_INDENT_2))
    if a.plot:
        plot(res, a.plot)
