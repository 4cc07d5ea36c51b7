"""The emulator's market-stream control protocol, frame by frame."""

from __future__ import annotations

import pytest

from mock_exchange.errors import StreamControlError
from mock_exchange.transports.stream_names import StreamKey, parse_stream
from mock_exchange.transports.stream_session import StreamSession


def validate(name: str) -> StreamKey:
    key = parse_stream(name)
    if key is None or key.symbol not in (None, "BTCUSDT"):
        raise StreamControlError(2, "Invalid request: invalid stream")
    return key


def session(combined: bool = False) -> StreamSession:
    return StreamSession(validate, combined=combined, max_streams=3)


def test_subscribe_list_unsubscribe() -> None:
    """SUBSCRIBE ACKs with result null and the id as sent; LIST shows it; UNSUBSCRIBE drops it."""
    s = session()
    r = s.handle_text('{"method":"SUBSCRIBE","params":["btcusdt@ticker"],"id":"ab-1"}')
    assert r.ok and r.frame == {"result": None, "id": "ab-1"}
    assert s.handle_text('{"method":"LIST_SUBSCRIPTIONS","id":7}').frame == {
        "result": ["btcusdt@ticker"],
        "id": 7,
    }
    assert s.handle_text('{"method":"UNSUBSCRIBE","params":["btcusdt@ticker"],"id":8}').ok
    assert s.streams == {}


@pytest.mark.parametrize(
    ("text", "code", "msg"),
    [
        ("{bad", 3, "Invalid JSON: expected value at line 1 column"),
        ('{"params":[],"id":1}', 2, "Invalid request: missing field `method`"),
        ('{"method":"FOO","id":1}', 2, "Invalid request: unknown variant `FOO`"),
        ('{"method":"SUBSCRIBE","params":["x"],"id":true}', 2, "request ID must be"),
        ('{"method":"SUBSCRIBE","params":["btcusdt@nope"],"id":1}', 2, "invalid stream"),
        ('{"method":"SUBSCRIBE","params":["ethusdt@ticker"],"id":1}', 2, "invalid stream"),
        ('{"method":"SUBSCRIBE","params":"btcusdt@ticker","id":1}', 2, "invalid stream"),
        ('{"method":"SET_PROPERTY","params":["nope",true],"id":1}', 0, "Unknown property"),
        ('{"method":"SET_PROPERTY","params":["combined","yes"],"id":1}', 1, "expected Boolean"),
        ('{"method":"SET_PROPERTY","params":[5,true],"id":1}', 2, "property name must be"),
        ('{"method":"GET_PROPERTY","params":["combined",1],"id":1}', 2, "too many parameters"),
        ("[1,2]", 2, "expected a JSON object"),
    ],
)
def test_errors_are_nested_with_id(text: str, code: int, msg: str) -> None:
    """Bad control frames get Binance's nested error shape and keep the session usable."""
    s = session()
    r = s.handle_text(text)
    assert not r.ok
    assert r.frame["error"]["code"] == code
    assert msg in r.frame["error"]["msg"]
    assert "id" in r.frame
    assert s.handle_text('{"method":"LIST_SUBSCRIPTIONS","id":2}').ok


def test_properties_switch_envelope() -> None:
    """SET_PROPERTY combined switches between the bare payload and the envelope."""
    s = session()
    assert s.envelope("a", {"x": 1}) == {"x": 1}
    assert (
        s.handle_text('{"method":"GET_PROPERTY","params":["combined"],"id":1}').frame["result"]
        is False
    )
    s.handle_text('{"method":"SET_PROPERTY","params":["combined",true],"id":2}')
    assert s.envelope("a", {"x": 1}) == {"stream": "a", "data": {"x": 1}}


def test_stream_limit_and_url_streams() -> None:
    """More than the stream limit is refused; URL names that are not streams are ignored."""
    s = session()
    s.open_with(["0", "btcusdt@ticker", "btcusdt@trade"])
    assert list(s.streams) == ["btcusdt@ticker", "btcusdt@trade"]
    r = s.handle_text('{"method":"SUBSCRIBE","params":["btcusdt@aggTrade","btcusdt@depth"],"id":1}')
    assert r.frame["error"]["msg"] == "Invalid request: too many parameters"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("btcusdt@kline_1m", StreamKey("BTCUSDT", "kline", ("1m",))),
        ("btcusdt@kline_1h@+08:00", StreamKey("BTCUSDT", "kline", ("1h", "+08:00"))),
        ("btcusdt@depth20@100ms", StreamKey("BTCUSDT", "depth", ("20", "100"))),
        ("btcusdt@depth", StreamKey("BTCUSDT", "depth", ("", "1000"))),
        ("btcusdt@ticker_4h", StreamKey("BTCUSDT", "ticker", ("4h",))),
        ("!ticker_1h@arr", StreamKey(None, "ticker", ("1h", "arr"))),
        ("!miniTicker@arr", StreamKey(None, "miniTicker", ("arr",))),
        ("btcusdt@kline_7m", None),
        ("btcusdt@depth7", None),
        ("!ticker@arr", None),
        ("BTC", None),
        (" btcusdt@ticker", None),
    ],
)
def test_server_stream_grammar(name: str, key: StreamKey | None) -> None:
    """The server parses spot stream names by grammar and rejects retired or bad ones."""
    assert parse_stream(name) == key
