"""The client's method table: every public method classified, private ones beyond any prefix."""

from __future__ import annotations

import inspect

import client
from client import Binance, method_info, method_table


def test_every_public_method_has_a_row() -> None:
    """Each public callable of Binance (not a property) is in the table, and nothing else is."""
    names = {
        n
        for n in dir(Binance)
        if not n.startswith("_")
        and callable(getattr(Binance, n))
        and not isinstance(inspect.getattr_static(Binance, n), property | type)
    }
    assert set(method_table()) == names
    assert method_info("no_such_method") is None


def test_private_methods_are_found_without_a_name_prefix() -> None:
    """User-data helpers and private watches are private although no prefix says so."""
    for name in ("authenticate", "watch_balance", "keep_alive_listen_key", "renew_listen_token",
                 "user_data_stream_status", "unsubscribe_user_data_stream", "stream_orders",
                 "fetch_balance", "fetch_convert_quote", "watch_positions"):  # fmt: skip
        info = method_info(name)
        assert info is not None and info.private, name
    for name in ("watch_ticker", "fetch_order_book_ws", "fetch_time", "load_markets",
                 "stream_ticker", "unwatch_trades"):  # fmt: skip
        info = method_info(name)
        assert info is not None and not info.private, name


def test_mutations_are_private_and_cancel_all_is_a_mutation() -> None:
    """Every order mutation needs keys; every cancel-all is a mutation; every private
    ``create_``/``cancel_``/``edit_`` method is a mutation."""
    table = method_table()
    for info in table.values():
        if info.mutates:
            assert info.private, info.name
        if info.cancels_all:
            assert info.mutates, info.name
        if info.private and info.name.startswith(("create_", "cancel_", "edit_")):
            assert info.mutates, info.name
    assert {n for n, i in table.items() if i.cancels_all} == {
        "cancel_all_orders",
        "cancel_all_orders_ws",
    }
    assert not table["fetch_convert_quote"].mutates and table["create_convert_trade"].mutates
    assert client.MethodInfo is type(table["watch_orders"])
