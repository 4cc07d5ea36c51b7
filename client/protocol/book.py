"""Local order book sync (snapshot + diff stream) per Binance's rules, without I/O.

States and transitions, as a table (an illegal transition raises and changes nothing)::

    BUFFERING --snapshot_ok--> SYNCED      BUFFERING --stale--> RESYNC
    SYNCED    --gap-->         RESYNC      RESYNC    --refetch--> BUFFERING
    any       --reset-->       BUFFERING   (reconnect or resubscribe)

Diffs that arrive while not SYNCED are buffered (bounded; the oldest is dropped, which at worst
makes the next snapshot stale and triggers another resync). The adapter fetches a snapshot
whenever :attr:`BookSync.needs_snapshot` is true. Rules:

* spot (``GET /api/v3/depth``, ``<symbol>@depth@100ms``): drop ``u <= nonce``; ``U > nonce + 1``
  is a gap; otherwise apply and set ``nonce = u``. The first event after a snapshot must then
  have ``U <= lastUpdateId + 1 <= u`` or the snapshot was stale.
* futures (``GET /fapi/v1/depth``, ``/dapi/v1/depth``): drop ``u < nonce`` (and ``u == nonce``,
  already in the snapshot); the first event must have ``U <= lastUpdateId <= u`` (or
  ``pu == lastUpdateId``); afterwards every event's ``pu`` must equal the previous ``u``.

:meth:`BookSync.book` refuses to hand out a book that is not SYNCED, so a corrupted book is
never returned. Levels are replaced, never mutated in place, so a returned book (shallow
slices of the sides) keeps its contents while the live book moves on.
"""

from __future__ import annotations

import enum
from array import array
from bisect import bisect_left
from collections import deque
from decimal import Decimal
from typing import Any

from ..types import OrderBook, Symbol
from .parsers import iso8601

__all__ = ["BookSide", "BookState", "BookSync", "DiffResult", "IllegalBookTransition"]


class BookState(enum.Enum):
    """Where a local book stands."""

    BUFFERING = "buffering"
    SYNCED = "synced"
    RESYNC = "resync"


class DiffResult(enum.Enum):
    """What one diff did."""

    APPLIED = "applied"
    BUFFERED = "buffered"
    IGNORED = "ignored"
    GAP = "gap"


class IllegalBookTransition(RuntimeError):
    """A transition the table does not allow from the current state."""


_TABLE: dict[tuple[BookState, str], BookState] = {
    (BookState.BUFFERING, "snapshot_ok"): BookState.SYNCED,
    (BookState.BUFFERING, "stale"): BookState.RESYNC,
    (BookState.SYNCED, "gap"): BookState.RESYNC,
    (BookState.RESYNC, "refetch"): BookState.BUFFERING,
    (BookState.BUFFERING, "reset"): BookState.BUFFERING,
    (BookState.SYNCED, "reset"): BookState.BUFFERING,
    (BookState.RESYNC, "reset"): BookState.BUFFERING,
}


_INF = float("inf")


def _significant_digits(text: str) -> int:
    digits = text.lstrip("+-").replace(".", "", 1).lstrip("0")
    return len(digits.rstrip("0")) if "." in text else len(digits)


def _decimal(price: Any) -> Decimal:
    """Return the exact value of a price: a string as written, a float as its shortest repr
    (the decimal it was parsed from, when that had at most 15 significant digits)."""
    return Decimal(price if type(price) is str else repr(float(price)))


