"""The results table printed by ``python -m scenarios run``."""

from __future__ import annotations

from collections import Counter

from .runner import ScenarioResult

__all__ = ["format_row", "header", "summary"]

_W = (40, 12, 8, 9)


def header() -> str:
    """Return the table header (two lines)."""
    cols = ("scenario", "target", "result", "duration")
    line = "  ".join(c.ljust(w) for c, w in zip(cols, _W, strict=True)).rstrip()
    return line + "\n" + "  ".join("-" * w for w in _W)


def format_row(r: ScenarioResult) -> str:
    """Return one table row, with the failure or skip reason on the next line."""
    cells = (r.scenario, r.target, r.status, f"{r.duration:.2f}s")
    row = "  ".join(c.ljust(w) for c, w in zip(cells, _W, strict=True)).rstrip()
    if r.message:
        row += f"\n    {r.message}"
    if r.skipped_steps:
        row += f"\n    skipped on {r.target} (emulator-only): {', '.join(r.skipped_steps)}"
    return row


def summary(results: list[ScenarioResult], elapsed: float) -> str:
    """Return the closing line: ``N passed, N failed, N skipped in Xs``."""
    c = Counter(r.status for r in results)
    return f"{c['passed']} passed, {c['failed']} failed, {c['skipped']} skipped in {elapsed:.2f}s"
