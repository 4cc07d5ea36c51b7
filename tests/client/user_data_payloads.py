"""Binance's documented user-data events (binance-protocol.md 6.4, 6.5), shared by the core
tests of the user-data parsers and state (test helper)."""

from __future__ import annotations

import copy
from typing import Any

from client.types import Market
from tests.client.private_payloads import COINM, SPOT, USDM

MARKETS: dict[str, dict[str, Market]] = {
    "spot": {"BTCUSDT": SPOT},
    "future": {"BTCUSDT": USDM},
    "delivery": {"BTCUSD_PERP": COINM},
}

EXECUTION_NEW: dict[str, Any] = {
    "e": "executionReport",
    "E": 1499405658658,
    "s": "BTCUSDT",
    "c": "mUvoqJxFIILMdfAW5iGSOW",
    "S": "BUY",
    "o": "LIMIT",
    "f": "GTC",
    "q": "1.00000000",
    "p": "0.10264410",
    "P": "0.00000000",
    "F": "0.00000000",
    "g": -1,
    "C": "",
    "x": "NEW",
    "X": "NEW",
    "r": "NONE",
    "i": 4293153,
    "l": "0.00000000",
    "z": "0.00000000",
    "L": "0.00000000",
    "n": "0",
    "N": None,
    "T": 1499405658657,
    "t": -1,
    "v": 3,
    "I": 8641984,
    "w": True,
    "m": False,
    "M": False,
    "O": 1499405658657,
    "Z": "0.00000000",
    "Y": "0.00000000",
    "Q": "0.00000000",
    "W": 1499405658657,
    "V": "NONE",
}


def execution(**changes: Any) -> dict[str, Any]:
    """The documented ``executionReport`` with fields replaced."""
    out = copy.deepcopy(EXECUTION_NEW)
    out.update(changes)
    return out


# the market-orders FAQ's sequence, on the limit order above: a partial fill then the rest
EXECUTION_TRADE_1 = execution(
    E=1499405660000, x="TRADE", X="PARTIALLY_FILLED", l="0.40000000", z="0.40000000",
    L="0.10264410", n="0.00040000", N="BNB", T=1499405660000, t=7, I=8641990, w=False,
    m=True, M=True, Z="0.04105764", Y="0.04105764",
)  # fmt: skip
EXECUTION_TRADE_2 = execution(
    E=1499405661000, x="TRADE", X="FILLED", l="0.60000000", z="1.00000000",
    L="0.10264410", n="0.00060000", N="BNB", T=1499405661000, t=8, I=8641995, w=False,
    m=True, M=True, Z="0.10264410", Y="0.06158646",
)  # fmt: skip
EXECUTION_CANCELED = execution(
    E=1499405662000, x="CANCELED", X="CANCELED", T=1499405662000, c="cancelClientId01", I=8642000,
    C="mUvoqJxFIILMdfAW5iGSOW", w=False,
)  # fmt: skip

ACCOUNT_POSITION: dict[str, Any] = {
    "e": "outboundAccountPosition",
    "E": 1564034571105,
    "u": 1564034571073,
    "B": [
        {"a": "ETH", "f": "10000.000000", "l": "0.000000"},
        {"a": "BTC", "f": "11818.00000000", "l": "182.00000000"},
    ],
}
BALANCE_UPDATE: dict[str, Any] = {
    "e": "balanceUpdate",
    "E": 1573200697110,
    "a": "BTC",
    "d": "100.00000000",
    "T": 1573200697068,
}
EXTERNAL_LOCK: dict[str, Any] = {
    "e": "externalLockUpdate",
    "E": 1581557507324,
    "a": "NEO",
    "d": "10.00000000",
    "T": 1581557507268,
}
TERMINATED: dict[str, Any] = {"e": "eventStreamTerminated", "E": 1728973001334}

