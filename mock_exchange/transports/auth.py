"""Request security as Binance does it: who may call what, signatures and timing.

Binance classes every endpoint and WS API method by security type (reference 4.3, 5):
``NONE`` (public), ``USER_STREAM`` (REST: API key only), ``TRADE`` and ``USER_DATA``
(``SIGNED``: API key, ``timestamp`` and ``signature`` over the exact payload). An
:class:`Access` row adds the key permission a route needs (``spot`` for spot trading,
``reading`` for account data...). :func:`authorize` is the one check every transport runs:

1. ``NONE``: signing fields are ignored (ccxt signs some public WS API requests).
2. API key: missing or malformed ``-2014`` (401), unknown ``-2015`` (401).
3. ``SIGNED``: ``timestamp`` and ``signature`` are mandatory (``-1102``); ``recvWindow``
   defaults to 5000 ms, may carry 3 decimals, and may not exceed 60000 (``-1102``); a
   ``timestamp`` (ms, or µs when it has 16+ digits) at or beyond ``now + 1000`` or older than
   ``recvWindow`` is ``-1021`` in Binance's two wordings; a signature that does not verify is
   ``-1022``.
4. The key must hold the route's permission (``-2015``; ``-1002 You are not authorized to
   execute this request.`` on ``/sapi/`` endpoints).

The payload a signature covers is built by the transport: REST signs the raw query followed by
the raw body (:meth:`~mock_exchange.transports.request.RawRequest.signed_payload`); the WS API
signs the sorted parameters (:func:`ws_payloads`, raw or percent-encoded). Secrets never appear
in a ``repr`` or an error message.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any
from urllib.parse import quote, quote_plus

from ..engine.accounts import Account, Accounts
from ..engine.keys import ApiKey, valid_key_format
from ..errors import ExchangeError
from .params import mandatory

__all__ = [
    "ACCESS_API_KEY",
    "ACCESS_FUTURES_TRADE",
    "ACCESS_MARGIN",
    "ACCESS_PUBLIC",
    "ACCESS_SIGNED_STREAM",
    "ACCESS_TRADE",
    "ACCESS_USER_DATA",
    "DEFAULT_RECV_WINDOW",
    "MAX_RECV_WINDOW",
    "SIGNING_FIELDS",
    "Access",
    "Credentials",
    "Principal",
    "Security",
    "authorize",
    "bad_key_format",
    "bad_signature",
    "check_timing",
    "rejected_key",
    "split_signing",
    "unauthorized",
    "ws_param_texts",
    "ws_payloads",
]

SIGNING_FIELDS = ("apiKey", "signature", "timestamp", "recvWindow")
DEFAULT_RECV_WINDOW = Decimal(5000)
MAX_RECV_WINDOW = Decimal(60000)
_EARLIEST_MS = 1_483_228_800_000  # 2017-01-01: Binance rejects older timestamps
_MICROSECONDS = 10**14  # a timestamp this large is in microseconds


class Security(Enum):
    """Binance's security types."""

    NONE = "NONE"
    MARKET_DATA = "MARKET_DATA"
    USER_STREAM = "USER_STREAM"
    TRADE = "TRADE"
    USER_DATA = "USER_DATA"

    @property
    def signed(self) -> bool:
        """True for the types that need ``timestamp`` and ``signature``."""
        return self in (Security.TRADE, Security.USER_DATA)


@dataclass(frozen=True)
class Access:
    """What a route or method needs: its security type and the key permission it uses.

    ``signed`` overrides the security type's default (``userDataStream.subscribe.signature``
    is ``USER_STREAM`` yet signed).
    """

    security: Security
    permission: str | None = None
    signed: bool | None = None
    # the code refusing a key without ``permission``: -2015 on /api, -1002 on /sapi
    denial: int = -2015

    @property
    def needs_signature(self) -> bool:
        """True when the request must carry ``timestamp`` and ``signature``."""
        return self.security.signed if self.signed is None else self.signed

    @property
    def needs_key(self) -> bool:
        """True when the request must name an API key."""
        return self.security is not Security.NONE and self.security is not Security.MARKET_DATA


