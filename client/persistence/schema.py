"""The flat-row schema of every unified structure: columns, kinds and natural keys.

A :class:`Table` says which columns a structure's rows have, in which order, of which kind, and
which columns identify a row (its natural key). Column names are CCXT's unified field names;
nested values are flattened with an underscore (``fee_cost``), and values without a flat shape
(``info``, ``fees``, an order's ``trades``) are JSON text. Nothing here knows a database: a
store maps the kinds to its own types (:mod:`client.persistence.sqlite` for SQLite).

The schema is versioned: :data:`SCHEMA_VERSION` changes whenever a column is added, removed,
renamed or changes kind, so a store can refuse a file written under another version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "SCHEMA_VERSION",
    "TABLES",
    "Column",
    "ColumnKind",
    "OnDuplicate",
    "Table",
    "schema_markdown",
]

SCHEMA_VERSION = 1
"""Bumped on every change of a column's name, order or kind."""

ColumnKind = Literal["int", "float", "text", "bool", "json"]
"""``int`` (exact integer: ms timestamps, update ids), ``float`` (prices, amounts), ``text``,
``bool`` and ``json`` (a compact JSON document with sorted keys, stored as text)."""

OnDuplicate = Literal["ignore", "replace"]
"""What a store does with a row whose natural key it already holds: keep the first row
(``ignore``: the row is a fact that never changes, like a trade) or the newest one
(``replace``: the row is a state that is updated in place, like the open candle)."""


@dataclass(frozen=True)
class Column:
    """One column of a flat row.

    Attributes:
        name: the column name (CCXT's field name; ``parent_child`` for a flattened one).
        kind: the value kind, see :data:`ColumnKind`.
        doc: what the value means, for the schema documentation.
        path: where the value sits in the structure (default: ``(name,)``).
        nullable: False when every row has a value.
    """

    name: str
    kind: ColumnKind
    doc: str
    path: tuple[str, ...] = ()
    nullable: bool = True

    @property
    def source(self) -> tuple[str, ...]:
        """Return the key path of the value in the structure."""
        return self.path or (self.name,)


@dataclass(frozen=True)
class Table:
    """The rows of one unified structure.

    Attributes:
        name: the table name (plural: ``trades``).
        structure: the CCXT structure the rows come from.
        doc: what one row is.
        columns: the columns, in row order.
        key: the natural key (column names); empty when the structure has none.
        on_duplicate: what to do with a row whose key is already stored.
    """

    name: str
    structure: str
    doc: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    on_duplicate: OnDuplicate = "ignore"

    def __post_init__(self) -> None:
        names = self.names
        if len(set(names)) != len(names):
            raise ValueError(f"table {self.name}: duplicate column names")
        if not set(self.key) <= set(names):
            raise ValueError(f"table {self.name}: key {self.key} names unknown columns")

    @property
    def names(self) -> tuple[str, ...]:
        """Return the column names in row order."""
        return tuple(c.name for c in self.columns)


def _c(name: str, kind: ColumnKind, doc: str, *path: str, nullable: bool = True) -> Column:
    return Column(name, kind, doc, tuple(path), nullable)


_SYMBOL = _c("symbol", "text", "CCXT symbol: BTC/USDT, BTC/USDT:USDT, BTC/USD:BTC", nullable=False)
_SYMBOL_OR_NONE = _c("symbol", "text", "CCXT symbol (None on a rejected create_orders entry)")
_TIMESTAMP = _c("timestamp", "int", "exchange time of the structure, ms since the epoch")
_DATETIME = _c("datetime", "text", "timestamp as ISO 8601 (UTC)")
_INFO = _c("info", "json", "the raw Binance payload the structure was parsed from")
_FEE = (
    _c("fee_cost", "float", "fee paid (fee.cost)", "fee", "cost"),
    _c("fee_currency", "text", "currency of the fee (fee.currency)", "fee", "currency"),
    _c("fee_rate", "float", "fee rate, when known (fee.rate)", "fee", "rate"),
    _c("fees", "json", "every fee when there are several (list of {cost, currency, rate})"),
)

