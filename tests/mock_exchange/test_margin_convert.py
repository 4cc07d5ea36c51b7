"""Margin reference data, listen tokens, convert and capital config, as clients call them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal as D

import aiohttp
import pytest

from mock_exchange import MockExchange, ServerConfig
from mock_exchange.engine.types import AccountId
from mock_exchange.engine.user_streams import MAX_IDS, Subscriptions
from mock_exchange.errors import ExchangeError
from tests.mock_exchange.trading_client import Trader

DAY = 86_400_000


@pytest.fixture
async def mx() -> AsyncIterator[MockExchange]:
    """An emulator on a frozen clock, BTC's borrow rate configured."""
    config = ServerConfig(rate=0, frozen_clock=True, warmup_ms=0, borrow_rates={"BTC": "0.0005"})
    async with MockExchange(config=config) as m:
        yield m


@pytest.fixture
async def alice(mx: MockExchange) -> AsyncIterator[Trader]:
    """A funded account."""
    async with aiohttp.ClientSession() as session:
        trader = Trader.register(mx, session, "alice", {"USDT": "10000", "BTC": "1"})
        yield trader
        await trader.close()


async def test_what_ccxt_loads_with_keys(alice: Trader) -> None:
    """capital/config/getall lists every coin with the balance; margin pairs list the spot
    symbols (allPairs with the key alone, isolated pairs signed)."""
    coins = (await alice.rest("GET", "/sapi/v1/capital/config/getall")).body
    btc = next(c for c in coins if c["coin"] == "BTC")
    assert btc["free"] == "1" and btc["networkList"][0]["isDefault"] is True
    url = alice.mx.url("https://api.binance.com/sapi/v1/margin/allPairs")
    async with alice.session.get(url, headers={"X-MBX-APIKEY": "alice"}) as r:
        pairs = await r.json()
        assert r.headers["X-SAPI-USED-IP-WEIGHT-1M"] == "11"  # getall 10, then 1
    assert {p["symbol"] for p in pairs} == {"BTCUSDT", "ETHUSDT", "BNBUSDT", "ETHBTC"}
    isolated = await alice.rest("GET", "/sapi/v1/margin/isolated/allPairs")
    assert isolated.status == 200 and isolated.body[0]["isMarginTrade"] is True
    async with alice.session.get(url) as r:
        assert (r.status, (await r.json())["code"]) == (401, -2014)


async def test_borrow_rates_are_configurable(mx: MockExchange, alice: Trader) -> None:
    """Daily rates come from the config and the borrow_rate action; history is one row per
    day, newest first; next-hourly is daily / 24; isolated data has base and quote rates."""
    now = mx.clock.now_ms()
    history = await alice.rest("GET", "/sapi/v1/margin/interestRateHistory", asset="BTC",
                               startTime=now - 3 * DAY, endTime=now)  # fmt: skip
    assert [r["dailyInterestRate"] for r in history.body] == ["0.0005"] * 3
    stamps = [r["timestamp"] for r in history.body]
    assert stamps == sorted(stamps, reverse=True) and all(s % DAY == 0 for s in stamps)
    wide = await alice.rest("GET", "/sapi/v1/margin/interestRateHistory", asset="BTC",
                            startTime=now - 31 * DAY, endTime=now)  # fmt: skip
    assert wide.body["code"] == -1127
    mx.act("borrow_rate", {"asset": "USDT", "dailyInterestRate": "0.0012"})
    hourly = await alice.rest("GET", "/sapi/v1/margin/next-hourly-interest-rate",
                              assets="BTC,USDT", isIsolated="false")  # fmt: skip
    assert hourly.body == [
        {"asset": "BTC", "nextHourlyInterestRate": "0.00002083"},
        {"asset": "USDT", "nextHourlyInterestRate": "0.00005000"},
    ]
    isolated = await alice.rest("GET", "/sapi/v1/margin/isolatedMarginData", symbol="BTCUSDT")
    assert [(d["coin"], d["dailyInterest"]) for d in isolated.body[0]["data"]] == [
        ("BTC", "0.0005"),
        ("USDT", "0.0012"),
    ]
    cross = await alice.rest("GET", "/sapi/v1/margin/crossMarginData", coin="USDT")
    assert (
        cross.body[0]["dailyInterest"] == "0.0012" and "BTCUSDT" in cross.body[0]["marginablePairs"]
    )


async def test_margin_account_and_scripted_liquidations(mx: MockExchange, alice: Trader) -> None:
    """The margin account is empty (no margin trading); forceLiquidationRec lists only what a
    script recorded."""
    account = (await alice.rest("GET", "/sapi/v1/margin/account")).body
    assert account["totalLiabilityOfBtc"] == "0.00000000" and account["tradeEnabled"] is True
    empty = await alice.rest("GET", "/sapi/v1/margin/forceLiquidationRec")
    assert empty.body == {"rows": [], "total": 0}
    mx.act("force_liquidation", {"apiKey": "alice", "symbol": "BTCUSDT", "side": "SELL",
                                 "price": "80000", "qty": "0.1"})  # fmt: skip
    listed = (await alice.rest("GET", "/sapi/v1/margin/forceLiquidationRec")).body
    assert listed["total"] == 1 and listed["rows"][0]["qty"] == "0.1"


