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
    "ALL_DEFAULT_MARKETS",
    "DEFAULT_COINM_MARKETS",
    "DEFAULT_MARKETS",
    "DEFAULT_USDM_MARKETS",
    "FUTURES_ORDER_TYPES",
    "FUTURES_RATE_LIMITS",
    "SPOT_ORDER_TYPES",
    "SPOT_RATE_LIMITS",
    "Market",
    "MarketKind",
    "fmt",
    "futures_exchange_info",
    "futures_symbol_info",
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

FUTURES_ORDER_TYPES = [
    "LIMIT",
    "MARKET",
    "STOP",
    "STOP_MARKET",
    "TAKE_PROFIT",
    "TAKE_PROFIT_MARKET",
    "TRAILING_STOP_MARKET",
]

FUTURES_RATE_LIMITS: list[dict[str, Any]] = [
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 2400},
    {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300},
]

PERPETUAL_DELIVERY = 4133404800000  # Binance's "never" delivery date for perpetuals


def fmt(value: Decimal, places: int) -> str:
    """Format a decimal the way Binance does: fixed point, exactly ``places`` decimals.

    Zero is never signed: Binance's decimals have no negative zero, so a short's unrealised
    PnL at its entry price reads ``0.00000000``, not ``-0.00000000``.
    """
    quantum = Decimal(1).scaleb(-places)
    rounded = value.quantize(quantum)
    return f"{rounded.copy_abs() if rounded.is_zero() else rounded:f}"


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
    stp_default: str = "EXPIRE_MAKER"
    stp_allowed: tuple[str, ...] = (
        "NONE",
        "EXPIRE_TAKER",
        "EXPIRE_MAKER",
        "EXPIRE_BOTH",
        "DECREMENT",
        "TRANSFER",
    )
    max_num_orders: int = 200  # open orders per account and symbol (MAX_NUM_ORDERS)
    max_num_algo_orders: int = 5  # open stop orders per account and symbol
    trigger_protect: Decimal = Decimal("0.05")  # futures: priceProtect's last/mark threshold
    contract_size: int = 1  # COIN-M: USD per contract
    index_symbol: str | None = None  # futures: the spot symbol whose price is the index
    activity: float = 1.0  # share of the background rate (actions per second) this market gets

    @property
    def pair(self) -> str:
        """The underlying pair (``BTCUSD`` for ``BTCUSD_PERP``)."""
        return self.symbol.split("_", 1)[0]

    @property
    def margin_asset(self) -> str:
        """The settle asset: the quote on USD-M, the base on COIN-M."""
        return self.base if self.kind == "coinm" else self.quote

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
        activity=0.5,
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
        activity=0.3,
    ),
)


def _usdm(symbol: str, base: str, **kw: Any) -> Market:
    values: dict[str, Any] = {
        "kind": "usdm",
        "tick_size": Decimal("0.10"),
        "min_price": Decimal("556.80"),
        "max_price": Decimal("4529764"),
        "step_size": Decimal("0.001"),
        "min_qty": Decimal("0.001"),
        "max_qty": Decimal("1000"),
        "market_max_qty": Decimal("120"),
        "min_notional": Decimal("100"),
        "max_notional": Decimal("100000000"),
        "base_precision": 3,
        "quote_precision": 2,
        "order_types": tuple(FUTURES_ORDER_TYPES),
        "index_symbol": f"{base}USDT",
    }
    values.update(kw)
    return Market(symbol=symbol, base=base, quote="USDT", **values)


DEFAULT_USDM_MARKETS: tuple[Market, ...] = (
    _usdm("BTCUSDT", "BTC", initial_price=Decimal("90000.00")),
    _usdm(
        "ETHUSDT",
        "ETH",
        tick_size=Decimal("0.01"),
        min_price=Decimal("39.86"),
        max_price=Decimal("306177"),
        max_qty=Decimal("10000"),
        market_max_qty=Decimal("2000"),
        min_notional=Decimal("20"),
        initial_price=Decimal("3000.00"),
    ),
)

