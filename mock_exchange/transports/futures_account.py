"""Futures account reads, written once for REST (``/fapi``, ``/dapi``) and ``ws-fapi``.

``GET /fapi/v2|v3/account`` = ``account.status`` | ``v2/account.status``; ``GET
/fapi/v2|v3/balance`` = ``account.balance`` | ``v2/account.balance``; ``GET
/fapi/v2|v3/positionRisk`` = ``account.position`` | ``v2/account.position``; plus
``leverageBracket``, ``commissionRate``, ``symbolConfig``, ``accountConfig``,
``positionSide/dual``, ``income``, ``userTrades``, ``forceOrders`` and the isolated-margin
history. Shapes follow the official USD-M SDK models; v3 lists only symbols with a position,
v2 lists every symbol and position side.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..engine.futures.account import AssetSummary, FuturesAccount, futures_account
from ..engine.futures.liquidation_price import liquidation_price
from ..engine.futures.positions import Position
from ..engine.futures.settlement import FuturesSettlement
from ..engine.markets import Market, fmt
from ..errors import ExchangeError
from . import futures_payloads as fp
from .params import either_mandatory, mandatory
from .private import PrivateCall

__all__ = [
    "FuturesView",
    "account_config",
    "account_v2",
    "account_v3",
    "balance",
    "commission_rate",
    "force_orders",
    "income",
    "leverage_bracket",
    "position_margin_history",
    "position_risk_v2",
    "position_risk_v3",
    "position_side_dual",
    "symbol_config",
    "user_trades",
]

_ZERO = Decimal(0)


class FuturesView:
    """What one request sees of a futures account: settlement, state, marks, margin figures."""

    def __init__(self, call: PrivateCall) -> None:
        self.call = call
        self.st: FuturesSettlement = call.exchange.futures[call.venue]
        self.fa: FuturesAccount = futures_account(call.account, call.venue)
        self.markets = call.engine.markets
        self._marks: dict[str, Decimal] = {}

    def mark(self, symbol: str) -> Decimal:
        """The mark price of ``symbol`` (read once per request)."""
        if symbol not in self._marks:
            self._marks[symbol] = self.st.marks(symbol)
        return self._marks[symbol]

    @property
    def quote_assets(self) -> list[str]:
        """The margin assets of the venue's markets."""
        return sorted({m.margin_asset for m in self.markets.values()})

    def summary(self) -> dict[str, AssetSummary]:
        """The account's margin figures per asset."""
        marks = {p.symbol: self.mark(p.symbol) for p in self.fa.open_positions()}
        return self.fa.summary(
            marks, self.st.brackets, self.st.open_order_initial(self.fa), self.quote_assets
        )

    def symbols(self) -> list[str]:
        """The requested symbol (validated), or every symbol of the venue."""
        params = self.call.params
        if params.has("symbol"):
            symbol = params.symbol()
            self.call.engine.market(symbol)
            return [symbol]
        return sorted(self.markets)

    def queried_symbols(self, *, required: bool) -> list[str] | None:
        """The symbols a history or open-order query names: ``symbol``, or on COIN-M every
        symbol of ``pair`` (Binance's ``/dapi`` takes either); None when neither was sent and
        neither is ``required``.

        Raises:
            ExchangeError: -1128 when both are sent, -1102 when a required one is missing
                (USD-M ``userTrades`` and ``allOrders`` need ``symbol``, as on Binance).
        """
        params = self.call.params
        pair = params.text("pair") if self.call.venue == "coinm" else None
        if pair is None:
            if not (params.has("symbol") or required):
                return None
            if not params.has("symbol"):  # required: USD-M needs the symbol
                if self.call.venue == "coinm":
                    raise either_mandatory("symbol", "pair")
                raise mandatory("symbol")
            return self.symbols()
        if params.has("symbol"):
            raise ExchangeError(-1128, "Combination of optional parameters invalid.")
        return sorted(s for s, m in self.markets.items() if m.pair == pair.upper())

    def position(self, m: Market, side: str) -> Position:
        """The position of ``m`` on ``side`` (flat when never opened)."""
        return self.fa.position(m, side)

    def liq_price(self, pos: Position) -> Decimal:
        """The position's liquidation price at the current marks."""
        if self.fa.isolated(pos.symbol):
            return liquidation_price(pos, pos.isolated_wallet, _ZERO, self.st.brackets)
        others = _ZERO
        cross_wallet = self.summary()[pos.margin_asset].cross_wallet
        for p in self.fa.open_positions():
            if p is pos or p.margin_asset != pos.margin_asset or self.fa.isolated(p.symbol):
                continue
            mark = self.mark(p.symbol)
            others += p.unrealized(mark) - self.st.brackets.maint_margin(p.notional(mark))
        return liquidation_price(pos, cross_wallet, others, self.st.brackets)

    def position_figures(self, pos: Position) -> dict[str, Decimal]:
        """Notional, unrealised PnL, initial and maintenance margin of ``pos``."""
        mark = self.mark(pos.symbol)
        notional = pos.notional(mark)
        initial = abs(notional) / self.fa.settings_of(pos.symbol).leverage
        return {
            "notional": notional,
            "unrealized": pos.unrealized(mark),
            "initial": initial,
            "maint": self.st.brackets.maint_margin(notional),
        }

    def order_sides(self, symbol: str) -> tuple[Decimal, Decimal]:
        """Bid and ask notional of the account's open orders on ``symbol``."""
        bid = ask = _ZERO
        m = self.markets[symbol]
        for r in self.st.open_orders(self.fa.account.id, symbol):
            value = self.st.notional(m, (r.orig_qty or _ZERO) - r.executed_qty, r.price or _ZERO)
            if r.side == "BUY":
                bid += value
            else:
                ask += value
        return bid, ask


