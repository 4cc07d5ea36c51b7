"""Parsers from Binance payloads to unified structures (pure functions of their input).

Numbers arrive as JSON strings; derived fields (cost, change, average, vwap) are computed with
``Decimal`` from those strings, as CCXT's string arithmetic does, and converted to float last.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from ..types import OHLCV, Liquidation, Market, MarketId, OrderBook, Symbol, Ticker, Trade
from .numbers import dec as _dec
from .numbers import flt as _f
from .numbers import nonzero as _nz

__all__ = [
    "PERPETUAL_DELIVERY",
    "iso8601",
    "parse_bid_ask",
    "parse_liquidation",
    "parse_mark_price",
    "parse_market",
    "parse_ohlcv",
    "parse_order_book",
    "parse_ticker",
    "parse_trade",
    "to_float",
]

PERPETUAL_DELIVERY = 4133404800000
"""The ``deliveryDate`` Binance gives perpetual contracts (2100-12-25)."""


def to_float(value: Any) -> float | None:
    """Return ``value`` as a float, or None when absent or not a number."""
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@lru_cache(maxsize=1024)
def _iso_second(sec: int) -> str:
    return datetime.fromtimestamp(sec, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.")


_last_iso: list[Any] = [None, None]


def iso8601(ms: int | None) -> str | None:
    """Format epoch milliseconds as CCXT does: ``2026-01-01T00:00:00.000Z``."""
    if ms is None:
        return None
    last = _last_iso
    if ms == last[0]:  # a burst of events shares its millisecond
        return last[1]  # type: ignore[no-any-return]
    sec, milli = divmod(ms, 1000)
    text = f"{_iso_second(sec)}{milli:03d}Z"
    last[0], last[1] = ms, text
    return text


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float | str):
        try:
            return int(value)
        except ValueError:
            return None
    return None


def _filter(info: dict[str, Any], name: str) -> dict[str, Any]:
    for f in info.get("filters", []):
        if isinstance(f, dict) and f.get("filterType") == name:
            return f
    return {}


def _yymmdd(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%y%m%d")


def parse_market(info: dict[str, Any], kind: str = "spot") -> Market:
    """Parse one ``exchangeInfo.symbols[]`` entry.

    Args:
        info: the entry of ``GET /api/v3/exchangeInfo``, ``/fapi/v1/exchangeInfo`` or
            ``/dapi/v1/exchangeInfo``.
        kind: ``spot``, ``future`` (USD-M) or ``delivery`` (COIN-M).

    Symbols follow CCXT: ``BTC/USDT`` spot, ``BTC/USDT:USDT`` USD-M perpetual,
    ``BTC/USD:BTC`` COIN-M perpetual, and ``-YYMMDD`` appended for dated contracts.
    """
    base, quote = str(info["baseAsset"]), str(info["quoteAsset"])
    price_f, lot_f = _filter(info, "PRICE_FILTER"), _filter(info, "LOT_SIZE")
    notional = _filter(info, "NOTIONAL") or _filter(info, "MIN_NOTIONAL")
    contract = kind in ("future", "delivery")
    settle = str(info.get("marginAsset", quote if kind == "future" else base)) if contract else None
    symbol = f"{base}/{quote}"
    swap = future = False
    expiry: int | None = None
    if contract:
        symbol += f":{settle}"
        delivery = _int(info.get("deliveryDate"))
        if info.get("contractType") == "PERPETUAL" or delivery in (None, PERPETUAL_DELIVERY):
            swap = True
        else:
            future = True
            expiry = delivery
            assert delivery is not None
            symbol += f"-{_yymmdd(delivery)}"
    status = info.get("status", info.get("contractStatus"))
    size = to_float(info.get("contractSize", 1)) if contract else None
    return Market(
        id=MarketId(str(info["symbol"])),
        symbol=Symbol(symbol),
        base=base,
        quote=quote,
        settle=settle,
        type="spot" if not contract else ("swap" if swap else "future"),
        spot=not contract,
        swap=swap,
        future=future,
        contract=contract,
        linear=(kind == "future") if contract else None,
        inverse=(kind == "delivery") if contract else None,
        contractSize=size,
        expiry=expiry,
        active=status == "TRADING",
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
                "min": to_float(notional.get("minNotional", notional.get("notional"))),
                "max": to_float(notional.get("maxNotional")),
            },
        },
        info=info,
    )


def _tick_digits(market: Market | None) -> int:
    tick = market["info"].get("filters") if market else None
    if not tick or market is None:
        return 18
    size = _dec(_filter(market["info"], "PRICE_FILTER").get("tickSize"))
    if size is None or size <= 0:
        return 18
    exp = size.normalize().as_tuple().exponent
    return max(0, -exp) if isinstance(exp, int) else 18


def _unified_ticker(
    raw: dict[str, Any],
    symbol: Symbol,
    market: Market | None,
    *,
    timestamp: int | None,
    open_: Decimal | None,
    close: Decimal | None,
    base_volume: Decimal | None,
    quote_volume: Decimal | None,
    vwap: Decimal | None = None,
    change: Decimal | None = None,
    percentage: Decimal | None = None,
    high: Any = None,
    low: Any = None,
    bid: Any = None,
    bid_volume: Any = None,
    ask: Any = None,
    ask_volume: Any = None,
    previous_close: Any = None,
    mark: Any = None,
    index: Any = None,
) -> Ticker:
    """Build a Ticker and derive the missing fields the way CCXT's ``safe_ticker`` does."""
    open_, close, percentage = _nz(open_), _nz(close), _nz(percentage)
    if vwap is None and _nz(quote_volume) is not None and base_volume:
        vwap = quote_volume / base_volume  # type: ignore[operator]
    if change is not None and open_ is None and close is not None:
        open_ = close - change
    if change is None and close is not None and open_ is not None:
        change = close - open_
    average: Decimal | None = None
    if open_ is not None:
        if percentage is None and change is not None:
            percentage = change / open_ * 100
        if close is not None:
            q = Decimal(1).scaleb(-_tick_digits(market))
            average = ((open_ + close) / 2).quantize(q, rounding=ROUND_DOWN).normalize()
    return Ticker(
        symbol=symbol,
        timestamp=timestamp,
        datetime=iso8601(timestamp),
        high=_f(_nz(_dec(high))),
        low=_f(_nz(_dec(low))),
        bid=_f(_nz(_dec(bid))),
        bidVolume=to_float(bid_volume),
        ask=_f(_nz(_dec(ask))),
        askVolume=to_float(ask_volume),
        vwap=_f(vwap),
        open=_f(open_),
        close=_f(close),
        last=_f(close),
        previousClose=to_float(previous_close),
        change=_f(change),
        percentage=_f(percentage),
        average=_f(average),
        baseVolume=_f(base_volume),
        quoteVolume=_f(quote_volume),
        markPrice=to_float(mark),
        indexPrice=to_float(index),
        info=raw,
    )


