"""Account parsers (sans-I/O, Binance's documented payloads): balances of every account kind,
positions from ACCOUNT_UPDATE, the account's liquidations, borrow rates and conversions."""

from __future__ import annotations

import pytest

from client.protocol.account import (
    DAY_MS,
    parse_balance,
    parse_borrow_rate,
    parse_conversion,
    parse_isolated_borrow_rate,
    parse_my_liquidation,
    parse_position,
)
from tests.client import private_payloads as P

SPOT, USDM, COINM = P.SPOT, P.USDM, P.COINM


def test_spot_and_margin_balances() -> None:
    """free + used = total per currency; margin balances carry debt = borrowed + interest."""
    b = parse_balance(P.SPOT_ACCOUNT, "spot")
    assert b["BTC"] == {"free": 1.3447112, "used": 0.086, "total": 1.4307112}  # type: ignore[typeddict-item]
    assert b["timestamp"] == 1660801833000 and b["datetime"] == "2022-08-18T05:50:33.000Z"
    m = parse_balance(P.MARGIN_ACCOUNT, "margin")
    assert m["debt"]["BNB"] == pytest.approx(201.66666672)  # type: ignore[typeddict-item]


def test_isolated_balance_sums_pairs() -> None:
    """Isolated margin sums each asset over the pairs it appears in."""
    raw = {
        "assets": [
            {"baseAsset": {"asset": "BTC", "free": "1", "locked": "0", "borrowed": "0.1",
                           "interest": "0.01"},
             "quoteAsset": {"asset": "USDT", "free": "100", "locked": "5", "borrowed": "0",
                            "interest": "0"}, "symbol": "BTCUSDT"},
            {"baseAsset": {"asset": "ETH", "free": "2", "locked": "0", "borrowed": "0",
                           "interest": "0"},
             "quoteAsset": {"asset": "USDT", "free": "50", "locked": "0", "borrowed": "10",
                            "interest": "1"}, "symbol": "ETHUSDT"},
        ]
    }  # fmt: skip
    b = parse_balance(raw, "isolated")
    assert b["free"]["USDT"] == 150.0 and b["used"]["USDT"] == 5.0 and b["total"]["USDT"] == 155.0
    assert b["debt"] == {"BTC": 0.11, "USDT": 11.0, "ETH": 0.0}  # type: ignore[typeddict-item]


def test_futures_balances_leave_out_untouched_assets() -> None:
    """USD-M account: free = available, used = initial margin, total = margin balance; an
    asset never touched (updateTime 0, zero wallet) is left out."""
    b = parse_balance(P.FUTURES_ACCOUNT, "future")
    assert set(b["total"]) == {"USDT"} and b["free"]["USDT"] == 23.72469206
    assert b["timestamp"] is None


def test_account_update_position_entry() -> None:
    """An ACCOUNT_UPDATE ``P`` entry parses like positionRisk (short keys)."""
    entry = {"s": "BTCUSDT", "pa": "-0.5", "ep": "60000.0", "bep": "60010", "cr": "200",
             "up": "-12.5", "mt": "isolated", "iw": "300.0", "ps": "BOTH"}  # fmt: skip
    pos = parse_position(entry, USDM)
    assert (pos["side"], pos["contracts"], pos["marginMode"], pos["hedged"]) == (
        "short",
        0.5,
        "isolated",
        False,
    )
    assert pos["positionMargin"] == 300.0 and pos["collateral"] == 287.5
    assert pos["realizedPnl"] == 200.0 and pos["unrealizedPnl"] == -12.5
    hedge = parse_position({**entry, "pa": "1", "ps": "LONG", "mt": "cross"}, USDM)
    assert hedge["side"] == "long" and hedge["hedged"] is True and hedge["marginMode"] == "cross"


def test_my_liquidations() -> None:
    """USD-M forceOrders: contracts = executed, price = average, quote value = cumQuote;
    COIN-M values come from the contract size; margin rows use updatedTime."""
    liq = parse_my_liquidation(P.FORCE_ORDER, USDM)
    assert (liq["contracts"], liq["price"], liq["quoteValue"], liq["side"]) == (
        0.002,
        10913.21,
        10.91321,
        "sell",
    )
    assert liq["timestamp"] == 1596107620087 and liq["baseValue"] == 0.002
    coin = parse_my_liquidation(
        {"symbol": "BTCUSD_200925", "avgPrice": "11326.9", "executedQty": "1",
         "cumBase": "0.00882854", "side": "SELL", "updateTime": 1596542005050}, COINM
    )  # fmt: skip
    assert coin["baseValue"] == 0.00882854 and coin["contractSize"] == 100.0
    margin = parse_my_liquidation(
        {"avgPrice": "0.00388359", "executedQty": "31.39000000", "orderId": 180015097,
         "price": "0.00388110", "qty": "31.39000000", "side": "SELL", "symbol": "BTCUSDT",
         "timeInForce": "GTC", "isIsolated": True, "updatedTime": 1558941374745}, SPOT
    )  # fmt: skip
    assert margin["timestamp"] == 1558941374745 and margin["symbol"] == "BTC/USDT"


def test_borrow_rates_and_conversions() -> None:
    """Cross rates (history and crossMarginData), isolated pairs, convert quote and trade."""
    r = parse_borrow_rate({"asset": "BTC", "timestamp": 1611544731000,
                           "dailyInterestRate": "0.00025000", "vipLevel": 1})  # fmt: skip
    assert (r["currency"], r["rate"], r["period"]) == ("BTC", 0.00025, DAY_MS)
    c = parse_borrow_rate({"vipLevel": 0, "coin": "BTC", "dailyInterest": "0.00026125",
                           "borrowable": True})  # fmt: skip
    assert c["rate"] == 0.00026125 and c["timestamp"] is None
    iso = parse_isolated_borrow_rate(
        {"vipLevel": 0, "symbol": "BTCUSDT", "leverage": "10",
         "data": [{"coin": "BTC", "dailyInterest": "0.00026125", "borrowLimit": "270"},
                  {"coin": "USDT", "dailyInterest": "0.000475", "borrowLimit": "2100000"}]},
        {"BTCUSDT": SPOT}.get,
    )  # fmt: skip
    assert (iso["symbol"], iso["baseRate"], iso["quote"], iso["quoteRate"]) == (
        "BTC/USDT",
        0.00026125,
        "USDT",
        0.000475,
    )
    quote = parse_conversion(
        {"quoteId": "12415572564", "ratio": "38163.7", "inverseRatio": "0.0000262",
         "validTimestamp": 1623319461670, "toAmount": "3816.37", "fromAmount": "0.1"},
        "BTC", "USDT",
    )  # fmt: skip
    assert (quote["id"], quote["price"], quote["fromCurrency"], quote["toAmount"]) == (
        "12415572564",
        38163.7,
        "BTC",
        3816.37,
    )
    done = parse_conversion({"orderId": "933256278426274426", "createTime": 1623381330472,
                             "orderStatus": "PROCESS"}, "BTC", "USDT")  # fmt: skip
    assert done["id"] == "933256278426274426" and done["timestamp"] == 1623381330472
