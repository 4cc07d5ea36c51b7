"""User-data events of the futures venues, each naming the account it belongs to.

They carry exact values; the transports format them (``ACCOUNT_UPDATE``, ``ORDER_TRADE_UPDATE``,
``TRADE_LITE``, ``MARGIN_CALL``, ``ACCOUNT_CONFIG_UPDATE``, reference 6.5).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ..orders import OrderRecord
from ..tape import Trade
from ..types import AccountId
from .algo import AlgoOrder

__all__ = [
    "AlgoUpdate",
    "BalanceRow",
    "ConfigUpdate",
    "FuturesAccountUpdate",
    "FuturesEvent",
    "FuturesOrderInfo",
    "FuturesOrderUpdate",
    "MarginCall",
    "MarginCallRow",
    "PositionRow",
]

_ZERO = Decimal(0)


@dataclass(frozen=True)
class FuturesOrderInfo:
    """What a futures order has beyond the engine's record (reference 6.5, ``o`` fields)."""

    position_side: str = "BOTH"
    reduce_only: bool = False
    close_position: bool = False
    working_type: str = "CONTRACT_PRICE"
    price_protect: bool = False
    price_match: str = "NONE"
    stp: str = "EXPIRE_MAKER"
    good_till: int = 0
    display_type: str = "LIMIT"  # ``o`` / ``type``: LIMIT, MARKET, LIQUIDATION...
    time_in_force: str = "GTC"  # ``f``: GTC, IOC, FOK, GTX, GTD
    stop_price: Decimal = _ZERO
    modify_count: int = 0


@dataclass(frozen=True)
class OrderAmendment:
    """One modify of a futures order (``GET orderAmendment``): before and after, and the
    order's modify count after it."""

    amendment_id: int
    order_id: int
    client_order_id: str
    time: int
    price_before: Decimal
    price_after: Decimal
    qty_before: Decimal
    qty_after: Decimal
    count: int


@dataclass(frozen=True)
class BalanceRow:
    """One ``B`` entry: wallet balance, cross wallet balance, change except PnL and fees."""

    asset: str
    wallet: Decimal
    cross_wallet: Decimal
    change: Decimal = _ZERO


@dataclass(frozen=True)
class PositionRow:
    """One ``P`` entry, as the position stands after the step."""

    symbol: str
    amount: Decimal
    entry: Decimal
    break_even: Decimal
    realized: Decimal
    unrealized: Decimal
    margin_type: str  # "cross" or "isolated"
    isolated_wallet: Decimal
    side: str


@dataclass(frozen=True)
class FuturesAccountUpdate:
    """``ACCOUNT_UPDATE``: balances and positions a step changed, with its reason ``m``."""

    owner: AccountId
    reason: str
    time: int
    balances: tuple[BalanceRow, ...] = ()
    positions: tuple[PositionRow, ...] = ()
    symbol: str | None = None  # ``S`` on FUNDING_FEE


@dataclass(frozen=True)
class FuturesOrderUpdate:
    """``ORDER_TRADE_UPDATE`` (and ``TRADE_LITE`` when ``trade`` is set)."""

    owner: AccountId
    time: int
    execution: str  # NEW, TRADE, CANCELED, EXPIRED, AMENDMENT, CALCULATED
    order: OrderRecord
    info: FuturesOrderInfo
    trade: Trade | None = None
    is_maker: bool = False
    commission: Decimal = _ZERO
    commission_asset: str = ""
    realized: Decimal = _ZERO
    bid_notional: Decimal = _ZERO
    ask_notional: Decimal = _ZERO
    expiry_reason: int = 0


@dataclass(frozen=True)
class MarginCallRow:
    """One ``p`` entry of ``MARGIN_CALL``."""

    symbol: str
    side: str
    amount: Decimal
    margin_type: str  # CROSSED or ISOLATED
    isolated_wallet: Decimal
    mark: Decimal
    unrealized: Decimal
    maint_margin: Decimal


@dataclass(frozen=True)
class MarginCall:
    """``MARGIN_CALL``: the margin ratio crossed the call threshold."""

    owner: AccountId
    time: int
    cross_wallet: Decimal
    rows: tuple[MarginCallRow, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class ConfigUpdate:
    """``ACCOUNT_CONFIG_UPDATE``: a symbol's leverage (``ac``) or multi-assets mode (``ai``)."""

    owner: AccountId
    time: int
    symbol: str | None = None
    leverage: int | None = None
    multi_assets: bool | None = None


@dataclass(frozen=True)
class AlgoUpdate:
    """``ALGO_UPDATE``: a conditional order's status changed (``algo`` as it stands after)."""

    owner: AccountId
    time: int
    algo: AlgoOrder
    avg_price: Decimal = _ZERO
    executed: Decimal = _ZERO


FuturesEvent = FuturesAccountUpdate | FuturesOrderUpdate | MarginCall | ConfigUpdate | AlgoUpdate
