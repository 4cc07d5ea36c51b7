"""Futures market-data payloads (USD-M and COIN-M): stream events, REST rows, per-venue shapes.

:class:`FuturesPayloads` (USD-M) overrides the spot style only where the futures shapes differ:
event and trade times, ``pu``, no bid/ask in tickers, ``nq`` on aggregate trades, ``isRPITrade``
on trades. :class:`CoinmPayloads` overrides it again for COIN-M's inverse contracts: quantities
in contracts with a ``baseQty``/``baseVolume`` in the base asset, ``pair`` on tickers and
premium index rows, ``ps`` on price tickers, no mark price on funding rows. A COIN-M base
volume is ``contracts * contract_size / price`` summed over the trades; klines and tickers
compute it from the bucket's contract-weighted price (exact to ~1e-8 within a minute).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from ..engine.core import AggTrade, Engine, Liquidation
from ..engine.derivatives import INTEREST_RATE, MarkPrice
from ..engine.markets import Market, fmt
from ..engine.pricebars import PriceBar
from ..engine.tape import Kline, Trade
from .payloads import REST_NAMES, Payloads, depth_levels, ticker_fields

__all__ = [
    "FUTURES_TICKER_ORDER",
    "CoinmPayloads",
    "FuturesPayloads",
    "force_order_event",
    "funding_rate_rest",
    "mark_price_event",
    "premium_index_rest",
    "price_kline_rest",
]

FUTURES_TICKER_ORDER = "pPwcQohlvqOCFLn"


def mark_price_event(mp: MarkPrice, now: int) -> dict[str, Any]:
    """Return the ``<symbol>@markPrice`` event (``markPriceUpdate``)."""
    return {
        "e": "markPriceUpdate",
        "E": now,
        "s": mp.symbol,
        "p": fmt(mp.mark, 8),
        "ap": fmt(mp.mark, 8),
        "i": fmt(mp.index, 8),
        "P": fmt(mp.settle, 8),
        "r": fmt(mp.funding_rate, 8),
        "T": mp.next_funding_time,
    }


def premium_index_rest(mp: MarkPrice) -> dict[str, Any]:
    """Return one ``GET /fapi/v1/premiumIndex`` object."""
    return {
        "symbol": mp.symbol,
        "markPrice": fmt(mp.mark, 8),
        "indexPrice": fmt(mp.index, 8),
        "estimatedSettlePrice": fmt(mp.settle, 8),
        "lastFundingRate": fmt(mp.funding_rate, 8),
        "interestRate": fmt(INTEREST_RATE, 8),
        "nextFundingTime": mp.next_funding_time,
        "time": mp.time,
    }


def funding_rate_rest(mp: MarkPrice) -> dict[str, Any]:
    """Return one ``GET /fapi/v1/fundingRate`` row (a settled funding)."""
    return {
        "symbol": mp.symbol,
        "fundingRate": fmt(mp.funding_rate, 8),
        "fundingTime": mp.time,
        "markPrice": fmt(mp.mark, 8),
    }


def force_order_event(m: Market, liq: Liquidation, now: int) -> dict[str, Any]:
    """Return the ``<symbol>@forceOrder`` event."""
    return {
        "e": "forceOrder",
        "E": now,
        "o": {
            "s": m.symbol,
            "S": liq.side,
            "o": "LIMIT",
            "f": "IOC",
            "q": m.qty_str(liq.qty),
            "p": m.price_str(liq.price),
            "ap": m.price_str(liq.avg_price),
            "X": liq.status,
            "l": m.qty_str(liq.last_filled),
            "z": m.qty_str(liq.filled),
            "T": liq.time,
        },
    }


def price_kline_rest(bar: PriceBar, places: int = 8) -> list[Any]:
    """Return one row of ``markPriceKlines``, ``indexPriceKlines`` or ``premiumIndexKlines``."""
    return [
        bar.start,
        fmt(bar.open, places),
        fmt(bar.high, places),
        fmt(bar.low, places),
        fmt(bar.close, places),
        "0",
        bar.end - 1,
        "0",
        bar.count,
        "0",
        "0",
        "0",
    ]


class FuturesPayloads(Payloads):
    """USD-M and COIN-M shapes: event and trade times, ``pu``, no bid/ask in tickers."""

    ticker_order = FUTURES_TICKER_ORDER
    trade_rest_extra: ClassVar[dict[str, Any]] = {"isRPITrade": False}
    agg_rest_extra: ClassVar[dict[str, Any]] = {}

    def agg_trade_rest(self, m: Market, a: AggTrade) -> dict[str, Any]:
        """Return one ``GET /fapi/v1/aggTrades`` row: the stream event's fields, ``nq`` included."""
        event = self.agg_trade_event(m, a, a.time)
        return {k: event[k] for k in ("a", "p", "q", "nq", "f", "l", "T", "m")}

    def premium_index_rest(self, m: Market, mp: MarkPrice) -> dict[str, Any]:
        """Return one ``premiumIndex`` object."""
        return premium_index_rest(mp)

    def funding_rate_rest(self, mp: MarkPrice) -> dict[str, Any]:
        """Return one ``fundingRate`` row (a settled funding)."""
        return funding_rate_rest(mp)

    def open_interest_rest(self, m: Market, oi: Decimal, now: int) -> dict[str, Any]:
        """Return ``GET /fapi/v1/openInterest``."""
        return {"openInterest": m.qty_str(oi), "symbol": m.symbol, "time": now}

    def trade_event(self, m: Market, t: Trade, now: int) -> dict[str, Any]:
        """Return the ``<symbol>@trade`` event."""
        return {
            "e": "trade",
            "E": now,
            "T": t.time,
            "s": m.symbol,
            "t": t.trade_id,
            "p": m.price_str(t.price),
            "q": m.qty_str(t.qty),
            "X": "MARKET",
            "m": t.buyer_is_maker,
        }

    def _net_qty(self, m: Market, a: AggTrade) -> dict[str, Any]:
        return {"nq": m.qty_str(a.qty)}

    def _snapshot_times(self, now: int) -> dict[str, Any]:
        return {"E": now, "T": now}

    def _event_time(self, time: int) -> dict[str, Any]:
        return {"T": time}

    def _prev_update_id(self, prev_last: int) -> dict[str, Any]:
        return {"pu": prev_last}

    def book_ticker_event(self, engine: Engine, symbol: str, now: int) -> dict[str, Any]:
        """Return the ``<symbol>@bookTicker`` event (with ``e``, ``E``, ``T``)."""
        quotes = self._quotes(engine, symbol)
        return {"e": "bookTicker", "u": engine.update_id(symbol), "E": now, "T": now, **quotes}

    def book_ticker_rest(self, engine: Engine, symbol: str, now: int) -> dict[str, Any]:
        """Return one ``GET /fapi/v1/ticker/bookTicker`` object (with time and update id)."""
        row = super().book_ticker_rest(engine, symbol, now)
        return {**row, "time": now, "lastUpdateId": engine.update_id(symbol)}

    def ticker_price_rest(self, engine: Engine, symbol: str, now: int) -> dict[str, Any]:
        """Return one ``GET /fapi/v2/ticker/price`` object (with time)."""
        return {**super().ticker_price_rest(engine, symbol, now), "time": now}

    def partial_depth_event(
        self,
        engine: Engine,
        symbol: str,
        levels: int,
        now: int,
        first_id: int,
        prev_last: int,
    ) -> dict[str, Any]:
        """Return ``<symbol>@depth<levels>`` in the ``depthUpdate`` shape."""
        m = engine.market(symbol)
        last_id, bids, asks = engine.depth(symbol, levels)
        first = min(first_id, last_id)
        return self._depth_update(
            m, now, now, first, last_id, prev_last, depth_levels(m, bids), depth_levels(m, asks)
        )