def _asset_time(fa: FuturesAccount, s: AssetSummary) -> int:
    """An asset row's ``updateTime``: 0 for an asset never held (clients skip those rows)."""
    if s.wallet == 0 and s.position_initial == 0 and s.open_order_initial == 0:
        return 0
    return max(fa.update_time, fa.account.update_time)


def _asset_row(s: AssetSummary, now: int) -> dict[str, Any]:
    return {
        "asset": s.asset,
        "walletBalance": fp.money(s.wallet),
        "unrealizedProfit": fp.money(s.unrealized),
        "marginBalance": fp.money(s.margin_balance),
        "maintMargin": fp.money(s.maint),
        "initialMargin": fp.money(s.initial),
        "positionInitialMargin": fp.money(s.position_initial),
        "openOrderInitialMargin": fp.money(s.open_order_initial),
        "crossWalletBalance": fp.money(s.cross_wallet),
        "crossUnPnl": fp.money(s.cross_unrealized),
        "availableBalance": fp.money(s.available),
        "maxWithdrawAmount": fp.money(s.max_withdraw),
        "updateTime": now,
    }


def _totals(summary: dict[str, AssetSummary], asset: str) -> dict[str, Any]:
    s = summary.get(asset, AssetSummary(asset))
    return {
        "totalInitialMargin": fp.money(s.initial),
        "totalMaintMargin": fp.money(s.maint),
        "totalWalletBalance": fp.money(s.wallet),
        "totalUnrealizedProfit": fp.money(s.unrealized),
        "totalMarginBalance": fp.money(s.margin_balance),
        "totalPositionInitialMargin": fp.money(s.position_initial),
        "totalOpenOrderInitialMargin": fp.money(s.open_order_initial),
        "totalCrossWalletBalance": fp.money(s.cross_wallet),
        "totalCrossUnPnl": fp.money(s.cross_unrealized),
        "availableBalance": fp.money(s.available),
        "maxWithdrawAmount": fp.money(s.max_withdraw),
    }


