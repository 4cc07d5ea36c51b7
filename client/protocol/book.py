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
never returned. Two ways to hand it out:

* a copy (the default): accepted diffs are coalesced per price and folded into the sides when
  the book is read; levels are replaced, never mutated, so a returned book (shallow slices of
  the sides) keeps its contents while the book moves on;
* the live book (``live``, ccxt.pro's semantics): every accepted diff is folded at once, in
  place, into one :class:`~client.types.OrderBook` handed out as it is, so between two diffs
  (at every ``await`` of the program that holds it) it is the whole book at its ``nonce``.
  While the book is not SYNCED it is empty with ``nonce`` None: never stale, never crossed.
"""

from __future__ import annotations

import enum
from collections import deque
from typing import Any

from ..types import OrderBook, Symbol
from .book_side import BookSide, LiveBookSide
from .parsers import iso8601

__all__ = ["BookState", "BookSync", "DiffResult", "IllegalBookTransition"]


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
        live: keep a live book (:meth:`book` with ``live=True``): every diff is applied when
            it arrives, in place, to one :class:`~client.types.OrderBook` that is handed out
            as it is. Without it, diffs are coalesced and folded when the book is read, and
            each read returns a copy of the sides.
    """

    def __init__(
        self, symbol: Symbol, *, futures: bool, buffer_limit: int = 10_000, live: bool = False
    ) -> None:
        self.symbol = symbol
        self.futures = futures
        self.state = BookState.BUFFERING
        self.nonce: int | None = None
        self.timestamp: int | None = None
        self.bids: BookSide = BookSide(descending=True)
        self.asks: BookSide = BookSide(descending=False)
        self._live: OrderBook | None = None
        """The live book, when there is one: its sides are ``bids.levels`` and ``asks.levels``."""
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
        if live:
            self._go_live()

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
        live = self._live
        if live is not None:  # emptied in place: a book not known to be current shows nothing
            live["nonce"] = live["timestamp"] = live["datetime"] = None

    def _go_live(self) -> None:
        """Keep a live book from now on (its sides take fresh level lists of the current ones:
        the current ones may be in copies handed out before)."""
        if self._live is not None:
            return
        self.flush()
        self.bids = LiveBookSide.taking_over(self.bids)
        self.asks = LiveBookSide.taking_over(self.asks)
        self._live = OrderBook(
            symbol=self.symbol,
            bids=self.bids.levels,
            asks=self.asks.levels,
            timestamp=self.timestamp,
            datetime=iso8601(self.timestamp),
            nonce=self.nonce,
        )

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
        live = self._live
        if live is not None:
            live["nonce"], live["timestamp"] = self.nonce, self.timestamp
            live["datetime"] = iso8601(self.timestamp)
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
        live = self._live
        if live is not None:
            # applied now, inside the read callback: whoever holds the live book never sees
            # it between two diffs, and a level that fails to parse is a gap (resync)
            try:
                self.bids.apply(diff["b"])
                self.asks.apply(diff["a"])
            except (TypeError, ValueError):
                return _GAP
            live["nonce"] = self.nonce = last_id
            e = diff.get("E")
            if type(e) is int:
                live["timestamp"] = self.timestamp = e
                live["datetime"] = iso8601(e)
            self._first = False
            return _APPLIED
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
        """Fold the coalesced diffs into the sorted sides.

        A level that fails to parse (not a finite number) is found here, after its diff was
        accepted: the book is then dropped as on a gap (state RESYNC), never half-folded.
        """
        try:
            if self._pending_bids:
                self.bids.apply(self._pending_bids.items())
                self._pending_bids.clear()
            if self._pending_asks:
                self.asks.apply(self._pending_asks.items())
                self._pending_asks.clear()
        except (TypeError, ValueError):
            self._clear()
            self.resyncs += 1
            if self.state is _SYNCED:  # pending levels exist only while SYNCED
                self._go("gap")

    def levels(self) -> int:
        """Return the number of price levels held (after folding pending diffs)."""
        self.flush()
        return len(self.bids) + len(self.asks)

    def book(self, limit: int | None = None, *, live: bool = False) -> OrderBook:
        """Return the book (best ``limit`` levels per side).

        With ``live`` (and no ``limit``) it is the live book: the same object every time,
        updated in place by every diff as it arrives (and emptied, ``nonce`` None, while it
        resyncs). Otherwise it is a copy that keeps its contents. Asking for the live book
        once keeps this book live from then on, and copies then copy each level too.

        Raises:
            IllegalBookTransition: the book is not SYNCED (it would be incomplete or corrupt),
                also when a level of an accepted diff fails to parse now (see :meth:`flush`).
        """
        self.flush()
        if self.state is not BookState.SYNCED:
            raise IllegalBookTransition(f"{self.symbol}: book is {self.state.value}, not synced")
        if live and not limit:
            self._go_live()
            return self._live  # type: ignore[return-value]
        return OrderBook(
            symbol=self.symbol,
            bids=self.bids.best(limit),
            asks=self.asks.best(limit),
            timestamp=self.timestamp,
            datetime=iso8601(self.timestamp),
            nonce=self.nonce,
        )
