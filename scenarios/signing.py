"""What private steps need besides the client: signed raw requests and frames, errors as data.

A raw ``request`` with ``auth: signed`` and a raw WebSocket API ``send`` with ``sign`` are
signed here with the run's account (the target's own key on live targets), by the client's own
signing code (:mod:`client.protocol.signing`): REST over the query string as sent, the WS API
over the sorted parameters. Timestamps are the target's clock (the emulator's virtual clock
offline, Binance's time live). A ``raises`` on a raw request decodes the answer through the
client's error table (:func:`client.errors.error_from_binance`), so "the right client error"
is judged the same way for the client's calls and for frames the scenario wrote itself.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlencode

from client.errors import BaseError, error_from_binance
from client.protocol.signing import sign_ws_params, value_text

from .accounts import Account
from .model import Where

__all__ = [
    "ClassError",
    "answer_error",
    "error_class",
    "error_dict",
    "frame_error",
    "plain",
    "signed_query",
    "signed_ws_params",
]


class ClassError(ValueError):
    """A name that is not a client error class."""


def error_class(name: str) -> type[BaseError]:
    """Return the client error class ``name`` (``InvalidOrder``, ``PermissionDenied``...).

    Raises:
        ClassError: no such class in :mod:`client.errors`.
    """
    import client.errors as errors

    cls = getattr(errors, name, None)
    if not (isinstance(cls, type) and issubclass(cls, BaseError)):
        raise ClassError(f"{name!r} is not a client error class")
    return cls


def error_dict(exc: BaseError) -> dict[str, Any]:
    """Return an expected error as data a scenario can check: ``{error, message, code,
    filter}`` (``code`` Binance's, when it sent one; ``filter`` for an invalid order)."""
    return {
        "error": type(exc).__name__,
        "message": str(exc),
        "code": getattr(exc, "code", None),
        "filter": getattr(exc, "filter", None),
    }


def plain(result: Any) -> Any:
    """Return ``result`` as JSON-like data: a dataclass (``authenticate``'s ``WsAuth``)
    becomes a dict of its shown fields (never a key it hides from ``repr``)."""
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return {f.name: getattr(result, f.name) for f in dataclasses.fields(result) if f.repr}
    return result


def signed_query(params: dict[str, Any], account: Account, now_ms: int) -> str:
    """Return the query string of a signed REST request: the parameters as given (with a
    ``timestamp`` unless one is given), then ``signature`` over exactly that text."""
    body = {k: value_text(v) for k, v in params.items()}
    body.setdefault("timestamp", str(now_ms))
    query = urlencode(body)
    return f"{query}&signature={account.signer(query)}" if query else ""


def signed_ws_params(params: Any, account: Account, now_ms: int) -> dict[str, Any]:
    """Return WS API ``params`` signed with ``account``: ``apiKey``, ``timestamp`` (unless
    given) and ``signature`` over every parameter, sorted."""
    given = dict(params) if isinstance(params, dict) else {}
    timestamp = int(given.pop("timestamp", now_ms))
    return sign_ws_params(
        given, timestamp=timestamp, recv_window=None, api_key=account.api_key, signer=account.signer
    )


def frame_error(frame: Any, where: Where) -> BaseError | None:
    """Return the client error a WebSocket API answer decodes to (None: not an error)."""
    if not isinstance(frame, dict) or not isinstance(frame.get("error"), dict):
        return None
    err = frame["error"]
    status = frame.get("status")
    return error_from_binance(
        err.get("code"),
        err.get("msg"),
        status=status if isinstance(status, int) else None,
        context=str(where),
        data=err.get("data"),
    )


def answer_error(status: int, body: Any, headers: dict[str, str], where: Where) -> BaseError | None:
    """Return the client error a REST answer decodes to (None for a 2xx answer)."""
    if 200 <= status < 300:
        return None
    code = body.get("code") if isinstance(body, dict) else None
    msg = body.get("msg") if isinstance(body, dict) else str(body)[:200]
    retry = headers.get("retry-after")
    return error_from_binance(
        code,
        msg,
        status=status,
        context=str(where),
        retry_after=float(retry) if retry and retry.isdigit() else None,
    )
