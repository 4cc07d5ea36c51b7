"""Client-side stream-name parsing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from client.protocol.stream_names import StreamName, format_stream, parse_stream


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("btcusdt@ticker", StreamName("btcusdt", "ticker")),
        ("btcusdt@ticker_1h", StreamName("btcusdt", "ticker", ("1h",))),
        ("btcusdt@kline_1m", StreamName("btcusdt", "kline", ("1m",))),
        ("btcusdt@depth@100ms", StreamName("btcusdt", "depth", ("100ms",))),
        ("btcusdt@depth20@100ms", StreamName("btcusdt", "depth", ("20", "100ms"))),
        ("btcusdt@bookTicker", StreamName("btcusdt", "bookTicker")),
        ("!miniTicker@arr", StreamName(None, "miniTicker", ("arr",))),
        ("!ticker_1h@arr", StreamName(None, "ticker_1h", ("arr",))),
    ],
)
def test_parse_known_names(name: str, expected: StreamName) -> None:
    """Documented stream names parse into (market id, channel, params) and format back."""
    assert parse_stream(name) == expected
    assert format_stream(expected) == name
    assert str(expected) == name


@pytest.mark.parametrize("bad", ["", "btcusdt", "@ticker", "btcusdt@", "btcusdt@@ticker"])
def test_parse_rejects_non_streams(bad: str) -> None:
    """Names without a market or channel are refused with ValueError."""
    with pytest.raises(ValueError, match="not a stream name"):
        parse_stream(bad)


_ident = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
_channel = st.sampled_from(
    [
        "trade",
        "aggTrade",
        "ticker",
        "bookTicker",
        "miniTicker",
        "depth",
        "kline",
        "avgPrice",
        "markPrice",
        "forceOrder",
    ]
)


@given(
    market=_ident,
    channel=_channel,
    suffix=st.sampled_from([(), ("100ms",), ("1s",)]),
    arg=st.sampled_from(["1m", "1h", "5", "20"]),
)
def test_format_parse_round_trip(
    market: str, channel: str, suffix: tuple[str, ...], arg: str
) -> None:
    """format_stream and parse_stream are inverses for every channel shape."""
    params: tuple[str, ...] = suffix
    if channel == "kline" or (channel == "depth" and arg.isdigit()):
        params = (arg, *suffix)
    name = StreamName(market, channel, params)
    assert parse_stream(format_stream(name)) == name
