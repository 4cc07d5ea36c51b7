"""User-data subscriptions of one WS API connection, and margin listen tokens on the clock.

A connection's :class:`Subscriptions` hands out ids from 0 (reference 4.8): at most one
subscription per account (``-2035``), 1 000 active at a time and 65 535 over the connection's
life (``-2042``). A subscription made through ``session.logon`` is of kind ``logon`` (logout
ends it), through ``userDataStream.subscribe.signature`` of kind ``signature``, through a
margin listen token of kind ``listenToken`` (it ends when the token expires).

:class:`ListenTokens` issues the tokens of ``POST /sapi/v1/userListenToken``: each names an
account (cross margin, or isolated margin of one symbol) and expires on the emulator clock
(default and maximum validity 24 h).
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from ..errors import ExchangeError
from .types import AccountId

__all__ = [
    "MAX_ACTIVE",
    "MAX_IDS",
    "MAX_TOKEN_VALIDITY_MS",
    "ListenToken",
    "ListenTokens",
    "Subscription",
    "SubscriptionKind",
    "Subscriptions",
]

MAX_ACTIVE = 1000
MAX_IDS = 65535
MAX_TOKEN_VALIDITY_MS = 86_400_000
SubscriptionKind = Literal["logon", "signature", "listenToken"]


@dataclass(frozen=True)
class Subscription:
    """One user-data subscription of a connection."""

    id: int
    account: AccountId
    kind: SubscriptionKind
    expires: int | None = None  # listen-token subscriptions end then
    margin: str | None = None  # "cross", or the isolated symbol, for listen-token ones


@dataclass
class Subscriptions:
    """The user-data subscriptions of one WS API connection."""

    _active: dict[int, Subscription] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=itertools.count)
    _issued: int = 0

    def __len__(self) -> int:
        return len(self._active)

    def __iter__(self) -> Iterator[Subscription]:
        return iter(list(self._active.values()))

    def add(
        self,
        account: AccountId,
        kind: SubscriptionKind,
        *,
        expires: int | None = None,
        margin: str | None = None,
    ) -> Subscription:
        """Start a subscription for ``account``.

        Raises:
            ExchangeError: -2035 the account is already subscribed on this connection, -2042
                the connection used all its ids (or has the maximum active).
        """
        for sub in self._active.values():
            if sub.account == account and sub.margin == margin:
                raise ExchangeError(-2035, "User Data Stream subscription already active.")
        if self._issued >= MAX_IDS or len(self._active) >= MAX_ACTIVE:
            raise ExchangeError(-2042, "Maximum subscription ID reached for this connection.")
        sub = Subscription(next(self._ids), account, kind, expires, margin)
        self._issued += 1
        self._active[sub.id] = sub
        return sub

    def remove(self, sub_id: int) -> Subscription | None:
        """End subscription ``sub_id``; return it (None when not active)."""
        return self._active.pop(sub_id, None)

    def clear(self, kind: SubscriptionKind | None = None) -> list[Subscription]:
        """End every subscription (of ``kind``); return them, oldest first."""
        ended = [s for s in self._active.values() if kind is None or s.kind == kind]
        for sub in ended:
            del self._active[sub.id]
        return ended

    def of_account(self, account: AccountId) -> list[Subscription]:
        """Return the active subscriptions of ``account`` (its spot one and margin ones)."""
        return [s for s in self._active.values() if s.account == account]

    def expired(self, now: int) -> list[Subscription]:
        """End and return the listen-token subscriptions whose token expired by ``now``."""
        ended = [s for s in self._active.values() if s.expires is not None and s.expires <= now]
        for sub in ended:
            del self._active[sub.id]
        return ended


@dataclass(frozen=True)
class ListenToken:
    """A margin listen token: whose, which margin account, until when. ``repr`` hides it."""

    token: str = field(repr=False)
    account: AccountId
    margin: str  # "cross" or the isolated symbol
    expires: int


class ListenTokens:
    """Listen tokens by token text."""

    def __init__(self) -> None:
        self._tokens: dict[str, ListenToken] = {}

    def issue(self, account: AccountId, margin: str, now: int, validity: int | None) -> ListenToken:
        """Issue a token valid ``validity`` ms (default and at most 24 h).

        Raises:
            ExchangeError: -1102 for a validity outside 1..86400000 ms.
        """
        if validity is None:
            validity = MAX_TOKEN_VALIDITY_MS
        if not 0 < validity <= MAX_TOKEN_VALIDITY_MS:
            raise ExchangeError(
                -1102, "'validity' contains unexpected value. Cannot be greater than 86400000."
            )
        token = ListenToken(secrets.token_urlsafe(40), account, margin, now + validity)
        self._drop_expired(now)
        self._tokens[token.token] = token
        return token

    def get(self, token: str, now: int) -> ListenToken:
        """Return a valid token.

        Raises:
            ExchangeError: -1209 for an unknown or expired token.
        """
        found = self._tokens.get(token)
        if found is None or found.expires <= now:
            raise ExchangeError(-1209, "Invalid listenToken.")
        return found

    def _drop_expired(self, now: int) -> None:
        for key in [k for k, t in self._tokens.items() if t.expires <= now]:
            del self._tokens[key]
