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

from .rest import parse_retry_after

__all__ = [
    "BINARY",
    "CLOSE",
    "MAX_BODY",
    "MAX_HEAD",
    "PING",
    "PONG",
    "TEXT",
    "FrameParser",
    "HandshakeError",
    "HandshakeReader",
    "ProtocolError",
    "check_handshake",
    "close_payload",
    "encode_frame",
    "handshake_request",
    "host_header",
    "new_key",
    "parse_close",
    "parse_head",
]

CONT, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_HEAD = 16 * 1024
"""The largest response head (status line and headers) accepted from the server."""
MAX_BODY = 4 * 1024
"""The most of a refusal's body kept (Binance's JSON error is a few hundred bytes)."""

# close codes that may appear on the wire (RFC 6455 section 7.4, IANA registry) besides the
# 3000-4999 ranges; 1004, 1005, 1006 and 1015 are reserved for reporting and never sent
_WIRE_CLOSE_CODES = frozenset(
    {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014}
)


class ProtocolError(Exception):
    """The server broke RFC 6455; the connection must fail with ``code``.

    ``code`` is 1002 (protocol error) unless the fault has its own code: 1007 for text that is
    not UTF-8, 1009 for a message over ``max_size``.
    """

    def __init__(self, message: str, code: int = 1002) -> None:
        super().__init__(message)
        self.code = code


class HandshakeError(Exception):
    """The server refused the upgrade, or answered it in a way RFC 6455 forbids.

    Attributes:
        status: the HTTP status (0 if the status line was unreadable).
        headers: the response headers, names in lower case.
        body: up to :data:`MAX_BODY` bytes of the response body (a refusal's JSON error).
    """

    def __init__(
        self,
        message: str,
        status: int = 0,
        *,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}
        self.body = body

    @property
    def retry_after(self) -> float | None:
        """Return the ``Retry-After`` delay in seconds, if the server gave one in seconds."""
        return parse_retry_after(self.headers.get("retry-after"))


def _ascii_digits(text: str) -> bool:
    """True for ``0-9`` only: ``str.isdigit`` also takes ``²`` and other digits ``int`` refuses."""
    return text.isascii() and text.isdigit()


def new_key() -> str:
    """Return a fresh ``Sec-WebSocket-Key``."""
    return base64.b64encode(os.urandom(16)).decode()


def host_header(hostname: str, port: int | None, secure: bool) -> str:
    """Return the ``Host`` value for ``hostname`` and ``port``.

    An IPv6 literal is bracketed, the port is named only when it is not the scheme's default,
    and user information from the URL never appears.
    """
    host = f"[{hostname}]" if ":" in hostname else hostname
    if port is not None and port != (443 if secure else 80):
        host = f"{host}:{port}"
    return host


def handshake_request(host: str, target: str, key: str) -> bytes:
    """Return the HTTP/1.1 upgrade request for ``target`` (path and query) on ``host``."""
    return (
        f"GET {target} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\nUser-Agent: binance-pro-kit client\r\n\r\n"
    ).encode()


def parse_head(head: bytes) -> tuple[str, int, dict[str, str]]:
    """Return (HTTP version, status, headers with lower-case names) of a response head.

    Repeated headers are joined with ``", "``. The status is 0 when the status line is not
    ``HTTP/x.y NNN ...``.
    """
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    version = parts[0]
    status = 0
    if version.startswith("HTTP/") and len(parts) > 1 and len(parts[1]) == 3:
        status = int(parts[1]) if _ascii_digits(parts[1]) else 0
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            key, value = name.strip().lower(), value.strip()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return version, status, headers


def check_handshake(head: bytes, key: str) -> None:
    """Check the server's response head (up to the blank line) to our upgrade.

    Raises:
        HandshakeError: not ``HTTP/1.1 101``, no ``Upgrade: websocket`` or
            ``Connection: upgrade``, a wrong ``Sec-WebSocket-Accept``, or extensions imposed.
    """
    version, status, headers = parse_head(head)
    if status != 101:
        raise HandshakeError(f"handshake refused with HTTP {status}", status, headers=headers)
    if version != "HTTP/1.1":
        raise HandshakeError(f"handshake: {version!r} response, not HTTP/1.1", status)
    if headers.get("upgrade", "").lower() != "websocket":
        raise HandshakeError("handshake: no 'Upgrade: websocket' in the 101", status)
    if "upgrade" not in (t.strip().lower() for t in headers.get("connection", "").split(",")):
        raise HandshakeError("handshake: no 'Connection: upgrade' in the 101", status)
    expected = base64.b64encode(hashlib.sha1(key.encode() + _GUID).digest()).decode()
    if headers.get("sec-websocket-accept") != expected:
        raise HandshakeError("handshake: wrong Sec-WebSocket-Accept", status)
    if headers.get("sec-websocket-extensions"):
        raise HandshakeError("handshake: server imposed extensions we did not offer", status)


