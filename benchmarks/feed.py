"""A minimal, fast Binance market-data feed for the client benchmarks (run in its own process).

It speaks just enough HTTP/1.1 and RFC 6455 on one port to serve every client the same frames:
``GET .../exchangeInfo`` and ``GET .../depth`` (keep-alive), and WebSocket connections on any
path that answer ``SUBSCRIBE`` with ``{"result":null,"id":N}`` and ping with pong. Frames are
written pre-framed straight to the socket, so the feed outruns every client under test.

WebSocket API connections (a path under ``/ws-api/``) answer ``userDataStream.subscribe*``
with subscription 0 and any other request with an empty result; REST ``/time`` answers the
local clock (for clients that sign).

Control (HTTP): ``POST /go?stream=trade|depth|executionReport&n=N&rate=R`` starts sending N
recorded-format frames (``trade`` or spot ``depthUpdate`` with contiguous ids, or
``executionReport`` in the WS API's ``{"subscriptionId","event"}`` envelope, execution id ``I``
= the message id) to every subscribed socket, R per
second (0 = as fast as the socket takes them), then one more frame per millisecond until
``POST /stop`` (a watch waits for the *next* update, so a client that drained the burst between
two watches is woken by the trickle, not left waiting); ``GET /sendtimes`` returns the send time
(ns, wall clock) of each message id; ``POST /reset`` restores the initial book.

    python -m benchmarks.feed --port 0      # prints "PORT <n>"
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import random
import struct
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
FIRST_ID = 1000

SPOT_INFO = {
    "timezone": "UTC",
    "symbols": [
        {
            "symbol": "BTCUSDT",
            "status": "TRADING",
            "baseAsset": "BTC",
            "quoteAsset": "USDT",
            "orderTypes": ["LIMIT", "MARKET"],
            "filters": [
                {
                    "filterType": "PRICE_FILTER",
                    "minPrice": "0.01",
                    "maxPrice": "1e6",
                    "tickSize": "0.01",
                },
                {
                    "filterType": "LOT_SIZE",
                    "minQty": "0.00001",
                    "maxQty": "9000",
                    "stepSize": "0.00001",
                },
            ],
        }
    ],
}


def frame(payload: bytes, opcode: int = 1) -> bytes:
    """Build one unmasked server frame."""
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 127, n)
    return head + payload


class Feed:
    """Book state, subscribed sockets and send times."""

    def __init__(self) -> None:
        self.sockets: list[tuple[asyncio.StreamWriter, set[str]]] = []
        self.send_times: dict[int, int] = {}
        self.sender: asyncio.Task[None] | None = None
        self.reset()

    def reset(self) -> None:
        """Restore the initial book and forget send times."""
        rng = random.Random(7)
        self.rng = rng
        self.last_id = FIRST_ID
        self.bids = {
            f"{9000 + i * 0.01:.2f}": f"{rng.randint(1, 50) / 10:.1f}" for i in range(1000)
        }
        self.asks = {
            f"{9010 + i * 0.01:.2f}": f"{rng.randint(1, 50) / 10:.1f}" for i in range(1000)
        }
        self.send_times = {}

    def snapshot(self) -> dict[str, Any]:
        """Return a spot depth snapshot at the current update id."""
        return {
            "lastUpdateId": self.last_id,
            "bids": [[p, q] for p, q in self.bids.items()],
            "asks": [[p, q] for p, q in self.asks.items()],
        }

    def message(self, kind: str, i: int, now_ms: int) -> dict[str, Any]:
        """Return message ``i`` of the ``kind`` feed (applying depth changes to the book)."""
        if kind == "executionReport":
            return execution_report(i, now_ms)
        if kind == "trade":
            return {
                "e": "trade", "E": now_ms, "s": "BTCUSDT", "t": i,
                "p": f"{9005 + (i % 100) * 0.01:.2f}", "q": "0.01000",
                "T": now_ms, "m": bool(i & 1), "M": True,
            }  # fmt: skip
        rng = self.rng
        bp = f"{9000 + rng.randrange(1000) * 0.01:.2f}"
        ap = f"{9010 + rng.randrange(1000) * 0.01:.2f}"
        bq = "0" if rng.random() < 0.2 else f"{rng.randint(1, 50) / 10:.1f}"
        aq = f"{rng.randint(1, 50) / 10:.1f}"
        if bq == "0":
            self.bids.pop(bp, None)
        else:
            self.bids[bp] = bq
        self.asks[ap] = aq
        self.last_id = i
        return {"e": "depthUpdate", "E": now_ms, "s": "BTCUSDT", "U": i, "u": i,
                "b": [[bp, bq]], "a": [[ap, aq]]}  # fmt: skip

    async def go(self, kind: str, n: int, rate: float) -> None:
        """Send ``n`` messages of ``kind`` to every socket subscribed to that kind of stream,
        then a trickle of one per millisecond until cancelled."""
        targets = [w for w, subs in self.sockets if any(kind in s for s in subs)]
        start = self.last_id + 1 if kind == "depth" else 1
        stream = "btcusdt@trade" if kind == "trade" else "btcusdt@depth@100ms"
        now_ms = time.time_ns() // 1_000_000

        def envelope(data: dict[str, Any]) -> bytes:
            if kind == "executionReport":
                return frame(orjson.dumps({"subscriptionId": 0, "event": data}))
            return frame(orjson.dumps({"stream": stream, "data": data}))

        # frames are built before the clock starts, so the feed is never the bottleneck
        frames = [envelope(self.message(kind, i, now_ms)) for i in range(start, start + n)]
        batch = 1 if rate else 64
        t0 = time.perf_counter()
        for k in range(0, n, batch):
            if rate:
                due = t0 + k / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            blob = b"".join(frames[k : k + batch])
            sent = time.time_ns()
            for i in range(start + k, start + min(n, k + batch)):
                self.send_times[i] = sent
            for w in targets:
                w.write(blob)
            for w in targets:
                await w.drain()
        i = start + n
        while targets:
            await asyncio.sleep(0.001)
            targets = [w for w in targets if not w.is_closing()]
            blob = envelope(self.message(kind, i, time.time_ns() // 1_000_000))
            self.send_times[i] = time.time_ns()
            for w in targets:
                w.write(blob)
            i += 1

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve HTTP requests on one TCP connection, or upgrade it to a WebSocket."""
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode().split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {
                    k.lower(): v.strip()
                    for k, v in (x.split(":", 1) for x in lines[1:] if ":" in x)
                }
                length = int(headers.get("content-length", "0"))
                if length:
                    await reader.readexactly(length)
                if headers.get("upgrade", "").lower() == "websocket":
                    await self.websocket(reader, writer, headers, "/ws-api/" in target)
                    return
                body = await self.http(method, target)
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def http(self, method: str, target: str) -> bytes:
        """Answer one plain HTTP request."""
        url = urlsplit(target)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path.endswith("/exchangeInfo"):
            return orjson.dumps(SPOT_INFO)
        if url.path.endswith("/time"):
            return orjson.dumps({"serverTime": time.time_ns() // 1_000_000})
        if url.path.endswith("/depth"):
            return orjson.dumps(self.snapshot())
        if url.path == "/go":
            self.sender = asyncio.create_task(
                self.go(q["stream"], int(q["n"]), float(q.get("rate", "0")))
            )
            return b"{}"
        if url.path == "/stop" and self.sender is not None:
            self.sender.cancel()
            self.sender = None
            return b"{}"
        if url.path == "/sendtimes":
            return orjson.dumps(self.send_times, option=orjson.OPT_NON_STR_KEYS)
        if url.path == "/reset":
            self.reset()
            return b"{}"
        return orjson.dumps({"code": -1020, "msg": "not served"})

    async def websocket(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        headers: dict[str, str],
        ws_api: bool = False,
    ) -> None:
        """Complete the handshake, then answer SUBSCRIBE (or WS API requests) and pings until
        the client leaves."""
        accept = base64.b64encode(
            hashlib.sha1(headers["sec-websocket-key"].encode() + GUID).digest()
        )
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
        )
        subs: set[str] = set()
        entry = (writer, subs)
        self.sockets.append(entry)
        try:
            while True:
                b0, b1 = await reader.readexactly(2)
                opcode, n = b0 & 0x0F, b1 & 0x7F
                if n == 126:
                    (n,) = struct.unpack("!H", await reader.readexactly(2))
                elif n == 127:
                    (n,) = struct.unpack("!Q", await reader.readexactly(8))
                mask = await reader.readexactly(4) if b1 & 0x80 else b"\0\0\0\0"
                data = bytes(c ^ mask[i % 4] for i, c in enumerate(await reader.readexactly(n)))
                if opcode == 8:
                    writer.write(frame(data[:2], 8))
                    return
                if opcode == 9:
                    writer.write(frame(data, 10))
                elif opcode == 1 and ws_api:
                    req = orjson.loads(data)
                    result: Any = {}
                    if str(req.get("method", "")).startswith("userDataStream.subscribe"):
                        subs.add("executionReport")
                        result = {"subscriptionId": 0}
                    answer = {"id": req.get("id"), "status": 200, "result": result}
                    writer.write(frame(orjson.dumps(answer)))
                elif opcode == 1:
                    req = orjson.loads(data)
                    if req.get("method") == "SUBSCRIBE":
                        subs.update(req.get("params", []))
                    writer.write(frame(orjson.dumps({"result": None, "id": req.get("id")})))
                await writer.drain()
        finally:
            self.sockets.remove(entry)


def execution_report(i: int, now_ms: int) -> dict[str, Any]:
    """Message ``i`` of an order flow: each order is placed (NEW), partly filled, then filled
    (three ``executionReport`` events per order, binance-protocol.md 6.4), ``I`` = ``i``."""
    order, step = divmod(i - 1, 3)
    x, status, filled = (("NEW", "NEW", "0.00000000"), ("TRADE", "PARTIALLY_FILLED", "0.40000000"),
                         ("TRADE", "FILLED", "1.00000000"))[step]  # fmt: skip
    last = "0.00000000" if step == 0 else ("0.40000000" if step == 1 else "0.60000000")
    trade = step > 0
    return {
        "e": "executionReport", "E": now_ms, "s": "BTCUSDT", "c": f"bench{order}", "S": "BUY",
        "o": "LIMIT", "f": "GTC", "q": "1.00000000", "p": "9005.00000000", "P": "0.00000000",
        "F": "0.00000000", "g": -1, "C": "", "x": x, "X": status, "r": "NONE",
        "i": 1_000_000 + order, "l": last, "z": filled,
        "L": "9005.00000000" if trade else "0.00000000",
        "n": "0.00000900" if trade else "0", "N": "BTC" if trade else None, "T": now_ms,
        "t": i if trade else -1, "I": i, "w": not trade, "m": trade, "M": trade,
        "O": now_ms, "Z": f"{float(filled) * 9005:.8f}",
        "Y": f"{float(last) * 9005:.8f}", "Q": "0.00000000", "W": now_ms, "V": "NONE",
    }  # fmt: skip


async def main(port: int) -> None:
    """Serve until killed; print the port first."""
    feed = Feed()
    server = await asyncio.start_server(feed.serve, "127.0.0.1", port)
    print("PORT", server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    asyncio.run(main(parser.parse_args().port))
