"""Market-data watches: tickers, bids/asks, mark prices, trades, OHLCV, liquidations.

Each watch subscribes its streams on the venue's market-stream connection (see
:mod:`client.methods.watching`) and returns what CCXT returns; each ``unwatch_*`` sends
``UNSUBSCRIBE`` and waits for the ACK; ``stream_*`` are async iterators over repeated watches.
What a venue offers (mark prices, liquidations, an all-market bid/ask stream) is read from its
row in :mod:`client.venues`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

from ..errors import ArgumentsRequired, BadRequest
from ..options import check_timeframe
from ..protocol.channels import (
    Channel,
    LiquidationChannel,
    OHLCVChannel,
    TickerChannel,
    TradesChannel,
)
from ..types import OHLCV, Liquidation, Market, Symbol, Ticker, Trade
from ..venues import market_venue
from .watching import WatchBase

__all__ = ["MarketMethods"]


class MarketMethods(WatchBase):
    """Watches, unwatches and streams of market data."""

    def _ticker_specs(
        self, ms: list[Market], kind: str, stream_of: Callable[[Market], str]
    ) -> dict[str, Callable[[], Channel]]:
        specs: dict[str, Callable[[], Channel]] = {}
        for m in ms:
            lookup = self._lookup(market_venue(m).name)
            specs[stream_of(m)] = lambda m=m, lookup=lookup: TickerChannel(kind, m, lookup)  # type: ignore[misc]
        return specs

    async def _watch_tickers(
        self,
        symbols: Sequence[str] | None,
        kind: str,
        suffix: str,
        all_stream: str | None,
        opts: dict[str, Any],
    ) -> dict[Symbol, Ticker]:
        if symbols:
            ms = await self._markets(symbols, opts)
            v = market_venue(ms[0])
            specs = self._ticker_specs(ms, kind, lambda m: f"{m['id'].lower()}@{suffix}")
        else:
            await self.load_markets()
            v = self._venue(opts)
            if all_stream is None:
                raise ArgumentsRequired(f"{kind} on {v.name} needs a list of symbols")
            lookup = self._lookup(v.name)
            specs = {all_stream: lambda: TickerChannel(kind, None, lookup)}
        base = self._stream_base(v, kind, opts)
        conn, fired = await self._watch(base, specs, opts)
        ch = conn.channels.get(fired)
        if not isinstance(ch, TickerChannel):
            return {}
        return {s: ch.last[s] for s in ch.updated if s in ch.last}

    # -- tickers -----------------------------------------------------------------------------

    async def watch_ticker(self, symbol: str, params: Mapping[str, Any] | None = None) -> Ticker:
        """Return the next 24 h ticker of ``symbol`` (stream ``<symbol>@ticker``).

        ``params={"name": "miniTicker"}`` uses ``<symbol>@miniTicker`` (no bid/ask).

        Raises:
            BadSymbol: unknown symbol. RequestTimeout: no ACK or update within ``timeout``.
            NetworkError: the connection failed. BadRequest: the server refused the stream.
        """
        opts = self._opts(params)
        m = await self.market(symbol, opts)
        name = str(opts.get("name", "ticker"))
        got = await self._watch_tickers([m["symbol"]], name, name, None, opts)
        return got[m["symbol"]]

    async def watch_tickers(
        self, symbols: Sequence[str] | None = None, params: Mapping[str, Any] | None = None
    ) -> dict[Symbol, Ticker]:
        """Return the next tickers: ``<symbol>@ticker`` per symbol, or ``!miniTicker@arr``.

        Returns the tickers of the update that fired (CCXT's ``newUpdates``), keyed by symbol.
        """
        opts = self._opts(params)
        name = str(opts.get("name", "ticker" if symbols else "miniTicker"))
        return await self._watch_tickers(symbols, name, name, f"!{name}@arr", opts)

    async def watch_bids_asks(
        self, symbols: Sequence[str] | None = None, params: Mapping[str, Any] | None = None
    ) -> dict[Symbol, Ticker]:
        """Return the next best bid/ask: ``<symbol>@bookTicker``, or ``!bookTicker`` (futures).

        Raises:
            ArgumentsRequired: spot without symbols (Binance has no all-market spot stream).
        """
        opts = self._opts(params)
        all_stream = self._venue(opts).all_book_tickers
        return await self._watch_tickers(symbols, "bookTicker", "bookTicker", all_stream, opts)

    async def watch_mark_price(
        self, symbol: str, params: Mapping[str, Any] | None = None
    ) -> Ticker:
        """Return the next mark price of a futures ``symbol`` (``<symbol>@markPrice@1s``).

        Raises:
            BadRequest: ``symbol`` is a spot market (spot has no mark price).
        """
        m = await self.market(symbol, self._futures_default(params))
        got = await self.watch_mark_prices([m["symbol"]], params)
        return got[m["symbol"]]

    async def watch_mark_prices(
        self, symbols: Sequence[str] | None = None, params: Mapping[str, Any] | None = None
    ) -> dict[Symbol, Ticker]:
        """Return the next mark prices: ``<symbol>@markPrice@1s`` each, or ``!markPrice@arr@1s``."""
        opts = self._futures_default(params)
        if symbols:
            for m in await self._markets(symbols, opts):
                if not market_venue(m).mark_prices:
                    raise BadRequest(f"watch_mark_price: {m['symbol']} is spot; no mark price")
        return await self._watch_tickers(
            symbols, "markPrice", "markPrice@1s", "!markPrice@arr@1s", opts
        )

    async def unwatch_ticker(self, symbol: str, params: Mapping[str, Any] | None = None) -> None:
        """Unsubscribe ``<symbol>@ticker`` (``UNSUBSCRIBE``) and wait for the ACK.

        Pending watchers of the ticker fail with UnsubscribeError.
        """
        await self.unwatch_tickers([symbol], params)

    async def unwatch_tickers(
        self, symbols: Sequence[str] | None = None, params: Mapping[str, Any] | None = None
    ) -> None:
        """Unsubscribe the ticker streams of ``symbols`` (or ``!miniTicker@arr``)."""
        opts = self._opts(params)
        name = str(opts.get("name", "ticker" if symbols else "miniTicker"))
        await self._unwatch_symbols(symbols, name, f"!{name}@arr", opts)

    async def unwatch_bids_asks(
        self, symbols: Sequence[str] | None = None, params: Mapping[str, Any] | None = None
    ) -> None:
        """Unsubscribe ``<symbol>@bookTicker`` (or ``!bookTicker``)."""
        await self._unwatch_symbols(symbols, "bookTicker", "!bookTicker", self._opts(params))

    async def unwatch_mark_price(
        self, symbol: str, params: Mapping[str, Any] | None = None
    ) -> None:
        """Unsubscribe ``<symbol>@markPrice@1s``."""
        await self.unwatch_mark_prices([symbol], params)

    async def unwatch_mark_prices(
        self, symbols: Sequence[str] | None = None, params: Mapping[str, Any] | None = None
    ) -> None:
        """Unsubscribe ``<symbol>@markPrice@1s`` each (or ``!markPrice@arr@1s``)."""
        opts = self._futures_default(params)
        await self._unwatch_symbols(symbols, "markPrice@1s", "!markPrice@arr@1s", opts)

    # -- trades ------------------------------------------------------------------------------

    def _trade_name(self, opts: Mapping[str, Any]) -> str:
        name = str(opts.get("name", "trade"))
        if name not in ("trade", "aggTrade"):
            raise BadRequest(f"trades name must be trade or aggTrade, not {name!r}")
        return name

    async def watch_trades(
        self,
        symbol: str,
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[Trade]:
        """Return the trades of ``symbol`` since the previous call (``<symbol>@trade``).

        Waits for the next trade; returns every trade received since this symbol's previous
        call (at most ``limit``, the newest; the cache keeps ``cache_limit``). ``params={"name":
        "aggTrade"}`` uses ``<symbol>@aggTrade``.
        """
        return await self.watch_trades_for_symbols([symbol], since, limit, params)

    async def watch_trades_for_symbols(
        self,
        symbols: Sequence[str],
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[Trade]:
        """Return the new trades of whichever of ``symbols`` traded next (``<symbol>@trade``)."""
        opts = self._opts(params)
        name = self._trade_name(opts)
        ms = await self._markets(symbols, opts)
        cache_limit = int(opts["cache_limit"])
        specs: dict[str, Callable[[], Channel]] = {
            f"{m['id'].lower()}@{name}": (lambda m=m: TradesChannel(m, cache_limit))  # type: ignore[misc]
            for m in ms
        }
        base = self._stream_base(market_venue(ms[0]), name, opts)
        conn, fired = await self._watch(base, specs, opts)
        ch = conn.channels.get(fired)
        if not isinstance(ch, TradesChannel):
            return []
        rows = ch.cache.new_rows("", limit)
        return (
            [t for t in rows if t["timestamp"] is None or t["timestamp"] >= since]
            if since
            else rows
        )

    async def unwatch_trades(self, symbol: str, params: Mapping[str, Any] | None = None) -> None:
        """Unsubscribe ``<symbol>@trade`` and wait for the ACK."""
        await self.unwatch_trades_for_symbols([symbol], params)

    async def unwatch_trades_for_symbols(
        self, symbols: Sequence[str], params: Mapping[str, Any] | None = None
    ) -> None:
        """Unsubscribe ``<symbol>@trade`` for each of ``symbols``."""
        opts = self._opts(params)
        await self._unwatch_symbols(symbols, self._trade_name(opts), None, opts)

    # -- OHLCV -------------------------------------------------------------------------------

    async def watch_ohlcv(
        self,
        symbol: str,
        timeframe: str = "1m",
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[OHLCV]:
        """Return the candles of ``symbol`` updated since the previous call
        (``<symbol>@kline_<interval>``); the open candle is returned again as it changes."""
        got = await self.watch_ohlcv_for_symbols([[symbol, timeframe]], since, limit, params)
        return next(iter(next(iter(got.values())).values()))

    async def watch_ohlcv_for_symbols(
        self,
        symbols_and_timeframes: Sequence[Sequence[str]],
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> dict[Symbol, dict[str, list[OHLCV]]]:
        """Return ``{symbol: {timeframe: candles}}`` for whichever pair updated next."""
        opts = self._opts(params)
        ms = await self._markets([p[0] for p in symbols_and_timeframes], opts)
        cache_limit = int(opts["cache_limit"])
        specs: dict[str, Callable[[], Channel]] = {}
        keys: dict[str, tuple[Symbol, str]] = {}
        for m, pair in zip(ms, symbols_and_timeframes, strict=True):
            tf = check_timeframe(pair[1])
            stream = f"{m['id'].lower()}@kline_{tf}"
            specs[stream] = lambda m=m: OHLCVChannel(m, cache_limit)  # type: ignore[misc]
            keys[stream] = (m["symbol"], tf)
        base = self._stream_base(market_venue(ms[0]), "kline", opts)
        conn, fired = await self._watch(base, specs, opts)
        ch = conn.channels.get(fired)
        rows = ch.new_rows(limit) if isinstance(ch, OHLCVChannel) else []
        if since:
            rows = [r for r in rows if isinstance(r[0], int) and r[0] >= since]
        sym, tf = keys[fired]
        return {sym: {tf: rows}}

    async def unwatch_ohlcv(
        self, symbol: str, timeframe: str = "1m", params: Mapping[str, Any] | None = None
    ) -> None:
        """Unsubscribe ``<symbol>@kline_<interval>``."""
        await self.unwatch_ohlcv_for_symbols([[symbol, timeframe]], params)

    async def unwatch_ohlcv_for_symbols(
        self,
        symbols_and_timeframes: Sequence[Sequence[str]],
        params: Mapping[str, Any] | None = None,
    ) -> None:
        """Unsubscribe ``<symbol>@kline_<interval>`` for each pair."""
        opts = self._opts(params)
        ms = await self._markets([p[0] for p in symbols_and_timeframes], opts)
        await self._unwatch(
            [
                f"{m['id'].lower()}@kline_{check_timeframe(p[1])}"
                for m, p in zip(ms, symbols_and_timeframes, strict=True)
            ],
            opts,
        )

    # -- liquidations ------------------------------------------------------------------------

    async def watch_liquidations(
        self,
        symbol: str,
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[Liquidation]:
        """Return the new liquidations of a futures ``symbol`` (``<symbol>@forceOrder``)."""
        return await self.watch_liquidations_for_symbols([symbol], since, limit, params)

    async def watch_liquidations_for_symbols(
        self,
        symbols: Sequence[str] | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[Liquidation]:
        """Return the new liquidations of ``symbols`` (``<symbol>@forceOrder``), or of every
        futures market of the ``type`` option (``!forceOrder@arr``) without symbols.

        Raises:
            BadRequest: a spot symbol (spot has no liquidations).
        """
        opts = self._opts(params)
        cache_limit = int(opts["cache_limit"])
        specs: dict[str, Callable[[], Channel]] = {}
        if symbols:
            ms = await self._markets(symbols, opts)
            v = market_venue(ms[0])
            if not v.liquidations:
                raise BadRequest(f"watch_liquidations: {v.label} markets have no liquidations")
            for m in ms:
                lookup = self._lookup(v.name)
                specs[f"{m['id'].lower()}@forceOrder"] = (
                    lambda m=m, lookup=lookup: LiquidationChannel(m, lookup, cache_limit)  # type: ignore[misc]
                )
        else:
            await self.load_markets()
            v = self._venue(opts)
            if not v.liquidations:
                raise BadRequest(f"watch_liquidations: {v.label} markets have no liquidations")
            lookup = self._lookup(v.name)
            specs["!forceOrder@arr"] = lambda: LiquidationChannel(None, lookup, cache_limit)
        base = self._stream_base(v, "forceOrder", opts)
        conn, fired = await self._watch(base, specs, opts)
        ch = conn.channels.get(fired)
        rows = ch.cache.new_rows("", limit) if isinstance(ch, LiquidationChannel) else []
        return [r for r in rows if (r["timestamp"] or 0) >= since] if since else rows

    # -- streams -----------------------------------------------------------------------------

    def stream_ticker(
        self, symbol: str, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[Ticker]:
        """Yield every ticker update of ``symbol`` (repeated :meth:`watch_ticker`).

        With ``unwatch_on_halt`` the subscription is unwatched when the iteration ends
        (``break``, ``aclose()``, cancellation); wrap the iterator in
        ``contextlib.aclosing`` to make that happen at the ``break`` itself. Errors are
        raised from the iterator, which is then finished; to keep going after a transient
        one (:class:`~client.errors.NetworkError`), catch it and start a new iteration: the
        subscription and caches survive, and a dropped connection is re-subscribed.
        """
        return self._stream(
            lambda: self.watch_ticker(symbol, params),
            lambda: self.unwatch_ticker(symbol, params),
            self._opts(params),
        )

    def stream_trades(
        self, symbol: str, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[list[Trade]]:
        """Yield the new trades of ``symbol`` batch by batch (repeated :meth:`watch_trades`).

        Halting and errors as in :meth:`stream_ticker`.
        """
        return self._stream(
            lambda: self.watch_trades(symbol, None, None, params),
            lambda: self.unwatch_trades(symbol, params),
            self._opts(params),
        )

    def stream_ohlcv(
        self, symbol: str, timeframe: str = "1m", params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[list[OHLCV]]:
        """Yield the updated candles of ``symbol`` (repeated :meth:`watch_ohlcv`).

        Halting and errors as in :meth:`stream_ticker`.
        """
        return self._stream(
            lambda: self.watch_ohlcv(symbol, timeframe, None, None, params),
            lambda: self.unwatch_ohlcv(symbol, timeframe, params),
            self._opts(params),
        )