class BookSide:
    """One side of a book: levels ``[price, amount]`` best first, with a bisect index.

    ``_keys`` holds each level's exact key (the price, negated on the bid side so both sides
    ascend) and ends with an infinite sentinel, so ``_keys[bisect_left(...)]`` is always a
    valid read. A float key is exact for a decimal of at most 15 significant digits (every
    Binance price): two such decimals are equal exactly when their floats are, and order the
    same way. The keys are packed doubles (an ``array``): a bisect then reads one contiguous
    block instead of a float object per probe, which matters when hundreds of books share the
    CPU caches. A price of more than 15 significant digits (none on Binance) turns the side's
    keys into a list of ``Decimal`` values for good: a float key and a ``Decimal`` key compare
    by the float's binary value, which would misplace such a price next to a short one.
    """

    __slots__ = ("_descending", "_keys", "levels")

    def __init__(self, descending: bool) -> None:
        self._descending = descending
        self._keys: Any = array("d", (_INF,))
        self.levels: list[list[float]] = []

    def clear(self) -> None:
        """Remove every level."""
        self._keys = array("d", (_INF,))
        self.levels = []

    def set(self, price: float, amount: float) -> None:
        """Set the level at ``price`` to ``amount`` (0 removes it; unknown removals are normal)."""
        self.apply(((price, amount),))

    def apply(self, pairs: Any) -> None:
        """Set every ``(price, amount)`` of ``pairs`` (strings or numbers), in order.

        The client's hottest loop, and with many books it is bound by memory, not by
        instructions: a level is built from the floats just parsed and never reads the level
        it replaces (a second cache miss per level), and a level is replaced, never mutated,
        so a book handed out earlier keeps its contents.
        """
        keys, levels = self._keys, self.levels
        descending = self._descending
        exact = type(keys) is list
        for p, q in pairs:
            price, amount = float(p), float(q)
            key: Any = -price if descending else price
            if exact or (type(p) is str and len(p) > 16 and _significant_digits(p) > 15):
                if not exact:
                    keys = self._exact_keys()
                    exact = True
                key = -_decimal(p) if descending else _decimal(p)
            i = bisect_left(keys, key)
            if keys[i] == key:
                if amount:
                    levels[i] = [price, amount]
                else:
                    del keys[i]
                    del levels[i]
            elif amount:
                keys.insert(i, key)
                levels.insert(i, [price, amount])

    def _exact_keys(self) -> list[Any]:
        keys: list[Any] = [Decimal(repr(k)) for k in self._keys]
        self._keys = keys
        return keys

    def __len__(self) -> int:
        return len(self.levels)


_SYNCED = BookState.SYNCED
_APPLIED, _BUFFERED, _IGNORED, _GAP = (
    DiffResult.APPLIED,
    DiffResult.BUFFERED,
    DiffResult.IGNORED,
    DiffResult.GAP,
)


