"""``python -m mock_exchange serve``: one-line errors and warnings instead of tracebacks."""

from __future__ import annotations

import asyncio
import signal
import sys

import pytest


async def serve_proc(*args: str) -> asyncio.subprocess.Process:
    """Start ``python -m mock_exchange serve ARGS`` with both outputs piped."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mock_exchange",
        "serve",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
async def test_serve_warns_when_bound_beyond_loopback(host: str) -> None:
    """Binding every interface prints one warning naming the control API, then serves."""
    proc = await serve_proc("--host", host, "--port", "0", "--rate", "0", "--no-demo-account")
    assert proc.stdout is not None and proc.stderr is not None
    try:
        listening = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        assert listening.startswith("mock_exchange listening on")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 15) == 0
    err = (await proc.stderr.read()).decode()
    assert f"warning: --host {host} makes the emulator and its control API" in err
    assert "Traceback" not in err


async def test_serve_on_loopback_does_not_warn() -> None:
    """The default bind (127.0.0.1) prints no warning."""
    proc = await serve_proc("--port", "0", "--rate", "0", "--no-demo-account")
    assert proc.stdout is not None and proc.stderr is not None
    try:
        await asyncio.wait_for(proc.stdout.readline(), 30)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 15) == 0
    assert (await proc.stderr.read()).decode() == ""
