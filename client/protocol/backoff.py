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

__all__ = ["POLICY_DELAY", "backoff", "is_retryable", "least_delay"]


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


# close codes after which the same request would fail again the same way (received or sent)
_FATAL_CLOSE_CODES = frozenset({1002, 1003, 1007, 1009, 1010})

POLICY_DELAY = 10.0
"""Seconds to stay away after a 1008 close or a rate limit that named no ``Retry-After``."""


def is_retryable(exc: BaseException) -> bool:
    """Return True when reconnecting may cure ``exc``.

    Network failures, timeouts, server restarts and 1000/1001/1006/1008/1011/1012 closes are
    retryable (1008 is Binance's message-rate close: transient once we slow down, see
    :func:`least_delay`), and so is a rate limit. An IP ban (418) is retryable only when the
    server said when (``Retry-After``); refused credentials and protocol-violation closes, ours
    or the server's, are not.
    """
    if isinstance(exc, ConnectionClosed):
        return exc.code not in _FATAL_CLOSE_CODES and exc.sent_code not in _FATAL_CLOSE_CODES
    if isinstance(exc, DDoSProtection) and not isinstance(exc, RateLimitExceeded):
        return exc.retry_after is not None
    if isinstance(exc, AuthenticationError):
        return False
    if isinstance(exc, NetworkError):
        return True
    if isinstance(exc, BaseError):
        return False
    return isinstance(exc, OSError | TimeoutError | ConnectionError)


def least_delay(exc: BaseException, policy_delay: float = POLICY_DELAY) -> float:
    """Return the least wait before retrying after ``exc``, whatever the backoff says.

    The server's ``Retry-After`` when it gave one; ``policy_delay`` after a 1008 close or a
    rate limit without one (reconnecting at once would break the same rule again); else 0.
    """
    if isinstance(exc, BaseError) and exc.retry_after is not None:
        return exc.retry_after
    if isinstance(exc, ConnectionClosed) and exc.code == 1008:
        return policy_delay
    if isinstance(exc, DDoSProtection):
        return policy_delay
    return 0.0
