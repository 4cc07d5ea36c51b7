"""Convert endpoints (``/sapi/v1/convert/*``): quotes from the spot book, accepted in time.

``exchangeInfo`` lists the pairs (every two assets of the spot markets), ``assetInfo`` their
precision, ``getQuote`` prices an amount from the book with a spread (the quote id is only
given when the spot wallet holds the amount, as Binance does), ``acceptQuote`` moves the spot
balances (``outboundAccountPosition`` to user data) unless the quote expired,
``orderStatus`` and ``tradeFlow`` read the accepted conversions.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..engine.convert import VALID_TIMES, ConvertOrder, Pricer, Quote
from ..engine.core import Engine
from ..engine.markets import fmt
from ..errors import ExchangeError
from .order_params import decimal_param
from .params import Params, illegal
from .private import PrivateCall

__all__ = [
    "accept_quote",
    "asset_info",
    "convert_exchange_info",
    "get_quote",
    "order_status",
    "trade_flow",
]

_BRIDGE = "USDT"
_DAY_MS = 86_400_000


def _assets(engine: Engine) -> list[str]:
    markets = engine.markets.values()
    return sorted({m.base for m in markets} | {m.quote for m in markets})


def pricer(engine: Engine) -> Pricer:
    """Return the book pricer: how much of ``to`` an amount of ``from`` is worth (or back)."""

    def direct(frm: str, to: str, amount: Decimal, is_from: bool) -> Decimal | None:
        sell = engine.markets.get(frm + to)  # frm is the base: sell it into the bids
        if sell is not None:
            if is_from:
                return engine.sweep(sell.symbol, "BUY", qty=amount)[1]
            return engine.sweep(sell.symbol, "BUY", quote=amount)[0]
        buy = engine.markets.get(to + frm)  # to is the base: buy it from the asks
        if buy is not None:
            if is_from:
                return engine.sweep(buy.symbol, "SELL", quote=amount)[0]
            return engine.sweep(buy.symbol, "SELL", qty=amount)[1]
        return None

    def price(frm: str, to: str, amount: Decimal, is_from: bool) -> Decimal:
        got = direct(frm, to, amount, is_from)
        if got is not None:
            return got
        if _BRIDGE not in (frm, to):
            if is_from:
                middle = direct(frm, _BRIDGE, amount, True)
                if middle is not None:
                    last = direct(_BRIDGE, to, middle, True)
                    if last is not None:
                        return last
            else:
                middle = direct(_BRIDGE, to, amount, False)
                if middle is not None:
                    first = direct(frm, _BRIDGE, middle, False)
                    if first is not None:
                        return first
        raise ExchangeError(-1130, "Data sent for parameter 'toAsset' is not valid.")

    return price


def _asset(p: Params, name: str, engine: Engine) -> str:
    text = p.text(name, required=True)
    assert text is not None
    if text.upper() not in _assets(engine):
        raise ExchangeError(-1130, f"Data sent for parameter '{name}' is not valid.")
    return text.upper()


def convert_exchange_info(call: PrivateCall) -> tuple[Any, int]:
    """``GET /sapi/v1/convert/exchangeInfo``: the pairs, filtered by ``fromAsset``/``toAsset``."""
    engine = call.exchange.engine("spot")
    frm, to = call.params.text("fromAsset"), call.params.text("toAsset")
    if frm is None and to is None:
        raise ExchangeError(
            -1102, "Param 'fromAsset' or 'toAsset' must be sent, but both were empty/null!"
        )
    assets = _assets(engine)
    rows = [
        {
            "fromAsset": a,
            "toAsset": b,
            "fromAssetMinAmount": "0.00000001",
            "fromAssetMaxAmount": "100000000",
            "toAssetMinAmount": "0.00000001",
            "toAssetMaxAmount": "100000000",
        }
        for a in assets
        for b in assets
        if a != b and (frm is None or frm.upper() == a) and (to is None or to.upper() == b)
    ]
    return rows, 3000


def asset_info(call: PrivateCall) -> tuple[Any, int]:
    """``GET /sapi/v1/convert/assetInfo``: each asset's amount precision."""
    return [{"asset": a, "fraction": 8} for a in _assets(call.exchange.engine("spot"))], 100


