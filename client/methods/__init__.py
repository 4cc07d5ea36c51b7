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
* :mod:`.private` (``PrivateBase``): credentials, the server clock, signed REST and signed
  WebSocket API requests (``session.logon`` for Ed25519 keys). The private mixins build on it.
* :mod:`.account`: balances, positions, the account's liquidations.
* :mod:`.trading`: create (one, many, by cost), cancel and query orders; the account's trades.
* :mod:`.margin`: margin borrow rates (cross, isolated) and Binance Convert.
* :mod:`.ws_trading`: order reads and mutations over the WebSocket API.
* :mod:`.user_data` (``UserDataSessions``): user-data sessions (one per venue and account),
  ``authenticate`` and the user-data stream helpers.
* :mod:`.user_watch`: the private watches, their streams and unwatches.
"""

from __future__ import annotations

from .account import AccountMethods
from .base import ExchangeBase
from .book import BookMethods
from .margin import MarginMethods
from .market import MarketMethods
from .markets import MarketsBase
from .private import PrivateBase
from .trading import TradingMethods
from .user_data import UserDataSessions
from .user_watch import UserDataMethods
from .watching import WatchBase
from .ws_fetch import WsFetchMethods
from .ws_trading import WsTradingMethods

__all__ = [
    "AccountMethods",
    "BookMethods",
    "ExchangeBase",
    "MarginMethods",
    "MarketMethods",
    "MarketsBase",
    "PrivateBase",
    "TradingMethods",
    "UserDataMethods",
    "UserDataSessions",
    "WatchBase",
    "WsFetchMethods",
    "WsTradingMethods",
]
