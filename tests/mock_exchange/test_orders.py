"""Order records: the status table, records that outlive the book, client ids, owned events."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from mock_exchange.engine.clock import VirtualClock
from mock_exchange.engine.core import Engine
from mock_exchange.engine.events import OrderUpdate
from mock_exchange.engine.filters import ORDER_FILTERS
from mock_exchange.engine.orders import (
    FINAL_STATUSES,
    ORDER_TRANSITIONS,
    IllegalOrderTransition,
    OrderRecord,
    OrderStore,
)
from mock_exchange.engine.types import AccountId
from mock_exchange.errors import ExchangeError

ALICE = AccountId("alice")
BOB = AccountId("bob")


def record(order_id: int = 1, **kw: object) -> OrderRecord:
    values: dict[str, object] = {
        "symbol": "BTCUSDT",
        "side": "BUY",
        "order_type": "LIMIT",
        "time_in_force": "GTC",
        "price": D("100"),
        "orig_qty": D("2"),
        "quote_order_qty": None,
        "owner": ALICE,
        "client_order_id": f"c{order_id}",
        "time": 10,
    }
    values.update(kw)
    return OrderRecord(order_id, **values)  # type: ignore[arg-type]


def test_status_table_allows_binance_lifecycles_and_refuses_the_rest() -> None:
    """NEW -> PARTIALLY_FILLED -> FILLED is legal; a final status moves nowhere, unchanged."""
    r = record()
    r.fill(D("1"), D("100"), 11)
    assert (r.status, r.executed_qty, r.update_time) == ("PARTIALLY_FILLED", D("1"), 11)
    r.fill(D("1"), D("100"), 12)
    assert (r.status, r.cumulative_quote_qty) == ("FILLED", D("200"))
    for status in ("NEW", "CANCELED", "PARTIALLY_FILLED"):
        with pytest.raises(IllegalOrderTransition):
            r.move(status, 13)  # type: ignore[arg-type]
        assert (r.status, r.update_time) == ("FILLED", 12)
    over = record(2)
    with pytest.raises(IllegalOrderTransition):
        over.fill(D("3"), D("300"), 11)
    assert (over.status, over.executed_qty) == ("NEW", D(0))
    pending = record(3, status="PENDING_NEW")
    pending.move("NEW", 11)
    with pytest.raises(IllegalOrderTransition):
        record(4, status="FILLED")
    assert {"FILLED", "CANCELED", "REJECTED", "EXPIRED", "EXPIRED_IN_MATCH"} == FINAL_STATUSES
    assert all(ORDER_TRANSITIONS[s] == frozenset() for s in FINAL_STATUSES)


def test_client_order_ids_are_unique_among_an_accounts_open_orders() -> None:
    """A second open order with the same client id is -2010; once final, the id is free."""
    store = OrderStore(keep_final=1)
    first = record(1, client_order_id="dup")
    store.add(first)
    with pytest.raises(ExchangeError) as info:
        store.add(record(2, client_order_id="dup"))
    assert (info.value.code, info.value.msg) == (-2010, "Duplicate order sent.")
    store.add(record(3, client_order_id="dup", owner=BOB))
    store.add(record(4, client_order_id="dup", symbol="ETHUSDT"))
    assert store.by_client_id(ALICE, "BTCUSDT", "dup") is first
    first.move("CANCELED", 20)
    store.settled(first)
    second = record(5, client_order_id="dup")
    store.add(second)
    assert store.by_client_id(ALICE, "BTCUSDT", "dup") is second and store.get(1) is first
    second.move("CANCELED", 21)
    store.settled(second)  # keep_final=1: the older final record is forgotten
    assert store.get(1) is None and store.get(5) is second


def test_account_orders_outlive_the_book_and_their_events_name_the_owner() -> None:
    """An account's resting order is filled by another account, then its rest canceled: the
    record survives the book, and each change is an OrderUpdate for its owner only."""
    e = Engine(VirtualClock(1_000), seed_liquidity=False)
    maker, events = e.place_order(
        "BTCUSDT",
        "SELL",
        "LIMIT",
        quantity=D("0.02"),
        price=D("90000"),
        owner=ALICE,
        client_order_id="m1",
    )
    assert [
        (u.owner, u.execution, u.order.status) for u in events if isinstance(u, OrderUpdate)
    ] == [(ALICE, "NEW", "NEW")]
    taker, events = e.place_order("BTCUSDT", "BUY", "MARKET", quantity=D("0.005"), owner=BOB)
    trade = taker.fills[0]
    assert (trade.maker_owner, trade.taker_owner, trade.owner) == (ALICE, BOB, None)
    updates = [(u.owner, u.execution, u.order.status) for u in events if isinstance(u, OrderUpdate)]
    assert updates == [
        (BOB, "NEW", "NEW"),
        (ALICE, "TRADE", "PARTIALLY_FILLED"),
        (BOB, "TRADE", "FILLED"),
    ]
    assert all(ev.owner is None for ev in events if not isinstance(ev, OrderUpdate))
    _, events = e.cancel_order("BTCUSDT", maker.order_id)
    assert [(u.owner, u.execution) for u in events if isinstance(u, OrderUpdate)] == [
        (ALICE, "CANCELED")
    ]
    kept = e.order(maker.order_id)
    assert kept is not None and (kept.status, kept.executed_qty) == ("CANCELED", D("0.005"))
    assert kept.order_id not in e.book("BTCUSDT").orders
    assert e.orders.by_client_id(ALICE, "BTCUSDT", "m1") is kept
    assert e.order(taker.order_id) is not None


def test_background_orders_leave_no_records_behind() -> None:
    """Records of background orders stay while they rest and go when they are final."""
    e = Engine(VirtualClock(1_000), seed_liquidity=False)
    resting, ev = e.place_order("BTCUSDT", "SELL", "LIMIT", quantity=D("0.01"), price=D("1000"))
    assert not [x for x in ev if isinstance(x, OrderUpdate)]
    assert e.order(resting.order_id) is not None and len(e.orders) == 1
    e.place_order("BTCUSDT", "BUY", "MARKET", quantity=D("0.01"))
    assert e.order(resting.order_id) is None and len(e.orders) == 0


def test_filters_are_a_table_in_their_documented_order() -> None:
    """The filter table runs mandatory parameters, price, quantity, notional, MARKET amount."""
    assert [name for name, _check in ORDER_FILTERS] == [
        "mandatory parameters",
        "price",
        "PRICE_FILTER",
        "PERCENT_PRICE_BY_SIDE",
        "quantity",
        "MARKET_LOT_SIZE",
        "LOT_SIZE",
        "NOTIONAL",
        "MARKET amount",
    ]
    e = Engine(VirtualClock(1_000), seed_liquidity=False)
    with pytest.raises(ExchangeError) as info:  # both PRICE_FILTER and LOT_SIZE fail: price first
        e.place_order("BTCUSDT", "BUY", "LIMIT", quantity=D("0.000001"), price=D("100.001"))
    assert info.value.msg == "Filter failure: PRICE_FILTER"
