"""Reconnection policy: a pure jittered backoff generator and the retryable-error rule."""

from __future__ import annotations

import random
from collections.abc import Iterator

from ..errors import (
    AuthenticationError,
    BaseError,
    ConnectionClosed,
    DDoSProtection,
    NetworkError,
    RateLimitExceeded,
)

__all__ = ["backoff", "is_retryable"]


def backoff(
    initial: float = 0.1,
    cap: float = 30.0,
    factor: float = 2.0,
    rng: random.Random | None = None,
) -> Iterator[float]:
    """Yield reconnect delays in seconds: exponential growth to ``cap`` with full jitter.

    The n-th delay is uniform in ``[0.5, 1] * min(cap, initial * factor**n)``: the jitter
    spreads many clients that lost one server apart, and the lower bound keeps a delay.
    """
    r = rng or random.Random()
    base = initial
    while True:
        yield base * (0.5 + 0.5 * r.random())
        base = min(cap, base * factor)


# close codes after which the same request would fail again the same way
_FATAL_CLOSE_CODES = frozenset({1002, 1003, 1007, 1008, 1009, 1010})


def is_retryable(exc: BaseException) -> bool:
    """Return True when reconnecting may cure ``exc``.

    Network failures, timeouts, server restarts and 1000/1001/1006/1011/1012 closes are
    retryable, and so is a rate limit (after the delay); an IP ban (418), refused
    credentials and protocol-violation closes are not.
    """
    if isinstance(exc, ConnectionClosed):
        return exc.code not in _FATAL_CLOSE_CODES
    if isinstance(exc, DDoSProtection) and not isinstance(exc, RateLimitExceeded):
        return False
    if isinstance(exc, AuthenticationError):
        return False
    if isinstance(exc, NetworkError):
        return True
    if isinstance(exc, BaseError):
        return False
    return isinstance(exc, OSError | TimeoutError | ConnectionError)
