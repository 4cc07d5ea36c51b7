"""Order records that outlive the book: status as a transition table, ids, client-id index.

Every order the engine accepts gets an :class:`OrderRecord` when it is placed; the book only
holds what rests. The record follows Binance's order statuses (reference 9.3) through
:data:`ORDER_TRANSITIONS`: an illegal move raises :class:`IllegalOrderTransition` and leaves the
record unchanged. :class:`OrderStore` finds records by order id and, for an account's orders, by
client order id (unique among the account's open orders of a symbol). Records of background
orders (no owner) are dropped once they are final, since nobody can ask for them; an
account's records are kept (the most recent ``keep_final`` final ones).
"""

from __future__ import annotations

import copy
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from ..errors import ExchangeError
from .types import AccountId, Side

__all__ = [
    "FINAL_STATUSES",
    "ORDER_TRANSITIONS",
    "AccountId",
    "IllegalOrderTransition",
    "OrderRecord",
    "OrderStatus",
    "OrderStore",
    "PreventedMatch",
]

OrderStatus = Literal[
    "PENDING_NEW",
    "NEW",
    "PARTIALLY_FILLED",
    "FILLED",
    "PENDING_CANCEL",
    "CANCELED",
    "REJECTED",
    "EXPIRED",
    "EXPIRED_IN_MATCH",
]
_LIVE: frozenset[OrderStatus] = frozenset(
    {"PARTIALLY_FILLED", "FILLED", "CANCELED", "EXPIRED", "EXPIRED_IN_MATCH", "PENDING_CANCEL"}
)
# status -> the statuses it may move to. PENDING_NEW is a waiting leg of an order list; more
# fills keep an order PARTIALLY_FILLED; PENDING_CANCEL is documented but unused by Binance.
ORDER_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    "PENDING_NEW": frozenset({"NEW", "REJECTED", "CANCELED", "EXPIRED"}),
    "NEW": _LIVE,
    "PARTIALLY_FILLED": _LIVE,
    "PENDING_CANCEL": frozenset({"CANCELED"}),
    "FILLED": frozenset(),
    "CANCELED": frozenset(),
    "REJECTED": frozenset(),
    "EXPIRED": frozenset(),
    "EXPIRED_IN_MATCH": frozenset(),
}
FINAL_STATUSES: frozenset[OrderStatus] = frozenset(
    s for s, nxt in ORDER_TRANSITIONS.items() if not nxt
)
_FIRST: frozenset[OrderStatus] = frozenset({"NEW", "PENDING_NEW", "REJECTED"})


class IllegalOrderTransition(ValueError):
    """A status change the order's current status does not allow (the record is unchanged)."""


@dataclass(frozen=True, slots=True)
class PreventedMatch:
    """A self-trade prevented between two orders of one account (``myPreventedMatches``).

    The quantities are what STP took off each order in this match; None for the order it
    did not touch (Binance then omits that field).
    """

    match_id: int
    taker_order_id: int
    maker_order_id: int
    stp_mode: str
    price: Decimal
    taker_qty: Decimal | None
    maker_qty: Decimal | None
    time: int


@dataclass(slots=True)
class OrderRecord:
    """One order as the exchange remembers it, from placement to its final status.

    ``orig_qty`` is None for a MARKET order sized by ``quote_order_qty`` (it becomes the
    executed quantity when the order is final). ``working_time`` is -1 until the order works
    (a stop order waits for its trigger); ``prevented_qty`` is what self-trade prevention took
    off it, ``prevented_matches`` the matches it took part in; ``expiry_reason`` says why it
    expired (Binance's ``eR``).
    """

    order_id: int
    symbol: str
    side: Side
    order_type: str
    time_in_force: str
    price: Decimal | None
    orig_qty: Decimal | None
    quote_order_qty: Decimal | None
    owner: AccountId | None
    client_order_id: str | None
    time: int
    status: OrderStatus = "NEW"
    executed_qty: Decimal = Decimal(0)
    cumulative_quote_qty: Decimal = Decimal(0)
    update_time: int = 0
    stop_price: Decimal | None = None
    stp_mode: str = "NONE"
    working_time: int = -1
    prevented_qty: Decimal = Decimal(0)
    prevented_match_id: int | None = None
    prevented_matches: list[PreventedMatch] = field(default_factory=list)
    expiry_reason: str | None = None
    strategy_id: int | None = None
    strategy_type: int | None = None
    amendments: int = 0
    order_list_id: int = -1  # the order list (OCO) it belongs to, -1 for none

    def __post_init__(self) -> None:
        if self.status not in _FIRST:
            raise IllegalOrderTransition(f"an order cannot start {self.status}")
        self.update_time = self.update_time or self.time

    @property
    def is_open(self) -> bool:
        """True until the order reaches a final status."""
        return self.status not in FINAL_STATUSES

    @property
    def is_working(self) -> bool:
        """True once the order works (a stop order only after its trigger)."""
        return self.working_time >= 0

    @property
    def remaining(self) -> Decimal | None:
        """Quantity still available: ``orig - executed - prevented`` (None for quote-sized)."""
        if self.orig_qty is None:
            return None
        return self.orig_qty - self.executed_qty - self.prevented_qty

    def move(self, status: OrderStatus, now: int) -> None:
        """Change the status.

        Raises:
            IllegalOrderTransition: the table does not allow it; nothing changes.
        """
        if status not in ORDER_TRANSITIONS[self.status]:
            raise IllegalOrderTransition(
                f"order {self.order_id}: {self.status} cannot become {status}"
            )
        self.status = status
        self.update_time = now

    def fill(self, qty: Decimal, quote: Decimal, now: int) -> None:
        """Record an execution of ``qty`` for ``quote``; FILLED when the quantity is reached.

        Raises:
            IllegalOrderTransition: the order is final, or the fill exceeds its quantity.
        """
        executed = self.executed_qty + qty
        if self.orig_qty is not None and executed + self.prevented_qty > self.orig_qty:
            raise IllegalOrderTransition(f"order {self.order_id}: fill exceeds its quantity")
        complete = self.orig_qty is not None and executed == self.orig_qty
        self.move("FILLED" if complete else "PARTIALLY_FILLED", now)
        self.executed_qty = executed
        self.cumulative_quote_qty += quote

    def settle(self, status: OrderStatus, now: int) -> None:
        """Move to ``status`` unless the order is already there."""
        if status != self.status:
            self.move(status, now)

    def snapshot(self) -> OrderRecord:
        """Return a copy that later changes to this record do not affect."""
        return copy.copy(self)


