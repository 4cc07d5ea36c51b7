"""Futures conditional (algo) orders on the clock: price protection, trailing stops,
closePosition and COIN-M."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from mock_exchange import MockExchange, ServerConfig
from mock_exchange.engine.markets import MarketKind
from mock_exchange.transports.rules import FUTURES_RULES
from tests.mock_exchange.futures_client import FuturesClient
from tests.mock_exchange.trading_client import open_gap

START = 1_767_229_200_000  # 2026-01-01 01:00 UTC
KEY, SECRET = "algoKey1", "algoSecret1"


@pytest.fixture
async def mx() -> AsyncIterator[MockExchange]:
    """An emulator on a frozen clock, no background activity, one funded futures account."""
    config = ServerConfig(
        rate=0,
        frozen_clock=True,
        warmup_ms=0,
        start_ms=START,
        futures_rules=FUTURES_RULES.relaxed(),
    )
    async with MockExchange(config=config) as m:
        open_gap(m, venue="usdm")
        m.add_account(
            api_key=KEY,
            secret=SECRET,
            futures_balances={"USDT": "10000"},
            coinm_balances={"BTC": "1"},
        )
        m.clock.advance(1000)  # one mark sample with the book at its opening prices
        yield m


@pytest.fixture
async def fc(mx: MockExchange) -> AsyncIterator[FuturesClient]:
    """A signed USD-M client of the account."""
    async with aiohttp.ClientSession() as session:
        yield FuturesClient(mx, session, KEY, SECRET)


def _trade_at(mx: MockExchange, price: Decimal, venue: MarketKind = "usdm", **kw: Any) -> None:
    """Make the last trade of the venue's BTC perpetual happen at ``price`` (a background
    order rests there alone on its side and a background order takes it)."""
    symbol = "BTCUSDT" if venue == "usdm" else "BTCUSD_PERP"
    engine = mx.exchange.engine(venue)
    best_bid = engine.book(symbol).best_bid()
    side = "SELL" if best_bid is None or price > best_bid[0] else "BUY"
    for order in list(engine.book(symbol).orders.values()):
        if order.owner is None and order.side == side:
            engine.cancel_order(symbol, order.order_id)
    qty = kw.get("depth", engine.market(symbol).min_qty)
    engine.place_order(symbol, side, "LIMIT", quantity=qty, price=price)
    other = "BUY" if side == "SELL" else "SELL"
    mx.place_order(symbol, other, "MARKET", venue=venue, quantity=engine.market(symbol).min_qty)
    assert engine.last_price(symbol) == price
    mx.clock.advance(100)


async def _status(fc: FuturesClient, algo_id: int, api: str = "/fapi/v1") -> str:
    return str((await fc.ok("GET", f"{api}/algoOrder", {"algoId": algo_id}))["algoStatus"])


async def test_price_protect_holds_a_stop_while_last_and_mark_diverge(fc: FuturesClient) -> None:
    """A STOP_MARKET with priceProtect=TRUE does not trigger while the last price is more than
    triggerProtect (5 %) away from the mark, and triggers once they are close again; one
    without it triggers at once."""
    mx = fc.mx
    info = await fc.ok("GET", "/fapi/v1/exchangeInfo")
    btc = next(s for s in info["symbols"] if s["symbol"] == "BTCUSDT")
    assert btc["triggerProtect"] == "0.0500"
    base = {
        "algoType": "CONDITIONAL",
        "symbol": "BTCUSDT",
        "side": "BUY",
        "type": "STOP_MARKET",
        "quantity": "0.010",
        "triggerPrice": "90050",
    }
    plain = await fc.ok("POST", "/fapi/v1/algoOrder", base)
    guarded = await fc.ok("POST", "/fapi/v1/algoOrder", {**base, "priceProtect": "TRUE"})
    assert guarded["priceProtect"] is True
    _trade_at(mx, Decimal("97000"))  # last 97000, the mark stays near the 90000 index
    mark = mx.exchange.mark("usdm", "BTCUSDT", mx.clock.now_ms()).mark
    assert abs(Decimal(97000) - mark) > Decimal("0.05") * mark
    assert await _status(fc, plain["algoId"]) != "NEW"
    assert await _status(fc, guarded["algoId"]) == "NEW"
    _trade_at(mx, Decimal("90100"), depth=Decimal("0.1"))  # 0.1 % from the mark: triggers
    assert await _status(fc, guarded["algoId"]) == "FINISHED"
    assert (await fc.ok("GET", "/fapi/v3/positionRisk"))[0]["positionAmt"] == "0.010"


async def test_trailing_stop_follows_the_high_and_triggers_on_the_callback(
    fc: FuturesClient,
) -> None:
    """A SELL TRAILING_STOP_MARKET (activatePrice 91000, callbackRate 1) waits below its
    activation price, then follows the highest price and closes the long once the price falls
    1 % from that high, not before."""
    mx = fc.mx
    buy = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.010"}
    await fc.ok("POST", "/fapi/v1/order", buy)
    trail = await fc.ok(
        "POST",
        "/fapi/v1/algoOrder",
        {
            "algoType": "CONDITIONAL",
            "symbol": "BTCUSDT",
            "side": "SELL",
            "type": "TRAILING_STOP_MARKET",
            "quantity": "0.010",
            "reduceOnly": "true",
            "activatePrice": "91000",
            "callbackRate": "1",
        },
    )
    assert trail["algoStatus"] == "NEW"
    for price in ("90500", "89500", "91500", "92000", "91500", "91100"):
        _trade_at(mx, Decimal(price), depth=Decimal("0.1"))
        # 89500 would be a 1 % fall from 90500, but the order is not active below 91000;
        # from 92000 it triggers at or below 91080
        assert await _status(fc, trail["algoId"]) == "NEW", price
    _trade_at(mx, Decimal("91000"), depth=Decimal("0.1"))
    assert await _status(fc, trail["algoId"]) == "FINISHED"
    assert await fc.ok("GET", "/fapi/v3/positionRisk") == []


async def test_close_position_stop_closes_the_position_held_at_the_trigger(
    fc: FuturesClient,
) -> None:
    """A SELL STOP_MARKET with closePosition=true closes the whole long as it stands when the
    price falls to the trigger (grown after placement), and answers -2022 on a flat account."""
    mx = fc.mx
    buy = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.010"}
    await fc.ok("POST", "/fapi/v1/order", buy)
    stop = {
        "algoType": "CONDITIONAL",
        "symbol": "BTCUSDT",
        "side": "SELL",
        "type": "STOP_MARKET",
        "closePosition": "true",
        "triggerPrice": "89500",
    }
    closing = await fc.ok("POST", "/fapi/v1/algoOrder", stop)
    assert closing["closePosition"] is True
    await fc.ok("POST", "/fapi/v1/order", buy)  # the long is now 0.020
    _trade_at(mx, Decimal("89400"), depth=Decimal("0.1"))
    queried = await fc.ok("GET", "/fapi/v1/algoOrder", {"algoId": closing["algoId"]})
    assert queried["algoStatus"] == "FINISHED"
    order = await fc.ok(
        "GET", "/fapi/v1/order", {"symbol": "BTCUSDT", "orderId": queried["actualOrderId"]}
    )
    assert (order["side"], order["origQty"], order["status"]) == ("SELL", "0.020", "FILLED")
    assert order["reduceOnly"] is True
    assert await fc.ok("GET", "/fapi/v3/positionRisk") == []
    flat = await fc.ok("POST", "/fapi/v1/algoOrder", {**stop, "triggerPrice": "89300"})
    _trade_at(mx, Decimal("89200"), depth=Decimal("0.1"))
    rejected = await fc.ok("GET", "/fapi/v1/algoOrder", {"algoId": flat["algoId"]})
    assert rejected["algoStatus"] == "REJECTED"


async def test_coinm_algo_order_triggers_in_contracts(mx: MockExchange) -> None:
    """A COIN-M STOP_MARKET placed on /dapi/v1/algoOrder waits, triggers when the contract
    price reaches it and opens a position in contracts, the commission in the base coin."""
    async with aiohttp.ClientSession() as session:
        cm = FuturesClient(mx, session, KEY, SECRET, host="dapi.binance.com")
        last = mx.exchange.engine("coinm").last_price("BTCUSD_PERP")
        tick = mx.exchange.engine("coinm").market("BTCUSD_PERP").tick_size
        stop = await cm.ok(
            "POST",
            "/dapi/v1/algoOrder",
            {
                "algoType": "CONDITIONAL",
                "symbol": "BTCUSD_PERP",
                "side": "BUY",
                "type": "STOP_MARKET",
                "quantity": "10",
                "triggerPrice": str(last + 100 * tick),
            },
        )
        assert stop["algoStatus"] == "NEW" and stop["symbol"] == "BTCUSD_PERP"
        assert await _status(cm, stop["algoId"], "/dapi/v1") == "NEW"
        _trade_at(mx, last + 200 * tick, venue="coinm", depth=Decimal("100"))
        queried = await cm.ok("GET", "/dapi/v1/algoOrder", {"algoId": stop["algoId"]})
        assert queried["algoStatus"] == "FINISHED"
        risk = await cm.ok("GET", "/dapi/v1/positionRisk")
        (row,) = [r for r in risk if r["positionAmt"] != "0"]
        assert row["symbol"] == "BTCUSD_PERP" and row["positionAmt"] == "10"
        trades = await cm.ok("GET", "/dapi/v1/userTrades", {"symbol": "BTCUSD_PERP"})
        assert trades[-1]["commissionAsset"] == "BTC" and trades[-1]["qty"] == "10"