TICKER = Table(
    "tickers",
    "Ticker",
    "one ticker update",
    (
        _SYMBOL,
        _TIMESTAMP,
        _DATETIME,
        _c("high", "float", "24 h highest price"),
        _c("low", "float", "24 h lowest price"),
        _c("bid", "float", "best bid price"),
        _c("bidVolume", "float", "amount at the best bid"),
        _c("ask", "float", "best ask price"),
        _c("askVolume", "float", "amount at the best ask"),
        _c("vwap", "float", "24 h volume-weighted average price"),
        _c("open", "float", "price at the start of the 24 h window"),
        _c("close", "float", "price at the end of the window (the latest)"),
        _c("last", "float", "last trade price"),
        _c("previousClose", "float", "close of the previous 24 h window"),
        _c("change", "float", "last - open"),
        _c("percentage", "float", "change in percent of open"),
        _c("average", "float", "(last + open) / 2"),
        _c("baseVolume", "float", "24 h volume in the base currency"),
        _c("quoteVolume", "float", "24 h volume in the quote currency"),
        _c("markPrice", "float", "futures mark price"),
        _c("indexPrice", "float", "futures index price"),
        _INFO,
    ),
)

_TRADE_COLUMNS = (
    _c("id", "text", "trade id (aggregate trade id for aggTrade)"),
    _SYMBOL,
    _TIMESTAMP,
    _DATETIME,
    _c("order", "text", "order id (private trades only)"),
    _c("type", "text", "order type (private trades only)"),
    _c("side", "text", "buy or sell: the taker's side (public), the account's (own trades)"),
    _c("takerOrMaker", "text", "taker or maker (private trades only)"),
    _c("price", "float", "price"),
    _c("amount", "float", "amount in the base currency (contracts on COIN-M)"),
    _c("cost", "float", "price x amount"),
    *_FEE,
    _INFO,
)
TRADE = Table("trades", "Trade", "one public trade", _TRADE_COLUMNS, key=("symbol", "id"))
MY_TRADE = Table("my_trades", "Trade", "one trade of the account", _TRADE_COLUMNS, ("symbol", "id"))

ORDER = Table(
    "orders",
    "Order",
    "one state of an order (each update that changed it)",
    (
        _c("id", "text", "exchange order id"),
        _c("clientOrderId", "text", "client order id"),
        _SYMBOL_OR_NONE,
        _c("timestamp", "int", "creation time, ms"),
        _DATETIME,
        _c("lastTradeTimestamp", "int", "time of the last fill, ms"),
        _c("lastUpdateTimestamp", "int", "time of this state, ms"),
        _c("status", "text", "open, closed, canceled, expired or rejected"),
        _c("type", "text", "limit, market, ..."),
        _c("timeInForce", "text", "GTC, IOC, FOK, PO"),
        _c("side", "text", "buy or sell"),
        _c("price", "float", "limit price"),
        _c("average", "float", "average fill price"),
        _c("amount", "float", "ordered amount"),
        _c("filled", "float", "filled amount"),
        _c("remaining", "float", "amount - filled"),
        _c("cost", "float", "filled value in the quote currency"),
        _c("triggerPrice", "float", "stop / trigger price"),
        _c("stopPrice", "float", "CCXT's deprecated alias of triggerPrice"),
        _c("takeProfitPrice", "float", "take-profit trigger"),
        _c("stopLossPrice", "float", "stop-loss trigger"),
        _c("postOnly", "bool", "maker-only order"),
        _c("reduceOnly", "bool", "futures reduce-only order"),
        _c("marginMode", "text", "futures margin mode: cross or isolated"),
        _c("leverage", "float", "futures leverage"),
        _c("hedged", "bool", "futures hedge mode"),
        *_FEE,
        _c("trades", "json", "the order's fills as unified trades (list)"),
        _INFO,
    ),
    key=("symbol", "id", "status", "filled", "lastUpdateTimestamp"),
)

BALANCE = Table(
    "balances",
    "Balance",
    "one currency of one balance snapshot (a snapshot becomes one row per currency)",
    (
        _TIMESTAMP,
        _DATETIME,
        _c("currency", "text", "currency code: BTC, USDT", nullable=False),
        _c("free", "float", "available"),
        _c("used", "float", "locked in orders or margin"),
        _c("total", "float", "free + used"),
        _c("debt", "float", "borrowed (margin accounts only)"),
        _c("info", "json", "the raw payload of the whole snapshot, repeated on each of its rows"),
    ),
)