def parse_ticker(raw: dict[str, Any], symbol: Symbol, market: Market | None = None) -> Ticker:
    """Parse a ``24hrTicker``/``24hrMiniTicker``/``<w>Ticker`` event or a REST/WS-API ticker.

    The timestamp is the window close time ``C`` (``closeTime``), else the event time ``E``
    (``time`` for ``ticker.price``/``ticker.book``), as CCXT reports it. On COIN-M, ``v`` counts
    contracts and ``q`` the base asset; the unified volumes are base and quote.
    """

    def pick(short: str, long: str) -> Any:
        return raw.get(short, raw.get(long))

    ts = _int(raw.get("C", raw.get("closeTime", raw.get("E", raw.get("time")))))
    base_v, quote_v = _dec(pick("v", "volume")), _dec(pick("q", "quoteVolume"))
    vwap = _dec(pick("w", "weightedAvgPrice"))
    if market is not None and market["inverse"]:
        contracts, base_v = base_v, quote_v
        if vwap is None:
            size = _dec(market["contractSize"])
            quote_v = contracts * size if contracts is not None and size is not None else None
        else:
            quote_v = base_v * vwap if base_v is not None else None
    return _unified_ticker(
        raw,
        symbol,
        market,
        timestamp=ts,
        open_=_dec(pick("o", "openPrice")),
        close=_dec(raw.get("c", raw.get("lastPrice", raw.get("price")))),
        base_volume=base_v,
        quote_volume=quote_v,
        vwap=vwap,
        change=_dec(pick("p", "priceChange")),
        percentage=_dec(pick("P", "priceChangePercent")),
        high=pick("h", "highPrice"),
        low=pick("l", "lowPrice"),
        bid=pick("b", "bidPrice"),
        bid_volume=pick("B", "bidQty"),
        ask=pick("a", "askPrice"),
        ask_volume=pick("A", "askQty"),
        previous_close=pick("x", "prevClosePrice"),
    )


