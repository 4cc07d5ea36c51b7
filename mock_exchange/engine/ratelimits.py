"""Request-weight accounting: fixed calendar windows on the engine clock, 429 then 418.

Binance counts ``REQUEST_WEIGHT`` per IP in fixed windows (a new minute starts at zero). A
request that would exceed the limit is refused with HTTP 429 and ``Retry-After`` (seconds to
the end of the window). A caller that keeps sending while refused is banned (HTTP 418) after
``ban_after`` refusals in one window, for ``ban_ms`` doubling on each repeat ban up to 3 days.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ExchangeError

__all__ = ["RateLimitError", "WeightLimiter"]

_MAX_BAN_MS = 3 * 86_400_000


class RateLimitError(ExchangeError):
    """-1003 with the time the caller may retry (epoch ms) and the weight used."""

    def __init__(self, msg: str, http_status: int, retry_at: int, now: int, used: int) -> None:
        super().__init__(-1003, msg, http_status)
        self.retry_at = retry_at
        self.now = now
        self.used = used

    @property
    def retry_after_s(self) -> int:
        """Seconds until the caller may retry (rounded up, at least 1)."""
        return max(1, -(-(self.retry_at - self.now) // 1000))


@dataclass
class _Caller:
    window: int = -1
    used: int = 0
    refusals: int = 0
    banned_until: int = 0
    bans: int = 0


@dataclass
class WeightLimiter:
    """``REQUEST_WEIGHT`` per caller: ``limit`` per ``window_ms`` fixed window."""

    limit: int = 6000
    window_ms: int = 60_000
    ban_after: int = 5
    ban_ms: int = 120_000
    enabled: bool = True
    interval_text: str = "1 MINUTE"
    _callers: dict[str, _Caller] = field(default_factory=dict)

    def _caller(self, key: str, now: int) -> _Caller:
        c = self._callers.setdefault(key, _Caller())
        window = now // self.window_ms
        if c.window != window:
            c.window, c.used, c.refusals = window, 0, 0
        return c

    def used(self, key: str, now: int) -> int:
        """Return the weight ``key`` used in the current window."""
        return self._caller(key, now).used

    def charge(self, key: str, weight: int, now: int) -> int:
        """Count ``weight`` for ``key``; return the weight used in the window.

        Raises:
            RateLimitError: 418 while banned, 429 when the limit would be exceeded.
        """
        c = self._caller(key, now)
        if now < c.banned_until:
            raise self.banned(c, now)
        if self.enabled and c.used + weight > self.limit:
            raise self._refuse(c, now)
        c.used += weight
        return c.used

    def admit(self, key: str, now: int) -> None:
        """Refuse a request before it runs: 418 while banned, 429 when no weight is left.

        Binance checks the limit before it acts, so a refused order is never placed.

        Raises:
            RateLimitError: 418 while banned, 429 when the window's weight is used up.
        """
        c = self._caller(key, now)
        if now < c.banned_until:
            raise self.banned(c, now)
        if self.enabled and c.used >= self.limit:
            raise self._refuse(c, now)

    def _refuse(self, c: _Caller, now: int) -> RateLimitError:
        """Count a refusal; the 418 once more than ``ban_after`` in one window, else the 429."""
        c.refusals += 1
        if c.refusals > self.ban_after:
            c.bans += 1
            c.banned_until = now + min(self.ban_ms * 2 ** (c.bans - 1), _MAX_BAN_MS)
            return self.banned(c, now)
        return self._over_limit(c, now)

    def _over_limit(self, c: _Caller, now: int) -> RateLimitError:
        return RateLimitError(
            f"Too much request weight used; current limit is {self.limit} request weight "
            f"per {self.interval_text}. Please use WebSocket Streams for live updates to "
            "avoid polling the API.",
            429,
            (c.window + 1) * self.window_ms,
            now,
            c.used,
        )

    def over_limit(self, key: str, now: int) -> RateLimitError:
        """Return the 429 error ``key`` would get now (a forced 429)."""
        return self._over_limit(self._caller(key, now), now)

    def banned(self, c: _Caller, now: int) -> RateLimitError:
        """Return the 418 error for a banned caller."""
        return RateLimitError(
            f"Way too much request weight used; IP banned until {c.banned_until}. Please use "
            "WebSocket Streams for live updates to avoid bans.",
            418,
            c.banned_until,
            now,
            c.used,
        )

    def ban(self, key: str, now: int, ms: int | None = None) -> RateLimitError:
        """Ban ``key`` now (a forced 418); return the error it gets."""
        c = self._caller(key, now)
        c.bans += 1
        c.banned_until = now + (self.ban_ms if ms is None else ms)
        return self.banned(c, now)

    def reset(self) -> None:
        """Forget every caller."""
        self._callers.clear()
