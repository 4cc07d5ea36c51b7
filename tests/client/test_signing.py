"""Signing in the sans-I/O core: Binance's published vectors, the three key types, and payloads
that the emulator's independent verifier accepts (no event loop, no sockets)."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qsl, quote

import orjson
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from client.errors import AuthenticationError
from client.protocol.rest import build_request
from client.protocol.signing import (
    estimate_offset,
    hmac_signer,
    load_private_key,
    rest_params,
    sign_ws_params,
    signer_for,
    ws_payload,
)
from mock_exchange.engine.keys import ApiKey, KeyType
from mock_exchange.transports.auth import ws_param_texts, ws_payloads

DOC_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
DOC_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
DOC_ORDER = {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "1", "price": "0.1"}


def pem(key: Any, password: bytes | None = None) -> str:
    """PKCS#8 PEM text of a private key (encrypted with ``password`` if given)."""
    enc: Any = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return str(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc
        ).decode()
    )


def test_hmac_rest_vector() -> None:
    """Binance's REST HMAC example: the payload as sent signs to the published digest."""
    params = {"symbol": "LTCBTC", **DOC_ORDER}
    req = build_request(
        "POST",
        "https://api.binance.com/api/v3/order",
        rest_params(params, timestamp=1499827319559, recv_window=5000),
        signer=hmac_signer(DOC_SECRET),
    )
    assert req.url.endswith(
        "?symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
        "&recvWindow=5000&timestamp=1499827319559"
        "&signature=c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
    )


def test_hmac_rest_vector_non_ascii() -> None:
    """The non-ASCII REST example signs the percent-encoded form that is sent."""
    params = {"symbol": "\uff11\uff12\uff13\uff14\uff15\uff16", **DOC_ORDER}  # fullwidth
    req = build_request(
        "POST",
        "https://api.binance.com/api/v3/order",
        rest_params(params, timestamp=1499827319559, recv_window=5000),
        form=True,
        signer=hmac_signer(DOC_SECRET),
    )
    assert req.body is not None
    assert req.body.startswith(b"symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96")
    assert req.body.endswith(
        b"&signature=e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3"
    )


def test_hmac_ws_api_vector() -> None:
    """Binance's WS API example: sorted raw params sign to the published digest."""
    params = {
        "symbol": "BTCUSDT",
        "side": "SELL",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.01000000",
        "price": "52000.00",
    }
    signed = sign_ws_params(
        params,
        timestamp=1645423376532,
        recv_window=100,
        api_key=DOC_KEY,
        signer=hmac_signer(DOC_SECRET),
    )
    assert ws_payload(signed) == (
        f"apiKey={DOC_KEY}&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL"
        "&symbol=BTCUSDT&timeInForce=GTC&timestamp=1645423376532&type=LIMIT"
    )
    assert signed["signature"] == "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24"
    assert list(signed)[-1] == "signature"


def test_logged_on_request_carries_no_key_or_signature() -> None:
    """Without a key and signer (a logged-on session) only timestamp and recvWindow are added."""
    out = sign_ws_params({"symbol": "BTCUSDT", "x": None}, timestamp=5, recv_window=6000)
    assert out == {"symbol": "BTCUSDT", "timestamp": 5, "recvWindow": 6000}


def test_ed25519_rfc8032_vectors() -> None:
    """Ed25519 signing reproduces RFC 8032's test vectors 1 and 2 (base64 of the signature)."""
    for secret, message, expected in (
        (
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            b"",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555f"
            "b8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        ),
        (
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            b"r",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da08"
            "5ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
        ),
    ):
        key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(secret))
        signer = signer_for(private_key=pem(key))
        assert signer.kind == "ed25519" and signer.can_logon
        assert base64.b64decode(signer(message.decode())).hex() == expected


