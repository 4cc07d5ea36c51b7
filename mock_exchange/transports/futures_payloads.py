"""Futures user-data events and account/order objects, as Binance writes them (reference 6.5).

Field lists follow the official USD-M SDK models (``binance-sdk-derivatives-trading-usds-
futures`` 18.x: ``OrderTradeUpdateO``, ``AccountUpdateA``, ``TradeLite``, ``MarginCall``,
``AccountConfigUpdate``, ``PositionInformationV3ResponseInner``, ...). Amounts of an asset have
8 decimals, quantities the market's quantity precision, prices 8 decimals (Binance prints
prices with varying precision; clients parse them as numbers).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..engine.futures.account import FuturesTrade, Income
from ..engine.futures.algo import AlgoOrder
from ..engine.futures.events import (
    AlgoUpdate,
    ConfigUpdate,
    FuturesAccountUpdate,
    FuturesOrderInfo,
    FuturesOrderUpdate,
    MarginCall,
)
from ..engine.markets import Market, fmt
from ..engine.orders import OrderRecord

__all__ = [
    "account_update_event",
    "algo_object",
    "algo_update_event",
    "config_update_event",
    "income_row",
    "margin_call_event",
    "money",
    "order_object",
    "order_trade_update_event",
    "price8",
    "trade_lite_event",
    "user_trade_row",
]

_ZERO = Decimal(0)


def money(value: Decimal) -> str:
    """An asset amount: 8 decimals."""
    return fmt(value, 8)


def price8(value: Decimal) -> str:
    """A price: 8 decimals (0 prints as ``0.00000000``)."""
    return fmt(value, 8)


def qty(m: Market, value: Decimal) -> str:
    """A quantity with the market's quantity precision."""
    return fmt(value, m.base_precision)


def _avg(record: OrderRecord) -> Decimal:
    if record.executed_qty == 0:
        return _ZERO
    return record.cumulative_quote_qty / record.executed_qty


def order_object(
    m: Market, record: OrderRecord, info: FuturesOrderInfo, *, shape: str = "query"
) -> dict[str, Any]:
    """Return an order as ``GET /fapi/v1/order`` (``shape="query"``), placement (``"new"``),
    cancel (``"cancel"``) or modify (``"modify"``) answers write it.

    Field lists follow the SDK models: only the query shape carries ``avgPrice`` and
    ``cumQuote`` (``cumBase`` on COIN-M), the others ``cumQty``; modify adds ``modifyId``.
    """
    out: dict[str, Any] = {
        "orderId": record.order_id,
        "symbol": record.symbol,
        "status": record.status,
        "clientOrderId": record.client_order_id or "",
        "price": fmt(record.price or _ZERO, m.quote_precision),
        "origQty": qty(m, record.orig_qty or _ZERO),
        "executedQty": qty(m, record.executed_qty),
    }
    if shape == "query":  # placement, cancel and modify answers dropped these in 2026
        out["avgPrice"] = price8(_avg(record))
        if m.kind == "coinm":
            out["pair"] = m.pair
            out["cumBase"] = money(_cum_base(m, record))
        else:
            out["cumQuote"] = money(record.cumulative_quote_qty)
    else:
        out["cumQty"] = qty(m, record.executed_qty)
    out.update(
        {
            "timeInForce": info.time_in_force,
            "type": info.display_type,
            "reduceOnly": info.reduce_only,
            "closePosition": info.close_position,
            "side": record.side,
            "positionSide": info.position_side,
            "stopPrice": fmt(info.stop_price, m.quote_precision),
            "workingType": info.working_type,
            "priceProtect": info.price_protect,
            "origType": info.display_type,
            "priceMatch": info.price_match,
            "selfTradePreventionMode": info.stp,
            "goodTillDate": info.good_till,
            "updateTime": record.update_time,
        }
    )
    if shape == "query":
        out["time"] = record.time
    if shape == "modify":
        out["modifyId"] = info.modify_count
    return out


def _cum_base(m: Market, record: OrderRecord) -> Decimal:
    # COIN-M: the base value of the fills, contracts * size / price summed as avg price allows
    avg = _avg(record)
    return record.executed_qty * m.contract_size / avg if avg else _ZERO


