"""What the recorder can record: one row per channel, naming its watch and its table.

A :class:`RecordChannel` says how to get the next batch of structures (a watch method of
:class:`~client.Binance`) and how to turn them into rows of one table. The public channels and
the private ones (``orders``, ``balance``, ``positions``, ``my_trades``: the account's user
data, which need credentials) are registered here with :func:`register_channel`; a channel
another module registers the same way can be recorded too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .rows import (
    Row,
    balance_rows,
    liquidation_row,
    my_trade_row,
    ohlcv_row,
    order_book_rows,
    order_row,
    position_row,
    ticker_row,
    trade_row,
)
from .schema import TABLES

if TYPE_CHECKING:
    from ..exchange import Binance

__all__ = [
    "CHANNELS",
    "PRIVATE_CHANNELS",
    "ChannelError",
    "RecordChannel",
    "RecordOptions",
    "register_channel",
    "resolve_channels",
]


@dataclass(frozen=True)
class RecordOptions:
    """Per-run channel settings.

    Attributes:
        depth: book levels per side recorded by ``orderbook``.
        timeframe: candle interval recorded by ``ohlcv``.
    """

    depth: int = 10
    timeframe: str = "1m"


Watch = Callable[["Binance", str | None, RecordOptions], Awaitable[Any]]
"""Return the next result of the channel's watch for one symbol (None for account channels)."""

ToRows = Callable[[Any, str | None, RecordOptions], list[Row]]
"""Turn one watch result into rows of the channel's table."""


def _any_symbol(symbol: str) -> bool:
    return True


def _futures_symbol(symbol: str) -> bool:
    return ":" in symbol  # BTC/USDT:USDT, BTC/USD:BTC: CCXT names the settle currency


@dataclass(frozen=True)
class RecordChannel:
    """One recordable channel.

    Attributes:
        name: the ``--channels`` name.
        table: the table its rows go to (a :data:`~client.persistence.schema.TABLES` key).
        doc: one line for ``--help``.
        watch: the next result for a symbol.
        to_rows: that result as rows.
        per_symbol: False for account channels (``balance``): one watch, no symbol.
        accepts: which symbols the channel applies to (others are skipped with a note).
        needs: what ``accepts`` wants, for that note (``futures symbols``).
        private: it watches the account's user data (the client needs credentials).
    """

    name: str
    table: str
    doc: str
    watch: Watch
    to_rows: ToRows
    per_symbol: bool = True
    accepts: Callable[[str], bool] = _any_symbol
    needs: str = ""
    private: bool = False

    def __post_init__(self) -> None:
        if self.table not in TABLES:
            raise ValueError(f"channel {self.name}: unknown table {self.table!r}")


class ChannelError(ValueError):
    """A channel that cannot be recorded (unknown, or its client part is not there yet)."""


CHANNELS: dict[str, RecordChannel] = {}
"""The registered channels by name, in registration order."""

PRIVATE_CHANNELS: dict[str, str] = {
    "orders": "orders",
    "balance": "balances",
    "positions": "positions",
    "my_trades": "my_trades",
}
"""The private channels and their tables (the account's user data; credentials needed)."""


def register_channel(channel: RecordChannel) -> None:
    """Make ``channel`` recordable (replacing one of the same name)."""
    CHANNELS[channel.name] = channel


def resolve_channels(names: Iterable[str]) -> list[RecordChannel]:
    """Return the channels called ``names`` (duplicates dropped, order kept).

    Raises:
        ChannelError: an unknown name, or a private channel not registered yet; the message is
            one line listing the available channels.
    """
    out: list[RecordChannel] = []
    available = ", ".join(CHANNELS)
    for raw in names:
        name = raw.strip().lower()
        if not name:
            continue
        ch = CHANNELS.get(name)
        if ch is None:
            raise ChannelError(f"unknown channel {name!r}; available: {available}")
        if ch not in out:
            out.append(ch)
    if not out:
        raise ChannelError(f"no channel given; available: {available}")
    return out


# -- the public channels ---------------------------------------------------------------------


def _sym(symbol: str | None) -> str:
    if symbol is None:  # only account channels are watched without a symbol
        raise ChannelError("this channel needs a symbol")
    return symbol


