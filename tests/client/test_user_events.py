"""User-data event parsers (sans-I/O): each documented event becomes the unified structures
ccxt users expect, field by field against the raw payload; dispatch is by the event type."""

from __future__ import annotations

from typing import Any

import pytest

from client.protocol.user_events import USER_EVENT_PARSERS, parse_user_event
from client.types import Market
from tests.client import user_data_payloads as P


def find(kind: str) -> Any:
    table = P.MARKETS[kind]

    def lookup(market_id: str) -> Market | None:
        return table.get(market_id)

    return lookup


def test_execution_report_new_is_an_open_order_field_by_field() -> None:
    """``executionReport`` NEW: every order field read from the documented keys."""
    raw = P.EXECUTION_NEW
    ev = parse_user_event(raw, find("spot"))
    assert ev is not None and ev.type == "executionReport" and ev.time == raw["E"]
    o = ev.order
    assert o is not None and ev.trade is None
    assert o["id"] == str(raw["i"]) and o["clientOrderId"] == raw["c"]
    assert o["symbol"] == "BTC/USDT" and o["side"] == "buy" and o["type"] == "limit"
    assert o["timeInForce"] == raw["f"] and o["status"] == "open"
    assert o["price"] == float(raw["p"]) and o["amount"] == float(raw["q"])
    assert o["filled"] == 0.0 and o["remaining"] == float(raw["q"])
    assert o["timestamp"] == raw["O"] and o["lastUpdateTimestamp"] == raw["T"]
    assert o["triggerPrice"] is None and o["fee"] is None and o["info"] is raw


def test_execution_report_trade_is_an_order_and_a_trade() -> None:
    """``x`` TRADE: the order's cumulative state and the fill as a trade (``t``, ``L``,
    ``l``, ``Y``, commission ``n``/``N``, maker ``m``)."""
    raw = P.EXECUTION_TRADE_1
    ev = parse_user_event(raw, find("spot"))
    assert ev is not None and ev.order is not None and ev.trade is not None
    o, t = ev.order, ev.trade
    assert o["status"] == "open" and o["filled"] == float(raw["z"])
    assert o["remaining"] == pytest.approx(float(raw["q"]) - float(raw["z"]))
    assert o["cost"] == float(raw["Z"]) and o["lastTradeTimestamp"] == raw["T"]
    assert o["average"] == pytest.approx(float(raw["Z"]) / float(raw["z"]))
    assert o["fee"] == {"cost": float(raw["n"]), "currency": raw["N"]}
    assert t["id"] == str(raw["t"]) and t["order"] == str(raw["i"])
    assert (t["price"], t["amount"], t["cost"]) == (
        float(raw["L"]),
        float(raw["l"]),
        float(raw["Y"]),
    )
    assert t["side"] == "buy" and t["takerOrMaker"] == "maker" and t["timestamp"] == raw["T"]
    assert t["fee"] == {"cost": float(raw["n"]), "currency": raw["N"]}


def test_execution_report_cancel_names_the_original_client_id() -> None:
    """A cancel's ``c`` is the cancel request's id; the order's own id is ``C``."""
    ev = parse_user_event(P.EXECUTION_CANCELED, find("spot"))
    assert ev is not None and ev.order is not None
    assert (
        ev.order["status"] == "canceled" and ev.order["clientOrderId"] == "mUvoqJxFIILMdfAW5iGSOW"
    )


def test_account_position_and_balance_update() -> None:
    """``outboundAccountPosition`` sets free/locked; ``balanceUpdate`` is a delta of free;
    ``externalLockUpdate`` changes nothing by itself."""
    ev = parse_user_event(P.ACCOUNT_POSITION, find("spot"))
    assert ev is not None and ev.balance is not None
    assert {c: (str(f), str(u)) for c, (f, u) in ev.balance.set.items()} == {
        "ETH": ("10000.000000", "0.000000"),
        "BTC": ("11818.00000000", "182.00000000"),
    }
    ev = parse_user_event(P.BALANCE_UPDATE, find("spot"))
    assert ev is not None and ev.balance is not None
    assert {c: str(d) for c, d in ev.balance.free_delta.items()} == {"BTC": "100.00000000"}
    ev = parse_user_event(P.EXTERNAL_LOCK, find("spot"))
    assert ev is not None and ev.balance is None and ev.order is None


def test_order_trade_update_order_trade_and_fee() -> None:
    """``ORDER_TRADE_UPDATE``: the order from ``o`` (``info`` is ``o``), a TRADE fill as a
    trade whose ``info`` is the event."""
    raw = P.ORDER_TRADE_FILL
    o_raw = raw["o"]
    ev = parse_user_event(raw, find("future"))
    assert ev is not None and ev.order is not None and ev.trade is not None
    o, t = ev.order, ev.trade
    assert o["info"] is o_raw and o["symbol"] == "BTC/USDT:USDT" and o["status"] == "closed"
    assert o["filled"] == float(o_raw["z"]) and o["average"] == float(o_raw["ap"])
    assert o["reduceOnly"] is False and o["clientOrderId"] == o_raw["c"]
    assert t["info"] is raw and t["id"] == str(o_raw["t"]) and t["order"] == str(o_raw["i"])
    assert t["price"] == float(o_raw["L"]) and t["amount"] == float(o_raw["l"])
    assert t["cost"] == pytest.approx(float(o_raw["L"]) * float(o_raw["l"]))
    assert t["fee"] == {"cost": float(o_raw["n"]), "currency": o_raw["N"]}
    assert t["takerOrMaker"] == "maker"


