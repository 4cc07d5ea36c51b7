"""What the fuzz modules share: an emulator on its own thread, plain HTTP calls, the settings.

The emulator runs in a thread with its own event loop so that Hypothesis drives it through
plain synchronous clients (urllib for REST and control, ``websockets.sync`` for the sockets).
``FUZZ_EXAMPLES`` (``tox -e fuzz`` sets it) raises every fuzz test's example count; the
default suite runs the short counts each module names.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, settings

from mock_exchange import MockExchange, ServerConfig
from mock_exchange.routing import REST_ROUTES

PATHS = [*sorted({path for _s, _m, path in REST_ROUTES}), "/api/v3/order", "/api/v3/x"]
PARAM_NAMES = [
    "symbol",
    "symbols",
    "limit",
    "interval",
    "fromId",
    "startTime",
    "endTime",
    "windowSize",
    "type",
    "timeZone",
    "permissions",
]


def fuzz_settings(examples: int) -> settings:
    """Hypothesis settings: ``examples`` by default, ``$FUZZ_EXAMPLES`` when set."""
    return settings(
        max_examples=int(os.environ.get("FUZZ_EXAMPLES", examples)),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@contextlib.contextmanager
def threaded_emulator(config: ServerConfig) -> Iterator[str]:
    """Run an emulator with ``config`` on its own thread and loop; yield its base URL."""
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def main() -> None:
        stop = asyncio.Event()
        holder["stop"] = stop
        holder["loop"] = asyncio.get_running_loop()
        async with MockExchange(config=config) as mx:
            holder["url"] = mx.base_url
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    thread.start()
    assert ready.wait(30)
    try:
        yield holder["url"]
    finally:
        holder["loop"].call_soon_threadsafe(holder["stop"].set)
        thread.join(10)


def http_call(
    url: str, method: str = "GET", body: bytes | None = None
) -> tuple[int, Any, dict[str, str]]:
    """Send one request; return (status, body, headers): the JSON body, or the raw bytes of
    an answer that is not JSON (the 410 page of a retired endpoint)."""
    req = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:  # a loaded 2-core CI box
            status, raw, headers = r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as err:
        status, raw, headers = err.code, err.read(), dict(err.headers)
    if headers.get("Content-Type", "").startswith("application/json"):
        return status, json.loads(raw), headers
    return status, raw, headers


def http_get(url: str) -> tuple[int, Any]:
    """GET ``url``; return (status, JSON body)."""
    status, body, _headers = http_call(url)
    return status, body
