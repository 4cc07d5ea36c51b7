"""The control API over HTTP: ``/_mock/<operation>`` on the emulator's port.

Every operation is a row of one table from (HTTP method, path) to a call on
:class:`~mock_exchange.server.MockExchange`; an unknown operation answers 400 listing the known
ones.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from .errors import ExchangeError

if TYPE_CHECKING:
    from .server import MockExchange

__all__ = ["control_http", "control_operation"]


async def control_http(mx: MockExchange, request: web.Request) -> web.Response:
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


def _op_reset(mx: MockExchange, seed: int | None) -> dict[str, Any]:
    mx.reset(seed)
    return {"seed": mx.config.seed}


def _op_rate(mx: MockExchange, rate: float) -> dict[str, Any]:
    mx.set_rate(rate)
    return {"rate": mx.activity.rate}


def _op_clear_faults(mx: MockExchange) -> dict[str, Any]:
    mx.control.clear_faults()
    return {"faults": []}


def _op_order(mx: MockExchange, body: dict[str, Any]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for name in ("quantity", "price", "quote_qty"):
        if body.get(name) is not None:
            kwargs[name] = Decimal(str(body[name]))
    if "time_in_force" in body:
        kwargs["time_in_force"] = body["time_in_force"]
    res = mx.place_order(
        str(body["symbol"]).upper(),
        body["side"],
        body.get("type", "LIMIT"),
        venue=body.get("venue", "spot"),
        **kwargs,
    )
    return {"orderId": res.order_id, "status": res.status, "executedQty": str(res.executed_qty)}


def _op_liquidate(mx: MockExchange, body: dict[str, Any]) -> dict[str, Any]:
    liq = mx.liquidate(
        str(body["symbol"]).upper(),
        body["side"],
        Decimal(str(body["quantity"])),
        venue=body.get("venue", "usdm"),
    )
    return {"status": liq.status, "filled": str(liq.filled)}


def control_operation(mx: MockExchange, method: str, op: str, body: dict[str, Any]) -> Any:
    """Run control operation ``method /_mock/op`` with ``body``; return its JSON result.

    Raises:
        ValueError: unknown operation (the message lists the known ones).
    """
    table: dict[tuple[str, str], Callable[[], Any]] = {
        ("POST", "reset"): lambda: _op_reset(mx, body.get("seed")),
        ("GET", "clock"): lambda: {"now": mx.clock.now_ms(), "frozen": mx.clock.frozen},
        ("POST", "clock/advance"): lambda: {"now": mx.clock.advance(int(body["ms"]))},
        ("POST", "clock/freeze"): lambda: {"now": mx.clock.freeze()},
        ("POST", "clock/resume"): lambda: {"now": mx.clock.resume()},
        ("POST", "rate"): lambda: _op_rate(mx, float(body["rate"])),
        ("POST", "faults"): lambda: mx.add_fault(**body).to_dict(),
        ("DELETE", "faults"): lambda: _op_clear_faults(mx),
        ("GET", "faults"): lambda: {"faults": [f.to_dict() for f in mx.control.faults]},
        ("POST", "push"): lambda: {"sent": mx.push(body["frame"], stream=body.get("stream"))},
        ("POST", "order"): lambda: _op_order(mx, body),
        ("POST", "liquidate"): lambda: _op_liquidate(mx, body),
        ("POST", "shutdown"): lambda: {"sent": mx.server_shutdown()},
        ("GET", "journal"): lambda: {"entries": [e.to_dict() for e in mx.control.journal]},
    }
    action = table.get((method, op.strip("/")))
    if action is None:
        raise ValueError(
            f"unknown control operation {method} /_mock/{op}; known: "
            + ", ".join(f"{m} /_mock/{o}" for m, o in table)
        )
    return action()