def parse_bid_ask(raw: dict[str, Any], symbol: Symbol, market: Market | None = None) -> Ticker:
    """Parse a ``bookTicker`` event (spot has no ``E``, so its timestamp is None)."""
    ts = _int(raw.get("E", raw.get("time")))
    return _unified_ticker(
        raw,
        symbol,
        market,
        timestamp=ts,
        open_=None,
        close=None,
        base_volume=None,
        quote_volume=None,
        bid=raw.get("b", raw.get("bidPrice")),
        bid_volume=raw.get("B", raw.get("bidQty")),
        ask=raw.get("a", raw.get("askPrice")),
        ask_volume=raw.get("A", raw.get("askQty")),
    )


def parse_mark_price(raw: dict[str, Any], symbol: Symbol, market: Market | None = None) -> Ticker:
    """Parse a ``markPriceUpdate`` event: ``markPrice`` from ``p``, ``indexPrice`` from ``i``.

    The funding rate ``r`` and next funding time ``T`` stay in ``info``.
    """
    return _unified_ticker(
        raw,
        symbol,
        market,
        timestamp=_int(raw.get("E")),
        open_=None,
        close=None,
        base_volume=None,
        quote_volume=None,
        mark=raw.get("p"),
        index=raw.get("i"),
    )


_POW10 = tuple(10**i for i in range(40))
_PRICES: dict[Any, tuple[float, int, int]] = {}
_PRICES_LIMIT = 4096


def _decimal_parts(text: Any) -> tuple[float, int, int]:
    """Return ``(float, mantissa, scale)`` of a plain decimal string: its exact value is
    ``mantissa / 10**scale``, and the float is that quotient correctly rounded (as
    ``float(text)`` is). Raises ValueError, TypeError or AttributeError for anything else.

    Trailing zeros of the fraction are dropped (Binance writes eight decimals): the mantissas
    stay below 2**53, where Python divides two ints as doubles (exact operands, one correctly
    rounded division) instead of by its slower long-division path, for the cost's product too.
    """
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0")
    mantissa = int(whole + frac)
    scale = len(frac)
    return mantissa / _POW10[scale], mantissa, scale


def _price_amount_cost(p: Any, q: Any) -> tuple[float | None, float | None, float | None]:
    """Return price, amount and their exact product as floats (``None`` where absent).

    The product is exact: the integer product of the mantissas over a power of ten, which
    Python's int division rounds correctly, the same float ccxt gets from its string
    arithmetic. Prices repeat from trade to trade, so their parts are cached (bounded).
    """
    try:
        parts = _PRICES.get(p)
        if parts is None:
            parts = _decimal_parts(p)
            if len(_PRICES) >= _PRICES_LIMIT:
                _PRICES.clear()
            _PRICES[p] = parts
        price, pm, ps = parts
        amount, qm, qs = _decimal_parts(q)
        return price, amount, pm * qm / _POW10[ps + qs]
    except (TypeError, ValueError, AttributeError, IndexError):
        pass
    try:
        price_d, amount_d = Decimal(p), Decimal(q)
        return float(price_d), float(amount_d), float(price_d * amount_d)
    except (TypeError, ValueError, InvalidOperation):
        return to_float(p), to_float(q), None


