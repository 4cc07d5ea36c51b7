"""Server-to-client WebSocket frames built once and written as bytes (RFC 6455, section 5.2).

A market event goes to every connection subscribed to it, so its frame is built once (header
and payload) and the same bytes are written to each connection's transport. A server never
masks what it sends (masks are client-to-server only, section 5.1), so a frame does not depend
on the connection it goes to. Every frame here is final (``FIN``) and uncompressed; a
connection that negotiated ``permessage-deflate`` sends the payload through aiohttp instead
(:func:`unframe`).
"""

from __future__ import annotations

__all__ = ["PING", "text_frame", "unframe"]

_TEXT = 0x81  # FIN + opcode 1
PING = b"\x89\x00"  # FIN + opcode 9, empty payload


def text_frame(payload: bytes) -> bytes:
    """Return the final, unmasked text frame carrying ``payload`` (UTF-8 JSON)."""
    n = len(payload)
    if n < 126:
        return bytes((_TEXT, n)) + payload
    if n < 65_536:
        return bytes((_TEXT, 126)) + n.to_bytes(2, "big") + payload
    return bytes((_TEXT, 127)) + n.to_bytes(8, "big") + payload


def unframe(frame: bytes) -> tuple[int, bytes]:
    """Return the opcode and the payload of one frame built here."""
    size = frame[1] & 0x7F
    head = 2 if size < 126 else 4 if size == 126 else 10
    return frame[0] & 0x0F, frame[head:]
