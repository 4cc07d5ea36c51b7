"""Market definitions and the ``exchangeInfo`` documents built from them.

A :class:`Market` holds what the matching engine enforces (tick, step, bounds, notional) and
what ``exchangeInfo`` publishes. The default set mirrors real Binance symbols; a YAML or dict
config can replace or extend it (:func:`markets_from_config`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Literal

__all__ = [
    "DEFAULT_MARKETS",
    "SPOT_ORDER_TYPES",
    "SPOT_RATE_LIMITS",
    "Market",
    "MarketKind",
    "fmt",
    "markets_from_config",
    "spot_exchange_info",
    "spot_symbol_info",
]

MarketKind = Literal["spot", "usdm", "coinm"]

SPOT_ORDER_TYPES = [
    "LIMIT",
    "LIMIT_MAKER",
    "MARKET",
    "STOP_LOSS",
    "STOP_LOSS_LIMIT",
    "TAKE_PROFIT",
    "TAKE_PROFIT_LIMIT",
]

SPOT_RATE_LIMITS: list[dict[str, Any]] = [
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
    {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
    {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 300000},
]


def fmt(value: Decimal, places: int) -> str:
    """Format a decimal the way Binance does: fixed point, exactly ``places`` decimals."""
    quantum = Decimal(1).scaleb(-places)
    return f"{value.quantize(quantum):f}"


@dataclass(frozen=True)
class Market:
    """One tradable symbol with its filters; all numbers are exact decimals."""

    symbol: str
    base: str
    quote: str
    kind: MarketKind = "spot"
    tick_size: Decimal = Decimal("0.01")
    min_price: Decimal = Decimal("0.01")
    max_price: Decimal = Decimal("1000000")
    step_size: Decimal = Decimal("0.00001")
    min_qty: Decimal = Decimal("0.00001")
    max_qty: Decimal = Decimal("9000")
    market_max_qty: Decimal = Decimal("100")
    min_notional: Decimal = Decimal("5")
    max_notional: Decimal = Decimal("9000000")
    base_precision: int = 8
    quote_precision: int = 8
    initial_price: Decimal = Decimal("100")
    status: str = "TRADING"
    order_types: tuple[str, ...] = field(default_factory=lambda: tuple(SPOT_ORDER_TYPES))

    def round_price(self, price: Decimal) -> Decimal:
        """Round ``price`` down to the tick size."""
        return (price / self.tick_size).to_integral_value(rounding="ROUND_FLOOR") * self.tick_size

    def round_qty(self, qty: Decimal) -> Decimal:
        """Round ``qty`` down to the step size."""
        return (qty / self.step_size).to_integral_value(rounding="ROUND_FLOOR") * self.step_size

    def price_str(self, price: Decimal) -> str:
        """Format a price with the quote precision, as spot payloads do."""
        return fmt(price, self.quote_precision)

    def qty_str(self, qty: Decimal) -> str:
        """Format a quantity with the base precision, as spot payloads do."""
        return fmt(qty, self.base_precision)


def _spot(symbol: str, base: str, quote: str, **kw: Any) -> Market:
    return Market(symbol=symbol, base=base, quote=quote, **kw)


DEFAULT_MARKETS: tuple[Market, ...] = (
    _spot("BTCUSDT", "BTC", "USDT", initial_price=Decimal("90000.00")),
    _spot(
        "ETHUSDT",
        "ETH",
        "USDT",
        step_size=Decimal("0.0001"),
        min_qty=Decimal("0.0001"),
        initial_price=Decimal("3000.00"),
    ),
    _spot(
        "BNBUSDT",
        "BNB",
        "USDT",
        step_size=Decimal("0.001"),
        min_qty=Decimal("0.001"),
        initial_price=Decimal("900.00"),
    ),
    _spot(
        "ETHBTC",
        "ETH",
        "BTC",
        tick_size=Decimal("0.00001"),
        min_price=Decimal("0.00001"),
        max_price=Decimal("922327"),
        step_size=Decimal("0.0001"),
        min_qty=Decimal("0.0001"),
        min_notional=Decimal("0.0001"),
        max_notional=Decimal("9000000"),
        initial_price=Decimal("0.03300"),
    ),
)


def spot_symbol_info(m: Market) -> dict[str, Any]:
    """Return the ``exchangeInfo.symbols[]`` object for a spot market."""
    p = m.quote_precision
    return {
        "symbol": m.symbol,
        "status": m.status,
        "baseAsset": m.base,
        "baseAssetPrecision": m.base_precision,
        "quoteAsset": m.quote,
        "quotePrecision": p,
        "quoteAssetPrecision": p,
        "baseCommissionPrecision": m.base_precision,
        "quoteCommissionPrecision": p,
        "orderTypes": list(m.order_types),
        "icebergAllowed": True,
        "ocoAllowed": True,
        "otoAllowed": True,
        "opoAllowed": True,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True,
        "cancelReplaceAllowed": True,
        "amendAllowed": True,
        "pegInstructionsAllowed": True,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": True,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": fmt(m.min_price, p),
                "maxPrice": fmt(m.max_price, p),
                "tickSize": fmt(m.tick_size, p),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": m.qty_str(m.min_qty),
                "maxQty": m.qty_str(m.max_qty),
                "stepSize": m.qty_str(m.step_size),
            },
            {"filterType": "ICEBERG_PARTS", "limit": 100},
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": m.qty_str(Decimal(0)),
                "maxQty": m.qty_str(m.market_max_qty),
                "stepSize": m.qty_str(Decimal(0)),
            },
            {
                "filterType": "TRAILING_DELTA",
                "minTrailingAboveDelta": 10,
                "maxTrailingAboveDelta": 2000,
                "minTrailingBelowDelta": 10,
                "maxTrailingBelowDelta": 2000,
            },
            {
                "filterType": "PERCENT_PRICE_BY_SIDE",
                "bidMultiplierUp": "5",
                "bidMultiplierDown": "0.2",
                "askMultiplierUp": "5",
                "askMultiplierDown": "0.2",
                "avgPriceMins": 5,
            },
            {
                "filterType": "NOTIONAL",
                "minNotional": fmt(m.min_notional, p),
                "applyMinToMarket": True,
                "maxNotional": fmt(m.max_notional, p),
                "applyMaxToMarket": False,
                "avgPriceMins": 5,
            },
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
            {"filterType": "MAX_NUM_ORDER_LISTS", "maxNumOrderLists": 20},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5},
            {"filterType": "MAX_NUM_ORDER_AMENDS", "maxNumOrderAmends": 10},
        ],
        "permissions": [],
        "permissionSets": [["SPOT", "MARGIN"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": [
            "EXPIRE_TAKER",
            "EXPIRE_MAKER",
            "EXPIRE_BOTH",
            "DECREMENT",
            "TRANSFER",
        ],
    }


def spot_exchange_info(markets: list[Market], server_time: int) -> dict[str, Any]:
    """Return the ``GET /api/v3/exchangeInfo`` document for ``markets``."""
    return {
        "timezone": "UTC",
        "serverTime": server_time,
        "rateLimits": SPOT_RATE_LIMITS,
        "exchangeFilters": [],
        "symbols": [spot_symbol_info(m) for m in markets],
    }


_DECIMAL_FIELDS = {
    "tick_size",
    "min_price",
    "max_price",
    "step_size",
    "min_qty",
    "max_qty",
    "market_max_qty",
    "min_notional",
    "max_notional",
    "initial_price",
}


def markets_from_config(entries: list[dict[str, Any]], *, extend: bool = True) -> list[Market]:
    """Build markets from config dicts (snake_case field names of :class:`Market`).

    An entry whose ``symbol`` names a default market overrides its fields; other entries add
    new markets (``base`` and ``quote`` required). With ``extend=False`` only the listed
    markets exist.

    Raises:
        ValueError: an entry lacks ``symbol``, names an unknown field, or a new market lacks
            ``base``/``quote``.
    """
    by_symbol = {m.symbol: m for m in DEFAULT_MARKETS} if extend else {}
    defaults = {m.symbol: m for m in DEFAULT_MARKETS}
    known = set(Market.__dataclass_fields__)
    for entry in entries:
        if "symbol" not in entry:
            raise ValueError(f"market entry without 'symbol': {entry!r}")
        unknown = set(entry) - known
        if unknown:
            raise ValueError(f"market {entry['symbol']}: unknown fields {sorted(unknown)}")
        values: dict[str, Any] = {
            k: (Decimal(str(v)) if k in _DECIMAL_FIELDS else v)
            for k, v in entry.items()
            if k != "symbol"
        }
        if "order_types" in values:
            values["order_types"] = tuple(values["order_types"])
        symbol = str(entry["symbol"]).upper()
        base_market = by_symbol.get(symbol) or defaults.get(symbol)
        if base_market is not None:
            by_symbol[symbol] = replace(base_market, **values)
        else:
            if "base" not in values or "quote" not in values:
                raise ValueError(f"new market {symbol} needs 'base' and 'quote'")
            by_symbol[symbol] = Market(symbol=symbol, **values)
    return list(by_symbol.values())
