"""Measure the emulator's market-stream fan-out: frames/s delivered and server CPU per 1k frames.

The emulator runs as its own process (``python -m mock_exchange serve --rate R``, the running
clock). The connections are spread over ``--procs`` consumer processes (this script run with
``--consume``), each a bare ``asyncio.Protocol`` that does the WebSocket handshake, splits frames
by their headers and counts the text frames (it answers pings; it decodes nothing), so the
benchmark's clients cost far less than the server they measure. Every connection subscribes the
same streams: ``trade``, ``aggTrade``, ``bookTicker`` and ``depth@100ms`` of the four spot
symbols, on ``/stream`` (combined envelope), ``/ws`` (raw) or both in turn (``--envelope
mixed``).

For each connection count the script waits until every connection is open, lets ``--settle``
seconds pass, then counts frames and reads the server's and the consumers' CPU time
(``/proc/<pid>/stat``, user + system) over ``--seconds`` of wall time. It prints frames/s
delivered (all connections together), the server's CPU as a share of one core, the server's CPU
per 1,000 frames delivered, and the consumers' CPU; with several connection counts, the marginal
server CPU per frame delivered between the smallest and the largest (the market's own cost is the
same at any count, so the difference is fan-out). Linux only. Run from the repository root:

    python benchmarks/fanout.py --rate 400 --connections 1 10 50
    python benchmarks/fanout.py --rate 100 200 400 800 --connections 50 --json out.json

``--rate`` is the emulator's ``--rate`` (background actions per second of each main symbol);
several rates are measured in turn, each against a fresh server.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import struct
import sys
import time
from typing import Any

SYMBOLS = ("btcusdt", "ethusdt", "bnbusdt", "ethbtc")
CHANNELS = ("trade", "aggTrade", "bookTicker", "depth@100ms")
HOST = "stream.binance.com:9443"


def cpu_seconds(pid: int) -> float:
    """Return the user + system CPU time of process ``pid`` in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stream_path(envelope: str) -> str:
    """Return the request path of one connection carrying every benchmark stream."""
    names = [f"{s}@{c}" for s in SYMBOLS for c in CHANNELS]
    if envelope == "raw":
        return f"/{HOST}/ws/" + "/".join(names)
    return f"/{HOST}/stream?streams=" + "/".join(names)


# -- consumer process ---------------------------------------------------------------------------


class Counter(asyncio.Protocol):
    """One WebSocket connection that counts the text frames it receives."""

    def __init__(self, path: str, port: int, opened: asyncio.Future[None]) -> None:
        self.path = path
        self.port = port
        self.opened = opened
        self.transport: asyncio.Transport | None = None
        self.buf = b""
        self.upgraded = False
        self.frames = 0
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            (
                f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )

    def data_received(self, data: bytes) -> None:
        buf = self.buf + data if self.buf else data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                self.buf = buf
                return
            if not buf.startswith(b"HTTP/1.1 101"):
                raise RuntimeError(buf[:200].decode(errors="replace"))
            self.upgraded = True
            self.opened.set_result(None)
            buf = buf[end + 4 :]
        pos, n = 0, len(buf)
        frames = 0
        while n - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            size, head = b1 & 0x7F, 2
            if size == 126:
                if n - pos < 4:
                    break
                size, head = (buf[pos + 2] << 8) | buf[pos + 3], 4
            elif size == 127:
                if n - pos < 10:
                    break
                size, head = struct.unpack_from("!Q", buf, pos + 2)[0], 10
            end = pos + head + size
            if end > n:
                break
            op = b0 & 0x0F
            if op == 1:
                frames += 1
            elif op == 9:  # ping: answer with a masked pong carrying the same payload
                self._pong(buf[pos + head : end])
            pos = end
        self.frames += frames
        self.buf = buf[pos:] if pos < n else b""

    def _pong(self, payload: bytes) -> None:
        assert self.transport is not None and len(payload) < 126
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.transport.write(bytes((0x8A, 0x80 | len(payload))) + mask + masked)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("closed before the upgrade"))


async def consume(port: int, count: int, envelopes: list[str]) -> None:
    """Open ``count`` connections, then answer each stdin line with the frames counted so far."""
    loop = asyncio.get_running_loop()
    counters: list[Counter] = []
    for i in range(count):
        opened: asyncio.Future[None] = loop.create_future()
        path = stream_path(envelopes[i % len(envelopes)])
        _, proto = await loop.create_connection(
            lambda p=path, o=opened: Counter(p, port, o), "127.0.0.1", port
        )
        await opened
        counters.append(proto)
    print("ready", flush=True)
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        if line.strip() == b"quit":
            break
        closed = sum(c.closed for c in counters)
        print(f"{sum(c.frames for c in counters)} {closed}", flush=True)
    for c in counters:
        if c.transport is not None:
            c.transport.abort()


# -- driver -------------------------------------------------------------------------------------


