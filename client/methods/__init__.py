"""The public surface of :class:`~client.Binance`, one module per concern.

Each module holds one mixin; :mod:`client.exchange` composes them into ``Binance``:

* :mod:`.base` (``ExchangeBase``): options, environment and venue lookup, REST, WS API
  requests, connection lookup, owned background tasks. Every mixin builds on it.
* :mod:`.markets` (``MarketsBase``): ``load_markets``, ``market``.
* :mod:`.watching` (``WatchBase``): the subscribe-and-wait machinery under every watch,
  ``unwatch`` and ``stream_*``, with hooks a channel kind can use.
* :mod:`.market`: tickers, bids/asks, mark prices, trades, OHLCV, liquidations.
* :mod:`.book`: the order-book watches and the snapshot sync driver.
* :mod:`.ws_fetch`: ``fetch_*_ws`` over the WebSocket API.

Room for the private half: ``trading.py``, ``account.py``, ``user_data.py``.
"""

from __future__ import annotations

from .base import ExchangeBase
from .book import BookMethods
from .market import MarketMethods
from .markets import MarketsBase
from .watching import WatchBase
from .ws_fetch import WsFetchMethods

__all__ = [
    "BookMethods",
    "ExchangeBase",
    "MarketMethods",
    "MarketsBase",
    "WatchBase",
    "WsFetchMethods",
]