def parse_trade(raw: dict[str, Any], symbol: Symbol) -> Trade:
    """Parse a ``trade``/``aggTrade`` event or a REST/WS-API trade (``trades.recent``).

    ``m`` (buyer is maker) true means the taker sold. The id is ``t`` (trade) or ``a``
    (aggregate trade); cost is price times amount, computed exactly from the strings.
    """
    e = raw.get("e")
    if e == "trade" or e == "aggTrade":  # stream events: fixed short keys (the hot path)
        tid: Any = raw["a"] if e == "aggTrade" else raw["t"]
        ts, p, q, maker = raw.get("T"), raw.get("p"), raw.get("q"), raw.get("m")
    else:
        tid = raw.get("t", raw.get("id")) if "a" not in raw or "t" in raw else raw.get("a")
        ts = raw.get("T", raw.get("time"))
        p, q = raw.get("p", raw.get("price")), raw.get("q", raw.get("qty"))
        maker = raw.get("m", raw.get("isBuyerMaker"))
    ts = ts if type(ts) is int else _int(ts)
    price, amount, cost = _price_amount_cost(p, q)
    return {
        "info": raw,
        "timestamp": ts,
        "datetime": iso8601(ts),
        "symbol": symbol,
        "id": None if tid is None else str(tid),
        "order": None,
        "type": None,
        "side": None if maker is None else ("sell" if maker else "buy"),
        "takerOrMaker": None,
        "price": price,
        "amount": amount,
        "cost": cost,
        "fee": {"cost": None, "currency": None},
        "fees": [],
    }


def parse_ohlcv(raw: dict[str, Any] | list[Any]) -> OHLCV:
    """Parse a ``kline`` event (its ``k`` object) or a REST/WS-API kline array."""
    if isinstance(raw, list):
        return [_int(raw[0]), *(to_float(v) for v in raw[1:6])]
    k = raw.get("k", raw)
    return [
        _int(k.get("t")),
        to_float(k.get("o")),
        to_float(k.get("h")),
        to_float(k.get("l")),
        to_float(k.get("c")),
        to_float(k.get("v")),
    ]


def parse_order_book(raw: dict[str, Any], symbol: Symbol, limit: int | None = None) -> OrderBook:
    """Parse a depth snapshot (``GET /api/v3/depth``, ``/fapi/v1/depth``, WS-API ``depth``).

    Bids are sorted high to low and asks low to high; ``nonce`` is ``lastUpdateId``; the
    timestamp is the futures transaction time ``T`` (spot snapshots have none).
    """
    ts = _int(raw.get("T", raw.get("E")))
    bids = sorted(([float(p), float(q)] for p, q in raw.get("bids", [])), reverse=True)
    asks = sorted([float(p), float(q)] for p, q in raw.get("asks", []))
    if limit is not None:
        bids, asks = bids[:limit], asks[:limit]
    return OrderBook(
        symbol=symbol,
        bids=bids,
        asks=asks,
        timestamp=ts,
        datetime=iso8601(ts),
        nonce=_int(raw.get("lastUpdateId")),
    )


def parse_liquidation(raw: dict[str, Any], symbol: Symbol, market: Market | None) -> Liquidation:
    """Parse a ``forceOrder`` event's order ``o``: contracts ``l``, price ``ap``, side ``S``."""
    o = raw.get("o", raw)
    ts = _int(o.get("T"))
    side = o.get("S")
    return Liquidation(
        info=o,
        symbol=symbol,
        contracts=to_float(o.get("l")),
        contractSize=market["contractSize"] if market else None,
        price=to_float(o.get("ap")),
        side=side.lower() if isinstance(side, str) else None,
        baseValue=None,
        quoteValue=None,
        timestamp=ts,
        datetime=iso8601(ts),
    )
