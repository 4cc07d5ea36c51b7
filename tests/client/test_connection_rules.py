"""Stream connections under Binance's rules: the pacer's budget (pings and pongs included)
against the real emulator, 1008 and 418 waited out instead of hammered, invalid UTF-8 and
oversized messages failed with 1007 and 1009, and one place that translates errors."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import orjson
import pytest

import client
from client import connection, transport
from client.connection import ConnectionSettings, FramePacer
from client.errors import ConnectionClosed, DDoSProtection, RateLimitExceeded
from client.protocol.backoff import POLICY_DELAY, is_retryable, least_delay
from client.protocol.frames import CLOSE, TEXT, parse_close
from client.stream_connection import StreamConnection
from client.telemetry import Telemetry, WireEvent
from mock_exchange import MockExchange, ServerConfig
from mock_exchange.transports.rules import ConnectionRules

from .conftest import Serve
from .test_frames import server_frame
from .test_frames_hardening import BAN_BODY, refusal
from .test_transport import accept, read_frame


async def test_pacer_charges_pongs_to_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pong takes a slot: the next control message waits a full interval after it."""
    asked: list[float] = []

    async def fake_sleep(delay: float) -> None:
        asked.append(delay)

    monkeypatch.setattr(connection.asyncio, "sleep", fake_sleep)
    pacer = FramePacer(5)
    pacer.charge()
    await pacer.wait()
    assert len(asked) == 1 and 0.24 < asked[0] <= 0.25


def test_policy_close_retries_after_a_long_pause() -> None:
    """A 1008 close is retryable, but only after the long policy pause."""
    assert is_retryable(ConnectionClosed("x", code=1008))
    assert least_delay(ConnectionClosed("x", code=1008)) == POLICY_DELAY >= 5
    assert least_delay(ConnectionClosed("x", code=1006)) == 0


async def test_many_watches_stay_under_the_message_limit() -> None:
    """Twelve concurrent watches on one spot connection, with pings both ways every second,
    never trip the emulator's 5-messages-per-second rule."""
    rules = ConnectionRules(ping_interval_ms=1000)
    config = ServerConfig(seed=3, rate=50, spot_rules=rules)
    opts = {"timeout": 10_000, "keepalive": 1000, "keepalive_timeout": 5000}
    async with (
        MockExchange(config=config) as mx,
        client.Binance(binance_env="local", base_url=mx.base_url, options=opts) as ex,
    ):
        seen: list[WireEvent] = []
        ex.add_listener(lambda e: seen.append(e) if e.kind in ("close", "reconnect") else None)
        symbols = ["BTC/USDT", "ETH/USDT", "BNB/USDT", "ETH/BTC"]
        watches: list[Awaitable[Any]] = [ex.watch_ticker(s) for s in symbols]
        watches += [ex.watch_trades(s) for s in symbols]
        watches += [ex.watch_ohlcv("BTC/USDT", tf) for tf in ("1m", "3m", "5m", "15m")]
        await asyncio.wait_for(asyncio.gather(*watches), 30)
        (url,) = ex.connections()
        info = ex.connection_info(url)
        assert info["reconnects"] == 0 and seen == []
        assert len(info["subscriptions"]) == 12


async def test_policy_close_reconnects_after_the_pause(serve: Serve) -> None:
    """After a 1008 close the stream re-subscribes, and callers in the pause fail at once."""
    conns = 0
    second = asyncio.Event()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal conns
        conns += 1
        await accept(reader, writer)
        _, body = await read_frame(reader)
        rid = orjson.loads(body)["id"]
        writer.write(server_frame(TEXT, b'{"result":null,"id":%d}' % rid))
        if conns == 1:
            writer.write(server_frame(CLOSE, (1008).to_bytes(2, "big") + b"Too many messages"))
            await reader.read()
        else:
            second.set()
            await read_frame(reader)  # the client's close at the end of the test
            writer.close()

    settings = ConnectionSettings(backoff_initial=0.01, backoff_cap=0.02, policy_delay=0.3)
    conn = StreamConnection(await serve(script), Telemetry(), settings)
    closed = asyncio.Event()
    conn.telemetry.add(lambda e: closed.set() if e.kind == "close" else None)
    try:
        await conn.ensure_open()
        await conn.subscribe(["btcusdt@trade"], 2)
        await asyncio.wait_for(closed.wait(), 2)
        with pytest.raises(ConnectionClosed) as info:
            await conn.ensure_open()
        assert info.value.code == 1008
        await asyncio.wait_for(second.wait(), 3)
        assert conns == 2
    finally:
        await conn.close()


def test_bans_are_not_hammered() -> None:
    """A 418 retries only when the server said when, and never before that."""
    ban = DDoSProtection("banned")
    assert not is_retryable(ban)
    ban.retry_after = 120.0
    assert is_retryable(ban) and least_delay(ban) == 120.0
    assert least_delay(RateLimitExceeded("x")) == POLICY_DELAY


async def test_a_ban_on_redial_holds_the_stream(serve: Serve) -> None:
    """A 418 on reconnect makes the stream wait Retry-After out: callers get the ban at once."""
    conns = 0
    banned = asyncio.Event()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal conns
        conns += 1
        if conns > 1:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(refusal(418, "I'm a teapot", BAN_BODY, "Retry-After: 60\r\n"))
            await reader.read()
            return
        await accept(reader, writer)
        _, body = await read_frame(reader)
        writer.write(server_frame(TEXT, b'{"result":null,"id":%d}' % orjson.loads(body)["id"]))
        writer.write(server_frame(CLOSE, (1001).to_bytes(2, "big")))
        await reader.read()

    settings = ConnectionSettings(backoff_initial=0.01, backoff_cap=0.02)
    conn = StreamConnection(await serve(script), Telemetry(), settings)
    conn.telemetry.add(lambda e: banned.set() if "HTTP 418" in e.text else None)
    try:
        await conn.ensure_open()
        await conn.subscribe(["btcusdt@trade"], 2)
        await asyncio.wait_for(banned.wait(), 3)
        with pytest.raises(DDoSProtection) as info:
            await conn.ensure_open()
        assert info.value.retry_after == 60.0 and conns == 2
    finally:
        await conn.close()


async def stream_that_sends(serve: Serve, frame: bytes, settings: ConnectionSettings) -> bytes:
    """Open a StreamConnection to a server that sends ``frame``; return the client's answer."""
    reply: asyncio.Future[tuple[int, bytes]] = asyncio.get_running_loop().create_future()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        writer.write(frame)
        reply.set_result(await read_frame(reader))
        await reader.read()

    conn = StreamConnection(await serve(script), Telemetry(), settings)
    try:
        await conn.ensure_open()
        op, body = await asyncio.wait_for(reply, 2)
        assert op == CLOSE
        return body
    finally:
        await conn.close()


async def test_invalid_utf8_text_fails_with_1007(serve: Serve) -> None:
    """A text message that is not UTF-8 fails the connection with 1007, not silently."""
    body = await stream_that_sends(serve, server_frame(TEXT, b'{"a":"\xff"}'), ConnectionSettings())
    assert parse_close(body)[0] == 1007


async def test_oversized_message_fails_with_1009(serve: Serve) -> None:
    """A message over the configured max_size fails the connection with 1009."""
    settings = ConnectionSettings(max_size=100)
    body = await stream_that_sends(serve, server_frame(TEXT, b"[" + b"1," * 99 + b"1]"), settings)
    assert parse_close(body)[0] == 1009


def test_one_translation_point() -> None:
    """The connection layer translates socket errors with the transport's one function."""
    assert connection.translate_exception is transport.translate_exception
