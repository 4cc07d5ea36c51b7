"""The spot ledger: what an account's orders lock, what each fill moves, the commissions.

The matching engine calls the ledger for orders that belong to an account (background orders
have no owner and move no wallet):

- :meth:`SpotLedger.reserve` at placement locks what the order may spend: ``qty * price`` of
  the quote asset for a BUY with a limit price, ``qty`` of the base asset for a SELL, the
  estimated cost for a MARKET BUY (or its ``quoteOrderQty``), ``qty * stopPrice`` for a stop
  BUY that becomes a MARKET order. Not enough free balance is ``-2010 "Account has insufficient
  balance for requested action."``
- :meth:`SpotLedger.settle` for each fill pays from the locked amount, returns the unused part
  of a limit BUY's lock (price improvement), and credits the asset received minus the
  commission. Binance charges the commission in the asset received (BUY: base, SELL: quote) at
  the maker or taker rate plus the buyer or seller rate; it is rounded up to the asset's
  commission precision (8 decimals).
- :meth:`SpotLedger.release` returns what is still locked when the order is final.

Each step's touched assets become one ``outboundAccountPosition`` per account
(:meth:`SpotLedger.positions`). Fees are accumulated in :attr:`SpotLedger.fees`, so
``sum(balances) + fees`` is conserved by every trade between accounts. Every account's trades
are kept for ``myTrades`` (the latest ``keep_trades`` per account).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_UP, Decimal

from .accounts import Account, Accounts, InsufficientBalance
from .events import AccountPosition
from .markets import Market
from .orders import OrderRecord
from .stops import STOP_TYPES, working_type
from .tape import Trade
from .types import AccountId, Side

__all__ = ["AccountTrade", "Hold", "SpotLedger"]

_ZERO = Decimal(0)


@dataclass
class Hold:
    """What one order still has locked: ``amount`` of ``asset``.

    ``unit_price`` is set for a BUY with a limit price: each unit filled releases
    ``unit_price`` of the lock, whatever the fill price.
    """

    asset: str
    amount: Decimal
    unit_price: Decimal | None = None


@dataclass(frozen=True)
class AccountTrade:
    """One fill as ``myTrades`` reports it."""

    symbol: str
    trade_id: int
    order_id: int
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    commission: Decimal
    commission_asset: str
    time: int
    is_buyer: bool
    is_maker: bool


def _round_up(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_UP)


class SpotLedger:
    """Locks, fills and commissions of accounts' spot orders."""

    def __init__(self, accounts: Accounts, keep_trades: int = 100_000) -> None:
        self.accounts = accounts
        self.keep_trades = keep_trades
        self.fees: dict[str, Decimal] = {}
        self._holds: dict[int, Hold] = {}
        self._touched: dict[AccountId, set[str]] = {}
        self._trades: dict[AccountId, deque[AccountTrade]] = {}

    def account(self, owner: AccountId | None) -> Account | None:
        """Return the account ``owner`` names (None for background orders)."""
        return self.accounts.by_id(owner)

    def hold(self, order_id: int) -> Hold | None:
        """Return what order ``order_id`` still has locked."""
        return self._holds.get(order_id)

    def _touch(self, account: Account, *assets: str) -> None:
        self._touched.setdefault(account.id, set()).update(assets)

    # -- placement ---------------------------------------------------------------------------

    def reserve(
        self,
        record: OrderRecord,
        asset: str,
        amount: Decimal,
        now: int,
        unit_price: Decimal | None = None,
    ) -> None:
        """Lock ``amount`` of ``asset`` for ``record``.

        Raises:
            InsufficientBalance: the account's free balance is smaller.
        """
        account = self.account(record.owner)
        if account is None:
            return
        account.spot.lock(asset, amount)
        account.update_time = now
        self._holds[record.order_id] = Hold(asset, amount, unit_price)
        self._touch(account, asset)

    def reserve_order(
        self,
        record: OrderRecord,
        m: Market,
        sweep: Callable[[Side, Decimal | None, Decimal | None], tuple[Decimal, Decimal]],
    ) -> None:
        """Lock what a new order may spend; ``sweep(side, qty, quote)`` prices the book.

        Raises:
            InsufficientBalance: the account cannot cover it.
        """
        if self.account(record.owner) is None:
            return
        wtype = working_type(record.order_type)
        qty, ts = record.orig_qty, record.time
        if record.side == "SELL":
            if qty is None:  # quote-sized MARKET SELL: the base the sweep would sell
                qty = sweep("BUY", None, record.quote_order_qty)[0]
            self.reserve(record, m.base, qty, ts)
        elif wtype in ("LIMIT", "LIMIT_MAKER"):
            assert qty is not None and record.price is not None
            self.reserve(record, m.quote, qty * record.price, ts, unit_price=record.price)
        elif record.order_type in STOP_TYPES:
            assert qty is not None and record.stop_price is not None
            self.reserve(record, m.quote, qty * record.stop_price, ts)
        elif qty is None:
            assert record.quote_order_qty is not None
            self.reserve(record, m.quote, record.quote_order_qty, ts)
        else:
            self.reserve(record, m.quote, sweep("SELL", qty, None)[1], ts)

    def reserve_list(self, holder: OrderRecord, legs: list[OrderRecord], m: Market) -> None:
        """Lock once for an order list (Binance does): ``qty`` of the base asset for a SELL,
        the dearest leg's quote need for a BUY (``qty * price`` for a ``LIMIT_MAKER``,
        ``qty * stopPrice`` for a stop leg); ``holder`` holds the lock.

        Raises:
            InsufficientBalance: the account cannot cover it.
        """
        qty = holder.orig_qty
        assert qty is not None
        if holder.side == "SELL":
            self.reserve(holder, m.base, qty, holder.time)
            return
        needs = []
        for leg in legs:
            mark = leg.price if leg.order_type == "LIMIT_MAKER" else leg.stop_price
            assert mark is not None
            needs.append(qty * mark)
        unit = holder.price if holder.order_type == "LIMIT_MAKER" else None
        self.reserve(holder, m.quote, max(needs), holder.time, unit_price=unit)

    def move_hold(self, from_id: int, to: OrderRecord) -> None:
        """Hand an order list's lock from leg ``from_id`` to ``to`` (the leg that now works)."""
        hold = self._holds.pop(from_id, None)
        if hold is not None:
            hold.unit_price = None  # a stop leg pays as a stop order does (topped up if needed)
            self._holds[to.order_id] = hold

    def top_up(self, record: OrderRecord, needed: Decimal, now: int) -> bool:
        """Make sure ``record``'s lock covers ``needed``; lock more from free if it can.

        Returns False when the account cannot cover it (the order stops matching).
        """
        account = self.account(record.owner)
        hold = self._holds.get(record.order_id)
        if account is None or hold is None or hold.amount >= needed:
            return True
        try:
            account.spot.lock(hold.asset, needed - hold.amount)
        except InsufficientBalance:
            return False
        account.update_time = now
        hold.amount = needed
        self._touch(account, hold.asset)
        return True

    # -- fills -------------------------------------------------------------------------------

    def settle(
        self, record: OrderRecord, market: Market, trade: Trade, is_maker: bool, now: int
    ) -> tuple[Decimal, str]:
        """Move one fill of ``record`` between its wallets; return (commission, asset).

        Called before the record counts the fill, so an order's first fill is known.
        """
        buyer = record.side == "BUY"
        received = market.base if buyer else market.quote
        account = self.account(record.owner)
        if account is None:
            return _ZERO, received
        wallet = account.spot
        hold = self._holds.get(record.order_id)
        if buyer:
            paid_asset, paid, gross = market.quote, trade.quote_qty, trade.qty
        else:
            paid_asset, paid, gross = market.base, trade.qty, trade.quote_qty
        released = paid
        if hold is not None and hold.unit_price is not None:
            released = trade.qty * hold.unit_price  # a limit BUY's lock for these units
        wallet.spend_locked(paid_asset, paid)
        if released > paid:
            wallet.unlock(paid_asset, released - paid)
        if hold is not None:
            hold.amount -= released
        places = market.base_precision if buyer else market.quote_precision
        rate = account.commission.rate(is_maker, record.side)
        commission = _round_up(gross * rate, places) if rate else _ZERO
        wallet.credit(received, gross - commission)
        if commission:
            self.fees[received] = self.fees.get(received, _ZERO) + commission
        if record.executed_qty == 0:
            account.orders.first_fill(now)
        account.update_time = now
        self._touch(account, paid_asset, received)
        trades = self._trades.setdefault(account.id, deque(maxlen=self.keep_trades))
        trades.append(
            AccountTrade(
                market.symbol,
                trade.trade_id,
                record.order_id,
                trade.price,
                trade.qty,
                trade.quote_qty,
                commission,
                received,
                now,
                buyer,
                is_maker,
            )
        )
        return commission, received

    def release_units(self, record: OrderRecord, qty: Decimal, now: int) -> None:
        """Return the lock of ``qty`` units no longer wanted (amended, self-trade prevented)."""
        hold = self._holds.get(record.order_id)
        account = self.account(record.owner)
        if hold is None or account is None:
            return
        amount = qty * hold.unit_price if hold.unit_price is not None else qty
        if record.side == "BUY" and hold.unit_price is None:
            return  # a MARKET BUY's budget is returned when the order is final
        amount = min(amount, hold.amount)
        account.spot.unlock(hold.asset, amount)
        hold.amount -= amount
        account.update_time = now
        self._touch(account, hold.asset)

    def release(self, record: OrderRecord, now: int) -> None:
        """Return whatever ``record`` still has locked (it is final)."""
        hold = self._holds.pop(record.order_id, None)
        account = self.account(record.owner)
        if hold is None or account is None or hold.amount <= 0:
            return
        account.spot.unlock(hold.asset, hold.amount)
        account.update_time = now
        self._touch(account, hold.asset)

    # -- reads -------------------------------------------------------------------------------

    def positions(self, now: int) -> list[AccountPosition]:
        """Return one ``outboundAccountPosition`` per account touched since the last call."""
        out = []
        for owner, assets in self._touched.items():
            account = self.accounts.by_id(owner)
            if account is not None:
                out.append(account.position_event(assets, now))
        self._touched.clear()
        return out

    def trades(self, owner: AccountId, symbol: str) -> list[AccountTrade]:
        """Return the account's trades of ``symbol``, oldest first."""
        return [t for t in self._trades.get(owner, ()) if t.symbol == symbol]
