"""Ticker queries shared by REST and the WS API: price, book, 24 h, rolling window, trading day.

One symbol is answered with an object and several (or all) with an array, except on COIN-M,
which answers arrays even for one symbol and takes ``pair`` as well as ``symbol``. The rolling
and trading-day tickers open on a whole minute (rolling: ``openTime`` is the minute of ``now -
windowSize``; trading day: midnight in ``timeZone``, ``closeTime`` the day's last millisecond),
as Binance documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..engine.tape import DAY_MS
from ..errors import ExchangeError
from .market_data import Query, tz_offset, weighted
from .params import either_mandatory, invalid
from .venues import tier

__all__ = [
    "book_ticker",
    "parse_window",
    "ticker_24hr",
    "ticker_price",
    "ticker_trading_day",
    "ticker_window",
]

_MAX_SYMBOLS = 100  # rolling-window and trading-day tickers


def _names(q: Query) -> tuple[list[str], bool]:
    """Return the symbols asked for (``pair`` on COIN-M) and whether one symbol was named."""
    if q.spec.single_as_list and q.params.has("pair"):
        if q.params.has("symbol"):
            raise ExchangeError(-1128, "Combination of optional parameters invalid.")
        pair = (q.params.text("pair") or "").upper()
        names = sorted(s for s, m in q.engine.markets.items() if m.pair == pair)
        if not names:
            raise ExchangeError(-1121, "Invalid symbol.")
        return names, False
    return q.symbols_or_all()


def _answer(q: Query, row: Callable[[str], dict[str, Any]]) -> Any:
    names, single = _names(q)
    if single and not q.spec.single_as_list:
        return row(names[0])
    return [row(s) for s in names]


def _by_count(q: Query, one: int, many: int) -> int:
    return one if q.params.has("symbol") else many


@weighted(lambda q: _by_count(q, *q.spec.ticker_price_weights))
def ticker_price(q: Query) -> Any:
    """``GET /api/v3/ticker/price``, ``/fapi/v1|v2/ticker/price``, ``/dapi/v1/ticker/price``."""
    return _answer(q, lambda s: q.style.ticker_price_rest(q.engine, s, q.now))


@weighted(lambda q: _by_count(q, *q.spec.book_ticker_weights))
def book_ticker(q: Query) -> Any:
    """``GET /api/v3/ticker/bookTicker`` (and futures); WS API ``ticker.book``."""
    return _answer(q, lambda s: q.style.book_ticker_rest(q.engine, s, q.now))


def _mini(q: Query) -> bool:
    kind = q.params.text("type") or "FULL"
    if kind not in ("FULL", "MINI"):
        raise ExchangeError(-1139, "Invalid ticker type.")
    return kind == "MINI"


def _weight_24hr(q: Query) -> int:
    spec = q.spec
    if q.params.has("symbol"):
        return spec.ticker_24hr_one
    named = q.params.count_symbols()
    return spec.ticker_24hr_all if named is None else tier(spec.ticker_24hr_named, named)


@weighted(_weight_24hr)
def ticker_24hr(q: Query) -> Any:
    """``GET /api/v3/ticker/24hr`` (FULL/MINI), ``/fapi/v1``, ``/dapi/v1``; WS ``ticker.24hr``."""
    mini = _mini(q) if q.spec.ticker_types else False
    return _answer(q, lambda s: q.style.ticker_rest(q.engine, s, q.now, mini=mini))


_WINDOW = re.compile(r"^([1-9]\d?)([mhd])$")
_WINDOW_UNITS = {"m": (60_000, 59), "h": (3_600_000, 23), "d": (86_400_000, 7)}


def parse_window(text: str) -> int:
    """Return the length in ms of a rolling-window size (``1m``..``59m``, ``1h``..``23h``,
    ``1d``..``7d``).

    Raises:
        ExchangeError: -1130 for anything else.
    """
    match = _WINDOW.match(text)
    if match is not None:
        unit_ms, top = _WINDOW_UNITS[match.group(2)]
        if int(match.group(1)) <= top:
            return int(match.group(1)) * unit_ms
    raise invalid("windowSize")


def _per_symbol_weight(q: Query) -> int:
    """4 a symbol, 200 once more than 50 symbols are asked for."""
    count = 1 if q.params.has("symbol") else (q.params.count_symbols() or 1)
    return min(4 * count, 200)


def _named(q: Query) -> tuple[list[str], bool]:
    if not q.params.has("symbol") and not q.params.has("symbols"):
        raise either_mandatory("symbol", "symbols")
    names, single = q.symbols_or_all()
    if len(names) > _MAX_SYMBOLS:
        raise ExchangeError(
            -1101, f"Too many parameters; expected '{_MAX_SYMBOLS}' and received '{len(names)}'."
        )
    return names, single


@weighted(_per_symbol_weight)
def ticker_window(q: Query) -> Any:
    """``GET /api/v3/ticker`` (rolling window, ``openTime`` on a minute); WS API ``ticker``."""
    names, single = _named(q)
    window = parse_window(q.params.text("windowSize") or "1d")
    mini = _mini(q)

    def row(symbol: str) -> dict[str, Any]:
        return q.style.ticker_rest(
            q.engine, symbol, q.now, window_ms=window, mini=mini, rolling=True
        )

    return row(names[0]) if single else [row(s) for s in names]


@weighted(_per_symbol_weight)
def ticker_trading_day(q: Query) -> Any:
    """``GET /api/v3/ticker/tradingDay``; WS API ``ticker.tradingDay``.

    Statistics from midnight in ``timeZone`` (default UTC) to now; ``closeTime`` is the end of
    that day.
    """
    names, single = _named(q)
    offset = tz_offset(q)
    mini = _mini(q)
    local = q.now + offset
    start = local - local % DAY_MS - offset

    def row(symbol: str) -> dict[str, Any]:
        return q.style.ticker_rest(
            q.engine, symbol, q.now, mini=mini, start=start, close=start + DAY_MS - 1
        )

    return row(names[0]) if single else [row(s) for s in names]