def get_quote(call: PrivateCall) -> tuple[Any, int]:
    """``POST /sapi/v1/convert/getQuote``: price ``fromAmount`` or ``toAmount`` from the book.

    ``validTime`` is 10s (default), 30s, 1m or 2m. Without the amount in the spot wallet the
    answer has no ``quoteId``.
    """
    engine = call.exchange.engine("spot")
    frm, to = _asset(call.params, "fromAsset", engine), _asset(call.params, "toAsset", engine)
    from_amount = decimal_param(call.params, "fromAmount", 8)
    to_amount = decimal_param(call.params, "toAmount", 8)
    if (from_amount is None) == (to_amount is None):
        raise ExchangeError(
            -1102, "Param 'fromAmount' or 'toAmount' must be sent, but both were empty/null!"
        )
    valid = call.params.text("validTime") or "10s"
    if valid not in VALID_TIMES:
        raise illegal("validTime", ", ".join(VALID_TIMES))
    wallet = call.params.text("walletType") or "SPOT"
    if wallet != "SPOT":
        raise ExchangeError(-1130, "Data sent for parameter 'walletType' is not valid.")
    amount = from_amount if from_amount is not None else to_amount
    assert amount is not None
    quote = call.exchange.accounts.convert.quote(
        call.account.id,
        frm,
        to,
        amount,
        from_amount is not None,
        call.now,
        VALID_TIMES[valid],
        pricer(engine),
    )
    answer: dict[str, Any] = {
        "ratio": fmt(quote.ratio, 8),
        "inverseRatio": fmt(quote.inverse_ratio, 8),
        "validTimestamp": quote.valid_until,
        "toAmount": fmt(quote.to_amount, 8),
        "fromAmount": fmt(quote.from_amount, 8),
    }
    if call.account.spot.balance(frm).free >= quote.from_amount:
        answer = {"quoteId": quote.quote_id, **answer}
    return answer, 200


def accept_quote(call: PrivateCall) -> tuple[Any, int]:
    """``POST /sapi/v1/convert/acceptQuote``: convert at the quoted amounts.

    An unknown, used or expired quote is -1130; a wallet that no longer holds the amount is
    -2010 (nothing moves).
    """
    quote_id = call.params.text("quoteId", required=True)
    assert quote_id is not None
    convert = call.exchange.accounts.convert
    account = call.account

    def settle(q: Quote) -> None:
        account.spot.debit(q.from_asset, q.from_amount)  # -2010 when no longer held
        account.spot.credit(q.to_asset, q.to_amount)
        account.update_time = call.now

    order = convert.accept(account.id, quote_id, call.now, settle)
    q = order.quote
    call.emit("spot", [account.position_event([q.from_asset, q.to_asset], call.now)])
    answer = {"orderId": order.order_id, "createTime": order.create_time, "orderStatus": "PROCESS"}
    return answer, 500


def _order_row(order: ConvertOrder) -> dict[str, Any]:
    q = order.quote
    return {
        "orderId": int(order.order_id),
        "orderStatus": order.status,
        "fromAsset": q.from_asset,
        "fromAmount": fmt(q.from_amount, 8),
        "toAsset": q.to_asset,
        "toAmount": fmt(q.to_amount, 8),
        "ratio": fmt(q.ratio, 8),
        "inverseRatio": fmt(q.inverse_ratio, 8),
        "createTime": order.create_time,
    }


def order_status(call: PrivateCall) -> tuple[Any, int]:
    """``GET /sapi/v1/convert/orderStatus``: a conversion by ``orderId`` or ``quoteId``."""
    order_id, quote_id = call.params.text("orderId"), call.params.text("quoteId")
    if order_id is None and quote_id is None:
        raise ExchangeError(
            -1102, "Param 'orderId' or 'quoteId' must be sent, but both were empty/null!"
        )
    order = call.exchange.accounts.convert.order(
        call.account.id, order_id=order_id, quote_id=quote_id
    )
    return _order_row(order), 100


def trade_flow(call: PrivateCall) -> tuple[Any, int]:
    """``GET /sapi/v1/convert/tradeFlow``: conversions between ``startTime`` and ``endTime``
    (mandatory, at most 30 days apart), oldest first, up to ``limit`` (default 100, max 1000)."""
    start = call.params.integer("startTime", required=True)
    end = call.params.integer("endTime", required=True)
    assert start is not None and end is not None
    if end - start > 30 * _DAY_MS:
        raise ExchangeError(-1127, "More than 30 days between startTime and endTime.")
    limit = call.params.limit(100, 1000)
    orders = call.exchange.accounts.convert.history(call.account.id, start, end)
    rows = [{"quoteId": o.quote.quote_id, **_order_row(o)} for o in orders[:limit]]
    return {
        "list": rows,
        "startTime": start,
        "endTime": end,
        "limit": limit,
        "moreData": len(orders) > limit,
    }, 3000