def _flags(fa: FuturesAccount) -> dict[str, Any]:
    account = fa.account
    return {
        "feeTier": 0,
        "canTrade": account.can_trade,
        "canDeposit": account.can_deposit,
        "canWithdraw": account.can_withdraw,
    }


def account_v3(call: PrivateCall) -> tuple[Any, int]:
    """``GET /fapi/v3/account``; ``v2/account.status``: totals, assets, open positions."""
    view = FuturesView(call)
    summary = view.summary()
    positions = []
    for pos in view.fa.open_positions():
        f = view.position_figures(pos)
        isolated = view.fa.isolated(pos.symbol)
        positions.append(
            {
                "symbol": pos.symbol,
                "positionSide": pos.side,
                "positionAmt": fp.qty(view.markets[pos.symbol], pos.amount),
                "unrealizedProfit": fp.money(f["unrealized"]),
                "isolatedMargin": fp.money(
                    pos.isolated_wallet + f["unrealized"] if isolated else _ZERO
                ),
                "notional": fp.money(f["notional"]),
                "isolatedWallet": fp.money(pos.isolated_wallet if isolated else _ZERO),
                "initialMargin": fp.money(f["initial"]),
                "maintMargin": fp.money(f["maint"]),
                "updateTime": pos.update_time,
            }
        )
    asset = view.quote_assets[0] if view.quote_assets else "USDT"
    return {
        **_totals(summary, asset),
        "assets": [_asset_row(s, _asset_time(view.fa, s)) for _, s in sorted(summary.items())],
        "positions": positions,
    }, 5


def account_v2(call: PrivateCall) -> tuple[Any, int]:
    """``GET /fapi/v2/account``; ``account.status``: flags, totals, assets, every position."""
    view = FuturesView(call)
    summary = view.summary()
    fa = view.fa
    positions = []
    for symbol in sorted(view.markets):
        m = view.markets[symbol]
        settings = fa.settings_of(symbol)
        bid, ask = view.order_sides(symbol)
        for side in fa.position_sides():
            pos = view.position(m, side)
            f = view.position_figures(pos)
            positions.append(
                {
                    "symbol": symbol,
                    "initialMargin": fp.money(f["initial"]),
                    "maintMargin": fp.money(f["maint"]),
                    "unrealizedProfit": fp.money(f["unrealized"]),
                    "positionInitialMargin": fp.money(f["initial"]),
                    "openOrderInitialMargin": "0",
                    "leverage": str(settings.leverage),
                    "isolated": settings.margin_type == "ISOLATED",
                    "entryPrice": fp.price8(pos.entry),
                    "breakEvenPrice": fp.price8(pos.break_even()),
                    "maxNotional": fmt(view.st.brackets.max_notional(settings.leverage), 0),
                    "bidNotional": fp.money(bid),
                    "askNotional": fp.money(ask),
                    "positionSide": side,
                    "positionAmt": fp.qty(m, pos.amount),
                    "updateTime": pos.update_time,
                }
            )
    asset = view.quote_assets[0] if view.quote_assets else "USDT"
    assets = []
    for _, s in sorted(summary.items()):
        row = _asset_row(s, _asset_time(fa, s))
        row["marginAvailable"] = True
        assets.append(row)
    return {
        **_flags(fa),
        "updateTime": fa.update_time,
        "multiAssetsMargin": fa.multi_assets,
        "tradeGroupId": -1,
        **_totals(summary, asset),
        "assets": assets,
        "positions": positions,
    }, 5


def balance(call: PrivateCall) -> tuple[Any, int]:
    """``GET /fapi/v2|v3/balance``; ``account.balance``: one row per asset."""
    view = FuturesView(call)
    return [
        {
            "accountAlias": "SgsR",
            "asset": s.asset,
            "balance": fp.money(s.wallet),
            "crossWalletBalance": fp.money(s.cross_wallet),
            "crossUnPnl": fp.money(s.cross_unrealized),
            "availableBalance": fp.money(s.available),
            "maxWithdrawAmount": fp.money(s.max_withdraw),
            "marginAvailable": True,
            "updateTime": _asset_time(view.fa, s),
        }
        for _, s in sorted(view.summary().items())
    ], 5


