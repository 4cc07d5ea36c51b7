"""Binance's documented private payloads (binance-protocol.md 4.6, 4.7, 6.4, 6.5, 9.6, 9.7 and
Binance's REST docs), shared by the parser tests and the differential tests (test helper)."""

from __future__ import annotations

from typing import Any

from client.protocol.parsers import parse_market
from client.types import Market
from tests.e2e.loopback import COINM_INFO, SPOT_INFO, USDM_INFO

SPOT: Market = parse_market(SPOT_INFO["symbols"][0], "spot")  # type: ignore[arg-type]
USDM: Market = parse_market(USDM_INFO["symbols"][0], "future")  # type: ignore[arg-type]
USDM_ETH: Market = parse_market(USDM_INFO["symbols"][1], "future")  # type: ignore[arg-type]
COINM: Market = parse_market(COINM_INFO["symbols"][0], "delivery")  # type: ignore[arg-type]

PLACE_ACK: dict[str, Any] = {
    "symbol": "BTCUSDT",
    "orderId": 12569099453,
    "orderListId": -1,
    "clientOrderId": "4d96324ff9d44481926157ec08158a40",
    "transactTime": 1660801715639,
}
PLACE_RESULT: dict[str, Any] = {
    **PLACE_ACK,
    "price": "23416.10000000",
    "origQty": "0.00847000",
    "executedQty": "0.00000000",
    "origQuoteOrderQty": "0.000000",
    "cummulativeQuoteQty": "0.00000000",
    "status": "NEW",
    "timeInForce": "GTC",
    "type": "LIMIT",
    "side": "SELL",
    "workingTime": 1660801715639,
    "selfTradePreventionMode": "NONE",
}
PLACE_FULL: dict[str, Any] = {
    **PLACE_RESULT,
    "transactTime": 1660801715793,
    "executedQty": "0.00847000",
    "cummulativeQuoteQty": "198.33521500",
    "status": "FILLED",
    "workingTime": 1660801715793,
    "fills": [
        {
            "price": "23416.10000000",
            "qty": "0.00635000",
            "commission": "0.000000",
            "commissionAsset": "BNB",
            "tradeId": 1650422481,
        },
        {
            "price": "23416.50000000",
            "qty": "0.00212000",
            "commission": "0.000000",
            "commissionAsset": "BNB",
            "tradeId": 1650422482,
        },
    ],
}
MARKET_FULL: dict[str, Any] = {
    "symbol": "BTCUSDT",
    "orderId": 28,
    "orderListId": -1,
    "clientOrderId": "6gCrw2kRUAF9CvJDGP16IP",
    "transactTime": 1507725176595,
    "price": "0.00000000",
    "origQty": "10.00000000",
    "executedQty": "10.00000000",
    "origQuoteOrderQty": "0.000000",
    "cummulativeQuoteQty": "10.00000000",
    "status": "FILLED",
    "timeInForce": "GTC",
    "type": "MARKET",
    "side": "SELL",
    "workingTime": 1507725176595,
    "selfTradePreventionMode": "NONE",
    "fills": [
        {"price": "4000.00000000", "qty": "1.00000000", "commission": "4.00000000",
         "commissionAsset": "USDT", "tradeId": 56},
        {"price": "3999.00000000", "qty": "5.00000000", "commission": "19.99500000",
         "commissionAsset": "USDT", "tradeId": 57},
        {"price": "3998.00000000", "qty": "2.00000000", "commission": "7.99600000",
         "commissionAsset": "USDT", "tradeId": 58},
        {"price": "3997.00000000", "qty": "1.00000000", "commission": "3.99700000",
         "commissionAsset": "USDT", "tradeId": 59},
        {"price": "3995.00000000", "qty": "1.00000000", "commission": "3.99500000",
         "commissionAsset": "USDT", "tradeId": 60},
    ],
}  # fmt: skip
QUERY: dict[str, Any] = {
    "symbol": "BTCUSDT",
    "orderId": 12569099453,
    "orderListId": -1,
    "clientOrderId": "4d96324ff9d44481926157",
    "price": "23416.10000000",
    "origQty": "0.00847000",
    "executedQty": "0.00847000",
    "cummulativeQuoteQty": "198.33521500",
    "status": "FILLED",
    "timeInForce": "GTC",
    "type": "LIMIT",
    "side": "SELL",
    "stopPrice": "0.00000000",
    "icebergQty": "0.00000000",
    "time": 1660801715639,
    "updateTime": 1660801717945,
    "isWorking": True,
    "workingTime": 1660801715639,
    "origQuoteOrderQty": "0.00000000",
    "selfTradePreventionMode": "NONE",
}
QUERY_PARTIAL: dict[str, Any] = {**QUERY, "executedQty": "0.00200000",
                                 "cummulativeQuoteQty": "46.83220000",
                                 "status": "PARTIALLY_FILLED"}  # fmt: skip
