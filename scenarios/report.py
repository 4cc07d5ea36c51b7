"""Reports: the progress rows and matrix printed by ``python -m scenarios run``, and report
files in Markdown (``.md``), JUnit XML (``.xml``) or HTML (``.html``) by the file extension.
"""

from __future__ import annotations

import html
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree as ET

from .runner import ScenarioResult

__all__ = [
    "REPORT_FORMATS",
    "format_row",
    "header",
    "matrix",
    "render_report",
    "summary",
    "write_report",
]

_W = (40, 18, 8, 9)
_MARK = {"passed": "pass", "failed": "FAIL", "skipped": "skip"}


def header() -> str:
    """Return the progress table header (two lines)."""
    cols = ("scenario", "target", "result", "duration")
    line = "  ".join(c.ljust(w) for c, w in zip(cols, _W, strict=True)).rstrip()
    return line + "\n" + "  ".join("-" * w for w in _W)


def format_row(r: ScenarioResult, done: int | None = None, total: int | None = None) -> str:
    """Return one progress row, with the failure or skip reason on the next line."""
    cells = (r.scenario, r.target, r.status, f"{r.duration:.2f}s")
    row = "  ".join(c.ljust(w) for c, w in zip(cells, _W, strict=True)).rstrip()
    if done is not None and total:
        row += f"  [{done}/{total}]"
    if r.message:
        row += f"\n    {r.message}"
    if r.skipped_steps:
        row += f"\n    steps skipped on {r.target}: {', '.join(r.skipped_steps)}"
    if r.gates and r.status != "skipped":
        row += f"\n    gates: {'; '.join(r.gates)}"
    return row


def summary(results: list[ScenarioResult], elapsed: float) -> str:
    """Return the closing line: ``N passed, N failed, N skipped in Xs``."""
    c = Counter(r.status for r in results)
    return f"{c['passed']} passed, {c['failed']} failed, {c['skipped']} skipped in {elapsed:.2f}s"


def _grid(results: list[ScenarioResult]) -> tuple[list[str], list[str], dict[tuple[str, str], str]]:
    scenarios = list(dict.fromkeys(r.scenario for r in results))
    targets = list(dict.fromkeys(r.target for r in results))
    cells = {(r.scenario, r.target): f"{_MARK[r.status]} {r.duration:.1f}s" for r in results}
    return scenarios, targets, cells


def matrix(results: list[ScenarioResult]) -> str:
    """Return the scenario x target matrix as aligned text (``pass 1.2s``, ``FAIL``, ``skip``)."""
    scenarios, targets, cells = _grid(results)
    first = max([len("scenario"), *map(len, scenarios)])
    widths = [max(len(t), 10) for t in targets]
    lines = [
        "  ".join(
            ["scenario".ljust(first), *(t.ljust(w) for t, w in zip(targets, widths, strict=True))]
        )
    ]
    for s in scenarios:
        row = [s.ljust(first)]
        row += [cells.get((s, t), "-").ljust(w) for t, w in zip(targets, widths, strict=True)]
        lines.append("  ".join(row).rstrip())
    return "\n".join(line.rstrip() for line in lines)


def _reasons(results: list[ScenarioResult]) -> list[ScenarioResult]:
    return [r for r in results if r.message or r.skipped_steps or r.gates]


def _gates(r: ScenarioResult) -> str:
    return f" (gates: {'; '.join(r.gates)})" if r.gates and r.status != "skipped" else ""


