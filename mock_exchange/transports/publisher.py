"""Turn engine events and clock ticks into market-stream frames for every subscriber.

Real-time streams (trade, aggTrade, bookTicker, forceOrder) are published from the engine's
events as they happen. Periodic streams (depth, tickers, klines, avgPrice, markPrice) are
published when the clock crosses a multiple of their period. Each event is serialised once,
framed once per envelope (raw, or combined under each stream name that carries it; times in
milliseconds or microseconds), and the same frame bytes go to every connection carrying the
stream (:meth:`Publisher.deliver`). Who carries a stream is looked up in an index rebuilt only
when a connection opens, closes or changes its subscriptions; nothing is built for an event
nobody subscribed to.

Diff depth: every engine depth change is merged into one pending update per (venue, symbol,
period); a flush publishes it with ``U``/``u`` covering exactly the ids merged, so consecutive
events satisfy ``U == prev.u + 1`` (and ``pu == prev.u`` on futures), and the ids are the same
counter as REST depth ``lastUpdateId`` and bookTicker ``u``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

import orjson

from ..engine.core import AggTrade, DepthUpdate, EngineEvent, Liquidation
from ..engine.exchange import VENUES, Exchange
from ..engine.markets import Market, MarketKind
from ..engine.tape import Trade, interval_start
from . import derivatives_payloads as fpl
from . import payloads as pl
from .frames import text_frame
from .stream_names import StreamKey, stream_period
from .stream_session import StreamSession
from .time_unit import to_micros
from .venues import VENUE_SPECS

__all__ = ["Publisher", "Subscriber"]

_TICK_PERIODS = (100, 250, 500, 1000, 2000, 3000)
_OFFSET_08 = 8 * 3_600_000


class Subscriber(Protocol):
    """What the publisher needs from a stream connection."""

    venue: MarketKind
    session: StreamSession

    def carries(self, key: StreamKey) -> bool:
        """Return True when this connection's entry point delivers ``key``."""
        ...

    def send_frame(
        self, frame: bytes, stream: str | None = None, symbol: str | None = None
    ) -> None:
        """Queue a built data frame of ``stream`` (about ``symbol``)."""
        ...


Targets = list[tuple[Subscriber, list[str]]]


