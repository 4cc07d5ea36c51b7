"""Request security without sockets: signature payloads, key types, timing, permissions."""

from __future__ import annotations

import json
import urllib.parse
from decimal import Decimal
from typing import Any

import pytest

from mock_exchange.engine.accounts import Accounts
from mock_exchange.engine.keys import KeyType, make_key, parse_permissions
from mock_exchange.errors import ExchangeError
from mock_exchange.hosts import HOSTS
from mock_exchange.transports.auth import (
    ACCESS_API_KEY,
    ACCESS_PUBLIC,
    ACCESS_TRADE,
    ACCESS_USER_DATA,
    Credentials,
    authorize,
    check_timing,
    ws_param_texts,
    ws_payloads,
)
from mock_exchange.transports.request import RawRequest
from tests.mock_exchange.signing import (
    DOC_API_KEY,
    DOC_SECRET,
    ed25519_signer,
    hmac_signer,
    rsa_signer,
)

NOW = 1_767_225_600_000
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


FULLWIDTH = "\uff11\uff12\uff13\uff14\uff15\uff16"  # the docs' non-ASCII symbol
FULLWIDTH_ENCODED = "%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96"


def request(query: str = "", body: bytes = b"") -> RawRequest:
    return RawRequest.build(
        "POST", HOSTS["api.binance.com"], "/api/v3/order", raw_query=query, body=body, headers=FORM
    )


# -- Binance's published test vectors ----------------------------------------------------------


def test_rest_hmac_test_vectors_pass() -> None:
    """The REST HMAC examples of rest-api.md verify, ASCII and percent-encoded non-ASCII."""
    key = make_key(DOC_API_KEY, 1, secret=DOC_SECRET)
    ascii_query = (
        "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
        "&recvWindow=5000&timestamp=1499827319559"
    )
    sig = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
    req = request(f"{ascii_query}&signature={sig}")
    assert key.verify(req.signed_payload(), req.raw_signature() or "")
    encoded = ascii_query.replace("LTCBTC", FULLWIDTH_ENCODED)
    sig2 = "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3"
    req2 = request(f"{encoded}&signature={sig2}")
    assert key.verify(req2.signed_payload(), req2.raw_signature() or "")


def test_ws_api_hmac_test_vectors_pass() -> None:
    """The WS API HMAC examples of web-socket-api.md verify over the sorted parameters."""
    key = make_key(DOC_API_KEY, 1, secret=DOC_SECRET)
    params: dict[str, Any] = {
        "symbol": "BTCUSDT", "side": "SELL", "type": "LIMIT", "timeInForce": "GTC",
        "quantity": "0.01000000", "price": "52000.00", "recvWindow": 100,
        "timestamp": 1645423376532, "apiKey": DOC_API_KEY,
        "signature": "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24",
    }  # fmt: skip
    frame = json.dumps({"id": "4885f793", "method": "order.place", "params": params})
    payloads = ws_payloads(ws_param_texts(frame))
    assert any(key.verify(p, params["signature"]) for p in payloads)
    unicode = {**params, "symbol": FULLWIDTH, "side": "BUY", "quantity": "1.00000000"}
    unicode |= {"price": "0.10000000", "recvWindow": 5000}
    unicode["signature"] = "b33892ae8e687c939f4468c6268ddd4c40ac1af18ad19a064864c47bae0752cd"
    frame = json.dumps({"id": 1, "method": "order.place", "params": unicode}, ensure_ascii=False)
    assert any(key.verify(p, unicode["signature"]) for p in ws_payloads(ws_param_texts(frame)))


# -- REST payload rules ------------------------------------------------------------------------


def test_rest_payload_is_query_then_body_as_sent_without_the_signature() -> None:
    """Params split between query and body are signed as query+body, no separator, no reorder."""
    signer = hmac_signer()
    key = make_key(signer.api_key, 1, secret=signer.secret)
    query, body = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC", "quantity=1&price=0.1"
    body += "&recvWindow=5000&timestamp=1499827319559"
    sig = signer.sign(query + body)
    req = request(query, f"{body}&signature={sig}".encode())
    assert req.signed_payload() == (query + body).encode()
    assert key.verify(req.signed_payload(), req.raw_signature() or "")
    assert key.verify(req.signed_payload(), sig.upper())  # HMAC hex is case-insensitive
    moved = request(f"signature={sig}&{query}", body.encode())
    assert key.verify(moved.signed_payload(), moved.raw_signature() or "")
    reordered = request("side=BUY&symbol=LTCBTC&type=LIMIT&timeInForce=GTC", body.encode())
    assert not key.verify(reordered.signed_payload(), sig)


