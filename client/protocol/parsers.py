"""Parsers from Binance payloads to unified structures (pure functions of their input)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..types import Market, MarketId, Symbol, Ticker

__all__ = ["iso8601", "parse_market", "parse_ticker", "to_float"]


def to_float(value: Any) -> float | None:
    """Return ``value`` as a float, or None when absent or not a number."""
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def iso8601(ms: int | None) -> str | None:
    """Format epoch milliseconds as CCXT does: ``2026-01-01T00:00:00.000Z``."""
    if ms is None:
        return None
    dt = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _filter(info: dict[str, Any], name: str) -> dict[str, Any]:
    for f in info.get("filters", []):
        if isinstance(f, dict) and f.get("filterType") == name:
            return f
    return {}


def parse_market(info: dict[str, Any], kind: str = "spot") -> Market:
    """Parse one ``exchangeInfo.symbols[]`` entry of a spot market."""
    base, quote = str(info["baseAsset"]), str(info["quoteAsset"])
    price_f, lot_f = _filter(info, "PRICE_FILTER"), _filter(info, "LOT_SIZE")
    notional = _filter(info, "NOTIONAL") or _filter(info, "MIN_NOTIONAL")
    return Market(
        id=MarketId(str(info["symbol"])),
        symbol=Symbol(f"{base}/{quote}"),
        base=base,
        quote=quote,
        settle=None,
        type=kind,
        spot=kind == "spot",
        swap=False,
        future=False,
        linear=None,
        inverse=None,
        active=info.get("status") == "TRADING",
        precision={
            "amount": to_float(lot_f.get("stepSize")),
            "price": to_float(price_f.get("tickSize")),
        },
        limits={
            "amount": {"min": to_float(lot_f.get("minQty")), "max": to_float(lot_f.get("maxQty"))},
            "price": {
                "min": to_float(price_f.get("minPrice")),
                "max": to_float(price_f.get("maxPrice")),
            },
            "cost": {
                "min": to_float(notional.get("minNotional")),
                "max": to_float(notional.get("maxNotional")),
            },
        },
        info=info,
    )


def parse_ticker(raw: dict[str, Any], symbol: Symbol) -> Ticker:
    """Parse a ``24hrTicker`` stream event (or the REST ``ticker/24hr`` object) into a Ticker.

    The timestamp is the window close time ``C`` (``closeTime``), as CCXT reports it.
    """

    def pick(short: str, long: str) -> Any:
        return raw.get(short, raw.get(long))

    ts = pick("C", "closeTime")
    timestamp = int(ts) if isinstance(ts, int | float) else None
    last = to_float(pick("c", "lastPrice"))
    open_ = to_float(pick("o", "openPrice"))
    average = (open_ + last) / 2 if open_ is not None and last is not None else None
    return Ticker(
        symbol=symbol,
        timestamp=timestamp,
        datetime=iso8601(timestamp),
        high=to_float(pick("h", "highPrice")),
        low=to_float(pick("l", "lowPrice")),
        bid=to_float(pick("b", "bidPrice")),
        bidVolume=to_float(pick("B", "bidQty")),
        ask=to_float(pick("a", "askPrice")),
        askVolume=to_float(pick("A", "askQty")),
        vwap=to_float(pick("w", "weightedAvgPrice")),
        open=open_,
        close=last,
        last=last,
        previousClose=to_float(pick("x", "prevClosePrice")),
        change=to_float(pick("p", "priceChange")),
        percentage=to_float(pick("P", "priceChangePercent")),
        average=average,
        baseVolume=to_float(pick("v", "volume")),
        quoteVolume=to_float(pick("q", "quoteVolume")),
        markPrice=None,
        indexPrice=None,
        info=raw,
    )