class Publisher:
    """Fan-out of market data from one :class:`Exchange` to the connected subscribers."""

    def __init__(
        self,
        exchange: Exchange,
        subscribers: Callable[[], Iterable[Subscriber]],
        generation: Callable[[], int] | None = None,
    ) -> None:
        """Publish ``exchange``'s market data to ``subscribers()``.

        Args:
            generation: a number that changes whenever a subscriber comes, goes or changes its
                subscriptions; the subscribers of each stream are looked up once per value.
                None: looked up for every event.
        """
        self.exchange = exchange
        self.subscribers = subscribers
        self.generation = generation
        self._index: dict[tuple[MarketKind, StreamKey], Targets] = {}
        self._index_of: int | None = None
        self.pending: dict[tuple[MarketKind, str, int], DepthUpdate] = {}
        self.last_u: dict[tuple[MarketKind, str, int], int] = {}
        self.best: dict[tuple[MarketKind, str], tuple[Any, Any]] = {}
        self.kline_open: dict[tuple[MarketKind, StreamKey], int] = {}
        self.arr_seen: dict[tuple[MarketKind, StreamKey], dict[str, int]] = {}
        self.liquidations: dict[tuple[MarketKind, str], dict[str, Any]] = {}
        self.frames_sent = 0

    def reset(self, exchange: Exchange) -> None:
        """Follow a rebuilt exchange (control reset)."""
        self.exchange = exchange
        self._index.clear()
        self._index_of = None
        self.pending.clear()
        self.last_u.clear()
        self.best.clear()
        self.kline_open.clear()
        self.arr_seen.clear()
        self.liquidations.clear()

    # -- fan-out ---------------------------------------------------------------------------

    def _targets(self, venue: MarketKind, key: StreamKey) -> Targets:
        """Return the connections of ``venue`` carrying ``key``, each with its stream names."""
        gen = None if self.generation is None else self.generation()
        if gen is None or gen != self._index_of:
            self._index.clear()
            self._index_of = gen
        elif (found := self._index.get((venue, key))) is not None:
            return found
        out: Targets = []
        for sub in self.subscribers():
            if sub.venue != venue:
                continue
            names = sub.session.names_for(key)
            if names and sub.carries(key):
                out.append((sub, names))
        if gen is not None:
            self._index[(venue, key)] = out
        return out

    def wants(self, venue: MarketKind, key: StreamKey) -> bool:
        """Return True when some connection of ``venue`` carries ``key``."""
        return bool(self._targets(venue, key))

    def deliver(self, venue: MarketKind, key: StreamKey, data: Any) -> int:
        """Send ``data`` to every connection subscribed to ``key``; return frames sent.

        The payload is serialised once (once more in microseconds if a connection asked for
        them) and each distinct frame (raw, or combined under one stream name) is built once.
        """
        targets = self._targets(venue, key)
        if not targets:
            return 0
        bodies: dict[bool, bytes] = {}
        frames: dict[tuple[bool, str | None], bytes] = {}
        symbol = key.symbol
        sent = 0
        for sub, names in targets:
            session = sub.session
            micros, combined = session.micros, session.combined
            for name in names:
                fkey = (micros, name if combined else None)
                frame = frames.get(fkey)
                if frame is None:
                    body = bodies.get(micros)
                    if body is None:
                        body = bodies[micros] = orjson.dumps(to_micros(data) if micros else data)
                    if combined:
                        body = b'{"stream":' + orjson.dumps(name) + b',"data":' + body + b"}"
                    frame = frames[fkey] = text_frame(body)
                sub.send_frame(frame, name, symbol)
                sent += 1
        self.frames_sent += sent
        return sent

    def active_keys(self, venue: MarketKind) -> set[StreamKey]:
        """Return every stream key some connection of ``venue`` is subscribed to."""
        keys: set[StreamKey] = set()
        for sub in self.subscribers():
            if sub.venue == venue:
                keys |= sub.session.stream_keys()
        return keys

    # -- real-time -------------------------------------------------------------------------

    def on_events(self, venue: MarketKind, events: list[EngineEvent], now: int) -> None:
        """Publish the real-time streams for engine ``events`` and merge depth changes."""
        if not events:
            return
        engine = self.exchange.engine(venue)
        style = VENUE_SPECS[venue].payloads
        touched: set[str] = set()
        for ev in events:
            if isinstance(ev, Trade):
                key = StreamKey(ev.symbol, "trade")
                if self.wants(venue, key):
                    self.deliver(venue, key, style.trade_event(engine.market(ev.symbol), ev, now))
            elif isinstance(ev, AggTrade):
                key = StreamKey(ev.symbol, "aggTrade")
                if self.wants(venue, key):
                    event = style.agg_trade_event(engine.market(ev.symbol), ev, now)
                    self.deliver(venue, key, event)
            elif isinstance(ev, DepthUpdate):
                self._merge(venue, ev)
                touched.add(ev.symbol)
            elif isinstance(ev, Liquidation):
                # forceOrder is a snapshot: the latest liquidation per symbol each second
                self.liquidations[(venue, ev.symbol)] = fpl.force_order_event(
                    engine.market(ev.symbol), ev, now
                )
        for symbol in sorted(touched):
            self._book_ticker(venue, symbol, now)

    def _merge(self, venue: MarketKind, d: DepthUpdate) -> None:
        for period in VENUE_SPECS[venue].streams.depth_periods:
            k = (venue, d.symbol, period)
            pending = self.pending.get(k)
            if pending is None:
                self.pending[k] = DepthUpdate(
                    d.symbol, d.first_id, d.last_id, d.time, dict(d.bids), dict(d.asks)
                )
            else:
                pending.last_id = d.last_id
                pending.time = d.time
                pending.bids.update(d.bids)
                pending.asks.update(d.asks)

    def gap(self, venue: MarketKind, symbol: str) -> None:
        """Make skipped update ids visible on every diff stream of ``symbol``.

        The changes merged so far are dropped with the skipped ids, as if an event covering
        them was lost: the next event starts after the gap (spot ``U > prev u + 1``) and names
        an unseen predecessor (futures ``pu != prev u``), whatever the aggregation window.
        """
        now_id = self.exchange.engine(venue).update_id(symbol)
        for period in VENUE_SPECS[venue].streams.depth_periods:
            k = (venue, symbol, period)
            self.pending.pop(k, None)
            self.last_u[k] = now_id

    def _book_ticker(self, venue: MarketKind, symbol: str, now: int) -> None:
        book = self.exchange.engine(venue).book(symbol)
        best = (book.best_bid(), book.best_ask())
        if self.best.get((venue, symbol)) == best:
            return
        self.best[(venue, symbol)] = best
        spec = VENUE_SPECS[venue]
        one, arr = StreamKey(symbol, "bookTicker"), StreamKey(None, "bookTicker", ("arr",))
        every = spec.streams.all_book_ticker and self.wants(venue, arr)
        if not (every or self.wants(venue, one)):
            return
        event = spec.payloads.book_ticker_event(self.exchange.engine(venue), symbol, now)
        self.deliver(venue, one, event)
        if every:
            self.deliver(venue, arr, event)

    # -- periodic --------------------------------------------------------------------------

    def on_tick(self, prev: int, now: int) -> None:
        """Publish every periodic stream whose period boundary lies in ``(prev, now]``."""
        crossed = {p for p in _TICK_PERIODS if prev // p != now // p}
        if not crossed:
            return
        for venue in VENUES:
            keys = self.active_keys(venue)
            for key in sorted(keys, key=repr):
                period = stream_period(venue, key)
                if period is not None and period in crossed:
                    self._publish_periodic(venue, key, period, now)
            for period in VENUE_SPECS[venue].streams.depth_periods:
                if period in crossed:
                    self._flush_depth(venue, period, now, keys)
        if 1000 in crossed:
            self._flush_liquidations()

    def _flush_liquidations(self) -> None:
        for (venue, symbol), event in sorted(self.liquidations.items()):
            self.deliver(venue, StreamKey(symbol, "forceOrder"), event)
            self.deliver(venue, StreamKey(None, "forceOrder", ("arr",)), event)
        self.liquidations.clear()

    def _flush_depth(self, venue: MarketKind, period: int, now: int, keys: set[StreamKey]) -> None:
        engine = self.exchange.engine(venue)
        for symbol in sorted(engine.markets):
            k = (venue, symbol, period)
            pending = self.pending.pop(k, None)
            if pending is None:
                continue
            prev = self.last_u.get(k, pending.first_id - 1)
            key = StreamKey(symbol, "depth", ("", str(period)))
            if key in keys:
                event = VENUE_SPECS[venue].payloads.depth_diff_event(
                    engine.market(symbol), pending, now, prev
                )
                self.deliver(venue, key, event)
            self.last_u[k] = pending.last_id

    def _publish_periodic(self, venue: MarketKind, key: StreamKey, period: int, now: int) -> None:
        engine = self.exchange.engine(venue)
        ch, symbol = key.channel, key.symbol
        if ch == "depth":
            levels = key.params[0]
            if not levels or symbol is None:
                return  # diff depth is flushed by _flush_depth
            k = (venue, symbol, period)
            pending = self.pending.get(k)
            prev = self.last_u.get(k, engine.update_id(symbol))
            first = pending.first_id if pending is not None else engine.update_id(symbol)
            style = VENUE_SPECS[venue].payloads
            event = style.partial_depth_event(engine, symbol, int(levels), now, first, prev)
            self.deliver(venue, key, event)
        elif ch in ("kline", "continuousKline"):
            self._kline(venue, key, now)
        elif ch == "miniTicker":
            names = [symbol] if symbol is not None else self._changed(venue, key)
            rows = [pl.mini_ticker_event(engine, s, now) for s in names]
            if rows:
                self.deliver(venue, key, rows[0] if symbol is not None else rows)
        elif ch == "ticker":
            self._ticker(venue, key, now)
        elif ch == "avgPrice" and symbol is not None:
            self.deliver(venue, key, pl.avg_price_event(engine, symbol, now))
        elif ch == "markPrice":
            if symbol is not None:
                self.deliver(
                    venue, key, fpl.mark_price_event(self.exchange.mark(venue, symbol, now), now)
                )
            else:
                marks = self.exchange.marks(venue, now)
                self.deliver(venue, key, [fpl.mark_price_event(mp, now) for mp in marks.values()])

    def _ticker(self, venue: MarketKind, key: StreamKey, now: int) -> None:
        engine = self.exchange.engine(venue)
        window = key.params[0] if key.params and key.params[0] != "arr" else None
        names = [key.symbol] if key.symbol is not None else self._changed(venue, key)
        if window is not None:
            rows = [pl.window_ticker_event(engine, s, window, now) for s in names]
        else:
            style = VENUE_SPECS[venue].payloads
            rows = [style.ticker_event(engine, s, now) for s in names]
        if rows:
            self.deliver(venue, key, rows[0] if key.symbol is not None else rows)

    def _changed(self, venue: MarketKind, key: StreamKey) -> list[str]:
        """Return the symbols that traded since ``key`` (an ``@arr`` stream) last published.

        All-market ticker arrays carry only the tickers that changed; the first publication
        of a stream carries every symbol.
        """
        engine = self.exchange.engine(venue)
        seen = self.arr_seen.setdefault((venue, key), {})
        changed: list[str] = []
        for symbol in sorted(engine.markets):
            recent = engine.tape(symbol).recent
            last = recent[-1].trade_id if recent else -1
            if seen.get(symbol) != last:
                seen[symbol] = last
                changed.append(symbol)
        return changed

    def _market_for(self, venue: MarketKind, key: StreamKey) -> Market | None:
        engine = self.exchange.engine(venue)
        if key.channel == "kline":
            return engine.markets.get(key.symbol or "")
        return next((m for m in engine.markets.values() if m.pair == key.symbol), None)

    def _kline(self, venue: MarketKind, key: StreamKey, now: int) -> None:
        m = self._market_for(venue, key)
        if m is None:
            return
        continuous = key.channel == "continuousKline"
        interval = key.params[1] if continuous else key.params[0]
        offset = _OFFSET_08 if "+08:00" in key.params else 0
        tape = self.exchange.engine(venue).tape(m.symbol)
        start = interval_start(now, interval, offset)
        last_open = self.kline_open.get((venue, key))
        if last_open is not None and last_open < start:
            closed = tape.kline(interval, last_open, offset)
            self.deliver(
                venue, key, pl.kline_event(m, closed, interval, True, now, continuous=continuous)
            )
        self.kline_open[(venue, key)] = start
        k = tape.kline(interval, start, offset)  # the open kline: x is false until it closes
        self.deliver(venue, key, pl.kline_event(m, k, interval, False, now, continuous=continuous))
