"""The engine's OCO order lists: one lock for the list, one leg working cancels the other,
canceling one leg cancels the list, and each change reports executionReports then listStatus."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from mock_exchange.engine.accounts import Accounts
from mock_exchange.engine.clock import VirtualClock
from mock_exchange.engine.core import Engine
from mock_exchange.engine.events import EngineEvent, ListStatus, OrderUpdate
from mock_exchange.engine.ledger import SpotLedger
from mock_exchange.engine.markets import Market
from mock_exchange.engine.order_lists import ListLeg
from mock_exchange.engine.types import AccountId
from mock_exchange.errors import ExchangeError

MARKET = Market(
    "BTCUSDT", "BTC", "USDT", tick_size=D("0.01"), min_price=D("0.01"), max_price=D(100000),
    step_size=D("0.001"), min_qty=D("0.001"), max_qty=D(1000), market_max_qty=D(1000),
    min_notional=D("0.01"), initial_price=D(100),
)  # fmt: skip


class World:
    """An engine with a ledger and three funded accounts (a, b, c)."""

    def __init__(self) -> None:
        self.clock = VirtualClock(1_767_225_600_000)
        self.accounts = Accounts()
        self.engine = Engine(
            self.clock, [MARKET], seed_liquidity=False, ledger=SpotLedger(self.accounts)
        )
        self.ids: dict[str, AccountId] = {}
        for name in "abc":
            account, _ = self.accounts.register(
                {"apiKey": name, "secret": "s", "balances": {"BTC": "10", "USDT": "10000"}}
            )
            self.ids[name] = account.id

    def balance(self, who: str, asset: str) -> tuple[D, D]:
        account = self.accounts.by_id(self.ids[who])
        assert account is not None
        b = account.spot.balance(asset)
        return b.free, b.locked

    def total(self, asset: str) -> D:
        fees = self.engine.ledger.fees.get(asset, D(0)) if self.engine.ledger else D(0)
        return sum((sum(self.balance(w, asset)) for w in "abc"), D(0)) + fees

    def limit(self, who: str, side: str, price: str, qty: str) -> list[EngineEvent]:
        return self.engine.place_order(
            "BTCUSDT", side, "LIMIT", quantity=D(qty), price=D(price),  # type: ignore[arg-type]
            owner=self.ids[who], client_order_id=f"{who}{self.clock.now_ms()}",
        )[1]  # fmt: skip

    def sell_oco(self, stop_type: str = "STOP_LOSS_LIMIT") -> list[EngineEvent]:
        legs = [
            ListLeg(stop_type, D(89) if stop_type.endswith("LIMIT") else None, D(90),
                    client_order_id="stop"),
            ListLeg("LIMIT_MAKER", D(110), client_order_id="limit"),
        ]  # fmt: skip
        return self.engine.place_oco(
            "BTCUSDT", "SELL", D(1), legs, owner=self.ids["a"], list_client_order_id="list1"
        )[1]


def kinds(events: list[EngineEvent], owner: AccountId) -> list[tuple[str, str, str]]:
    """(event, client id or list id, status) of one account's order events, in order."""
    out = []
    for ev in events:
        if isinstance(ev, OrderUpdate) and ev.owner == owner:
            out.append((ev.execution, str(ev.order.client_order_id), ev.order.status))
        elif isinstance(ev, ListStatus) and ev.owner == owner:
            lst = ev.order_list
            out.append(("listStatus", lst.list_client_order_id, lst.order_status))
    return out


def test_a_sell_oco_locks_its_quantity_once_and_reports_both_legs_then_the_list() -> None:
    """A SELL OCO locks `quantity` of the base asset once (not per leg); its two legs are
    reported NEW, stop-loss first, then a listStatus EXEC_STARTED/EXECUTING."""
    w = World()
    events = w.sell_oco()
    assert w.balance("a", "BTC") == (D(9), D(1))
    assert kinds(events, w.ids["a"]) == [
        ("NEW", "stop", "NEW"), ("NEW", "limit", "NEW"), ("listStatus", "list1", "EXECUTING"),
    ]  # fmt: skip
    status = next(ev for ev in events if isinstance(ev, ListStatus))
    assert status.order_list.status_type == "EXEC_STARTED"
    legs = status.order_list.legs
    assert [leg.order_list_id for leg in legs] == [status.order_list.list_id] * 2
    assert legs[0].working_time == -1 and legs[1].working_time >= 0


def test_the_limit_leg_filling_expires_the_stop_leg_and_ends_the_list() -> None:
    """When the LIMIT_MAKER leg trades, the stop leg expires with OCO_TRIGGER, the list is
    ALL_DONE, and the seller's lock is spent with nothing left locked; totals are conserved."""
    w = World()
    before = (w.total("BTC"), w.total("USDT"))
    w.sell_oco()
    w.clock.advance(1)
    events = w.limit("b", "BUY", "110", "1")
    assert kinds(events, w.ids["a"]) == [
        ("TRADE", "limit", "FILLED"), ("EXPIRED", "stop", "EXPIRED"),
        ("listStatus", "list1", "ALL_DONE"),
    ]  # fmt: skip
    expired = [ev for ev in events if isinstance(ev, OrderUpdate) and ev.execution == "EXPIRED"]
    assert expired[0].order.expiry_reason == "OCO_TRIGGER"
    assert w.balance("a", "BTC") == (D(9), D(0))
    assert w.balance("a", "USDT")[1] == 0 and w.balance("a", "USDT")[0] > D(10000)
    assert (w.total("BTC"), w.total("USDT")) == before
    assert w.engine.orders.open_orders(w.ids["a"]) == []


