"""The code -> class table, over every Binance error code and message the emulator can
produce (spot, margin, Convert, USD-M and COIN-M), checked at the one decoding point; and a
guard that fails when the emulator learns a code this table does not classify."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest

from client.errors import (
    AccountSuspended,
    AuthenticationError,
    BadRequest,
    BadSymbol,
    BaseError,
    DDoSProtection,
    DuplicateOrderId,
    ExchangeError,
    InsufficientFunds,
    InvalidNonce,
    InvalidOrder,
    MarketClosed,
    NotSupported,
    OperationRejected,
    OrderImmediatelyFillable,
    OrderNotFillable,
    OrderNotFound,
    PermissionDenied,
    RateLimitExceeded,
    error_from_binance,
)
from client.protocol.rest import decode_response

ROOT = Path(__file__).resolve().parents[2]

# (code, message verbatim, HTTP status, class)
TABLE: list[tuple[int, str, int, type[BaseError]]] = [
    # general, transport, security
    (-1000, "Malformed request: invalid JSON.", 400, ExchangeError),
    (-1003, "Too much request weight used; current limit is 6000 request weight per 1 MINUTE. "
     "Please use WebSocket Streams for live updates to avoid polling the API.", 429,
     RateLimitExceeded),
    (-1003, "Way too much request weight used; IP banned until 1659146400000. Please use "
     "WebSocket Streams for live updates to avoid bans.", 418, DDoSProtection),
    (-1013, "Filter failure: LOT_SIZE", 400, InvalidOrder),
    (-1013, "Filter failure: MARKET_LOT_SIZE", 400, InvalidOrder),
    (-1013, "Filter failure: MAX_NUM_ALGO_ORDERS", 400, InvalidOrder),
    (-1013, "Filter failure: MAX_NUM_ORDERS", 400, InvalidOrder),
    (-1013, "Filter failure: MAX_NUM_ORDER_AMENDS", 400, InvalidOrder),
    (-1013, "Filter failure: NOTIONAL", 400, InvalidOrder),
    (-1013, "Filter failure: PERCENT_PRICE_BY_SIDE", 400, InvalidOrder),
    (-1013, "Filter failure: PRICE_FILTER", 400, InvalidOrder),
    (-1013, "Invalid price.", 400, InvalidOrder),
    (-1013, "Invalid quantity.", 400, InvalidOrder),
    (-1013, "This symbol does not allow the specified self-trade prevention mode.", 400,
     InvalidOrder),
    (-1002, "You are not authorized to execute this request.", 401, PermissionDenied),
    (-1013, "Market is closed.", 400, MarketClosed),
    (-1015, "Too many new orders; current limit is 50 orders per 10 SECOND.", 429,
     RateLimitExceeded),
    (-1020, "This operation is not supported.", 404, NotSupported),
    (-1021, "Timestamp for this request was 1000ms ahead of the server's time.", 400,
     InvalidNonce),
    (-1021, "Timestamp for this request is outside of the recvWindow.", 400, InvalidNonce),
    (-1022, "Signature for this request is not valid.", 400, AuthenticationError),
    # parameters
    (-1100, "Illegal characters found in parameter 'symbol'; legal range is '^[A-Z0-9-_.]{1,20}$'.",
     400, BadRequest),
    (-1101, "Too many parameters; expected '20' and received '21'.", 400, BadRequest),
    (-1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.", 400,
     BadRequest),
    (-1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!", 400,
     BadRequest),
    (-1102, "'recvWindow' contains unexpected value. Cannot be greater than 60000.", 400,
     BadRequest),
    (-1106, "Parameter 'timeInForce' sent when not required.", 400, BadRequest),
    (-1111, "Parameter 'quantity' has too much precision.", 400, BadRequest),
    (-1111, "Precision is over the maximum defined for this asset.", 400, BadRequest),
    (-1115, "Invalid timeInForce.", 400, BadRequest),
    (-1116, "Invalid orderType.", 400, BadRequest),
    (-1117, "Invalid side.", 400, BadRequest),
    (-1120, "Invalid interval.", 400, BadRequest),
    (-1121, "Invalid symbol.", 400, BadSymbol),
    (-1122, "Invalid symbolStatus.", 400, BadRequest),
    (-1125, "This listenKey does not exist.", 400, AuthenticationError),
    (-1127, "More than 24 hours between startTime and endTime.", 400, BadRequest),
    (-1128, "Combination of optional parameters invalid.", 400, BadRequest),
    (-1130, "Data sent for parameter 'toAsset' is not valid.", 400, BadRequest),
    (-1134, "`strategyType` was less than 1000000.", 400, BadRequest),
    (-1135, "Invalid JSON Request", 400, BadRequest),
    (-1135, "Invalid 'params' in JSON request; expected an object.", 400, BadRequest),
    (-1136, "Invalid newOrderRespType.", 400, BadRequest),
    (-1139, "Invalid ticker type.", 400, BadRequest),
    (-1145, "cancelRestrictions has to be either ONLY_NEW or ONLY_PARTIALLY_FILLED.", 400,
     BadRequest),
    (-1151, "Symbol is present multiple times in the list.", 400, BadSymbol),
    (-1158, "Order type not supported in OCO.", 400, InvalidOrder),
    (-1165, "A limit order in a buy OCO must be below.", 400, InvalidOrder),
    (-1166, "A limit order in a sell OCO must be above.", 400, InvalidOrder),
    (-1168, "At least one OCO order must be contingent.", 400, InvalidOrder),
    (-1196, "A stop loss order in a buy OCO must be above.", 400, InvalidOrder),
    (-1197, "A stop loss order in a sell OCO must be below.", 400, InvalidOrder),
    (-1198, "A take profit order in a buy OCO must be below.", 400, InvalidOrder),
    (-1199, "A take profit order in a sell OCO must be above.", 400, InvalidOrder),
    (-1193, "WebSocket session not authenticated.", 401, AuthenticationError),
    (-1194, "Invalid value for time unit; expected either MICROSECOND or MILLISECOND.", 400,
     BadRequest),
    (-1209, "Invalid listenToken.", 400, AuthenticationError),
    (-1220, "The symbol's status does not match the requested symbolStatus.", 400, ExchangeError),
    # orders, keys, subscriptions
    (-2010, "Account has insufficient balance for requested action.", 400, InsufficientFunds),
    (-2010, "Duplicate order sent.", 400, DuplicateOrderId),
    (-2010, "Market is closed.", 400, MarketClosed),
    (-2010, "Order would immediately match and take.", 400, OrderImmediatelyFillable),
    (-2010, "Order would trigger immediately.", 400, OrderImmediatelyFillable),
    (-2010, "This action is disabled on this account.", 400, AccountSuspended),
    (-2010, "WebSocket API trading is not enabled.", 400, PermissionDenied),
    (-2010, "Order book liquidity is less than `LOT_SIZE` filter minimum quantity.", 400,
     InvalidOrder),
    (-2011, "Unknown order sent.", 400, OrderNotFound),
    (-2011, "Unknown order list sent.", 400, OrderNotFound),
    (-2010, "The relationship of the prices for the orders is not correct.", 400, InvalidOrder),
    (-2011, "Order was not canceled due to cancel restrictions.", 400, InvalidOrder),
    (-2013, "Order does not exist.", 400, OrderNotFound),
    (-2018, "Order list does not exist.", 400, OrderNotFound),
    (-2014, "API-key format invalid.", 401, AuthenticationError),
    (-2015, "Invalid API-key, IP, or permissions for action.", 401, PermissionDenied),
    (-2019, "Margin is insufficient.", 400, InsufficientFunds),
    (-2021, "Order cancel-replace partially failed.", 409, InvalidOrder),
    (-2022, "Order cancel-replace failed.", 400, InvalidOrder),
    (-2022, "ReduceOnly Order is rejected.", 400, InvalidOrder),
    (-2027, "Exceeded the maximum allowable position at current leverage.", 400, InvalidOrder),
    (-2028, "HMAC_SHA256 API key is not supported.", 400, AuthenticationError),
    (-2035, "User Data Stream subscription already active.", 400, OperationRejected),
    (-2036, "User Data Stream subscription not active.", 400, OperationRejected),
    (-2038, "Order amend (quantity increase) is not supported.", 400, InvalidOrder),
    (-2038, "The requested action would change no state; rejecting", 400, InvalidOrder),
    (-2038, "Unknown order sent.", 400, OrderNotFound),
    (-2039, "Client order ID is not correct for this order ID.", 400, OrderNotFound),
    (-2042, "Maximum subscription ID reached for this connection.", 400, OperationRejected),
    # futures
    (-4001, "Price less than 0.", 400, InvalidOrder),
    (-4002, "Price greater than max price.", 400, InvalidOrder),
    (-4003, "Quantity less than zero.", 400, InvalidOrder),
    (-4004, "Quantity less than min quantity.", 400, InvalidOrder),
    (-4005, "Quantity greater than max quantity.", 400, InvalidOrder),
    (-4013, "Price less than min price.", 400, InvalidOrder),
    (-4014, "Price not increased by tick size.", 400, InvalidOrder),
    (-4015, "Client order id is not valid.", 400, BadRequest),
    (-4016, "Price is higher than mark price multiplier cap.", 400, InvalidOrder),
    (-4023, "Qty not increased by step size.", 400, InvalidOrder),
    (-4024, "Price is lower than mark price multiplier floor.", 400, InvalidOrder),
    (-4028, "Leverage 200 is not valid", 400, BadRequest),
    (-4031, "Invalid parameter working type: X", 400, BadRequest),
    (-4046, "No need to change margin type.", 400, OperationRejected),
    (-4047, "Margin type cannot be changed if there exists open orders.", 400, OperationRejected),
    (-4048, "Margin type cannot be changed if there exists position.", 400, OperationRejected),
    (-4049, "Add margin only support for isolated position.", 400, BadRequest),
    (-4050, "Cross balance insufficient.", 400, InsufficientFunds),
    (-4051, "Isolated balance insufficient.", 400, InsufficientFunds),
    (-4054, "Cannot add position margin: position is 0.", 400, BadRequest),
    (-4055, "Amount must be positive.", 400, BadRequest),
    (-4059, "No need to change position side.", 400, OperationRejected),
    (-4061, "Order's position side does not match user's setting.", 400, InvalidOrder),
    (-4067, "Position side cannot be changed if there exists open orders.", 400,
     OperationRejected),
    (-4068, "Position side cannot be changed if there exists position.", 400, OperationRejected),
    (-4082, "Invalid number of batch place orders: 6", 400, BadRequest),
    (-4116, "clientOrderId is duplicated", 400, DuplicateOrderId),
    (-4120, "Order type not supported for this endpoint. Please use the Algo Order API "
     "endpoints instead.", 400, NotSupported),
    (-4131, "The counterparty's best price does not meet the PERCENT_PRICE filter limit", 400,
     InvalidOrder),
    (-4136, "Target strategy invalid for orderType MARKET,closePosition true", 400, InvalidOrder),
    (-4137, "Quantity must be zero with closePosition equals true", 400, InvalidOrder),
    (-4150, "Leverage reduction is not supported in Isolated Margin Mode with open positions.",
     400, OperationRejected),
    (-4161, "Leverage reduction is not supported in Isolated Margin Mode with open positions",
     400, OperationRejected),
    (-4164, "Order's notional must be no smaller than 100 (unless you choose reduce only).", 400,
     InvalidOrder),
    (-5013, "Asset transfer failed: insufficient balance", 400, InsufficientFunds),
    (-5021, "Due to the order could not be filled immediately, the FOK order has been rejected. "
     "The order will not be recorded in the order history", 400, OrderNotFillable),
    (-5022, "Due to the order could not be executed as maker, the Post Only order will be "
     "rejected. The order will not be recorded in the order history", 400,
     OrderImmediatelyFillable),
    (-5025, "Only limit order is supported.", 400, InvalidOrder),
    (-5027, "No need to modify the order.", 400, OperationRejected),
    (-5037, "Invalid price match", 400, BadRequest),
    (-5038, "Price match only supports order type: LIMIT, STOP AND TAKE_PROFIT", 400,
     InvalidOrder),
    (-5039, "Invalid self trade prevention mode", 400, BadRequest),
    (-5040, "The goodTillDate timestamp must be greater than the current time plus 600 seconds "
     "and smaller than 253402300799000 (UTC 9999-12-31 23:59:59)", 400, BadRequest),
    (-5041, "No depth matches this BBO order", 400, InvalidOrder),
]  # fmt: skip


@pytest.mark.parametrize(("code", "msg", "status", "cls"), TABLE)
def test_code_table(code: int, msg: str, status: int, cls: type[BaseError]) -> None:
    """Each code and message the emulator produces decodes, through the one REST decoding
    point, to its documented class with Binance's code and message kept."""
    err = error_from_binance(code, msg, status=status)
    assert type(err) is cls and err.code == code
    if isinstance(err, ExchangeError):
        assert err.msg == msg
    body = orjson.dumps({"code": code, "msg": msg})
    with pytest.raises(cls) as raised:
        decode_response(status, {}, body, context="GET https://x/y")
    assert type(raised.value) is cls and raised.value.status == status


