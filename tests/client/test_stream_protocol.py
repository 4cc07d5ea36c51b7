"""The sans-I/O stream protocol: control frames, answers and subscription states."""

from __future__ import annotations

import orjson
import pytest

from client.protocol.stream_protocol import (
    Ack,
    ControlError,
    StreamData,
    StreamProtocol,
    Unparsed,
)
from client.protocol.subscriptions import IllegalTransition, SubscriptionTable, SubState


def test_subscribe_frame_and_ack() -> None:
    """SUBSCRIBE carries the streams and an integer id; the ACK activates them."""
    p = StreamProtocol()
    rid, text = p.subscribe(["btcusdt@ticker"])
    assert orjson.loads(text) == {"method": "SUBSCRIBE", "params": ["btcusdt@ticker"], "id": rid}
    assert p.subscriptions.state("btcusdt@ticker") is SubState.SUBSCRIBING
    event = p.receive(orjson.dumps({"result": None, "id": rid}))
    assert event == Ack(rid, "SUBSCRIBE", ("btcusdt@ticker",), None)
    assert p.subscriptions.state("btcusdt@ticker") is SubState.ACTIVE
    assert rid not in p.pending


def test_ids_increase() -> None:
    """Each control request gets a fresh id."""
    p = StreamProtocol()
    ids = [p.subscribe([f"s{i}@ticker"])[0] for i in range(3)] + [p.list_subscriptions()[0]]
    assert ids == sorted(set(ids))
    assert orjson.loads(p.list_subscriptions()[1])["method"] == "LIST_SUBSCRIPTIONS"


def test_error_answer_rolls_back_subscription() -> None:
    """A nested error answer is matched to its request and the stream returns to ABSENT."""
    p = StreamProtocol()
    rid, _ = p.subscribe(["nope@ticker"])
    frame = {"error": {"code": 2, "msg": "Invalid request: invalid stream"}, "id": rid}
    event = p.receive(orjson.dumps(frame))
    assert isinstance(event, ControlError)
    assert (event.request_id, event.code, event.method) == (rid, 2, "SUBSCRIBE")
    assert p.subscriptions.state("nope@ticker") is SubState.ABSENT


def test_unsubscribe_ack_removes() -> None:
    """UNSUBSCRIBE followed by its ACK removes the stream."""
    p = StreamProtocol()
    rid, _ = p.subscribe(["a@ticker"])
    p.receive(orjson.dumps({"result": None, "id": rid}))
    rid2, text = p.unsubscribe(["a@ticker"])
    assert orjson.loads(text)["method"] == "UNSUBSCRIBE"
    assert p.subscriptions.state("a@ticker") is SubState.UNSUBSCRIBING
    p.receive(orjson.dumps({"result": None, "id": rid2}))
    assert len(p.subscriptions) == 0


def test_stream_data_and_unparsed() -> None:
    """Combined envelopes become StreamData; everything else is Unparsed."""
    p = StreamProtocol()
    data = p.receive(b'{"stream":"btcusdt@ticker","data":{"e":"24hrTicker"}}')
    assert data == StreamData("btcusdt@ticker", {"e": "24hrTicker"})
    assert isinstance(p.receive("not json"), Unparsed)
    assert isinstance(p.receive(b'{"e":"24hrTicker"}'), Unparsed)
    assert isinstance(p.receive(b'{"result":null,"id":999}'), Unparsed)  # unknown id


def test_forget_and_reset() -> None:
    """A timed-out request is forgotten; reset reports the live streams."""
    p = StreamProtocol()
    rid, _ = p.subscribe(["a@ticker"])
    p.forget(rid)
    p.forget(12345)
    assert p.subscriptions.state("a@ticker") is SubState.ABSENT
    rid, _ = p.subscribe(["b@ticker"])
    assert p.reset() == ["b@ticker"]
    assert not p.pending


def test_illegal_transition_leaves_state() -> None:
    """An illegal transition raises and changes nothing."""
    t = SubscriptionTable()
    with pytest.raises(IllegalTransition):
        t.apply("x", "ack")
    t.apply("x", "subscribe_sent")
    with pytest.raises(IllegalTransition):
        t.apply("x", "unsubscribe_sent")
    assert t.state("x") is SubState.SUBSCRIBING
    assert t.snapshot() == {"x": "subscribing"}
