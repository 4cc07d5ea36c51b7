"""Latent fair prices: what the background flow trades around, on a fixed time grid.

A spot symbol's fair price is a geometric random walk (:class:`PricePath`) sampled every
:data:`GRID_MS` of clock time and generated forward on demand from its own seeded generator,
so its value at a time does not depend on how often it is read. A perpetual's fair price is
its index symbol's path times ``1 + basis`` (:class:`BasisPath`), where the basis is an
Ornstein-Uhlenbeck process that mean-reverts to a small premium: the contract follows spot and
the premium stays in the range that keeps funding near Binance's usual 0.01 %.
"""

from __future__ import annotations

import math
import random
from abc import ABC, abstractmethod
from collections import deque
from typing import Protocol

__all__ = [
    "BASIS_MEAN",
    "DAILY_VOLATILITY",
    "GRID_MS",
    "BasisPath",
    "FairPath",
    "PricePath",
]

GRID_MS = 100
DAILY_VOLATILITY = 0.01  # of the log price; real BTC is 2-3 %, calmer keeps the book tidy
BASIS_MEAN = 0.00005  # the premium perpetuals revert to (half a basis point)
_BASIS_VOL = 0.00002  # stationary standard deviation of the basis
_BASIS_HALF_LIFE_MS = 60_000
_DAY_MS = 86_400_000
_KEEP = 1200  # grid points kept behind the newest (two minutes)


class FairPath(Protocol):
    """A fair price that can be read at any time not older than its memory."""

    def at(self, t: int) -> float:
        """Return the fair price at time ``t`` (ms)."""
        ...


class _Grid(ABC):
    """Values on the time grid from a start time on, generated forward, oldest forgotten."""

    def __init__(self, start: int, first: float) -> None:
        self.first_k = start // GRID_MS
        self.values: deque[float] = deque([first])

    def value(self, t: int) -> float:
        """Return the value at the grid point at or before ``t``."""
        k = t // GRID_MS
        last = self.first_k + len(self.values) - 1
        steps = k - last
        if steps > _KEEP:  # a long clock jump: one draw for what is skipped, then the rest
            skip = steps - _KEEP
            self.values = deque([self._jump(self.values[-1], skip)])
            self.first_k = last + skip
            steps = _KEEP
        for _ in range(steps):
            self.values.append(self._step(self.values[-1]))
        while len(self.values) > _KEEP:
            self.values.popleft()
            self.first_k += 1
        return self.values[max(0, k - self.first_k)]

    @abstractmethod
    def _step(self, x: float) -> float:
        """Return the value one grid step after ``x``."""

    @abstractmethod
    def _jump(self, x: float, steps: int) -> float:
        """Return a value ``steps`` grid steps after ``x`` in one draw."""


class PricePath(_Grid):
    """A geometric random walk starting at ``price`` at time ``start``."""

    def __init__(self, seed: int, price: float, start: int, daily_vol: float = DAILY_VOLATILITY):
        super().__init__(start, math.log(price))
        self.rng = random.Random(seed)
        self.sigma = daily_vol * math.sqrt(GRID_MS / _DAY_MS)

    def _step(self, x: float) -> float:
        return x + self.sigma * self.rng.gauss(0.0, 1.0)

    def _jump(self, x: float, steps: int) -> float:
        return x + self.sigma * math.sqrt(steps) * self.rng.gauss(0.0, 1.0)

    def at(self, t: int) -> float:
        """Return the fair price at ``t``."""
        return math.exp(self.value(t))


class BasisPath(_Grid):
    """``underlying * (1 + basis)`` with an Ornstein-Uhlenbeck basis starting at ``basis``."""

    def __init__(self, seed: int, underlying: FairPath, basis: float, start: int) -> None:
        super().__init__(start, basis)
        self.rng = random.Random(seed)
        self.underlying = underlying
        self.keep = math.exp(-math.log(2) * GRID_MS / _BASIS_HALF_LIFE_MS)
        self.noise = _BASIS_VOL * math.sqrt(1 - self.keep**2)

    def _step(self, x: float) -> float:
        return BASIS_MEAN + (x - BASIS_MEAN) * self.keep + self.noise * self.rng.gauss(0.0, 1.0)

    def _jump(self, x: float, steps: int) -> float:
        keep = self.keep**steps
        spread = _BASIS_VOL * math.sqrt(1 - keep**2)
        return BASIS_MEAN + (x - BASIS_MEAN) * keep + spread * self.rng.gauss(0.0, 1.0)

    def basis(self, t: int) -> float:
        """Return the basis at ``t``."""
        return self.value(t)

    def at(self, t: int) -> float:
        """Return the contract's fair price at ``t``."""
        return self.underlying.at(t) * (1.0 + self.value(t))
