"""Credentials: config keys, PEM text or path, environment families, CCXT's required
credentials, per-call overrides, and secrets that never show."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

import client
from client import Credentials, required_credentials
from client.errors import AuthenticationError, NotSupported

SECRET = "hmacSecretValue0123456789"


def ed_pem() -> str:
    """A fresh Ed25519 private key as PKCS#8 PEM."""
    return (
        ed25519.Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def test_required_credentials_in_ccxt_shape() -> None:
    """binance needs apiKey and secret, nothing else; other exchanges are not spoken to."""
    req = required_credentials("binance")
    assert req["apiKey"] is True and req["secret"] is True and req["password"] is False
    assert set(req) >= {"uid", "login", "twofa", "privateKey", "walletAddress", "token"}
    assert client.required_credentials("Binance") == req
    with pytest.raises(NotSupported):
        required_credentials("kraken")


def test_config_spellings_and_pem_path(tmp_path: Path) -> None:
    """apiKey/api_key, secret/api_secret and privateKey/private_key (text or a file path) are
    all read; a private key makes an Ed25519 signer that may log on."""
    assert Credentials.from_config({"apiKey": "k", "secret": SECRET}) == Credentials("k", SECRET)
    assert Credentials.from_config({"api_key": "k", "api_secret": SECRET}).secret == SECRET
    text = ed_pem()
    path = tmp_path / "key.pem"
    path.write_text(text)
    by_path = Credentials.from_config({"api_key": "k", "private_key": str(path)})
    by_text = Credentials.from_config({"apiKey": "k", "privateKey": text})
    assert by_path.private_key == by_text.private_key == text
    assert by_path.key_type == "ed25519" and by_path.signer.can_logon
    with pytest.raises(AuthenticationError, match="neither PEM text nor a readable file"):
        Credentials.from_config({"apiKey": "k", "privateKey": str(tmp_path / "missing.pem")})


def test_env_families_only_for_their_own_environment() -> None:
    """BINANCE_PROD_/TESTNET_/DEMO_ serve their environment only; the generic pair only the
    environment BINANCE_ENV names."""
    env = {
        "BINANCE_PROD_API_KEY": "pk",
        "BINANCE_PROD_API_SECRET": "ps",
        "BINANCE_TESTNET_API_KEY": "tk",
        "BINANCE_TESTNET_API_SECRET": "ts",
        "BINANCE_API_KEY": "gk",
        "BINANCE_API_SECRET": "gs",
        "BINANCE_ENV": "demo",
    }
    assert Credentials.from_env("prod", env) == Credentials("pk", "ps")
    assert Credentials.from_env("sandbox", env) == Credentials("tk", "ts")
    assert Credentials.from_env("demo", env) == Credentials("gk", "gs")
    assert Credentials.from_env("demo", {**env, "BINANCE_DEMO_API_KEY": "dk"}).api_key == "dk"
    assert Credentials.from_env("prod", {"BINANCE_API_KEY": "gk", "BINANCE_ENV": "testnet"}) == (
        Credentials()
    )
    assert not Credentials.from_env("testnet", {}).complete


def test_binance_reads_its_environment_family(monkeypatch: pytest.MonkeyPatch) -> None:
    """A client without credentials in its config takes its environment's family; the
    config wins when it has a key; a local client never reads the environment."""
    monkeypatch.setenv("BINANCE_TESTNET_API_KEY", "tk")
    monkeypatch.setenv("BINANCE_TESTNET_API_SECRET", "ts")
    monkeypatch.setenv("BINANCE_PRO_ENV", "testnet")
    assert client.Binance().credentials == Credentials("tk", "ts")
    assert client.Binance({"apiKey": "mine", "secret": "s"}).credentials.api_key == "mine"
    assert client.Binance({"binanceEnv": "prod"}).credentials.api_key is None
    local = client.Binance(binance_env="local", base_url="http://127.0.0.1:1")
    assert local.credentials.api_key is None


def test_per_call_override() -> None:
    """A per-call api_key/api_secret replaces the instance's (a secret replaces a key too)."""
    base = Credentials("k", None, ed_pem())
    assert base.override() is base
    assert base.override(api_key="k2").private_key == base.private_key
    swapped = base.override(api_secret=SECRET)
    assert (swapped.api_key, swapped.secret, swapped.private_key) == ("k", SECRET, None)
    assert swapped.key_type == "hmac"


def test_missing_parts_are_named_like_ccxt() -> None:
    """A call without a key or secret fails with CCXT's 'requires "apiKey" credential'."""
    with pytest.raises(AuthenticationError, match='requires "apiKey" credential'):
        Credentials().require()
    with pytest.raises(AuthenticationError, match='requires "secret" credential'):
        Credentials("k").require()
    ex = client.Binance({"apiKey": "k"}, binance_env="local", base_url="http://127.0.0.1:1")
    with pytest.raises(AuthenticationError):
        ex.check_required_credentials()


def test_secrets_never_show(caplog: pytest.LogCaptureFixture) -> None:
    """Neither reprs, str(), nor the debug logger show a secret, a private key or an API key."""
    text = ed_pem()
    creds = Credentials("KEY123456", SECRET, text, "pw")
    ex = client.Binance(
        {"apiKey": "KEY123456", "secret": SECRET}, binance_env="local", base_url="http://x:1"
    )
    shown = " ".join([repr(creds), str(creds), repr(ex), repr(creds.signer)])
    for secret in ("KEY123456", SECRET, "pw", text[30:60]):
        assert secret not in shown
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("client").debug("%r %s", creds, ex)
    assert SECRET not in caplog.text and "KEY123456" not in caplog.text
    assert client.redact('{"privateKey":"abc","password":"pw"}') == (
        '{"privateKey":"***","password":"***"}'
    )
