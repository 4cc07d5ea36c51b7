"""Binance-shaped loads: CPU per message of ours, ccxt.pro and the bare reader, in one run.

Profiles (``--profiles``, all by default), each fed by ``benchmarks.feed`` in its own process:

* ``depth LxS``: spot ``<symbol>@depth@100ms`` diffs round-robin over S symbols, L levels per
  side per diff, 1000-level books; one task per symbol loops on ``watch_order_book(symbol)``;
* ``trades S``: ``<symbol>@trade`` round-robin over S symbols, one ``watch_trades`` task each
  (``trades 1024`` is 1,024 streams, one connection for ours and the bare reader; ccxt.pro
  spreads its watches over its own 50 connections, as it always does);
* ``bookTicker all``: the USD-M all-symbol ``!bookTicker`` stream over 200 symbols, one
  ``watch_bids_asks()`` loop;
* ``executionReport``: spot user data on the WebSocket API (``userDataStream.subscribe
  .signature``), ``executionReport`` events of an order flow (each order placed, partly filled,
  filled), one ``watch_orders()`` loop (ours authenticates first; ccxt.pro subscribes in its
  first watch; the bare reader sends the subscribe and counts ``event`` frames).

Every round runs each client in a fresh process, in an order rotated per round so that load on a
shared machine falls on all of them alike. A client subscribes (and syncs its books) before the
burst; the feed then sends N messages as fast as the sockets take them. Per run: CPU µs per
message = the client process's CPU time (user + system, ``time.process_time``) from "ready" to
the return that covers the last message, over N; msg/s = N over the wall time from the first
send to that return. Printed: the median over rounds and the min-max. Run::

    python -m benchmarks.loads [--rounds 5] [--profiles "depth 20x20" "trades 1"]
        [--clients ours ccxt.pro bare] [--json out.json] [--plot out.png]

ccxt.pro needs the ``ccxt`` package (the ``test`` extra: ``pip install -e .[test]``); without it
the harness says so and runs only the other clients.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import importlib.util
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson

from .feed import FIRST_ID, stream_of, symbol_id


def _profile(kind: str, symbols: int, levels: int, n: int, market: str = "spot") -> dict[str, Any]:
    return {"kind": kind, "market": market, "symbols": symbols, "levels": levels, "n": n}


PROFILES: dict[str, dict[str, Any]] = {
    "depth 1x1": _profile("depth", 1, 1, 40_000),
    "depth 1x20": _profile("depth", 20, 1, 40_000),
    "depth 1x200": _profile("depth", 200, 1, 40_000),
    "depth 20x1": _profile("depth", 1, 20, 12_000),
    "depth 20x20": _profile("depth", 20, 20, 12_000),
    "depth 20x200": _profile("depth", 200, 20, 12_000),
    "trades 1": _profile("trade", 1, 0, 40_000),
    "trades 1024": _profile("trade", 1024, 0, 40_000),
    "bookTicker all": _profile("bookTicker", 200, 0, 40_000, "usdm"),
    "executionReport": _profile("executionReport", 1, 0, 30_000),
}
CREDENTIALS = {"apiKey": "benchLoadsKey", "secret": "benchLoadsSecret"}
"""What the clients sign user-data subscribes with (the feed does not check signatures)."""
WS_API_PATH = "/ws-api.binance.com:443/ws-api/v3"
LIVE = "ours live"
"""Our client with ``live_book`` (ccxt.pro's semantics: the live book, no copy per return);
the same as ``ours`` on profiles other than depth."""
CLIENTS = ("ours", LIVE, "ccxt.pro", "bare")
CCXT_MISSING = (
    "ccxt.pro needs the ccxt package, which is not installed: pip install -e '.[test]' "
    "(the test extra pins ccxt==4.5.90), or pass --clients ours bare"
)


def have_ccxt() -> bool:
    """True when ccxt (and so ccxt.pro) can be imported."""
    return importlib.util.find_spec("ccxt") is not None


def _ccxt_symbol(sid: str, market: str) -> str:
    return f"{sid[:-4]}/USDT" + (":USDT" if market == "usdm" else "")


def _lasts(p: dict[str, Any]) -> list[int]:
    """Per symbol, the id (depth ``u``, trade ``t``) of its last message of the burst."""
    s, n = p["symbols"], p["n"]
    counts = [len(range(j, n, s)) for j in range(s)]
    return [FIRST_ID + c if p["kind"] == "depth" else c for c in counts]


# -- the workers (one client per process) ----------------------------------------------------


async def _drive(
    p: dict[str, Any], watch: Callable[..., Awaitable[Any]], ready: Callable[[], None]
) -> None:
    await _cover(p, watch, ready)
    _finish()


def _finish() -> None:
    marks["cpu1"] = time.process_time()
    marks["end_ns"] = time.time_ns()


async def _cover(
    p: dict[str, Any], watch: Callable[..., Awaitable[Any]], ready: Callable[[], None]
) -> None:
    """One task per symbol (or one for ``!bookTicker``) until every last message is covered."""
    market, kind = p["market"], p["kind"]
    syms = [_ccxt_symbol(symbol_id(j), market) for j in range(p["symbols"])]
    if kind == "executionReport":

        async def orders() -> None:
            while True:
                rows = await watch("orders", None)
                if max(int(o["info"]["I"]) for o in rows) >= p["n"]:
                    return

        task = asyncio.ensure_future(orders())
        ready()
        await task
        return
    if kind == "bookTicker":

        async def tickers() -> None:
            while True:
                out = await watch("bidsasks", None)
                if any(int(t["info"]["u"]) >= p["n"] for t in out.values()):
                    return

        task = asyncio.ensure_future(tickers())
        ready()
        await task
        return
    lasts = _lasts(p)
    synced = asyncio.Event()
    left = [len(syms)]

    async def books(sym: str, last: int) -> None:
        book = await watch("book", sym)  # subscribed and synced
        left[0] -= 1
        if not left[0]:
            synced.set()
        while int(book["nonce"] or 0) < last:
            book = await watch("book", sym)

    async def trades(sym: str, last: int) -> None:
        while True:
            rows = await watch("trades", sym)
            if int(rows[-1]["id"]) >= last:
                return

    one = books if kind == "depth" else trades
    tasks = [asyncio.ensure_future(one(s, last)) for s, last in zip(syms, lasts, strict=True)]
    if kind == "depth":
        await synced.wait()
    ready()
    await asyncio.gather(*tasks)


async def run_ours(
    base: str, p: dict[str, Any], ready: Callable[[], None], live: bool = False
) -> None:
    """Our client (``live``: with ``live_book``)."""
    import client

    opts: dict[str, Any] = {"cache_limit": 100_000, "timeout": 120_000, "control_rate": 10_000}
    if live:
        opts["live_book"] = True
    config = {**CREDENTIALS, "options": opts}
    async with client.Binance(config, binance_env="local", base_url=base) as ex:
        params = {"type": "future"} if p["market"] == "usdm" else None

        async def watch(what: str, sym: str | None) -> Any:
            if what == "book":
                return await ex.watch_order_book(sym, params=params)
            if what == "trades":
                return await ex.watch_trades(sym, params=params)
            if what == "orders":
                return await ex.watch_orders()
            return await ex.watch_bids_asks(None, params)

        await ex.load_markets()
        if p["kind"] == "executionReport":
            await ex.authenticate()
        await _drive(p, watch, ready)


async def run_ccxt(base: str, p: dict[str, Any], ready: Callable[[], None]) -> None:
    """ccxt.pro, redirected to the feed by rewriting its URLs (its documented recipe)."""
    import ccxt.pro

    usdm = p["market"] == "usdm"
    ex = ccxt.pro.binance(
        {
            **CREDENTIALS,
            "enableRateLimit": False,
            "options": {
                "defaultType": "swap" if usdm else "spot",
                "fetchMarkets": {"types": ["linear" if usdm else "spot"]},
                "fetchCurrencies": False,
                "fetchMargins": False,
                "tradesLimit": 100_000,
                "ordersLimit": 100_000,
                "ws": {"compress": 0},
            },
        }
    )

    def local(url: str) -> str:
        u = urlsplit(url)
        scheme = "ws" if u.scheme in ("ws", "wss") else "http"
        return f"{scheme}://{urlsplit(base).netloc}/{u.hostname}{u.path}"

    def rewrite(d: dict[str, Any]) -> None:
        for k, v in d.items():
            if isinstance(v, dict):
                rewrite(v)
            elif isinstance(v, str) and v.startswith(("https://", "wss://")):
                d[k] = local(v)

    rewrite(ex.urls["api"])
    try:
        await ex.load_markets()

        async def watch(what: str, sym: str | None) -> Any:
            if what == "book":
                return await ex.watch_order_book(sym)
            if what == "trades":
                return await ex.watch_trades(sym)
            if what == "orders":
                return await ex.watch_orders()
            return await ex.watch_bids_asks()

        await _drive(p, watch, ready)
    finally:
        await ex.close()


async def run_bare(base: str, p: dict[str, Any], ready: Callable[[], None]) -> None:
    """The bare reader, on one connection like ours."""
    from .ceiling import open_reader

    u = urlsplit(base)
    ids = [symbol_id(j) for j in range(p["symbols"])]
    streams = sorted({stream_of(p["kind"], sid) for sid in ids})
    path = "/fstream.binance.com/public/stream" if p["market"] == "usdm" else "/stream"
    request = None
    if p["kind"] == "executionReport":
        path = WS_API_PATH
        request = {"id": "1", "method": "userDataStream.subscribe.signature", "params": {}}
    done = asyncio.Event()
    n = p["n"]

    def on_count(count: int) -> None:
        if count >= n:
            done.set()

    host, port = u.hostname or "127.0.0.1", u.port or 80
    reader = await open_reader(host, port, path, streams, on_count, request)
    ready()
    await done.wait()
    _finish()
    reader.transport.abort()


BEFORE = "ours before"
"""Our client as it was in another tree (``--baseline``), measured in the same rounds."""
BASELINE: list[str] = []
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNNERS: dict[str, Callable[..., Awaitable[None]]] = {
    "ours": run_ours,
    LIVE: functools.partial(run_ours, live=True),
    BEFORE: run_ours,
    "ccxt.pro": run_ccxt,
    "bare": run_bare,
}


marks: dict[str, float] = {}
"""CPU time at "ready" and when the last message was covered (teardown is not measured)."""


def worker(name: str, base: str, p: dict[str, Any]) -> None:
    """Run one client; print READY, then one JSON line with its CPU seconds and end time."""

    def ready() -> None:
        print("READY", flush=True)
        # the harness answers once every stream is subscribed, just before the burst, so
        # subscribing (1,024 SUBSCRIBEs for some) is not counted
        loop = asyncio.get_running_loop()
        loop.run_in_executor(None, sys.stdin.readline).add_done_callback(start)

    def start(_: object) -> None:
        marks["cpu0"] = time.process_time()
        print("MARK", flush=True)

    asyncio.run(RUNNERS[name](base, p, ready))
    cpu = marks["cpu1"] - marks["cpu0"]
    print(orjson.dumps({"cpu_s": cpu, "end_ns": marks["end_ns"]}).decode(), flush=True)


# -- the harness -----------------------------------------------------------------------------


async def _line(proc: asyncio.subprocess.Process, timeout: float) -> bytes:
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), timeout)
    if not line:
        raise RuntimeError("worker ended without an answer (see its stderr above)")
    return line


async def one_run(
    http: aiohttp.ClientSession, base: str, name: str, profile: str
) -> dict[str, float]:
    """Run client ``name`` on ``profile`` in a fresh process; return its figures."""
    p = PROFILES[profile]
    cwd, env = None, None
    if name == BEFORE:
        # our client from the baseline tree (the current directory of a ``-m`` run comes
        # first on sys.path), this harness from ours
        cwd, env = BASELINE[0], {**os.environ, "PYTHONPATH": HERE}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.loads", "--worker", name, "--base", base,
        "--profiles", profile, stdout=subprocess.PIPE, stdin=subprocess.PIPE, cwd=cwd, env=env,
    )  # fmt: skip
    try:
        while (await _line(proc, 300)).strip() != b"READY":
            pass
        want = p["symbols"] if p["kind"] != "bookTicker" else 1
        for _ in range(3000):  # every stream subscribed (ccxt.pro gives no ACK to wait on)
            async with http.get(f"{base}/subscribed") as r:
                if (await r.json())["streams"] >= want:
                    break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # let the last subscription answers settle
        assert proc.stdin is not None
        proc.stdin.write(b"GO\n")
        await proc.stdin.drain()
        while (await _line(proc, 60)).strip() != b"MARK":
            pass
        await http.post(f"{base}/go?n={p['n']}&rate=0")
        res = orjson.loads(await _line(proc, 600))
        await http.post(f"{base}/stop")
        async with http.get(f"{base}/burst") as r:
            start = (await r.json())["start_ns"]
        await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return {
        "cpu_us": res["cpu_s"] * 1e6 / p["n"],
        "msgs_per_s": p["n"] / ((res["end_ns"] - start) / 1e9),
    }


def summary(runs: list[dict[str, float]]) -> dict[str, Any]:
    """Median and min-max of each figure over rounds."""
    out: dict[str, Any] = {}
    for k in ("cpu_us", "msgs_per_s"):
        xs = [r[k] for r in runs]
        out[k] = {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "runs": xs}
    return out


async def main(profiles: list[str], clients: list[str], rounds: int) -> dict[str, Any]:
    """Start the feed and run every profile; return {profile: {client: summary}}."""
    feed = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.feed", "--port", "0", stdout=subprocess.PIPE
    )
    results: dict[str, Any] = {}
    try:
        port = int((await _line(feed, 30)).split()[1])
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as http:
            for profile in profiles:
                p = PROFILES[profile]
                q = "&".join(f"{k}={p[k]}" for k in ("kind", "market", "symbols", "levels"))
                await http.post(f"{base}/setup?{q}")
                # the live book changes only the depth profiles
                mine = [c for c in clients if c != LIVE or p["kind"] == "depth"]
                runs: dict[str, list[dict[str, float]]] = {c: [] for c in mine}
                for r in range(rounds):
                    for c in mine[r % len(mine) :] + mine[: r % len(mine)]:
                        runs[c].append(await one_run(http, base, c, profile))
                results[profile] = {c: summary(runs[c]) for c in mine}
                print_profile(profile, results[profile])
    finally:
        feed.terminate()
        await feed.wait()
    return results


def print_profile(profile: str, res: dict[str, Any]) -> None:
    """Print one profile's lines: CPU µs/msg and msg/s per client, and the ratios."""
    for c, s in res.items():
        cpu, rate = s["cpu_us"], s["msgs_per_s"]
        print(
            f"{profile:15} {c:11} {cpu['median']:8.2f} us/msg ({cpu['min']:.2f}-{cpu['max']:.2f})"
            f" {rate['median']:9.0f} msg/s ({rate['min']:.0f}-{rate['max']:.0f})",
            flush=True,
        )
    ratios = []
    for mine in ("ours", LIVE):
        ours = res.get(mine, {}).get("cpu_us", {}).get("median")
        if not ours:
            continue
        if "ccxt.pro" in res:
            ccxt = res["ccxt.pro"]["cpu_us"]["median"]
            ratios.append(f"ccxt.pro/{mine} {ccxt / ours:.2f}x")
        if "bare" in res:
            ratios.append(f"bare/{mine} {res['bare']['cpu_us']['median'] / ours:.2f}")
    if ratios:
        print(f"{profile:15} {'ratios':11} " + "  ".join(ratios), flush=True)


def markdown(results: dict[str, Any], before: dict[str, Any] | None = None) -> str:
    """Return a Markdown table of the medians: CPU µs per message per client, the ratios, and
    with ``before`` our earlier figure and ratio."""
    head = ["profile", "ours", "ccxt.pro", "bare", "ccxt.pro / ours", "bare / ours"]
    if before is None and any(BEFORE in res for res in results.values()):
        before = {name: {**res, "ours": res[BEFORE]} for name, res in results.items()}
    if before is not None:
        head[1:1] = ["ours before"]
        head.append("ccxt.pro / ours before")
    lines = ["| " + " | ".join(head) + " |", "|---" + "|---:" * (len(head) - 1) + "|"]
    for name, res in results.items():

        def med(r: dict[str, Any], c: str) -> float | None:
            return r[c]["cpu_us"]["median"] if c in r else None

        ours, ccxt, bare = med(res, "ours"), med(res, "ccxt.pro"), med(res, "bare")
        row = [name, f"{ours:.2f}" if ours else "", f"{ccxt:.1f}" if ccxt else ""]
        row += [f"{bare:.2f}" if bare else ""]
        row += [f"{ccxt / ours:.2f}x" if ccxt and ours else ""]
        row += [f"{bare / ours:.2f}" if bare and ours else ""]
        if before is not None:
            old = med(before.get(name, {}), "ours")
            old_ccxt = med(before.get(name, {}), "ccxt.pro")
            row[1:1] = [f"{old:.2f}" if old else ""]
            row.append(f"{old_ccxt / old:.2f}x" if old and old_ccxt else "")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def plot(results: dict[str, Any], path: str, before: dict[str, Any] | None = None) -> None:
    """Draw CPU µs/msg against symbols for each client (the depth profiles), log-log; with
    ``before`` (an earlier run's JSON), our client's earlier figures too, in grey."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.5))
    colors = {"ours": "tab:blue", BEFORE: "grey", "ccxt.pro": "tab:orange", "bare": "tab:green"}
    for levels, style in ((1, "--"), (20, "-")):
        rows = sorted(
            (PROFILES[name]["symbols"], res)
            for name, res in results.items()
            if PROFILES[name]["kind"] == "depth" and PROFILES[name]["levels"] == levels
        )
        if not rows:
            continue
        xs = [s for s, _ in rows]
        for c in colors:
            if c not in rows[0][1]:
                continue
            ys = [res[c]["cpu_us"]["median"] for _, res in rows]
            ax.plot(
                xs, ys, style, marker="o", color=colors[c], label=f"{c}, {levels} level(s)/side"
            )
        if before is not None:
            names = [n for n in results if PROFILES[n]["kind"] == "depth"]
            old = sorted(
                (PROFILES[n]["symbols"], before[n]["ours"]["cpu_us"]["median"])
                for n in names
                if PROFILES[n]["levels"] == levels and n in before and "ours" in before[n]
            )
            if old:
                ax.plot(
                    [s for s, _ in old], [y for _, y in old], style, marker="x",
                    color="grey", label=f"ours before, {levels} level(s)/side",
                )  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("symbols on the connection (diffs round-robin)")
    ax.set_ylabel("CPU µs per diff (median)")
    ax.set_title("Order-book diffs: cost per message against symbols")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("--profiles", nargs="+", default=list(PROFILES), choices=list(PROFILES))
    a.add_argument("--clients", nargs="+", default=list(CLIENTS), choices=list(CLIENTS))
    a.add_argument("--rounds", type=int, default=5)
    a.add_argument("--json", help="write the figures as JSON here")
    a.add_argument("--plot", help="write the scaling plot (PNG) here")
    a.add_argument("--from-json", help="plot this earlier run's JSON instead of running")
    a.add_argument("--before", help="an earlier run's JSON: plot our figures from it in grey")
    a.add_argument("--markdown", action="store_true", help="print the medians as a table")
    a.add_argument(
        "--baseline",
        help="a directory holding an earlier client/ (git archive REV client | tar -x -C DIR):"
        " measure it too, as 'ours before', in the same alternating rounds",
    )
    a.add_argument("--worker", help=argparse.SUPPRESS)
    a.add_argument("--base", help=argparse.SUPPRESS)
    args = a.parse_args()
    if args.worker:
        worker(args.worker, args.base, PROFILES[args.profiles[0]])
        sys.exit(0)
    before = orjson.loads(Path(args.before).read_bytes()) if args.before else None
    if args.from_json:
        earlier = orjson.loads(Path(args.from_json).read_bytes())
        if args.plot:
            plot(earlier, args.plot, before)
        if args.markdown:
            print(markdown(earlier, before))
        sys.exit(0)
    chosen = list(args.clients)
    if args.baseline:
        BASELINE.append(str(Path(args.baseline).resolve()))
        chosen.insert(1, BEFORE)
    if "ccxt.pro" in chosen and not have_ccxt():
        print(CCXT_MISSING, file=sys.stderr)
        chosen.remove("ccxt.pro")
    res = asyncio.run(main(args.profiles, chosen, args.rounds))
    if args.json:
        with open(args.json, "wb") as f:
            f.write(orjson.dumps(res, option=orjson.OPT_INDENT_2))
    if args.plot:
        plot(res, args.plot, before)
    if args.markdown:
        print(markdown(res, before))
