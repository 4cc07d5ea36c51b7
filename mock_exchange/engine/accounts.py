"""Accounts: wallets with free and locked balances, their API keys, and the events they cause.

An :class:`Account` has a uid (``GET /api/v3/account`` reports it), a spot :class:`Wallet`, one
futures wallet per futures venue (``futures["usdm"]``, ``futures["coinm"]``) and a ``venues``
slot where a venue's own account state (futures positions, margin) is kept by the code that
serves that venue. Its id in engine events (:data:`~mock_exchange.engine.types.AccountId`) is
the uid as text. Every amount is an exact :class:`~decimal.Decimal`; a wallet refuses any move
that would make ``free`` or ``locked`` negative, so the invariant holds by construction.

:class:`Accounts` is the registry: accounts by uid, API keys by key string
(:class:`~mock_exchange.engine.keys.KeyRing`), and the account contract other tools depend on
(:meth:`Accounts.register`, :meth:`Accounts.state`, :meth:`Accounts.deposit`). It outlives a
market reset.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ..errors import ExchangeError
from .convert import Convert
from .events import AccountPosition, BalanceUpdate, EngineEvent
from .keys import ApiKey, KeyRing, make_key
from .listen_keys import ListenKeys
from .margin import Margin
from .order_limits import OrderCounter
from .types import AccountId
from .user_streams import ListenTokens
from .wallet_moves import Transfer, WalletMoves

__all__ = [
    "FUTURES_WALLETS",
    "WALLETS",
    "Account",
    "Accounts",
    "Balance",
    "Commission",
    "InsufficientBalance",
    "Wallet",
    "decimal_text",
    "parse_amount",
]

FUTURES_WALLETS: tuple[str, ...] = ("usdm", "coinm")
WALLETS: tuple[str, ...] = ("spot", *FUTURES_WALLETS)
_ZERO = Decimal(0)
FIRST_UID = 100_000_001


class InsufficientBalance(ExchangeError):
    """-2010: a wallet move would make a balance negative."""

    def __init__(self) -> None:
        super().__init__(-2010, "Account has insufficient balance for requested action.")


def decimal_text(value: Decimal) -> str:
    """Return ``value`` as plain decimal text without trailing zeros (``"10000"``, ``"0.5"``)."""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "0") else text


def parse_amount(value: Any, what: str) -> Decimal:
    """Read a non-negative finite decimal given as a string or a number.

    Raises:
        ValueError: anything else (the message names ``what``).
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError(f"{what} must be a decimal string")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{what} must be a decimal string, not {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{what} must be a finite amount >= 0, not {value!r}")
    return amount


@dataclass
class Balance:
    """One asset in one wallet."""

    free: Decimal = _ZERO
    locked: Decimal = _ZERO

    @property
    def total(self) -> Decimal:
        """``free + locked``."""
        return self.free + self.locked


class Wallet:
    """Balances by asset; every move keeps ``free`` and ``locked`` non-negative."""

    def __init__(self, balances: Mapping[str, Decimal] | None = None) -> None:
        self._balances: dict[str, Balance] = {}
        for asset, amount in (balances or {}).items():
            self.credit(asset, amount)

    def __repr__(self) -> str:
        return f"Wallet({len(self._balances)} assets)"

    def balance(self, asset: str) -> Balance:
        """Return a copy of ``asset``'s balance (zero when never held)."""
        held = self._balances.get(asset)
        return Balance() if held is None else Balance(held.free, held.locked)

    def assets(self) -> list[str]:
        """Return the assets this wallet has held, sorted."""
        return sorted(self._balances)

    def _get(self, asset: str) -> Balance:
        return self._balances.setdefault(asset, Balance())

    def credit(self, asset: str, amount: Decimal) -> None:
        """Add ``amount`` (>= 0) to free."""
        if amount < 0:
            raise ValueError("credit amount must be >= 0")
        self._get(asset).free += amount

    def debit(self, asset: str, amount: Decimal) -> None:
        """Take ``amount`` from free.

        Raises:
            InsufficientBalance: free is smaller than ``amount``.
        """
        held = self._get(asset)
        if amount < 0 or held.free < amount:
            raise InsufficientBalance()
        held.free -= amount

    def lock(self, asset: str, amount: Decimal) -> None:
        """Move ``amount`` from free to locked.

        Raises:
            InsufficientBalance: free is smaller than ``amount``.
        """
        self.debit(asset, amount)
        self._balances[asset].locked += amount

    def unlock(self, asset: str, amount: Decimal) -> None:
        """Move ``amount`` from locked back to free."""
        self.spend_locked(asset, amount)
        self._balances[asset].free += amount

    def spend_locked(self, asset: str, amount: Decimal) -> None:
        """Take ``amount`` out of locked (a fill paying with what was reserved).

        Raises:
            ValueError: locked is smaller than ``amount`` (a bookkeeping error, never a client's).
        """
        held = self._get(asset)
        if amount < 0 or held.locked < amount:
            raise ValueError(f"cannot take {amount} {asset} from {held.locked} locked")
        held.locked -= amount

    def release_all(self) -> None:
        """Return every locked amount to free (the orders holding it are gone)."""
        for held in self._balances.values():
            held.free += held.locked
            held.locked = _ZERO

    def view(self) -> dict[str, dict[str, str]]:
        """Return ``{asset: {"free", "locked"}}`` as decimal text (the control API's shape)."""
        return {
            asset: {"free": decimal_text(b.free), "locked": decimal_text(b.locked)}
            for asset, b in sorted(self._balances.items())
        }


@dataclass(frozen=True)
class Commission:
    """Spot commission rates of an account (fractions: ``0.001`` is 0.1 %)."""

    maker: Decimal = Decimal("0.001")
    taker: Decimal = Decimal("0.001")
    buyer: Decimal = _ZERO
    seller: Decimal = _ZERO

    def rate(self, is_maker: bool, side: str) -> Decimal:
        """Return the rate a fill pays: maker or taker, plus buyer or seller."""
        return (self.maker if is_maker else self.taker) + (
            self.buyer if side == "BUY" else self.seller
        )


@dataclass
class Account:
    """One account: uid, spot wallet, futures wallets and each venue's own state."""

    uid: int
    spot: Wallet = field(default_factory=Wallet)
    futures: dict[str, Wallet] = field(
        default_factory=lambda: {w: Wallet() for w in FUTURES_WALLETS}
    )
    commission: Commission = field(default_factory=Commission)
    update_time: int = 0
    # when the account was opened (emulator clock, ms)
    created: int = 0
    can_trade: bool = True
    can_withdraw: bool = True
    can_deposit: bool = True
    # the spot unfilled order count (ORDERS), shared by every key and API of the account
    orders: OrderCounter = field(default_factory=OrderCounter)
    # per-venue state kept by the code serving that venue (futures positions, margin...)
    venues: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Account(uid={self.uid})"

    @property
    def id(self) -> AccountId:
        """The account's id in engine events: the uid as text."""
        return AccountId(str(self.uid))

    def wallet(self, name: str) -> Wallet:
        """Return wallet ``name`` (``spot``, ``usdm`` or ``coinm``; ``futures`` is ``usdm``).

        Raises:
            ValueError: an unknown wallet name.
        """
        if name == "spot":
            return self.spot
        if name == "futures":
            name = "usdm"
        if name not in self.futures:
            raise ValueError(f"unknown wallet {name!r}; expected one of {list(WALLETS)}")
        return self.futures[name]

    def order_rate_limits(self, now: int) -> list[dict[str, Any]]:
        """Return the spot ``ORDERS`` rows of a WS API ``rateLimits`` array."""
        return self.orders.rate_limits(now)

    def position_event(self, assets: Iterable[str], now: int) -> AccountPosition:
        """Return ``outboundAccountPosition`` for ``assets`` of the spot wallet at ``now``."""
        rows = []
        for asset in sorted(set(assets)):
            held = self.spot.balance(asset)
            rows.append((asset, held.free, held.locked))
        return AccountPosition(self.id, now, tuple(rows))


def _balances(value: Any, what: str) -> dict[str, Decimal]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{what} must be a mapping of asset to a decimal string")
    out: dict[str, Decimal] = {}
    for asset, amount in value.items():
        if not isinstance(asset, str) or not asset:
            raise ValueError(f"{what}: asset names must be non-empty strings")
        out[asset.upper()] = parse_amount(amount, f"{what}.{asset}")
    return out


_REGISTER_FIELDS = frozenset(
    {
        "apiKey",
        "secret",
        "publicKey",
        "balances",
        "futuresBalances",
        "coinmBalances",
        "permissions",
        "account",
    }
)


class Accounts:
    """The registry: accounts by uid, API keys, and the account contract's operations."""

    def __init__(self) -> None:
        self.keys = KeyRing()
        # futures user-data stream keys (they outlive a market reset, as accounts do)
        self.listen_keys = ListenKeys()
        self.tokens = ListenTokens()  # margin listen tokens (POST /sapi/v1/userListenToken)
        self.margin = Margin()  # borrow rates, scripted forced liquidations
        self.convert = Convert()  # convert quotes and accepted conversions
        self.moves = WalletMoves()  # transfers between wallets, deposit history
        self._accounts: dict[int, Account] = {}
        self._uids = itertools.count(FIRST_UID)

    def __len__(self) -> int:
        return len(self._accounts)

    def __iter__(self) -> Any:
        return iter(list(self._accounts.values()))

    def get(self, uid: int) -> Account | None:
        """Return account ``uid`` or None."""
        return self._accounts.get(uid)

    def by_id(self, owner: AccountId | str | None) -> Account | None:
        """Return the account an engine event's ``owner`` names, or None."""
        if owner is None or not str(owner).isdigit():
            return None
        return self._accounts.get(int(owner))

    def key(self, api_key: str | None) -> ApiKey | None:
        """Return a registered key, or None."""
        return self.keys.get(api_key)

    def of_key(self, api_key: str) -> Account:
        """Return the account owning ``api_key``.

        Raises:
            KeyError: the key is unknown.
        """
        key = self.keys.get(api_key)
        if key is None:
            raise KeyError(api_key)
        return self._accounts[key.uid]

    def open_account(self, now: int = 0) -> Account:
        """Create an empty account with the next uid."""
        account = Account(next(self._uids), update_time=now, created=now)
        self._accounts[account.uid] = account
        return account

    def register(self, spec: Mapping[str, Any], now: int = 0) -> tuple[Account, ApiKey]:
        """Register a key (and its account) from the contract's JSON (``POST /_mock/accounts``).

        ``spec``: ``apiKey`` and either ``secret`` (HMAC) or ``publicKey`` (RSA or Ed25519 PEM);
        optional ``balances`` / ``futuresBalances`` / ``coinmBalances`` (asset -> decimal
        string, credited to the spot, USD-M and COIN-M wallets),
        ``permissions`` and ``account`` (the uid of an existing account to add the key to).

        Raises:
            ValueError: a malformed field, an unknown ``account``, or a duplicate ``apiKey``.
        """
        if not isinstance(spec, Mapping):
            raise ValueError("an account is a JSON object with apiKey and secret or publicKey")
        unknown = set(spec) - _REGISTER_FIELDS
        if unknown:
            raise ValueError(f"unknown account fields {sorted(unknown)}")
        if spec.get("apiKey") in self.keys:
            raise ValueError("apiKey is already registered")
        spot = _balances(spec.get("balances"), "balances")
        futures = _balances(spec.get("futuresBalances"), "futuresBalances")
        coinm = _balances(spec.get("coinmBalances"), "coinmBalances")
        existing = spec.get("account")
        if existing is not None and (
            isinstance(existing, bool)
            or not isinstance(existing, int)
            or existing not in self._accounts
        ):
            raise ValueError(f"account {existing!r} does not exist")
        uid = existing if existing is not None else next(self._uids)
        key = make_key(
            spec.get("apiKey"),
            uid,
            secret=spec.get("secret"),
            public_key=spec.get("publicKey"),
            permissions=spec.get("permissions"),
        )
        account = self._accounts.get(uid)
        if account is None:
            account = Account(uid, update_time=now, created=now)
            self._accounts[uid] = account
        self.keys.add(key)
        for asset, amount in spot.items():
            account.spot.credit(asset, amount)
        for asset, amount in futures.items():
            account.futures["usdm"].credit(asset, amount)
        for asset, amount in coinm.items():
            account.futures["coinm"].credit(asset, amount)
        return account, key

    def deposit(
        self, account: Account, asset: str, amount: Decimal, wallet: str, now: int
    ) -> list[EngineEvent]:
        """Credit ``amount`` of ``asset`` to ``wallet``; return the user-data events it causes.

        A spot deposit gives ``balanceUpdate`` then ``outboundAccountPosition``, as Binance
        sends them; a futures deposit gives a :class:`BalanceUpdate` naming its wallet.
        """
        asset = asset.upper()
        target = account.wallet(wallet)
        target.credit(asset, amount)
        account.update_time = now
        name = "usdm" if wallet == "futures" else wallet
        events: list[EngineEvent] = [BalanceUpdate(account.id, asset, amount, now, name)]
        if name == "spot":
            events.append(account.position_event([asset], now))
            self.moves.record_deposit(account.uid, asset, amount, now)
        return events

    def transfer(
        self,
        account: Account,
        kind: str,
        asset: str,
        amount: Decimal,
        wallets: tuple[str, str],
        now: int,
    ) -> tuple[Transfer, dict[str, list[EngineEvent]]]:
        """Move ``amount`` of ``asset`` from wallet ``wallets[0]`` to ``wallets[1]`` (a
        universal transfer of type ``kind``) and record it.

        Returns:
            the transfer, and the events it causes keyed by wallet: on spot
            ``balanceUpdate`` then ``outboundAccountPosition``, on a futures wallet a
            :class:`BalanceUpdate` naming it (settled into ``ACCOUNT_UPDATE``).

        Raises:
            InsufficientBalance: the source wallet's free balance is smaller than ``amount``.
        """
        source, target = wallets
        account.wallet(source).debit(asset, amount)
        account.wallet(target).credit(asset, amount)
        account.update_time = now
        events: dict[str, list[EngineEvent]] = {}
        for wallet, delta in ((source, -amount), (target, amount)):
            moved: list[EngineEvent] = [BalanceUpdate(account.id, asset, delta, now, wallet)]
            if wallet == "spot":
                moved.append(account.position_event([asset], now))
            events[wallet] = moved
        return self.moves.record_transfer(account.uid, kind, asset, amount, now), events

    def state(self, api_key: str, open_orders: list[dict[str, Any]]) -> dict[str, Any]:
        """Return ``GET /_mock/accounts/<apiKey>``: balances, futures balances, orders, positions.

        Raises:
            KeyError: the key is unknown.
        """
        account = self.of_key(api_key)
        positions = [
            row for venue in FUTURES_WALLETS for row in _positions_view(account.venues.get(venue))
        ]
        return {
            "apiKey": api_key,
            "uid": account.uid,
            "keys": [k.describe() for k in self.keys.of_account(account.uid)],
            "balances": account.spot.view(),
            "futuresBalances": account.futures["usdm"].view(),
            "coinmBalances": account.futures["coinm"].view(),
            "openOrders": open_orders,
            "positions": positions,
        }

    def release_locks(self) -> None:
        """Return every locked balance to free (a market reset dropped the orders)."""
        for account in self._accounts.values():
            account.spot.release_all()
            for wallet in account.futures.values():
                wallet.release_all()


def _positions_view(state: Any) -> list[dict[str, Any]]:
    """Return a venue state's open positions for the control API (``positions_view``)."""
    view = getattr(state, "positions_view", None)
    return view() if callable(view) else []
