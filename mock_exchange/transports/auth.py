"""Which request needs what security, and the signing fields a request carried.

Binance classes every endpoint and WS API method by security type (reference 4.4 and 5):
``NONE`` (public), ``MARKET_DATA`` and ``USER_STREAM`` (API key only), ``TRADE`` and
``USER_DATA`` (``SIGNED``: API key, ``timestamp`` and ``signature`` over the exact payload).
Everything the emulator serves today is ``NONE``; public methods accept (and ignore) signing
fields, because ccxt signs some public WS API requests.

This module is the seam where verification will live: transports split the signing fields off
the parameters (:func:`split_signing`), keep them as :class:`Credentials`, and ask
:func:`authorize` before running a handler. Secrets never appear in a ``repr``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ..errors import ExchangeError

__all__ = [
    "SIGNING_FIELDS",
    "Credentials",
    "Security",
    "authorize",
    "split_signing",
]

SIGNING_FIELDS = ("apiKey", "signature", "timestamp", "recvWindow")


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


def _public(_creds: Credentials) -> None:
    """NONE: anything goes; signing fields sent anyway are ignored."""


_CHECKS: dict[Security, Callable[[Credentials], None]] = {Security.NONE: _public}


def authorize(security: Security, creds: Credentials) -> None:
    """Admit a request of ``security`` carrying ``creds`` or raise Binance's error.

    Raises:
        ExchangeError: -1020 for a security type the emulator does not verify yet (no route
            or method declares one today).
    """
    check = _CHECKS.get(security)
    if check is None:
        raise ExchangeError(
            -1020,
            f"This operation is not supported. (mock_exchange: {security.value} security is "
            "not implemented by the emulator)",
        )
    check(creds)
