"""Where ids start: Binance-like large offsets, one per (kind, venue, symbol).

Real ids are large (BTCUSDT trade ids are ~5 * 10^9, its book update ids ~7 * 10^10), and
clients notice small ones: ccxt sorts ids it reads as strings, so the trades 98, 99, 100 come
back as 98, 100, 99. Every counter therefore starts at a fixed offset derived from its name, so
the ids of one symbol never depend on the seed, the rate or the other markets, and stay the
same number of digits for any realistic run.
"""

from __future__ import annotations

import zlib
from typing import Literal

__all__ = ["IdKind", "id_base"]

IdKind = Literal["trade", "agg", "update", "order"]

# (lowest offset, width of the range the offsets are spread over)
_RANGES: dict[IdKind, tuple[int, int]] = {
    "trade": (2 * 10**9, 5 * 10**9),
    "agg": (10**9, 2 * 10**9),
    "update": (2 * 10**10, 5 * 10**10),
    "order": (10**10, 3 * 10**10),
}


def id_base(kind: IdKind, venue: str, symbol: str = "") -> int:
    """Return the first id of a counter: a multiple of 1000 in the kind's range.

    Args:
        kind: trade, agg (aggregate trade), update (book update) or order ids.
        venue: ``spot``, ``usdm`` or ``coinm``.
        symbol: the symbol for per-symbol counters (order ids are per venue).
    """
    low, width = _RANGES[kind]
    spread = zlib.crc32(f"{kind}/{venue}/{symbol}".encode()) % (width // 1000)
    return low + spread * 1000
