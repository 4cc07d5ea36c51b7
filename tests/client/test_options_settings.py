"""Connection options flow from the constructor and each call into the connection settings."""

from __future__ import annotations

import client


def test_connection_options_reach_settings() -> None:
    """maxSize/keepAlive (camelCase or snake_case) set the socket limits, per call too."""
    ex = client.Binance(binance_env="prod", options={"maxSize": 4096, "keepAlive": 1500})
    settings = ex._settings(ex._opts(None))
    assert settings.max_size == 4096 and settings.keepalive == 1.5
    per_call = ex._settings(ex._opts({"max_size": 8192}))
    assert per_call.max_size == 8192
    assert ex._settings(client.Binance(binance_env="prod")._opts(None)).max_size == 16 * 1024 * 1024


def test_backoff_reset_reaches_settings() -> None:
    """backoffReset (ms, camelCase or snake_case) sets how long a connection must stay up
    before the backoff starts over; 15 s by default."""
    plain = client.Binance(binance_env="prod")
    assert plain._settings(plain._opts(None)).backoff_reset == 15
    ex = client.Binance(binance_env="prod", options={"backoffReset": 2500})
    assert ex._settings(ex._opts(None)).backoff_reset == 2.5
    assert ex._settings(ex._opts({"backoff_reset": 100})).backoff_reset == 0.1
