"""Convert: quotes priced from the spot book with a spread, accepted before they expire.

``POST /sapi/v1/convert/getQuote`` prices ``fromAmount`` (or ``toAmount``) by sweeping the spot
book of the pair (``BTC -> USDT`` sells into the ``BTCUSDT`` bids, ``USDT -> BTC`` buys from its
asks; assets without a direct market go through USDT) and keeps :data:`SPREAD` for the house.
A quote is valid ``validTime`` (10 s by default) on the emulator clock; accepting it moves the
spot balances at the quoted amounts (the engine book is not touched), and accepting it late is
refused. Amounts have 8 decimals, rounded in the exchange's favour.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_UP, Decimal

from ..errors import ExchangeError
from .types import AccountId

__all__ = ["SPREAD", "VALID_TIMES", "Convert", "ConvertOrder", "Quote"]

SPREAD = Decimal("0.002")  # 0.2 % below the book on every quote
VALID_TIMES = {"10s": 10_000, "30s": 30_000, "1m": 60_000, "2m": 120_000}
_Q = Decimal("0.00000001")
# (from, to, amount, amount is of the from asset) -> the other amount, before the spread
Pricer = Callable[[str, str, Decimal, bool], Decimal]


def _invalid(name: str) -> ExchangeError:
    return ExchangeError(-1130, f"Data sent for parameter '{name}' is not valid.")


@dataclass(frozen=True)
class Quote:
    """A convert quote: what the account gives and gets, and until when."""

    quote_id: str
    owner: AccountId
    from_asset: str
    to_asset: str
    from_amount: Decimal
    to_amount: Decimal
    valid_until: int
    created: int

    @property
    def ratio(self) -> Decimal:
        """``toAmount / fromAmount``, 8 decimals."""
        return (self.to_amount / self.from_amount).quantize(_Q, ROUND_DOWN)

    @property
    def inverse_ratio(self) -> Decimal:
        """``fromAmount / toAmount``, 8 decimals."""
        return (self.from_amount / self.to_amount).quantize(_Q, ROUND_UP)


@dataclass
class ConvertOrder:
    """An accepted quote."""

    order_id: str
    quote: Quote
    status: str
    create_time: int


class Convert:
    """Quotes and accepted conversions of every account."""

    def __init__(self) -> None:
        self._quotes: dict[str, Quote] = {}
        self._orders: dict[str, ConvertOrder] = {}
        self._ids = itertools.count(10_000_000_001)

    def quote(
        self,
        owner: AccountId,
        from_asset: str,
        to_asset: str,
        amount: Decimal,
        amount_is_from: bool,
        now: int,
        valid_ms: int,
        price: Pricer,
    ) -> Quote:
        """Price a conversion; return the quote (valid ``valid_ms``).

        Raises:
            ExchangeError: -1130 for the same asset on both sides or a non-positive amount.
        """
        if from_asset == to_asset:
            raise _invalid("toAsset")
        if amount <= 0:
            raise _invalid("fromAmount" if amount_is_from else "toAmount")
        other = price(from_asset, to_asset, amount, amount_is_from)
        if amount_is_from:
            from_amount = amount
            to_amount = (other * (1 - SPREAD)).quantize(_Q, ROUND_DOWN)
        else:
            to_amount = amount
            from_amount = (other * (1 + SPREAD)).quantize(_Q, ROUND_UP)
        if to_amount <= 0 or from_amount <= 0:
            raise _invalid("fromAmount" if amount_is_from else "toAmount")
        quote = Quote(
            str(next(self._ids)),
            owner,
            from_asset,
            to_asset,
            from_amount,
            to_amount,
            now + valid_ms,
            now,
        )
        self._quotes[quote.quote_id] = quote
        return quote

    def accept(
        self, owner: AccountId, quote_id: str, now: int, settle: Callable[[Quote], None]
    ) -> ConvertOrder:
        """Take a quote: ``settle`` moves the balances (and may refuse, leaving the quote).

        Raises:
            ExchangeError: -1130 for an unknown, foreign, used or expired quote; whatever
                ``settle`` raises.
        """
        quote = self._quotes.get(quote_id)
        if quote is None or quote.owner != owner or now > quote.valid_until:
            raise _invalid("quoteId")
        settle(quote)
        del self._quotes[quote_id]
        order = ConvertOrder(str(next(self._ids)), quote, "SUCCESS", now)
        self._orders[order.order_id] = order
        return order

    def order(
        self, owner: AccountId, *, order_id: str | None, quote_id: str | None
    ) -> ConvertOrder:
        """Return an accepted conversion by its order id or quote id.

        Raises:
            ExchangeError: -1130 when there is none.
        """
        for order in self._orders.values():
            if order.quote.owner != owner:
                continue
            if order.order_id == order_id or (
                quote_id is not None and order.quote.quote_id == quote_id
            ):
                return order
        raise _invalid("orderId" if order_id is not None else "quoteId")

    def history(self, owner: AccountId, start: int, end: int) -> list[ConvertOrder]:
        """Return the account's conversions made in ``[start, end]``, oldest first."""
        return [
            o
            for o in self._orders.values()
            if o.quote.owner == owner and start <= o.create_time <= end
        ]
