"""Run ``python -m mock_exchange serve`` as a real process for a test."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import AsyncIterator


@contextlib.asynccontextmanager
async def serve(*args: str, lines: int = 1) -> AsyncIterator[list[str]]:
    """Start ``serve ARGS``; yield its first ``lines`` output lines; stop it with SIGTERM.

    The first line ends with the base URL. The process must exit 0.
    """
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mock_exchange", "serve", *args, stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    try:
        out = [(await asyncio.wait_for(proc.stdout.readline(), 30)).decode() for _ in range(lines)]
        yield out
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 15) == 0
