"""What the engine reports, each event naming its owner.

``owner`` is the account an event belongs to (its user data), or None: market data
(:class:`~mock_exchange.engine.tape.Trade`, :class:`~mock_exchange.engine.tape.AggTrade`,
:class:`DepthUpdate`) is public, and background activity has no account. A trade names both
sides' accounts (``maker_owner``, ``taker_owner``) so execution reports can be routed to each.
:class:`OrderUpdate` is emitted only for orders an account placed, so background activity costs
nothing extra and publishers route user data by ``owner``, never by stream name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from .futures.events import FuturesEvent
from .order_lists import ListStatus
from .orders import OrderRecord
from .tape import AggTrade, Trade
from .types import AccountId, Side

__all__ = [
    "AccountId",
    "AccountPosition",
    "BalanceUpdate",
    "DepthUpdate",
    "EngineEvent",
    "ExecutionType",
    "Liquidation",
    "ListStatus",
    "OrderUpdate",
    "Prevention",
]


@dataclass
class DepthUpdate:
    """Level changes on one symbol covering update ids ``first_id..last_id``.

    Quantities are absolute level totals after the change; zero means the level is gone.
    """

    symbol: str
    first_id: int
    last_id: int
    time: int
    bids: dict[Decimal, Decimal] = field(default_factory=dict)
    asks: dict[Decimal, Decimal] = field(default_factory=dict)

    @property
    def owner(self) -> AccountId | None:
        """Book changes are public."""
        return None


@dataclass(frozen=True)
class Liquidation:
    """A forced (liquidation) order the engine executed, as ``forceOrder`` reports it."""

    symbol: str
    side: Side
    qty: Decimal
    price: Decimal
    avg_price: Decimal
    status: str
    last_filled: Decimal
    filled: Decimal
    time: int
    owner: AccountId | None = None


ExecutionType = Literal[
    "NEW", "TRADE", "CANCELED", "EXPIRED", "REJECTED", "REPLACED", "TRADE_PREVENTION"
]


@dataclass(frozen=True)
class Prevention:
    """A self-trade prevented (``TRADE_PREVENTION``): the match id and what was prevented."""

    match_id: int
    qty: Decimal  # this event's prevented quantity (``B``)
    price: Decimal  # the price the match would have had (``pL``)
    counter_order_id: int  # the other order (``U``)
    counter_symbol: str


@dataclass(frozen=True)
class OrderUpdate:
    """A change to an account's order: the record as it stands after it, and the trade if any.

    Every update of one engine call shares ``time`` (Binance's ``E`` and ``T``);
    ``execution_id`` increases per symbol. A ``TRADE`` carries the commission charged in the
    asset received; a ``CANCELED`` carries the client id the order had before the cancel.
    """

    owner: AccountId
    execution: ExecutionType
    order: OrderRecord
    trade: Trade | None = None
    time: int = 0
    execution_id: int = 0
    commission: Decimal = Decimal(0)
    commission_asset: str | None = None
    is_maker: bool = False
    orig_client_order_id: str | None = None
    prevention: Prevention | None = None
    reject_reason: str = "NONE"


@dataclass(frozen=True)
class BalanceUpdate:
    """A deposit, withdrawal or transfer: ``delta`` of ``asset`` in one of the owner's wallets.

    ``wallet`` is ``spot`` (Binance sends ``balanceUpdate``) or a futures wallet (``usdm``,
    ``coinm``), whose user data the futures venues report their own way.
    """

    owner: AccountId
    asset: str
    delta: Decimal
    time: int
    wallet: str = "spot"


@dataclass(frozen=True)
class AccountPosition:
    """The owner's spot balances of the assets one step changed (``outboundAccountPosition``).

    ``balances`` is ``(asset, free, locked)`` after the step, sorted by asset.
    """

    owner: AccountId
    time: int
    balances: tuple[tuple[str, Decimal, Decimal], ...]


EngineEvent = (
    Trade
    | AggTrade
    | DepthUpdate
    | Liquidation
    | OrderUpdate
    | ListStatus
    | BalanceUpdate
    | AccountPosition
    | FuturesEvent
)
