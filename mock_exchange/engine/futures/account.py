"""A futures account on one venue: settings, positions, wallet moves, income, margin figures.

:class:`FuturesAccount` is kept in :attr:`Account.venues <mock_exchange.engine.accounts.Account>`
under the venue's name (``usdm``, ``coinm``); its wallet is the account's futures wallet of that
venue. Binance's defaults: one-way mode, 20x leverage, cross margin. The wallet balance is the
wallet's ``free`` amount (futures wallets lock nothing: open orders reserve margin, not funds).

Margin figures (:meth:`FuturesAccount.summary`), per margin asset (reference: Binance's account
endpoints): position initial margin ``|notional| / leverage``; maintenance margin from the
leverage brackets; margin balance ``wallet + unrealised PnL``; cross wallet ``wallet - isolated
wallets``; available balance ``cross wallet + cross unrealised PnL - cross position initial
margin - open order initial margin``. A loss larger than the wallet empties it; the shortfall
is kept in :attr:`FuturesAccount.shortfall` (the insurance fund pays it), so ``wallet -
shortfall`` is exactly deposits + realised PnL - commissions + funding.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from ...errors import ExchangeError
from ..accounts import Account, Wallet
from ..markets import Market
from .brackets import Brackets
from .positions import Position

__all__ = [
    "AssetSummary",
    "FuturesAccount",
    "FuturesTrade",
    "Income",
    "MarginChange",
    "SymbolSettings",
    "futures_account",
]

_ZERO = Decimal(0)
DEFAULT_LEVERAGE = 20
_TRAN_IDS = itertools.count(9_689_322_392)


@dataclass
class SymbolSettings:
    """Leverage and margin type of one symbol (``CROSSED`` or ``ISOLATED``)."""

    leverage: int = DEFAULT_LEVERAGE
    margin_type: str = "CROSSED"


@dataclass(frozen=True)
class Income:
    """One ``GET /fapi/v1/income`` row."""

    symbol: str
    income_type: str
    income: Decimal
    asset: str
    info: str
    time: int
    tran_id: int
    trade_id: str = ""


@dataclass(frozen=True)
class FuturesTrade:
    """One fill of an account's order (``userTrades``)."""

    symbol: str
    trade_id: int
    order_id: int
    side: str
    position_side: str
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    commission: Decimal
    commission_asset: str
    realized: Decimal
    is_maker: bool
    time: int


@dataclass(frozen=True)
class MarginChange:
    """One isolated-margin adjustment (``positionMargin/history``)."""

    symbol: str
    kind: int  # 1 add, 2 reduce
    amount: Decimal
    asset: str
    time: int
    position_side: str


@dataclass
class AssetSummary:
    """The margin figures of one asset (see the module docstring)."""

    asset: str
    wallet: Decimal = _ZERO
    cross_wallet: Decimal = _ZERO
    unrealized: Decimal = _ZERO
    cross_unrealized: Decimal = _ZERO
    position_initial: Decimal = _ZERO
    cross_position_initial: Decimal = _ZERO
    open_order_initial: Decimal = _ZERO
    maint: Decimal = _ZERO
    cross_maint: Decimal = _ZERO

    @property
    def margin_balance(self) -> Decimal:
        """Wallet balance plus unrealised PnL."""
        return self.wallet + self.unrealized

    @property
    def initial(self) -> Decimal:
        """Position plus open-order initial margin."""
        return self.position_initial + self.open_order_initial

    @property
    def available(self) -> Decimal:
        """What new orders may use."""
        return (
            self.cross_wallet
            + self.cross_unrealized
            - self.cross_position_initial
            - self.open_order_initial
        )

    @property
    def max_withdraw(self) -> Decimal:
        """What may leave the wallet."""
        return max(_ZERO, min(self.available, self.cross_wallet))


