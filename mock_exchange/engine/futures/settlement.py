"""Futures settlement: the engine's order updates become positions, margin and user data.

The matching engine is shared by every venue (:mod:`mock_exchange.engine.core`); what a fill
*means* differs. On spot it moves wallet balances; on a futures venue it changes a position
(:mod:`.positions`), realises PnL, charges a commission in the margin asset, and is reported as
``ORDER_TRADE_UPDATE`` (+ ``TRADE_LITE``) and ``ACCOUNT_UPDATE`` (``m: ORDER``). The
:class:`FuturesSettlement` of a venue reads the events one engine call returned and returns the
events to publish: every :class:`~mock_exchange.engine.events.OrderUpdate` of an account's
futures order is replaced by a :class:`~.events.FuturesOrderUpdate` carrying the fill's
commission and realised PnL, and each account a step touched gets one ``ACCOUNT_UPDATE``.

Commission: the maker or taker rate on the fill's notional (quote for USD-M, base for COIN-M:
``contracts * size / price``), rounded to 8 decimals, paid from the wallet with the realised
PnL; both become ``income`` rows (``COMMISSION``, ``REALIZED_PNL``) and the fill a
``userTrades`` row. Isolated positions move the opening part's initial margin from the cross
wallet into their isolated wallet and give back a closed part's share of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal

from ..accounts import Accounts
from ..core import Engine
from ..events import BalanceUpdate, EngineEvent, OrderUpdate
from ..markets import Market
from ..orders import OrderRecord
from ..tape import Trade
from ..types import AccountId
from .account import FuturesAccount, FuturesTrade, futures_account
from .algo import AlgoBook
from .brackets import Brackets, brackets_for
from .events import (
    BalanceRow,
    FuturesAccountUpdate,
    FuturesOrderInfo,
    FuturesOrderUpdate,
    OrderAmendment,
    PositionRow,
)
from .positions import Position

__all__ = ["FuturesSettlement", "account_update", "fee_of", "position_row"]

_ZERO = Decimal(0)
_PLACES = Decimal("0.00000001")
# why an order expired (``er`` in ORDER_TRADE_UPDATE)
REDUCE_ONLY_KNOCKOUT = "REDUCE_ONLY"
GTD_EXPIRED = "GTD"
_EXPIRY_CODES = {REDUCE_ONLY_KNOCKOUT: 4, GTD_EXPIRED: 6}


def _q8(value: Decimal) -> Decimal:
    return value.quantize(_PLACES, rounding=ROUND_HALF_UP)


def fee_of(market: Market, qty: Decimal, price: Decimal, rate: Decimal) -> Decimal:
    """Return the commission of a fill (8 decimals) in the market's margin asset."""
    if market.kind == "coinm":
        notional = qty * market.contract_size / price if price else _ZERO
    else:
        notional = qty * price
    return _q8(notional * rate)


def position_row(fa: FuturesAccount, pos: Position, mark: Decimal) -> PositionRow:
    """Return the ``P`` entry of ``pos`` at ``mark``."""
    isolated = fa.isolated(pos.symbol)
    return PositionRow(
        pos.symbol,
        pos.amount,
        pos.entry,
        pos.break_even(),
        pos.realized,
        pos.unrealized(mark) if pos.amount else _ZERO,
        "isolated" if isolated else "cross",
        pos.isolated_wallet if isolated else _ZERO,
        pos.side,
    )


def account_update(
    fa: FuturesAccount,
    reason: str,
    now: int,
    assets: Iterable[str],
    positions: Iterable[Position],
    marks: Callable[[str], Decimal],
    *,
    change: Decimal = _ZERO,
    symbol: str | None = None,
) -> FuturesAccountUpdate:
    """Return ``ACCOUNT_UPDATE`` for the given assets and positions of ``fa``."""
    rows = []
    for asset in sorted(set(assets)):
        wallet = fa.balance(asset)
        isolated = sum(
            (p.isolated_wallet for p in fa.open_positions() if p.margin_asset == asset),
            _ZERO,
        )
        rows.append(BalanceRow(asset, wallet, wallet - isolated, change))
    prows = tuple(position_row(fa, p, marks(p.symbol)) for p in positions)
    return FuturesAccountUpdate(fa.account.id, reason, now, tuple(rows), prows, symbol)


