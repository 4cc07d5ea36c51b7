"""One side of a local order book: sorted price levels, exact keys, without I/O.

A side holds levels ``[price, amount]`` best first. Two kinds:

* :class:`BookSide` replaces a level when its amount changes and never mutates one, so a
  copy of ``levels`` (a shallow slice) handed out earlier keeps its contents;
* :class:`LiveBookSide` changes a level's amount in place and clears ``levels`` in place, so
  one list can be handed out once and stay current (a live book, ccxt.pro's semantics).

Both fold a batch of ``(price, amount)`` pairs the same way; on a Binance feed the batch's
decimal strings are parsed by one ``orjson`` call (see :func:`parse_pairs`) and each level
costs a bisect of packed doubles and one store.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from decimal import Decimal
from itertools import chain
from typing import Any

from orjson import loads

__all__ = ["BookSide", "LiveBookSide", "parse_pairs"]

_INF = float("inf")
_BATCH = 3
"""Fewest pairs parsed in one call: below it a call costs more than ``float()`` per string."""


def _significant_digits(text: str) -> int:
    digits = text.lstrip("+-").replace(".", "", 1).lstrip("0")
    return len(digits.rstrip("0")) if "." in text else len(digits)


def _finite(value: Any) -> float:
    """Return ``float(value)``; raise ValueError if it is infinite or not a number (such a
    price would compare equal to the infinite sentinel key, or with nothing)."""
    f = float(value)
    if f - f:
        raise ValueError(f"not a finite number: {value!r}")
    return f


def _decimal(price: Any) -> Decimal:
    """Return the exact value of a price: a string as written, a float as its shortest repr
    (the decimal it was parsed from, when that had at most 15 significant digits)."""
    return Decimal(price if type(price) is str else repr(float(price)))


def parse_pairs(pairs: Any) -> list[float] | None:
    """Return both numbers of every pair, flat (``[p0, a0, p1, a1, ...]``), parsed as floats
    by one ``orjson`` call; None unless every pair is two JSON decimal strings of at most 16
    characters (then the caller parses each with ``float()`` and checks for long prices).

    ``"e0"`` is appended to every string: it makes each one a float in JSON (``"1"`` too) and
    makes anything that is not a plain number (``true``, a quote, a bracket) invalid JSON.
    With the count checked, no string can have split into two numbers or swallowed a comma,
    and each number is the correctly rounded double of its decimal, as ``float()`` gives.
    """
    flat = list(chain.from_iterable(pairs))
    try:
        if len(flat) != 2 * len(pairs) or max(map(len, flat)) > 16:
            return None
        values: list[float] = loads("[" + "e0,".join(flat) + "e0]")
    except (TypeError, ValueError):  # not strings, not numbers (JSONDecodeError), empty
        return None
    return values if len(values) == len(flat) else None


class BookSide:
    """One side of a book that hands out copies: levels ``[price, amount]``, worst first.

    ``levels`` is stored from the worst level to the best, and :meth:`best` hands out the best
    first: that copy costs what a forward one does (``levels[::-1]``), and diffs touch the
    best levels most, which stored this way sit at the end, where an insertion or a removal
    moves few references. ``_keys`` holds each level's exact key in the same order (the price
    on the bid side, the negated price on the ask side, so both ascend) and ends with an
    infinite sentinel, so ``_keys[bisect_left(...)]`` is always a valid read. A float key is
    exact for a decimal of at most 15 significant digits (every Binance price): two such
    decimals are equal exactly when their floats are, and order the same way. The keys are
    packed doubles (an ``array``): a bisect then reads one contiguous block instead of a float
    object per probe, which matters when hundreds of books share the CPU caches. A price of
    more than 15 significant digits (none on Binance) turns the side's keys into a list of
    ``Decimal`` values for good: a float key and a ``Decimal`` key compare by the float's
    binary value, which would misplace such a price next to a short one.

    A level is replaced, never mutated, so a copy handed out earlier keeps its contents.
    """

    __slots__ = ("_keys", "_negate", "levels")

    def __init__(self, descending: bool) -> None:
        self._negate = not descending
        self._keys: Any = array("d", (_INF,))
        self.levels: list[list[float]] = []

    def clear(self) -> None:
        """Remove every level."""
        self._keys = array("d", (_INF,))
        self.levels = []

    def set(self, price: float, amount: float) -> None:
        """Set the level at ``price`` to ``amount`` (0 removes it; unknown removals are normal)."""
        self.apply(((price, amount),))

    def best(self, limit: int | None = None) -> list[list[float]]:
        """Return a copy of the best ``limit`` levels (all by default), best first."""
        return self.levels[: -limit - 1 : -1] if limit else self.levels[::-1]

    def _values(self, pairs: Any) -> list[float] | None:
        """Return the numbers of ``pairs``, flat; None when a price needs an exact key (the
        side has ``Decimal`` keys, or the price has more than 15 significant digits)."""
        if type(self._keys) is list:
            return None
        if len(pairs) >= _BATCH:
            values = parse_pairs(pairs)
            if values is not None:
                return values
        values = []
        for p, q in pairs:
            if type(p) is str and len(p) > 16 and _significant_digits(p) > 15:
                return None
            values += (float(p), float(q))
        total = sum(values)  # inf or nan when any value is (one check for the batch)
        if total - total:
            raise ValueError("a price or an amount is not a finite number")
        return values

    def _key(self, p: Any) -> Any:
        """Return the exact key of price ``p``, switching the side to ``Decimal`` keys at
        its first price of more than 15 significant digits (then every key is exact)."""
        if type(self._keys) is list or (
            type(p) is str and len(p) > 16 and _significant_digits(p) > 15
        ):
            keys = self._keys
            if type(keys) is not list:
                self._keys = [Decimal(repr(k)) for k in keys]
            return -_decimal(p) if self._negate else _decimal(p)
        return -float(p) if self._negate else float(p)

    def apply(self, pairs: Any) -> None:
        """Set every ``(price, amount)`` of ``pairs`` (strings or numbers, a sized
        collection), in order.

        The client's hottest loop, and with many books it is bound by memory, not by
        instructions: a replaced level is built from the floats just parsed, never from the
        level it replaces (a second cache miss per level).
        """
        values = self._values(pairs)
        if values is None:  # long prices: keyed exactly, one by one
            for p, q in pairs:
                price, amount = _finite(p), _finite(q)
                self._set(self._key(p), price, amount)
            return
        keys, levels = self._keys, self.levels
        negate = self._negate
        it = iter(values)
        for price, amount in zip(it, it, strict=True):
            key = -price if negate else price
            j = bisect_left(keys, key)
            if keys[j] == key:
                if amount:
                    levels[j] = [price, amount]
                else:
                    del keys[j]
                    del levels[j]
            elif amount:
                keys.insert(j, key)
                levels.insert(j, [price, amount])

    def _set(self, key: Any, price: float, amount: float) -> None:
        keys = self._keys
        j = bisect_left(keys, key)
        if keys[j] == key:
            if amount:
                self.levels[j] = [price, amount]
            else:
                del keys[j]
                del self.levels[j]
        elif amount:
            keys.insert(j, key)
            self.levels.insert(j, [price, amount])

    def __len__(self) -> int:
        return len(self.levels)


class LiveBookSide(BookSide):
    """A side whose levels change in place: the side of a live book (``live_book``).

    ``levels`` is best first (it is the list a live book hands out, as it is): a level's
    amount is set in place, and the list is cleared and refilled in place, never replaced.
    Key ``j`` (worst first, as in :class:`BookSide`) is level ``len(levels) - 1 - j``.
    """

    __slots__ = ()

    @classmethod
    def taking_over(cls, side: BookSide) -> LiveBookSide:
        """Return a live side with the levels of copying ``side`` (as fresh lists: its own
        may be in copies handed out before, which must keep their contents)."""
        live = cls(not side._negate)
        live._keys = side._keys[:]
        live.levels = [[p, a] for p, a in reversed(side.levels)]
        return live

    def clear(self) -> None:
        """Remove every level (in place: a live book holds ``levels``)."""
        self._keys = array("d", (_INF,))
        self.levels.clear()

    def best(self, limit: int | None = None) -> list[list[float]]:
        """Return a copy of the best ``limit`` levels (all by default), each level copied."""
        return [[p, a] for p, a in self.levels[:limit]]

    def apply(self, pairs: Any) -> None:
        """Set every ``(price, amount)`` of ``pairs`` in order, changing levels in place."""
        values = self._values(pairs)
        if values is None:
            for p, q in pairs:
                price, amount = _finite(p), _finite(q)
                self._set(self._key(p), price, amount)
            return
        keys, levels = self._keys, self.levels
        negate = self._negate
        last = len(levels) - 1
        it = iter(values)
        for price, amount in zip(it, it, strict=True):
            key = -price if negate else price
            j = bisect_left(keys, key)
            if keys[j] == key:
                if amount:
                    levels[last - j][1] = amount
                else:
                    del keys[j]
                    del levels[last - j]
                    last -= 1
            elif amount:
                keys.insert(j, key)
                last += 1
                levels.insert(last - j, [price, amount])

    def _set(self, key: Any, price: float, amount: float) -> None:
        keys, levels = self._keys, self.levels
        j = bisect_left(keys, key)
        if keys[j] == key:
            if amount:
                levels[len(levels) - 1 - j][1] = amount
            else:
                del levels[len(levels) - 1 - j]
                del keys[j]
        elif amount:
            levels.insert(len(levels) - j, [price, amount])
            keys.insert(j, key)