DEFAULT_COINM_MARKETS: tuple[Market, ...] = (
    Market(
        symbol="BTCUSD_PERP",
        base="BTC",
        quote="USD",
        kind="coinm",
        tick_size=Decimal("0.1"),
        min_price=Decimal("1000"),
        max_price=Decimal("4520958"),
        step_size=Decimal("1"),
        min_qty=Decimal("1"),
        max_qty=Decimal("1000000"),
        market_max_qty=Decimal("60000"),
        min_notional=Decimal("0"),
        max_notional=Decimal("1000000000000"),
        base_precision=0,
        quote_precision=1,
        initial_price=Decimal("90000.0"),
        order_types=tuple(FUTURES_ORDER_TYPES),
        contract_size=100,
        index_symbol="BTCUSDT",
        activity=0.5,
    ),
)

ALL_DEFAULT_MARKETS: tuple[Market, ...] = (
    DEFAULT_MARKETS + DEFAULT_USDM_MARKETS + DEFAULT_COINM_MARKETS
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
        # the emulator refuses icebergs, OTO/OPO order lists, trailing stops and pegged
        # orders, and says so here as Binance does for a symbol that does not allow them
        "icebergAllowed": False,
        "ocoAllowed": True,
        "otoAllowed": False,
        "opoAllowed": False,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": False,
        "cancelReplaceAllowed": True,
        "amendAllowed": True,
        "pegInstructionsAllowed": False,
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
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": m.max_num_orders},
            {"filterType": "MAX_NUM_ORDER_LISTS", "maxNumOrderLists": 20},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": m.max_num_algo_orders},
            {"filterType": "MAX_NUM_ORDER_AMENDS", "maxNumOrderAmends": 10},
        ],
        "permissions": [],
        "permissionSets": [["SPOT", "MARGIN"]],
        "defaultSelfTradePreventionMode": m.stp_default,
        "allowedSelfTradePreventionModes": list(m.stp_allowed),
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


def futures_symbol_info(m: Market) -> dict[str, Any]:
    """Return the ``/fapi/v1/exchangeInfo`` (or ``/dapi``) ``symbols[]`` object for ``m``."""
    p, q = m.quote_precision, m.base_precision
    filters: list[dict[str, Any]] = [
        {
            "filterType": "PRICE_FILTER",
            "minPrice": fmt(m.min_price, p),
            "maxPrice": fmt(m.max_price, p),
            "tickSize": fmt(m.tick_size, p),
        },
        {
            "filterType": "LOT_SIZE",
            "minQty": fmt(m.min_qty, q),
            "maxQty": fmt(m.max_qty, q),
            "stepSize": fmt(m.step_size, q),
        },
        {
            "filterType": "MARKET_LOT_SIZE",
            "minQty": fmt(m.min_qty, q),
            "maxQty": fmt(m.market_max_qty, q),
            "stepSize": fmt(m.step_size, q),
        },
        {"filterType": "MAX_NUM_ORDERS", "limit": 200},
        {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 10},
        {
            "filterType": "PERCENT_PRICE",
            "multiplierUp": "1.0500",
            "multiplierDown": "0.9500",
            "multiplierDecimal": "4",
        },
    ]
    info: dict[str, Any] = {
        "symbol": m.symbol,
        "pair": m.pair,
        "contractType": "PERPETUAL",
        "deliveryDate": PERPETUAL_DELIVERY,
        "onboardDate": 1569398400000,
        "status": m.status,
        "maintMarginPercent": "2.5000",
        "requiredMarginPercent": "5.0000",
        "baseAsset": m.base,
        "quoteAsset": m.quote,
        "marginAsset": m.margin_asset,
        "pricePrecision": p,
        "quantityPrecision": q,
        "baseAssetPrecision": 8,
        "quotePrecision": 8,
        "underlyingType": "COIN",
        "underlyingSubType": ["PoW"],
        "triggerProtect": fmt(m.trigger_protect, 4),
        "liquidationFee": "0.012500",
        "marketTakeBound": "0.05",
        "filters": filters,
        "orderTypes": list(m.order_types),
        "timeInForce": ["GTC", "IOC", "FOK", "GTX", "GTD"],
    }
    if m.kind == "coinm":
        info["contractSize"] = m.contract_size
        info["contractStatus"] = m.status
        info["equalQtyPrecision"] = 4
        del info["status"]
    else:
        info["settlePlan"] = 0
        filters.insert(4, {"filterType": "MIN_NOTIONAL", "notional": fmt(m.min_notional, 0)})
    return info


