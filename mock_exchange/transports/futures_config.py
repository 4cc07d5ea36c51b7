"""Futures account settings and listen keys, written once for REST and ``ws-fapi``.

``POST /fapi/v1/leverage`` (``ACCOUNT_CONFIG_UPDATE``), ``POST /fapi/v1/marginType``
(``ACCOUNT_UPDATE m: MARGIN_TYPE_CHANGE``), ``POST /fapi/v1/positionSide/dual``, ``POST
/fapi/v1/positionMargin`` (``ACCOUNT_UPDATE m: MARGIN_TRANSFER``), ``POST
/fapi/v1/countdownCancelAll`` (an auto-cancel timer on the emulator clock), ``GET
/fapi/v1/multiAssetsMargin`` (the emulator has single-asset mode only), ``GET
/fapi/v1/rateLimit/order``, and the listen key:
``POST|PUT|DELETE /fapi/v1/listenKey`` = ``userDataStream.start|ping|stop`` (API key only, no
signature; Binance's ``USER_STREAM`` security).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from ..engine.futures.account import futures_account
from ..engine.futures.events import ConfigUpdate
from ..engine.futures.settlement import account_update
from ..engine.markets import FUTURES_RATE_LIMITS, fmt
from ..errors import ExchangeError
from .futures_account import FuturesView
from .params import illegal, mandatory
from .private import PrivateCall
from .ws_api import parse_bool

__all__ = [
    "api_trading_status",
    "change_leverage",
    "change_margin_type",
    "change_position_mode",
    "countdown_cancel_all",
    "listen_key_close",
    "listen_key_keepalive",
    "listen_key_start",
    "multi_assets_mode",
    "order_rate_limits",
    "position_margin",
]

_ZERO = Decimal(0)


def _decimal(call: PrivateCall, name: str) -> Decimal:
    text = call.params.text(name, required=True)
    try:
        value = Decimal(str(text))
    except InvalidOperation:
        raise illegal(name, "^([0-9]{1,20})(\\.[0-9]{1,20})?$") from None
    if not value.is_finite():
        raise illegal(name, "^([0-9]{1,20})(\\.[0-9]{1,20})?$")
    return value


def change_leverage(call: PrivateCall) -> tuple[Any, int]:
    """``POST /fapi/v1/leverage``: set a symbol's initial leverage."""
    view = FuturesView(call)
    symbol = call.params.symbol()
    m = call.engine.market(symbol)
    leverage = call.params.integer("leverage", required=True)
    assert leverage is not None
    settings = view.fa.set_leverage(m, leverage, view.st.brackets)
    view.fa.update_time = call.now
    call.emit(call.venue, [ConfigUpdate(call.account.id, call.now, symbol, leverage)])
    cap = view.st.brackets.max_notional(settings.leverage)
    body: dict[str, Any] = {"leverage": settings.leverage, "symbol": symbol}
    if call.venue == "coinm":
        body["maxQty"] = fmt(cap, 0)
    else:
        body["maxNotionalValue"] = fmt(cap, 0)
    return body, 1


def change_margin_type(call: PrivateCall) -> tuple[Any, int]:
    """``POST /fapi/v1/marginType``: switch a symbol between ``CROSSED`` and ``ISOLATED``."""
    view = FuturesView(call)
    symbol = call.params.symbol()
    m = call.engine.market(symbol)
    kind = str(call.params.text("marginType", required=True)).upper()
    if kind == "CROSS":
        kind = "CROSSED"
    if kind not in ("CROSSED", "ISOLATED"):
        raise ExchangeError(-1116, "Invalid marginType.")
    orders = bool(view.st.open_orders(call.account.id, symbol))
    view.fa.set_margin_type(symbol, kind, orders)
    view.fa.update_time = call.now
    positions = [view.fa.position(m, side) for side in view.fa.position_sides()]
    event = account_update(
        view.fa, "MARGIN_TYPE_CHANGE", call.now, [m.margin_asset], positions, view.st.marks
    )
    call.emit(call.venue, [event])
    return {"code": 200, "msg": "success"}, 1


