"""Futures-only market-data queries (USD-M ``/fapi``, COIN-M ``/dapi``).

Premium index and funding (:mod:`mock_exchange.engine.derivatives`), open interest, and the
klines that are not trade klines: continuous-contract klines (the perpetual's own), and mark,
index and premium-index price klines, built from the one-second samples the venue keeps (and,
before the start, from the history). COIN-M takes ``pair`` where USD-M takes ``symbol`` for
the index klines, and answers arrays even for one symbol.
"""

from __future__ import annotations

from typing import Any

from ..engine.derivatives import FUNDING_CAP, FUNDING_INTERVAL_MS
from ..engine.markets import Market, fmt
from ..errors import ExchangeError
from .derivatives_payloads import FuturesPayloads, price_kline_rest
from .market_data import Query, klines, weighted
from .params import invalid
from .venues import tier

__all__ = [
    "CONTRACT_TYPES",
    "continuous_klines",
    "funding_info",
    "funding_rate",
    "index_price_klines",
    "mark_price_klines",
    "open_interest",
    "premium_index",
    "premium_index_klines",
]

CONTRACT_TYPES = ("PERPETUAL", "CURRENT_QUARTER", "NEXT_QUARTER", "TRADIFI_PERPETUAL")


def _style(q: Query) -> FuturesPayloads:
    style = q.style
    assert isinstance(style, FuturesPayloads)
    return style


def _premium_weight(q: Query) -> int:
    one, every = q.spec.premium_index_weights
    return one if q.params.has("symbol") else every


@weighted(_premium_weight)
def premium_index(q: Query) -> Any:
    """``GET /fapi/v1/premiumIndex``, ``/dapi/v1/premiumIndex``: mark, index and funding."""
    if q.params.has("pair") and q.spec.single_as_list:
        pair = (q.params.text("pair") or "").upper()
        names = sorted(s for s, m in q.engine.markets.items() if m.pair == pair)
        single = False
    else:
        names, single = q.symbols_or_all()
    rows = [
        _style(q).premium_index_rest(q.engine.market(s), q.exchange.mark(q.venue, s, q.now))
        for s in names
    ]
    return rows[0] if single and not q.spec.single_as_list else rows


@weighted(1)
def funding_rate(q: Query) -> Any:
    """``GET /fapi/v1/fundingRate``, ``/dapi/v1/fundingRate`` (symbol required): settlements."""
    symbol = None
    if q.params.has("symbol") or q.spec.single_as_list:
        symbol = q.symbol()
    limit = q.params.limit(100, 1000)
    start = q.params.time("startTime")
    end = q.params.time("endTime")
    rows = q.exchange.funding[q.venue].rows(symbol)
    if start is not None:
        rows = [r for r in rows if r.time >= start and (end is None or r.time <= end)][:limit]
    else:
        if end is not None:
            rows = [r for r in rows if r.time <= end]
        rows = rows[-limit:]
    return [_style(q).funding_rate_rest(r) for r in rows]


@weighted(0)
def funding_info(q: Query) -> Any:
    """``GET /fapi/v1/fundingInfo``, ``/dapi/v1/fundingInfo``: each perpetual's cap, interval."""
    return [
        {
            "symbol": s,
            "adjustedFundingRateCap": fmt(FUNDING_CAP, 8),
            "adjustedFundingRateFloor": fmt(-FUNDING_CAP, 8),
            "fundingIntervalHours": FUNDING_INTERVAL_MS // 3_600_000,
            "disclaimer": False,
        }
        for s in sorted(q.engine.markets)
    ]


@weighted(1)
def open_interest(q: Query) -> Any:
    """``GET /fapi/v1/openInterest``, ``/dapi/v1/openInterest``."""
    m = q.market()
    oi = q.exchange.derivatives[q.venue].open_interest(m.symbol)
    return _style(q).open_interest_rest(m, oi, q.now)


def _kline_weight(q: Query) -> int:
    return tier(q.spec.kline_weights, q.params.soft_limit(500, q.spec.klines_max))


def _by_pair(q: Query) -> Market:
    pair = (q.params.text("pair", required=True) or "").upper()
    for m in sorted(q.engine.markets.values(), key=lambda m: m.symbol):
        if m.pair == pair:
            return m
    raise ExchangeError(-1121, "Invalid symbol.")


@weighted(_kline_weight)
def continuous_klines(q: Query) -> Any:
    """``GET /fapi/v1/continuousKlines``, ``/dapi/v1/continuousKlines`` (pair, contractType).

    Only perpetuals are listed, so other contract types have no klines.
    """
    m = _by_pair(q)
    kind = q.params.text("contractType", required=True)
    if kind not in CONTRACT_TYPES:
        raise invalid("contractType")
    if kind != "PERPETUAL":
        q.interval()
        return []
    inner = Query(
        q.venue, q.exchange, type(q.params)({**q.params.values, "symbol": m.symbol}), q.now
    )
    return klines(inner)[0]


def _price_klines(q: Query, m: Market, series: str) -> Any:
    interval = q.interval()
    if interval == "1s":
        raise ExchangeError(-1120, "Invalid interval.")
    bars = (
        q.exchange.derivatives[q.venue]
        .price_bars(m.symbol, series)
        .klines(
            interval,
            q.now,
            start_time=q.params.time("startTime"),
            end_time=q.params.time("endTime"),
            limit=q.params.limit(500, q.spec.klines_max),
        )
    )
    return [price_kline_rest(b) for b in bars]


@weighted(_kline_weight)
def mark_price_klines(q: Query) -> Any:
    """``GET /fapi/v1/markPriceKlines``, ``/dapi/v1/markPriceKlines`` (symbol)."""
    return _price_klines(q, q.market(), "mark")


@weighted(_kline_weight)
def index_price_klines(q: Query) -> Any:
    """``GET /fapi/v1/indexPriceKlines``, ``/dapi/v1/indexPriceKlines`` (pair)."""
    return _price_klines(q, _by_pair(q), "index")


@weighted(_kline_weight)
def premium_index_klines(q: Query) -> Any:
    """``GET /fapi/v1/premiumIndexKlines``, ``/dapi/v1/premiumIndexKlines`` (symbol)."""
    return _price_klines(q, q.market(), "premium")
