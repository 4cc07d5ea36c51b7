"""Subscription states of one stream connection, as a transition table.

    (absent) --subscribe_sent--> SUBSCRIBING --ack--> ACTIVE --unsubscribe_sent--> UNSUBSCRIBING
    SUBSCRIBING --error--> (absent)        UNSUBSCRIBING --ack--> (absent)
    UNSUBSCRIBING --error--> ACTIVE        any --reset--> (absent)

An illegal transition raises :class:`IllegalTransition` and leaves the state unchanged.
"""

from __future__ import annotations

import enum

__all__ = ["IllegalTransition", "SubState", "SubscriptionTable"]


class SubState(enum.Enum):
    """Where one stream subscription stands."""

    ABSENT = "absent"
    SUBSCRIBING = "subscribing"
    ACTIVE = "active"
    UNSUBSCRIBING = "unsubscribing"


class IllegalTransition(RuntimeError):
    """A transition the table does not allow from the current state."""


_TABLE: dict[tuple[SubState, str], SubState] = {
    (SubState.ABSENT, "subscribe_sent"): SubState.SUBSCRIBING,
    (SubState.SUBSCRIBING, "ack"): SubState.ACTIVE,
    (SubState.SUBSCRIBING, "error"): SubState.ABSENT,
    (SubState.ACTIVE, "unsubscribe_sent"): SubState.UNSUBSCRIBING,
    (SubState.UNSUBSCRIBING, "ack"): SubState.ABSENT,
    (SubState.UNSUBSCRIBING, "error"): SubState.ACTIVE,
}


class SubscriptionTable:
    """The state of every stream on one connection."""

    def __init__(self) -> None:
        self._states: dict[str, SubState] = {}

    def state(self, stream: str) -> SubState:
        """Return the state of ``stream`` (ABSENT if unknown)."""
        return self._states.get(stream, SubState.ABSENT)

    def apply(self, stream: str, event: str) -> SubState:
        """Apply ``event`` to ``stream`` and return the new state.

        Raises:
            IllegalTransition: the table has no such transition; nothing changes.
        """
        current = self.state(stream)
        new = _TABLE.get((current, event))
        if new is None:
            raise IllegalTransition(f"{stream}: {event} is not allowed in state {current.value}")
        if new is SubState.ABSENT:
            self._states.pop(stream, None)
        else:
            self._states[stream] = new
        return new

    def live(self) -> list[str]:
        """Return the streams subscribed or being subscribed (to restore after a reconnect)."""
        return [
            s for s, st in self._states.items() if st in (SubState.SUBSCRIBING, SubState.ACTIVE)
        ]

    def snapshot(self) -> dict[str, str]:
        """Return ``{stream: state}`` for inspection."""
        return {s: st.value for s, st in self._states.items()}

    def reset(self) -> list[str]:
        """Forget everything (the socket is gone); return the streams that were live."""
        live = self.live()
        self._states.clear()
        return live

    def __len__(self) -> int:
        return len(self._states)