def test_rest_raw_utf8_signature_fails_as_on_binance() -> None:
    """A payload signed over raw UTF-8 fails: the server verifies the percent-encoded form."""
    signer = hmac_signer()
    key = make_key(signer.api_key, 1, secret=signer.secret)
    raw = f"symbol={FULLWIDTH}&timestamp=1"
    req = request(f"{raw}&signature={signer.sign(raw)}")
    assert req.signed_payload() == f"symbol={FULLWIDTH_ENCODED}&timestamp=1".encode()
    assert not key.verify(req.signed_payload(), req.raw_signature() or "")
    encoded = f"symbol={FULLWIDTH_ENCODED}&timestamp=1"
    assert key.verify(req.signed_payload(), signer.sign(encoded))


@pytest.mark.parametrize("make", [rsa_signer, ed25519_signer])
def test_rsa_and_ed25519_signatures_are_base64_percent_decoded(make: Any) -> None:
    """RSA/Ed25519 signatures verify percent-decoded (once or twice); they are case-sensitive."""
    signer = make()
    key = make_key(signer.api_key, 1, public_key=signer.registration()["publicKey"])
    assert key.key_type is (KeyType.RSA if signer.kind == "rsa" else KeyType.ED25519)
    query = "symbol=BTCUSDT&side=SELL&timestamp=1668481559918&recvWindow=5000"
    sig = signer.sign(query)
    once = urllib.parse.quote(sig, safe="")
    for sent in (once, urllib.parse.quote(once, safe="")):
        req = request(f"{query}&signature={sent}")
        assert req.raw_signature() == sig
        assert key.verify(req.signed_payload(), req.raw_signature() or "")
    assert not key.verify(query.encode(), sig.swapcase())
    assert not key.verify(query.encode(), "not base64!")


def test_ws_payload_accepts_raw_and_percent_encoded_forms() -> None:
    """A WS API signature over sorted params verifies raw or percent-encoded; numbers as sent."""
    signer = hmac_signer()
    key = make_key(signer.api_key, 1, secret=signer.secret)
    params = {"newClientOrderId": "a b/c", "recvWindow": 5000.50, "timestamp": 7, "apiKey": "k"}
    frame = '{"id":1,"method":"x","params":{"newClientOrderId":"a b/c","recvWindow":5000.50,'
    frame += '"timestamp":7,"apiKey":"k","flag":true}}'
    texts = ws_param_texts(frame)
    assert texts["recvWindow"] == "5000.50" and texts["flag"] == "true"
    raw = "apiKey=k&flag=true&newClientOrderId=a b/c&recvWindow=5000.50&timestamp=7"
    encoded = urllib.parse.urlencode(sorted({**params, "flag": "true"}.items()))
    encoded = encoded.replace("recvWindow=5000.5&", "recvWindow=5000.50&")
    for payload in (raw, encoded):
        assert any(key.verify(p, signer.sign(payload)) for p in ws_payloads(texts))


# -- timing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timestamp", "window", "message"),
    [
        (NOW - 5000, None, None),
        (NOW - 5001, None, "outside of the recvWindow"),
        (NOW + 999, None, None),
        (NOW + 1000, None, "1000ms ahead"),
        (NOW - 60000, 60000, None),
        (NOW - 5000, "4999.999", "outside of the recvWindow"),
        ((NOW - 5000) * 1000 - 1, None, "outside of the recvWindow"),
        ((NOW - 4999) * 1000, "5000.000", None),
        (1_483_228_799_999, 60000, "outside of the recvWindow"),
    ],
)
def test_timing_security(timestamp: int, window: Any, message: str | None) -> None:
    """recvWindow defaults to 5000 ms; µs timestamps count; both -1021 wordings."""
    creds = Credentials(timestamp=timestamp, recv_window=window)
    if message is None:
        check_timing(creds, NOW)
        return
    with pytest.raises(ExchangeError) as info:
        check_timing(creds, NOW if timestamp > 1_500_000_000_000 else 1_483_228_800_000)
    assert info.value.code == -1021 and message in info.value.msg


@pytest.mark.parametrize(
    ("creds", "code", "fragment"),
    [
        (Credentials(recv_window=5000), -1102, "'timestamp'"),
        (Credentials(timestamp="12ab"), -1102, "'timestamp'"),
        (Credentials(timestamp=NOW, recv_window="60000.001"), -1102, "greater than 60000"),
        (Credentials(timestamp=NOW, recv_window="100.0001"), -1111, "too much precision"),
        (Credentials(timestamp=NOW, recv_window="soon"), -1102, "'recvWindow'"),
    ],
)
def test_timing_parameters_are_checked(creds: Credentials, code: int, fragment: str) -> None:
    """Missing or malformed timing parameters get Binance's parameter errors."""
    with pytest.raises(ExchangeError) as info:
        check_timing(creds, NOW)
    assert info.value.code == code and fragment in info.value.msg


# -- authorize ---------------------------------------------------------------------------------


def _accounts() -> tuple[Accounts, Any]:
    accounts = Accounts()
    signer = hmac_signer("trader", "s3cret")
    accounts.register({"apiKey": "trader", "secret": "s3cret"})
    accounts.register({"apiKey": "reader", "secret": "r", "permissions": ["reading"]})
    return accounts, signer


