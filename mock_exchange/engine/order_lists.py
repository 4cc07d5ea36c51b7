"""Order lists (OCO): two orders of one account that live and die together.

An OCO pairs a stop-loss leg (``STOP_LOSS``/``STOP_LOSS_LIMIT``) with a profit leg
(``LIMIT_MAKER``/``TAKE_PROFIT``/``TAKE_PROFIT_LIMIT``) on one side of one symbol for one
quantity. The list is ``EXEC_STARTED``/``EXECUTING`` while both legs wait; as soon as one leg
trades or triggers, the other is expired with ``eR = OCO_TRIGGER`` and the list becomes
``ALL_DONE``/``ALL_DONE``; canceling either leg (or the list) cancels both. Binance locks the
list's balance once: the ledger holds it for the leg that can work (the ``LIMIT_MAKER``, else
the stop-loss leg) and moves it to the other leg when that one triggers.

:class:`OrderList` is the list as the order-list queries and ``listStatus`` events show it;
:class:`OrderLists` finds lists by id and by an account's list client id.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal

from ..errors import ExchangeError
from .orders import OrderRecord
from .stops import working_type
from .types import AccountId, Side

__all__ = [
    "FIRST_LIST_ID",
    "ListLeg",
    "ListStatus",
    "OrderList",
    "OrderLists",
    "check_oco_prices",
    "leg_records",
]

# Binance's order-list ids are small per-symbol-ish counters; the emulator counts from here
FIRST_LIST_ID = 1000


@dataclass(slots=True)
class OrderList:
    """One order list: its legs in Binance's order (the stop-loss leg first)."""

    list_id: int
    symbol: str
    owner: AccountId
    list_client_order_id: str
    legs: list[OrderRecord]
    time: int
    contingency_type: str = "OCO"
    status_type: str = "EXEC_STARTED"  # RESPONSE, EXEC_STARTED, UPDATED, ALL_DONE
    order_status: str = "EXECUTING"  # EXECUTING, ALL_DONE, REJECT

    @property
    def is_open(self) -> bool:
        """True until the list is ALL_DONE."""
        return self.order_status == "EXECUTING"

    def sibling(self, record: OrderRecord) -> OrderRecord | None:
        """Return the other leg of ``record``."""
        for leg in self.legs:
            if leg.order_id != record.order_id:
                return leg
        return None

    def done(self) -> None:
        """Mark the list ALL_DONE."""
        self.status_type = "ALL_DONE"
        self.order_status = "ALL_DONE"

    def snapshot(self) -> OrderList:
        """Return a copy later changes do not affect (the legs' ids as they are now)."""
        out = copy.copy(self)
        out.legs = [leg.snapshot() for leg in self.legs]
        return out


@dataclass(frozen=True)
class ListStatus:
    """A ``listStatus`` user-data event: the list as it stands after one matching step."""

    owner: AccountId
    order_list: OrderList
    time: int
    reject_reason: str = "NONE"


@dataclass
class OrderLists:
    """Every order list, by id, and an account's lists by (symbol, list client id)."""

    next_id: int = FIRST_LIST_ID
    _by_id: dict[int, OrderList] = field(default_factory=dict)
    _by_client: dict[tuple[AccountId, str], int] = field(default_factory=dict)

    def new_id(self) -> int:
        """Take the next list id."""
        self.next_id += 1
        return self.next_id - 1

    def add(self, order_list: OrderList) -> None:
        """Remember a new list."""
        self._by_id[order_list.list_id] = order_list
        self._by_client[(order_list.owner, order_list.list_client_order_id)] = order_list.list_id

    def get(self, list_id: int) -> OrderList | None:
        """Return the list ``list_id`` (None when unknown)."""
        return self._by_id.get(list_id)

    def by_client_id(self, owner: AccountId, client_id: str) -> OrderList | None:
        """Return the account's latest list with that list client id."""
        list_id = self._by_client.get((owner, client_id))
        return None if list_id is None else self._by_id.get(list_id)

    def owned(self, owner: AccountId) -> list[OrderList]:
        """Return the account's lists, oldest first."""
        return [lst for lst in self._by_id.values() if lst.owner == owner]

    def open_lists(self, owner: AccountId, symbol: str | None = None) -> list[OrderList]:
        """Return the account's open lists (of ``symbol``), oldest first."""
        return [
            lst
            for lst in self.owned(owner)
            if lst.is_open and (symbol is None or lst.symbol == symbol)
        ]


@dataclass(frozen=True)
class ListLeg:
    """One leg of a new OCO, as the request gives it."""

    order_type: str
    price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: str = "GTC"
    client_order_id: str | None = None
    strategy_id: int | None = None
    strategy_type: int | None = None


_BAD_PRICES = "The relationship of the prices for the orders is not correct."


def check_oco_prices(
    side: str, legs: list[ListLeg], last: Decimal, best: Decimal | None = None
) -> None:
    """Apply Binance's OCO price rules against the last trade price.

    SELL: the profit leg's price (``LIMIT_MAKER``/``TAKE_PROFIT_LIMIT``) or stop price
    (``TAKE_PROFIT``) above the last price, the stop-loss leg's stop price below it; BUY the
    other way round. A ``TAKE_PROFIT_LIMIT`` leg's stop price must not trigger at once either.

    A ``LIMIT_MAKER`` leg that would take from ``best`` (the best opposite price) is refused
    as a lone ``LIMIT_MAKER`` is.

    Raises:
        ExchangeError: -2010 "The relationship of the prices for the orders is not correct."
            or "Order would immediately match and take."
    """
    sell = side == "SELL"
    for leg in legs:
        marks: list[Decimal | None]
        if leg.order_type.startswith("STOP_LOSS"):
            marks, above = [leg.stop_price], not sell
        elif leg.order_type == "TAKE_PROFIT":
            marks, above = [leg.stop_price], sell
        elif leg.order_type == "TAKE_PROFIT_LIMIT":
            marks, above = [leg.price, leg.stop_price], sell
        else:
            marks, above = [leg.price], sell
        for mark in marks:
            if mark is None or (mark <= last if above else mark >= last):
                raise ExchangeError(-2010, _BAD_PRICES)
    makers = [leg.price for leg in legs if leg.order_type == "LIMIT_MAKER" and leg.price]
    if best is not None and any(best >= p if sell else best <= p for p in makers):
        raise ExchangeError(-2010, "Order would immediately match and take.")


def leg_records(
    first_id: int,
    list_id: int,
    symbol: str,
    side: Side,
    quantity: Decimal,
    legs: list[ListLeg],
    owner: AccountId,
    now: int,
    stp_mode: str,
) -> list[OrderRecord]:
    """Return the order records of a new list's legs, ids from ``first_id``."""
    return [
        OrderRecord(
            first_id + i,
            symbol,
            side,
            leg.order_type,
            "GTC" if working_type(leg.order_type) == "MARKET" else leg.time_in_force,
            leg.price,
            quantity,
            None,
            owner,
            leg.client_order_id,
            now,
            stop_price=leg.stop_price,
            stp_mode=stp_mode,
            strategy_id=leg.strategy_id,
            strategy_type=leg.strategy_type,
            order_list_id=list_id,
        )
        for i, leg in enumerate(legs)
    ]
