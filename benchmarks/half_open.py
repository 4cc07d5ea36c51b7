"""Count the emulator's file descriptors while peers hold half-open handshakes (issue 10, item 9).

The emulator runs as its own process (``python -m mock_exchange serve``). The script opens
``--sockets`` TCP connections to it: half send nothing, half send the first lines of a request
and never finish its headers. It prints the server's open file descriptors before, right after
opening them, and at every interval. It prints figures; it asserts nothing. Run from the
repository root:

    python benchmarks/half_open.py --sockets 300 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import time


def open_fds(pid: int) -> int:
    """Return how many file descriptors process ``pid`` holds (Linux /proc)."""
    return len(os.listdir(f"/proc/{pid}/fd"))


async def half_open(host: str, port: int, partial: bool) -> socket.socket:
    """Connect; when ``partial``, send part of a request's headers; never finish."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    await loop.sock_connect(sock, (host, port))
    if partial:
        await loop.sock_sendall(sock, b"GET /api.binance.com/api/v3/time HTTP/1.1\r\nHost: x\r\n")
    return sock


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--interval", type=float, default=5.0)
    args = parser.parse_args()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mock_exchange", "serve", "--port", "0", "--rate", "0",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    socks: list[socket.socket] = []
    try:
        base = (await proc.stdout.readline()).decode().split()[-1]
        host, port = base.removeprefix("http://").split(":")
        await asyncio.sleep(0.5)
        print(f"server fds before: {open_fds(proc.pid)}")
        for i in range(args.sockets):
            socks.append(await half_open(host, int(port), partial=i % 2 == 1))
        await asyncio.sleep(0.5)
        print(f"server fds with {args.sockets} half-open peers: {open_fds(proc.pid)}")
        begin = time.monotonic()
        while (elapsed := time.monotonic() - begin) < args.seconds:
            await asyncio.sleep(min(args.interval, args.seconds - elapsed))
            print(f"t={time.monotonic() - begin:5.1f}s  server fds {open_fds(proc.pid)}")
    finally:
        for sock in socks:
            sock.close()
        proc.terminate()
        await proc.wait()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