def _risk_row(view: FuturesView, pos: Position, m: Market) -> dict[str, Any]:
    f = view.position_figures(pos)
    settings = view.fa.settings_of(pos.symbol)
    isolated = settings.margin_type == "ISOLATED"
    return {
        "symbol": pos.symbol,
        "positionSide": pos.side,
        "positionAmt": fp.qty(m, pos.amount),
        "entryPrice": fp.price8(pos.entry),
        "breakEvenPrice": fp.price8(pos.break_even()),
        "markPrice": fp.price8(view.mark(pos.symbol)),
        "unRealizedProfit": fp.money(f["unrealized"]),
        "liquidationPrice": fp.price8(view.liq_price(pos)),
        "isolatedMargin": fp.money(pos.isolated_wallet + f["unrealized"] if isolated else _ZERO),
        "notional": fp.money(f["notional"]),
        "isolatedWallet": fp.money(pos.isolated_wallet if isolated else _ZERO),
        "updateTime": pos.update_time,
        "_figures": f,
        "_settings": settings,
    }


def position_risk_v3(call: PrivateCall) -> tuple[Any, int]:
    """``GET /fapi/v3/positionRisk``; ``v2/account.position``: symbols with a position."""
    view = FuturesView(call)
    wanted = set(view.symbols())
    out = []
    for pos in view.fa.open_positions():
        if pos.symbol not in wanted:
            continue
        m = view.markets[pos.symbol]
        row = _risk_row(view, pos, m)
        f = row.pop("_figures")
        row.pop("_settings")
        bid, ask = view.order_sides(pos.symbol)
        update = row.pop("updateTime")
        row.update(
            {
                "marginAsset": m.margin_asset,
                "initialMargin": fp.money(f["initial"]),
                "maintMargin": fp.money(f["maint"]),
                "positionInitialMargin": fp.money(f["initial"]),
                "openOrderInitialMargin": "0",
                "adl": 0,
                "bidNotional": fp.money(bid),
                "askNotional": fp.money(ask),
                "updateTime": update,
            }
        )
        out.append(row)
    return out, 5


def position_risk_v2(call: PrivateCall) -> tuple[Any, int]:
    """``GET /fapi/v2/positionRisk``; ``account.position``: every symbol and position side."""
    view = FuturesView(call)
    out = []
    for symbol in view.symbols():
        m = view.markets[symbol]
        for side in view.fa.position_sides():
            row = _risk_row(view, view.position(m, side), m)
            row.pop("_figures")
            settings = row.pop("_settings")
            out.append(
                {
                    "entryPrice": row["entryPrice"],
                    "breakEvenPrice": row["breakEvenPrice"],
                    "marginType": "isolated" if settings.margin_type == "ISOLATED" else "cross",
                    "isAutoAddMargin": "false",
                    "isolatedMargin": row["isolatedMargin"],
                    "leverage": str(settings.leverage),
                    "liquidationPrice": row["liquidationPrice"],
                    "markPrice": row["markPrice"],
                    "maxNotionalValue": fmt(view.st.brackets.max_notional(settings.leverage), 0),
                    "positionAmt": row["positionAmt"],
                    "notional": row["notional"],
                    "isolatedWallet": row["isolatedWallet"],
                    "symbol": symbol,
                    "unRealizedProfit": row["unRealizedProfit"],
                    "positionSide": side,
                    "updateTime": row["updateTime"],
                }
            )
    return out, 5