@dataclass
class FuturesAccount:
    """One account's state on one futures venue (see the module docstring)."""

    account: Account
    venue: str
    dual_side: bool = False
    multi_assets: bool = False
    settings: dict[str, SymbolSettings] = field(default_factory=dict)
    positions: dict[tuple[str, str], Position] = field(default_factory=dict)
    income: deque[Income] = field(default_factory=lambda: deque(maxlen=100_000))
    trades: deque[FuturesTrade] = field(default_factory=lambda: deque(maxlen=100_000))
    margin_changes: deque[MarginChange] = field(default_factory=lambda: deque(maxlen=10_000))
    force_orders: list[int] = field(default_factory=list)
    shortfall: dict[str, Decimal] = field(default_factory=dict)
    fees_paid: dict[str, Decimal] = field(default_factory=dict)
    margin_called: set[str] = field(default_factory=set)
    maker_rate: Decimal = Decimal("0.0002")
    taker_rate: Decimal = Decimal("0.0005")
    update_time: int = 0

    def __repr__(self) -> str:
        return f"FuturesAccount(uid={self.account.uid}, venue={self.venue!r})"

    # -- wallet ------------------------------------------------------------------------------

    @property
    def wallet(self) -> Wallet:
        """The account's futures wallet of this venue."""
        return self.account.futures[self.venue]

    def balance(self, asset: str) -> Decimal:
        """Return the wallet balance of ``asset``."""
        return self.wallet.balance(asset).free

    def move(self, asset: str, delta: Decimal) -> None:
        """Add ``delta`` (may be negative) to the wallet; a loss beyond it is a shortfall."""
        if delta >= 0:
            self.wallet.credit(asset, delta)
            return
        held = self.balance(asset)
        taken = min(held, -delta)
        if taken > 0:
            self.wallet.debit(asset, taken)
        if -delta > taken:
            self.shortfall[asset] = self.shortfall.get(asset, _ZERO) + (-delta - taken)

    def add_income(
        self, symbol: str, kind: str, amount: Decimal, asset: str, now: int, trade_id: str = ""
    ) -> None:
        """Record an income row (``REALIZED_PNL``, ``COMMISSION``, ``FUNDING_FEE``...)."""
        info = trade_id if kind in ("REALIZED_PNL", "COMMISSION") else kind
        self.income.append(
            Income(symbol, kind, amount, asset, info, now, next(_TRAN_IDS), trade_id)
        )

    # -- settings and positions --------------------------------------------------------------

    def settings_of(self, symbol: str) -> SymbolSettings:
        """Return (creating the defaults) the settings of ``symbol``."""
        found = self.settings.get(symbol)
        if found is None:
            found = self.settings[symbol] = SymbolSettings()
        return found

    def position_sides(self) -> tuple[str, ...]:
        """Return the position sides of the current mode."""
        return ("LONG", "SHORT") if self.dual_side else ("BOTH",)

    def position(self, market: Market, side: str) -> Position:
        """Return (creating a flat one) the position of ``market`` on ``side``."""
        key = (market.symbol, side)
        found = self.positions.get(key)
        if found is None:
            size = Decimal(market.contract_size) if market.kind == "coinm" else None
            found = self.positions[key] = Position(market.symbol, side, market.margin_asset, size)
        return found

    def open_positions(self, symbol: str | None = None) -> list[Position]:
        """Return the non-zero positions (of ``symbol``), in a stable order."""
        return [
            p
            for key, p in sorted(self.positions.items())
            if p.amount != 0 and (symbol is None or key[0] == symbol)
        ]

    def positions_view(self) -> list[dict[str, str]]:
        """Return the open positions for the control API (decimal text)."""
        from ..accounts import decimal_text

        return [
            {
                "venue": self.venue,
                "symbol": p.symbol,
                "positionSide": p.side,
                "positionAmt": decimal_text(p.amount),
                "entryPrice": decimal_text(p.entry),
                "leverage": str(self.settings_of(p.symbol).leverage),
                "marginType": self.settings_of(p.symbol).margin_type,
            }
            for p in self.open_positions()
        ]

    def isolated(self, symbol: str) -> bool:
        """True when ``symbol`` uses isolated margin."""
        return self.settings_of(symbol).margin_type == "ISOLATED"

    # -- margin figures ----------------------------------------------------------------------

    def summary(
        self,
        marks: Mapping[str, Decimal],
        brackets: Brackets,
        open_order_initial: Mapping[str, Decimal] | None = None,
        assets: Iterable[str] = (),
    ) -> dict[str, AssetSummary]:
        """Return the margin figures per asset (see the module docstring).

        Args:
            marks: mark price per symbol.
            open_order_initial: initial margin open orders hold, per margin asset.
            assets: assets to list even when the wallet never held them.
        """
        out: dict[str, AssetSummary] = {}

        def row(asset: str) -> AssetSummary:
            found = out.get(asset)
            if found is None:
                bal = self.balance(asset)
                found = out[asset] = AssetSummary(asset, wallet=bal, cross_wallet=bal)
            return found

        for asset in [*assets, *self.wallet.assets()]:
            row(asset)
        for p in self.open_positions():
            s = row(p.margin_asset)
            mark = marks.get(p.symbol, p.entry)
            upnl = p.unrealized(mark)
            notional = abs(p.notional(mark))
            initial = notional / self.settings_of(p.symbol).leverage
            maint = brackets.maint_margin(notional)
            s.unrealized += upnl
            s.position_initial += initial
            s.maint += maint
            if self.isolated(p.symbol):
                s.cross_wallet -= p.isolated_wallet
            else:
                s.cross_unrealized += upnl
                s.cross_position_initial += initial
                s.cross_maint += maint
        for asset, amount in (open_order_initial or {}).items():
            row(asset).open_order_initial += amount
        return out

    # -- settings changes (Binance's checks and messages) ------------------------------------

    def set_leverage(self, market: Market, leverage: int, brackets: Brackets) -> SymbolSettings:
        """Change a symbol's leverage.

        Raises:
            ExchangeError: -4028 outside 1..max, -2027 when a position exceeds what it allows,
                -4161 (COIN-M -4150) lowering it on an isolated symbol with a position.
        """
        if leverage < 1 or leverage > brackets.max_leverage:
            raise ExchangeError(-4028, f"Leverage {leverage} is not valid")
        settings = self.settings_of(market.symbol)
        held_positions = self.open_positions(market.symbol)
        if held_positions and settings.margin_type == "ISOLATED" and leverage < settings.leverage:
            usdm = market.kind == "usdm"
            raise ExchangeError(
                -4161 if usdm else -4150,
                "Leverage reduction is not supported in Isolated Margin Mode with open positions"
                + ("" if usdm else "."),
            )
        held = sum(abs(p.amount) * p.entry for p in held_positions)
        if market.kind == "usdm" and held > brackets.max_notional(leverage):
            raise ExchangeError(
                -2027, "Exceeded the maximum allowable position at current leverage."
            )
        settings.leverage = leverage
        return settings

    def set_margin_type(self, symbol: str, margin_type: str, has_orders: bool) -> None:
        """Switch a symbol between ``CROSSED`` and ``ISOLATED``.

        Raises:
            ExchangeError: -4046 unchanged, -4047 open orders, -4048 an open position.
        """
        settings = self.settings_of(symbol)
        if settings.margin_type == margin_type:
            raise ExchangeError(-4046, "No need to change margin type.")
        if has_orders:
            raise ExchangeError(-4047, "Margin type cannot be changed if there exists open orders.")
        if self.open_positions(symbol):
            raise ExchangeError(-4048, "Margin type cannot be changed if there exists position.")
        settings.margin_type = margin_type

    def set_dual_side(self, dual: bool, has_orders: bool) -> None:
        """Switch between one-way and hedge mode.

        Raises:
            ExchangeError: -4059 unchanged, -4067 open orders, -4068 open positions.
        """
        if dual == self.dual_side:
            raise ExchangeError(-4059, "No need to change position side.")
        if has_orders:
            raise ExchangeError(
                -4067, "Position side cannot be changed if there exists open orders."
            )
        if self.open_positions():
            raise ExchangeError(-4068, "Position side cannot be changed if there exists position.")
        self.dual_side = dual

    def adjust_isolated(
        self, market: Market, side: str, amount: Decimal, kind: int, available: Decimal, now: int
    ) -> Position:
        """Add (``kind`` 1) or remove (2) isolated margin of a position.

        Raises:
            ExchangeError: -4055 amount not positive, -4049 cross margin, -4054 no position,
                -4050 / -4051 not enough cross balance / isolated margin.
        """
        if amount <= 0:
            raise ExchangeError(-4055, "Amount must be positive.")
        if not self.isolated(market.symbol):
            raise ExchangeError(-4049, "Add margin only support for isolated position.")
        pos = self.positions.get((market.symbol, side))
        if pos is None or pos.amount == 0:
            raise ExchangeError(-4054, "Cannot add position margin: position is 0.")
        if kind == 1:
            if amount > available:
                raise ExchangeError(-4050, "Cross balance insufficient.")
            pos.isolated_wallet += amount
        else:
            if amount > pos.isolated_wallet:
                raise ExchangeError(-4051, "Isolated balance insufficient.")
            pos.isolated_wallet -= amount
        pos.update_time = now
        self.margin_changes.append(
            MarginChange(market.symbol, kind, amount, market.margin_asset, now, side)
        )
        return pos


def futures_account(account: Account, venue: str) -> FuturesAccount:
    """Return (creating it) the account's state on futures ``venue``."""
    found = account.venues.get(venue)
    if not isinstance(found, FuturesAccount):
        found = FuturesAccount(account, venue)
        account.venues[venue] = found
    return found
