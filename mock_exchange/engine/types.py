"""Names shared across the engine: order sides, account ids, and seeds derived from names."""

from __future__ import annotations

import hashlib
from typing import Literal, NewType

__all__ = ["AccountId", "Side", "derive_seed"]

Side = Literal["BUY", "SELL"]
# An account's id; orders, trades and events without one belong to background activity.
AccountId = NewType("AccountId", str)


def derive_seed(seed: int, *names: str) -> int:
    """Return a seed for the generator named ``names`` under ``seed`` (stable across runs).

    Each symbol's flow, price path and history draws from its own generator, so adding a
    market never changes another market's tape.
    """
    text = "/".join((str(seed), *names)).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")
