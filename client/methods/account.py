"""Balances, positions and the account's liquidations, over REST and the WebSocket API.

The venue comes from the symbol, else from the ``type`` option (``spot``, ``margin``,
``future`` = USD-M, ``delivery`` = COIN-M); ``marginMode`` (``cross``/``isolated``) selects
the margin account.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import BadRequest, NotSupported
from ..options import exchange_params
from ..protocol.account import BalanceKind, parse_balance, parse_my_liquidation, parse_position
from ..protocol.numbers import dec
from ..types import Balance, Liquidation, Market, Position
from ..venues import VENUES, Venue, market_venue, venue_for_type
from .private import PrivateBase

__all__ = ["AccountMethods"]

_BALANCE_REST = {
    "spot": "/api/v3/account",
    "margin": "/sapi/v1/margin/account",
    "isolated": "/sapi/v1/margin/isolated/account",
    "future": "/fapi/v3/account",
    "delivery": "/dapi/v1/account",
}
_POSITIONS_REST = {"future": "/fapi/v3/positionRisk", "delivery": "/dapi/v1/positionRisk"}
_FORCE_ORDERS = {
    "margin": "/sapi/v1/margin/forceLiquidationRec",
    "future": "/fapi/v1/forceOrders",
    "delivery": "/dapi/v1/forceOrders",
}


class AccountMethods(PrivateBase):
    """``fetch_balance``, positions and ``fetch_my_liquidations``, REST and WS API."""

    def _balance_kind(self, v: Venue, opts: Mapping[str, Any]) -> BalanceKind:
        if v.name == "margin":
            return "isolated" if str(opts.get("margin_mode")) == "isolated" else "margin"
        if v.name in ("spot", "future", "delivery"):
            return v.name  # type: ignore[return-value]
        raise NotSupported(f"binance {v.label} balances are not supported by this client")

    async def fetch_balance(self, params: Mapping[str, Any] | None = None) -> Balance:
        """Return the account balance (``GET /api/v3/account``; margin
        ``/sapi/v1/margin/account`` or ``/isolated/account``; USD-M ``/fapi/v3/account``;
        COIN-M ``/dapi/v1/account``), chosen by ``type`` and ``marginMode``."""
        opts = self._opts(params)
        v = self._private_venue(opts)
        kind = self._balance_kind(v, opts)
        req = exchange_params(params)
        symbols = req.pop("symbols", None)
        if kind == "isolated" and symbols:
            ids = [(await self.market(s, {"type": "spot"}))["id"] for s in symbols]
            req["symbols"] = ",".join(ids)
        raw = await self._signed_rest("GET", v, _BALANCE_REST[kind], req, opts)
        return parse_balance(raw, kind)

    async def fetch_balance_ws(self, params: Mapping[str, Any] | None = None) -> Balance:
        """Return the account balance over the WebSocket API (``account.status``; on futures
        also ``account.balance`` with ``method``). On spot this is the real balance (ccxt
        returns an empty one there).

        Raises:
            BadRequest: margin (Binance's WS API has no margin account).
        """
        opts = self._opts(params)
        v = self._private_venue(opts)
        if v.name not in ("spot", "future", "delivery"):
            raise BadRequest(f"fetch_balance_ws: binance {v.label} has no WebSocket API balance")
        method = str(opts.get("method") or "account.status")
        raw = await self._signed_ws(v, method, exchange_params(params), opts)
        return parse_balance(raw, v.name)  # type: ignore[arg-type]

    # -- positions -------------------------------------------------------------------------

    def _futures_venue(self, opts: Mapping[str, Any], markets: Sequence[Market]) -> Venue:
        if markets:
            v = market_venue(markets[0])
        else:
            t = str(opts.get("type", "spot"))
            v = VENUES["future"] if t == "spot" else venue_for_type(t)
        if v.name not in ("future", "delivery"):
            raise BadRequest("positions exist on USD-M and COIN-M futures only")
        return v

    @staticmethod
    def _open_positions(rows: Any, lookup: Any, wanted: Sequence[Market]) -> list[Position]:
        ids = {m["id"] for m in wanted}
        out = []
        for row in rows if isinstance(rows, list) else []:
            sid = str(row.get("symbol", ""))
            if ids and sid not in ids:
                continue
            if not dec(row.get("positionAmt")):
                continue  # no position: Binance lists every symbol
            out.append(parse_position(row, lookup(sid)))
        return out

    async def fetch_positions(
        self, symbols: Sequence[str] | None = None, params: Mapping[str, Any] | None = None
    ) -> list[Position]:
        """Return the open positions (``GET /fapi/v3/positionRisk``, ``/dapi/v1/positionRisk``);
        the venue is the symbols', else the ``type`` option's (USD-M by default)."""
        opts = self._opts(params)
        ms = await self._markets(list(symbols or []), opts)
        v = self._futures_venue(opts, ms)
        raw = await self._signed_rest(
            "GET", v, _POSITIONS_REST[v.name], exchange_params(params), opts
        )
        return self._open_positions(raw, self._lookup(v.name), ms)

    async def fetch_positions_ws(
        self, symbols: Sequence[str] | None = None, params: Mapping[str, Any] | None = None
    ) -> list[Position]:
        """Return the open positions over the futures WebSocket API (``account.position``)."""
        opts = self._opts(params)
        ms = await self._markets(list(symbols or []), opts)
        v = self._futures_venue(opts, ms)
        req = exchange_params(params)
        if len(ms) == 1:
            req["symbol"] = ms[0]["id"]
        method = str(opts.get("method") or "account.position")
        raw = await self._signed_ws(v, method, req, opts)
        return self._open_positions(raw, self._lookup(v.name), ms)

    async def fetch_position_ws(
        self, symbol: str, params: Mapping[str, Any] | None = None
    ) -> list[Position]:
        """Return the open positions of one symbol over the WebSocket API (``account.position``
        with ``symbol``): one entry in one-way mode, up to two in hedge mode."""
        return await self.fetch_positions_ws([symbol], params)

    # -- liquidations ----------------------------------------------------------------------

    async def fetch_my_liquidations(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[Liquidation]:
        """Return the account's liquidations: USD-M ``GET /fapi/v1/forceOrders``, COIN-M
        ``/dapi/v1/forceOrders`` (``autoCloseType=LIQUIDATION``), margin
        ``/sapi/v1/margin/forceLiquidationRec``."""
        opts = self._opts(params)
        m = await self.market(symbol, opts) if symbol is not None else None
        v = self._private_venue(opts, m)
        if v.name == "spot":
            v = VENUES["margin"]  # spot liquidations are margin liquidations
        path = _FORCE_ORDERS.get(v.name)
        if path is None:
            raise NotSupported(f"fetch_my_liquidations: not offered on binance {v.label}")
        req: dict[str, Any] = {}
        if v.name != "margin":
            req["autoCloseType"] = "LIQUIDATION"
        if m is not None:
            req["isolatedSymbol" if v.name == "margin" else "symbol"] = m["id"]
        if since is not None:
            req["startTime"] = since
        if limit is not None:
            req["size" if v.name == "margin" else "limit"] = limit
        req.update(exchange_params(params))
        raw = await self._signed_rest("GET", v, path, req, opts)
        rows = raw.get("rows", []) if isinstance(raw, dict) else raw
        lookup = self._lookup("spot" if v.name == "margin" else v.name)
        out = [parse_my_liquidation(r, m or lookup(str(r.get("symbol", "")))) for r in rows]
        out.sort(key=lambda liq: liq["timestamp"] or 0)
        return out[-limit:] if limit else out
