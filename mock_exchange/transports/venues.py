"""What differs between venues, as data: one row per market type.

Spot, USD-M and COIN-M serve the same kinds of things with different limits, weights, stream
grammar, update periods and payload shapes. Each :class:`VenueSpec` row holds those
differences (:data:`VENUE_SPECS`), so the transports look a venue up instead of branching on
``venue == "spot"``, and a new venue or market type (margin, portfolio margin) is a new row.
Weights and limits follow Binance's documentation (reference 3 and 8).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..engine.markets import Market, MarketKind, futures_exchange_info, spot_exchange_info
from .derivatives_payloads import CoinmPayloads, FuturesPayloads
from .payloads import Payloads
from .rules import RulesFamily

__all__ = ["VENUE_SPECS", "RestSpec", "StreamSpec", "Tiers", "VenueSpec", "tier"]

# (up to this limit or count, weight), ascending: the first row whose bound is not exceeded
Tiers = tuple[tuple[int, int], ...]
_ANY = 1 << 62


def tier(tiers: Tiers, value: int) -> int:
    """Return the weight of ``value`` in ``tiers``."""
    return next(weight for top, weight in tiers if value <= top)


@dataclass(frozen=True)
class RestSpec:
    """Market-data REST (and WS API) limits and weights of a venue."""

    exchange_info: Callable[[list[Market], int], dict[str, Any]]
    exchange_info_weight: int
    permissions_filter: bool  # exchangeInfo takes ``permissions``
    depth_default: int
    depth_max: int
    depth_steps: tuple[int, ...] | None  # a limit is rounded up to one of these
    depth_weights: Tiers
    trades_weight: int
    historical_trades_weight: int
    agg_trades_weight: int
    klines_max: int
    kline_weights: Tiers
    kline_time_zone: bool  # klines take ``timeZone``
    ticker_types: bool  # ticker/24hr takes ``type`` (FULL or MINI)
    ticker_24hr_one: int
    ticker_24hr_all: int
    ticker_24hr_named: Tiers  # weight by the number of ``symbols``
    ticker_price_weights: tuple[int, int]  # (one symbol, several)
    book_ticker_weights: tuple[int, int]
    premium_index_weights: tuple[int, int] = (1, 10)  # (one symbol, all)
    symbol_status: bool = False  # takes ``symbolStatus`` (spot, since 2025-10-28)
    single_as_list: bool = False  # one symbol is still answered with an array (COIN-M)


@dataclass(frozen=True)
class StreamSpec:
    """Market-stream grammar and update periods of a venue."""

    channels: frozenset[str]  # ``<symbol>@<channel>`` with no parameters
    depth_speeds: dict[str, str]  # ``@100ms`` suffix -> period in ms ("" = default)
    depth_periods: tuple[int, ...]
    mark_price: bool  # ``<symbol>@markPrice[@1s]``
    kline_offsets: tuple[tuple[str, ...], ...]  # accepted suffixes after ``kline_<i>``
    ticker_windows: tuple[str, ...]  # ``<symbol>@ticker_<w>`` and ``!ticker_<w>@arr``
    continuous_kline: bool
    all_market: dict[tuple[str, tuple[str, ...]], tuple[str, tuple[str, ...]]]  # ``!...``
    kline_period_ms: int
    symbol_ticker_period_ms: int
    all_book_ticker: bool  # bookTicker events also go to ``!bookTicker``


@dataclass(frozen=True)
class VenueSpec:
    """One venue: its weight limit, connection rules, REST, streams and payload shapes."""

    kind: MarketKind
    weight_limit: int  # REQUEST_WEIGHT per minute, shared by REST and the WS API
    rules_family: RulesFamily
    liquidations: bool  # the background flow includes liquidations
    rest: RestSpec
    streams: StreamSpec
    payloads: Payloads
    time_unit: bool = False  # serves timeUnit=MICROSECOND (spot only, reference 2.6)


_COMMON_CHANNELS = frozenset({"aggTrade", "miniTicker", "ticker", "bookTicker", "trade"})
_WINDOWS = ("1h", "4h", "1d")

_SPOT = VenueSpec(
    kind="spot",
    weight_limit=6000,
    rules_family="spot",
    liquidations=False,
    rest=RestSpec(
        exchange_info=spot_exchange_info,
        exchange_info_weight=20,
        permissions_filter=True,
        depth_default=100,
        depth_max=5000,
        depth_steps=None,
        depth_weights=((100, 5), (500, 25), (1000, 50), (5000, 250)),
        trades_weight=25,
        historical_trades_weight=25,
        agg_trades_weight=4,
        klines_max=1000,
        kline_weights=((_ANY, 2),),
        kline_time_zone=True,
        ticker_types=True,
        ticker_24hr_one=2,
        ticker_24hr_all=80,
        ticker_24hr_named=((20, 2), (100, 40), (_ANY, 80)),
        ticker_price_weights=(2, 4),
        book_ticker_weights=(2, 4),
        symbol_status=True,
    ),
    streams=StreamSpec(
        channels=_COMMON_CHANNELS | {"avgPrice"},
        depth_speeds={"": "1000", "100ms": "100", "1000ms": "1000"},
        depth_periods=(100, 1000),
        mark_price=False,
        kline_offsets=((), ("+08:00",)),
        ticker_windows=_WINDOWS,
        continuous_kline=False,
        all_market={
            ("miniTicker", ("arr",)): ("miniTicker", ("arr",)),
            **{(f"ticker_{w}", ("arr",)): ("ticker", (w, "arr")) for w in _WINDOWS},
        },
        kline_period_ms=2000,
        symbol_ticker_period_ms=1000,
        all_book_ticker=False,
    ),
    payloads=Payloads(),
    time_unit=True,
)


def _futures(kind: MarketKind) -> VenueSpec:
    coinm = kind == "coinm"
    return VenueSpec(
        kind=kind,
        weight_limit=2400,
        rules_family="futures",
        liquidations=True,
        rest=RestSpec(
            exchange_info=lambda markets, now: futures_exchange_info(markets, now, kind),
            exchange_info_weight=1,
            permissions_filter=False,
            depth_default=500,
            depth_max=1000,
            depth_steps=(5, 10, 20, 50, 100, 500, 1000),
            depth_weights=((50, 2), (100, 5), (500, 10), (1000, 20)),
            trades_weight=5,
            historical_trades_weight=20,
            agg_trades_weight=20,
            klines_max=1500,
            kline_weights=((99, 1), (499, 2), (1000, 5), (_ANY, 10)),
            kline_time_zone=False,
            ticker_types=False,
            ticker_24hr_one=1,
            ticker_24hr_all=40,
            ticker_24hr_named=((_ANY, 40),),
            ticker_price_weights=(1, 2),
            book_ticker_weights=(2, 5),
            premium_index_weights=(10, 10) if coinm else (1, 10),
            single_as_list=coinm,
        ),
        streams=StreamSpec(
            channels=_COMMON_CHANNELS | {"forceOrder"},
            depth_speeds={"": "250", "100ms": "100", "250ms": "250", "500ms": "500"},
            depth_periods=(100, 250, 500),
            mark_price=True,
            kline_offsets=((),),
            ticker_windows=(),
            continuous_kline=True,
            all_market={
                ("miniTicker", ("arr",)): ("miniTicker", ("arr",)),
                ("ticker", ("arr",)): ("ticker", ("arr",)),
                ("markPrice", ("arr",)): ("markPrice", ("arr",)),
                ("markPrice", ("arr", "1s")): ("markPrice", ("arr", "1s")),
                ("forceOrder", ("arr",)): ("forceOrder", ("arr",)),
                ("bookTicker", ()): ("bookTicker", ("arr",)),
            },
            kline_period_ms=250,
            symbol_ticker_period_ms=500,
            all_book_ticker=True,
        ),
        payloads=CoinmPayloads() if coinm else FuturesPayloads(),
    )


VENUE_SPECS: dict[MarketKind, VenueSpec] = {
    "spot": _SPOT,
    "usdm": _futures("usdm"),
    "coinm": _futures("coinm"),
}