def test_filter_failures_name_the_filter() -> None:
    """Filter failures carry the filter's name; other invalid orders carry none."""
    assert error_from_binance(-1013, "Filter failure: LOT_SIZE").filter == "LOT_SIZE"  # type: ignore[attr-defined]
    assert error_from_binance(-1013, "Invalid price.").filter is None  # type: ignore[attr-defined]


def test_rate_limits_carry_retry_after() -> None:
    """REST's Retry-After seconds and the WS API's retryAfter (epoch ms from serverTime) both
    become retry_after seconds."""
    with pytest.raises(RateLimitExceeded) as rest:
        decode_response(
            429,
            {"Retry-After": "7"},
            b'{"code":-1003,"msg":"Too much request weight used"}',
            context="GET https://x/y",
        )
    assert rest.value.retry_after == 7.0
    ban = error_from_binance(
        -1003,
        "Way too much request weight used; IP banned until 1659146400000.",
        status=418,
        data={"serverTime": 1659142907531, "retryAfter": 1659146400000},
    )
    assert type(ban) is DDoSProtection and ban.retry_after == pytest.approx(3492.469)


def test_cancel_replace_of_an_unknown_order_is_order_not_found() -> None:
    """-2022 whose cancel failed with -2011 "Unknown order sent." is OrderNotFound."""
    data = {"cancelResult": "FAILURE", "newOrderResult": "NOT_ATTEMPTED",
            "cancelResponse": {"code": -2011, "msg": "Unknown order sent."},
            "newOrderResponse": None}  # fmt: skip
    err = error_from_binance(-2022, "Order cancel-replace failed.", status=400, data=data)
    assert type(err) is OrderNotFound and err.data == data  # type: ignore[attr-defined]


_CODE = re.compile(r"(?<![\w.])-(1\d{3}|2\d{3}|3\d{3}|4\d{3}|5\d{3})\b")


def test_every_code_the_emulator_can_produce_is_in_the_table() -> None:
    """Scan the emulator's source for Binance error codes: each has a row above, so a code the
    emulator learns fails here until the client classifies it."""
    found: set[int] = set()
    for path in (ROOT / "mock_exchange").rglob("*.py"):
        found.update(-int(m) for m in _CODE.findall(path.read_text(encoding="utf-8")))
    covered = {row[0] for row in TABLE}
    assert found, "no codes found: the scan is broken"
    assert found <= covered, f"codes without a row: {sorted(found - covered)}"
