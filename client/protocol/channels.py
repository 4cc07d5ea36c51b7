"""Per-stream state: what each subscribed stream does with its events, without I/O.

A channel belongs to one stream on one connection. :meth:`Channel.handle` parses an event into
the channel's cache and returns True when waiters should wake. Because the channel is bound to
the market it was subscribed for (and spot, USD-M and COIN-M use different connections), a spot
symbol never receives a futures update or the reverse, even though Binance reuses ids
(``BTCUSDT``) across markets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

from ..types import OHLCV, Liquidation, Market, Symbol, Ticker, Trade
from .book import BookSync, DiffResult
from .caches import ArrayCache, ArrayCacheByTimestamp
from .parsers import (
    parse_bid_ask,
    parse_liquidation,
    parse_mark_price,
    parse_ohlcv,
    parse_ticker,
    parse_trade,
)

__all__ = [
    "BookChannel",
    "Channel",
    "LatestTickers",
    "LiquidationChannel",
    "MarketLookup",
    "OHLCVChannel",
    "TickerChannel",
    "TradesChannel",
]

MarketLookup = Callable[[str], Market | None]
"""Find a market of this connection's type by Binance id (for all-market streams)."""

TickerParser = Callable[[dict[str, Any], Symbol, Market | None], Ticker]

TICKER_PARSERS: dict[str, TickerParser] = {
    "ticker": parse_ticker,
    "miniTicker": parse_ticker,
    "bookTicker": parse_bid_ask,
    "markPrice": parse_mark_price,
}


class Channel(Protocol):
    """What a connection needs from the state of one stream."""

    def handle(self, data: Any) -> bool:
        """Absorb one event; return True when waiters should wake."""

    def reset(self) -> None:
        """Forget state that the socket going away makes invalid."""

    def size(self) -> int:
        """Return how many rows or levels the channel holds (for ``connection_info``)."""


class LatestTickers(Mapping[Symbol, Ticker]):
    """The newest event of each symbol, parsed into a Ticker when first read.

    An all-market stream (``!bookTicker``: every symbol's every change) delivers far more
    events than a watch returns (only the newest event's symbols), so parsing at arrival
    spent most of its time on tickers nobody read.
    """

    def __init__(self, parse: TickerParser) -> None:
        self._parse = parse
        self._raw: dict[Symbol, tuple[dict[str, Any], Market]] = {}
        self._parsed: dict[Symbol, Ticker] = {}

    def put(self, symbol: Symbol, raw: dict[str, Any], market: Market) -> None:
        """Keep ``raw`` as the newest event of ``symbol``."""
        self._raw[symbol] = (raw, market)
        self._parsed.pop(symbol, None)

    def __getitem__(self, symbol: Symbol) -> Ticker:
        t = self._parsed.get(symbol)
        if t is None:
            raw, market = self._raw[symbol]
            t = self._parsed[symbol] = self._parse(raw, symbol, market)
        return t

    def __contains__(self, symbol: object) -> bool:
        return symbol in self._raw

    def __iter__(self) -> Iterator[Symbol]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


class TickerChannel:
    """Ticker-shaped streams: ``@ticker``, ``@miniTicker``, ``@bookTicker``, ``@markPrice``.

    For a per-symbol stream ``market`` is set; for an all-market stream (``!miniTicker@arr``,
    ``!markPrice@arr@1s``, ``!bookTicker``) events are looked up through ``lookup``. ``last``
    keeps the newest ticker per symbol (parsed when read); ``updated`` lists the symbols of
    the newest event.
    """

    def __init__(self, kind: str, market: Market | None, lookup: MarketLookup) -> None:
        self.market = market
        self.lookup = lookup
        self.last = LatestTickers(TICKER_PARSERS[kind])
        self.updated: list[Symbol] = []

    def handle(self, data: Any) -> bool:
        """Keep one event or an array of them."""
        items = data if isinstance(data, list) else [data]
        updated: list[Symbol] = []
        for raw in items:
            if not isinstance(raw, dict):
                continue
            m = self.market or self.lookup(str(raw.get("s", raw.get("symbol", ""))))
            if m is None:
                continue
            symbol = m["symbol"]
            self.last.put(symbol, raw, m)
            updated.append(symbol)
        self.updated = updated
        return bool(updated)

    def reset(self) -> None:
        """Keep the last tickers: they stay true until the next update."""

    def size(self) -> int:
        """Return the number of symbols with a ticker."""
        return len(self.last)