def order_trade_update_event(m: Market, ev: FuturesOrderUpdate) -> dict[str, Any]:
    """Return ``ORDER_TRADE_UPDATE`` with every field of the SDK model."""
    r, info, t = ev.order, ev.info, ev.trade
    o: dict[str, Any] = {
        "s": r.symbol,
        "c": r.client_order_id or "",
        "S": r.side,
        "o": info.display_type,
        "f": info.time_in_force,
        "q": qty(m, r.orig_qty or _ZERO),
        "p": fmt(r.price or _ZERO, m.quote_precision),
        "ap": price8(_avg(r)),
        "sp": fmt(info.stop_price, m.quote_precision),
        "x": ev.execution,
        "X": r.status,
        "i": r.order_id,
        "l": qty(m, t.qty if t is not None else _ZERO),
        "z": qty(m, r.executed_qty),
        "L": fmt(t.price if t is not None else _ZERO, m.quote_precision),
        "N": ev.commission_asset,
        "n": money(ev.commission),
        "T": ev.time,
        "t": t.trade_id if t is not None else 0,
        "b": money(ev.bid_notional),
        "a": money(ev.ask_notional),
        "m": ev.is_maker,
        "R": info.reduce_only,
        "wt": info.working_type,
        "ot": info.display_type,
        "ps": info.position_side,
        "cp": info.close_position,
        "rp": money(ev.realized),
        "pP": info.price_protect,
        "si": 0,
        "ss": 0,
        "V": info.stp,
        "pm": info.price_match,
        "gtd": info.good_till,
        "er": str(ev.expiry_reason),
    }
    if m.kind == "coinm":
        o["ma"] = m.margin_asset
    return {"e": "ORDER_TRADE_UPDATE", "E": ev.time, "T": ev.time, "o": o}


def trade_lite_event(m: Market, ev: FuturesOrderUpdate) -> dict[str, Any]:
    """Return ``TRADE_LITE`` for a fill (``ev.trade`` is set)."""
    r, t = ev.order, ev.trade
    assert t is not None
    return {
        "e": "TRADE_LITE",
        "E": ev.time,
        "T": ev.time,
        "s": r.symbol,
        "q": qty(m, r.orig_qty or _ZERO),
        "p": fmt(r.price or _ZERO, m.quote_precision),
        "m": ev.is_maker,
        "c": r.client_order_id or "",
        "S": r.side,
        "L": fmt(t.price, m.quote_precision),
        "l": qty(m, t.qty),
        "t": t.trade_id,
        "i": r.order_id,
    }


def account_update_event(
    ev: FuturesAccountUpdate, markets: dict[str, Market], alias: str | None = None
) -> dict[str, Any]:
    """Return ``ACCOUNT_UPDATE`` (``alias`` adds COIN-M's account alias ``i``)."""
    a: dict[str, Any] = {
        "m": ev.reason,
        "B": [
            {
                "a": b.asset,
                "wb": money(b.wallet),
                "cw": money(b.cross_wallet),
                "bc": money(b.change),
            }
            for b in ev.balances
        ],
        "P": [
            {
                "s": p.symbol,
                "pa": qty(markets[p.symbol], p.amount) if p.symbol in markets else str(p.amount),
                "ep": price8(p.entry),
                "bep": price8(p.break_even),
                "cr": money(p.realized),
                "up": money(p.unrealized),
                "mt": p.margin_type,
                "iw": money(p.isolated_wallet),
                "ps": p.side,
            }
            for p in ev.positions
        ],
    }
    if ev.symbol is not None:
        a["S"] = ev.symbol
    out: dict[str, Any] = {"e": "ACCOUNT_UPDATE", "E": ev.time, "T": ev.time}
    if alias is not None:
        out["i"] = alias
    out["a"] = a
    return out


def margin_call_event(ev: MarginCall, markets: dict[str, Market]) -> dict[str, Any]:
    """Return ``MARGIN_CALL``."""
    return {
        "e": "MARGIN_CALL",
        "E": ev.time,
        "cw": money(ev.cross_wallet),
        "p": [
            {
                "s": r.symbol,
                "ps": r.side,
                "pa": qty(markets[r.symbol], r.amount),
                "mt": r.margin_type,
                "iw": money(r.isolated_wallet),
                "mp": price8(r.mark),
                "up": money(r.unrealized),
                "mm": money(r.maint_margin),
            }
            for r in ev.rows
        ],
    }


def config_update_event(ev: ConfigUpdate) -> dict[str, Any]:
    """Return ``ACCOUNT_CONFIG_UPDATE`` (leverage ``ac`` or multi-assets mode ``ai``)."""
    out: dict[str, Any] = {"e": "ACCOUNT_CONFIG_UPDATE", "E": ev.time, "T": ev.time}
    if ev.symbol is not None:
        out["ac"] = {"s": ev.symbol, "l": ev.leverage}
    else:
        out["ai"] = {"j": bool(ev.multi_assets)}
    return out


