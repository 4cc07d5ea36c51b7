"""The RFC 6455 codec's hardening (sans-I/O): reserved opcodes and bad control frames, close
codes and reasons in both directions, the bounded handshake reader, the Host header, and
every payload length class."""

from __future__ import annotations

import orjson
import pytest

from client.protocol.frames import (
    BINARY,
    CLOSE,
    PING,
    TEXT,
    FrameParser,
    HandshakeError,
    HandshakeReader,
    ProtocolError,
    close_payload,
    encode_frame,
    host_header,
    parse_close,
)

from .test_frames import server_frame, unmask

BAN_BODY = orjson.dumps(
    {
        "code": -1003,
        "msg": "Way too much request weight used; IP banned until 1770000000000. Please use "
        "WebSocket Streams for live updates to avoid bans.",
    }
)


LIMIT_BODY = orjson.dumps(
    {"code": -1003, "msg": "Too much request weight used; current limit is 6000 per minute."}
)


def refusal(status: int, reason: str, body: bytes, extra: str = "") -> bytes:
    """Return an HTTP refusal of the upgrade with a JSON body."""
    return (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n{extra}"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def test_refusal_body_is_read_across_splits_and_bounded() -> None:
    """A refusal's body is collected byte by byte (plain or chunked) and capped."""
    wire = refusal(418, "I'm a teapot", BAN_BODY, "Retry-After: 120\r\n")
    reader = HandshakeReader("k")
    with pytest.raises(HandshakeError) as info:
        for i in range(len(wire)):
            assert reader.feed(wire[i : i + 1]) is None
    assert info.value.body == BAN_BODY and info.value.retry_after == 120.0

    chunked = (
        b"HTTP/1.1 429 Too Many Requests\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"%x\r\n" % len(LIMIT_BODY)
        + LIMIT_BODY
        + b"\r\n0\r\n\r\n"
    )
    with pytest.raises(HandshakeError) as info:
        HandshakeReader("k").feed(chunked)
    assert info.value.body == LIMIT_BODY and info.value.status == 429

    reader = HandshakeReader("k", max_body=100)
    reader.feed(b"HTTP/1.1 403 Forbidden\r\n\r\n")  # a body until EOF
    with pytest.raises(HandshakeError) as info:
        reader.feed(b"x" * 500)
    assert info.value.body == b"x" * 100
    reader = HandshakeReader("k")
    assert reader.feed(b"HTTP/1.1 403 Forbidden\r\n\r\npartial") is None
    eof = reader.eof()
    assert eof is not None and eof.body == b"partial" and eof.status == 403


@pytest.mark.parametrize(
    "wire",
    [
        *[bytes((0x80 | op, 0)) for op in (3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF)],
        server_frame(PING, b"x", fin=False),
        server_frame(PING, b"x" * 126),
        server_frame(CLOSE, b"\x03\xe8" + b"x" * 124),
    ],
    ids=[
        *(f"opcode-{op:#x}" for op in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15)),
        "ping-no-fin",
        "ping-126",
        "close-126",
    ],
)
def test_unknown_opcodes_and_bad_control_frames(wire: bytes) -> None:
    """Reserved opcodes, fragmented control frames and control payloads over 125 bytes fail
    with 1002."""
    with pytest.raises(ProtocolError) as info:
        FrameParser().feed(wire)
    assert info.value.code == 1002


def test_close_reason_is_cut_on_a_character_boundary() -> None:
    """A long reason is cut to fit 125 bytes without splitting a UTF-8 character."""
    body = close_payload(1000, "é" * 100)
    assert len(body) <= 125
    assert parse_close(body) == (1000, "é" * 61)
    assert close_payload(1005) == b""
    for code in (999, 1004, 1006, 1015, 2000, 5000):
        with pytest.raises(ValueError):
            close_payload(code)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"\x03", 1002),
        *[(c.to_bytes(2, "big"), 1002) for c in (0, 999, 1004, 1005, 1006, 1015, 2999, 5000)],
        (b"\x03\xe8\xff\xfe", 1007),
    ],
    ids=["1-byte", *(f"code-{c}" for c in (0, 999, 1004, 1005, 1006, 1015, 2999, 5000)), "utf8"],
)
def test_invalid_close_frames_are_refused(body: bytes, code: int) -> None:
    """A 1-byte close body or a code that may not be sent is 1002; a non-UTF-8 reason 1007."""
    with pytest.raises(ProtocolError) as info:
        parse_close(body)
    assert info.value.code == code


def test_oversized_frames_are_1009() -> None:
    """Frames and fragmented messages over max_size raise ProtocolError with code 1009."""
    with pytest.raises(ProtocolError) as info:
        FrameParser(max_size=10).feed(server_frame(BINARY, b"x" * 11))
    assert info.value.code == 1009
    with pytest.raises(ProtocolError) as info:
        FrameParser(max_size=10).feed(server_frame(TEXT, b"x" * 11))
    assert info.value.code == 1009


def test_host_header() -> None:
    """Host names the port only when not the default and brackets IPv6 literals."""
    assert host_header("stream.binance.com", 9443, True) == "stream.binance.com:9443"
    assert host_header("stream.binance.com", 443, True) == "stream.binance.com"
    assert host_header("h", 80, False) == "h" and host_header("h", None, True) == "h"
    assert host_header("::1", 8080, False) == "[::1]:8080"


@pytest.mark.parametrize("n", [125, 126, 65535, 65536])
def test_length_classes_round_trip(n: int) -> None:
    """Payloads at each length boundary encode with the right header and parse back whole."""
    payload = bytes(range(256)) * (n // 256) + bytes(range(n % 256))
    frame = encode_frame(BINARY, payload, b"\x01\x02\x03\x04")
    ext = {125: 0, 126: 2, 65535: 2, 65536: 8}[n]
    assert len(frame) == 2 + ext + 4 + n and frame[1] & 0x7F == {0: n, 2: 126, 8: 127}[ext]
    assert unmask(frame) == (BINARY, payload)
    wire = server_frame(TEXT, payload)
    assert len(wire) == 2 + ext + n
    parser = FrameParser()
    assert parser.feed(wire[:-1]) == [] and parser.feed(wire[-1:]) == [(TEXT, payload)]
