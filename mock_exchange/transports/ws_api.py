"""The WebSocket API (public methods): one request frame in, one response envelope out.

Requests ``{"id","method","params"}`` are answered with ``{"id","status","result",
"rateLimits"}`` or ``{"id","status","error":{"code","msg"[,"data"]},"rateLimits"}``; the id is
echoed with its JSON type. Methods map to the same market-data queries as REST, so both agree.
``rateLimits`` is present unless ``returnRateLimits`` is false in the request's params or in
the connection URL. The session is synchronous: the server feeds it frames and sends replies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from ..engine.exchange import Exchange
from ..engine.markets import MarketKind
from ..engine.ratelimits import RateLimitError, WeightLimiter
from ..errors import ExchangeError
from . import market_data as md
from .params import Params, illegal, mandatory

__all__ = ["WSAPI_METHODS", "WsApiSession", "parse_bool"]

WSAPI_METHODS: dict[MarketKind, dict[str, md.QueryHandler]] = {
    "spot": {
        "ping": md.ping,
        "time": md.server_time,
        "exchangeInfo": md.exchange_info,
        "depth": md.depth,
        "trades.recent": md.trades,
        "trades.historical": md.historical_trades,
        "trades.aggregate": md.agg_trades,
        "klines": md.klines,
        "uiKlines": md.klines,
        "avgPrice": md.avg_price,
        "ticker.24hr": md.ticker_24hr,
        "ticker.price": md.ticker_price,
        "ticker.book": md.book_ticker,
        "ticker": md.ticker_window,
    },
    "usdm": {
        "depth": md.depth,
        "ticker.price": md.ticker_price,
        "ticker.book": md.book_ticker,
    },
}
_SIGNING_PARAMS = ("apiKey", "signature", "timestamp", "recvWindow")


def parse_bool(value: Any, name: str) -> bool:
    """Read a boolean sent as JSON or as the text ``true``/``false``.

    Raises:
        ExchangeError: -1100 for anything else.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise illegal(name, "true, false")


@dataclass
class WsApiSession:
    """One WS API connection: its venue, default ``returnRateLimits`` and the shared state."""

    venue: MarketKind
    exchange: Callable[[], Exchange]
    limiter: WeightLimiter
    caller: str
    return_rate_limits: bool = True

    def rate_limits(self, now: int) -> list[dict[str, Any]]:
        """Return the ``rateLimits`` array (REQUEST_WEIGHT count of the current window)."""
        return [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": self.limiter.limit,
                "count": self.limiter.used(self.caller, now),
            }
        ]

    def handle_text(
        self, text: str, now: int, forced: ExchangeError | None = None
    ) -> tuple[str | None, dict[str, Any]]:
        """Answer one request frame; return (method or None, response envelope).

        ``forced`` answers the request with that error (a control fault) after parsing it.
        """
        request_id: Any = None
        method: str | None = None
        show = self.return_rate_limits
        try:
            try:
                msg = orjson.loads(text)
            except orjson.JSONDecodeError:
                raise ExchangeError(-1000, "Malformed request: invalid JSON.") from None
            if not isinstance(msg, dict):
                raise ExchangeError(-1000, "Malformed request: expected a JSON object.")
            raw_id = msg.get("id")
            if raw_id is not None and (
                isinstance(raw_id, bool) or not isinstance(raw_id, int | str)
            ):
                raise illegal("id", "an integer, a string or null")
            request_id = raw_id
            raw_method = msg.get("method")
            if not isinstance(raw_method, str) or not raw_method:
                raise mandatory("method")
            method = raw_method[3:] if raw_method.startswith("v3/") else raw_method
            params = msg.get("params", {})
            if params is None:
                params = {}
            if not isinstance(params, dict):
                raise illegal("params", "a JSON object")
            params = dict(params)
            if "returnRateLimits" in params:
                show = parse_bool(params.pop("returnRateLimits"), "returnRateLimits")
            for name in _SIGNING_PARAMS:  # public methods tolerate signed requests (ccxt)
                params.pop(name, None)
            handler = WSAPI_METHODS.get(self.venue, {}).get(method)
            if handler is None:
                raise ExchangeError(
                    -1020,
                    f"This operation is not supported. (mock_exchange: WS API method {method!r} "
                    "is not served by the emulator)",
                )
            if forced is not None:
                raise forced
            query = md.Query(self.venue, self.exchange(), Params(params), now)
            result, weight = handler(query)
            self.limiter.charge(self.caller, weight, now)
            body: dict[str, Any] = {"id": request_id, "status": 200, "result": result}
        except ExchangeError as err:
            error: dict[str, Any] = {"code": err.code, "msg": err.msg}
            if isinstance(err, RateLimitError):
                error["data"] = {"serverTime": now, "retryAfter": err.retry_at}
            body = {"id": request_id, "status": err.http_status, "error": error}
        if show:
            body["rateLimits"] = self.rate_limits(now)
        return method, body
