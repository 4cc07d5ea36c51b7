"""Differential tests of the user-data state against ccxt 4.5.90's handlers on Binance's
documented events: positions from ``ACCOUNT_UPDATE`` and the balance after
``outboundAccountPosition`` / ``balanceUpdate`` / ``ACCOUNT_UPDATE`` are equal field by field
except for the intended differences listed in docs/client.md (named here)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from client.protocol.user_data import AccountState
from client.protocol.user_events import parse_user_event
from tests.client import user_data_payloads as P
from tests.client.test_differential_private import diff

pytest.importorskip("ccxt.pro")


class Client:
    """What ccxt's handlers read and call on a connection."""

    def __init__(self, account_type: str) -> None:
        self.subscriptions = {account_type: True}
        self.resolved: dict[str, Any] = {}

    def resolve(self, value: Any, message_hash: str) -> None:
        self.resolved[message_hash] = value


def ours(kind: str, *events: dict[str, Any]) -> AccountState:
    state = AccountState(futures=kind != "spot")
    for raw in events:
        ev = parse_user_event(copy.deepcopy(raw), P.MARKETS[kind].get)
        assert ev is not None
        state.apply(ev)
    return state


def theirs_balance(cx: Any, account_type: str, *events: dict[str, Any]) -> Any:
    cx.balance = {account_type: None}
    client = Client(account_type)
    for raw in events:
        cx.handle_balance(client, copy.deepcopy(raw))
    return client.resolved[f"{account_type}:balance"]


def test_account_update_position_equals_ccxt(cx: Any) -> None:
    """An ``ACCOUNT_UPDATE`` position equals ccxt's ``parse_ws_position`` but for what we
    read and ccxt leaves out: the isolated wallet (``positionMargin``, and ``collateral`` =
    wallet + unrealised PnL), ``realizedPnl`` (``cr``) and the time (``T``)."""
    raw = P.ACCOUNT_UPDATE["a"]["P"][0]
    theirs = cx.parse_ws_position(copy.deepcopy(raw))
    (mine,) = ours("future", P.ACCOUNT_UPDATE).positions.values()
    d = diff(theirs, mine)
    assert set(d) == {
        "collateral", "positionMargin", "realizedPnl", "timestamp", "datetime",
        "lastUpdateTimestamp", "lastPrice", "stopLossPrice", "takeProfitPrice",
    }  # fmt: skip
    assert d["collateral"] == (None, 58.5) and d["positionMargin"] == (None, 60.0)
    assert d["realizedPnl"][1] == 200.0 and d["timestamp"] == (None, P.ACCOUNT_UPDATE["T"])


def test_spot_balance_equals_ccxt_but_keeps_the_total(cx: Any) -> None:
    """After ``outboundAccountPosition`` the balances are equal; after a ``balanceUpdate``
    ours adds the delta to free and total, ccxt to free alone and loses used and total."""
    theirs = theirs_balance(cx, "spot", P.ACCOUNT_POSITION)
    assert diff(theirs, ours("spot", P.ACCOUNT_POSITION).balance()) == {}
    theirs = theirs_balance(cx, "spot", P.ACCOUNT_POSITION, P.BALANCE_UPDATE)
    mine = ours("spot", P.ACCOUNT_POSITION, P.BALANCE_UPDATE).balance()
    assert set(diff(theirs, mine)) == {"BTC", "used", "total"}
    assert theirs["BTC"] == {"free": 11918.0, "used": None, "total": None}
    assert mine["BTC"] == {"free": 11918.0, "used": 182.0, "total": 12100.0}  # type: ignore[typeddict-item]


def test_futures_balance_equals_ccxt_but_has_its_time(cx: Any) -> None:
    """``ACCOUNT_UPDATE`` balances are equal (total = ``wb``, free and used None); ccxt
    reads the time from ``a`` where there is none, ours is the event's ``E``."""
    theirs = theirs_balance(cx, "linear", P.ACCOUNT_UPDATE)
    mine = ours("future", P.ACCOUNT_UPDATE).balance()
    d = diff(theirs, mine)
    assert set(d) == {"timestamp", "datetime"}
    assert d["timestamp"] == (None, P.ACCOUNT_UPDATE["E"])
