"""What every kind of connection shares: settings, the send pacer, dialing, settling futures.

The kinds themselves live in :mod:`client.stream_connection` (market streams),
:mod:`client.ws_api_connection` (the WebSocket API) and, later, user-data connections; each
plugs its dial / restore / lost hooks into one :class:`~client.supervisor.Supervisor`. What the
socket layer raises (OSError, TLS errors, timeouts, a refused upgrade) reaches them already
translated, by :func:`client.transport.translate_exception`, the one place that does it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from .protocol.backoff import POLICY_DELAY
from .transport import OnMessage, WebSocket, translate_exception

__all__ = ["ConnectionSettings", "FramePacer", "dial", "reject", "resolve", "translate_exception"]


@dataclass(frozen=True)
class ConnectionSettings:
    """Timers and limits of a connection (seconds; small values make tests fast).

    Attributes:
        open_timeout: bound on the TCP + WebSocket handshake.
        keepalive: interval of our pings (None: only answer the server's pings).
        keepalive_timeout: a peer that leaves a ping unanswered this long is dead; so a dead
            peer is detected within ``keepalive + keepalive_timeout``.
        reconnect: reconnect with backoff and re-subscribe after an unexpected close.
        backoff_initial, backoff_cap: the jittered exponential backoff between attempts.
        backoff_reset: how long a connection must stay up before the backoff starts over, so
            a server that accepts and closes at once meets ever longer pauses, not a storm.
        max_streams: streams per connection (Binance allows 1024).
        control_rate: Binance's limit of incoming frames per second on a stream connection (5
            on spot; JSON messages, pings and pongs all count). The pacer keeps one under it,
            evenly spaced, and charges our pings and pongs to the same budget.
        max_size: the largest message accepted; a bigger one fails the socket with 1009.
        policy_delay: the least pause before reconnecting after a 1008 close (Binance's
            message-rate rule) or a rate limit without ``Retry-After``.
    """

    open_timeout: float = 10.0
    keepalive: float | None = 20.0
    keepalive_timeout: float | None = 20.0
    reconnect: bool = True
    backoff_initial: float = 0.1
    backoff_cap: float = 30.0
    backoff_reset: float = 15.0
    max_streams: int = 1024
    control_rate: float = 5.0
    max_size: int = 16 * 1024 * 1024
    policy_delay: float = POLICY_DELAY


async def dial(
    url: str,
    settings: ConnectionSettings,
    on_message: OnMessage,
    pacer: FramePacer | None = None,
    *,
    label: str | None = None,
) -> WebSocket:
    """Open ``url`` (raises the client's errors only: the transport translates); ``label``
    names it in errors and logs instead of ``url``."""
    return await WebSocket.connect(
        url,
        on_message,
        label=label,
        open_timeout=settings.open_timeout,
        keepalive=settings.keepalive,
        keepalive_timeout=settings.keepalive_timeout,
        max_size=settings.max_size,
        pacer=pacer,
    )


class FramePacer:
    """Space the frames we send on a connection evenly, under Binance's per-second limit.

    Binance counts every frame a client sends on a market-stream connection (JSON control
    messages, pings and pongs) and closes with 1008 above ``limit`` a second. JSON messages
    and our pings wait here, one at a time, until ``1 / (limit - 1)`` s after the previous
    frame; a pong, which must not wait, goes at once and counts as the previous frame. So any
    second holds at most ``limit - 1`` paced frames plus a pong that went in between: one of
    headroom for jitter. Spacing is measured when a waiter wakes, so a stalled loop does not
    release a burst.
    """

    def __init__(self, limit: float) -> None:
        self.interval = 1.0 / max(1.0, limit - 1)
        self._last = float("-inf")  # loop time of the last frame sent
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        """Wait until a frame may go (the caller sends it at once)."""
        async with self._lock:
            loop = asyncio.get_running_loop()
            delay = self._last + self.interval - loop.time()
            if delay > 0:
                # a rate limit, not a wait for an event: Binance disconnects above 5/s
                await asyncio.sleep(delay)
            self._last = loop.time()

    def charge(self) -> None:
        """Count a frame that went now without waiting (a pong)."""
        self._last = max(self._last, asyncio.get_running_loop().time())


def resolve(fut: asyncio.Future[Any], value: Any) -> None:
    """Set ``fut``'s result unless it is already settled."""
    if not fut.done():
        fut.set_result(value)


def reject(fut: asyncio.Future[Any], err: BaseException) -> None:
    """Fail ``fut`` unless it is already settled (and never warn "exception never retrieved")."""
    if not fut.done():
        fut.set_exception(err)
        fut.exception()  # retrieved by whoever awaits; never "exception never retrieved"
