"""Error mapping, environments and the wire tap's redaction."""

from __future__ import annotations

import pytest

from client.environments import endpoints_for, normalise_env, rewrite_url
from client.errors import (
    AuthenticationError,
    BadRequest,
    BadSymbol,
    DDoSProtection,
    ExchangeError,
    ExchangeNotAvailable,
    InsufficientFunds,
    InvalidOrder,
    PermissionDenied,
    RateLimitExceeded,
    error_from_binance,
)
from client.telemetry import Telemetry, WireEvent, redact


@pytest.mark.parametrize(
    ("code", "msg", "status", "cls"),
    [
        (-1121, "Invalid symbol.", 400, BadSymbol),
        (-2015, "Invalid API-key, IP, or permissions for action.", 401, PermissionDenied),
        (-1022, "Signature for this request is not valid.", 400, AuthenticationError),
        (-1013, "Filter failure: LOT_SIZE", 400, InvalidOrder),
        (-2010, "Account has insufficient balance for requested action.", 400, InsufficientFunds),
        (-1003, "Too much request weight used", 429, RateLimitExceeded),
        (-1003, "Way too much request weight used", 418, DDoSProtection),
        (2, "Invalid request: invalid stream", None, BadRequest),
        (None, "oops", 503, ExchangeNotAvailable),
        (-9999, "new", 400, ExchangeError),
    ],
)
def test_error_table(code: int | None, msg: str, status: int | None, cls: type) -> None:
    """Binance codes, statuses and messages map to the documented classes."""
    err = error_from_binance(code, msg, status=status)
    assert type(err) is cls
    assert msg in str(err)


def test_environments() -> None:
    """sandbox is testnet; local rewrites prod URLs by the URL rule; bad names are refused."""
    assert normalise_env("sandbox") == "testnet"
    assert endpoints_for("testnet").spot_rest == "https://testnet.binance.vision"
    local = endpoints_for("local", "http://127.0.0.1:9999")
    assert local.spot_streams == "ws://127.0.0.1:9999/stream.binance.com:9443"
    assert local.spot_rest == "http://127.0.0.1:9999/api.binance.com"
    assert rewrite_url("http://x/y", "http://127.0.0.1:1") == "http://x/y"
    assert rewrite_url("https://a.b/c?d=1", "http://127.0.0.1:1") == "http://127.0.0.1:1/a.b/c?d=1"
    with pytest.raises(ValueError, match="unknown binance_env"):
        normalise_env("mainnet")
    with pytest.raises(ValueError, match="needs base_url"):
        endpoints_for("local")


def test_redact() -> None:
    """API keys, signatures and listen keys never leave the tap in clear."""
    text = '{"apiKey":"K123","signature":"abc","x":1} listenKey=LK9&timestamp=1'
    out = redact(text)
    assert "K123" not in out and "abc" not in out and "LK9" not in out
    assert '"x":1' in out and "timestamp=1" in out


def test_telemetry_listener_errors_are_contained() -> None:
    """A failing listener does not stop the others."""
    t = Telemetry()
    got: list[WireEvent] = []

    def bad(event: WireEvent) -> None:
        raise RuntimeError("boom")

    t.add(bad)
    t.add(got.append)
    t.emit("send", "ws://x", '{"signature":"s"}', request_id=1)
    assert got[0].text == '{"signature":"***"}' and got[0].detail == {"request_id": 1}
    t.remove(bad)
    t.remove(bad)
    assert t.active
