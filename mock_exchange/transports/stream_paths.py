"""Stream entry-point paths, parsed once into a typed value.

Market streams are reached as ``/ws``, ``/ws/<s1>/<s2>`` (raw), ``/stream?streams=<s1>/<s2>``
(combined) and, on USD-M, the same under ``/public`` or ``/market``. User data arrives on
``/ws/<listenKey>`` (futures, legacy) and ``/private/ws?listenKey=...&events=...`` (USD-M).
:func:`parse_stream_path` tells them apart by grammar: a listen key is one long alphanumeric
segment, while every stream name has an ``@`` or starts with ``!``.

Both user-data forms open a stream connection whose one "stream" is the listen key
(:meth:`ListenKeyPath.as_market`): a live key subscribes the account's user data, anything else
is ignored as an unknown name (as ccxt's ``/ws/<n>``). ``/private/stream`` is a combined
connection to which listen keys are subscribed with ``SUBSCRIBE`` (the official SDK) or named
in ``?streams=``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Category",
    "ListenKeyPath",
    "MarketStreamPath",
    "Prefix",
    "StreamPath",
    "parse_stream_path",
]

Prefix = Literal["public", "market", "private"] | None
# What an entry point delivers: everything (spot, COIN-M), USD-M ``/public`` (book data) or
# ``/market`` (the rest), the USD-M legacy root (ACKs all, delivers the ``/public`` class), or
# USD-M ``/private`` (user data only).
Category = Literal["all", "public", "market", "root", "private"]
_PREFIXES = ("public", "market", "private")
_LISTEN_KEY = re.compile(r"^[A-Za-z0-9]{32,128}$")


@dataclass(frozen=True)
class MarketStreamPath:
    """``[/public|/market]/ws[/<names>]`` (raw) or ``.../stream?streams=<names>`` (combined).

    ``events`` is the ``/private`` allow-list of user-data event types (empty: all).
    """

    prefix: Prefix
    combined: bool
    names: tuple[str, ...] = ()
    events: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListenKeyPath:
    """A user-data entry point: ``/ws/<listenKey>`` or ``/private/ws?listenKey=&events=``.

    ``repr`` never shows the listen key (it is a credential).
    """

    prefix: Prefix
    listen_key: str
    events: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"ListenKeyPath(prefix={self.prefix!r}, events={self.events!r})"

    @property
    def legacy(self) -> bool:
        """True for the ``/ws/<listenKey>`` form (no ``/private`` prefix)."""
        return self.prefix != "private"

    def as_market(self) -> MarketStreamPath:
        """Return the raw stream connection whose one stream name is the listen key."""
        names = (self.listen_key,) if self.listen_key else ()
        return MarketStreamPath(self.prefix, False, names, self.events)


StreamPath = MarketStreamPath | ListenKeyPath


def _names(text: str) -> tuple[str, ...]:
    return tuple(s for s in text.split("/") if s)


def parse_stream_path(path: str, query: Mapping[str, str]) -> StreamPath | None:
    """Parse a Binance stream path (after the URL rule) and its query.

    Returns None when the path is not a stream entry point (``/stream/x``, ``/api/...``).
    """
    parts = path.strip("/").split("/")
    prefix: Prefix = None
    if parts and parts[0] in _PREFIXES:
        prefix = parts.pop(0)  # type: ignore[assignment]
    if not parts or parts[0] not in ("ws", "stream"):
        return None
    mode, tail = parts[0], "/".join(parts[1:])
    if prefix == "private" and mode == "ws":
        key = query.get("listenKey") or tail
        return ListenKeyPath(prefix, key, _names(query.get("events", "")))
    if mode == "stream":
        if tail:
            return None
        return MarketStreamPath(prefix, True, _names(query.get("streams", "")))
    names = _names(tail)
    if len(names) == 1 and _LISTEN_KEY.match(names[0]):
        return ListenKeyPath(prefix, names[0])
    return MarketStreamPath(prefix, False, names)
