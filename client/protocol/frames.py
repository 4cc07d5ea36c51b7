"""The WebSocket wire format (RFC 6455) for a client, without I/O.

:func:`handshake_request` and :func:`check_handshake` do the opening handshake;
:class:`FrameParser` turns bytes from the server into messages ``(opcode, payload)`` (data
messages reassembled from fragments, control frames as they come); :func:`encode_frame` masks
and frames what the client sends. No extensions are negotiated, so RSV bits must be zero.

Keeping this small and synchronous lets the adapter parse every frame of a TCP read in one
pass, without a queue or a future per message: that is where the client's speed comes from.
"""

from __future__ import annotations

import base64
import hashlib
import os

__all__ = [
    "BINARY",
    "CLOSE",
    "PING",
    "PONG",
    "TEXT",
    "FrameParser",
    "HandshakeError",
    "ProtocolError",
    "check_handshake",
    "close_payload",
    "encode_frame",
    "handshake_request",
    "new_key",
    "parse_close",
]

CONT, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class ProtocolError(Exception):
    """The server broke RFC 6455 (the connection must fail with close code 1002)."""


class HandshakeError(Exception):
    """The server refused the upgrade; ``status`` is its HTTP status (0 if unreadable)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


def new_key() -> str:
    """Return a fresh ``Sec-WebSocket-Key``."""
    return base64.b64encode(os.urandom(16)).decode()


def handshake_request(host: str, target: str, key: str) -> bytes:
    """Return the HTTP/1.1 upgrade request for ``target`` (path and query) on ``host``."""
    return (
        f"GET {target} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\nUser-Agent: binance-pro-kit client\r\n\r\n"
    ).encode()


def check_handshake(head: bytes, key: str) -> None:
    """Check the server's response head (up to the blank line) to our upgrade.

    Raises:
        HandshakeError: not a 101, or a wrong ``Sec-WebSocket-Accept``.
    """
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    if status != 101:
        raise HandshakeError(f"handshake refused with HTTP {status}", status)
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    expected = base64.b64encode(hashlib.sha1(key.encode() + _GUID).digest()).decode()
    if headers.get("sec-websocket-accept") != expected:
        raise HandshakeError("handshake: wrong Sec-WebSocket-Accept", status)
    if headers.get("sec-websocket-extensions"):
        raise HandshakeError("handshake: server imposed extensions we did not offer", status)


def encode_frame(opcode: int, payload: bytes, mask: bytes | None = None) -> bytes:
    """Return one final, masked client frame."""
    mask = mask or os.urandom(4)
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 65536:
        head = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    if n:
        key = (mask * (n // 4 + 1))[:n]
        payload = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")
    return head + mask + payload


def close_payload(code: int, reason: str = "") -> bytes:
    """Return the body of a close frame."""
    return code.to_bytes(2, "big") + reason.encode()[:120]


def parse_close(payload: bytes) -> tuple[int, str]:
    """Return (code, reason) of a close frame body (1005 when it has none)."""
    if len(payload) < 2:
        return 1005, ""
    return int.from_bytes(payload[:2], "big"), payload[2:].decode("utf-8", "replace")


class FrameParser:
    """Incremental parser of server frames into messages.

    Args:
        max_size: the largest message accepted (bytes).
    """

    def __init__(self, max_size: int = 16 * 1024 * 1024) -> None:
        self.max_size = max_size
        self._tail = b""
        self._frag_opcode = 0
        self._frags: list[bytes] = []

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        """Consume ``data``; return the complete messages in order.

        Raises:
            ProtocolError: a masked or reserved-bit frame, a bad continuation, or a message
                over ``max_size``.
        """
        if self._tail:
            data = self._tail + data
        out: list[tuple[int, bytes]] = []
        i, n = 0, len(data)
        max_size = self.max_size
        while n - i >= 2:
            b0, b1 = data[i], data[i + 1]
            if b0 == 0x81 and b1 <= 126 and not self._frags:
                # the common case, a whole unmasked text frame under 64 KiB: decoded inline
                if b1 < 126:
                    length, j = b1, i + 2
                elif n - i >= 4:
                    length, j = (data[i + 2] << 8) | data[i + 3], i + 4
                else:
                    break
                end = j + length
                if end > n:
                    break
                if length > max_size:
                    raise ProtocolError(f"frame of {length} bytes exceeds max_size {max_size}")
                out.append((TEXT, data[j:end]))
                i = end
                continue
            length = b1 & 0x7F
            j = i + 2
            if length == 126:
                if n - j < 2:
                    break
                length = int.from_bytes(data[j : j + 2], "big")
                j += 2
            elif length == 127:
                if n - j < 8:
                    break
                length = int.from_bytes(data[j : j + 8], "big")
                j += 8
            if b1 & 0x80 or b0 & 0x70:
                raise ProtocolError("masked or reserved-bit frame from the server")
            if length > self.max_size:
                raise ProtocolError(f"frame of {length} bytes exceeds max_size {self.max_size}")
            if n - j < length:
                break
            payload = data[j : j + length]
            i = j + length
            opcode = b0 & 0x0F
            if opcode >= 8:
                out.append((opcode, payload))
            elif opcode == CONT:
                if not self._frags:
                    raise ProtocolError("continuation frame without a started message")
                self._frags.append(payload)
                if sum(map(len, self._frags)) > self.max_size:
                    raise ProtocolError(f"message exceeds max_size {self.max_size}")
                if b0 & 0x80:
                    out.append((self._frag_opcode, b"".join(self._frags)))
                    self._frags = []
            elif self._frags:
                raise ProtocolError("new message before the fragmented one ended")
            elif b0 & 0x80:
                out.append((opcode, payload))
            else:
                self._frag_opcode, self._frags = opcode, [payload]
        self._tail = data[i:] if i < n else b""
        return out
