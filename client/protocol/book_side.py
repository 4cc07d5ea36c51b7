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
    """One side of a book: levels ``[price, amount]`` best first, with a bisect index.

    ``_keys`` holds each level's exact key, ordered from the worst level to the best (the
    price on the bid side, the negated price on the ask side, so both ascend) and ending with
    an infinite sentinel, so ``_keys[bisect_left(...)]`` is always a valid read; key ``j`` is
    level ``len(levels) - 1 - j``. Diffs touch the best levels most, and stored this way a key
    inserted or removed there moves the few keys after it, not the whole array. A float key
    is exact for a decimal of at most 15 significant digits (every Binance price): two such
    decimals are equal exactly when their floats are, and order the same way. The keys are
    packed doubles (an ``array``): a bisect then reads one contiguous block instead of a float
    object per probe, which matters when hundreds of books share the CPU caches. A price of
    more than 15 significant digits (none on Binance) turns the side's keys into a list of
    ``Decimal`` values for good: a float key and a ``Decimal`` key compare by the float's
    binary value, which would misplace such a price next to a short one.
    """

    __slots__ = ("_keys", "_negate", "levels")

    in_place = False
    """Whether a level's amount is changed in place (a live side) or the level replaced."""

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

    def apply(self, pairs: Any) -> None:
        """Set every ``(price, amount)`` of ``pairs`` (strings or numbers, a sized
        collection), in order.

        The client's hottest loop, and with many books it is bound by memory, not by
        instructions: a replaced level is built from the floats just parsed, never from the
        level it replaces (a second cache miss per level).
        """
        values = None
        if len(pairs) >= _BATCH and type(self._keys) is not list:
            values = parse_pairs(pairs)
        if values is None:
            self._apply_each(pairs)
            return
        keys, levels = self._keys, self.levels
        negate, in_place = self._negate, self.in_place
        last = len(levels) - 1
        it = iter(values)
        for price, amount in zip(it, it, strict=True):
            key = -price if negate else price
            j = bisect_left(keys, key)
            if keys[j] == key:
                if not amount:
                    del keys[j]
                    del levels[last - j]
                    last -= 1
                elif in_place:
                    levels[last - j][1] = amount
                else:
                    levels[last - j] = [price, amount]
            elif amount:
                keys.insert(j, key)
                last += 1
                levels.insert(last - j, [price, amount])

    def _apply_each(self, pairs: Any) -> None:
        """:meth:`apply`, parsing each number on its own and keying long prices exactly."""
        keys, levels = self._keys, self.levels
        negate, in_place = self._negate, self.in_place
        exact = type(keys) is list
        last = len(levels) - 1
        for p, q in pairs:
            price, amount = float(p), float(q)
            key: Any = -price if negate else price
            if exact or (type(p) is str and len(p) > 16 and _significant_digits(p) > 15):
                keys, exact = self._exact_keys(), True
                key = -_decimal(p) if negate else _decimal(p)
            j = bisect_left(keys, key)
            if keys[j] == key:
                if not amount:
                    del keys[j]
                    del levels[last - j]
                    last -= 1
                elif in_place:
                    levels[last - j][1] = amount
                else:
                    levels[last - j] = [price, amount]
            elif amount:
                keys.insert(j, key)
                last += 1
                levels.insert(last - j, [price, amount])

    def _exact_keys(self) -> list[Any]:
        """Return the keys as ``Decimal`` values (switching to them the first time)."""
        keys = self._keys
        if type(keys) is not list:
            keys = self._keys = [Decimal(repr(k)) for k in keys]
        return keys

    def __len__(self) -> int:
        return len(self.levels)


class LiveBookSide(BookSide):
    """A side whose levels change in place: the side of a live book (``live_book``).

    ``levels`` is the list a live book hands out: a level's amount is set in place, and the
    list is cleared and refilled in place, never replaced.
    """

    __slots__ = ()

    in_place = True

    @classmethod
    def taking_over(cls, side: BookSide) -> LiveBookSide:
        """Return a live side with the levels of ``side`` (as fresh lists: its own may be in
        copies handed out before, which must keep their contents)."""
        live = cls(not side._negate)
        live._keys = side._keys[:]
        live.levels = [[p, a] for p, a in side.levels]
        return live

    def clear(self) -> None:
        """Remove every level (in place: a live book holds ``levels``)."""
        self._keys = array("d", (_INF,))
        self.levels.clear()
