"""One account's user-data state (sans-I/O) and reconciliation against a fake REST: each
order's latest state reaches a watcher once and never goes back, whichever source reports
it; trades, liquidations and positions are not repeated; balances follow Binance's events."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from client.errors import ExchangeError, OrderNotFound
from client.protocol.caches import KeyedCache
from client.protocol.orders import parse_my_trade, parse_order
from client.protocol.user_data import AccountState
from client.protocol.user_events import parse_user_event
from client.reconcile import ReconcilePlan, reconcile
from client.types import Order
from tests.client import user_data_payloads as P
from tests.client.private_payloads import SPOT, USDM


def feed(state: AccountState, raw: dict[str, Any], kind: str = "spot") -> set[str]:
    table = P.MARKETS[kind]
    ev = parse_user_event(raw, table.get)
    assert ev is not None
    return set(state.apply(ev).topics)


def statuses(rows: list[Order]) -> list[tuple[str | None, str | None, float | None]]:
    return [(o["id"], o["status"], o["filled"]) for o in rows]


def everything(row: Any) -> bool:
    return True


def test_each_order_state_once_and_never_back() -> None:
    """Repeated and older events change nothing; the watcher sees the latest state once."""
    s = AccountState(futures=False)
    assert feed(s, P.EXECUTION_NEW) == {"orders"}
    assert s.orders.new_rows("", everything) and not s.orders.has_new("", everything)
    assert feed(s, P.EXECUTION_TRADE_1) == {"orders", "myTrades"}
    assert feed(s, P.EXECUTION_TRADE_2) == {"orders", "myTrades"}
    assert feed(s, P.EXECUTION_TRADE_1) == set()  # replayed (a handover's second socket)
    assert feed(s, P.EXECUTION_NEW) == set()  # older: never a regression
    assert feed(s, P.EXECUTION_CANCELED) == set()  # FILLED admits nothing else
    assert statuses(s.orders.new_rows("", everything)) == [("4293153", "closed", 1.0)]
    assert [t["id"] for t in s.trades.new_rows_where("", everything)] == ["7", "8"]
    assert not s.open


def test_fills_accumulate_on_the_order() -> None:
    """The order carries its fills and their fees summed, and keeps its creation time."""
    s = AccountState(futures=False)
    for raw in (P.EXECUTION_NEW, P.EXECUTION_TRADE_1, P.EXECUTION_TRADE_2):
        feed(s, raw)
    (o,) = s.orders.values()
    assert [t["id"] for t in o["trades"]] == ["7", "8"]
    assert o["fee"] == {"cost": pytest.approx(0.001), "currency": "BNB"}
    assert o["timestamp"] == P.EXECUTION_NEW["O"]


def test_rest_reads_apply_by_the_same_rules() -> None:
    """A REST read of the state already held is not news; a later one is; an earlier one is
    refused (the status table and the fill count decide)."""
    s = AccountState(futures=False)
    feed(s, P.EXECUTION_TRADE_1)
    s.orders.new_rows("", everything)
    same = parse_order(
        {"symbol": "BTCUSDT", "orderId": 4293153, "status": "PARTIALLY_FILLED",
         "origQty": "1.00000000", "executedQty": "0.40000000", "price": "0.10264410",
         "type": "LIMIT", "side": "BUY", "updateTime": 1499405660000,
         "time": 1499405658657, "stopPrice": "0"},
        SPOT,
    )  # fmt: skip
    assert not s.apply_order(same)
    older = parse_order({**same["info"], "status": "NEW", "executedQty": "0"}, SPOT)
    assert not s.apply_order(older)
    later = parse_order({**same["info"], "status": "FILLED", "executedQty": "1.0"}, SPOT)
    assert s.apply_order(later)
    (row,) = s.orders.new_rows("", everything)
    assert row["status"] == "closed" and row["fees"] == [{"cost": 0.0004, "currency": "BNB"}]


def test_futures_fill_once_from_either_source() -> None:
    """A futures fill arrives as TRADE_LITE then ORDER_TRADE_UPDATE: one trade, by default
    the full one (with fee); with ``trade_lite`` the lite one first."""
    full = AccountState(futures=True)
    assert feed(full, P.TRADE_LITE, "future") == set()
    assert feed(full, P.ORDER_TRADE_FILL, "future") == {"orders", "myTrades"}
    (t,) = full.trades.new_rows_where("", everything)
    assert t["fee"]["cost"] == 0.03
    lite = AccountState(futures=True, trade_lite=True)
    assert feed(lite, P.TRADE_LITE, "future") == {"myTrades"}
    assert feed(lite, P.ORDER_TRADE_FILL, "future") == {"orders"}
    (t,) = lite.trades.new_rows_where("", everything)
    assert t["fee"]["cost"] is None
    (o,) = lite.orders.values()
    assert o["fee"] == {"cost": 0.03, "currency": "USDT"}  # the fuller report replaced it


def test_keyed_cache_cursors_per_consumer_symbol_and_limit() -> None:
    """Each consumer has its cursor; an update moves a row to the end; rows beyond the limit
    go oldest first."""
    c: KeyedCache[str, dict[str, Any]] = KeyedCache(3)
    for k, sym in (("a", "X"), ("b", "Y"), ("c", "X")):
        c.put(k, {"k": k, "symbol": sym})
    only_x = lambda r: r["symbol"] == "X"  # noqa: E731
    assert [r["k"] for r in c.new_rows("X", only_x)] == ["a", "c"]
    c.put("a", {"k": "a2", "symbol": "X"})
    assert [r["k"] for r in c.new_rows("X", only_x)] == ["a2"]
    assert [r["k"] for r in c.new_rows("", everything, 2)] == ["c", "a2"]
    c.put("d", {"k": "d", "symbol": "Y"})
    assert c.keys() == ["c", "a", "d"] and c.get("b") is None
    c.replace("c", {"k": "c2", "symbol": "X"})
    assert not c.has_new("X", only_x) and c.get("c") == {"k": "c2", "symbol": "X"}


def test_positions_news_is_a_change_of_size_or_entry() -> None:
    """A position is new when it opens, changes size or closes; a margin call merges its
    mark price and maintenance margin into the held row; a flat position never seen open
    is no news."""
    s = AccountState(futures=True)
    assert feed(s, P.ACCOUNT_UPDATE, "future") == {"positions", "balance"}
    assert feed(s, P.ACCOUNT_UPDATE, "future") == {"balance"}  # same position again
    assert feed(s, P.MARGIN_CALL, "future") == {"positions"}
    (p,) = s.positions.values()
    assert p["markPrice"] == 55000.5 and p["entryPrice"] == 60000.0
    closed = copy.deepcopy(P.ACCOUNT_UPDATE)
    closed["a"]["P"][0].update(pa="0", ep="0", up="0")
    assert feed(s, closed, "future") == {"positions", "balance"}
    other = copy.deepcopy(closed)
    other["a"]["P"][0]["s"] = "ETHUSDT"
    assert "positions" not in feed(s, other, "future")


def test_spot_balance_set_and_delta() -> None:
    """``outboundAccountPosition`` sets free and used (total derived); ``balanceUpdate``
    adds to free and total; the balance is a fresh CCXT structure."""
    s = AccountState(futures=False)
    feed(s, P.ACCOUNT_POSITION)
    feed(s, P.BALANCE_UPDATE)
    b = s.balance()
    assert b["free"]["BTC"] == 11918.0 and b["used"]["BTC"] == 182.0
    assert b["total"]["BTC"] == 12100.0 and b["total"]["ETH"] == 10000.0
    assert b["timestamp"] == P.BALANCE_UPDATE["E"] and s.balance_version == 2


def test_futures_balance_is_the_wallet() -> None:
    """Futures: total is the wallet balance ``wb``; free and used are not reported."""
    s = AccountState(futures=True)
    feed(s, P.ACCOUNT_UPDATE, "future")
    b = s.balance()
    assert b["total"]["USDT"] == 122624.12345678 and b["free"]["USDT"] is None
    assert not s.set_wallet({"USDT": Decimal("122624.12345678")}, {}, None)
    assert s.set_wallet({"USDT": Decimal("1")}, {}, None) and s.balance()["total"]["USDT"] == 1


def test_a_liquidation_once_per_order() -> None:
    """The same liquidation order reported twice is one liquidation."""
    s = AccountState(futures=True)
    assert "myLiquidations" in feed(s, P.LIQUIDATION_FILL, "future")
    assert "myLiquidations" not in feed(s, P.LIQUIDATION_FILL, "future")
    assert len(s.liquidations) == 1


# -- reconciliation ------------------------------------------------------------------------


def rest_order(order_id: int, status: str, filled: str, updated: int, qty: str = "1") -> Order:
    return parse_order(
        {"symbol": "BTCUSDT", "orderId": order_id, "status": status, "origQty": qty,
         "executedQty": filled, "price": "100", "type": "LIMIT", "side": "SELL",
         "time": 1000, "updateTime": updated, "stopPrice": "0"},
        SPOT,
    )  # fmt: skip


class FakeRest:
    """A REST fetcher answering from tables, recording each call."""

    def __init__(self, **answers: Any) -> None:
        self.answers = answers
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def __call__(self, method: str, kwargs: dict[str, Any]) -> Any:
        self.calls.append((method, kwargs))
        answer = self.answers[method]
        if callable(answer):
            return answer(**kwargs)
        if isinstance(answer, BaseException):
            raise answer
        return answer


BALANCE: Any = {
    "info": {}, "timestamp": 5000, "free": {"BTC": 1.0}, "used": {"BTC": 0.5},
    "total": {"BTC": 1.5},
}  # fmt: skip


async def test_reconcile_reports_what_was_missed_once() -> None:
    """After a drop: a held-open order now filled (``fetch_order``), one partly filled (open
    orders), an order placed and filled during the drop (found by its trade), its trades,
    and the balance; an unchanged order is not reported; older news is left out."""
    s = AccountState(futures=False)
    for oid in (1, 2, 3):
        s.apply_order(rest_order(oid, "NEW", "0", 1500))
    s.orders.new_rows("", everything)
    finals = {"1": rest_order(1, "FILLED", "1", 3000), "9": rest_order(9, "FILLED", "1", 3500)}

    def fetch_order(id: str, symbol: str, params: Any) -> Order:
        if id not in finals:
            raise OrderNotFound("-2013 Order does not exist.")
        return finals[id]

    def trade(tid: int, oid: int, at: int) -> Any:
        return parse_my_trade(
            {"symbol": "BTCUSDT", "id": tid, "orderId": oid, "price": "100", "qty": "0.5",
             "quoteQty": "50", "commission": "0", "commissionAsset": "USDT", "time": at,
             "isBuyer": False, "isMaker": True},
            SPOT,
        )  # fmt: skip

    rest = FakeRest(
        fetch_open_orders=[
            rest_order(2, "PARTIALLY_FILLED", "0.5", 3200), rest_order(3, "NEW", "0", 1500)
        ],
        fetch_order=fetch_order,
        fetch_my_trades=[
            trade(10, 1, 3000), trade(11, 2, 3200), trade(12, 9, 3500), trade(4, 7, 10)
        ],
        fetch_balance=BALANCE,
    )  # fmt: skip
    plan = ReconcilePlan(fetch=rest, params={"type": "spot"}, since=1000, futures=False)
    changes = await reconcile(s, plan)
    assert set(changes.topics) == {"orders", "myTrades", "balance"}
    assert sorted(statuses(s.orders.new_rows("", everything))) == [
        ("1", "closed", 1.0), ("2", "open", 0.5), ("9", "closed", 1.0),
    ]  # fmt: skip
    assert [t["id"] for t in s.trades.new_rows_where("", everything)] == ["10", "11", "12"]
    assert s.balance()["total"]["BTC"] == 1.5 and not plan.errors
    assert next(k for m, k in rest.calls if m == "fetch_my_trades")["since"] == 1000
    again = await reconcile(s, plan)  # nothing new the second time
    assert not again.topics.get("orders") and not again.topics.get("myTrades")


async def test_reconcile_keeps_going_when_a_read_fails() -> None:
    """A failing read is recorded; the others still apply; only all failing raises."""
    s = AccountState(futures=False)
    rest = FakeRest(
        fetch_open_orders=ExchangeError("boom"),
        fetch_order=ExchangeError("boom"),
        fetch_my_trades=[],
        fetch_balance=BALANCE,
    )
    plan = ReconcilePlan(fetch=rest, params={}, since=0, futures=False)
    changes = await reconcile(s, plan)
    assert "balance" in changes.topics and len(plan.errors) == 1
    rest.answers["fetch_balance"] = ExchangeError("down")
    with pytest.raises(ExchangeError, match="down"):
        await reconcile(s, plan)


async def test_reconcile_futures_positions_and_wallet() -> None:
    """Futures: the wallet balance from the account's ``info``; a position held open that is
    no longer listed is reported closed; one listed with a new size is reported."""
    s = AccountState(futures=True)
    feed(s, P.ACCOUNT_UPDATE, "future")
    eth = copy.deepcopy(P.ACCOUNT_UPDATE)
    eth["a"]["P"][0]["s"] = "ETHUSDT"
    s.apply_position(
        parse_user_event(eth, {"ETHUSDT": None}.get).positions[0]  # type: ignore[arg-type,union-attr]
    )
    s.positions.new_rows("", everything)
    from client.protocol.account import parse_position

    btc = parse_position(
        {"symbol": "BTCUSDT", "positionAmt": "0.030", "entryPrice": "61000",
         "positionSide": "BOTH", "unRealizedProfit": "0", "marginType": "isolated",
         "isolatedMargin": "10", "updateTime": 9000},
        USDM,
    )  # fmt: skip
    account = {"assets": [{"asset": "USDT", "walletBalance": "500.5", "updateTime": 1}]}
    rest = FakeRest(
        fetch_open_orders=[], fetch_order=None, fetch_my_trades=[],
        fetch_balance={"info": account, "timestamp": None, "free": {}, "used": {}, "total": {}},
        fetch_positions=[btc],
    )  # fmt: skip
    plan = ReconcilePlan(fetch=rest, params={"type": "future"}, since=0, futures=True)
    changes = await reconcile(s, plan)
    assert set(changes.topics) == {"positions", "balance"}
    rows = {p["symbol"]: p["contracts"] for p in s.positions.new_rows("", everything)}
    assert rows == {"BTC/USDT:USDT": 0.03, "ETHUSDT": 0.0}
    assert s.balance()["total"]["USDT"] == 500.5
