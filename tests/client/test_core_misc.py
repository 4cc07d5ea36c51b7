"""Sans-I/O pieces: newUpdates caches, WS API matching, backoff, the retry rule, and the
stream protocol's serverShutdown and handover requests."""

from __future__ import annotations

import random

import pytest

from client.errors import (
    AuthenticationError,
    BadRequest,
    ConnectionClosed,
    DDoSProtection,
    ExchangeNotAvailable,
    RateLimitExceeded,
    RequestTimeout,
)
from client.protocol.backoff import backoff, is_retryable
from client.protocol.caches import ArrayCache, ArrayCacheByTimestamp
from client.protocol.stream_protocol import Ack, ServerShutdown, StreamData, StreamProtocol
from client.protocol.subscriptions import SubState
from client.protocol.ws_api import WsApiEvent, WsApiProtocol, WsApiResponse


def test_array_cache_new_updates_per_key() -> None:
    """Each key sees the rows appended since it last asked, newest limit, bounded by limit."""
    cache: ArrayCache[int] = ArrayCache(3)
    for i in range(2):
        cache.append(i)
    assert cache.new_rows("BTC") == [0, 1]
    assert cache.new_rows("BTC") == []
    for i in range(2, 7):
        cache.append(i)
    assert cache.pending("BTC") == 3 and cache.new_rows("BTC", 2) == [5, 6]
    assert cache.new_rows("ETH") == [4, 5, 6] and len(cache) == 3
    assert cache.rows(2) == [5, 6] and list(cache) == [4, 5, 6] and cache.rows(0) == []
    with pytest.raises(ValueError):
        ArrayCache(0)


def test_ohlcv_cache_replaces_open_candle() -> None:
    """A candle with the same open time replaces the last one and is new again to its reader."""
    cache = ArrayCacheByTimestamp(10)
    cache.append([1, 1.0, 1.0, 1.0, 1.0, 1.0])
    assert cache.new_rows() == [[1, 1.0, 1.0, 1.0, 1.0, 1.0]]
    cache.append([1, 1.0, 2.0, 1.0, 2.0, 3.0])
    assert cache.new_rows() == [[1, 1.0, 2.0, 1.0, 2.0, 3.0]]
    cache.append([2, 2.0, 2.0, 2.0, 2.0, 1.0])
    assert [c[0] for c in cache.new_rows()] == [2] and len(cache) == 2


def test_ws_api_matching_by_string_id() -> None:
    """Requests get string ids; answers match by id; errors and shutdowns decode."""
    p = WsApiProtocol()
    rid, text = p.request("depth", {"symbol": "BTCUSDT", "limit": 5})
    assert rid == "1" and '"method":"depth"' in text and '"id":"1"' in text
    ok = p.receive('{"id":"1","status":200,"result":{"lastUpdateId":1},"rateLimits":[]}')
    assert isinstance(ok, WsApiResponse) and ok.ok and ok.method == "depth"
    rid2, _ = p.request("ping")
    err = p.receive('{"id":"2","status":400,"error":{"code":-1121,"msg":"Invalid symbol."}}')
    assert isinstance(err, WsApiResponse) and not err.ok and err.code == -1121
    assert p.receive('{"event":{"e":"serverShutdown","E":1770123456789}}') == ServerShutdown(
        1770123456789
    )
    assert p.receive("not json") is None and p.receive("[1]") is None
    # issue 8: a user-data frame is an event now, not None (see test_ws_api_events.py)
    assert p.receive('{"subscriptionId":0,"event":{"e":"x"}}') == WsApiEvent(0, {"e": "x"})
    p.request("time")
    assert p.reset() == ["3"] and not p.pending
    p.forget(rid2)


def test_backoff_grows_with_jitter_to_the_cap() -> None:
    """Delays double up to the cap, each jittered within [0.5, 1] of its base."""
    delays = backoff(0.1, 1.0, rng=random.Random(1))
    got = [next(delays) for _ in range(8)]
    bases = [0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0, 1.0]
    assert all(b / 2 <= d <= b for d, b in zip(got, bases, strict=True))
    assert len(set(got)) == len(got)


def test_is_retryable_rule() -> None:
    """Network trouble and rate limits retry; bans, refused keys and fatal closes do not."""
    assert is_retryable(ConnectionClosed("x", code=1006))
    assert is_retryable(ConnectionClosed("x", code=None))
    assert not is_retryable(ConnectionClosed("x", code=1002))
    assert not is_retryable(ConnectionClosed("x", code=1006, sent_code=1002))
    assert is_retryable(RequestTimeout("x")) and is_retryable(ExchangeNotAvailable("x"))
    assert is_retryable(RateLimitExceeded("x"))
    assert not is_retryable(DDoSProtection("x"))
    assert not is_retryable(AuthenticationError("x")) and not is_retryable(BadRequest("x"))
    assert is_retryable(OSError("x")) and not is_retryable(ValueError("x"))


def test_stream_protocol_shutdown_and_handover() -> None:
    """serverShutdown decodes in both envelopes; a handover SUBSCRIBE leaves states alone."""
    p = StreamProtocol()
    assert p.receive(
        '{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":5}}'
    ) == ServerShutdown(5)
    assert p.receive('{"e":"serverShutdown","E":6}') == ServerShutdown(6)
    rid, _ = p.subscribe(["btcusdt@trade"])
    assert isinstance(p.receive(f'{{"result":null,"id":{rid}}}'), Ack)
    rid2, text = p.resubscribe(["btcusdt@trade"])
    assert '"SUBSCRIBE"' in text
    assert isinstance(p.receive(f'{{"result":null,"id":{rid2}}}'), Ack)
    assert p.subscriptions.state("btcusdt@trade") is SubState.ACTIVE
    rid3, _ = p.resubscribe(["btcusdt@trade"])
    p.receive(f'{{"error":{{"code":2,"msg":"x"}},"id":{rid3}}}')
    p.forget(rid3)
    assert p.subscriptions.state("btcusdt@trade") is SubState.ACTIVE
    assert p.receive('{"stream":"btcusdt@trade","data":{}}') == StreamData("btcusdt@trade", {})


async def test_pacer_spaces_control_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pacer spaces messages evenly, one slot a second fewer than Binance's limit."""
    import asyncio

    from client import connection

    asked: list[float] = []

    async def fake_sleep(delay: float) -> None:
        asked.append(delay)

    monkeypatch.setattr(connection.asyncio, "sleep", fake_sleep)
    pacer = connection.FramePacer(5)
    for _ in range(3):
        await pacer.wait()
    assert len(asked) == 2 and all(0.24 < a <= 0.25 for a in asked)
    assert asyncio.get_running_loop() is not None
