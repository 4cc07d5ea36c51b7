"""A minimal, fast Binance market-data feed for the client benchmarks (run in its own process).

It speaks just enough HTTP/1.1 and RFC 6455 on one port to serve every client the same frames:
``GET .../exchangeInfo`` and ``GET .../depth`` (keep-alive), and WebSocket connections on any
path that answer ``SUBSCRIBE`` with ``{"result":null,"id":N}`` and ping with pong. Frames are
written pre-framed straight to the socket, so the feed outruns every client under test. A
WebSocket API path (``/ws-api/``) answers ``userDataStream.subscribe*`` with subscription 0
(its socket then receives the ``executionReport`` profile) and any other request with an empty
result; REST ``/time`` answers the local clock (clients that sign read it first).

Control (HTTP): ``POST /setup?kind=depth|trade|bookTicker&market=spot|usdm&symbols=S&levels=L``
chooses the profile (see :class:`Feed`; the default is one symbol, ``BTCUSDT``, one level per
side; ``kind=executionReport`` is spot user data). ``POST /go?n=N&rate=R`` starts sending the
profile's first N recorded-format frames (``trade``, spot ``depthUpdate`` with contiguous ids,
USD-M ``bookTicker``, or ``executionReport`` in the WS API's ``{"subscriptionId","event"}``
envelope with execution id ``I`` = the message number from 1), each to the
sockets subscribed to its stream, R per second (0 = as fast as the sockets take them), then one
more frame per millisecond until ``POST /stop`` (a watch waits for the *next* update, so a
client that drained the burst between two watches is woken by the trickle, not left waiting);
``stream=trade|depth`` also switches to that kind's one-symbol profile. ``GET /sendtimes``
returns the send time (ns, wall clock) of each message id of a one-symbol profile,
``GET /burst`` when the last burst started, ``GET /subscribed`` how many distinct streams are
subscribed; ``POST /reset`` forgets the send times.

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

PROFILE_DEFAULT = {"kind": "depth", "market": "spot", "symbols": 1, "levels": 1}


def symbol_id(i: int) -> str:
    """Binance id of the ``i``-th symbol of a profile (the first is ``BTCUSDT``)."""
    return "BTCUSDT" if i == 0 else f"C{i:04d}USDT"


def market_info(sid: str, market: str) -> dict[str, Any]:
    """One ``exchangeInfo.symbols[]`` entry (spot, or a USD-M perpetual)."""
    info: dict[str, Any] = {
        "symbol": sid,
        "status": "TRADING",
        "baseAsset": sid[:-4],
        "quoteAsset": "USDT",
        "orderTypes": ["LIMIT", "MARKET"],
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": "0.01", "maxPrice": "1000000",
             "tickSize": "0.01"},
            {"filterType": "LOT_SIZE", "minQty": "0.00001", "maxQty": "9000",
             "stepSize": "0.00001"},
        ],
    }  # fmt: skip
    if market == "usdm":
        info |= {
            "pair": sid, "contractType": "PERPETUAL", "deliveryDate": 4133404800000,
            "onboardDate": 1569398400000, "marginAsset": "USDT", "contractStatus": "TRADING",
            "pricePrecision": 2, "quantityPrecision": 3, "baseAssetPrecision": 8,
            "quotePrecision": 8, "underlyingType": "COIN",
        }  # fmt: skip
    return info


def _price(cents: int) -> str:
    """A price in Binance's spot spelling: 8 decimals (``9000.01000000``)."""
    return f"{cents // 100}.{cents % 100:02d}000000"


LADDER = 1100
"""Price ticks per side a diff may touch; the initial book holds the best 1000 of them."""
BID_PRICES = [_price(900_000 - k) for k in range(LADDER)]
ASK_PRICES = [_price(900_001 + k) for k in range(LADDER)]
QTYS = [f"{q / 10:.8f}" for q in range(1, 51)]


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


USER_DATA = "executionReport"
"""What a WS API socket's user-data subscription is filed under among the subscribed streams."""


