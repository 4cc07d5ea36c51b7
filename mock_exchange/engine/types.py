"""Names shared across the engine: order sides and account ids."""

from __future__ import annotations

from typing import Literal, NewType

__all__ = ["AccountId", "Side"]

Side = Literal["BUY", "SELL"]
# An account's id; orders, trades and events without one belong to background activity.
AccountId = NewType("AccountId", str)