class HandshakeReader:
    """Incremental reader of the server's answer to our upgrade request.

    Feed it every read until it returns the bytes that follow an accepted ``101`` head (the
    first frames may come in the same read). A refusal is read on to the end of a bounded
    body, so the caller can map Binance's JSON error, then raised; whatever comes after is
    not WebSocket data and must be ignored.

    Args:
        key: our ``Sec-WebSocket-Key``.
        max_head: the largest head accepted.
        max_body: the most of a refusal's body kept.
    """

    def __init__(self, key: str, max_head: int = MAX_HEAD, max_body: int = MAX_BODY) -> None:
        self.key = key
        self.max_head = max_head
        self.max_body = max_body
        self.refusal: HandshakeError | None = None
        """The refusal, once its head is read (its body may still be incomplete)."""
        self._buf = b""
        self._body_len: int | None = None  # Content-Length of a refusal, None: until EOF
        self._chunked = False

    def feed(self, data: bytes) -> bytes | None:
        """Consume ``data``; return what follows an accepted head, or None while incomplete.

        Raises:
            HandshakeError: the upgrade was refused (raised once the refusal's body is
                complete or :data:`max_body` long), the head is too large, or the 101 is
                not a valid WebSocket answer.
        """
        self._buf += data
        if self.refusal is not None:
            return self._body()
        end = self._buf.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buf) > self.max_head:
                raise HandshakeError(f"handshake: response head over {self.max_head} bytes")
            return None
        if end > self.max_head:
            raise HandshakeError(f"handshake: response head over {self.max_head} bytes")
        head, rest = self._buf[:end], self._buf[end + 4 :]
        try:
            check_handshake(head, self.key)
        except HandshakeError as exc:
            if exc.status in (0, 101):
                raise
            self.refusal, self._buf = exc, rest
            length = exc.headers.get("content-length", "")
            self._body_len = int(length) if _ascii_digits(length) else None
            if exc.status < 200 or exc.status in (204, 304):
                self._body_len = 0
            self._chunked = "chunked" in exc.headers.get("transfer-encoding", "").lower()
            return self._body()
        self._buf = b""
        return rest

    def eof(self) -> HandshakeError | None:
        """The server closed the connection: return the refusal with its body so far, if any."""
        if self.refusal is not None:
            self.refusal.body = self._decoded()[: self.max_body]
        return self.refusal

    def _body(self) -> bytes | None:
        assert self.refusal is not None
        buf = self._buf
        done = len(buf) >= self.max_body
        if self._chunked:
            done = done or buf.endswith(b"0\r\n\r\n")
        elif self._body_len is not None:
            done = done or len(buf) >= self._body_len
        if not done:
            return None
        self.refusal.body = self._decoded()[: self.max_body]
        raise self.refusal

    def _decoded(self) -> bytes:
        if not self._chunked:
            return self._buf[: self._body_len] if self._body_len is not None else self._buf
        out: list[bytes] = []
        buf = self._buf
        while True:
            line, sep, buf = buf.partition(b"\r\n")
            size = line.split(b";")[0].strip()
            if not sep or not size or not all(c in b"0123456789abcdefABCDEF" for c in size):
                break
            n = int(size, 16)
            if n == 0:
                break
            out.append(buf[:n])
            buf = buf[n + 2 :]
        return b"".join(out)


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


def _wire_code(code: int) -> bool:
    return code in _WIRE_CLOSE_CODES or 3000 <= code <= 4999