async def _watch_ticker(ex: Binance, symbol: str | None, o: RecordOptions) -> Any:
    return await ex.watch_ticker(_sym(symbol))


async def _watch_trades(ex: Binance, symbol: str | None, o: RecordOptions) -> Any:
    return await ex.watch_trades(_sym(symbol))


async def _watch_ohlcv(ex: Binance, symbol: str | None, o: RecordOptions) -> Any:
    return await ex.watch_ohlcv(_sym(symbol), o.timeframe)


async def _watch_book(ex: Binance, symbol: str | None, o: RecordOptions) -> Any:
    return await ex.watch_order_book(_sym(symbol), o.depth)


async def _watch_liquidations(ex: Binance, symbol: str | None, o: RecordOptions) -> Any:
    return await ex.watch_liquidations(_sym(symbol))


def _each(mapper: Callable[[Any], Row]) -> ToRows:
    def to_rows(result: Any, symbol: str | None, o: RecordOptions) -> list[Row]:
        return [mapper(x) for x in result]

    return to_rows


def _candles(result: Any, symbol: str | None, o: RecordOptions) -> list[Row]:
    return [ohlcv_row(_sym(symbol), o.timeframe, c) for c in result]


def _register(channels: Sequence[RecordChannel]) -> None:
    for ch in channels:
        register_channel(ch)


_register(
    [
        RecordChannel(
            "ticker",
            "tickers",
            "every ticker update (watch_ticker)",
            _watch_ticker,
            lambda t, s, o: [ticker_row(t)],
        ),
        RecordChannel(
            "trades", "trades", "every public trade (watch_trades)", _watch_trades, _each(trade_row)
        ),
        RecordChannel(
            "ohlcv",
            "ohlcv",
            "candles of --timeframe, the open one updated in place (watch_ohlcv)",
            _watch_ohlcv,
            _candles,
        ),
        RecordChannel(
            "orderbook",
            "order_book_levels",
            "the top --depth levels of the synced book after each update (watch_order_book)",
            _watch_book,
            lambda b, s, o: order_book_rows(b, o.depth),
        ),
        RecordChannel(
            "liquidations",
            "liquidations",
            "liquidations of futures symbols (watch_liquidations)",
            _watch_liquidations,
            _each(liquidation_row),
            accepts=_futures_symbol,
            needs="futures symbols (BTC/USDT:USDT, BTC/USD:BTC)",
        ),
    ]
)


# -- the private channels (user data: the client needs credentials) ----------------------------

_SNAPSHOT = {"fetchBalanceSnapshot": True}  # the first balance is the account's, at once


async def _watch_orders(ex: Binance, symbol: str | None, o: RecordOptions) -> Any:
    return await ex.watch_orders(_sym(symbol))


async def _watch_my_trades(ex: Binance, symbol: str | None, o: RecordOptions) -> Any:
    return await ex.watch_my_trades(_sym(symbol))


async def _watch_positions(ex: Binance, symbol: str | None, o: RecordOptions) -> Any:
    return await ex.watch_positions([_sym(symbol)])


async def _watch_balance(ex: Binance, symbol: str | None, o: RecordOptions) -> Any:
    return await ex.watch_balance(_SNAPSHOT)


_register(
    [
        RecordChannel(
            "orders",
            "orders",
            "each change of the account's orders, its latest state (watch_orders)",
            _watch_orders,
            _each(order_row),
            private=True,
        ),
        RecordChannel(
            "my_trades",
            "my_trades",
            "the account's trades (watch_my_trades)",
            _watch_my_trades,
            _each(my_trade_row),
            private=True,
        ),
        RecordChannel(
            "positions",
            "positions",
            "the account's positions of futures symbols (watch_positions)",
            _watch_positions,
            _each(position_row),
            accepts=_futures_symbol,
            needs="futures symbols (BTC/USDT:USDT, BTC/USD:BTC)",
            private=True,
        ),
        RecordChannel(
            "balance",
            "balances",
            "the spot balance, then each change of it (watch_balance)",
            _watch_balance,
            lambda b, s, o: balance_rows(b),
            per_symbol=False,
            private=True,
        ),
    ]
)