class CoinmPayloads(FuturesPayloads):
    """COIN-M shapes: contracts with base-asset amounts, ``pair`` and ``ps`` fields."""

    trade_rest_extra: ClassVar[dict[str, Any]] = {}

    @staticmethod
    def _base(m: Market, contracts: Decimal, price: Decimal) -> str:
        return fmt(contracts * m.contract_size / price if price else Decimal(0), 8)

    def trade_rest(self, m: Market, t: Trade) -> dict[str, Any]:
        """Return one ``GET /dapi/v1/trades`` row (``baseQty`` in the base asset)."""
        return {
            "id": t.trade_id,
            "price": m.price_str(t.price),
            "qty": m.qty_str(t.qty),
            "baseQty": self._base(m, t.qty, t.price),
            "time": t.time,
            "isBuyerMaker": t.buyer_is_maker,
        }

    def agg_trade_rest(self, m: Market, a: AggTrade) -> dict[str, Any]:
        """Return one ``GET /dapi/v1/aggTrades`` row."""
        row = super().agg_trade_rest(m, a)
        del row["nq"]
        return row

    def kline_rest(self, m: Market, k: Kline) -> list[Any]:
        """Return one ``GET /dapi/v1/klines`` row: volumes in contracts and in the base asset."""
        vwap = k.quote_volume / k.volume if k.volume else k.close
        buy_vwap = k.taker_buy_quote / k.taker_buy_volume if k.taker_buy_volume else k.close
        return [
            k.open_time,
            m.price_str(k.open),
            m.price_str(k.high),
            m.price_str(k.low),
            m.price_str(k.close),
            m.qty_str(k.volume),
            k.close_time,
            self._base(m, k.volume, vwap),
            k.count,
            m.qty_str(k.taker_buy_volume),
            self._base(m, k.taker_buy_volume, buy_vwap),
            "0",
        ]

    def ticker_rest(
        self,
        engine: Engine,
        symbol: str,
        now: int,
        *,
        window_ms: int = 86_400_000,
        mini: bool = False,
        rolling: bool = False,
        start: int | None = None,
        close: int | None = None,
    ) -> dict[str, Any]:
        """Return one ``GET /dapi/v1/ticker/24hr`` object (``pair``, ``baseVolume``)."""
        m = engine.market(symbol)
        fields = ticker_fields(engine, symbol, now, window_ms)
        stats = engine.ticker_stats(symbol, window_ms, now=now)
        row: dict[str, Any] = {"symbol": symbol, "pair": m.pair}
        row.update({REST_NAMES[k]: fields[k] for k in "pPwcQohlv"})
        row["baseVolume"] = self._base(m, stats.volume, stats.vwap or stats.last)
        row.update({REST_NAMES[k]: fields[k] for k in "OCFLn"})
        return row

    def book_ticker_rest(self, engine: Engine, symbol: str, now: int) -> dict[str, Any]:
        """Return one ``GET /dapi/v1/ticker/bookTicker`` object."""
        q = self._quotes(engine, symbol)
        return {
            "lastUpdateId": engine.update_id(symbol),
            "symbol": symbol,
            "pair": engine.market(symbol).pair,
            "bidPrice": q["b"],
            "bidQty": q["B"],
            "askPrice": q["a"],
            "askQty": q["A"],
            "time": now,
        }

    def ticker_price_rest(self, engine: Engine, symbol: str, now: int) -> dict[str, Any]:
        """Return one ``GET /dapi/v1/ticker/price`` object (``ps``: the pair)."""
        m = engine.market(symbol)
        return {
            "symbol": symbol,
            "ps": m.pair,
            "price": m.price_str(engine.last_price(symbol)),
            "time": now,
        }

    def premium_index_rest(self, m: Market, mp: MarkPrice) -> dict[str, Any]:
        """Return one ``GET /dapi/v1/premiumIndex`` object (with ``pair``)."""
        row = premium_index_rest(mp)
        return {"symbol": row.pop("symbol"), "pair": m.pair, **row}

    def funding_rate_rest(self, mp: MarkPrice) -> dict[str, Any]:
        """Return one ``GET /dapi/v1/fundingRate`` row."""
        return {
            "symbol": mp.symbol,
            "fundingTime": mp.time,
            "fundingRate": fmt(mp.funding_rate, 8),
        }

    def open_interest_rest(self, m: Market, oi: Decimal, now: int) -> dict[str, Any]:
        """Return ``GET /dapi/v1/openInterest``."""
        return {
            "symbol": m.symbol,
            "pair": m.pair,
            "openInterest": m.qty_str(oi),
            "contractType": "PERPETUAL",
            "time": now,
        }
