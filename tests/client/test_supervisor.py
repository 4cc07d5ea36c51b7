"""The one reconnect supervisor, driven through its hooks over a loopback link: a dial hook
that builds a fresh URL per attempt (a new listen key), restore that is not SUBSCRIBE, the
handover to a fresh socket, and the stop when there is nothing to restore."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from client.connection import ConnectionSettings, dial
from client.errors import BaseError, ConnectionClosed
from client.protocol.frames import CLOSE
from client.supervisor import Hooks, Supervisor
from client.telemetry import Telemetry
from client.transport import WebSocket

from .conftest import Serve
from .test_frames import server_frame
from .test_transport import accept, read_frame

FAST = ConnectionSettings(backoff_initial=0.01, backoff_cap=0.02, keepalive=None)


class Recorder:
    """Hooks that record every call; ``dial`` builds ``<base>?listenKey=k<n>`` each time."""

    def __init__(self, base: str, *, restore_wanted: Callable[[], bool]) -> None:
        self.base = base
        self.restore_wanted = restore_wanted
        self.dialled: list[str] = []
        self.restored: list[tuple[str, bool]] = []
        self.lost: list[BaseError] = []
        self.retired: list[WebSocket] = []
        self.changed = asyncio.Event()

    async def dial(self) -> WebSocket:
        url = f"{self.base}?listenKey=k{len(self.dialled) + 1}"
        self.dialled.append(url)
        return await dial(url, FAST, lambda ws, payload: None)

    async def restore(self, ws: WebSocket, handover: bool) -> None:
        self.restored.append((ws.url.rpartition("=")[2], handover))
        self.changed.set()

    def on_lost(self, ws: WebSocket | None, err: BaseError) -> None:
        self.lost.append(err)
        self.changed.set()

    async def retire(self, old: WebSocket) -> None:
        self.retired.append(old)
        await old.close()

    def hooks(self) -> Hooks:
        return Hooks(self.dial, self.restore, self.on_lost, self.restore_wanted, self.retire)

    async def until(self, predicate: Callable[[], bool]) -> None:
        while not predicate():
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), 3)


def closing_after(
    first: int,
) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    """A server script: the first ``first`` connections are closed (1001) right after the
    handshake; later ones stay until the client closes."""
    count = 0

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal count
        count += 1
        await accept(reader, writer)
        if count <= first:
            writer.write(server_frame(CLOSE, (1001).to_bytes(2, "big")))
        await read_frame(reader)  # our close, or the answer to the server's
        writer.close()

    return script


async def test_each_attempt_dials_a_fresh_url_and_restores_its_way(serve: Serve) -> None:
    """Reconnects call the dial hook again (a new key each time) and the restore hook."""
    rec = Recorder(await serve(closing_after(2)), restore_wanted=lambda: True)
    sup = Supervisor("user-data", rec.hooks(), FAST, Telemetry())
    try:
        await sup.ensure_open()
        await rec.until(lambda: len(rec.restored) == 3)
        assert [u.rpartition("=")[2] for u in rec.dialled] == ["k1", "k2", "k3"]
        assert rec.restored == [("k1", False), ("k2", False), ("k3", False)]
        assert len(rec.lost) == 2 and all(isinstance(e, ConnectionClosed) for e in rec.lost)
        assert sup.reconnects == 2 and sup.state == "open"
    finally:
        await sup.close()
    assert isinstance(rec.lost[-1], ConnectionClosed) and sup.state == "closed"


async def test_nothing_to_restore_stops_until_asked_again(serve: Serve) -> None:
    """Without state to restore a lost socket is not redialled until the next ensure_open."""
    rec = Recorder(await serve(closing_after(1)), restore_wanted=lambda: False)
    sup = Supervisor("lazy", rec.hooks(), FAST, Telemetry())
    try:
        await sup.ensure_open()
        await rec.until(lambda: len(rec.lost) == 1)
        assert sup.state == "closed" and len(rec.dialled) == 1
        await sup.ensure_open()
        assert len(rec.dialled) == 2 and sup.reconnects == 1
    finally:
        await sup.close()


async def test_handover_restores_on_the_new_socket_then_retires_the_old(serve: Serve) -> None:
    """A handover dials, restores with handover=True, switches, then retires the old socket."""
    rec = Recorder(await serve(closing_after(0)), restore_wanted=lambda: True)
    sup = Supervisor("handover", rec.hooks(), FAST, Telemetry())
    try:
        old = await sup.ensure_open()
        sup.handover()
        await rec.until(lambda: len(rec.restored) == 2 and bool(rec.retired))
        assert rec.restored == [("k1", False), ("k2", True)]
        assert rec.retired == [old] and sup.ws is not old and sup.handovers == 1
        assert sup.reconnects == 0 and not rec.lost
    finally:
        await sup.close()