async def test_listen_token_subscription_and_expiry(mx: MockExchange, alice: Trader) -> None:
    """userListenToken works with the API key alone; the WS API subscription answers the
    expiration time and ends with eventStreamTerminated when the token expires; a bad token is
    -1209."""
    url = mx.url("https://api.binance.com/sapi/v1/userListenToken")
    async with alice.session.post(url, headers={"X-MBX-APIKEY": "alice"}) as r:
        token = await r.json()
    assert token["expirationTime"] == mx.clock.now_ms() + DAY
    short = await alice.rest("POST", "/sapi/v1/userListenToken", validity=60_000,
                             symbol="BTCUSDT", isIsolated="true")  # fmt: skip
    assert short.body["expirationTime"] == mx.clock.now_ms() + 60_000
    await alice.connect()
    sub = await alice.call("userDataStream.subscribe.listenToken", signed=False,
                           listenToken=short.body["token"])  # fmt: skip
    assert sub.body["result"] == {
        "subscriptionId": 0,
        "expirationTime": short.body["expirationTime"],
    }
    spot = await alice.call("userDataStream.subscribe.signature")
    assert spot.body["result"] == {"subscriptionId": 1}
    bad = await alice.call("userDataStream.subscribe.listenToken", signed=False, listenToken="x")
    assert bad.body["error"]["code"] == -1209
    mx.clock.advance(60_000)
    ended = await alice.event()
    assert ended == {
        "subscriptionId": 0,
        "event": {"e": "eventStreamTerminated", "E": mx.clock.now_ms()},
    }
    listed = await alice.call("session.subscriptions", signed=False)
    assert listed.body["result"] == [{"subscriptionId": 1}]


async def test_convert_quote_accept_expiry_and_history(mx: MockExchange, alice: Trader) -> None:
    """A quote is priced from the book with a spread, valid 10 s; accepting moves balances and
    reports the position; a late accept is refused; orderStatus and tradeFlow read it back."""
    await alice.connect()
    await alice.call("userDataStream.subscribe.signature")
    quote = (await alice.rest("POST", "/sapi/v1/convert/getQuote", fromAsset="BTC",
                              toAsset="USDT", fromAmount="0.01")).body  # fmt: skip
    best_bid = mx.exchange.engine("spot").book("BTCUSDT").best_bid()
    assert best_bid is not None
    assert D(quote["toAmount"]) < D("0.01") * best_bid[0]  # the spread is the house's
    assert quote["validTimestamp"] == mx.clock.now_ms() + 10_000
    accepted = await alice.rest("POST", "/sapi/v1/convert/acceptQuote", quoteId=quote["quoteId"])
    assert accepted.body["orderStatus"] == "PROCESS"
    state = mx.account_state("alice")["balances"]
    assert D(state["BTC"]["free"]) == D("0.99")
    assert D(state["USDT"]["free"]) == D("10000") + D(quote["toAmount"])
    position = (await alice.event())["event"]
    assert position["e"] == "outboundAccountPosition"
    again = await alice.rest("POST", "/sapi/v1/convert/acceptQuote", quoteId=quote["quoteId"])
    assert again.body["code"] == -1130
    status = await alice.rest(
        "GET", "/sapi/v1/convert/orderStatus", orderId=accepted.body["orderId"]
    )
    assert status.body["orderStatus"] == "SUCCESS" and status.body["toAmount"] == quote["toAmount"]
    late = (await alice.rest("POST", "/sapi/v1/convert/getQuote", fromAsset="USDT",
                             toAsset="ETH", toAmount="0.5", validTime="30s")).body  # fmt: skip
    mx.clock.advance(30_001)
    refused = await alice.rest("POST", "/sapi/v1/convert/acceptQuote", quoteId=late["quoteId"])
    assert refused.body["code"] == -1130
    broke = (await alice.rest("POST", "/sapi/v1/convert/getQuote", fromAsset="ETH",
                              toAsset="USDT", fromAmount="5")).body  # fmt: skip
    assert "quoteId" not in broke and D(broke["toAmount"]) > 0
    now = mx.clock.now_ms()
    flow = await alice.rest("GET", "/sapi/v1/convert/tradeFlow", startTime=now - DAY, endTime=now)
    assert [row["orderId"] for row in flow.body["list"]] == [int(accepted.body["orderId"])]


def test_subscription_ids_are_bounded_per_connection() -> None:
    """Ids count from 0; one per account (-2035); after 65 535 ids the connection is full
    (-2042)."""
    subs = Subscriptions()
    first = subs.add(AccountId("1"), "signature")
    with pytest.raises(ExchangeError) as dup:
        subs.add(AccountId("1"), "logon")
    assert dup.value.code == -2035 and first.id == 0
    for i in range(MAX_IDS - 1):
        subs.remove(subs.add(AccountId(str(i + 2)), "signature").id)
    with pytest.raises(ExchangeError) as full:
        subs.add(AccountId("x"), "signature")
    assert full.value.code == -2042


async def test_sapi_permissions_and_token_redaction(mx: MockExchange, alice: Trader) -> None:
    """A key without margin or trading permission gets -1002 (401) from the /sapi/ endpoints
    that act; listen tokens sent over the WS API never reach the journal."""
    reader = Trader.register(mx, alice.session, "reader", {"USDT": "10"}, permissions=["reading"])
    token = await reader.rest("POST", "/sapi/v1/userListenToken")
    assert (token.status, token.body) == (
        401,
        {"code": -1002, "msg": "You are not authorized to execute this request."},
    )
    quote = await reader.rest("POST", "/sapi/v1/convert/getQuote", fromAsset="USDT",
                              toAsset="BTC", fromAmount="5")  # fmt: skip
    accept = await reader.rest(
        "POST", "/sapi/v1/convert/acceptQuote", quoteId=quote.body["quoteId"]
    )
    assert accept.body["code"] == -1002
    granted = (await alice.rest("POST", "/sapi/v1/userListenToken")).body["token"]
    await alice.connect()
    await alice.call("userDataStream.subscribe.listenToken", signed=False, listenToken=granted)
    journal = str(mx.act("journal"))
    assert granted not in journal and '"listenToken": "<redacted>"' in journal
