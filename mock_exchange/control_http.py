"""The control API over HTTP: ``/_mock/<operation>`` on the emulator's port.

Every operation is a route of a row of :data:`mock_exchange.control.CONTROL_ACTIONS`: the
JSON body becomes the action's value and the action's result is the JSON answer. An unknown
operation answers 400 listing the known ones; a refused value answers 400 with the reason.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from .control import Controllable, find_http
from .errors import ExchangeError

__all__ = ["control_http", "control_operation"]


async def control_http(mx: Controllable, request: web.Request) -> web.Response:
    """Answer ``/_mock/<op>``: JSON in, JSON out; errors as 400 ``{"error": ...}``."""
    op = request.match_info["op"]
    try:
        body: dict[str, Any] = {}
        if request.can_read_body:
            raw = await request.read()
            body = orjson.loads(raw) if raw else {}
        result = control_operation(mx, request.method, op, body)
        return web.Response(body=orjson.dumps(result), content_type="application/json")
    except (ValueError, TypeError, KeyError, ExchangeError) as exc:
        return web.Response(
            status=400, body=orjson.dumps({"error": str(exc)}), content_type="application/json"
        )


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