ACCESS_PUBLIC = Access(Security.NONE)
ACCESS_API_KEY = Access(Security.USER_STREAM, "reading")
ACCESS_SIGNED_STREAM = Access(Security.USER_STREAM, "reading", signed=True)
ACCESS_USER_DATA = Access(Security.USER_DATA, "reading")
ACCESS_TRADE = Access(Security.TRADE, "spot")
ACCESS_MARGIN = Access(Security.TRADE, "margin")
ACCESS_FUTURES_TRADE = Access(Security.TRADE, "futures")


@dataclass(frozen=True)
class Credentials:
    """The signing fields of one request (WS API params, or the REST key header and query).

    ``repr`` shows which fields were sent, never their values.
    """

    api_key: str | None = None
    signature: str | None = None
    timestamp: Any = None
    recv_window: Any = None

    def __repr__(self) -> str:
        sent = [
            name
            for name, value in (
                ("api_key", self.api_key),
                ("signature", self.signature),
                ("timestamp", self.timestamp),
                ("recv_window", self.recv_window),
            )
            if value is not None
        ]
        return f"Credentials(sent={sent})"

    @property
    def empty(self) -> bool:
        """True when no signing field was sent."""
        return self == Credentials()


@dataclass(frozen=True)
class Principal:
    """Who a request acts for: the key it was authorised with and that key's account."""

    key: ApiKey
    account: Account

    def __repr__(self) -> str:
        return f"Principal(uid={self.account.uid}, type={self.key.key_type.value})"


def split_signing(
    params: Mapping[str, Any], api_key_header: str | None = None
) -> tuple[dict[str, Any], Credentials]:
    """Split request parameters into (handler parameters, signing fields).

    ``api_key_header`` is REST's ``X-MBX-APIKEY``; on the WS API the key is the ``apiKey``
    parameter.
    """
    rest = {k: v for k, v in params.items() if k not in SIGNING_FIELDS}
    api_key = params.get("apiKey", api_key_header)
    creds = Credentials(
        api_key=None if api_key is None else str(api_key),
        signature=None if params.get("signature") is None else str(params["signature"]),
        timestamp=params.get("timestamp"),
        recv_window=params.get("recvWindow"),
    )
    return rest, creds


# -- errors, verbatim ------------------------------------------------------------------------


def bad_key_format() -> ExchangeError:
    """-2014 (HTTP 401): the API key is missing or malformed."""
    return ExchangeError(-2014, "API-key format invalid.", 401)


def rejected_key() -> ExchangeError:
    """-2015 (HTTP 401): unknown key, or a key without the permission for the action."""
    return ExchangeError(-2015, "Invalid API-key, IP, or permissions for action.", 401)


def unauthorized() -> ExchangeError:
    """-1002 (HTTP 401): the key may not use this endpoint."""
    return ExchangeError(-1002, "You are not authorized to execute this request.", 401)


def bad_signature() -> ExchangeError:
    """-1022 (HTTP 400): the signature does not verify."""
    return ExchangeError(-1022, "Signature for this request is not valid.")


def _outside() -> ExchangeError:
    return ExchangeError(-1021, "Timestamp for this request is outside of the recvWindow.")