def execution_report(i: int, sid: str, now_ms: int) -> dict[str, Any]:
    """Message ``i`` (from 1) of an order flow: each order is placed (NEW), partly filled, then
    filled: three ``executionReport`` events per order (binance-protocol.md 6.4), ``I`` = ``i``."""
    order, step = divmod(i - 1, 3)
    x, status, filled, last = (
        ("NEW", "NEW", "0.00000000", "0.00000000"),
        ("TRADE", "PARTIALLY_FILLED", "0.40000000", "0.40000000"),
        ("TRADE", "FILLED", "1.00000000", "0.60000000"),
    )[step]
    trade = step > 0
    return {
        "e": "executionReport", "E": now_ms, "s": sid, "c": f"bench{order}", "S": "BUY",
        "o": "LIMIT", "f": "GTC", "q": "1.00000000", "p": "9000.00000000", "P": "0.00000000",
        "F": "0.00000000", "g": -1, "C": "", "x": x, "X": status, "r": "NONE",
        "i": 1_000_000 + order, "l": last, "z": filled,
        "L": "9000.00000000" if trade else "0.00000000",
        "n": "0.00000900" if trade else "0", "N": "BTC" if trade else None, "T": now_ms,
        "t": i if trade else -1, "I": i, "w": not trade, "m": trade, "M": trade,
        "O": now_ms, "Z": f"{float(filled) * 9000:.8f}", "Y": f"{float(last) * 9000:.8f}",
        "Q": "0.00000000", "W": now_ms, "V": "NONE",
    }  # fmt: skip


def first_id(kind: str) -> int:
    """The id of message 0 of a one-symbol feed (a depth ``u`` or a trade ``t``)."""
    return FIRST_ID + 1 if kind == "depth" else 1


def stream_of(kind: str, sid: str) -> str:
    """The stream name a message of ``kind`` for ``sid`` travels on."""
    if kind == "bookTicker":
        return "!bookTicker"
    if kind == "executionReport":
        return USER_DATA  # the account's subscription, not a market stream
    return f"{sid.lower()}@{'depth@100ms' if kind == 'depth' else 'trade'}"


