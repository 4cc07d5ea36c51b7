"""Templates: generated values inside frames, arguments and predicates.

A template is a one-key mapping whose key starts with ``$``::

    {$int: [1, 100]}            a random integer in [1, 100]
    {$decimal: [0.1, 2, 8]}     a decimal string with 8 places (Binance sends numbers as strings)
    {$choice: [BUY, SELL]}      one of the values
    {$seq: trade}               1, 2, 3 ... per name
    {$now: 0}                   the target's clock in ms, plus an offset (the emulator's virtual
                                clock offline, the wall clock live)
    {$faker: pyint}             a Faker provider (or [provider, {kwargs}]), seeded
    {$saved: first.timestamp}   a value a previous step saved, by dotted path
    {$mul: [a, b]}              a x b as a decimal string (numbers or numeric strings)
    {$add: [a, b]}              a + b as a decimal string (half a tick off the grid, say)
    {$floor: [value, step]}     value rounded down to a multiple of step, as a string
    {$account: main.apiKey}     an account's apiKey, secret (HMAC secret or private key PEM) or
                                key_type: main is the target's own key, others setup.accounts

``$mul`` and ``$floor`` build non-marketable prices from a live book for gated live order
scenarios: ``{$floor: [{$mul: [{$saved: book.bids.0.0}, "0.8"]}, "0.01"]}``.

Random values come from one generator seeded by the scenario's ``setup.seed``, so a run is
reproducible.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

__all__ = ["MissingSaved", "TemplateError", "Templates", "lookup"]


class TemplateError(Exception):
    """A template that cannot be rendered (unknown generator, bad arguments, missing value)."""


class MissingSaved(TemplateError):
    """``$saved`` names nothing a step saved (a cleanup step with nothing to clean up)."""


def lookup(obj: Any, dotted: str) -> Any:
    """Return the value at a dotted path (``info.s``, ``bids.0.0``); ``-1`` indexes from the end.

    Raises:
        KeyError: a segment does not exist.
    """
    cur = obj
    for part in dotted.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list | tuple) and part.lstrip("-").isdigit() and cur:
            index = int(part)
            if not -len(cur) <= index < len(cur):
                raise KeyError(dotted)
            cur = cur[index]
        else:
            raise KeyError(dotted)
    return cur


def _dec(value: Any) -> Decimal:
    return Decimal(str(value))


def _floor(a: Any) -> str:
    value, step = _dec(a[0]), _dec(a[1])
    if step <= 0:
        raise ValueError("step must be positive")
    return f"{(value // step) * step:f}"


class Templates:
    """Render templates with a seeded generator, a clock and the saved results of a run."""

    def __init__(
        self,
        seed: int,
        now_ms: Callable[[], int],
        saved: dict[str, Any],
        accounts: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.random = random.Random(seed)
        self.seed = seed
        self.now_ms = now_ms
        self.saved = saved
        self.accounts = accounts if accounts is not None else {}
        self._seq: dict[str, int] = {}
        self._faker: Any = None

    def render(self, value: Any) -> Any:
        """Return ``value`` with every template replaced by its generated value.

        Raises:
            TemplateError: an unknown or malformed template.
        """
        if isinstance(value, list):
            return [self.render(v) for v in value]
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, arg),) = value.items()
                if isinstance(key, str) and key.startswith("$"):
                    return self._generate(key, arg)
            return {k: self.render(v) for k, v in value.items()}
        return value

    def _generate(self, key: str, arg: Any) -> Any:
        gens: dict[str, Callable[[Any], Any]] = {
            "$int": lambda a: self.random.randint(int(a[0]), int(a[1])),
            "$decimal": self._decimal,
            "$choice": lambda a: self.random.choice(list(a)),
            "$seq": self._next_seq,
            "$now": lambda a: self.now_ms() + int(a or 0),
            "$faker": self._fake,
            "$saved": self._saved,
            "$mul": lambda a: f"{_dec(a[0]) * _dec(a[1]):f}",
            "$add": lambda a: f"{_dec(a[0]) + _dec(a[1]):f}",
            "$floor": _floor,
            "$account": self._account,
        }
        gen = gens.get(key)
        if gen is None:
            raise TemplateError(f"unknown template {key!r}; known: {', '.join(gens)}")
        try:
            return gen(self.render(arg))
        except TemplateError:
            raise
        except (TypeError, ValueError, IndexError, AttributeError, ArithmeticError) as exc:
            raise TemplateError(f"{key}: {exc}") from None

    def _decimal(self, a: Any) -> str:
        lo, hi, places = Decimal(str(a[0])), Decimal(str(a[1])), int(a[2])
        steps = int((hi - lo) * 10**places)
        value = lo + Decimal(self.random.randint(0, steps)) / Decimal(10**places)
        return f"{value:.{places}f}"

    def _next_seq(self, name: Any) -> int:
        n = self._seq.get(str(name), 0) + 1
        self._seq[str(name)] = n
        return n

    def _saved(self, path: Any) -> Any:
        try:
            return lookup(self.saved, str(path))
        except KeyError:
            raise MissingSaved(
                f"$saved: nothing saved at {path!r} (saved: {sorted(self.saved)})"
            ) from None

    def _account(self, path: Any) -> Any:
        name, _, part = str(path).partition(".")
        account = self.accounts.get(name)
        if account is None:
            known = ", ".join(sorted(self.accounts)) or "none"
            raise TemplateError(
                f"$account: no account {name!r} on this target (accounts here: {known}; "
                "setup.accounts exist on emulator targets only)"
            )
        if part not in account:
            raise TemplateError(f"$account: {name} has no {part!r} (apiKey, secret, key_type)")
        return account[part]

    def _fake(self, spec: Any) -> Any:
        if self._faker is None:
            from faker import Faker  # a dependency; imported on first use to keep start-up fast

            self._faker = Faker()
            self._faker.seed_instance(self.seed)
        name, kwargs = (
            (spec[0], spec[1] if len(spec) > 1 else {})
            if isinstance(spec, list)
            else (
                spec,
                {},
            )
        )
        provider = getattr(self._faker, str(name), None)
        if provider is None or str(name).startswith("_") or not callable(provider):
            raise TemplateError(f"$faker: no provider {name!r}")
        return provider(**kwargs)