def futures_exchange_info(
    markets: list[Market], server_time: int, kind: MarketKind
) -> dict[str, Any]:
    """Return ``GET /fapi/v1/exchangeInfo`` (``usdm``) or ``GET /dapi/v1/exchangeInfo``."""
    doc: dict[str, Any] = {
        "timezone": "UTC",
        "serverTime": server_time,
        "rateLimits": FUTURES_RATE_LIMITS,
        "exchangeFilters": [],
        "symbols": [futures_symbol_info(m) for m in markets if m.kind == kind],
    }
    if kind == "usdm":
        doc["futuresType"] = "U_MARGINED"
        doc["assets"] = [{"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "-10000"}]
    return doc


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

    A market is identified by ``kind`` (``spot`` when absent, ``usdm``, ``coinm``) and
    ``symbol``. An entry naming a default market overrides its fields; other entries add new
    markets (``base`` and ``quote`` required). With ``extend=False`` only the listed markets
    exist.

    Raises:
        ValueError: an entry lacks ``symbol``, names an unknown field or kind, has a value of
            the wrong type, contradicts itself (``min_price`` above ``max_price``...), or a new
            market lacks ``base``/``quote``; the message names the market and the field.
    """
    defaults = {(m.kind, m.symbol): m for m in ALL_DEFAULT_MARKETS}
    chosen = dict(defaults) if extend else {}
    known = set(Market.__dataclass_fields__)
    for entry in entries:
        if "symbol" not in entry:
            raise ValueError(f"market entry without 'symbol': {entry!r}")
        unknown = set(entry) - known
        if unknown:
            raise ValueError(f"market {entry['symbol']}: unknown fields {sorted(unknown)}")
        kind = entry.get("kind", "spot")
        if kind not in ("spot", "usdm", "coinm"):
            raise ValueError(f"market {entry['symbol']}: unknown kind {kind!r}")
        values = {k: _field_value(entry["symbol"], k, v) for k, v in entry.items() if k != "symbol"}
        key = (kind, str(entry["symbol"]).upper())
        base_market = chosen.get(key) or defaults.get(key)
        if base_market is not None:
            chosen[key] = replace(base_market, **values)
        else:
            if "base" not in values or "quote" not in values:
                raise ValueError(f"new market {key[1]} needs 'base' and 'quote'")
            chosen[key] = Market(symbol=key[1], **values)
        _check_consistent(chosen[key])
    return list(chosen.values())


def _field_value(symbol: Any, name: str, value: Any) -> Any:
    """Return an entry's ``value`` of field ``name`` as a :class:`Market` holds it (the
    field's annotation says which kind of value that is).

    Raises:
        ValueError: a value of the wrong type, or a decimal that is not a positive number.
    """
    kind = str(Market.__dataclass_fields__[name].type)
    if kind == "Decimal":
        try:
            number = Decimal(str(value)) if not isinstance(value, bool) else None
        except ArithmeticError:
            number = None
        if number is not None and number.is_finite() and number > 0:
            return number
        what = "a positive number"
    elif kind == "int":
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        what = "a whole number >= 0"
    elif kind.startswith("tuple"):
        if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            return tuple(value)
        what = "a list of names"
    elif isinstance(value, str) or (value is None and "None" in kind):
        return value
    else:
        what = "text"
    raise ValueError(f"market {symbol}: {name} must be {what}, not {value!r}")


def _check_consistent(m: Market) -> None:
    """Refuse a market whose limits contradict each other (the engine would misbehave)."""
    for low, high in (
        ("min_price", "max_price"),
        ("min_qty", "max_qty"),
        ("min_notional", "max_notional"),
        ("min_price", "initial_price"),
        ("initial_price", "max_price"),
    ):
        if getattr(m, low) > getattr(m, high):
            raise ValueError(
                f"market {m.symbol}: {low} {getattr(m, low)} is above {high} {getattr(m, high)}"
            )