async def _start_server(rate: float) -> tuple[asyncio.subprocess.Process, int]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mock_exchange",
        "serve",
        "--port",
        "0",
        "--rate",
        str(rate),
        "--no-demo-account",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    while True:
        line = (await proc.stdout.readline()).decode()
        if not line:
            raise RuntimeError("the emulator exited before listening")
        if "http://127.0.0.1:" in line:
            port = int(line.rsplit(":", 1)[1].split()[0].strip("/"))
            return proc, port


async def _ask(procs: list[asyncio.subprocess.Process]) -> tuple[int, int]:
    frames = closed = 0
    for p in procs:
        assert p.stdin is not None and p.stdout is not None
        p.stdin.write(b"count\n")
        await p.stdin.drain()
    for p in procs:
        assert p.stdout is not None
        got, lost = (await p.stdout.readline()).split()
        frames, closed = frames + int(got), closed + int(lost)
    return frames, closed


async def measure(
    port: int, server_pid: int, connections: int, args: argparse.Namespace
) -> dict[str, Any]:
    """Run one connection count against the server on ``port``; return its figures."""
    nprocs = max(1, min(args.procs, connections))
    envelopes = ["combined", "raw"] if args.envelope == "mixed" else [args.envelope]
    procs = []
    for i in range(nprocs):
        share = connections // nprocs + (1 if i < connections % nprocs else 0)
        procs.append(
            await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--consume",
                str(port),
                str(share),
                ",".join(envelopes),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
        )
    try:
        for p in procs:
            assert p.stdout is not None
            ready = await p.stdout.readline()
            if ready.strip() != b"ready":
                raise RuntimeError(f"a consumer failed to connect: {ready!r}")
        await asyncio.sleep(args.settle)
        f0, _ = await _ask(procs)
        s0, c0, t0 = cpu_seconds(server_pid), sum(cpu_seconds(p.pid) for p in procs), time.time()
        await asyncio.sleep(args.seconds)
        f1, closed = await _ask(procs)
        s1, c1, t1 = cpu_seconds(server_pid), sum(cpu_seconds(p.pid) for p in procs), time.time()
    finally:
        for p in procs:
            assert p.stdin is not None
            p.stdin.write(b"quit\n")
        for p in procs:
            await p.wait()
    wall, frames = t1 - t0, f1 - f0
    return {
        "connections": connections,
        "frames_per_s": frames / wall,
        "per_connection": frames / wall / connections,
        "server_cpu": (s1 - s0) / wall,
        "server_ms_per_1k_frames": (s1 - s0) * 1e6 / frames if frames else None,
        "consumer_cpu": (c1 - c0) / wall,
        "closed": closed,
        "load": os.getloadavg()[0],
    }


async def main(args: argparse.Namespace) -> int:
    rows = []
    for rate in args.rate:
        proc, port = await _start_server(rate)
        try:
            await asyncio.sleep(args.settle)  # start-up and the warm-up are not measured
            for n in args.connections:
                row = {"rate": rate, "envelope": args.envelope}
                row.update(await measure(port, proc.pid, n, args))
                rows.append(row)
                per_1k = row["server_ms_per_1k_frames"]
                print(
                    f"rate={rate:g} connections={n:3d} {args.envelope}: "
                    f"{row['frames_per_s']:9.0f} frames/s ({row['per_connection']:7.0f} each)  "
                    f"server CPU {row['server_cpu']:6.1%} "
                    f"({'-' if per_1k is None else f'{per_1k:.1f}'} ms per 1k frames)  "
                    f"consumers {row['consumer_cpu']:5.1%}  closed {row['closed']}  "
                    f"load {row['load']:.1f}",
                    flush=True,
                )
            mine = [r for r in rows if r["rate"] == rate]
            if len(mine) > 1 and mine[-1]["frames_per_s"] > mine[0]["frames_per_s"]:
                # the market costs the same at any connection count: the difference is fan-out
                extra = mine[-1]["frames_per_s"] - mine[0]["frames_per_s"]
                cost = (mine[-1]["server_cpu"] - mine[0]["server_cpu"]) / extra * 1e6
                print(
                    f"rate={rate:g}: fan-out ~{cost:.2f} µs of server CPU per frame delivered "
                    f"(connections {mine[0]['connections']} -> {mine[-1]['connections']}), "
                    f"~{1e6 / cost if cost > 0 else float('inf'):,.0f} frames/s per core",
                    flush=True,
                )
        finally:
            proc.terminate()
            await proc.wait()
    if args.json:
        write_json(args.json, rows)
    return 0


def write_json(path: str, rows: list[dict[str, Any]]) -> None:
    """Write the measured rows to ``path``."""
    with open(path, "w") as f:
        json.dump(rows, f, indent=1)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, nargs="+", default=[400])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--settle", type=float, default=2.0)
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--procs", type=int, default=2, help="consumer processes")
    parser.add_argument("--envelope", choices=("combined", "raw", "mixed"), default="combined")
    parser.add_argument("--json", help="write the rows to this file")
    return parser.parse_args(argv)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--consume":
        port, count, envs = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].split(",")
        asyncio.run(consume(port, count, envs))
        sys.exit(0)
    sys.exit(asyncio.run(main(parse_args(sys.argv[1:]))))