class Feed:
    """Profile, initial books, pre-built frames, subscribed sockets and send times.

    A profile is ``kind`` (``depth``: spot diffs, ``trade``: spot trades, ``bookTicker``: the
    USD-M all-symbol ``!bookTicker``), ``market`` (``spot`` or ``usdm``), ``symbols`` S and
    ``levels`` L (price levels per side per diff). Message ``m`` belongs to symbol ``m % S``;
    each symbol's book starts with 1000 levels per side at update id 1000 and its diffs carry
    contiguous ids from 1001. Diffs touch L levels per side chosen from the best 1100 ticks,
    the near ones more often (``k = 1100 * r**2``); a fifth of them are removals (quantity 0).
    """

    def __init__(self) -> None:
        self.sockets: list[tuple[asyncio.StreamWriter, set[str]]] = []
        self.send_times: dict[int, int] = {}
        self.burst_start = 0
        self.sender: asyncio.Task[None] | None = None
        self.profile: dict[str, Any] = {}
        self.frames: list[tuple[str, bytes]] = []
        self.built: tuple[Any, ...] = ()
        self.setup(dict(PROFILE_DEFAULT))

    def setup(self, profile: dict[str, Any]) -> None:
        """Switch to ``profile`` (initial books, symbols); frames are built on ``go``."""
        self.profile = profile
        self.ids = [symbol_id(i) for i in range(int(profile["symbols"]))]
        rng = random.Random(7)
        self.book = {
            "bids": [[BID_PRICES[k], rng.choice(QTYS)] for k in range(1000)],
            "asks": [[ASK_PRICES[k], rng.choice(QTYS)] for k in range(1000)],
        }
        self.reset()

    def reset(self) -> None:
        """Forget send times (every symbol's snapshot is the initial book at id 1000)."""
        self.send_times = {}

    def snapshot(self) -> dict[str, Any]:
        """Return a spot depth snapshot at the initial update id."""
        return {"lastUpdateId": FIRST_ID, **self.book}

    def build(self, count: int) -> None:
        """Pre-build the first ``count`` messages of the profile as (stream, frame)."""
        p = self.profile
        key = (tuple(sorted(p.items())), count)
        if self.built == key:
            return
        kind, s, levels = p["kind"], len(self.ids), int(p["levels"])
        rng = random.Random(11)
        now_ms = time.time_ns() // 1_000_000
        frames: list[tuple[str, bytes]] = []
        for m in range(count):
            sid = self.ids[m % s]
            seq = m // s
            data: dict[str, Any]
            if kind == "executionReport":
                data = execution_report(m + 1, sid, now_ms)
                frames.append(
                    (USER_DATA, frame(orjson.dumps({"subscriptionId": 0, "event": data})))
                )
                continue
            if kind == "trade":
                data = {
                    "e": "trade", "E": now_ms, "s": sid, "t": seq + 1,
                    "p": BID_PRICES[m % 100], "q": "0.01000000", "T": now_ms,
                    "m": bool(m & 1), "M": True,
                }  # fmt: skip
            elif kind == "bookTicker":
                k = rng.randrange(5)
                data = {
                    "e": "bookTicker", "u": m + 1, "E": now_ms, "T": now_ms, "s": sid,
                    "b": BID_PRICES[k], "B": rng.choice(QTYS),
                    "a": ASK_PRICES[k], "A": rng.choice(QTYS),
                }  # fmt: skip
            else:
                sides = []
                for prices in (BID_PRICES, ASK_PRICES):
                    picked = {int(LADDER * rng.random() ** 2) for _ in range(levels)}
                    sides.append(
                        [
                            [prices[k], "0.00000000" if rng.random() < 0.2 else rng.choice(QTYS)]
                            for k in sorted(picked)
                        ]
                    )
                u = FIRST_ID + 1 + seq
                data = {"e": "depthUpdate", "E": now_ms, "s": sid, "U": u, "u": u,
                        "b": sides[0], "a": sides[1]}  # fmt: skip
            stream = stream_of(kind, sid)
            frames.append((stream, frame(orjson.dumps({"stream": stream, "data": data}))))
        self.frames = frames
        self.built = key

    async def go(self, n: int, rate: float, trickle: int = 5000) -> None:
        """Send the profile's first ``n`` messages to the sockets subscribed to their streams,
        ``rate`` per second (0 = as fast as the sockets take them), then a trickle of one more
        per millisecond (at most ``trickle``) until cancelled."""
        self.build(n + trickle)
        first = first_id(self.profile["kind"])
        batch = 1 if rate else 64
        # each socket's share of every batch, joined before the clock starts
        plans: list[tuple[asyncio.StreamWriter, list[bytes]]] = []
        for w, subs in self.sockets:
            blobs = [
                b"".join(f for stream, f in self.frames[k : min(n, k + batch)] if stream in subs)
                for k in range(0, n, batch)
            ]
            if any(blobs):
                plans.append((w, blobs))
        t0 = time.perf_counter()
        self.burst_start = time.time_ns()
        for b, k in enumerate(range(0, n, batch)):
            if rate:
                due = t0 + k / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            sent = time.time_ns()
            for i in range(k, min(n, k + batch)):
                self.send_times[first + i] = sent
            for w, blobs in plans:
                if blobs[b]:
                    w.write(blobs[b])
            for w, _ in plans:
                await w.drain()
        for m in range(n, len(self.frames)):
            await asyncio.sleep(0.001)
            stream, blob = self.frames[m]
            self.send_times[first + m] = time.time_ns()
            for w, subs in self.sockets:
                if stream in subs and not w.is_closing():
                    w.write(blob)

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
        market = self.profile["market"]
        if url.path.endswith("/exchangeInfo"):
            # the profile's market type only: other types answer an empty list
            kind = "usdm" if "/fapi/" in url.path else "spot" if "/api/" in url.path else ""
            ids = self.ids if kind == market else []
            return orjson.dumps(
                {"timezone": "UTC", "symbols": [market_info(s, market) for s in ids]}
            )
        if url.path.endswith("/depth"):
            return orjson.dumps(self.snapshot())
        if url.path.endswith("/time"):
            return orjson.dumps({"serverTime": time.time_ns() // 1_000_000})
        if url.path == "/setup":
            self.setup(
                {
                    "kind": q.get("kind", "depth"),
                    "market": q.get("market", "spot"),
                    "symbols": int(q.get("symbols", "1")),
                    "levels": int(q.get("levels", "1")),
                }
            )
            return b"{}"
        if url.path == "/go":
            if "stream" in q and q["stream"] != self.profile["kind"]:  # the one-symbol bench
                self.setup(dict(PROFILE_DEFAULT, kind=q["stream"]))
            self.sender = asyncio.create_task(
                self.go(int(q["n"]), float(q.get("rate", "0")), int(q.get("trickle", "5000")))
            )
            return b"{}"
        if url.path == "/stop" and self.sender is not None:
            self.sender.cancel()
            self.sender = None
            return b"{}"
        if url.path == "/sendtimes":
            return orjson.dumps(self.send_times, option=orjson.OPT_NON_STR_KEYS)
        if url.path == "/subscribed":
            subscribed = set().union(*(subs for _, subs in self.sockets))
            return orjson.dumps({"streams": len(subscribed)})
        if url.path == "/burst":
            return orjson.dumps({"start_ns": self.burst_start})
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
                        subs.add(USER_DATA)
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