class BookSync:
    """The synced local book of one symbol on one stream.

    Args:
        symbol: the CCXT symbol the book reports.
        futures: use the futures (``pu``) rules instead of spot's (``U``/``u``).
        buffer_limit: most diffs kept while waiting for a snapshot.
    """

    def __init__(self, symbol: Symbol, *, futures: bool, buffer_limit: int = 10_000) -> None:
        self.symbol = symbol
        self.futures = futures
        self.state = BookState.BUFFERING
        self.nonce: int | None = None
        self.timestamp: int | None = None
        self.bids = BookSide(descending=True)
        self.asks = BookSide(descending=False)
        self.buffer: deque[dict[str, Any]] = deque(maxlen=buffer_limit)
        self.resyncs = 0
        self.epoch = 0
        """Bumped by :meth:`reset`: a snapshot requested in an older epoch must be discarded."""
        self._first = True
        self.fetching = False
        # accepted diffs are coalesced per price (absolute quantities: the last one wins) and
        # folded into the sorted sides when the book is read, so a burst of diffs between two
        # reads costs one dict store per level instead of one sorted-list update. Prices stay
        # the strings they arrived as until the fold; each store moves its key to the end, so
        # the fold applies levels in the order of their last update even if two spellings of
        # one price ("1.0", "1.00") meet. These dicts hold only strings, so the cyclic garbage
        # collector does not track them: holding the diffs' own lists until the read instead
        # made every collection walk them (orjson.loads, where collections start, took 10x)
        self._pending_bids: dict[Any, Any] = {}
        self._pending_asks: dict[Any, Any] = {}

    # -- state machine -----------------------------------------------------------------------

    def _go(self, event: str) -> None:
        new = _TABLE.get((self.state, event))
        if new is None:
            raise IllegalBookTransition(f"{self.symbol}: {event} not allowed in {self.state.value}")
        self.state = new

    @property
    def needs_snapshot(self) -> bool:
        """True when the adapter should fetch a snapshot now (and none is being fetched)."""
        return self.state is not BookState.SYNCED and not self.fetching

    def reset(self) -> None:
        """Forget the book and buffer (the stream was re-subscribed or the socket reconnected)."""
        self._go("reset")
        self.epoch += 1
        self._clear()
        self.buffer.clear()
        self.fetching = False

    def refetch(self) -> None:
        """Leave RESYNC for BUFFERING: a new snapshot is about to be requested."""
        self._go("refetch")

    def _clear(self) -> None:
        self._pending_bids.clear()
        self._pending_asks.clear()
        self.bids.clear()
        self.asks.clear()
        self.nonce = None
        self.timestamp = None
        self._first = True

    # -- input -------------------------------------------------------------------------------

    def on_snapshot(self, snapshot: dict[str, Any]) -> bool:
        """Load a depth snapshot and replay the buffered diffs.

        Returns:
            True when the book is SYNCED; False when the snapshot was stale or a buffered diff
            showed a gap (state RESYNC: fetch another snapshot).
        """
        self.fetching = False
        if self.state is BookState.RESYNC:
            self.refetch()
        self._clear()
        self.nonce = int(snapshot["lastUpdateId"])
        t = snapshot.get("T", snapshot.get("E"))
        self.timestamp = t if isinstance(t, int) else None
        self.bids.apply(snapshot.get("bids", ()))
        self.asks.apply(snapshot.get("asks", ()))
        buffered = list(self.buffer)
        self.buffer.clear()
        for diff in buffered:
            if self._check(diff) is DiffResult.GAP:
                self._clear()
                self.resyncs += 1
                self._go("stale")
                return False
        self._go("snapshot_ok")
        return True

    def on_diff(self, diff: dict[str, Any]) -> DiffResult:
        """Feed one ``depthUpdate`` event (buffered unless SYNCED)."""
        if self.state is not _SYNCED:
            self.buffer.append(diff)
            return _BUFFERED
        result = self._check(diff)
        if result is _GAP:
            self._clear()
            self.resyncs += 1
            self._go("gap")
        return result

    def _check(self, diff: dict[str, Any]) -> DiffResult:
        nonce: Any = self.nonce
        first_id, last_id = diff["U"], diff["u"]
        if self.futures:
            # u == lastUpdateId is wholly inside the snapshot: nothing new, and the next
            # event chains on it through pu
            if last_id <= nonce:
                return _IGNORED
            if self._first:
                ok = first_id <= nonce <= last_id or diff.get("pu") == nonce
            else:
                ok = diff.get("pu") == nonce
            if not ok:
                return _GAP
        else:
            if last_id <= nonce:
                return _IGNORED
            if first_id > nonce + 1:
                return _GAP
        pending = self._pending_bids
        pop = pending.pop
        for p, q in diff["b"]:
            pop(p, None)
            pending[p] = q
        pending = self._pending_asks
        pop = pending.pop
        for p, q in diff["a"]:
            pop(p, None)
            pending[p] = q
        self.nonce = last_id
        e = diff.get("E")
        if type(e) is int:
            self.timestamp = e
        self._first = False
        return _APPLIED

    # -- output ------------------------------------------------------------------------------

    def flush(self) -> None:
        """Fold the coalesced diffs into the sorted sides."""
        if self._pending_bids:
            self.bids.apply(self._pending_bids.items())
            self._pending_bids.clear()
        if self._pending_asks:
            self.asks.apply(self._pending_asks.items())
            self._pending_asks.clear()

    def levels(self) -> int:
        """Return the number of price levels held (after folding pending diffs)."""
        self.flush()
        return len(self.bids) + len(self.asks)

    def book(self, limit: int | None = None) -> OrderBook:
        """Return the book (best ``limit`` levels per side).

        Raises:
            IllegalBookTransition: the book is not SYNCED (it would be incomplete or corrupt).
        """
        if self.state is not BookState.SYNCED:
            raise IllegalBookTransition(f"{self.symbol}: book is {self.state.value}, not synced")
        self.flush()
        bids, asks = self.bids.levels, self.asks.levels
        return OrderBook(
            symbol=self.symbol,
            bids=bids[:limit] if limit else bids[:],
            asks=asks[:limit] if limit else asks[:],
            timestamp=self.timestamp,
            datetime=iso8601(self.timestamp),
            nonce=self.nonce,
        )