class TradesChannel:
    """``<symbol>@trade`` / ``@aggTrade``: a bounded trade cache.

    Trade ids rise per symbol, so a trade whose id is not above the last one is a duplicate
    (both sockets deliver it during a ``serverShutdown`` handover) and is dropped.
    """

    def __init__(self, market: Market, limit: int) -> None:
        self.market = market
        symbol = market["symbol"]
        # events are parsed when a watch reads them (see client.protocol.caches)
        self.cache: ArrayCache[Trade] = ArrayCache(limit, lambda raw: parse_trade(raw, symbol))
        self.last_id = -1

    def handle(self, data: Any) -> bool:
        """Append the trade, unless its id was seen (a replay during a socket handover)."""
        tid = data.get("t")
        if tid is None:
            tid = data.get("a")
        if type(tid) is int:
            if tid <= self.last_id:
                return False
            self.last_id = tid
        self.cache.append(data)
        return True

    def reset(self) -> None:
        """Keep the cached trades (they happened)."""

    def size(self) -> int:
        """Return the number of cached trades."""
        return len(self.cache)


class OHLCVChannel:
    """``<symbol>@kline_<interval>``: a bounded candle cache (the open candle updates in place)."""

    def __init__(self, market: Market, limit: int) -> None:
        self.market = market
        self.cache: ArrayCacheByTimestamp = ArrayCacheByTimestamp(limit)

    def handle(self, data: Any) -> bool:
        """Append or update the candle."""
        self.cache.append(parse_ohlcv(data))
        return True

    def reset(self) -> None:
        """Keep the cached candles."""

    def size(self) -> int:
        """Return the number of cached candles."""
        return len(self.cache)

    def new_rows(self, limit: int | None = None) -> list[OHLCV]:
        """Return the candles not yet returned."""
        return self.cache.new_rows("", limit)


class LiquidationChannel:
    """``<symbol>@forceOrder`` or ``!forceOrder@arr``: a bounded liquidation cache."""

    def __init__(self, market: Market | None, lookup: MarketLookup, limit: int) -> None:
        self.market = market
        self.lookup = lookup
        self.cache: ArrayCache[Liquidation] = ArrayCache(limit)

    def handle(self, data: Any) -> bool:
        """Append the liquidation of the event's order ``o``."""
        o = data.get("o") if isinstance(data, dict) else None
        if not isinstance(o, dict):
            return False
        m = self.market or self.lookup(str(o.get("s", "")))
        if m is None:
            return False
        self.cache.append(parse_liquidation(data, m["symbol"], m))
        return True

    def reset(self) -> None:
        """Keep the cached liquidations."""

    def size(self) -> int:
        """Return the number of cached liquidations."""
        return len(self.cache)


# enum members bound once: looking ``DiffResult.APPLIED`` up costs more than the rest of the
# comparison, and this runs for every depth diff
_APPLIED, _GAP = DiffResult.APPLIED, DiffResult.GAP


class BookChannel:
    """``<symbol>@depth@100ms``: the synced local book (see :mod:`client.protocol.book`).

    ``on_gap`` is called when the book leaves SYNCED so the adapter can fetch a new snapshot
    at once, whether or not someone is waiting.
    """

    def __init__(
        self, market: Market, on_gap: Callable[[BookChannel], None], *, live: bool = False
    ) -> None:
        self.market = market
        self.sync = BookSync(market["symbol"], futures=market["contract"], live=live)
        self.on_gap = on_gap

    def handle(self, data: Any) -> bool:
        """Apply or buffer the diff; wake waiters only on an applied diff."""
        result = self.sync.on_diff(data)
        if result is _APPLIED:
            return True
        if result is _GAP:
            self.on_gap(self)
        return False

    def reset(self) -> None:
        """The socket went away: the book is no longer known to be current."""
        self.sync.reset()

    def size(self) -> int:
        """Return the number of price levels held."""
        return self.sync.levels()
