"""The recorder's channel table and its command line's usage errors (no emulator needed)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from client.persistence import (
    CHANNELS,
    PRIVATE_CHANNELS,
    ChannelError,
    RecordChannel,
    RecordOptions,
    dumps_json,
    register_channel,
    resolve_channels,
    trade_row,
)
from client.record import main

from .test_persistence_rows import TRADE


async def _never(ex: Any, symbol: str | None, o: RecordOptions) -> Any:
    raise AssertionError("not watched in these tests")


def test_resolve_channels_by_name() -> None:
    """Names resolve case-insensitively, duplicates and blanks drop, order is kept; the
    private channels resolve like the public ones; unknown and empty selections are one-line
    errors listing the channels."""
    got = resolve_channels([" Trades", "ticker", "trades", ""])
    assert [c.name for c in got] == ["trades", "ticker"]
    with pytest.raises(ChannelError, match=r"^unknown channel 'tikcer'; available: ticker, "):
        resolve_channels(["tikcer"])
    private = resolve_channels(list(PRIVATE_CHANNELS))
    assert [(c.name, c.table, c.private) for c in private] == [
        (name, table, True) for name, table in PRIVATE_CHANNELS.items()
    ]
    with pytest.raises(ChannelError, match=r"^no channel given"):
        resolve_channels(["", " "])


def test_registering_a_channel_makes_it_recordable() -> None:
    """A channel becomes recordable by one register_channel row naming an existing table
    (replacing one of the same name); a channel naming an unknown table is refused."""
    shipped = CHANNELS["my_trades"]
    row = RecordChannel(
        "my_trades",
        "my_trades",
        "the account's trades",
        _never,
        lambda result, s, o: [trade_row(t) for t in result],
    )
    try:
        register_channel(row)
        (resolved,) = resolve_channels(["my_trades"])
        assert resolved is row
        assert resolved.to_rows([TRADE], "BTC/USDT", RecordOptions())[0]["id"] == "42"
    finally:
        register_channel(shipped)
    with pytest.raises(ValueError, match="unknown table 'nope'"):
        RecordChannel("x", "nope", "x", _never, lambda r, s, o: [])


def test_public_channels_need_a_symbol() -> None:
    """Market channels are per symbol and liquidations accept only futures symbols; of the
    private ones balance is per account and positions accept only futures symbols."""
    assert all(CHANNELS[n].per_symbol for n in ("ticker", "trades", "ohlcv", "orderbook"))
    liq = CHANNELS["liquidations"]
    assert liq.accepts("BTC/USDT:USDT") and liq.accepts("BTC/USD:BTC")
    assert not liq.accepts("BTC/USDT")
    assert not CHANNELS["balance"].per_symbol and CHANNELS["orders"].per_symbol
    assert not CHANNELS["positions"].accepts("BTC/USDT")
    assert not any(CHANNELS[n].private for n in ("ticker", "trades", "liquidations"))


def test_json_refuses_what_it_cannot_write() -> None:
    """Sets and tuples become lists; an object without a JSON form is refused."""
    assert dumps_json({"s": {1}, "t": (1, 2), "d": Decimal("0.1")}) == (
        '{"d":"0.1","s":[1],"t":[1,2]}'
    )
    with pytest.raises(TypeError, match="not JSON serializable"):
        dumps_json({"x": object()})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--symbols", ","], "error: --symbols names no symbol\n"),
        (["--symbols", "BTC/USDT", "--depth", "0"], "error: --depth and --batch-size must be"),
        (
            ["--symbols", "BTC/USDT", "--channels", "balance", "--url", "http://127.0.0.1:9"],
            "error: balance: private channels record the embedded emulator's own account",
        ),
    ],
)
def test_command_line_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    """Bad arguments exit 2 with one ``error:`` line on stderr and create no database."""
    db = tmp_path / "x.sqlite"
    assert main(["--db", str(db), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1
    assert not db.exists()