@pytest.mark.parametrize(
    ("creds", "code", "status"),
    [
        (Credentials(timestamp=NOW, signature="x"), -2014, 401),
        (Credentials(api_key="has space", timestamp=NOW, signature="x"), -2014, 401),
        (Credentials(api_key="nobody", timestamp=NOW, signature="x"), -2015, 401),
        (Credentials(api_key="trader", signature="x"), -1102, 400),
        (Credentials(api_key="trader", timestamp=NOW), -1102, 400),
        (Credentials(api_key="trader", timestamp=NOW, signature="00"), -1022, 400),
        (Credentials(api_key="trader", timestamp=NOW - 9000, signature="00"), -1021, 400),
    ],
)
def test_authorize_refusals(creds: Credentials, code: int, status: int) -> None:
    """Missing or garbled keys are -2014, unknown -2015 (401); bad signatures -1022 (400)."""
    accounts, _ = _accounts()
    with pytest.raises(ExchangeError) as info:
        authorize(ACCESS_USER_DATA, creds, accounts, NOW, lambda: [b"payload"])
    assert (info.value.code, info.value.http_status) == (code, status)


def test_permissions_reading_is_fine_trading_is_refused() -> None:
    """A key without trading permission reads its account but trading is -2015."""
    accounts, signer = _accounts()
    reader = hmac_signer("reader", "r")
    creds = Credentials(api_key="reader", timestamp=NOW, signature=reader.sign(b"p"))
    principal = authorize(ACCESS_USER_DATA, creds, accounts, NOW, lambda: [b"p"])
    assert principal is not None and principal.account.uid == accounts.of_key("reader").uid
    with pytest.raises(ExchangeError) as info:
        authorize(ACCESS_TRADE, creds, accounts, NOW, lambda: [b"p"])
    assert info.value.code == -2015
    good = Credentials(api_key="trader", timestamp=NOW, signature=signer.sign(b"p"))
    assert authorize(ACCESS_TRADE, good, accounts, NOW, lambda: [b"p"]) is not None
    # API-key-only endpoints (REST USER_STREAM) need no signature or timestamp
    assert authorize(ACCESS_API_KEY, Credentials(api_key="reader"), accounts, NOW, list)
    assert authorize(ACCESS_PUBLIC, Credentials(api_key="?? bad"), accounts, NOW, list) is None


def test_logged_on_session_key_stands_in_for_key_and_signature() -> None:
    """A session key authorises a signed request without apiKey/signature; timestamp still due."""
    accounts, _ = _accounts()
    key = accounts.key("trader")
    principal = authorize(
        ACCESS_TRADE, Credentials(timestamp=NOW), accounts, NOW, list, session_key=key
    )
    assert principal is not None and principal.key is key
    with pytest.raises(ExchangeError) as info:
        authorize(ACCESS_TRADE, Credentials(), accounts, NOW, list, session_key=key)
    assert info.value.code == -1102


def test_keys_and_permissions_are_parsed_strictly() -> None:
    """Key material is checked at registration; permissions accept Binance's enable* names."""
    assert parse_permissions(None) == {"reading", "spot", "margin", "futures"}
    assert parse_permissions({"enableReading": True, "enableSpotAndMarginTrading": True}) == {
        "reading",
        "spot",
        "margin",
    }
    for bad in ({"apiKey": "k"}, {"apiKey": "k", "secret": "s", "publicKey": "p"}):
        with pytest.raises(ValueError):
            make_key(bad["apiKey"], 1, secret=bad.get("secret"), public_key=bad.get("publicKey"))
    with pytest.raises(ValueError, match="PEM"):
        make_key("k", 1, public_key="-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----")
    with pytest.raises(ValueError, match="unknown permission"):
        parse_permissions(["teleport"])
    key = make_key("k", 1, secret="topsecret")
    assert "topsecret" not in repr(key) and "topsecret" not in json.dumps(key.describe())


def test_registry_contract_rules() -> None:
    """Duplicate keys are refused, a second key joins an account, balances are exact."""
    accounts = Accounts()
    account, _ = accounts.register(
        {"apiKey": "a", "secret": "s", "balances": {"usdt": "10.5"}, "futuresBalances": {"USDT": 3}}
    )
    assert account.spot.balance("USDT").free == Decimal("10.5")
    assert account.futures["usdm"].balance("USDT").free == 3
    with pytest.raises(ValueError, match="already registered"):
        accounts.register({"apiKey": "a", "secret": "other"})
    second, _ = accounts.register({"apiKey": "b", "secret": "t", "account": account.uid})
    assert second is account and len(accounts) == 1
    with pytest.raises(ValueError, match="does not exist"):
        accounts.register({"apiKey": "c", "secret": "t", "account": 5})
    with pytest.raises(ValueError, match=">= 0"):
        accounts.register({"apiKey": "d", "secret": "t", "balances": {"BTC": "-1"}})
