"""The recorder: watch channels of symbols and write their rows to a store in batches.

One task per (channel, symbol) repeats the channel's watch and queues the rows; one writer
task takes rows off the queue and writes them in batches (in a worker thread, one batch at a
time, so the event loop keeps reading the sockets), one transaction each, when
``batch_size`` rows are waiting or ``flush_interval`` seconds after the first one arrived.
A watch that fails with a retryable error (:func:`~client.protocol.backoff.is_retryable`) is
repeated after a backoff (at once after a :class:`~client.errors.RequestTimeout`: a quiet
stream is not an error); any other error stops the run. Stopping (an event, ``max_rows``, or
cancellation) cancels the watches, writes every row already received, and ends the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import RequestTimeout
from ..protocol.backoff import backoff, is_retryable, least_delay
from .channels import RecordChannel, RecordOptions
from .rows import Row
from .sqlite import Run, SQLiteStore, WriteResult

if TYPE_CHECKING:
    from ..exchange import Binance

__all__ = ["Progress", "Recorder", "RecorderError"]


class RecorderError(Exception):
    """A watch or the writer failed with an error that retrying cannot cure."""


@dataclass
class Progress:
    """Counters of a run, passed to ``on_progress`` after each batch and returned at the end.

    Attributes:
        run_id: the store's run id; source: the ``source`` of its rows.
        received: rows the watches returned; written: rows written per table (inserted or,
            for replacing tables, updated); ignored: duplicates per table; batches: batches
            written; retries: watches repeated after a retryable error; last_error: the latest
            such error (or the fatal one); elapsed: seconds since the run started.
    """

    run_id: int = 0
    source: str = ""
    received: int = 0
    written: dict[str, int] = field(default_factory=dict)
    ignored: dict[str, int] = field(default_factory=dict)
    batches: int = 0
    retries: int = 0
    last_error: str | None = None
    elapsed: float = 0.0

    @property
    def total_written(self) -> int:
        """Return the rows written to every table."""
        return sum(self.written.values())

    def line(self) -> str:
        """Return a one-line progress report."""
        tables = " ".join(f"{k}={v}" for k, v in sorted(self.written.items()))
        dup = sum(self.ignored.values())
        rate = self.total_written / self.elapsed if self.elapsed > 0 else 0.0
        return (
            f"run {self.run_id}: {self.total_written} rows ({tables or 'none yet'}), "
            f"{dup} duplicates, {self.batches} batches, {rate:.1f} rows/s, "
            f"{self.retries} retries, {self.elapsed:.1f}s"
        )


_STOP = object()  # queued after the watches stopped: write what is left, then return


class Recorder:
    """Record ``channels`` of ``symbols`` from ``exchange`` into ``store``.

    Args:
        exchange: the client to watch with.
        store: where rows go.
        channels: what to record (see :func:`~client.persistence.channels.resolve_channels`).
        symbols: the symbols; a channel skips symbols it does not accept.
        env: the environment recorded in the store's ``runs`` table.
        options: channel settings (book depth, timeframe).
        batch_size: rows per transaction at most.
        flush_interval: seconds a received row waits at most before its batch is written.
        on_progress: called with the counters after each batch.
        on_watch: called with ``(channel, symbol, result)`` for each watch result, before its
            rows are queued (a tap for tests and monitors).

    Raises:
        ValueError: no (channel, symbol) pair to record.
    """

    def __init__(
        self,
        exchange: Binance,
        store: SQLiteStore,
        channels: Sequence[RecordChannel],
        symbols: Sequence[str],
        *,
        env: str,
        options: RecordOptions | None = None,
        batch_size: int = 500,
        flush_interval: float = 1.0,
        on_progress: Callable[[Progress], None] | None = None,
        on_watch: Callable[[str, str | None, Any], None] | None = None,
        backoff_initial: float = 0.1,
        backoff_cap: float = 10.0,
    ) -> None:
        self.exchange = exchange
        self.store = store
        self.channels = list(channels)
        self.symbols = list(symbols)
        self.env = env
        self.options = options or RecordOptions()
        self.batch_size = max(1, batch_size)
        self.flush_interval = flush_interval
        self.on_progress = on_progress
        self.on_watch = on_watch
        self._backoff = (backoff_initial, backoff_cap)
        self.pairs = [
            (ch, s)
            for ch in self.channels
            for s in (self.symbols if ch.per_symbol else [None])
            if s is None or ch.accepts(s)
        ]
        if not self.pairs:
            raise ValueError("nothing to record: no channel accepts any of the symbols")
        self.skipped = [
            (ch.name, s)
            for ch in self.channels
            if ch.per_symbol
            for s in symbols
            if not ch.accepts(s)
        ]
        self.progress = Progress()
        self._queue: asyncio.Queue[Any] = asyncio.Queue()  # (table, rows) or _STOP
        self._stop = asyncio.Event()
        self._max_rows: int | None = None
        self._started = 0.0

    def stop(self) -> None:
        """Ask a running :meth:`run` to finish (it writes what was received, then returns)."""
        self._stop.set()

    async def run(self, *, max_rows: int | None = None) -> Progress:
        """Record until :meth:`stop`, ``max_rows`` rows received, or cancellation.

        Returns:
            The final counters (also when stopped by cancellation, which is then re-raised).

        Raises:
            RecorderError: a watch failed with a non-retryable error, or the writer failed;
                the rows received before it are written first.
        """
        self._max_rows = max_rows
        self._started = time.monotonic()
        run = self.store.start_run(
            self.env,
            symbols=self.symbols,
            channels=[c.name for c in self.channels],
        )
        self.progress.run_id, self.progress.source = run.run_id, run.source
        writer = asyncio.create_task(self._writer(run), name="recorder.writer")
        watchers = [
            asyncio.create_task(self._watch_loop(ch, s), name=f"recorder.{ch.name}.{s}")
            for ch, s in self.pairs
        ]
        stopped = asyncio.create_task(self._stop.wait(), name="recorder.stop")
        fatal: BaseException | None = None
        try:
            done, _ = await asyncio.wait(
                [stopped, writer, *watchers], return_when=asyncio.FIRST_COMPLETED
            )
            for task in done:
                if task is not stopped and not task.cancelled() and task.exception() is not None:
                    fatal = task.exception()
                    break
        finally:
            for task in (stopped, *watchers):
                task.cancel()
            await asyncio.gather(stopped, *watchers, return_exceptions=True)
            if not writer.done():
                self._queue.put_nowait(_STOP)
            with contextlib.suppress(Exception):
                await asyncio.shield(writer)
            if fatal is None and writer.done() and not writer.cancelled():
                fatal = writer.exception()
            self.progress.elapsed = time.monotonic() - self._started
            self.store.end_run(run, self.progress.total_written)
        if fatal is not None:
            self.progress.last_error = _describe(fatal)
            raise RecorderError(self.progress.last_error) from fatal
        return self.progress

    async def _watch_loop(self, ch: RecordChannel, symbol: str | None) -> None:
        delays: Iterator[float] | None = None
        while True:
            try:
                result = await ch.watch(self.exchange, symbol, self.options)
            except RequestTimeout:
                continue  # no update within the timeout: the stream is quiet, watch again
            except Exception as exc:
                if not is_retryable(exc):
                    raise
                self.progress.retries += 1
                self.progress.last_error = _describe(exc)
                delays = delays or backoff(*self._backoff)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), max(next(delays), least_delay(exc)))
                continue
            delays = None
            if self.on_watch is not None:
                self.on_watch(ch.name, symbol, result)
            rows = ch.to_rows(result, symbol, self.options)
            if not rows:
                continue
            self._queue.put_nowait((ch.table, rows))
            self.progress.received += len(rows)
            if self._max_rows is not None and self.progress.received >= self._max_rows:
                self._stop.set()

    async def _writer(self, run: Run) -> None:
        loop = asyncio.get_running_loop()
        pending: dict[str, list[Row]] = {}
        waiting = 0
        deadline: float | None = None
        while True:
            timeout = None if deadline is None else max(0.0, deadline - loop.time())
            try:
                item = await asyncio.wait_for(self._queue.get(), timeout)
            except TimeoutError:
                item = None
            finish = item is _STOP
            if item is not None and not finish:
                table, rows = item
                pending.setdefault(table, []).extend(rows)
                waiting += len(rows)
                if deadline is None:
                    deadline = loop.time() + self.flush_interval
            if finish:  # take whatever the watches queued before they were cancelled
                while not self._queue.empty():
                    more = self._queue.get_nowait()
                    if more is not _STOP:
                        pending.setdefault(more[0], []).extend(more[1])
                        waiting += len(more[1])
            due = deadline is not None and loop.time() >= deadline
            if waiting and (finish or due or waiting >= self.batch_size):
                result = await asyncio.to_thread(self.store.write, run, pending)
                self._count(result)
                pending, waiting, deadline = {}, 0, None
            if finish:
                return

    def _count(self, result: WriteResult) -> None:
        p = self.progress
        for name, n in result.written.items():
            p.written[name] = p.written.get(name, 0) + n
        for name, n in result.ignored.items():
            p.ignored[name] = p.ignored.get(name, 0) + n
        p.batches += 1
        p.elapsed = time.monotonic() - self._started
        if self.on_progress is not None:
            self.on_progress(p)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