class FuturesSettlement:
    """One futures venue's settlement of fills, with the orders' futures attributes."""

    def __init__(
        self, venue: str, engine: Engine, accounts: Accounts, marks: Callable[[str], Decimal]
    ) -> None:
        self.venue = venue
        self.engine = engine
        self.accounts = accounts
        self.marks = marks
        self.brackets: Brackets = brackets_for(venue)
        self.info: dict[int, FuturesOrderInfo] = {}
        # open orders per owner: order ids (the records live in the engine's store)
        self.open: dict[AccountId, set[int]] = {}
        # every order of an owner, oldest first (``allOrders``)
        self.history: dict[AccountId, list[int]] = {}
        # conditional orders waiting for their trigger (the Algo Order API)
        self.algos = AlgoBook()
        # auto-cancel countdowns (countdownCancelAll): (owner, symbol) -> deadline
        self.countdowns: dict[tuple[AccountId, str], int] = {}
        # modifies per order id, oldest first (``orderAmendment``)
        self.amendments: dict[int, list[OrderAmendment]] = {}

    # -- lookups ------------------------------------------------------------------------------

    def account_of(self, owner: AccountId | None) -> FuturesAccount | None:
        """Return the futures state of the account ``owner`` names, or None."""
        account = self.accounts.by_id(owner)
        return None if account is None else futures_account(account, self.venue)

    def open_orders(self, owner: AccountId, symbol: str | None = None) -> list[OrderRecord]:
        """Return the owner's open orders (of ``symbol``), oldest first."""
        out = []
        for order_id in sorted(self.open.get(owner, ())):
            record = self.engine.order(order_id)
            if record is not None and record.is_open and symbol in (None, record.symbol):
                out.append(record)
        return out

    def remember(self, record: OrderRecord, info: FuturesOrderInfo) -> None:
        """Note a new order's futures attributes (before the engine reports it)."""
        self.info[record.order_id] = info
        if record.owner is None:
            return
        self.history.setdefault(record.owner, []).append(record.order_id)
        if record.is_open:
            self.open.setdefault(record.owner, set()).add(record.order_id)

    def all_orders(self, owner: AccountId, symbol: str) -> list[OrderRecord]:
        """Return the owner's orders of ``symbol`` the engine still remembers, oldest first."""
        out = []
        for order_id in self.history.get(owner, ()):
            record = self.engine.order(order_id)
            if record is not None and record.symbol == symbol:
                out.append(record)
        return out

    def open_order_initial(self, fa: FuturesAccount) -> dict[str, Decimal]:
        """Return the initial margin the account's open orders hold, per margin asset.

        Per symbol, each side's open quantity beyond what it would close of the position is
        margined at its price over the leverage; the larger side counts (Binance margins the
        riskier side of a symbol's open orders).
        """
        out: dict[str, Decimal] = {}
        by_symbol: dict[str, list[OrderRecord]] = {}
        for record in self.open_orders(fa.account.id):
            by_symbol.setdefault(record.symbol, []).append(record)
        for symbol, records in by_symbol.items():
            m = self.engine.market(symbol)
            lev = fa.settings_of(symbol).leverage
            sides = {"BUY": _ZERO, "SELL": _ZERO}
            for side in sides:
                want = [r for r in records if r.side == side and not self._reduce_only(r)]
                qty = sum(((r.orig_qty or _ZERO) - r.executed_qty for r in want), _ZERO)
                closable = sum(
                    (p.closable(side) for p in fa.open_positions(symbol) if p.side == "BOTH"),
                    _ZERO,
                )
                opening = max(_ZERO, qty - closable)
                price = max((r.price or _ZERO for r in want), default=_ZERO)
                sides[side] = self.notional(m, opening, price)
            out[m.margin_asset] = out.get(m.margin_asset, _ZERO) + max(sides.values()) / lev
        return out

    def _reduce_only(self, record: OrderRecord) -> bool:
        info = self.info.get(record.order_id)
        if info is None:
            return False
        closes = info.position_side == "LONG" and record.side == "SELL"
        closes |= info.position_side == "SHORT" and record.side == "BUY"
        return info.reduce_only or closes

    @staticmethod
    def notional(m: Market, qty: Decimal, price: Decimal) -> Decimal:
        """Return ``qty`` at ``price`` as a notional in the margin asset."""
        if m.kind == "coinm":
            return qty * m.contract_size / price if price else _ZERO
        return qty * price

    # -- settlement ---------------------------------------------------------------------------

    def settle(self, events: list[EngineEvent], now: int) -> list[EngineEvent]:
        """Return ``events`` with futures order updates settled (see the module docstring)."""
        out: list[EngineEvent] = []
        touched: dict[AccountId, tuple[set[str], dict[tuple[str, str], Position]]] = {}
        for ev in events:
            if isinstance(ev, BalanceUpdate) and ev.wallet == self.venue:
                out.append(self._deposit(ev))
                continue
            if not isinstance(ev, OrderUpdate) or ev.order.order_id not in self.info:
                out.append(ev)
                continue
            out.extend(self._order_update(ev, now, touched))
        for owner, (assets, positions) in touched.items():
            fa = self.account_of(owner)
            if fa is not None:
                out.append(account_update(fa, "ORDER", now, assets, positions.values(), self.marks))
                out += self._knock_out(fa, {p.symbol for p in positions.values()}, now)
        return out

    def _knock_out(self, fa: FuturesAccount, symbols: set[str], now: int) -> list[EngineEvent]:
        """Expire the resting reduce-only orders a fill left with nothing to reduce (er 4)."""
        out: list[EngineEvent] = []
        for symbol in sorted(symbols):
            m = self.engine.market(symbol)
            for record in self.open_orders(fa.account.id, symbol):
                info = self.info[record.order_id]
                if not self._reduce_only(record) or info.display_type == "LIQUIDATION":
                    continue
                if fa.position(m, info.position_side).closable(record.side) > 0:
                    continue
                if self.engine.is_resting(record):
                    expired = self.engine.expire(record, REDUCE_ONLY_KNOCKOUT, now=now)
                    out += self.settle(expired, now)
        return out

    def expire_due(self, now: int) -> list[EngineEvent]:
        """Expire the GTD orders whose ``goodTillDate`` has come (er 6), and cancel the open
        orders of every auto-cancel countdown that has run out."""
        out: list[EngineEvent] = []
        for owner in list(self.open):
            for record in self.open_orders(owner):
                info = self.info[record.order_id]
                if info.good_till and now >= info.good_till and self.engine.is_resting(record):
                    out += self.settle(self.engine.expire(record, GTD_EXPIRED, now=now), now)
        for (owner, symbol), deadline in sorted(self.countdowns.items()):
            if deadline > now:
                continue
            del self.countdowns[(owner, symbol)]
            for record in self.open_orders(owner, symbol):
                if self.engine.is_resting(record):
                    _, events = self.engine.cancel_order(symbol, record.order_id, now)
                    out += self.settle(events, now)
        return out

    def set_countdown(self, owner: AccountId, symbol: str, countdown_ms: int, now: int) -> None:
        """(Re)start the owner's auto-cancel countdown of ``symbol``; 0 stops it."""
        if countdown_ms == 0:
            self.countdowns.pop((owner, symbol), None)
        else:
            self.countdowns[(owner, symbol)] = now + countdown_ms

    def _deposit(self, ev: BalanceUpdate) -> EngineEvent:
        fa = self.account_of(ev.owner)
        if fa is None:
            return ev
        fa.update_time = ev.time
        kind = "DEPOSIT" if ev.delta >= 0 else "WITHDRAW"
        fa.add_income("", "TRANSFER", ev.delta, ev.asset, ev.time)
        return account_update(fa, kind, ev.time, [ev.asset], [], self.marks, change=ev.delta)

    def _order_update(
        self,
        ev: OrderUpdate,
        now: int,
        touched: dict[AccountId, tuple[set[str], dict[tuple[str, str], Position]]],
    ) -> list[EngineEvent]:
        record, info = ev.order, self.info[ev.order.order_id]
        fa = self.account_of(ev.owner)
        if not record.is_open:
            self.open.get(ev.owner, set()).discard(record.order_id)
        if fa is None:
            return []
        liquidation = info.display_type == "LIQUIDATION"
        if ev.execution != "TRADE" or ev.trade is None:
            return [self._update(ev, info, now)]
        trade = ev.trade
        m = self.engine.market(record.symbol)
        is_maker = trade.maker_order_id == record.order_id
        rate = fa.maker_rate if is_maker else fa.taker_rate
        fee = fee_of(m, trade.qty, trade.price, rate)
        pos = fa.position(m, info.position_side)
        realized = self._apply(fa, m, pos, record.side, trade, fee, now)
        asset = m.margin_asset
        fa.move(asset, realized - fee)
        fa.fees_paid[asset] = fa.fees_paid.get(asset, _ZERO) + fee
        trade_ref = str(trade.trade_id)
        if realized:
            fa.add_income(m.symbol, "REALIZED_PNL", realized, asset, now, trade_ref)
        if fee:
            fa.add_income(m.symbol, "COMMISSION", -fee, asset, now, trade_ref)
        fa.trades.append(
            FuturesTrade(
                m.symbol,
                trade.trade_id,
                record.order_id,
                record.side,
                info.position_side,
                trade.price,
                trade.qty,
                trade.quote_qty,
                fee,
                asset,
                realized,
                is_maker,
                trade.time,
            )
        )
        fa.update_time = now
        assets, positions = touched.setdefault(ev.owner, (set(), {}))
        assets.add(asset)
        positions[(pos.symbol, pos.side)] = pos
        return [
            self._update(
                ev,
                info,
                now,
                is_maker=is_maker,
                commission=fee,
                asset=asset,
                realized=realized,
                execution="CALCULATED" if liquidation else "TRADE",
            )
        ]

    def _apply(
        self,
        fa: FuturesAccount,
        m: Market,
        pos: Position,
        side: str,
        trade: Trade,
        fee: Decimal,
        now: int,
    ) -> Decimal:
        held = abs(pos.amount)
        signed = trade.qty if side == "BUY" else -trade.qty
        closing = min(pos.closable(side), trade.qty)
        iso_before = pos.isolated_wallet
        realized = pos.apply(signed, trade.price, fee, now)
        realized = _q8(realized)
        if fa.isolated(m.symbol):
            released = iso_before * closing / held if held else _ZERO
            opening = trade.qty - closing
            added = self.notional(m, opening, trade.price) / fa.settings_of(m.symbol).leverage
            pos.isolated_wallet = _q8(max(_ZERO, iso_before - released) + added)
            if pos.amount == 0:
                pos.isolated_wallet = _ZERO
        return realized

    def _update(
        self,
        ev: OrderUpdate,
        info: FuturesOrderInfo,
        now: int,
        *,
        is_maker: bool = False,
        commission: Decimal = _ZERO,
        asset: str = "",
        realized: Decimal = _ZERO,
        execution: str | None = None,
    ) -> FuturesOrderUpdate:
        fa = self.account_of(ev.owner)
        bid, ask = self._order_notionals(fa) if fa is not None else (_ZERO, _ZERO)
        expiry = 0
        if ev.execution == "EXPIRED":
            expiry = _EXPIRY_CODES.get(ev.order.expiry_reason or "", 0)
            if not expiry and info.time_in_force in ("IOC", "FOK"):
                expiry = 2
        elif ev.execution == "TRADE_PREVENTION":  # futures report STP as EXPIRED, er 1
            execution, expiry = execution or "EXPIRED", 1
        return FuturesOrderUpdate(
            ev.owner,
            now,
            execution or ev.execution,
            ev.order,
            info,
            ev.trade,
            is_maker,
            commission,
            asset or self.engine.market(ev.order.symbol).margin_asset,
            realized,
            bid,
            ask,
            expiry,
        )

    def _order_notionals(self, fa: FuturesAccount) -> tuple[Decimal, Decimal]:
        bid = ask = _ZERO
        for record in self.open_orders(fa.account.id):
            m = self.engine.market(record.symbol)
            left = (record.orig_qty or _ZERO) - record.executed_qty
            value = self.notional(m, left, record.price or _ZERO)
            if record.side == "BUY":
                bid += value
            else:
                ask += value
        return bid, ask
