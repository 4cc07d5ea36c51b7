"""The control API over HTTP: ``/_mock/<operation>`` on the emulator's port.

Every operation is a route of a row of :data:`mock_exchange.control.CONTROL_ACTIONS`: the
JSON body (a JSON object, or nothing) becomes the action's value and the action's result is
the JSON answer. An unknown operation answers 400 listing the known ones; a refused value
answers 400 with the reason and changes nothing.

Cross-site requests are refused (403): a web page can send a ``POST`` with a ``text/plain``
body to any address, so a browser on the developer's machine could otherwise drive the
emulator. A request is obeyed when it carries no ``Origin`` (scripts, curl, the scenario
runner), or an ``Origin`` whose host is a loopback name or address (``localhost``,
``*.localhost``, ``127.0.0.0/8``, ``::1``), or the very address the request arrived on (the
emulator's own page, by IP). A host name that merely resolves to the emulator is not trusted:
that is what a DNS-rebinding page would use. ``Sec-Fetch-Site: cross-site`` is refused too.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any
from urllib.parse import urlsplit

import orjson
from aiohttp import web

from .control import Controllable, find_http
from .errors import ExchangeError

__all__ = ["control_http", "control_operation", "is_loopback_host", "origin_refusal"]

log = logging.getLogger("mock_exchange")


def _json(status: int, body: Any) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json")


def is_loopback_host(host: str) -> bool:
    """Return True for a loopback name or address (``localhost``, ``127.0.0.1``, ``::1``)."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def origin_refusal(
    origin: str | None, fetch_site: str | None, local_address: str | None
) -> str | None:
    """Return why a control request from ``origin`` is refused, or None when it is obeyed.

    ``local_address`` is the address the request arrived on (same-origin by IP).
    """
    if fetch_site == "cross-site":
        return "cross-site control request refused (Sec-Fetch-Site: cross-site)"
    if origin is None:
        return None
    try:
        host = urlsplit(origin).hostname
    except ValueError:
        host = None
    if host is not None and (is_loopback_host(host) or host == local_address):
        return None
    return (
        f"control request from Origin {origin!r} refused: only requests without an Origin, "
        "from a loopback origin, or from the emulator's own address may drive it"
    )


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read() if request.can_read_body else b""
    if not raw.strip():
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"the body must be a JSON object ({exc})") from None
    if not isinstance(body, dict):
        raise ValueError(f"the body must be a JSON object, not {type(body).__name__}")
    return body


async def control_http(mx: Controllable, request: web.Request) -> web.Response:
    """Answer ``/_mock/<op>``: JSON in, JSON out; refusals as 400/403 ``{"error": ...}``."""
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    refused = origin_refusal(
        request.headers.get("Origin"),
        request.headers.get("Sec-Fetch-Site"),
        sockname[0] if sockname else None,
    )
    if refused is not None:
        return _json(403, {"error": refused})
    try:
        body = await _body(request)
        return _json(200, control_operation(mx, request.method, request.match_info["op"], body))
    except (ValueError, TypeError, KeyError, ExchangeError) as exc:
        return _json(400, {"error": str(exc)})
    except Exception as exc:  # an emulator bug: say so in JSON, never a bare 500 page
        op = request.match_info["op"].split("/")[0]  # later segments may hold an API key
        log.exception("control %s /_mock/%s failed", request.method, op)
        return _json(500, {"error": f"internal error: {type(exc).__name__}: {exc}"})


def control_operation(mx: Controllable, method: str, op: str, body: dict[str, Any]) -> Any:
    """Run control operation ``method /_mock/op`` with ``body``; return its JSON result.

    Raises:
        ValueError: unknown operation (the message lists the known ones).
    """
    action, route, params = find_http(method, op)
    value = route.value({**body, **params})
    if action.check is not None:
        value = action.check(value)
    return action.run(mx, value)
