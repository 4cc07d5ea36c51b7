"""User-data ingest: ``executionReport`` events per second, ours vs ccxt.pro, one feed.

``benchmarks.feed`` (its own process) serves the spot WebSocket API: it answers
``userDataStream.subscribe.signature`` and then pushes recorded-format ``executionReport``
events wrapped ``{"subscriptionId":0,"event":{...}}`` (three per order: NEW, a partial fill,
the fill). Each client keeps one ``watch_orders()`` pending and notes the newest execution id
``I`` it returned; the raw ceiling is a bare ``websockets`` loop that ``orjson.loads`` each
frame. Throughput: N events sent as fast as the socket takes them, events/s = N over the time
from the first send to the watch return that covers the last; latency: events paced at a rate
every client keeps up with, send to covering return (p50/p99). Run::

    python -m benchmarks.bench_user_data [--n 60000] [--rate 2000] [--repeat 3] [--json out]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import websockets

from benchmarks import bench_client
from benchmarks.bench_client import Run, case

KIND = "executionReport"
CREDENTIALS = {"apiKey": "benchUserDataKey", "secret": "benchUserDataSecret"}


async def raw_ceiling(base: str, kind: str, last: int) -> list[tuple[int, int]]:
    """Subscribe with bare websockets and parse every frame with orjson."""
    url = base.replace("http://", "ws://") + "/ws-api.binance.com:443/ws-api/v3"
    marks: list[tuple[int, int]] = []
    async with websockets.connect(url, max_size=None, compression=None, max_queue=None) as ws:
        request = {"id": "1", "method": "userDataStream.subscribe.signature", "params": {}}
        await ws.send(orjson.dumps(request).decode())
        await ws.recv()
        bench_client.ready.set()
        async for frame in ws:
            i = orjson.loads(frame)["event"]["I"]
            marks.append((i, time.time_ns()))
            if i >= last:
                break
    return marks


async def drive(watch_orders: Callable[[], Awaitable[Any]], last: int) -> list[tuple[int, int]]:
    """Keep one ``watch_orders`` pending; mark each return with the newest execution id."""
    marks: list[tuple[int, int]] = []
    i = 0
    watch = asyncio.ensure_future(watch_orders())
    await asyncio.sleep(0.3)  # ccxt cannot tell when its subscribe was answered
    bench_client.ready.set()
    while i < last:
        orders = await watch
        now = time.time_ns()
        i = max(int(o["info"]["I"]) for o in orders)
        marks.append((i, now))
        watch = asyncio.ensure_future(watch_orders())
    watch.cancel()
    return marks


async def ours(base: str, kind: str, last: int) -> list[tuple[int, int]]:
    """Our client's ``watch_orders`` (spot: ``userDataStream.subscribe.signature``)."""
    import client

    opts = {"cache_limit": 100_000, "timeout": 60_000, "reconcile": False}
    config = {**CREDENTIALS, "options": opts}
    async with client.Binance(config, binance_env="local", base_url=base) as ex:
        await ex.authenticate()
        return await drive(lambda: ex.watch_orders(), last)


async def ccxt_pro(base: str, kind: str, last: int) -> list[tuple[int, int]]:
    """ccxt.pro's ``watch_orders``, redirected per its documented recipe."""
    import ccxt.pro

    ex = ccxt.pro.binance(
        {
            **CREDENTIALS,
            "enableRateLimit": False,
            "options": {
                "fetchMarkets": {"types": ["spot"]},
                "fetchCurrencies": False,
                "fetchMargins": False,
                "ordersLimit": 100_000,
                "ws": {"compress": 0},
            },
        }
    )
    for k, v in list(ex.urls["api"].items()):
        if isinstance(v, str) and v.startswith("https://"):
            ex.urls["api"][k] = f"{base}/api.binance.com/" + v.split("/", 3)[3]
    ws_base = base.replace("http", "ws")
    ex.urls["api"]["ws"]["ws-api"]["spot"] = f"{ws_base}/ws-api.binance.com:443/ws-api/v3"
    try:
        await ex.load_markets()
        return await drive(lambda: ex.watch_orders(), last)
    finally:
        await ex.close()


CLIENTS: dict[str, Run] = {"raw websockets+orjson": raw_ceiling, "ours": ours, "ccxt.pro": ccxt_pro}


async def main(n: int, rate: float, repeat: int) -> dict[str, dict[str, float]]:
    """Start the feed, run every client, return {client: figures}."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.feed", "--port", "0", stdout=subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        port = int((await proc.stdout.readline()).split()[1])
        base = f"http://127.0.0.1:{port}"
        out: dict[str, dict[str, float]] = {}
        for name, run in CLIENTS.items():
            best: dict[str, float] = {}
            for _ in range(repeat):
                thr = await case(base, run, KIND, n, 0)
                if thr["msgs_per_s"] > best.get("msgs_per_s", 0):
                    best = {"msgs_per_s": thr["msgs_per_s"]}
            paced = await case(base, run, KIND, min(n, int(rate * 5)), rate)
            best |= {"p50_us": paced["p50_us"], "p99_us": paced["p99_us"]}
            out[name] = best
            print(
                f"{KIND} {name:24} {best['msgs_per_s']:10.0f} events/s "
                f"p50 {best['p50_us']:8.0f} us p99 {best['p99_us']:8.0f} us",
                flush=True,
            )
        return out
    finally:
        proc.terminate()
        await proc.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60_000)
    parser.add_argument("--rate", type=float, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    results = asyncio.run(main(args.n, args.rate, args.repeat))
    if args.json:
        with open(args.json, "wb") as f:
            f.write(orjson.dumps(results, option=orjson.OPT_INDENT_2))
