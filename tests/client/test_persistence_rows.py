"""Row mappers: every unified structure becomes flat rows with the documented columns."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from client.persistence import (
    TABLES,
    RowError,
    balance_rows,
    dumps_json,
    liquidation_row,
    my_trade_row,
    ohlcv_row,
    order_book_rows,
    order_row,
    position_row,
    schema_markdown,
    ticker_row,
    trade_row,
)
from client.persistence.schema import Column, Table

DOCS = Path(__file__).resolve().parents[2] / "docs" / "persistence.md"

TICKER: dict[str, Any] = {
    "symbol": "BTC/USDT",
    "timestamp": 1700000000123,
    "datetime": "2023-11-14T22:13:20.123Z",
    "high": 91000.5,
    "low": 89000.0,
    "bid": 90000.1,
    "bidVolume": 1.5,
    "ask": 90000.2,
    "askVolume": None,
    "vwap": 90011.0,
    "open": 89500.0,
    "close": 90000.15,
    "last": 90000.15,
    "previousClose": None,
    "change": 500.15,
    "percentage": 0.5588,
    "average": 89750.075,
    "baseVolume": 1234.5,
    "quoteVolume": 111111111.0,
    "markPrice": None,
    "indexPrice": None,
    "info": {"e": "24hrTicker", "s": "BTCUSDT", "c": "90000.15", "E": 1700000000123},
}

TRADE: dict[str, Any] = {
    "info": {"e": "trade", "t": 42, "p": "90000.10", "q": "0.002", "m": True},
    "timestamp": 1700000000500,
    "datetime": "2023-11-14T22:13:20.500Z",
    "symbol": "BTC/USDT",
    "id": "42",
    "order": None,
    "type": None,
    "side": "sell",
    "takerOrMaker": None,
    "price": 90000.1,
    "amount": 0.002,
    "cost": 180.0002,
    "fee": {"cost": None, "currency": None},
    "fees": [],
}

ORDER: dict[str, Any] = {
    "info": {"e": "executionReport", "i": 7, "X": "PARTIALLY_FILLED", "S": "BUY"},
    "id": "7",
    "clientOrderId": "kit-1",
    "timestamp": 1700000001000,
    "datetime": "2023-11-14T22:13:21.000Z",
    "lastTradeTimestamp": 1700000001200,
    "lastUpdateTimestamp": 1700000001200,
    "symbol": "BTC/USDT",
    "type": "limit",
    "timeInForce": "GTC",
    "postOnly": False,
    "reduceOnly": None,
    "side": "buy",
    "price": 90000.0,
    "triggerPrice": None,
    "stopPrice": None,
    "takeProfitPrice": None,
    "stopLossPrice": None,
    "amount": 0.01,
    "cost": 450.0,
    "average": 90000.0,
    "filled": 0.005,
    "remaining": 0.005,
    "status": "open",
    "fee": {"cost": 0.45, "currency": "USDT", "rate": 0.001},
    "trades": [{"id": "43", "price": 90000.0, "amount": 0.005}],
    "fees": [{"cost": 0.45, "currency": "USDT", "rate": 0.001}],
}

BALANCE: dict[str, Any] = {
    "info": {"e": "outboundAccountPosition", "E": 1700000002000, "B": [{"a": "BTC"}]},
    "timestamp": 1700000002000,
    "datetime": "2023-11-14T22:13:22.000Z",
    "BTC": {"free": 1.0, "used": 0.5, "total": 1.5},
    "USDT": {"free": 100.0, "used": 0.0, "total": 100.0, "debt": 20.0},
    "free": {"BTC": 1.0, "USDT": 100.0, "BNB": 3.0},
    "used": {"BTC": 0.5, "USDT": 0.0, "BNB": 0.0},
    "total": {"BTC": 1.5, "USDT": 100.0, "BNB": 3.0},
    "debt": {"USDT": 20.0},
}

POSITION: dict[str, Any] = {
    "info": {"s": "BTCUSDT", "pa": "-0.010", "ep": "90100.0", "ps": "BOTH", "mt": "cross"},
    "id": None,
    "symbol": "BTC/USDT:USDT",
    "timestamp": None,
    "datetime": None,
    "lastUpdateTimestamp": None,
    "hedged": False,
    "side": "short",
    "contracts": 0.01,
    "contractSize": 1.0,
    "entryPrice": 90100.0,
    "markPrice": None,
    "lastPrice": None,
    "notional": None,
    "leverage": None,
    "collateral": None,
    "positionMargin": None,
    "initialMargin": None,
    "initialMarginPercentage": None,
    "maintenanceMargin": None,
    "maintenanceMarginPercentage": None,
    "unrealizedPnl": -1.25,
    "realizedPnl": None,
    "liquidationPrice": None,
    "marginMode": "cross",
    "marginRatio": None,
    "percentage": None,
    "stopLossPrice": None,
    "takeProfitPrice": None,
}

BOOK: dict[str, Any] = {
    "symbol": "ETH/USDT",
    "bids": [[3000.5, 1.0], [3000.0, 2.5], [2999.5, 4.0]],
    "asks": [[3001.0, 0.5], [3001.5, 1.25]],
    "timestamp": None,
    "datetime": None,
    "nonce": 123456,
}

LIQUIDATION: dict[str, Any] = {
    "info": {"s": "BTCUSDT", "S": "SELL", "ap": "89000.0", "l": "0.014", "T": 1700000003000},
    "symbol": "BTC/USDT:USDT",
    "contracts": 0.014,
    "contractSize": 1.0,
    "price": 89000.0,
    "side": "sell",
    "baseValue": None,
    "quoteValue": None,
    "timestamp": 1700000003000,
    "datetime": "2023-11-14T22:13:23.000Z",
}


def test_every_table_has_a_mapper_and_unique_columns() -> None:
    """The schema lists the eight unified structures (and account trades), each with a key
    that names its own columns."""
    structures = {t.structure for t in TABLES.values()}
    assert structures == {
        "Ticker",
        "Trade",
        "Order",
        "Balance",
        "Position",
        "OrderBook",
        "OHLCV",
        "Liquidation",
    }
    assert set(TABLES) == {
        "tickers",
        "trades",
        "my_trades",
        "orders",
        "balances",
        "positions",
        "order_book_levels",
        "ohlcv",
        "liquidations",
    }
    with pytest.raises(ValueError, match="key"):
        Table("bad", "X", "x", (Column("a", "int", "a"),), key=("b",))


def test_ticker_row_keeps_every_field_and_info_as_json() -> None:
    """A ticker row has the CCXT ticker fields in schema order, None where the ticker has
    None, and ``info`` as sorted JSON text."""
    row = ticker_row(TICKER)
    assert list(row) == list(TABLES["tickers"].names)
    assert row["symbol"] == "BTC/USDT"
    assert row["timestamp"] == 1700000000123
    assert row["bid"] == 90000.1
    assert row["askVolume"] is None
    assert row["markPrice"] is None
    assert row["info"] == '{"E":1700000000123,"c":"90000.15","e":"24hrTicker","s":"BTCUSDT"}'
    assert json.loads(str(row["info"])) == TICKER["info"]


def test_trade_row_flattens_the_fee() -> None:
    """A trade row flattens ``fee`` into fee_cost/fee_currency/fee_rate and stores ``fees``
    as JSON; the same mapper serves account trades."""
    row = trade_row(TRADE)
    assert row["id"] == "42"
    assert row["side"] == "sell"
    assert (row["fee_cost"], row["fee_currency"], row["fee_rate"]) == (None, None, None)
    assert row["fees"] == "[]"
    assert row["order"] is None
    mine = my_trade_row({**TRADE, "order": 7, "takerOrMaker": "maker", "fee": ORDER["fee"]})
    assert mine["order"] == "7"  # a numeric id becomes text
    assert (mine["fee_cost"], mine["fee_currency"], mine["fee_rate"]) == (0.45, "USDT", 0.001)


def test_order_row_keeps_bools_and_fills() -> None:
    """An order row keeps postOnly as a bool and reduceOnly as None, the fee flattened, and
    the fills as a JSON list; futures-only fields absent from a spot order are None."""
    row = order_row(ORDER)
    assert list(row) == list(TABLES["orders"].names)
    assert row["postOnly"] is False
    assert row["reduceOnly"] is None
    assert row["hedged"] is None and row["leverage"] is None and row["marginMode"] is None
    assert row["filled"] == 0.005 and row["status"] == "open"
    assert row["fee_cost"] == 0.45
    assert json.loads(str(row["trades"])) == ORDER["trades"]
    assert row["fees"] == '[{"cost":0.45,"currency":"USDT","rate":0.001}]'


def test_order_row_without_fee() -> None:
    """An order whose fee is None (CCXT's safe_order default) maps to None fee columns."""
    row = order_row({**ORDER, "fee": None, "fees": None, "trades": None})
    assert (row["fee_cost"], row["fee_currency"], row["fees"], row["trades"]) == (
        None,
        None,
        None,
        None,
    )


def test_balance_rows_one_per_currency() -> None:
    """A balance becomes one row per currency, sorted, with debt where the balance has one,
    a currency only in the free/used/total maps included, and the snapshot's info on each."""
    rows = balance_rows(BALANCE)
    assert [r["currency"] for r in rows] == ["BNB", "BTC", "USDT"]
    bnb, btc, usdt = rows
    assert (btc["free"], btc["used"], btc["total"], btc["debt"]) == (1.0, 0.5, 1.5, None)
    assert (usdt["free"], usdt["debt"]) == (100.0, 20.0)
    assert (bnb["free"], bnb["used"], bnb["total"]) == (3.0, 0.0, 3.0)
    assert all(r["timestamp"] == 1700000002000 for r in rows)
    assert all(json.loads(str(r["info"])) == BALANCE["info"] for r in rows)
    assert balance_rows({"info": {}, "free": {}, "used": {}, "total": {}}) == []


def test_position_row() -> None:
    """A position row keeps side, contracts and the mostly-None margin fields of a
    user-data position update."""
    row = position_row(POSITION)
    assert list(row) == list(TABLES["positions"].names)
    assert (row["symbol"], row["side"], row["contracts"], row["hedged"]) == (
        "BTC/USDT:USDT",
        "short",
        0.01,
        False,
    )
    assert row["liquidationPrice"] is None and row["positionMargin"] is None
    assert row["unrealizedPnl"] == -1.25
    minimal = position_row({"symbol": "BTC/USDT:USDT", "info": {}})
    assert minimal["side"] is None and minimal["info"] == "{}"


def test_order_book_rows_levels_best_first() -> None:
    """A book becomes one row per level: bids then asks, level 0 the best, ``depth``
    keeping the best levels of each side, every row carrying the book's nonce."""
    rows = order_book_rows(BOOK)
    assert [(r["side"], r["level"], r["price"], r["amount"]) for r in rows] == [
        ("bid", 0, 3000.5, 1.0),
        ("bid", 1, 3000.0, 2.5),
        ("bid", 2, 2999.5, 4.0),
        ("ask", 0, 3001.0, 0.5),
        ("ask", 1, 3001.5, 1.25),
    ]
    assert {r["nonce"] for r in rows} == {123456}
    assert {r["timestamp"] for r in rows} == {None}
    top = order_book_rows(BOOK, depth=1)
    assert [(r["side"], r["price"]) for r in top] == [("bid", 3000.5), ("ask", 3001.0)]
    with pytest.raises(RowError, match="not \\[price, amount\\]"):
        order_book_rows({**BOOK, "bids": [[1.0]]})


def test_ohlcv_row() -> None:
    """A candle becomes a row keyed by symbol, timeframe and open time; ints stay ints."""
    row = ohlcv_row("BTC/USDT", "1m", [1700000040000, 90000, 90010.5, 89990.0, 90005.0, 1.25])
    assert row == {
        "symbol": "BTC/USDT",
        "timeframe": "1m",
        "timestamp": 1700000040000,
        "open": 90000.0,
        "high": 90010.5,
        "low": 89990.0,
        "close": 90005.0,
        "volume": 1.25,
    }
    assert isinstance(row["open"], float)
    with pytest.raises(RowError, match="6 values"):
        ohlcv_row("BTC/USDT", "1m", [1, 2, 3])
    with pytest.raises(RowError, match=r"ohlcv\.timestamp: required"):
        ohlcv_row("BTC/USDT", "1m", [None, 1, 1, 1, 1, 1])


def test_liquidation_row() -> None:
    """A liquidation row keeps side, price, contracts and the raw forceOrder under info."""
    row = liquidation_row(LIQUIDATION)
    assert (row["side"], row["price"], row["contracts"], row["baseValue"]) == (
        "sell",
        89000.0,
        0.014,
        None,
    )
    assert json.loads(str(row["info"])) == LIQUIDATION["info"]


def test_values_are_converted_or_refused() -> None:
    """Numbers given as strings or Decimals become floats, integral floats become ints, and
    a value of the wrong kind raises RowError naming the table and column."""
    row = ticker_row({**TICKER, "bid": "90000.5", "ask": Decimal("90001"), "timestamp": 17.0})
    assert (row["bid"], row["ask"], row["timestamp"]) == (90000.5, 90001.0, 17)
    with pytest.raises(RowError, match=r"tickers\.bid: expected float"):
        ticker_row({**TICKER, "bid": "n/a"})
    with pytest.raises(RowError, match=r"tickers\.timestamp: expected int"):
        ticker_row({**TICKER, "timestamp": 1.5})
    with pytest.raises(RowError, match=r"tickers\.symbol: required"):
        ticker_row({**TICKER, "symbol": None})
    with pytest.raises(RowError, match=r"orders\.postOnly: expected bool"):
        order_row({**ORDER, "postOnly": "yes"})
    with pytest.raises(RowError, match=r"tickers\.high: expected float"):
        ticker_row({**TICKER, "high": True})
    assert order_row({**ORDER, "postOnly": 1})["postOnly"] is True


def test_json_is_stable() -> None:
    """JSON text sorts keys and writes Decimals as strings, so equal payloads give equal text."""
    assert dumps_json({"b": 1, "a": Decimal("1.10")}) == '{"a":"1.10","b":1}'
    assert dumps_json({"b": [1, 2], "a": None}) == dumps_json({"a": None, "b": [1, 2]})


def test_docs_show_the_schema() -> None:
    """docs/persistence.md contains the generated schema, so the docs match the code."""
    assert schema_markdown() in DOCS.read_text()
