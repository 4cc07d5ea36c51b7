"""Funding payments and liquidations of futures accounts, on the emulator clock.

Funding: at each funding time every open position pays or receives ``position notional at the
mark * funding rate`` (a long pays a positive rate). The payment moves the wallet (and the
isolated wallet of an isolated position), is an ``income`` row ``FUNDING_FEE``, and is reported
as ``ACCOUNT_UPDATE`` with ``m: FUNDING_FEE``, ``S`` the symbol and the payment as the balance's
``bc`` (funding is neither PnL nor commission): balances only for a cross
position, balances and the position for an isolated one (reference 6.5).

Liquidation: an account's cross positions of one margin asset are liquidated when the cross
margin balance (cross wallet + cross unrealised PnL) is at or below their maintenance margin;
an isolated position when its isolated wallet + unrealised PnL is. Before that, when the margin
ratio (maintenance / margin balance) first reaches :data:`MARGIN_CALL_RATIO`, the account gets
``MARGIN_CALL``. The engine takes a liquidated position over: the account's open orders on the
symbol are canceled, then an IOC taker order owned by the account, client id ``autoclose-<ms>``,
closes it on the book (``ORDER_TRADE_UPDATE`` with ``o: LIQUIDATION``: ``x: NEW``, as Binance
documents it, then ``x: CALCULATED`` per fill); the
public ``forceOrder`` reports it and the account's ``forceOrders`` history keeps it. Whatever
the book could not absorb is taken over by the insurance fund at the mark price.
"""

from __future__ import annotations

from decimal import Decimal

from ..core import Liquidation
from ..events import EngineEvent
from ..markets import Market
from ..types import Side
from .account import FuturesAccount
from .events import FuturesOrderInfo, MarginCall, MarginCallRow
from .positions import Position
from .settlement import FuturesSettlement, _q8, account_update

__all__ = ["MARGIN_CALL_RATIO", "check_margins", "liquidate", "settle_funding"]

MARGIN_CALL_RATIO = Decimal("0.8")
_ZERO = Decimal(0)


def _accounts(st: FuturesSettlement) -> list[FuturesAccount]:
    out = []
    for account in st.accounts:
        fa = account.venues.get(st.venue)
        if isinstance(fa, FuturesAccount):
            out.append(fa)
    return out


def settle_funding(
    st: FuturesSettlement, rates: dict[str, tuple[Decimal, Decimal]], now: int
) -> list[EngineEvent]:
    """Pay funding on every open position of a symbol in ``rates`` (symbol -> (mark, rate))."""
    events: list[EngineEvent] = []
    for fa in _accounts(st):
        for pos in fa.open_positions():
            if pos.symbol not in rates:
                continue
            mark, rate = rates[pos.symbol]
            payment = _q8(-pos.notional(mark) * rate)
            if payment == 0:
                continue
            fa.move(pos.margin_asset, payment)
            isolated = fa.isolated(pos.symbol)
            if isolated:
                pos.isolated_wallet = max(_ZERO, pos.isolated_wallet + payment)
            fa.add_income(pos.symbol, "FUNDING_FEE", payment, pos.margin_asset, now)
            fa.update_time = now
            events.append(
                account_update(
                    fa,
                    "FUNDING_FEE",
                    now,
                    [pos.margin_asset],
                    [pos] if isolated else [],
                    st.marks,
                    change=payment,
                    symbol=pos.symbol,
                )
            )
    return events


def _call_rows(
    st: FuturesSettlement, fa: FuturesAccount, positions: list[Position]
) -> tuple[MarginCallRow, ...]:
    rows = []
    for p in positions:
        mark = st.marks(p.symbol)
        isolated = fa.isolated(p.symbol)
        rows.append(
            MarginCallRow(
                p.symbol,
                p.side,
                p.amount,
                "ISOLATED" if isolated else "CROSSED",
                p.isolated_wallet if isolated else _ZERO,
                mark,
                p.unrealized(mark),
                st.brackets.maint_margin(p.notional(mark)),
            )
        )
    return tuple(rows)


def margin_call(
    st: FuturesSettlement, fa: FuturesAccount, positions: list[Position], now: int
) -> MarginCall:
    """Return ``MARGIN_CALL`` for ``positions`` of ``fa``."""
    asset = positions[0].margin_asset if positions else "USDT"
    isolated = sum((p.isolated_wallet for p in fa.open_positions()), _ZERO)
    return MarginCall(
        fa.account.id, now, fa.balance(asset) - isolated, _call_rows(st, fa, positions)
    )