def _markdown(results: list[ScenarioResult], elapsed: float) -> str:
    scenarios, targets, cells = _grid(results)
    out = ["# Binance conformance scenarios", "", summary(results, elapsed), ""]
    out.append("| scenario | " + " | ".join(targets) + " |")
    out.append("|---" * (len(targets) + 1) + "|")
    for s in scenarios:
        out.append(f"| {s} | " + " | ".join(cells.get((s, t), "-") for t in targets) + " |")
    notes = _reasons(results)
    if notes:
        out += ["", "## Failures, skips and steps skipped", ""]
        for r in notes:
            text = r.message or ""
            if r.skipped_steps:
                text += f" (steps skipped on this target: {', '.join(r.skipped_steps)})"
            text += _gates(r)
            out.append(f"- **{r.scenario}** on `{r.target}` ({r.status}): {text.strip()}")
    return "\n".join(out) + "\n"


def _junit(results: list[ScenarioResult], elapsed: float) -> str:
    c = Counter(r.status for r in results)
    suite = ET.Element(
        "testsuite",
        name="binance-scenarios",
        tests=str(len(results)),
        failures=str(c["failed"]),
        skipped=str(c["skipped"]),
        errors="0",
        time=f"{elapsed:.3f}",
    )
    for r in results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"scenarios.{r.kind}",
            name=f"{r.scenario}[{r.target}]",
            file=str(r.file),
            time=f"{r.duration:.3f}",
        )
        if r.status == "failed":
            ET.SubElement(case, "failure", message=r.message.splitlines()[0][:500]).text = r.message
        elif r.status == "skipped":
            ET.SubElement(case, "skipped", message=r.message)
        out = []
        if r.skipped_steps:
            out.append("steps skipped on this target: " + ", ".join(r.skipped_steps))
        if _gates(r):
            out.append(_gates(r).strip(" ()"))
        if out:
            ET.SubElement(case, "system-out").text = "\n".join(out)
    return str(ET.tostring(suite, encoding="unicode", xml_declaration=True))


def _html(results: list[ScenarioResult], elapsed: float) -> str:
    scenarios, targets, cells = _grid(results)
    status = {(r.scenario, r.target): r.status for r in results}
    esc = html.escape
    rows = []
    for s in scenarios:
        tds = "".join(
            f'<td class="{status.get((s, t), "none")}">{esc(cells.get((s, t), "-"))}</td>'
            for t in targets
        )
        rows.append(f"<tr><th>{esc(s)}</th>{tds}</tr>")
    notes = "".join(
        f"<li><b>{esc(r.scenario)}</b> on <code>{esc(r.target)}</code> ({r.status}): "
        f"<pre>{esc(r.message)}</pre>"
        + (f"<i>steps skipped: {esc(', '.join(r.skipped_steps))}</i>" if r.skipped_steps else "")
        + esc(_gates(r))
        + "</li>"
        for r in _reasons(results)
    )
    head = "".join(f"<th>{esc(t)}</th>" for t in targets)
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Binance scenarios</title>"
        "<style>td.passed{background:#cfc}td.failed{background:#fcc}td.skipped{background:#eee}"
        "td,th{padding:2px 8px;text-align:left}</style></head><body>"
        f"<h1>Binance conformance scenarios</h1><p>{esc(summary(results, elapsed))}</p>"
        f"<table><tr><th>scenario</th>{head}</tr>{''.join(rows)}</table>"
        f"<ul>{notes}</ul></body></html>\n"
    )


REPORT_FORMATS = {".md": _markdown, ".markdown": _markdown, ".xml": _junit, ".html": _html}


def render_report(suffix: str, results: list[ScenarioResult], elapsed: float) -> str:
    """Render a report in the format of a file suffix (``.md``, ``.xml``, ``.html``).

    Raises:
        ValueError: an unknown suffix.
    """
    fmt = REPORT_FORMATS.get(suffix.lower())
    if fmt is None:
        raise ValueError(
            f"unknown report format {suffix!r}; use .md (Markdown), .xml (JUnit) or .html"
        )
    return fmt(results, elapsed)


def write_report(path: Path, results: list[ScenarioResult], elapsed: float) -> None:
    """Write the report file whose format the extension of ``path`` names."""
    path.write_text(render_report(path.suffix, results, elapsed), encoding="utf-8")