def user_trade_row(m: Market, t: FuturesTrade) -> dict[str, Any]:
    """Return one ``GET /fapi/v1/userTrades`` row (COIN-M adds ``pair``, ``baseQty``)."""
    row: dict[str, Any] = {
        "buyer": t.side == "BUY",
        "commission": money(t.commission),
        "commissionAsset": t.commission_asset,
        "id": t.trade_id,
        "maker": t.is_maker,
        "orderId": t.order_id,
        "price": fmt(t.price, m.quote_precision),
        "qty": qty(m, t.qty),
        "realizedPnl": money(t.realized),
        "side": t.side,
        "positionSide": t.position_side,
        "symbol": t.symbol,
        "time": t.time,
    }
    if m.kind == "coinm":
        row["pair"] = m.pair
        row["marginAsset"] = m.margin_asset
        row["baseQty"] = money(t.qty * m.contract_size / t.price if t.price else _ZERO)
    else:
        row["quoteQty"] = money(t.quote_qty)
    return row


def income_row(i: Income) -> dict[str, Any]:
    """Return one ``GET /fapi/v1/income`` row."""
    return {
        "symbol": i.symbol,
        "incomeType": i.income_type,
        "income": money(i.income),
        "asset": i.asset,
        "info": i.info,
        "time": i.time,
        "tranId": i.tran_id,
        "tradeId": i.trade_id,
    }


def _opt(m: Market, value: Decimal | None) -> str:
    return fmt(value or _ZERO, m.quote_precision)


def algo_object(
    m: Market, a: AlgoOrder, record: OrderRecord | None = None, *, query: bool = False
) -> dict[str, Any]:
    """Return a conditional order as ``POST`` (``query=False``) or ``GET /fapi/v1/algoOrder``
    write it (SDK ``NewAlgoOrderResponse`` / ``QueryAlgoOrderResponse``)."""
    out: dict[str, Any] = {
        "algoId": a.algo_id,
        "clientAlgoId": a.client_algo_id,
        "algoType": "CONDITIONAL",
        "orderType": a.order_type,
        "symbol": a.symbol,
        "side": a.side,
        "positionSide": a.position_side,
        "timeInForce": a.time_in_force,
        "quantity": qty(m, a.quantity or _ZERO),
        "algoStatus": a.status,
    }
    if query:
        executed = record.executed_qty if record is not None else _ZERO
        out.update(
            {
                "actualOrderId": "" if a.actual_order_id is None else str(a.actual_order_id),
                "actualPrice": price8(_avg(record) if record is not None else _ZERO),
                "actualType": ("LIMIT" if a.limit else "MARKET") if record is not None else "",
                "actualQty": qty(m, executed),
            }
        )
    out.update(
        {
            "triggerPrice": _opt(m, a.trigger_price),
            "price": _opt(m, a.price),
            "icebergQuantity": None,
        }
    )
    if query:
        out["tpOrderType"] = ""
    out.update(
        {
            "selfTradePreventionMode": a.stp,
            "workingType": a.working_type,
            "priceMatch": a.price_match,
            "closePosition": a.close_position,
            "priceProtect": a.price_protect,
            "reduceOnly": a.reduce_only,
        }
    )
    if a.order_type == "TRAILING_STOP_MARKET":
        out["activatePrice"] = _opt(m, a.activate_price)
        out["callbackRate"] = str(a.callback_rate)
    out.update(
        {
            "createTime": a.create_time,
            "updateTime": a.update_time,
            "triggerTime": a.trigger_time,
            "goodTillDate": a.good_till,
        }
    )
    return out


def algo_update_event(m: Market, ev: AlgoUpdate) -> dict[str, Any]:
    """Return ``ALGO_UPDATE`` (SDK ``AlgoUpdateO`` fields)."""
    a = ev.algo
    triggered = a.actual_order_id is not None
    return {
        "e": "ALGO_UPDATE",
        "T": ev.time,
        "E": ev.time,
        "o": {
            "caid": a.client_algo_id,
            "aid": a.algo_id,
            "at": "CONDITIONAL",
            "o": a.order_type,
            "s": a.symbol,
            "S": a.side,
            "ps": a.position_side,
            "f": a.time_in_force,
            "q": qty(m, a.quantity or _ZERO),
            "X": a.status,
            "ai": str(a.actual_order_id) if triggered else "",
            "ap": price8(ev.avg_price),
            "aq": qty(m, ev.executed),
            "act": ("LIMIT" if a.limit else "MARKET") if triggered else "0",
            "tp": _opt(m, a.trigger_price),
            "p": _opt(m, a.price),
            "V": a.stp,
            "wt": a.working_type,
            "pm": a.price_match,
            "cp": a.close_position,
            "pP": a.price_protect,
            "R": a.reduce_only,
            "tt": a.trigger_time,
            "gtd": a.good_till,
            "rm": a.fail_reason,
        },
    }
