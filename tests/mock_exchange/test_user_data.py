"""User data over the WS API: logon, subscriptions, and every spot event with its fields."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal as D
from typing import Any

import aiohttp
import pytest

from mock_exchange import MockExchange, ServerConfig
from mock_exchange.engine.accounts import Accounts
from mock_exchange.engine.clock import VirtualClock
from mock_exchange.engine.core import Engine
from mock_exchange.engine.events import AccountPosition, OrderUpdate
from mock_exchange.engine.ledger import SpotLedger
from mock_exchange.engine.markets import DEFAULT_MARKETS
from mock_exchange.transports.user_events import account_position, execution_report
from tests.mock_exchange.signing import ed25519_signer, ws_request
from tests.mock_exchange.trading_client import Trader, open_gap

SYMBOL = "BTCUSDT"
NOW = 1_767_225_600_000


@pytest.fixture
async def mx() -> AsyncIterator[MockExchange]:
    """An emulator on a frozen clock with no background activity."""
    async with MockExchange(config=ServerConfig(rate=0, frozen_clock=True, warmup_ms=0)) as m:
        open_gap(m)
        yield m


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """One HTTP session for the test."""
    async with aiohttp.ClientSession() as s:
        yield s


def limit(side: str, qty: str, price: str, **kw: Any) -> dict[str, Any]:
    return {"symbol": SYMBOL, "side": side, "type": "LIMIT", "timeInForce": "GTC",
            "quantity": qty, "price": price, **kw}  # fmt: skip


def kinds(frames: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for f in frames:
        ev = f["event"]
        out.append((ev["e"], ev["x"], ev["X"]) if ev["e"] == "executionReport" else (ev["e"],))
    return out


async def test_signature_subscriptions_ids_duplicates_and_unsubscribe(
    mx: MockExchange, session: aiohttp.ClientSession
) -> None:
    """Ids start at 0 per connection; one per account (-2035); unsubscribe one or all ends each
    with eventStreamTerminated; an unknown id is -2036."""
    alice = Trader.register(mx, session, "alice", {"USDT": "1000"})
    bob = Trader.register(mx, session, "bob", {"USDT": "1000"})
    await alice.connect()
    first = await alice.call("userDataStream.subscribe.signature")
    assert first.body["result"] == {"subscriptionId": 0}
    again = await alice.call("userDataStream.subscribe.signature")
    assert again.body["error"] == {
        "code": -2035,
        "msg": "User Data Stream subscription already active.",
    }
    frame = ws_request(
        bob.signer,
        "userDataStream.subscribe.signature",
        {},
        timestamp=mx.clock.now_ms(),
        req_id="b",
    )
    assert alice.ws is not None
    await alice.ws.send_str(frame)
    listed = await alice.call("session.subscriptions", signed=False)
    assert listed.body["result"] == [{"subscriptionId": 0}, {"subscriptionId": 1}]
    status = await alice.call("session.status", signed=False)
    assert (
        status.body["result"]["userDataStream"] is True and status.body["result"]["apiKey"] is None
    )
    gone = await alice.call("userDataStream.unsubscribe", signed=False, subscriptionId=7)
    assert gone.body["error"] == {"code": -2036, "msg": "User Data Stream subscription not active."}
    one = await alice.call("userDataStream.unsubscribe", signed=False, subscriptionId=1)
    assert one.body["result"] == {}
    assert (await alice.event())["event"]["e"] == "eventStreamTerminated"
    await alice.call("userDataStream.unsubscribe", signed=False)
    ended = await alice.event()
    assert ended == {
        "subscriptionId": 0,
        "event": {"e": "eventStreamTerminated", "E": mx.clock.now_ms()},
    }
    fresh = await alice.call("userDataStream.subscribe.signature")
    assert fresh.body["result"] == {"subscriptionId": 2}
    await alice.close()


async def test_ed25519_logon_subscribe_and_logout(
    mx: MockExchange, session: aiohttp.ClientSession
) -> None:
    """Only Ed25519 keys log on (HMAC -2028); after logon requests omit apiKey/signature;
    userDataStream.subscribe needs the logon (-1193) and logout ends only that subscription."""
    hmac = Trader.register(mx, session, "hmac", {"USDT": "1000"})
    await hmac.connect()
    refused = await hmac.call("session.logon")
    assert refused.body["error"] == {"code": -2028, "msg": "HMAC-SHA-256 API key is not supported."}
    early = await hmac.call("userDataStream.subscribe", signed=False)
    assert early.body["error"]["code"] == -1193
    signer = ed25519_signer("ed")
    mx.add_account(signer.registration(balances={"USDT": "1000", "BTC": "1"}))
    ed = Trader(mx, signer, session)
    await ed.connect()
    logged = await ed.call("session.logon")
    result = logged.body["result"]
    assert result["apiKey"] == "ed" and result["authorizedSince"] == mx.clock.now_ms()
    assert result["userDataStream"] is False and result["returnRateLimits"] is True
    sub = await ed.call("userDataStream.subscribe", signed=False)
    assert sub.body["result"] == {"subscriptionId": 0}
    await hmac.call("userDataStream.subscribe.signature")  # another connection, another account
    placed = await ed.call(
        "order.place", signed=False, timestamp=mx.clock.now_ms(), **limit("SELL", "0.001", "90001")
    )
    assert placed.status == 200, placed.body
    no_ts = await ed.call(
        "order.status", signed=False, symbol=SYMBOL, orderId=placed.body["result"]["orderId"]
    )
    assert no_ts.body["error"]["code"] == -1102
    new = await ed.event()
    assert (new["subscriptionId"], new["event"]["x"]) == (0, "NEW")
    assert (await ed.event())["event"]["e"] == "outboundAccountPosition"
    out = await ed.call("session.logout", signed=False)
    assert out.body["result"]["apiKey"] is None and out.body["result"]["authorizedSince"] is None
    assert (await ed.event())["event"]["e"] == "eventStreamTerminated"
    assert hmac.drain() == []
    await ed.close()
    await hmac.close()


async def test_events_of_a_trade_reach_both_accounts_in_order(
    mx: MockExchange, session: aiohttp.ClientSession
) -> None:
    """A REST order's maker and taker each get their executionReports and then the balance
    position, sharing E and T; cancels carry the new client id in c and the old in C."""
    alice = Trader.register(mx, session, "alice", {"USDT": "100000", "BTC": "1"})
    bob = Trader.register(mx, session, "bob", {"USDT": "100000", "BTC": "1"})
    for t in (alice, bob):
        await t.connect()
        await t.call("userDataStream.subscribe.signature")
    await alice.order(**limit("SELL", "0.002", "90001", newClientOrderId="ask"))
    mx.clock.advance(5)
    await bob.order(symbol=SYMBOL, side="BUY", type="MARKET", quantity="0.001")
    alice_frames = [await alice.event() for _ in range(4)]
    assert kinds(alice_frames) == [
        ("executionReport", "NEW", "NEW"),
        ("outboundAccountPosition",),
        ("executionReport", "TRADE", "PARTIALLY_FILLED"),
        ("outboundAccountPosition",),
    ]
    bob_frames = [await bob.event() for _ in range(3)]
    assert kinds(bob_frames) == [
        ("executionReport", "NEW", "NEW"),
        ("executionReport", "TRADE", "FILLED"),
        ("outboundAccountPosition",),
    ]
    step_time = mx.clock.now_ms()
    for frame in [alice_frames[2], alice_frames[3], *bob_frames]:
        ev = frame["event"]
        assert ev["E"] == step_time and ev.get("T", step_time) == step_time
    maker, taker = alice_frames[2]["event"], bob_frames[1]["event"]
    assert (maker["m"], taker["m"], maker["t"]) == (True, False, taker["t"])
    assert (maker["N"], maker["n"]) == ("USDT", "0.09000100")
    assert (taker["N"], taker["n"]) == ("BTC", "0.00000100")
    assert taker["w"] is False and maker["w"] is True
    await alice.rest("DELETE", "/api/v3/order", symbol=SYMBOL, origClientOrderId="ask",
                     newClientOrderId="gone")  # fmt: skip
    canceled = (await alice.event())["event"]
    assert (canceled["x"], canceled["c"], canceled["C"], canceled["z"]) == (
        "CANCELED",
        "gone",
        "ask",
        "0.00100000",
    )
    position = (await alice.event())["event"]
    assert position["B"] == [{"a": "BTC", "f": "0.99900000", "l": "0.00000000"}]
    for t in (alice, bob):
        await t.close()


async def test_deposit_amend_reject_and_prevention_events(
    mx: MockExchange, session: aiohttp.ClientSession
) -> None:
    """Deposits send balanceUpdate then outboundAccountPosition; an amend REPLACED; a
    cancel-replace whose new order is refused REJECTED; STP TRADE_PREVENTION with its fields."""
    alice = Trader.register(mx, session, "alice", {"USDT": "100000", "BTC": "1"})
    await alice.connect()
    await alice.call("userDataStream.subscribe.signature")
    mx.deposit("alice", "BTC", "0.5")
    balance = (await alice.event())["event"]
    assert balance == {"e": "balanceUpdate", "E": mx.clock.now_ms(), "a": "BTC",
                       "d": "0.50000000", "T": mx.clock.now_ms()}  # fmt: skip
    assert (await alice.event())["event"]["B"] == [
        {"a": "BTC", "f": "1.50000000", "l": "0.00000000"}
    ]
    placed = await alice.order(**limit("SELL", "0.003", "90002"))
    assert kinds([await alice.event(), await alice.event()])[0][1] == "NEW"
    await alice.rest("PUT", "/api/v3/order/amend/keepPriority", symbol=SYMBOL,
                     orderId=placed.body["orderId"], newQty="0.002")  # fmt: skip
    replaced = (await alice.event())["event"]
    assert (replaced["x"], replaced["X"], replaced["q"]) == ("REPLACED", "NEW", "0.00200000")
    await alice.event()  # the lock shrank: outboundAccountPosition
    await alice.rest("POST", "/api/v3/order/cancelReplace", cancelReplaceMode="STOP_ON_FAILURE",
                     cancelOrderId=placed.body["orderId"], symbol=SYMBOL, side="BUY",
                     type="LIMIT_MAKER", quantity="0.001", price="90009")  # fmt: skip
    frames = [await alice.event() for _ in range(3)]
    assert kinds(frames) == [
        ("executionReport", "CANCELED", "CANCELED"),
        ("outboundAccountPosition",),
        ("executionReport", "REJECTED", "REJECTED"),
    ]
    assert frames[2]["event"]["r"] == "WOULD_MATCH_IMMEDIATELY"
    maker = await alice.order(**limit("SELL", "0.001", "90003"))
    assert kinds([await alice.event(), await alice.event()])[0][1] == "NEW"
    await alice.order(**limit("BUY", "0.001", "90003", selfTradePreventionMode="EXPIRE_TAKER"))
    frames = [await alice.event() for _ in range(3)]
    assert kinds(frames) == [
        ("executionReport", "NEW", "NEW"),
        ("executionReport", "TRADE_PREVENTION", "EXPIRED_IN_MATCH"),
        ("outboundAccountPosition",),
    ]
    stp = frames[1]["event"]
    assert (stp["v"], stp["A"], stp["B"], stp["U"], stp["Cs"]) == (
        0, "0.00100000", "0.00100000", maker.body["orderId"], SYMBOL
    )  # fmt: skip
    assert stp["pL"] == "90003.00000000" and stp["u"] == -1 and "eR" not in stp
    await alice.close()


def test_worked_market_sequence_every_field() -> None:
    """MARKET BUY 6 against 4 available: NEW, TRADE, TRADE, EXPIRED (reference 6.4), one time
    for all, the response EXPIRED with two fills, then one outboundAccountPosition."""
    accounts = Accounts()
    buyer, _ = accounts.register({"apiKey": "b", "secret": "s", "balances": {"USDT": "1000000"}})
    seller, _ = accounts.register({"apiKey": "a", "secret": "s", "balances": {"BTC": "10"}})
    engine = Engine(VirtualClock(NOW), DEFAULT_MARKETS, seed_liquidity=False,
                    ledger=SpotLedger(accounts))  # fmt: skip
    market = engine.market(SYMBOL)
    for price in ("90000", "90001"):
        engine.place_order(SYMBOL, "SELL", "LIMIT", quantity=D(2), price=D(price),
                           owner=seller.id, client_order_id=f"s{price}")  # fmt: skip
    result, events = engine.place_order(SYMBOL, "BUY", "MARKET", quantity=D(6), owner=buyer.id,
                                        client_order_id="mkt", now=NOW + 7)  # fmt: skip
    assert result.status == "EXPIRED" and len(result.fills) == 2 and result.executed_qty == 4
    mine = [e for e in events if getattr(e, "owner", None) == buyer.id]
    reports = [execution_report(market, e) for e in mine if isinstance(e, OrderUpdate)]
    assert [(r["x"], r["X"], r["l"], r["z"], r["t"] > 0) for r in reports] == [
        ("NEW", "NEW", "0.00000000", "0.00000000", False),
        ("TRADE", "PARTIALLY_FILLED", "2.00000000", "2.00000000", True),
        ("TRADE", "PARTIALLY_FILLED", "2.00000000", "4.00000000", True),
        ("EXPIRED", "EXPIRED", "0.00000000", "4.00000000", False),
    ]
    new, first, _, expired = reports
    assert (new["w"], new["n"], new["N"], new["t"], new["f"]) == (True, "0", None, -1, "GTC")
    assert (first["w"], first["M"], first["N"], first["n"]) == (False, True, "BTC", "0.00200000")
    assert expired["eR"] == "INSUFFICIENT_LIQUIDITY" and expired["Z"] == "360002.00000000"
    assert {r["E"] for r in reports} == {r["T"] for r in reports} == {NOW + 7}
    assert [r["I"] for r in reports] == sorted(r["I"] for r in reports)
    expected = {
        "e", "E", "s", "c", "S", "o", "f", "q", "p", "P", "F", "g", "C", "x", "X", "r", "i",
        "l", "z", "L", "n", "N", "T", "t", "I", "w", "m", "M", "O", "Z", "Y", "Q", "W", "V",
    }  # fmt: skip
    assert set(new) == expected and set(expired) == expected | {"eR"}
    positions = [e for e in mine if isinstance(e, AccountPosition)]
    assert len(positions) == 1 and mine[-1] is positions[0]
    assert account_position(positions[0])["B"] == [
        {"a": "BTC", "f": "3.99600000", "l": "0.00000000"},
        {"a": "USDT", "f": "639998.00000000", "l": "0.00000000"},
    ]
    assert json.dumps(reports)  # JSON-ready
