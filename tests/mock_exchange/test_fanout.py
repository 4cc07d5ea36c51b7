"""Market-data fan-out: frames built once, the subscriber index, the activity rate."""

from __future__ import annotations

import orjson
import pytest

from mock_exchange.config import ServerConfig
from mock_exchange.emulator import Emulator
from mock_exchange.engine.activity import Activity
from mock_exchange.engine.clock import VirtualClock
from mock_exchange.engine.core import Engine
from mock_exchange.engine.markets import MarketKind
from mock_exchange.transports.frames import PING, text_frame, unframe
from mock_exchange.transports.publisher import Publisher
from mock_exchange.transports.stream_names import StreamKey, parse_stream
from mock_exchange.transports.stream_session import StreamSession


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65_535, 65_536, 70_000])
def test_text_frame_header_follows_rfc6455(size: int) -> None:
    """A text frame is FIN + opcode 1, unmasked, with the 7/16/64-bit length RFC 6455 asks for."""
    payload = b"x" * size
    frame = text_frame(payload)
    assert frame[0] == 0x81
    assert frame[1] & 0x80 == 0  # a server never masks
    head = 2 if size < 126 else 4 if size < 65_536 else 10
    assert len(frame) == head + size
    if head == 4:
        assert frame[1] == 126 and int.from_bytes(frame[2:4], "big") == size
    elif head == 10:
        assert frame[1] == 127 and int.from_bytes(frame[2:10], "big") == size
    assert unframe(frame) == (1, payload)
    assert unframe(PING) == (9, b"")


class FakeSub:
    """A stream connection that records the frames it is given."""

    def __init__(self, combined: bool) -> None:
        self.venue: MarketKind = "spot"
        self.session = StreamSession(parse_stream, combined=combined, max_streams=10)
        self.frames: list[bytes] = []

    def carries(self, key: StreamKey) -> bool:
        return True

    def send_frame(
        self, frame: bytes, stream: str | None = None, symbol: str | None = None
    ) -> None:
        self.frames.append(frame)


def test_publisher_index_follows_subscriptions_and_shares_frames() -> None:
    """A subscription made after an event was published is served next time (the index is
    rebuilt when the generation moves), and connections with the same envelope get the very same
    frame bytes."""
    emu = Emulator(ServerConfig(rate=0, frozen_clock=True))
    gen = [0]
    subs = [FakeSub(combined=True), FakeSub(combined=True), FakeSub(combined=False)]
    for sub in subs:
        sub.session.on_change = lambda: gen.__setitem__(0, gen[0] + 1)
    pub = Publisher(emu.exchange, lambda: subs, lambda: gen[0])
    key = StreamKey("BTCUSDT", "trade")
    assert not pub.wants("spot", key)
    assert pub.deliver("spot", key, {"e": "trade"}) == 0
    for sub in subs:
        sub.session.handle_text('{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":1}')
    assert pub.wants("spot", key)
    assert pub.deliver("spot", key, {"e": "trade", "p": "1.5"}) == 3
    a, b, raw = (sub.frames[0] for sub in subs)
    assert a is b  # built once, shared
    assert orjson.loads(unframe(a)[1]) == {
        "stream": "btcusdt@trade",
        "data": {"e": "trade", "p": "1.5"},
    }
    assert orjson.loads(unframe(raw)[1]) == {"e": "trade", "p": "1.5"}
    subs[0].session.handle_text('{"method":"UNSUBSCRIBE","params":["btcusdt@trade"],"id":2}')
    assert pub.deliver("spot", key, {"e": "trade"}) == 2


def test_activity_rate_is_not_capped_at_one_action_per_ms() -> None:
    """Flows asked for 5,000 actions/s perform about that many in a second, not at most 1,000."""
    clock = VirtualClock()
    a = Activity(Engine(clock, seed=2), 5000)
    a.run_until(clock.now_ms())
    expected = sum(f.rate for f in a.flows.values())  # actions per second, all flows
    before = a.actions
    for _ in range(10):
        clock.advance(100)
        a.run_until(clock.now_ms())
    capped = 1000 * sum(1 for f in a.flows.values() if f.rate > 0)  # the old 1 ms minimum gap
    assert expected > 2 * capped
    assert 0.9 * expected < a.actions - before < 1.1 * expected


def test_activity_forgets_orders_that_left_the_book() -> None:
    """A flow's list of its resting orders stays within twice its target on a long run, however
    many of its orders takers fill."""
    clock = VirtualClock()
    a = Activity(Engine(clock, seed=4), 200, max_resting=20)
    for _ in range(600):
        clock.advance(100)
        a.run_until(clock.now_ms())
    assert a.actions > 20_000
    for flow in a.flows.values():
        for ids in flow.resting.values():
            assert len(ids) <= 2 * flow.target
