"""The RFC 6455 codec (sans-I/O): handshake, framing, masking, fragments, protocol errors."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from client.protocol.frames import (
    BINARY,
    CLOSE,
    PING,
    TEXT,
    FrameParser,
    HandshakeError,
    ProtocolError,
    check_handshake,
    close_payload,
    encode_frame,
    handshake_request,
    parse_close,
)


def server_frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    """Build an unmasked server frame."""
    n = len(payload)
    b0 = (0x80 if fin else 0) | opcode
    if n < 126:
        return bytes((b0, n)) + payload
    if n < 65536:
        return bytes((b0, 126)) + n.to_bytes(2, "big") + payload
    return bytes((b0, 127)) + n.to_bytes(8, "big") + payload


def unmask(frame: bytes) -> tuple[int, bytes]:
    """Decode one masked client frame into (opcode, payload)."""
    n, i = frame[1] & 0x7F, 2
    if n == 126:
        n, i = int.from_bytes(frame[2:4], "big"), 4
    elif n == 127:
        n, i = int.from_bytes(frame[2:10], "big"), 10
    mask, data = frame[i : i + 4], frame[i + 4 : i + 4 + n]
    return frame[0] & 0x0F, bytes(b ^ mask[k % 4] for k, b in enumerate(data))


def test_handshake_accept_is_checked() -> None:
    """A 101 with the right Sec-WebSocket-Accept passes; anything else is refused."""
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    req = handshake_request("127.0.0.1:1", "/stream?x=1", key).decode()
    assert req.startswith("GET /stream?x=1 HTTP/1.1\r\n") and f"Sec-WebSocket-Key: {key}" in req
    accept = base64.b64encode(
        hashlib.sha1(key.encode() + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest()
    ).decode()
    assert accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  # the RFC's own example
    check_handshake(
        f"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept}".encode(),
        key,
    )
    with pytest.raises(HandshakeError) as info:
        check_handshake(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0", key)
    assert info.value.status == 404
    with pytest.raises(HandshakeError):
        check_handshake(b"HTTP/1.1 101 OK\r\nSec-WebSocket-Accept: nope", key)
    with pytest.raises(HandshakeError):
        check_handshake(
            f"HTTP/1.1 101 OK\r\nSec-WebSocket-Accept: {accept}\r\n"
            "Sec-WebSocket-Extensions: permessage-deflate".encode(),
            key,
        )


@given(st.lists(st.binary(max_size=70_000), min_size=1, max_size=4), st.integers(1, 97))
def test_parser_reassembles_any_split(payloads: list[bytes], chunk: int) -> None:
    """Frames of every length class parse identically however the bytes are split."""
    wire = b"".join(server_frame(BINARY, p) for p in payloads)
    parser = FrameParser()
    got: list[tuple[int, bytes]] = []
    step = max(1, len(wire) // chunk)
    for i in range(0, len(wire), step):
        got += parser.feed(wire[i : i + step])
    assert got == [(BINARY, p) for p in payloads]


def test_fragments_and_interleaved_control_frames() -> None:
    """A fragmented text message reassembles around a ping that arrives in the middle."""
    wire = (
        server_frame(TEXT, b'{"a":', fin=False)
        + server_frame(PING, b"hi")
        + server_frame(0, b"1}", fin=True)
    )
    assert FrameParser().feed(wire) == [(PING, b"hi"), (TEXT, b'{"a":1}')]


@pytest.mark.parametrize(
    "wire",
    [
        bytes((0x81, 0x81)) + b"mask" + b"x",  # masked server frame
        bytes((0xC1, 1)) + b"x",  # RSV1 without an extension
        server_frame(0, b"x"),  # continuation with nothing to continue
        server_frame(TEXT, b"a", fin=False) + server_frame(TEXT, b"b"),  # new message mid-way
    ],
)
def test_protocol_errors(wire: bytes) -> None:
    """Frames RFC 6455 forbids from a server raise ProtocolError."""
    with pytest.raises(ProtocolError):
        FrameParser().feed(wire)


def test_max_size_is_enforced() -> None:
    """A frame or fragmented message over max_size is refused."""
    with pytest.raises(ProtocolError):
        FrameParser(max_size=10).feed(server_frame(TEXT, b"x" * 11))
    parser = FrameParser(max_size=10)
    parser.feed(server_frame(TEXT, b"x" * 6, fin=False))
    with pytest.raises(ProtocolError):
        parser.feed(server_frame(0, b"x" * 6))


@given(st.binary(max_size=70_000), st.sampled_from([TEXT, PING, CLOSE]))
def test_client_frames_are_masked_round_trips(payload: bytes, opcode: int) -> None:
    """encode_frame masks with the given key and the server side recovers the payload."""
    frame = encode_frame(opcode, payload, b"\x01\x02\x03\x04")
    assert frame[1] & 0x80 and unmask(frame) == (opcode, payload)


def test_close_payload_round_trip() -> None:
    """Close codes and reasons encode and decode; an empty close body means 1005."""
    assert parse_close(close_payload(1011, "keepalive ping timeout")) == (
        1011,
        "keepalive ping timeout",
    )
    assert parse_close(b"") == (1005, "")