def leverage_bracket(call: PrivateCall) -> tuple[Any, int]:
    """``GET /fapi/v1/leverageBracket`` (``/dapi/v1/leverageBracket`` by pair, in quantity)."""
    view = FuturesView(call)
    rows = view.st.brackets.rows
    if call.venue == "coinm":
        pairs = sorted({m.pair for m in view.markets.values()})
        if call.params.has("pair"):
            pairs = [str(call.params.text("pair")).upper()]
        return [{"pair": pair, "brackets": _qty_brackets(view)} for pair in pairs], 1
    return [
        {
            "symbol": symbol,
            "notionalCoef": 1.0,
            "brackets": [
                {
                    "bracket": b.bracket,
                    "initialLeverage": b.initial_leverage,
                    "notionalCap": int(b.notional_cap),
                    "notionalFloor": int(b.notional_floor),
                    "maintMarginRatio": float(b.maint_margin_ratio),
                    "cum": float(b.cum),
                }
                for b in rows
            ],
        }
        for symbol in view.symbols()
    ], 1


def _qty_brackets(view: FuturesView) -> list[dict[str, Any]]:
    """COIN-M bracket rows: caps and floors in contracts (``qtyCap``/``qtyFloor``)."""
    return [
        {
            "bracket": b.bracket,
            "initialLeverage": b.initial_leverage,
            "qtyCap": float(b.notional_cap),
            "qtyFloor": float(b.notional_floor),
            "maintMarginRatio": float(b.maint_margin_ratio),
            "cum": float(b.cum),
        }
        for b in view.st.brackets.rows
    ]


def leverage_bracket_by_symbol(call: PrivateCall) -> tuple[Any, int]:
    """``GET /dapi/v2/leverageBracket``: COIN-M brackets per symbol (the pair form is v1).

    ccxt's ``binancecoinm`` reads it before every position query (``load_leverage_brackets``),
    python-binance's ``futures_coin_leverage_bracket`` too.
    """
    view = FuturesView(call)
    return [
        {"symbol": symbol, "notionalCoef": 1.0, "brackets": _qty_brackets(view)}
        for symbol in view.symbols()
    ], 1


def commission_rate(call: PrivateCall) -> tuple[Any, int]:
    """``GET /fapi/v1/commissionRate``: the account's maker and taker rates of a symbol."""
    view = FuturesView(call)
    symbol = view.symbols()[0] if call.params.has("symbol") else call.params.symbol()
    return {
        "symbol": symbol,
        "makerCommissionRate": str(view.fa.maker_rate),
        "takerCommissionRate": str(view.fa.taker_rate),
        "rpiCommissionRate": "0",
    }, 20


def symbol_config(call: PrivateCall) -> tuple[Any, int]:
    """``GET /fapi/v1/symbolConfig``: margin type and leverage per symbol."""
    view = FuturesView(call)
    out = []
    for symbol in view.symbols():
        s = view.fa.settings_of(symbol)
        out.append(
            {
                "symbol": symbol,
                "marginType": s.margin_type,
                "isAutoAddMargin": False,
                "leverage": s.leverage,
                "maxNotionalValue": fmt(view.st.brackets.max_notional(s.leverage), 0),
            }
        )
    return out, 5


def account_config(call: PrivateCall) -> tuple[Any, int]:
    """``GET /fapi/v1/accountConfig``: flags and modes."""
    fa = futures_account(call.account, call.venue)
    return {
        **_flags(fa),
        "dualSidePosition": fa.dual_side,
        "updateTime": fa.update_time,
        "multiAssetsMargin": fa.multi_assets,
        "tradeGroupId": -1,
    }, 5


def position_side_dual(call: PrivateCall) -> tuple[Any, int]:
    """``GET /fapi/v1/positionSide/dual``: hedge mode on or off."""
    return {"dualSidePosition": futures_account(call.account, call.venue).dual_side}, 30


def _window(call: PrivateCall, rows: list[Any], time_of: Any, default: int, top: int) -> list[Any]:
    params = call.params
    start = params.integer("startTime")
    end = params.integer("endTime")
    limit = params.limit(default, top)
    picked = [r for r in rows if (start is None or time_of(r) >= start)]
    picked = [r for r in picked if end is None or time_of(r) <= end]
    return picked[:limit] if start is not None else picked[-limit:]