def test_the_stop_leg_triggering_expires_the_limit_leg_and_trades_with_the_lock() -> None:
    """A trade at the stop price triggers the stop-loss leg: the LIMIT_MAKER leg expires (its
    book level goes), the list is ALL_DONE, and the triggered leg sells from the list's lock."""
    w = World()
    before = (w.total("BTC"), w.total("USDT"))
    w.sell_oco()
    w.clock.advance(1)
    w.limit("b", "BUY", "90", "5")
    w.clock.advance(1)
    events = w.limit("c", "SELL", "90", "1")
    assert kinds(events, w.ids["a"]) == [
        ("EXPIRED", "limit", "EXPIRED"), ("listStatus", "list1", "ALL_DONE"),
        ("TRADE", "stop", "FILLED"),
    ]  # fmt: skip
    assert w.engine.book("BTCUSDT").best_ask() is None
    assert w.balance("a", "BTC") == (D(9), D(0))
    assert (w.total("BTC"), w.total("USDT")) == before


def test_canceling_one_leg_cancels_the_list_and_releases_the_lock() -> None:
    """Canceling either leg cancels both (each reported CANCELED with the cancel's client id)
    and the list becomes ALL_DONE; the base asset is unlocked."""
    w = World()
    w.sell_oco("STOP_LOSS")
    leg = w.engine.orders.by_client_id(w.ids["a"], "BTCUSDT", "limit")
    assert leg is not None
    events = w.engine.cancel(leg, new_client_order_id="bye")
    assert kinds(events, w.ids["a"]) == [
        ("CANCELED", "bye", "CANCELED"), ("CANCELED", "bye", "CANCELED"),
        ("listStatus", "list1", "ALL_DONE"),
    ]  # fmt: skip
    assert w.balance("a", "BTC") == (D(10), D(0))
    assert w.engine.lists.open_lists(w.ids["a"]) == []
    with pytest.raises(ExchangeError) as refused:
        w.engine.cancel(leg)
    assert refused.value.code == -2011


def test_a_buy_oco_locks_the_dearest_leg_and_returns_the_rest_when_done() -> None:
    """A BUY OCO locks quantity x the higher of the limit price and the stop price once; when
    the limit leg fills, the unused part of the lock comes back."""
    w = World()
    legs = [ListLeg("STOP_LOSS", None, D(120)), ListLeg("LIMIT_MAKER", D(95))]
    w.engine.place_oco("BTCUSDT", "BUY", D(2), legs, owner=w.ids["a"], list_client_order_id="x")
    assert w.balance("a", "USDT") == (D(10000) - 240, D(240))
    w.limit("b", "SELL", "95", "2")
    assert w.balance("a", "USDT") == (D(10000) - 190, D(0))


@pytest.mark.parametrize(
    ("side", "legs"),
    [
        ("SELL", [ListLeg("STOP_LOSS", None, D(101)), ListLeg("LIMIT_MAKER", D(110))]),
        ("SELL", [ListLeg("STOP_LOSS", None, D(90)), ListLeg("LIMIT_MAKER", D(99))]),
        ("BUY", [ListLeg("STOP_LOSS", None, D(99)), ListLeg("LIMIT_MAKER", D(95))]),
        ("BUY", [ListLeg("STOP_LOSS", None, D(120)), ListLeg("TAKE_PROFIT", None, D(101))]),
    ],
)
def test_prices_on_the_wrong_side_of_the_last_price_are_refused(
    side: str, legs: list[ListLeg]
) -> None:
    """Legs whose prices do not straddle the last price are -2010 "The relationship of the
    prices for the orders is not correct." and nothing is locked."""
    w = World()
    with pytest.raises(ExchangeError) as refused:
        w.engine.place_oco(
            "BTCUSDT",
            side,
            D(1),
            legs,
            owner=w.ids["a"],
            list_client_order_id="x",  # type: ignore[arg-type]
        )
    assert (refused.value.code, refused.value.msg) == (
        -2010, "The relationship of the prices for the orders is not correct.",
    )  # fmt: skip
    assert w.balance("a", "BTC") == (D(10), D(0)) and w.balance("a", "USDT") == (D(10000), D(0))


def test_a_limit_leg_expired_by_self_trade_prevention_ends_the_list_and_frees_the_lock() -> None:
    """When the account's own taker expires the LIMIT_MAKER leg (EXPIRE_MAKER), the stop leg
    expires too (OCO_TRIGGER), the list is ALL_DONE and nothing stays locked."""
    w = World()
    w.sell_oco()
    events = w.engine.place_order(
        "BTCUSDT", "BUY", "LIMIT", quantity=D(1), price=D(110), owner=w.ids["a"],
        client_order_id="self", stp_mode="EXPIRE_MAKER",
    )[1]  # fmt: skip
    assert [k for k in kinds(events, w.ids["a"]) if k[1] != "self"] == [
        ("TRADE_PREVENTION", "limit", "EXPIRED_IN_MATCH"), ("EXPIRED", "stop", "EXPIRED"),
        ("listStatus", "list1", "ALL_DONE"),
    ]  # fmt: skip
    assert w.balance("a", "BTC") == (D(10), D(0))
    assert w.engine.lists.open_lists(w.ids["a"]) == []