POSITION = Table(
    "positions",
    "Position",
    "one state of a futures position",
    (
        _c("symbol", "text", "CCXT symbol of the futures market"),
        _c("id", "text", "position id (Binance has none)"),
        _TIMESTAMP,
        _DATETIME,
        _c("lastUpdateTimestamp", "int", "time of this state, ms"),
        _c("side", "text", "long or short"),
        _c("hedged", "bool", "hedge mode (one position per side)"),
        _c("marginMode", "text", "cross or isolated"),
        _c("contracts", "float", "position size in contracts (absolute)"),
        _c("contractSize", "float", "base units per contract"),
        _c("entryPrice", "float", "average entry price"),
        _c("markPrice", "float", "mark price"),
        _c("lastPrice", "float", "last trade price"),
        _c("notional", "float", "position value in the settle currency"),
        _c("leverage", "float", "leverage"),
        _c("collateral", "float", "margin + unrealized PnL"),
        _c("positionMargin", "float", "margin held in the position"),
        _c("initialMargin", "float", "initial margin"),
        _c("initialMarginPercentage", "float", "initial margin / notional"),
        _c("maintenanceMargin", "float", "maintenance margin"),
        _c("maintenanceMarginPercentage", "float", "maintenance margin rate"),
        _c("unrealizedPnl", "float", "unrealized profit and loss"),
        _c("realizedPnl", "float", "realized profit and loss"),
        _c("liquidationPrice", "float", "liquidation price"),
        _c("marginRatio", "float", "maintenance margin / collateral"),
        _c("percentage", "float", "unrealized PnL in percent of initial margin"),
        _c("stopLossPrice", "float", "stop-loss trigger"),
        _c("takeProfitPrice", "float", "take-profit trigger"),
        _INFO,
    ),
)

ORDER_BOOK = Table(
    "order_book_levels",
    "OrderBook",
    "one price level of one book state (a book becomes one row per level and side)",
    (
        _SYMBOL,
        _TIMESTAMP,
        _DATETIME,
        _c("nonce", "int", "Binance's last update id of this book state"),
        _c("side", "text", "bid or ask", nullable=False),
        _c("level", "int", "0 = best price, counting away from the spread", nullable=False),
        _c("price", "float", "price of the level", nullable=False),
        _c("amount", "float", "amount at the level", nullable=False),
    ),
    key=("symbol", "nonce", "side", "level"),
)

OHLCV_TABLE = Table(
    "ohlcv",
    "OHLCV",
    "one candle (the open candle is replaced by each update until it closes)",
    (
        _SYMBOL,
        _c("timeframe", "text", "candle interval: 1m, 1h, ...", nullable=False),
        _c("timestamp", "int", "open time of the candle, ms", nullable=False),
        _c("open", "float", "first trade price of the candle"),
        _c("high", "float", "highest trade price"),
        _c("low", "float", "lowest trade price"),
        _c("close", "float", "last trade price (so far, while the candle is open)"),
        _c("volume", "float", "volume in the base currency"),
    ),
    key=("symbol", "timeframe", "timestamp"),
    on_duplicate="replace",
)

LIQUIDATION = Table(
    "liquidations",
    "Liquidation",
    "one liquidation (forceOrder)",
    (
        _SYMBOL,
        _TIMESTAMP,
        _DATETIME,
        _c("side", "text", "side of the liquidation order: buy or sell"),
        _c("price", "float", "average fill price"),
        _c("contracts", "float", "filled contracts"),
        _c("contractSize", "float", "base units per contract"),
        _c("baseValue", "float", "value in the base currency"),
        _c("quoteValue", "float", "value in the quote currency"),
        _INFO,
    ),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        TICKER,
        TRADE,
        MY_TRADE,
        ORDER,
        BALANCE,
        POSITION,
        ORDER_BOOK,
        OHLCV_TABLE,
        LIQUIDATION,
    )
}
"""Every table by name."""


def schema_markdown() -> str:
    """Return the schema as Markdown: one section per table (what ``docs/persistence.md`` shows)."""
    out: list[str] = []
    for t in TABLES.values():
        key = ", ".join(t.key) if t.key else "none (every row is kept)"
        dup = f"; a duplicate key is {'replaced' if t.on_duplicate == 'replace' else 'ignored'}"
        out += [
            f"### `{t.name}` ({t.structure})",
            "",
            f"One row: {t.doc}. Natural key: {key}{dup if t.key else ''}.",
            "",
            "| column | kind | null | meaning |",
            "|---|---|---|---|",
        ]
        out += [
            f"| `{c.name}` | {c.kind} | {'yes' if c.nullable else 'no'} | {c.doc} |"
            for c in t.columns
        ]
        out.append("")
    return "\n".join(out)