def change_position_mode(call: PrivateCall) -> tuple[Any, int]:
    """``POST /fapi/v1/positionSide/dual``: hedge mode (``true``) or one-way mode."""
    view = FuturesView(call)
    if not call.params.has("dualSidePosition"):
        raise mandatory("dualSidePosition")
    dual = parse_bool(call.params.values["dualSidePosition"], "dualSidePosition")
    view.fa.set_dual_side(dual, bool(view.st.open_orders(call.account.id)))
    view.fa.update_time = call.now
    return {"code": 200, "msg": "success"}, 1


def countdown_cancel_all(call: PrivateCall) -> tuple[Any, int]:
    """``POST /fapi/v1/countdownCancelAll``: cancel the symbol's open orders when
    ``countdownTime`` ms pass on the emulator clock without another call (0 stops it)."""
    view = FuturesView(call)
    symbol = call.params.symbol()
    call.engine.market(symbol)
    countdown = call.params.integer("countdownTime", required=True)
    assert countdown is not None
    view.st.set_countdown(call.account.id, symbol, countdown, call.now)
    return {"symbol": symbol, "countdownTime": str(countdown)}, 10


def order_rate_limits(_call: PrivateCall) -> tuple[Any, int]:
    """``GET /fapi/v1/rateLimit/order``: the account's ``ORDERS`` limits (Binance lists the
    limits only, without counts)."""
    return [dict(row) for row in FUTURES_RATE_LIMITS if row["rateLimitType"] == "ORDERS"], 1


def api_trading_status(call: PrivateCall) -> tuple[Any, int]:
    """``GET /fapi/v1/apiTradingStatus``: the quantitative-rules indicators, of which none has
    fired (the emulator applies no such lock, as ``/sapi/v1/account/apiTradingStatus`` says)."""
    one = call.params.has("symbol")
    if one:
        call.engine.market(call.params.symbol())
    return {"indicators": {}, "updateTime": call.account.created}, 1 if one else 10


def multi_assets_mode(call: PrivateCall) -> tuple[Any, int]:
    """``GET /fapi/v1/multiAssetsMargin``: Multi-Assets mode on or off (always off here)."""
    return {"multiAssetsMargin": futures_account(call.account, call.venue).multi_assets}, 30


def position_margin(call: PrivateCall) -> tuple[Any, int]:
    """``POST /fapi/v1/positionMargin``: add (type 1) or reduce (type 2) isolated margin."""
    view = FuturesView(call)
    symbol = call.params.symbol()
    m = call.engine.market(symbol)
    amount = _decimal(call, "amount")
    kind = call.params.integer("type", required=True)
    if kind not in (1, 2):
        raise illegal("type", "1, 2")
    side = str(call.params.text("positionSide") or "BOTH").upper()
    if side not in view.fa.position_sides():
        raise ExchangeError(-4061, "Order's position side does not match user's setting.")
    available = view.summary()[m.margin_asset].available
    pos = view.fa.adjust_isolated(m, side, amount, kind, available, call.now)
    event = account_update(
        view.fa, "MARGIN_TRANSFER", call.now, [m.margin_asset], [pos], view.st.marks
    )
    call.emit(call.venue, [event])
    return {
        "amount": float(amount),
        "code": 200,
        "msg": "Successfully modify position margin.",
        "type": kind,
    }, 1


# -- listen keys ---------------------------------------------------------------------------


def listen_key_start(call: PrivateCall) -> tuple[Any, int]:
    """``POST /fapi/v1/listenKey``; ``userDataStream.start``: the active key, extended."""
    futures_account(call.account, call.venue)
    lk = call.accounts.listen_keys.start(call.account.uid, call.venue, call.now)
    return {"listenKey": lk.key}, 1


def _sent_key(call: PrivateCall) -> str | None:
    return call.params.text("listenKey") if call.params.has("listenKey") else None


def listen_key_keepalive(call: PrivateCall) -> tuple[Any, int]:
    """``PUT /fapi/v1/listenKey``; ``userDataStream.ping``: extend the key 60 minutes.

    Raises:
        ExchangeError: -1125 when the account has no live key (it expired or was closed).
    """
    lk = call.accounts.listen_keys.keep_alive(
        call.account.uid, call.venue, call.now, _sent_key(call)
    )
    return {"listenKey": lk.key}, 1


def listen_key_close(call: PrivateCall) -> tuple[Any, int]:
    """``DELETE /fapi/v1/listenKey``; ``userDataStream.stop``: close the key."""
    call.accounts.listen_keys.close(call.account.uid, call.venue, call.now, _sent_key(call))
    return {}, 1