def _ahead() -> ExchangeError:
    return ExchangeError(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")


# -- timing ----------------------------------------------------------------------------------


def _timestamp_ms(value: Any) -> Decimal:
    text = str(value) if not isinstance(value, bool) else ""
    if isinstance(value, float) or not text.isdigit() or len(text) > 20:
        raise mandatory("timestamp")
    ts = Decimal(text)
    return ts / 1000 if ts >= _MICROSECONDS else ts


def _recv_window(value: Any) -> Decimal:
    if value is None or value == "":
        return DEFAULT_RECV_WINDOW
    if isinstance(value, bool):
        raise mandatory("recvWindow")
    try:
        window = Decimal(str(value))
    except InvalidOperation:
        raise mandatory("recvWindow") from None
    if not window.is_finite() or window < 0:
        raise mandatory("recvWindow")
    if window > MAX_RECV_WINDOW:
        raise ExchangeError(
            -1102, "'recvWindow' contains unexpected value. Cannot be greater than 60000."
        )
    if window != window.quantize(Decimal("0.001")):
        raise ExchangeError(-1111, "Parameter 'recvWindow' has too much precision.")
    return window


def check_timing(creds: Credentials, now: int) -> None:
    """Apply Binance's timing security to ``timestamp`` and ``recvWindow`` at ``now`` (ms).

    Raises:
        ExchangeError: -1102 missing/malformed timestamp or recvWindow over 60000, -1111
            recvWindow with more than 3 decimals, -1021 ahead of the server or outside the
            window.
    """
    if creds.timestamp is None or creds.timestamp == "":
        raise mandatory("timestamp")
    ts = _timestamp_ms(creds.timestamp)
    window = _recv_window(creds.recv_window)
    if ts >= now + 1000:
        raise _ahead()
    if now - ts > window or ts < _EARLIEST_MS:
        raise _outside()


# -- WS API payloads -------------------------------------------------------------------------


def _token_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def ws_param_texts(frame_text: str) -> dict[str, str]:
    """Return each WS API parameter's value as the client wrote it (numbers keep their text).

    ``{"recvWindow": 5000.50}`` gives ``"5000.50"``: the signature covers the token sent, so
    the frame is read again with numbers kept as text. Null values are left out.
    """
    try:
        msg = json.loads(frame_text, parse_float=str, parse_int=str, parse_constant=str)
    except ValueError:
        return {}
    params = msg.get("params") if isinstance(msg, dict) else None
    if not isinstance(params, dict):
        return {}
    out: dict[str, str] = {}
    for name, value in params.items():
        text = _token_text(value)
        if text is not None:
            out[str(name)] = text
    return out


def ws_payloads(texts: Mapping[str, str]) -> list[bytes]:
    """Return the payloads a WS API signature may cover, most likely first.

    All parameters but ``signature``, sorted by name, ``name=value`` joined with ``&``: raw
    UTF-8 (Binance's documented form, ccxt), and percent-encoded (the official SDK signs
    ``urlencode`` of the sorted parameters). They differ only for reserved or non-ASCII text.
    """
    pairs = sorted((k, v) for k, v in texts.items() if k != "signature")
    raw = "&".join(f"{k}={v}" for k, v in pairs)
    plus = "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in pairs)
    encoded = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
    out: list[bytes] = []
    for payload in (raw, plus, encoded):
        data = payload.encode()
        if data not in out:
            out.append(data)
    return out


# -- the check -------------------------------------------------------------------------------


def _key(accounts: Accounts, api_key: str | None) -> ApiKey:
    if not valid_key_format(api_key):
        raise bad_key_format()
    key = accounts.key(api_key)
    if key is None:
        raise rejected_key()
    return key


def authorize(
    access: Access,
    creds: Credentials,
    accounts: Accounts,
    now: int,
    payloads: Callable[[], Iterable[bytes]],
    *,
    session_key: ApiKey | None = None,
) -> Principal | None:
    """Admit a request needing ``access``; return who it acts for (None when public).

    Args:
        payloads: the byte strings the signature may cover (built only when needed).
        session_key: the key a WS API session logged on with; a signed request without
            ``apiKey`` and ``signature`` acts for it (``timestamp`` still required).

    Raises:
        ExchangeError: Binance's error, in the order listed in the module docstring.
    """
    if not access.needs_key:
        return None
    ad_hoc = creds.api_key is not None or creds.signature is not None
    if session_key is not None and not ad_hoc:
        key = session_key
        if access.needs_signature:
            check_timing(creds, now)
    else:
        if not creds.api_key:
            raise bad_key_format()
        if access.needs_signature:
            if creds.timestamp is None or creds.timestamp == "":
                raise mandatory("timestamp")
            if not creds.signature:
                raise mandatory("signature")
        key = _key(accounts, creds.api_key)
        if access.needs_signature:
            check_timing(creds, now)
            assert creds.signature is not None
            if not any(key.verify(p, creds.signature) for p in payloads()):
                raise bad_signature()
    if not key.allows(access.permission):
        raise unauthorized() if access.denial == -1002 else rejected_key()
    account = accounts.get(key.uid)
    if account is None:  # pragma: no cover - keys are only made for existing accounts
        raise rejected_key()
    return Principal(key, account)
