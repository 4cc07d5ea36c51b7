"""Call options: defaults, the camelCase spellings CCXT users write, and connection settings.

Instance ``options`` are overridden per call by ``params``; both accept camelCase or snake_case
(see the table in docs/client.md). Connection timers and limits are read from the options of
the call that creates a connection.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .connection import ConnectionSettings
from .errors import BadRequest

__all__ = [
    "CAMEL",
    "DEFAULTS",
    "OPTION_KEYS",
    "TIMEFRAMES",
    "check_timeframe",
    "exchange_params",
    "resolve_sub_type",
    "settings_from",
    "snake",
]

TIMEFRAMES = (
    "1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M".split()  # noqa: SIM905
)

DEFAULTS: dict[str, Any] = {
    "timeout": 10_000,  # ms, for every request and watch
    "unwatch_on_halt": False,
    "verbose": False,
    "cache_limit": 1000,
    "type": "spot",
    "recv_window": 5000,  # ms; Binance's default (max 60000)
    "ws_logon": True,  # Ed25519 keys log the WebSocket API session on
    "adjust_for_time_difference": True,  # measure Binance's clock before signing
    "keepalive": 20_000,  # ms between our pings
    "keepalive_timeout": 20_000,  # ms without pong before the peer counts as dead
    "reconnect": True,
    "backoff_initial": 100,  # ms
    "backoff_cap": 30_000,  # ms
    "backoff_reset": 15_000,  # ms a connection must stay up before the backoff starts over
    "max_streams": 1024,
    "control_rate": 5,
    "book_depth": 1000,  # snapshot limit for watch_order_book
    "live_book": False,  # watch_order_book returns the live book (ccxt.pro's), not a copy
    "max_size": 16 * 1024 * 1024,  # bytes; a bigger message fails the socket with 1009
    # user data
    "new_updates": True,  # private watches return what changed since the previous call
    "fetch_balance_snapshot": False,  # watch_balance starts from a REST balance
    "fetch_positions_snapshot": True,  # watch_positions starts from the REST positions
    "listen_key_refresh": 30 * 60_000,  # ms between listen-key keep-alives (PUT)
    "listen_token_refresh": 23 * 3600_000,  # ms at most before a listen token is replaced
    "listen_token_renew_before": 60_000,  # ms before a token's expiry it is replaced
    "reconcile": True,  # after a user-data reconnect, read what was missed over REST
    "trade_lite": False,  # futures: my trades from TRADE_LITE (first, no fee)
}
CAMEL = {
    "binanceEnv": "binance_env",
    "unwatchOnHalt": "unwatch_on_halt",
    "cacheLimit": "cache_limit",
    "recvWindow": "recv_window",
    "apiKey": "api_key",
    "secret": "api_secret",
    "apiSecret": "api_secret",
    "baseUrl": "base_url",
    "defaultType": "type",
    "subType": "sub_type",
    "defaultSubType": "sub_type",
    "keepAlive": "keepalive",
    "keepaliveTimeout": "keepalive_timeout",
    "maxStreams": "max_streams",
    "controlRate": "control_rate",
    "backoffInitial": "backoff_initial",
    "backoffCap": "backoff_cap",
    "backoffReset": "backoff_reset",
    "bookDepth": "book_depth",
    "liveBook": "live_book",
    "maxSize": "max_size",
    "privateKey": "private_key",
    "wsLogon": "ws_logon",
    "adjustForTimeDifference": "adjust_for_time_difference",
    "marginMode": "margin_mode",
    "newUpdates": "new_updates",
    "fetchBalanceSnapshot": "fetch_balance_snapshot",
    "fetchPositionsSnapshot": "fetch_positions_snapshot",
    "snapshotFetcher": "snapshot_fetcher",
    "restFetcher": "rest_fetcher",
    "wsAuth": "ws_auth",
    "listenKeyRefreshRate": "listen_key_refresh",
    "listenKeyRefresh": "listen_key_refresh",
    "listenTokenRefreshRate": "listen_token_refresh",
    "listenTokenRefresh": "listen_token_refresh",
    "listenTokenValidity": "listen_token_validity",
    "tradeLite": "trade_lite",
}


def snake(options: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return ``options`` with the camelCase keys CCXT users write in snake_case."""
    return {CAMEL.get(k, k): v for k, v in (options or {}).items()}


OPTION_KEYS = frozenset(
    {
        *DEFAULTS,
        *CAMEL,
        *CAMEL.values(),
        "api_key",
        "api_secret",
        "binance_env",
        "base_url",
        "mirror",
        "method",
        "margin_mode",
        "sub_type",
        "snapshot_fetcher",
        "rest_fetcher",
        "ws_auth",
        "listen_token_validity",
    }
)
"""Call options the client reads itself; every other key of ``params`` goes to Binance."""


_SUB_TYPES = {"linear": "future", "inverse": "delivery"}
_FUTURES_TYPES = frozenset({"future", "swap", "linear", "usdm", "delivery", "inverse", "coinm"})


def resolve_sub_type(opts: dict[str, Any], *, in_call: bool) -> dict[str, Any]:
    """Fold CCXT's ``subType`` (``linear``/``inverse``) into ``type``, as ccxt reads it: a
    sub-type names the futures venue (USD-M or COIN-M). One given in the call's params decides
    unless the type is margin; an instance default (``defaultSubType``) only picks between the
    futures venues, so a spot call stays spot. Returns ``opts`` (changed in place)."""
    sub = opts.pop("sub_type", None)
    venue = _SUB_TYPES.get(str(sub).lower()) if sub is not None else None
    kind = str(opts.get("type")).lower()
    if venue is None or kind in ("margin", "cross"):
        return opts
    if in_call or kind in _FUTURES_TYPES:
        opts["type"] = venue
    return opts


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def exchange_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the keys of a call's ``params`` that are Binance request parameters (not client
    options), in their order, to be sent as they are (``timeInForce``, ``newOrderRespType``).

    A snake_case key is read as its camelCase name (``client_order_id`` -> ``clientOrderId``,
    ``time_in_force`` -> ``timeInForce``): no Binance or CCXT parameter has an underscore.
    """
    return {_camel(k): v for k, v in (params or {}).items() if k not in OPTION_KEYS}


def settings_from(opts: Mapping[str, Any]) -> ConnectionSettings:
    """Return the connection settings the (merged, snake_case) options ask for."""

    def sec(key: str) -> float | None:
        v = opts.get(key)
        return None if v is None else float(v) / 1000

    return ConnectionSettings(
        open_timeout=float(opts["timeout"]) / 1000,
        keepalive=sec("keepalive"),
        keepalive_timeout=sec("keepalive_timeout"),
        reconnect=bool(opts.get("reconnect", True)),
        backoff_initial=float(opts["backoff_initial"]) / 1000,
        backoff_cap=float(opts["backoff_cap"]) / 1000,
        backoff_reset=float(opts.get("backoff_reset", DEFAULTS["backoff_reset"])) / 1000,
        max_streams=int(opts["max_streams"]),
        control_rate=float(opts["control_rate"]),
        max_size=int(opts["max_size"]),
    )


def check_timeframe(tf: str) -> str:
    """Return ``tf`` if Binance has that kline interval.

    Raises:
        BadRequest: an unknown timeframe.
    """
    if tf not in TIMEFRAMES:
        raise BadRequest(f"unknown timeframe {tf!r}; expected one of {' '.join(TIMEFRAMES)}")
    return tf