def test_trade_lite_is_a_fill_without_fee() -> None:
    """``TRADE_LITE``: the same fill (id ``t``, order ``i``), marked as the lite source."""
    ev = parse_user_event(P.TRADE_LITE, find("future"))
    assert ev is not None and ev.trade is not None and ev.trade_lite and ev.order is None
    t = ev.trade
    assert (t["id"], t["order"], t["price"], t["amount"]) == ("1001", "8886774", 60000.0, 0.001)
    assert t["fee"]["cost"] is None and t["info"] is P.TRADE_LITE


def test_account_update_wallets_and_positions() -> None:
    """``ACCOUNT_UPDATE``: the wallet balance ``wb`` per asset and each ``P`` row as a
    position (size, side, entry, unrealised PnL, margin mode, isolated wallet)."""
    raw = P.ACCOUNT_UPDATE
    ev = parse_user_event(raw, find("future"))
    assert ev is not None and ev.balance is not None
    assert {c: str(w) for c, w in ev.balance.wallet.items()} == {"USDT": "122624.12345678"}
    (pos,) = ev.positions
    row = raw["a"]["P"][0]
    assert pos["info"] is row and pos["symbol"] == "BTC/USDT:USDT"
    assert pos["contracts"] == float(row["pa"]) and pos["side"] == "long"
    assert pos["entryPrice"] == float(row["ep"]) and pos["unrealizedPnl"] == float(row["up"])
    assert pos["marginMode"] == "isolated" and pos["hedged"] is False
    assert pos["realizedPnl"] == float(row["cr"]) and pos["timestamp"] == raw["T"]


def test_margin_call_positions_carry_mark_and_maintenance() -> None:
    """``MARGIN_CALL``: positions at risk with ``mp`` as mark price, ``mm`` maintenance."""
    ev = parse_user_event(P.MARGIN_CALL, find("future"))
    assert ev is not None
    (pos,) = ev.positions
    assert pos["markPrice"] == 55000.5 and pos["maintenanceMargin"] == 12.5
    assert pos["marginMode"] == "cross" and pos["contracts"] == 0.02


def test_liquidation_order_reports_one_liquidation_at_its_end() -> None:
    """The engine's ``LIQUIDATION`` order: its ``CALCULATED`` fill is a trade, and its final
    state one liquidation of ``z`` contracts at ``ap`` (as ``forceOrders`` lists it)."""
    raw = P.LIQUIDATION_FILL
    ev = parse_user_event(raw, find("future"))
    assert ev is not None and ev.trade is not None and ev.liquidation is not None
    liq = ev.liquidation
    assert liq["symbol"] == "BTC/USDT:USDT" and liq["side"] == "sell"
    assert liq["contracts"] == 0.02 and liq["price"] == 54990.1
    assert liq["quoteValue"] == pytest.approx(0.02 * 54990.1) and liq["baseValue"] == 0.02
    assert liq["timestamp"] == raw["o"]["T"] and liq["info"] is raw["o"]
    assert ev.trade["amount"] == 0.02 and ev.trade["side"] == "sell"


def test_coinm_liquidation_values_in_coin() -> None:
    """On COIN-M a liquidation's base value is contracts x size / price (its quote is USD)."""
    raw = P.order_trade(
        s="BTCUSD_PERP", o="LIQUIDATION", x="CALCULATED", X="FILLED", l="2", z="2",
        ap="50000", L="50000",
    )  # fmt: skip
    ev = parse_user_event(raw, find("delivery"))
    assert ev is not None and ev.liquidation is not None
    assert ev.liquidation["quoteValue"] == 200.0
    assert ev.liquidation["baseValue"] == pytest.approx(200 / 50000)


def test_algo_update_is_a_conditional_order() -> None:
    """``ALGO_UPDATE``: the algo order (id ``aid``, client id ``caid``, trigger ``tp``)."""
    ev = parse_user_event(P.ALGO_UPDATE, find("future"))
    assert ev is not None and ev.order is not None
    o = ev.order
    assert (o["id"], o["clientOrderId"], o["status"]) == (
        "2148719",
        "Q5xaq5EGKgXXa0fD7fs0Ip",
        "open",
    )
    assert o["triggerPrice"] == 75000.0 and o["info"] is P.ALGO_UPDATE["o"]


def test_stream_ends_and_unknown_events() -> None:
    """``eventStreamTerminated`` and ``listenKeyExpired`` (``E`` as text) are flagged; an
    event type the client does not know is None; dispatch is a dict keyed on ``e``."""
    ev = parse_user_event(P.TERMINATED, find("spot"))
    assert ev is not None and ev.terminated and not ev.expired
    ev = parse_user_event(P.LISTEN_KEY_EXPIRED, find("future"))
    assert ev is not None and ev.expired and ev.time == 1736996475556
    assert parse_user_event({"e": "somethingNew"}, find("spot")) is None
    assert parse_user_event({"e": "executionReportX"}, find("spot")) is None
    assert set(USER_EVENT_PARSERS) >= {
        "executionReport", "outboundAccountPosition", "balanceUpdate", "ORDER_TRADE_UPDATE",
        "TRADE_LITE", "ACCOUNT_UPDATE", "MARGIN_CALL", "listenKeyExpired",
        "eventStreamTerminated",
    }  # fmt: skip