def test_rsa_signs_pkcs1v15_sha256_and_password_protected_keys_load() -> None:
    """RSA keys sign with PKCS#1 v1.5 / SHA-256 in base64; an encrypted PEM needs its
    password and a wrong one is refused without quoting the key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    text = pem(key, b"pw")
    signer = signer_for(private_key=text, password="pw")
    sig = base64.b64decode(signer("symbol=BTCUSDT&timestamp=1"))
    key.public_key().verify(sig, b"symbol=BTCUSDT&timestamp=1", padding.PKCS1v15(), hashes.SHA256())
    assert signer.kind == "rsa" and not signer.can_logon
    with pytest.raises(AuthenticationError) as info:
        signer_for(private_key=text, password="wrong")
    assert "PRIVATE" not in str(info.value) and text[40:80] not in str(info.value)
    assert repr(signer) == "<KeySigner rsa>"


def test_secret_holding_a_pem_is_a_key_and_garbage_is_refused() -> None:
    """A ``secret`` that holds a PEM private key (ccxt's convention) is loaded as that key;
    no secret at all, or a PEM that is not a key, is an AuthenticationError."""
    key = ed25519.Ed25519PrivateKey.generate()
    assert signer_for(secret=pem(key)).kind == "ed25519"
    with pytest.raises(AuthenticationError):
        signer_for()
    with pytest.raises(AuthenticationError):
        load_private_key("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----")


def test_rest_params_append_recv_window_then_timestamp_in_order() -> None:
    """Signed REST params keep the caller's order and end with recvWindow and timestamp."""
    out = rest_params({"b": 1, "a": None, "c": True}, timestamp=9, recv_window=None)
    assert list(out.items()) == [("b", 1), ("c", True), ("timestamp", 9)]
    out = rest_params({"recvWindow": 100, "timestamp": 1}, timestamp=9, recv_window=5000)
    assert out == {"recvWindow": 100, "timestamp": 9}


def test_estimate_offset_takes_the_round_trip_midpoint() -> None:
    """The server read its clock halfway between our send and receive."""
    assert estimate_offset(1000.0, 5000, 1010.0) == 3995
    assert estimate_offset(1000.0, 900, 1000.0) == -100


_values = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.booleans(),
    st.decimals(allow_nan=False, allow_infinity=False, places=4).map(str),
)
_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ", min_size=1, max_size=10).filter(
    lambda n: n not in ("signature", "apiKey", "timestamp", "recvWindow")
)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(_names, _values, max_size=6))
def test_ws_signatures_verify_at_the_emulator(params: dict[str, Any]) -> None:
    """Any WS API params we sign verify with the emulator's independent reader and verifier
    (it rebuilds the payload from the frame's own text)."""
    signed = sign_ws_params(
        params,
        timestamp=1_700_000_000_000,
        recv_window=5000,
        api_key="k",
        signer=hmac_signer("s3cret"),
    )
    frame = orjson.dumps({"id": "1", "method": "x", "params": signed}).decode()
    key = ApiKey("k", KeyType.HMAC, 1, frozenset(), _secret=b"s3cret")
    texts = ws_param_texts(frame)
    assert any(key.verify(p, texts["signature"]) for p in ws_payloads(texts))


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(_names, _values, max_size=6), st.booleans())
def test_rest_signatures_cover_exactly_what_is_sent(params: dict[str, Any], form: bool) -> None:
    """For any params, the signature covers the query or body exactly as sent (what the
    server reads back before the ``signature`` pair)."""
    signer = hmac_signer("s3cret")
    req = build_request(
        "POST",
        "https://api.binance.com/api/v3/order",
        rest_params(params, timestamp=1, recv_window=None),
        form=form,
        signer=signer,
    )
    sent = (req.body or b"").decode() if form else req.url.split("?", 1)[1]
    payload, _, sig = sent.rpartition("&signature=")
    assert signer(payload) == sig
    read = dict(parse_qsl(payload, keep_blank_values=True))
    assert read["timestamp"] == "1"
    assert quote(sig, safe="") == sig  # hex needs no escaping
