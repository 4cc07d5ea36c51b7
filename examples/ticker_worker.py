"""A long-lived owner of the latest ticker: ``stream_ticker`` in a supervised task.

Run it (the embedded emulator by default; live with ``BINANCE_PRO_ENV=prod|testnet|demo``)::

    python examples/ticker_worker.py
    CCXT_PRO_WORKER_SECONDS=10 CCXT_PRO_WORKER_SYMBOL=ETH/USDT python examples/ticker_worker.py
    BINANCE_PRO_ENV=testnet python examples/ticker_worker.py

``CCXT_PRO_WORKER_SECONDS`` (default 10) bounds the run; Ctrl-C stops it earlier. Business code
reads :attr:`TickerWorker.latest` whenever it wants the freshest ticker and never blocks on the
stream: the stream is consumed by a :class:`~_worker.Supervised` task that restarts it with
backoff after an error (closing the connection first, so the next attempt dials afresh) and, on
stop, cancels the task, closes the connection and keeps the last error.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

_CHECKOUT = Path(__file__).resolve().parents[1]
if (_CHECKOUT / "client" / "__init__.py").exists():  # a checkout: use the packages beside us
    sys.path.insert(0, str(_CHECKOUT))

from _worker import Supervised  # noqa: E402

from client import Binance, Ticker  # noqa: E402
from client.embedded import open_exchange  # noqa: E402

__all__ = ["TickerWorker", "main"]


class TickerWorker:
    """Own the latest ticker of ``symbol``.

    Args:
        exchange: the client; give the worker a client of its own: on a restart and on stop
            the worker closes every connection of that client (not the client itself).
        symbol: the CCXT symbol.
        params: call options for ``stream_ticker`` (``timeout``, ``type``...).
        backoff_initial / backoff_cap: restart waits, seconds.
        on_ticker: called with each ticker.
    """

    def __init__(
        self,
        exchange: Binance,
        symbol: str,
        *,
        params: Mapping[str, Any] | None = None,
        backoff_initial: float = 0.5,
        backoff_cap: float = 30.0,
        on_ticker: Any = None,
    ) -> None:
        self.exchange = exchange
        self.symbol = symbol
        self.owner: Supervised[Ticker] = Supervised(
            f"ticker {symbol}",
            lambda: exchange.stream_ticker(symbol, params),
            on_value=on_ticker,
            reset=self._close_connections,
            close=self._close_connections,
            backoff_initial=backoff_initial,
            backoff_cap=backoff_cap,
        )

    async def _close_connections(self, *_: object) -> None:
        """Close the client's connections (``close_connection``), as the seed's worker does on
        stop and before a restart, so the next attempt dials afresh."""
        for url in self.exchange.connections():
            with contextlib.suppress(Exception):
                await self.exchange.close_connection(url)

    @property
    def latest(self) -> Ticker | None:
        """Return the latest ticker (None before the first)."""
        return self.owner.latest

    def start(self) -> None:
        """Start consuming."""
        self.owner.start()

    async def stop(self) -> None:
        """Cancel the stream task and close the connection; :attr:`owner` keeps the counters
        and the last error."""
        await self.owner.stop()

    async def __aenter__(self) -> TickerWorker:
        self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


def _seconds(environ: Mapping[str, str]) -> float:
    raw = environ.get("CCXT_PRO_WORKER_SECONDS", "10")
    try:
        return max(0.0, float(raw))
    except ValueError:
        raise SystemExit(f"error: CCXT_PRO_WORKER_SECONDS must be a number, not {raw!r}") from None


async def run(environ: Mapping[str, str]) -> int:
    """Run the worker for ``CCXT_PRO_WORKER_SECONDS``; return the exit status."""
    seconds = _seconds(environ)
    symbol = environ.get("CCXT_PRO_WORKER_SYMBOL", "BTC/USDT")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)

    def show(t: Ticker) -> None:
        print(f"{t['symbol']} last={t['last']} bid={t['bid']} ask={t['ask']} ts={t['timestamp']}")

    async with open_exchange() as opened:
        print(f"ticker worker: {symbol} from {opened.where} for {seconds:g}s", flush=True)
        worker = TickerWorker(opened.exchange, symbol, on_ticker=show)
        async with worker:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), seconds)
        owner = worker.owner
        error = (
            f"{type(owner.last_error).__name__}: {owner.last_error}" if owner.last_error else "none"
        )
        print(
            f"ticker worker stopped ({owner.state}): {owner.updates} updates, "
            f"{owner.restarts} restarts, last error: {error}, "
            f"connections left open: {len(opened.exchange.connections())}"
        )
        return 0 if owner.updates > 0 and owner.state == "stopped" else 1


def main() -> int:
    """Entry point."""
    return asyncio.run(run(os.environ))


if __name__ == "__main__":
    sys.exit(main())