def check_margins(st: FuturesSettlement, now: int) -> list[EngineEvent]:
    """Send margin calls and liquidate what fell to its maintenance margin (module docstring)."""
    events: list[EngineEvent] = []
    for fa in _accounts(st):
        if not fa.open_positions():
            fa.margin_called.clear()
            continue
        marks = {p.symbol: st.marks(p.symbol) for p in fa.open_positions()}
        summary = fa.summary(marks, st.brackets, st.open_order_initial(fa))
        doomed: list[Position] = []
        for asset, s in summary.items():
            cross = [
                p
                for p in fa.open_positions()
                if p.margin_asset == asset and not fa.isolated(p.symbol)
            ]
            if not cross or s.cross_maint <= 0:
                fa.margin_called.discard(asset)
                continue
            balance = s.cross_wallet + s.cross_unrealized
            if balance <= s.cross_maint:
                doomed += cross
            elif s.cross_maint / balance >= MARGIN_CALL_RATIO:
                if asset not in fa.margin_called:
                    fa.margin_called.add(asset)
                    events.append(margin_call(st, fa, cross, now))
            else:
                fa.margin_called.discard(asset)
        for p in fa.open_positions():
            if fa.isolated(p.symbol):
                mark = marks[p.symbol]
                maint = st.brackets.maint_margin(p.notional(mark))
                if p.isolated_wallet + p.unrealized(mark) <= maint:
                    doomed.append(p)
        for symbol in sorted({p.symbol for p in doomed}):
            events += liquidate(st, fa, st.engine.market(symbol), now)
    return events


def liquidate(
    st: FuturesSettlement, fa: FuturesAccount, m: Market, now: int, *, call: bool = False
) -> list[EngineEvent]:
    """Take ``fa``'s positions on ``m`` over (module docstring).

    ``call`` sends ``MARGIN_CALL`` first (a forced liquidation through the control API).
    """
    positions = fa.open_positions(m.symbol)
    events: list[EngineEvent] = []
    if not positions:
        return events
    if call:
        events.append(margin_call(st, fa, positions, now))
    owner = fa.account.id
    for record in st.open_orders(owner, m.symbol):
        _, canceled = st.engine.cancel_order(m.symbol, record.order_id, now)
        events += st.settle(canceled, now)
    for pos in positions:
        side: Side = "SELL" if pos.amount > 0 else "BUY"
        qty = abs(pos.amount)
        client_id = f"autoclose-{now}{len(fa.force_orders):03d}"
        res, placed = st.engine.place_order(
            m.symbol, side, "MARKET", quantity=qty, owner=owner, client_order_id=client_id, now=now
        )
        placed_record = st.engine.order(res.order_id)
        info = FuturesOrderInfo(
            position_side=pos.side,
            reduce_only=True,
            display_type="LIQUIDATION",
            time_in_force="IOC",
        )
        if placed_record is not None:
            st.remember(placed_record, info)
        else:
            st.info[res.order_id] = info
        fa.force_orders.append(res.order_id)
        events += st.settle(placed, now)
        if pos.amount != 0:  # the book could not absorb it all: the insurance fund takes it
            mark = st.marks(m.symbol)
            realized = _q8(pos.apply(-pos.amount, mark, _ZERO, now))
            fa.move(pos.margin_asset, realized)
            if realized:
                fa.add_income(m.symbol, "INSURANCE_CLEAR", realized, pos.margin_asset, now)
            pos.isolated_wallet = _ZERO
            events.append(account_update(fa, "ORDER", now, [pos.margin_asset], [pos], st.marks))
        worst = res.fills[-1].price if res.fills else st.marks(m.symbol)
        avg = res.cumulative_quote_qty / res.executed_qty if res.executed_qty else worst
        last = res.fills[-1].qty if res.fills else _ZERO
        status = "FILLED" if res.executed_qty == qty else "EXPIRED"
        events.append(
            Liquidation(m.symbol, side, qty, worst, avg, status, last, res.executed_qty, now, owner)
        )
    fa.margin_called.discard(m.margin_asset)
    return events
