"""One account's user-data state: orders, trades, positions, liquidations and balance (no I/O).

:class:`AccountState` absorbs parsed events (:mod:`client.protocol.user_events`) and, after a
reconnect, the REST reads of reconciliation, through the same rules, and says which topics
changed so the adapter wakes the right watchers:

* **orders**: one row per ``(symbol, id)`` (:class:`~client.protocol.caches.KeyedCache`). An
  update is taken only when :func:`~client.protocol.orders.supersedes` says it is a later
  state of the order (the status table allows the move, no fill is undone, it is not older)
  and it differs from the held state; so an order's state is delivered once, however many
  sources (the live stream, a REST read, both sockets of a handover) report it, and never
  goes back. Fees and trades of the order's fills accumulate on it, as ccxt does.
* **trades**: each of the account's trades once (by ``(symbol, id)``), in arrival order.
* **positions**: one row per ``(symbol, positionSide)``; a position is new to watchers when its
  size or entry price changed (or a margin call reported it).
* **liquidations**: one row per liquidation order (by ``(symbol, order id)``).
* **balance**: exact amounts per currency. Spot and margin: free and used as Binance reports
  them (``outboundAccountPosition``), a ``balanceUpdate`` delta added to free and total.
  Futures: the wallet balance (``ACCOUNT_UPDATE`` ``wb``, REST ``walletBalance``) as total;
  free and used are None because no event reports them (as ccxt does).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..types import Balance, Liquidation, Order, Position, Symbol, Trade
from .account import safe_balance
from .caches import ArrayCache, KeyedCache
from .numbers import dec, integer, text
from .orders import FINAL_STATUSES, sum_fees, supersedes
from .user_events import BalanceChange, UserEvent

__all__ = ["TOPICS", "AccountState", "Changes", "futures_wallet"]

TOPICS = ("orders", "myTrades", "positions", "myLiquidations", "balance")
"""What a watcher can wait for."""

_SEEN_LIMIT_FACTOR = 4  # trade ids remembered per cached trade (dedupe beyond the cache)


@dataclass
class Changes:
    """What an event or a reconciliation changed: topic -> symbols (``None`` for balance)."""

    topics: dict[str, set[Symbol | None]] = field(default_factory=dict)

    def add(self, topic: str, symbol: Symbol | None) -> None:
        """Record a change of ``topic`` about ``symbol``."""
        self.topics.setdefault(topic, set()).add(symbol)

    def merge(self, other: Changes) -> None:
        """Add what ``other`` recorded."""
        for topic, symbols in other.topics.items():
            self.topics.setdefault(topic, set()).update(symbols)

    def __bool__(self) -> bool:
        return bool(self.topics)


def _raw_status(order: Order) -> str | None:
    info = order["info"] or {}
    status = info.get("status", info.get("X", info.get("algoStatus")))
    return str(status) if status is not None else None


def _state(order: Order) -> tuple[Any, ...]:
    return (
        _raw_status(order),
        order["filled"],
        order["amount"],
        order["price"],
        order["triggerPrice"],
    )


def _same_position(a: Position, b: Position) -> bool:
    return (
        (a["contracts"] or 0) == (b["contracts"] or 0)
        and a["entryPrice"] == b["entryPrice"]
        and a["side"] == b["side"]
    )


def futures_wallet(raw: Any) -> dict[str, Decimal | None]:
    """The wallet balance per asset of a futures account (``GET /fapi/v3/account``,
    ``/dapi/v1/account``: ``assets[].walletBalance``), skipping assets never touched."""
    rows = raw if isinstance(raw, list) else (raw or {}).get("assets", [])
    out: dict[str, Decimal | None] = {}
    for row in rows:
        code = text(row.get("asset")) if isinstance(row, dict) else None
        wallet = dec(row.get("walletBalance", row.get("balance"))) if code else None
        if code is None or (integer(row.get("updateTime")) == 0 and not wallet):
            continue
        out[code] = wallet
    return out


class AccountState:
    """The cached user data of one account (see the module doc).

    Args:
        futures: a futures account (wallet-balance semantics).
        limit: rows kept per cache (orders, trades, liquidations).
        trade_lite: take the account's trades from ``TRADE_LITE`` (first, without fees)
            rather than from ``ORDER_TRADE_UPDATE``.
    """

    def __init__(self, *, futures: bool, limit: int = 1000, trade_lite: bool = False) -> None:
        self.futures = futures
        self.trade_lite = trade_lite
        self.orders: KeyedCache[tuple[Any, Any], Order] = KeyedCache(limit)
        self.open: dict[tuple[Any, Any], Order] = {}
        self.trades: ArrayCache[Trade] = ArrayCache(limit)
        self._trade_ids: OrderedDict[tuple[Any, Any], None] = OrderedDict()
        self._trade_ids_limit = limit * _SEEN_LIMIT_FACTOR
        self.positions: KeyedCache[tuple[Any, Any], Position] = KeyedCache(None)
        self.liquidations: ArrayCache[Liquidation] = ArrayCache(limit)
        self._liquidation_ids: OrderedDict[tuple[Any, Any], None] = OrderedDict()
        self._balance: dict[str, list[Decimal | None]] = {}
        self.balance_info: Any = None
        self.balance_time: int | None = None
        self.balance_version = 0
        self.events = 0

    # -- events ------------------------------------------------------------------------------

    def apply(self, event: UserEvent) -> Changes:
        """Absorb one parsed event; return what changed."""
        self.events += 1
        changes = Changes()
        trade = event.trade
        if event.order is not None and self.apply_order(event.order, trade):
            changes.add("orders", event.order["symbol"])
        # a futures fill comes twice (TRADE_LITE first, then ORDER_TRADE_UPDATE): one source
        # feeds the trades, the option says which
        lite = self.trade_lite and self.futures
        if trade is not None and event.trade_lite == lite and self.add_trade(trade):
            changes.add("myTrades", trade["symbol"])
        for pos in event.positions:
            if self.apply_position(pos, force=event.type == "MARGIN_CALL"):
                changes.add("positions", pos["symbol"])
        if event.liquidation is not None and self.add_liquidation(event.liquidation):
            changes.add("myLiquidations", event.liquidation["symbol"])
        if event.balance is not None and self._apply_balance(event.balance, event):
            changes.add("balance", None)
        return changes

    # -- orders ------------------------------------------------------------------------------

    @staticmethod
    def order_key(order: Order) -> tuple[Any, Any]:
        """The key of an order's row: ``(symbol, id)``."""
        return (order["symbol"], order["id"])

    def apply_order(self, order: Order, trade: Trade | None = None) -> bool:
        """Take ``order`` if it is a later, different state of what is held (``trade``: the
        fill it reports, added to its fees and trades); return True when it was taken."""
        if order["id"] is None:
            return False
        key = self.order_key(order)
        current = self.orders.get(key)
        if current is not None:
            if not supersedes(current, order):
                return False
            if _state(current) == _state(order) and trade is None:
                return False
            order = self._carry(current, order, trade)
        elif trade is not None:
            order = self._carry(None, order, trade)
        self.orders.put(key, order)
        if _raw_status(order) in FINAL_STATUSES:
            self.open.pop(key, None)
        else:
            self.open[key] = order
        return True

    @staticmethod
    def _carry(current: Order | None, order: Order, trade: Trade | None) -> Order:
        """Keep what the newer state does not repeat: the first timestamp, the fills so far."""
        merged = Order(**order)
        trades = list(current["trades"]) if current is not None else []
        if trade is not None:
            same = [i for i, t in enumerate(trades) if t["id"] == trade["id"]]
            if same:
                trades[same[0]] = trade  # the fuller report of a fill seen before
            else:
                trades.append(trade)
        if trades:
            merged["trades"] = trades
            fees = sum_fees(f for t in trades for f in (t["fees"] or [t["fee"]]))
            merged["fees"] = fees
            merged["fee"] = fees[0] if len(fees) == 1 else None
        elif current is not None and not order["fees"]:
            merged["fees"], merged["fee"] = current["fees"], current["fee"]
        if current is not None and merged["timestamp"] is None:
            merged["timestamp"], merged["datetime"] = current["timestamp"], current["datetime"]
        return merged

    def open_orders(self) -> list[Order]:
        """The orders last seen open."""
        return list(self.open.values())

    # -- trades and liquidations -------------------------------------------------------------

    def add_trade(self, trade: Trade) -> bool:
        """Append the account's ``trade`` unless it was seen; its order (if held) gets it in
        its trades and fees without becoming new to watchers."""
        key = (trade["symbol"], trade["id"])
        if trade["id"] is None or key in self._trade_ids:
            return False
        self._trade_ids[key] = None
        if len(self._trade_ids) > self._trade_ids_limit:
            self._trade_ids.popitem(last=False)
        self.trades.append(trade)
        okey = (trade["symbol"], trade["order"])
        held = self.orders.get(okey)
        if held is not None and all(t["id"] != trade["id"] for t in held["trades"]):
            self.orders.replace(okey, self._carry(held, held, trade))
            if okey in self.open:
                self.open[okey] = self.orders.get(okey)  # type: ignore[assignment]
        return True

    def last_trade_time(self, symbol: Symbol) -> int | None:
        """The time of the newest trade held for ``symbol``."""
        times = [t["timestamp"] for t in self.trades if t["symbol"] == symbol and t["timestamp"]]
        return max(times) if times else None

    def add_liquidation(self, liq: Liquidation) -> bool:
        """Append the account's liquidation unless its order was reported already."""
        key = (liq["symbol"], liq["info"].get("i", liq["info"].get("orderId")))
        if key in self._liquidation_ids:
            return False
        self._liquidation_ids[key] = None
        if len(self._liquidation_ids) > self._trade_ids_limit:
            self._liquidation_ids.popitem(last=False)
        self.liquidations.append(liq)
        return True

    # -- positions ---------------------------------------------------------------------------

    @staticmethod
    def position_key(pos: Position) -> tuple[Any, Any]:
        """The key of a position's row: ``(symbol, positionSide)`` (``BOTH`` in one-way)."""
        info = pos["info"] or {}
        side = info.get("ps", info.get("positionSide"))
        if side is None:
            side = "BOTH" if not pos["hedged"] else (pos["side"] or "").upper()
        return (pos["symbol"], side)

    def apply_position(self, pos: Position, *, force: bool = False) -> bool:
        """Take ``pos`` as the position now; True when its size or entry changed (or
        ``force``: a margin call). A margin call's row keeps what it does not report."""
        key = self.position_key(pos)
        current = self.positions.get(key)
        if current is not None and force:
            merged = Position(**current)
            for k in ("markPrice", "maintenanceMargin", "unrealizedPnl", "contracts", "side"):
                if pos[k] is not None:
                    merged[k] = pos[k]
            merged["info"] = pos["info"]
            if pos["timestamp"] is not None:
                merged["timestamp"], merged["datetime"] = pos["timestamp"], pos["datetime"]
            self.positions.put(key, merged)
            return True
        if current is not None and _same_position(current, pos):
            self.positions.replace(key, pos)
            return False
        if current is None and not pos["contracts"] and not force:
            return False  # a flat position never seen open: nothing to tell
        self.positions.put(key, pos)
        return True

    # -- balance -----------------------------------------------------------------------------

    def _apply_balance(self, change: BalanceChange, event: UserEvent) -> bool:
        for code, (free, used) in change.set.items():
            total = free + used if free is not None and used is not None else None
            self._balance[code] = [free, used, total]
        for code, delta in change.free_delta.items():
            acc = self._balance.setdefault(code, [Decimal(0), Decimal(0), Decimal(0)])
            acc[0] = (acc[0] or Decimal(0)) + delta
            if acc[2] is not None:
                acc[2] = acc[2] + delta
        for code, wallet in change.wallet.items():
            self._balance[code] = [None, None, wallet]
        self.balance_info = event.raw
        self.balance_time = integer(event.raw.get("E"))
        self.balance_version += 1
        return True

    def set_balance(
        self,
        accounts: dict[str, tuple[Decimal | None, Decimal | None, Decimal | None]],
        info: Any,
        time: int | None,
    ) -> bool:
        """Take a full balance read over REST (currency -> free, used, total); True when it
        differs from what is held (then it is new to watchers)."""
        new = {code: list(v) for code, v in accounts.items()}
        held = {code: v for code, v in self._balance.items() if code in new}
        changed = held != new or (not self._balance and bool(new))
        self._balance.update(new)
        self.balance_info = info
        if time is not None:
            self.balance_time = time
        if changed:
            self.balance_version += 1
        return changed

    def set_wallet(self, wallet: dict[str, Decimal | None], info: Any, time: int | None) -> bool:
        """Take a futures account read (``futures_wallet``); True when a total changed."""
        return self.set_balance({c: (None, None, w) for c, w in wallet.items()}, info, time)

    def balance(self) -> Balance:
        """Return the balance as a fresh CCXT structure."""
        accounts = {
            code: {"free": v[0], "used": v[1], "total": v[2]} for code, v in self._balance.items()
        }
        return safe_balance(accounts, self.balance_info, self.balance_time)

    def symbols(self) -> set[Symbol]:
        """Every symbol an order or a trade of this account was seen on."""
        out = {o["symbol"] for o in self.orders.values() if o["symbol"] is not None}
        out.update(t["symbol"] for t in self.trades)
        return out