CANCEL: dict[str, Any] = {
    "symbol": "BTCUSDT",
    "origClientOrderId": "4d96324ff9d44481926157",
    "orderId": 12569099453,
    "orderListId": -1,
    "clientOrderId": "91fe37ce9e69c90d6358c0",
    "transactTime": 1684804350068,
    "price": "23416.10000000",
    "origQty": "0.00847000",
    "executedQty": "0.00001000",
    "origQuoteOrderQty": "0.000000",
    "cummulativeQuoteQty": "0.23416100",
    "status": "CANCELED",
    "timeInForce": "GTC",
    "type": "LIMIT",
    "side": "SELL",
    "selfTradePreventionMode": "NONE",
}
STOP_LIMIT: dict[str, Any] = {**QUERY, "type": "STOP_LOSS_LIMIT", "stopPrice": "23000.00000000",
                              "status": "NEW", "executedQty": "0.00000000",
                              "cummulativeQuoteQty": "0.00000000", "isWorking": False,
                              "workingTime": -1}  # fmt: skip
MAKER: dict[str, Any] = {**PLACE_RESULT, "type": "LIMIT_MAKER"}
EXECUTION_REPORT: dict[str, Any] = {
    "e": "executionReport", "E": 1499405658658, "s": "BTCUSDT", "c": "mUvoqJxFIILMdfAW5iGSOW",
    "S": "BUY", "o": "LIMIT", "f": "GTC", "q": "1.00000000", "p": "0.10264410",
    "P": "0.00000000", "F": "0.00000000", "g": -1, "C": "", "x": "NEW", "X": "NEW", "r": "NONE",
    "i": 4293153, "l": "0.00000000", "z": "0.00000000", "L": "0.00000000", "n": "0", "N": None,
    "T": 1499405658657, "t": -1, "v": 3, "I": 8641984, "w": True, "m": False, "M": False,
    "O": 1499405658657, "Z": "0.00000000", "Y": "0.00000000", "Q": "0.00000000",
    "W": 1499405658657, "V": "NONE",
}  # fmt: skip
EXECUTION_TRADE: dict[str, Any] = {
    **EXECUTION_REPORT, "E": 1499405659000, "x": "TRADE", "X": "PARTIALLY_FILLED",
    "l": "0.40000000", "z": "0.40000000", "L": "0.10264400", "n": "0.00040000", "N": "BNB",
    "T": 1499405658999, "t": 77, "w": False, "m": True, "M": True, "Z": "0.04105760",
    "Y": "0.04105760",
}  # fmt: skip
ORDER_TRADE_UPDATE: dict[str, Any] = {
    "e": "ORDER_TRADE_UPDATE", "E": 1568879465651, "T": 1568879465650,
    "o": {"s": "BTCUSDT", "c": "TEST", "S": "BUY", "o": "LIMIT", "f": "GTC", "q": "0.001",
          "p": "60000", "ap": "0", "sp": "0", "x": "NEW", "X": "NEW", "i": 8886774, "l": "0",
          "z": "0", "L": "0", "N": "USDT", "n": "0", "T": 1568879465650, "t": 0, "b": "60",
          "a": "0", "m": False, "R": False, "wt": "CONTRACT_PRICE", "ot": "LIMIT", "ps": "BOTH",
          "cp": False, "rp": "0", "pP": False, "si": 0, "ss": 0, "V": "EXPIRE_MAKER",
          "pm": "NONE", "gtd": 0, "er": "0"},
}  # fmt: skip
ORDER_TRADE_FILL: dict[str, Any] = {
    **ORDER_TRADE_UPDATE, "E": 1568879466000, "T": 1568879465999,
    "o": {**ORDER_TRADE_UPDATE["o"], "x": "TRADE", "X": "FILLED", "l": "0.001", "z": "0.001",
          "L": "59999.9", "ap": "59999.9", "n": "0.02399996", "T": 1568879465999, "t": 901,
          "m": True, "rp": "0"},
}  # fmt: skip
MY_TRADE: dict[str, Any] = {
    "symbol": "BTCUSDT", "id": 28457, "orderId": 100234, "orderListId": -1,
    "price": "4.00000100", "qty": "12.00000000", "quoteQty": "48.000012",
    "commission": "10.10000000", "commissionAsset": "BNB", "time": 1499865549590,
    "isBuyer": True, "isMaker": False, "isBestMatch": True,
}  # fmt: skip
FUTURES_ORDER: dict[str, Any] = {
    "avgPrice": "0.00000", "clientOrderId": "abc", "cumQuote": "0", "executedQty": "0",
    "orderId": 1917641, "origQty": "0.40", "origType": "TRAILING_STOP_MARKET",
    "price": "0", "reduceOnly": False, "side": "BUY", "positionSide": "SHORT",
    "status": "NEW", "stopPrice": "9300", "closePosition": False, "symbol": "BTCUSDT",
    "time": 1579276756075, "timeInForce": "GTC", "type": "TRAILING_STOP_MARKET",
    "activatePrice": "9020", "priceRate": "0.3", "updateTime": 1579276756075,
    "workingType": "CONTRACT_PRICE", "priceProtect": False, "priceMatch": "NONE",
    "selfTradePreventionMode": "NONE", "goodTillDate": 0,
}  # fmt: skip
FUTURES_FILLED: dict[str, Any] = {
    "orderId": 22542179, "symbol": "BTCUSDT", "status": "FILLED", "clientOrderId": "myid",
    "price": "0", "avgPrice": "60000.10", "origQty": "0.010", "executedQty": "0.010",
    "cumQty": "0.010", "cumQuote": "600.00100", "timeInForce": "GTC", "type": "MARKET",
    "reduceOnly": False, "closePosition": False, "side": "SELL", "positionSide": "BOTH",
    "stopPrice": "0", "workingType": "CONTRACT_PRICE", "priceProtect": False,
    "origType": "MARKET", "priceMatch": "NONE", "selfTradePreventionMode": "NONE",
    "goodTillDate": 0, "updateTime": 1566818724722,
}  # fmt: skip
COINM_ORDER: dict[str, Any] = {
    "avgPrice": "9000.0", "clientOrderId": "c1", "cumBase": "0.02222222", "executedQty": "2",
    "orderId": 20072994037, "origQty": "2", "origType": "LIMIT", "price": "9000.0",
    "reduceOnly": False, "side": "BUY", "positionSide": "BOTH", "status": "FILLED",
    "stopPrice": "0", "closePosition": False, "symbol": "BTCUSD_PERP", "pair": "BTCUSD",
    "time": 1591095711000, "timeInForce": "GTC", "type": "LIMIT", "updateTime": 1591095711001,
    "workingType": "CONTRACT_PRICE", "priceProtect": False,
}  # fmt: skip
USER_TRADE: dict[str, Any] = {
    "buyer": False, "commission": "-0.07819010", "commissionAsset": "USDT", "id": 698759,
    "maker": False, "orderId": 25851813, "price": "7819.01", "qty": "0.002",
    "quoteQty": "15.63802", "realizedPnl": "-0.91539999", "side": "SELL",
    "positionSide": "SHORT", "symbol": "BTCUSDT", "time": 1569514978020,
}  # fmt: skip
COINM_USER_TRADE: dict[str, Any] = {
    "symbol": "BTCUSD_PERP", "id": 6, "orderId": 28, "pair": "BTCUSD", "side": "SELL",
    "price": "8800", "qty": "1", "realizedPnl": "0", "marginAsset": "BTC",
    "baseQty": "0.01136364", "commission": "0.00000454", "commissionAsset": "BTC",
    "time": 1590743483586, "positionSide": "BOTH", "buyer": False, "maker": False,
}  # fmt: skip
CANCEL_REPLACE: dict[str, Any] = {
    "cancelResult": "SUCCESS",
    "newOrderResult": "SUCCESS",
    "cancelResponse": CANCEL,
    "newOrderResponse": {**PLACE_RESULT, "orderId": 12569099454, "price": "23400.00000000"},
}
AMEND: dict[str, Any] = {
    "transactTime": 1741926410255,
    "executionId": 75,
    "amendedOrder": {
        "symbol": "BTCUSDT", "orderId": 33, "orderListId": -1,
        "origClientOrderId": "5xrgbMyg6z36NzBn2pbT8H", "clientOrderId": "PFaq6hIHxqFENGfdtn4J6Q",
        "price": "6.00000000", "qty": "5.00000000", "executedQty": "0.00000000",
        "preventedQty": "0.00000000", "quoteOrderQty": "0.00000000",
        "cumulativeQuoteQty": "0.00000000", "status": "NEW", "timeInForce": "GTC",
        "type": "LIMIT", "side": "SELL", "workingTime": 1741926410242,
        "selfTradePreventionMode": "NONE",
    },
}  # fmt: skip
BATCH_ERROR: dict[str, Any] = {"code": -2019, "msg": "Margin is insufficient."}
SPOT_ACCOUNT: dict[str, Any] = {
    "makerCommission": 15, "takerCommission": 15, "buyerCommission": 0, "sellerCommission": 0,
    "canTrade": True, "canWithdraw": True, "canDeposit": True,
    "commissionRates": {"maker": "0.00150000", "taker": "0.00150000", "buyer": "0.00000000",
                        "seller": "0.00000000"},
    "brokered": False, "requireSelfTradePrevention": False, "preventSor": False,
    "updateTime": 1660801833000, "accountType": "SPOT",
    "balances": [{"asset": "BNB", "free": "0.00000000", "locked": "0.00000000"},
                 {"asset": "BTC", "free": "1.3447112", "locked": "0.08600000"},
                 {"asset": "USDT", "free": "1021.21000000", "locked": "0.00000000"}],
    "permissions": ["SPOT"], "uid": 354937868,
}  # fmt: skip
MARGIN_ACCOUNT: dict[str, Any] = {
    "borrowEnabled": True, "marginLevel": "11.64405625", "totalAssetOfBtc": "6.82728457",
    "totalLiabilityOfBtc": "0.58633215", "totalNetAssetOfBtc": "6.24095242",
    "tradeEnabled": True, "transferEnabled": True,
    "userAssets": [
        {"asset": "BTC", "borrowed": "0.00000000", "free": "0.00499500", "interest": "0.00000000",
         "locked": "0.00000000", "netAsset": "0.00499500"},
        {"asset": "BNB", "borrowed": "201.66666672", "free": "2346.50000000",
         "interest": "0.00000000", "locked": "0.00000000", "netAsset": "2144.83333328"},
    ],
}  # fmt: skip
FUTURES_ACCOUNT: dict[str, Any] = {
    "totalInitialMargin": "0.00000000", "totalWalletBalance": "103.12345678",
    "assets": [
        {"asset": "USDT", "walletBalance": "23.72469206", "unrealizedProfit": "0.00000000",
         "marginBalance": "23.72469206", "maintMargin": "0.00000000",
         "initialMargin": "0.00000000", "positionInitialMargin": "0.00000000",
         "openOrderInitialMargin": "0.00000000", "crossWalletBalance": "23.72469206",
         "crossUnPnl": "0.00000000", "availableBalance": "23.72469206",
         "maxWithdrawAmount": "23.72469206", "updateTime": 1625474304765},
        {"asset": "USDC", "walletBalance": "0.00000000", "unrealizedProfit": "0.00000000",
         "marginBalance": "0.00000000", "maintMargin": "0.00000000",
         "initialMargin": "0.00000000", "positionInitialMargin": "0.00000000",
         "openOrderInitialMargin": "0.00000000", "crossWalletBalance": "0.00000000",
         "crossUnPnl": "0.00000000", "availableBalance": "0.00000000",
         "maxWithdrawAmount": "0.00000000", "updateTime": 0},
    ],
    "positions": [],
}  # fmt: skip
FUTURES_BALANCE: list[dict[str, Any]] = [
    {"accountAlias": "SgsR", "asset": "USDT", "balance": "122607.35137903",
     "crossWalletBalance": "23.72469206", "crossUnPnl": "0.00000000",
     "availableBalance": "23.72469206", "maxWithdrawAmount": "23.72469206",
     "marginAvailable": True, "updateTime": 1617939110373},
]  # fmt: skip
POSITION_RISK_V2: dict[str, Any] = {
    "entryPrice": "0.00000", "breakEvenPrice": "0.0", "marginType": "isolated",
    "isAutoAddMargin": "false", "isolatedMargin": "0.00000000", "leverage": "10",
    "liquidationPrice": "0", "markPrice": "6679.50671178", "maxNotionalValue": "20000000",
    "positionAmt": "0.000", "notional": "0", "isolatedWallet": "0", "symbol": "BTCUSDT",
    "unRealizedProfit": "0.00000000", "positionSide": "BOTH", "updateTime": 0,
}  # fmt: skip
POSITION_RISK_LONG: dict[str, Any] = {
    "symbol": "BTCUSDT", "positionSide": "BOTH", "positionAmt": "0.010",
    "entryPrice": "60000.0", "breakEvenPrice": "60024.0", "markPrice": "61000.00000000",
    "unRealizedProfit": "10.00000000", "liquidationPrice": "0", "isolatedMargin": "0",
    "notional": "610.00000000", "marginAsset": "USDT", "isolatedWallet": "0",
    "initialMargin": "61.00000000", "maintMargin": "2.44000000",
    "positionInitialMargin": "61.00000000", "openOrderInitialMargin": "0", "adl": 1,
    "bidNotional": "0", "askNotional": "0", "updateTime": 1720736417660,
}  # fmt: skip
POSITION_ISOLATED_SHORT: dict[str, Any] = {
    **POSITION_RISK_V2, "positionAmt": "-0.500", "entryPrice": "3000.0", "symbol": "ETHUSDT",
    "markPrice": "2900.0", "unRealizedProfit": "50.00000000", "isolatedMargin": "200.00000000",
    "isolatedWallet": "150.00000000", "notional": "-1450.00000000",
    "liquidationPrice": "3300.5", "updateTime": 1720736417660,
}  # fmt: skip
FORCE_ORDER: dict[str, Any] = {
    "orderId": 6071832819, "symbol": "BTCUSDT", "status": "FILLED",
    "clientOrderId": "autoclose-1596107620040000020", "price": "10871.09",
    "avgPrice": "10913.21000", "origQty": "0.001", "executedQty": "0.002",
    "cumQuote": "10.91321", "timeInForce": "IOC", "type": "LIMIT", "reduceOnly": False,
    "closePosition": False, "side": "SELL", "positionSide": "BOTH", "stopPrice": "0",
    "workingType": "CONTRACT_PRICE", "origType": "LIMIT", "time": 1596107620044,
    "updateTime": 1596107620087,
}  # fmt: skip
