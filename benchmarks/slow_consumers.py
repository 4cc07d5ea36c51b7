"""Measure the emulator's memory with clients that never read (issue 10, item 5).

The emulator runs as its own process (``python -m mock_exchange serve``) with a busy market.
``--slow`` raw clients open ``/stream`` with the heavy streams of every spot symbol, complete
the WebSocket handshake and then never read again (a small receive buffer, so the kernel stops
taking data early); one ordinary client reads the same streams throughout. The script prints
the server's resident memory at the start and at every interval, how many slow connections the
server has closed, and how many frames the reading client got in each interval. It prints
figures; it asserts nothing. Run from the repository root:

    python benchmarks/slow_consumers.py --seconds 60 --slow 8
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import socket
import sys
import time

import aiohttp

SYMBOLS = ("btcusdt", "ethusdt", "bnbusdt", "ethbtc")
CHANNELS = ("trade", "aggTrade", "bookTicker", "depth@100ms", "depth20@100ms", "ticker")
STREAMS = "/".join(f"{s}@{c}" for s in SYMBOLS for c in CHANNELS) + "/!miniTicker@arr"
PATH = f"/stream.binance.com:9443/stream?streams={STREAMS}"


def open_fds(pid: int) -> int:
    """Return how many file descriptors process ``pid`` holds (Linux /proc)."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_mib(pid: int) -> float:
    """Return the resident memory of process ``pid`` in MiB (Linux /proc)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def slow_client(host: str, port: int) -> asyncio.StreamWriter:
    """Open a WebSocket to ``PATH`` and return its writer (kept so the socket stays open); its
    reader is never read again."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (host, port))
    reader, writer = await asyncio.open_connection(sock=sock, limit=4096)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET {PATH} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(f"handshake refused: {head[:60]!r}")
    return writer  # the reader is never read again: the server's frames pile up on its side


async def reading_client(base: str, counts: list[int], stop: asyncio.Event) -> None:
    """Read every frame of the same streams, counting them."""
    url = f"{base.replace('http', 'ws')}{PATH}"
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        while not stop.is_set():
            try:
                msg = await asyncio.wait_for(ws.receive(), 0.5)
            except TimeoutError:
                continue
            if msg.type == aiohttp.WSMsgType.TEXT:
                counts[0] += 1
            elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                print(f"reading client closed: {msg.data}")
                return


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=1000, help="engine actions per second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--slow", type=int, default=8, help="clients that never read")
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
    try:
        base = (await proc.stdout.readline()).decode().split()[-1]
        host, port = base.removeprefix("http://").split(":")
        await asyncio.sleep(1.0)  # let the server settle before the first figure
        start_rss, start_fds = rss_mib(proc.pid), open_fds(proc.pid)
        print(
            f"server rss at start {start_rss:.1f} MiB, {args.slow} slow clients, rate {args.rate:g}"
        )
        slow = [await slow_client(host, int(port)) for _ in range(args.slow)]
        counts = [0]
        stop = asyncio.Event()
        reader_task = asyncio.create_task(reading_client(base, counts, stop))
        begin = time.monotonic()
        last = 0
        while (elapsed := time.monotonic() - begin) < args.seconds:
            await asyncio.sleep(min(args.interval, args.seconds - elapsed))
            got, last = counts[0] - last, counts[0]
            rss = rss_mib(proc.pid)
            print(
                f"t={time.monotonic() - begin:6.1f}s  server rss {rss:7.1f} MiB "
                f"({rss - start_rss:+.1f})  server fds {open_fds(proc.pid)} "
                f"(at start {start_fds})  reading client: {got} frames this interval"
            )
        stop.set()
        await reader_task
        for writer in slow:
            writer.close()
        print(
            f"server rss at end: {rss_mib(proc.pid):.1f} MiB ({rss_mib(proc.pid) - start_rss:+.1f})"
        )
    finally:
        proc.terminate()
        await proc.wait()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