class OrderStore:
    """Records by order id, and an account's open orders by (symbol, client order id)."""

    def __init__(self, keep_final: int = 100_000) -> None:
        self._by_id: dict[int, OrderRecord] = {}
        self._by_client: dict[tuple[AccountId, str, str], int] = {}
        self._final: deque[int] = deque()
        # an account's orders by id (ids increase, so insertion order is time order)
        self._owned: dict[AccountId, dict[int, OrderRecord]] = {}
        self._open: dict[AccountId, dict[int, OrderRecord]] = {}
        self.keep_final = keep_final

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, order_id: int) -> OrderRecord | None:
        """Return the record of ``order_id`` (None when unknown or forgotten)."""
        return self._by_id.get(order_id)

    def by_client_id(self, owner: AccountId, symbol: str, client_id: str) -> OrderRecord | None:
        """Return the account's order of ``symbol`` with that client order id, or None."""
        order_id = self._by_client.get((owner, symbol, client_id))
        return None if order_id is None else self._by_id.get(order_id)

    def check_client_id(self, record: OrderRecord) -> None:
        """Refuse a new order whose client id an open order of its account and symbol holds.

        Raises:
            ExchangeError: -2010 Duplicate order sent.
        """
        key = self._client_key(record)
        if key is not None:
            held = self.by_client_id(*key)
            if held is not None and held.is_open:
                raise ExchangeError(-2010, "Duplicate order sent.")

    def add(self, record: OrderRecord) -> None:
        """Remember a new order.

        Raises:
            ExchangeError: -2010 when the account has an open order of the symbol with the
                same client order id.
        """
        key = self._client_key(record)
        if key is not None:
            if record.is_open:
                self.check_client_id(record)
                self._by_client[key] = record.order_id
            else:  # a rejected order does not take the id from an open order holding it
                held = self.by_client_id(*key)
                if held is None or not held.is_open:
                    self._by_client[key] = record.order_id
        self._by_id[record.order_id] = record
        if record.owner is not None:
            self._owned.setdefault(record.owner, {})[record.order_id] = record
            if record.is_open:
                self._open.setdefault(record.owner, {})[record.order_id] = record
            else:
                self._final.append(record.order_id)

    def owned(self, owner: AccountId, symbol: str | None = None) -> list[OrderRecord]:
        """Return the account's remembered orders (of ``symbol``), oldest first."""
        records = self._owned.get(owner, {}).values()
        return [r for r in records if symbol is None or r.symbol == symbol]

    def open_orders(self, owner: AccountId, symbol: str | None = None) -> list[OrderRecord]:
        """Return the account's open orders (of ``symbol``), oldest first."""
        records = self._open.get(owner, {}).values()
        return [r for r in records if symbol is None or r.symbol == symbol]

    def rename(self, record: OrderRecord, client_order_id: str) -> None:
        """Give an order a new client id (a cancel's ``newClientOrderId``), freeing the old one."""
        old = self._client_key(record)
        if old is not None and self._by_client.get(old) == record.order_id:
            del self._by_client[old]
        record.client_order_id = client_order_id
        new = self._client_key(record)
        if new is not None:
            self._by_client[new] = record.order_id

    def settled(self, record: OrderRecord) -> None:
        """Note that ``record`` may have become final: forget or retain it accordingly."""
        if record.is_open:
            return
        if record.owner is None:
            self._by_id.pop(record.order_id, None)
            return
        if self._open.get(record.owner, {}).pop(record.order_id, None) is None:
            return  # already noted
        self._final.append(record.order_id)
        while len(self._final) > self.keep_final:
            old_id = self._final.popleft()
            old = self._by_id.pop(old_id, None)
            if old is None:
                continue
            if old.owner is not None:
                self._owned.get(old.owner, {}).pop(old_id, None)
            key = self._client_key(old)
            if key is not None and self._by_client.get(key) == old_id:
                del self._by_client[key]

    @staticmethod
    def _client_key(record: OrderRecord) -> tuple[AccountId, str, str] | None:
        if record.owner is None or record.client_order_id is None:
            return None
        return record.owner, record.symbol, record.client_order_id
