"""Listen keys on the emulator clock: the futures user-data stream credentials.

A listen key belongs to one account on one venue (``usdm``, ``coinm``) and is valid for
:data:`LISTEN_KEY_VALIDITY_MS` (60 minutes) from its last keep-alive. As on Binance,
``POST .../listenKey`` returns the account's active key and extends it (a new key only when
there is none), ``PUT`` extends it, ``DELETE`` closes it; a ``PUT`` for a key that expired or
never existed is ``-1125 This listenKey does not exist.`` :meth:`ListenKeys.expire` drops the
keys whose time has passed and returns them, so the stream side can send ``listenKeyExpired``
and close the streams. Keys are 64 letters and digits from the seeded generator; a key's
``repr`` never shows it.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

from ..errors import ExchangeError

__all__ = ["LISTEN_KEY_VALIDITY_MS", "ListenKey", "ListenKeys", "unknown_listen_key"]

LISTEN_KEY_VALIDITY_MS = 60 * 60_000
_ALPHABET = string.ascii_letters + string.digits


def unknown_listen_key() -> ExchangeError:
    """-1125: the listen key does not exist (or expired)."""
    return ExchangeError(-1125, "This listenKey does not exist.")


@dataclass
class ListenKey:
    """One listen key: its account (uid), venue and expiry time."""

    key: str
    uid: int
    venue: str
    expires_at: int

    def __repr__(self) -> str:
        return f"ListenKey(uid={self.uid}, venue={self.venue!r}, expires_at={self.expires_at})"


class ListenKeys:
    """The live listen keys, by key and by (uid, venue)."""

    def __init__(self, seed: int = 0, validity_ms: int = LISTEN_KEY_VALIDITY_MS) -> None:
        self._rng = random.Random(f"listen-keys-{seed}")
        self.validity_ms = validity_ms
        self._by_key: dict[str, ListenKey] = {}
        self._by_owner: dict[tuple[int, str], str] = {}

    def __len__(self) -> int:
        return len(self._by_key)

    def _new_key(self) -> str:
        while True:
            key = "".join(self._rng.choice(_ALPHABET) for _ in range(64))
            if key not in self._by_key:
                return key

    def start(self, uid: int, venue: str, now: int) -> ListenKey:
        """Return the account's active key on ``venue``, extended; create one when there is none."""
        self.expire(now)
        held = self._by_owner.get((uid, venue))
        if held is not None:
            lk = self._by_key[held]
            lk.expires_at = now + self.validity_ms
            return lk
        lk = ListenKey(self._new_key(), uid, venue, now + self.validity_ms)
        self._by_key[lk.key] = lk
        self._by_owner[(uid, venue)] = lk.key
        return lk

    def active(self, uid: int, venue: str, now: int) -> ListenKey | None:
        """Return the account's live key on ``venue``, or None."""
        held = self._by_owner.get((uid, venue))
        lk = None if held is None else self._by_key.get(held)
        return lk if lk is not None and lk.expires_at > now else None

    def keep_alive(self, uid: int, venue: str, now: int, key: str | None = None) -> ListenKey:
        """Extend the account's key (``key`` when given must be that key).

        Raises:
            ExchangeError: -1125 when the account has no live key on ``venue`` (or another one).
        """
        lk = self.active(uid, venue, now)
        if lk is None or (key is not None and key != lk.key):
            raise unknown_listen_key()
        lk.expires_at = now + self.validity_ms
        return lk

    def close(self, uid: int, venue: str, now: int, key: str | None = None) -> ListenKey | None:
        """Close the account's key on ``venue``; return it (None when there was none).

        Raises:
            ExchangeError: -1125 when ``key`` names another key.
        """
        lk = self.active(uid, venue, now)
        if lk is None:
            return None
        if key is not None and key != lk.key:
            raise unknown_listen_key()
        self._drop(lk)
        return lk

    def lookup(self, key: str, now: int) -> ListenKey | None:
        """Return the live key ``key`` (None when unknown or expired)."""
        lk = self._by_key.get(key)
        return lk if lk is not None and lk.expires_at > now else None

    def expire(self, now: int) -> list[ListenKey]:
        """Drop and return every key whose validity ended at or before ``now``."""
        gone = [lk for lk in self._by_key.values() if lk.expires_at <= now]
        for lk in gone:
            self._drop(lk)
        return gone

    def _drop(self, lk: ListenKey) -> None:
        self._by_key.pop(lk.key, None)
        if self._by_owner.get((lk.uid, lk.venue)) == lk.key:
            del self._by_owner[(lk.uid, lk.venue)]