def close_payload(code: int, reason: str = "") -> bytes:
    """Return the body of a close frame; 1005 ("no status") gives an empty body.

    The reason is cut to the 123 bytes a control frame leaves it, on a character boundary.

    Raises:
        ValueError: ``code`` may not be sent (1004, 1006, 1015, or outside the registry).
    """
    if code == 1005:
        return b""
    if not _wire_code(code):
        raise ValueError(f"close code {code} may not be sent")
    data = reason.encode()
    if len(data) > 123:
        data = data[:123].decode("utf-8", "ignore").encode()
    return code.to_bytes(2, "big") + data


def parse_close(payload: bytes) -> tuple[int, str]:
    """Return (code, reason) of a close frame body (1005 when it has none).

    Raises:
        ProtocolError: a 1-byte body or a code that may not be sent (1002); a reason that is
            not UTF-8 (1007).
    """
    if not payload:
        return 1005, ""
    if len(payload) < 2:
        raise ProtocolError("close frame with a 1-byte body")
    code = int.from_bytes(payload[:2], "big")
    if not _wire_code(code):
        raise ProtocolError(f"close frame with invalid code {code}")
    try:
        return code, payload[2:].decode()
    except UnicodeDecodeError:
        raise ProtocolError("close reason is not UTF-8", 1007) from None


class FrameParser:
    """Incremental parser of server frames into messages.

    Args:
        max_size: the largest message accepted (bytes).
    """

    def __init__(self, max_size: int = 16 * 1024 * 1024) -> None:
        self.max_size = max_size
        self._tail = b""
        self._frag_opcode = 0
        self._frag_size = 0
        self._frags: list[bytes] = []

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        """Consume ``data``; return the complete messages in order, as ``(opcode, payload)``.

        Raises:
            ProtocolError: a masked or reserved-bit frame, an unknown opcode, a fragmented or
                over-125-byte control frame, a bad continuation (all 1002), or a message over
                ``max_size`` (1009).
        """
        return [(TEXT, m) if isinstance(m, bytes) else m for m in self.messages(data)]

    def messages(self, data: bytes) -> list[bytes | tuple[int, bytes]]:
        """:meth:`feed`, with each text message as its payload alone (``bytes``) and every
        other message as ``(opcode, payload)``: a market-data read is thousands of text
        frames, and a tuple apiece, built and taken apart, is a fair share of their cost.

        Raises:
            ProtocolError: as :meth:`feed`.
        """
        if self._tail:
            data = self._tail + data
        out: list[bytes | tuple[int, bytes]] = []
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
                    raise ProtocolError(
                        f"frame of {length} bytes exceeds max_size {max_size}", 1009
                    )
                out.append(data[j:end])
                i = end
                continue
            # every other frame: checked in full here, off the hot path
            if b1 & 0x80 or b0 & 0x70:
                raise ProtocolError("masked or reserved-bit frame from the server")
            opcode = b0 & 0x0F
            length = b1 & 0x7F
            if opcode >= CLOSE:
                if opcode > PONG:
                    raise ProtocolError(f"unknown opcode {opcode:#x}")
                if not b0 & 0x80:
                    raise ProtocolError("fragmented control frame")
                if length > 125:
                    raise ProtocolError("control frame payload over 125 bytes")
            elif opcode > BINARY:
                raise ProtocolError(f"unknown opcode {opcode:#x}")
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
            if length > max_size:
                raise ProtocolError(f"frame of {length} bytes exceeds max_size {max_size}", 1009)
            if n - j < length:
                break
            payload = data[j : j + length]
            i = j + length
            if opcode >= CLOSE:
                out.append((opcode, payload))
            elif opcode == CONT:
                if not self._frags:
                    raise ProtocolError("continuation frame without a started message")
                self._frags.append(payload)
                self._frag_size += length
                if self._frag_size > max_size:
                    raise ProtocolError(f"message exceeds max_size {max_size}", 1009)
                if b0 & 0x80:
                    whole = b"".join(self._frags)
                    out.append(whole if self._frag_opcode == TEXT else (self._frag_opcode, whole))
                    self._frags = []
            elif self._frags:
                raise ProtocolError("new message before the fragmented one ended")
            elif b0 & 0x80:
                out.append(payload if opcode == TEXT else (opcode, payload))
            else:
                self._frag_opcode, self._frags, self._frag_size = opcode, [payload], length
        self._tail = data[i:] if i < n else b""
        return out
