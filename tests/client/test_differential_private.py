"""Differential tests of the private parsers: for Binance's documented payloads, our order,
trade, balance and position structures equal ccxt 4.5.90's parse results field by field,
except for the intended differences listed in docs/client.md (named here per case)."""

from __future__ import annotations

from typing import Any

import pytest

from client.protocol.account import parse_balance, parse_position
from client.protocol.orders import parse_my_trade, parse_order
from client.types import Market
from tests.client import private_payloads as P

pytest.importorskip("ccxt.pro")

MARKETS: dict[str, Market] = {
    "BTC/USDT": P.SPOT,
    "BTC/USDT:USDT": P.USDM,
    "ETH/USDT:USDT": P.USDM_ETH,
    "BTC/USD:BTC": P.COINM,
}


def diff(theirs: dict[str, Any], mine: Any) -> dict[str, tuple[Any, Any]]:
    """Fields whose values differ (a field one side lacks counts as a difference)."""
    keys = set(theirs) | set(mine)
    missing = "<missing>"
    return {
        k: (theirs.get(k, missing), mine.get(k, missing))
        for k in keys
        if theirs.get(k, missing) != mine.get(k, missing)
    }


# fills become trades that carry the order's id, side, type and time (docs/client.md)
FILLS = {"trades"}


@pytest.mark.parametrize(
    ("raw", "symbol", "intended"),
    [
        (P.PLACE_ACK, "BTC/USDT", set()),
        (P.PLACE_RESULT, "BTC/USDT", set()),
        (P.PLACE_FULL, "BTC/USDT", FILLS),
        (P.MARKET_FULL, "BTC/USDT", FILLS),
        (P.QUERY, "BTC/USDT", set()),
        (P.QUERY_PARTIAL, "BTC/USDT", set()),
        (P.CANCEL, "BTC/USDT", set()),
        (P.STOP_LIMIT, "BTC/USDT", set()),
        (P.MAKER, "BTC/USDT", set()),
        (P.FUTURES_ORDER, "BTC/USDT:USDT", set()),
        (P.FUTURES_FILLED, "BTC/USDT:USDT", set()),
        (P.COINM_ORDER, "BTC/USD:BTC", set()),
    ],
)
def test_rest_orders_equal_ccxt(
    cx: Any, raw: dict[str, Any], symbol: str, intended: set[str]
) -> None:
    """REST / WS API order answers (placement, query, cancel; spot, USD-M, COIN-M)."""
    theirs = cx.parse_order(dict(raw), cx.market(symbol))
    assert set(diff(theirs, parse_order(dict(raw), MARKETS[symbol]))) == intended


def test_fill_trades_differ_only_by_what_the_order_knows(cx: Any) -> None:
    """Our fills equal ccxt's but for the order id, side, type and time we fill in."""
    theirs = cx.parse_order(dict(P.PLACE_FULL), cx.market("BTC/USDT"))["trades"]
    mine = parse_order(dict(P.PLACE_FULL), MARKETS["BTC/USDT"])["trades"]
    for t, m in zip(theirs, mine, strict=True):
        assert set(diff(t, m)) == {"order", "side", "type", "timestamp", "datetime"}
        assert (t["order"], t["side"], t["timestamp"]) == (None, None, None)


@pytest.mark.parametrize(
    ("raw", "symbol", "intended"),
    [
        (P.EXECUTION_REPORT, "BTC/USDT", set()),
        # ccxt leaves the event's fee cost a string ("0.00040000"); ours is a float
        (P.EXECUTION_TRADE, "BTC/USDT", {"fee"}),
        (P.ORDER_TRADE_UPDATE, "BTC/USDT:USDT", set()),
        (P.ORDER_TRADE_FILL, "BTC/USDT:USDT", {"fee"}),
    ],
)
def test_order_events_equal_ccxt(
    cx: Any, raw: dict[str, Any], symbol: str, intended: set[str]
) -> None:
    """executionReport and ORDER_TRADE_UPDATE orders equal ccxt's parse_ws_order."""
    payload = raw["o"] if raw.get("e") == "ORDER_TRADE_UPDATE" else raw
    theirs = cx.parse_ws_order(dict(payload))
    mine = parse_order(dict(raw), MARKETS[symbol])
    d = diff(theirs, mine)
    assert set(d) == intended
    if "fee" in d:
        assert float(theirs["fee"]["cost"]) == mine["fee"]["cost"]  # same number, typed


@pytest.mark.parametrize(
    ("raw", "symbol"),
    [
        (P.MY_TRADE, "BTC/USDT"),
        (P.USER_TRADE, "BTC/USDT:USDT"),
        (P.COINM_USER_TRADE, "BTC/USD:BTC"),
    ],
)
def test_my_trades_equal_ccxt(cx: Any, raw: dict[str, Any], symbol: str) -> None:
    """myTrades and futures userTrades equal ccxt's parse_trade."""
    theirs = cx.parse_trade(dict(raw), cx.market(symbol))
    assert diff(theirs, parse_my_trade(dict(raw), MARKETS[symbol])) == {}


def test_trade_event_equals_ccxt(cx: Any) -> None:
    """An executionReport TRADE equals ccxt's parse_ws_trade."""
    theirs = cx.parse_ws_trade(dict(P.EXECUTION_TRADE))
    assert diff(theirs, parse_my_trade(dict(P.EXECUTION_TRADE), MARKETS["BTC/USDT"])) == {}


@pytest.mark.parametrize(
    ("raw", "ours", "theirs_type"),
    [
        (P.SPOT_ACCOUNT, "spot", "spot"),
        (P.MARGIN_ACCOUNT, "margin", "margin"),
        (P.FUTURES_ACCOUNT, "future", "linear"),
        (P.FUTURES_BALANCE, "future", "linear"),
    ],
)
def test_balances_equal_ccxt(cx: Any, raw: Any, ours: Any, theirs_type: str) -> None:
    """Spot, cross margin (with debt) and USD-M account and balance payloads."""
    assert diff(cx.parse_balance_custom(raw, theirs_type), parse_balance(raw, ours)) == {}


# keys of CCXT's Position type that its parse_position_risk leaves out; ours has every key
ALL_KEYS = {"realizedPnl", "lastUpdateTimestamp", "lastPrice"}


@pytest.mark.parametrize(
    ("raw", "symbol", "intended"),
    [
        # ccxt derives a cross collateral of 0 from leverage brackets it has not loaded;
        # we report none rather than a wrong figure
        (P.POSITION_RISK_LONG, "BTC/USDT:USDT", ALL_KEYS | {"collateral"}),
        (P.POSITION_ISOLATED_SHORT, "ETH/USDT:USDT", ALL_KEYS),
        (P.POSITION_RISK_V2, "BTC/USDT:USDT", ALL_KEYS),
    ],
)
def test_positions_equal_ccxt(
    cx: Any, raw: dict[str, Any], symbol: str, intended: set[str]
) -> None:
    """positionRisk v2 (isolated short, empty) and v3 (cross long) positions."""
    theirs = cx.parse_position_risk(dict(raw))
    mine = parse_position(dict(raw), MARKETS[symbol])
    d = diff(theirs, mine)
    assert set(d) == intended
    assert all(d[k][0] == "<missing>" for k in ALL_KEYS)
