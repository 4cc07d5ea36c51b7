"""``python -m mock_exchange serve`` as a real process."""

from __future__ import annotations

import asyncio
import signal
import sys
import urllib.request

import pytest


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
async def test_serve_prints_url_and_stops_on_signal(sig: signal.Signals) -> None:
    """serve prints its base URL and the URL rule, answers requests, and exits 0 on a signal."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mock_exchange",
        "serve",
        "--port",
        "0",
        "--rate",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    first = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
    rule = (await asyncio.wait_for(proc.stdout.readline(), 5)).decode()
    assert first.startswith("mock_exchange listening on http://127.0.0.1:")
    assert "https://HOST/PATH" in rule
    base = first.split()[-1]
    body = await asyncio.to_thread(
        lambda: urllib.request.urlopen(f"{base}/api.binance.com/api/v3/ping", timeout=5).read()
    )
    assert body == b"{}"
    proc.send_signal(sig)
    assert await asyncio.wait_for(proc.wait(), 15) == 0
    rest = (await proc.stdout.read()).decode()
    assert "shutting down" in rest


def test_help_lists_options(capsys: pytest.CaptureFixture[str]) -> None:
    """--help documents every serve option."""
    from mock_exchange.__main__ import main

    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out
    for option in ("--host", "--port", "--seed", "--rate", "--frozen-clock"):
        assert option in out