def income(call: PrivateCall) -> tuple[Any, int]:
    """``GET /fapi/v1/income``: realised PnL, commissions, funding... (newest ``limit``)."""
    fa = futures_account(call.account, call.venue)
    params = call.params
    rows = list(fa.income)
    if params.has("symbol"):
        symbol = params.symbol()
        rows = [r for r in rows if r.symbol == symbol]
    if params.has("incomeType"):
        kind = str(params.text("incomeType"))
        rows = [r for r in rows if r.income_type == kind]
    picked = _window(call, rows, lambda r: r.time, 100, 1000)
    return [fp.income_row(r) for r in picked], 30


def user_trades(call: PrivateCall) -> tuple[Any, int]:
    """``GET /fapi/v1/userTrades``: the account's fills of a symbol (weight 5, default limit
    500); COIN-M by ``symbol`` or ``pair`` (weight 20 or 40, default limit 50)."""
    fa = futures_account(call.account, call.venue)
    params = call.params
    symbols = FuturesView(call).queried_symbols(required=True) or []
    by_pair = call.venue == "coinm" and params.has("pair")
    if by_pair and (params.has("fromId") or params.has("orderId")):
        raise ExchangeError(-1128, "Combination of optional parameters invalid.")
    rows = [t for t in fa.trades if t.symbol in symbols]
    order_id = params.integer("orderId")
    if order_id is not None:
        rows = [t for t in rows if t.order_id == order_id]
    from_id = params.integer("fromId")
    default, weight = (500, 5) if call.venue == "usdm" else (50, 40 if by_pair else 20)
    if from_id is not None:
        rows = [t for t in rows if t.trade_id >= from_id]
        rows = rows[: params.limit(default, 1000)]
    else:
        rows = _window(call, rows, lambda t: t.time, default, 1000)
    markets = call.engine.markets
    return [fp.user_trade_row(markets[t.symbol], t) for t in rows], weight


def force_orders(call: PrivateCall) -> tuple[Any, int]:
    """``GET /fapi/v1/forceOrders``: the account's liquidation orders."""
    view = FuturesView(call)
    params = call.params
    symbol = params.symbol() if params.has("symbol") else None
    if params.has("autoCloseType") and params.text("autoCloseType") != "LIQUIDATION":
        return [], 20 if symbol else 50
    rows = []
    for order_id in view.fa.force_orders:
        record = call.engine.order(order_id)
        info = view.st.info.get(order_id)
        if record is None or info is None or symbol not in (None, record.symbol):
            continue
        m = view.markets[record.symbol]
        row = fp.order_object(m, record, info)
        row.pop("priceMatch", None)
        row.pop("selfTradePreventionMode", None)
        row.pop("goodTillDate", None)
        row.pop("priceProtect", None)
        rows.append(row)
    picked = _window(call, rows, lambda r: r["time"], 50, 100)
    return picked, 20 if symbol else 50


def position_margin_history(call: PrivateCall) -> tuple[Any, int]:
    """``GET /fapi/v1/positionMargin/history``: isolated-margin adjustments of a symbol."""
    fa = futures_account(call.account, call.venue)
    symbol = call.params.symbol()
    call.engine.market(symbol)
    rows = [c for c in fa.margin_changes if c.symbol == symbol]
    kind = call.params.integer("type")
    if kind is not None:
        rows = [c for c in rows if c.kind == kind]
    picked = _window(call, rows, lambda c: c.time, 500, 500)
    return [
        {
            "symbol": c.symbol,
            "type": c.kind,
            "deltaType": "USER_ADJUST",
            "amount": fp.money(c.amount),
            "asset": c.asset,
            "time": c.time,
            "positionSide": c.position_side,
        }
        for c in picked
    ], 1
