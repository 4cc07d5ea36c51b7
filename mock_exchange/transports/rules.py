"""Binance's per-connection rules, as data: pings, pong timeout, message rate, streams, lifetime.

Spot pings every 20 s and closes after 60 s without a pong; futures every 3 min and 10 min.
Spot allows 5 incoming messages per second, futures 10; a connection carries at most 1024
streams and lives at most 24 h. Every rule runs on the emulator clock and can be switched off
(:meth:`ConnectionRules.relaxed`).

A consumer that falls too far behind (more than ``max_backlog_bytes`` of frames waiting for it
on the server) is disconnected, as Binance drops slow readers; this bound protects the
emulator's memory and stays on in the relaxed rules.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

__all__ = ["FUTURES_RULES", "MAX_STREAMS", "SPOT_RULES", "ConnectionRules", "RulesFamily"]

MAX_STREAMS = 1024
RulesFamily = Literal["spot", "futures"]  # which of ServerConfig's rule sets a venue follows


@dataclass(frozen=True)
class ConnectionRules:
    """Binance's per-connection rules; None switches a rule off."""

    ping_interval_ms: int | None = 20_000
    pong_timeout_ms: int | None = 60_000
    max_incoming_per_s: int | None = 5
    max_streams: int = MAX_STREAMS
    lifetime_ms: int | None = 86_400_000
    max_backlog_bytes: int = 4 << 20

    def relaxed(self) -> ConnectionRules:
        """Return these rules with pings, message rate and lifetime switched off."""
        return replace(
            self,
            ping_interval_ms=None,
            pong_timeout_ms=None,
            max_incoming_per_s=None,
            lifetime_ms=None,
        )


SPOT_RULES = ConnectionRules()
FUTURES_RULES = ConnectionRules(
    ping_interval_ms=180_000, pong_timeout_ms=600_000, max_incoming_per_s=10
)
