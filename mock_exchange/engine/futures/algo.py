"""Conditional (algo) orders of the futures venues: the Algo Order API's book and trigger rules.

Since 2025-12-09 Binance takes ``STOP``, ``STOP_MARKET``, ``TAKE_PROFIT``,
``TAKE_PROFIT_MARKET`` and ``TRAILING_STOP_MARKET`` through ``/fapi/v1/algoOrder`` (``algoType
CONDITIONAL``). An :class:`AlgoOrder` waits in the :class:`AlgoBook` until its trigger price
is reached by the price its ``workingType`` names (``MARK_PRICE`` or ``CONTRACT_PRICE``, the
last trade), then places its order (LIMIT for ``STOP``/``TAKE_PROFIT``, MARKET otherwise).
Statuses: ``NEW`` -> ``TRIGGERING`` -> ``TRIGGERED`` -> ``FINISHED`` (the placed order is
final), or ``CANCELED``, ``REJECTED`` (the order could not be placed), ``EXPIRED`` (GTD).

Trigger rules (Binance's New Order documentation): ``STOP``/``STOP_MARKET`` BUY when the price
is at or above the trigger, SELL at or below; ``TAKE_PROFIT``/``TAKE_PROFIT_MARKET`` the other
way round. ``TRAILING_STOP_MARKET`` activates when the price reaches ``activatePrice`` (BUY at
or below, SELL at or above; default: the price at placement), then follows the lowest (BUY) or
highest (SELL) price and triggers on a reversal of ``callbackRate`` percent.

Price protection (``priceProtect=TRUE``, which Binance documents for ``STOP``/``STOP_MARKET``
and ``TAKE_PROFIT``/``TAKE_PROFIT_MARKET``): a reached trigger is held back while the last price
and the mark price differ by more than the symbol's ``triggerProtect`` share of the mark; the
order stays ``NEW`` and triggers at the first step the two are close enough again.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from decimal import Decimal

from ..keys import ApiKey
from ..types import AccountId

__all__ = ["FINAL_ALGO", "PROTECTABLE", "AlgoBook", "AlgoOrder", "crossed", "diverged"]

FINAL_ALGO = frozenset({"FINISHED", "CANCELED", "REJECTED", "EXPIRED"})
_HUNDRED = Decimal(100)
PROTECTABLE = frozenset({"STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET"})


def diverged(last: Decimal, mark: Decimal, threshold: Decimal) -> bool:
    """True when the last price is more than ``threshold`` (a share) away from the mark."""
    return mark > 0 and abs(last - mark) > threshold * mark


def crossed(order_type: str, side: str, trigger: Decimal, price: Decimal) -> bool:
    """True when ``price`` has reached the trigger of a STOP or TAKE_PROFIT order."""
    stop = order_type.startswith("STOP")
    rising = (side == "BUY") == stop
    return price >= trigger if rising else price <= trigger


@dataclass
class AlgoOrder:
    """One conditional order (``/fapi/v1/algoOrder``)."""

    algo_id: int
    client_algo_id: str
    owner: AccountId
    key: ApiKey
    symbol: str
    side: str
    position_side: str
    order_type: str
    time_in_force: str
    quantity: Decimal | None  # None: closePosition
    price: Decimal | None
    trigger_price: Decimal
    working_type: str
    price_match: str
    close_position: bool
    price_protect: bool
    reduce_only: bool
    activate_price: Decimal | None
    callback_rate: Decimal | None
    stp: str
    good_till: int
    create_time: int
    update_time: int = 0
    trigger_time: int = 0
    status: str = "NEW"
    actual_order_id: int | None = None
    fail_reason: str = ""
    activated: bool = False
    extreme: Decimal | None = None  # trailing: the lowest (BUY) or highest (SELL) price seen

    def __repr__(self) -> str:
        return f"AlgoOrder(id={self.algo_id}, {self.order_type} {self.side}, {self.status})"

    @property
    def is_open(self) -> bool:
        """True until the algo order is final (triggered orders stay open until FINISHED)."""
        return self.status not in FINAL_ALGO

    @property
    def limit(self) -> bool:
        """True when the triggered order is a LIMIT order (``STOP``, ``TAKE_PROFIT``)."""
        return self.order_type in ("STOP", "TAKE_PROFIT")

    def snapshot(self) -> AlgoOrder:
        """A copy later changes do not affect."""
        return copy.copy(self)

    def would_trigger(self, price: Decimal) -> bool:
        """True when the order would trigger at once at placement (Binance's ``-2021``)."""
        if self.order_type == "TRAILING_STOP_MARKET":
            if self.activate_price is None:
                return False
            return not (
                self.activate_price < price if self.side == "BUY" else self.activate_price > price
            )
        return crossed(self.order_type, self.side, self.trigger_price, price)

    def held_back(self, last: Decimal, mark: Decimal, threshold: Decimal) -> bool:
        """True when price protection stops this order triggering now (module docstring)."""
        return (
            self.price_protect
            and self.order_type in PROTECTABLE
            and diverged(last, mark, threshold)
        )

    def observe(self, price: Decimal) -> bool:
        """Feed the working price; return True when the order triggers now."""
        if self.order_type != "TRAILING_STOP_MARKET":
            return crossed(self.order_type, self.side, self.trigger_price, price)
        if not self.activated:
            target = self.activate_price
            if target is not None and not (
                price <= target if self.side == "BUY" else price >= target
            ):
                return False
            self.activated, self.extreme = True, price
        assert self.extreme is not None and self.callback_rate is not None
        rate = self.callback_rate / _HUNDRED
        if self.side == "BUY":
            self.extreme = min(self.extreme, price)
            self.trigger_price = self.extreme * (1 + rate)
            return price >= self.trigger_price
        self.extreme = max(self.extreme, price)
        self.trigger_price = self.extreme * (1 - rate)
        return price <= self.trigger_price


class AlgoBook:
    """A venue's conditional orders by id, and each owner's by client algo id."""

    def __init__(self) -> None:
        self._ids = itertools.count(1_000_000_001)
        self._by_id: dict[int, AlgoOrder] = {}
        self._by_client: dict[tuple[AccountId, str], int] = {}

    def next_id(self) -> int:
        """Return a new algo id."""
        return next(self._ids)

    def add(self, algo: AlgoOrder) -> None:
        """Remember a new algo order."""
        self._by_id[algo.algo_id] = algo
        self._by_client[(algo.owner, algo.client_algo_id)] = algo.algo_id

    def get(self, algo_id: int) -> AlgoOrder | None:
        """Return the algo order ``algo_id`` or None."""
        return self._by_id.get(algo_id)

    def by_client(self, owner: AccountId, client_algo_id: str) -> AlgoOrder | None:
        """Return the owner's latest algo order with that client id, or None."""
        algo_id = self._by_client.get((owner, client_algo_id))
        return None if algo_id is None else self._by_id.get(algo_id)

    def of(self, owner: AccountId | None = None, symbol: str | None = None) -> list[AlgoOrder]:
        """Return the algo orders (of ``owner``, of ``symbol``), oldest first."""
        return [
            a
            for a in self._by_id.values()
            if owner in (None, a.owner) and symbol in (None, a.symbol)
        ]

    def open(self, owner: AccountId | None = None, symbol: str | None = None) -> list[AlgoOrder]:
        """Return the open algo orders (of ``owner``, of ``symbol``), oldest first."""
        return [a for a in self.of(owner, symbol) if a.is_open]