ORDER_TRADE_NEW: dict[str, Any] = {
    "e": "ORDER_TRADE_UPDATE",
    "E": 1568879465651,
    "T": 1568879465650,
    "o": {
        "s": "BTCUSDT", "c": "TEST", "S": "BUY", "o": "LIMIT", "f": "GTC", "q": "0.001",
        "p": "60000", "ap": "0", "sp": "0", "x": "NEW", "X": "NEW", "i": 8886774, "l": "0",
        "z": "0", "L": "0", "N": "USDT", "n": "0", "T": 1568879465650, "t": 0, "b": "60",
        "a": "0", "m": False, "R": False, "wt": "CONTRACT_PRICE", "ot": "LIMIT", "ps": "BOTH",
        "cp": False, "rp": "0", "pP": False, "si": 0, "ss": 0, "V": "EXPIRE_MAKER",
        "pm": "NONE", "gtd": 0, "er": "0",
    },
}  # fmt: skip


def order_trade(**changes: Any) -> dict[str, Any]:
    """The documented ``ORDER_TRADE_UPDATE`` with fields of ``o`` replaced (``E``/``T`` of
    the event follow ``T``)."""
    out = copy.deepcopy(ORDER_TRADE_NEW)
    out["o"].update(changes)
    if "T" in changes:
        out["E"] = out["T"] = changes["T"]
    return out


ORDER_TRADE_FILL = order_trade(
    x="TRADE", X="FILLED", l="0.001", z="0.001", L="60000", ap="60000", n="0.03",
    T=1568879465700, t=1001, m=True, rp="0",
)  # fmt: skip
TRADE_LITE: dict[str, Any] = {
    "e": "TRADE_LITE",
    "E": 1568879465700,
    "T": 1568879465700,
    "s": "BTCUSDT",
    "q": "0.001",
    "p": "60000",
    "m": True,
    "c": "TEST",
    "S": "BUY",
    "L": "60000",
    "l": "0.001",
    "t": 1001,
    "i": 8886774,
}
ACCOUNT_UPDATE: dict[str, Any] = {
    "e": "ACCOUNT_UPDATE",
    "E": 1564745798939,
    "T": 1564745798938,
    "a": {
        "m": "ORDER",
        "B": [{"a": "USDT", "wb": "122624.12345678", "cw": "100.12345678", "bc": "50.12345678"}],
        "P": [
            {
                "s": "BTCUSDT", "pa": "0.020", "ep": "60000.00000", "bep": "60010", "cr": "200",
                "up": "-1.5", "mt": "isolated", "iw": "60.00000000", "ps": "BOTH",
            }
        ],
    },
}  # fmt: skip
MARGIN_CALL: dict[str, Any] = {
    "e": "MARGIN_CALL",
    "E": 1587727187525,
    "cw": "3.16812045",
    "p": [
        {
            "s": "BTCUSDT", "ps": "BOTH", "pa": "0.020", "mt": "CROSSED", "iw": "0",
            "mp": "55000.5", "up": "-100.2", "mm": "12.5",
        }
    ],
}  # fmt: skip
LIQUIDATION_FILL = order_trade(
    c="autoclose-1596107620040000020", S="SELL", o="LIQUIDATION", ot="LIQUIDATION", f="IOC",
    q="0.020", p="0", x="CALCULATED", X="FILLED", i=8886800, l="0.020", z="0.020",
    L="54990.1", ap="54990.1", n="0.5", T=1596107620044, t=1002, R=True,
)  # fmt: skip
LISTEN_KEY_EXPIRED: dict[str, Any] = {
    "e": "listenKeyExpired",
    "E": "1736996475556",
    "listenKey": "WsCMN0a4KHUPTQuX6IUnqEZfB1inxmv1qR4kbf1LuEjur5VdbzqvyxqG9TSjVVxv",
}
ALGO_UPDATE: dict[str, Any] = {
    "e": "ALGO_UPDATE",
    "T": 1750515742297,
    "E": 1750515742303,
    "o": {
        "caid": "Q5xaq5EGKgXXa0fD7fs0Ip", "aid": 2148719, "at": "CONDITIONAL",
        "o": "TAKE_PROFIT", "s": "BTCUSDT", "S": "SELL", "ps": "BOTH", "f": "GTC",
        "q": "0.01", "X": "NEW", "ai": "", "ap": "0.00000", "aq": "0.00000", "act": "0",
        "tp": "75000", "p": "75000", "V": "EXPIRE_MAKER", "wt": "CONTRACT_PRICE",
        "pm": "NONE", "cp": False, "pP": False, "R": False, "tt": 0, "gtd": 0,
    },
}  # fmt: skip
