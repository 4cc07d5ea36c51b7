"""The emulator for the order benchmark, in its own process (not a benchmark itself).

Registers the benchmark's accounts (``--accounts`` JSON: the ``POST /_mock/accounts`` bodies)
and lifts their ``ORDERS`` limit: Binance (and the emulator) refuse more than 100 unfilled
orders per 10 s, and the benchmark places thousands. Weight limits are off too
(``rate_limits=False``). Prints ``listening <port>`` and serves until stdin closes::

    python -m benchmarks.order_server --accounts '[{"apiKey": ..., "secret": ...}]'
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import orjson

from mock_exchange import MockExchange, ServerConfig


async def main(accounts: list[dict[str, object]]) -> None:
    """Serve until stdin is closed (the benchmark's end)."""
    config = ServerConfig(seed=1, rate=0, rate_limits=False)
    async with MockExchange(config=config) as mx:
        for spec in accounts:
            mx.add_account(spec)
            mx.accounts.of_key(str(spec["apiKey"])).orders.limits = ()
        print(f"listening {mx.port}", flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--accounts", required=True, help="JSON list of POST /_mock/accounts bodies")
    asyncio.run(main(orjson.loads(p.parse_args().accounts)))
