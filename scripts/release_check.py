"""Version/changelog consistency, the first step of ``tox -e release-check``.

Fails unless CHANGELOG.md has an entry for the version in pyproject.toml: a heading
``## [X.Y.Z] - YYYY-MM-DD`` with at least one line of content under it, and the entry is the
newest released one (only ``## [Unreleased]`` may come before it). Run it before tagging.

Usage: ``python scripts/release_check.py [--root DIR]``; exit 0 when consistent.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from datetime import date
from pathlib import Path

HEADING = re.compile(r"^## \[(?P<version>[^\]]+)\](?: - (?P<date>\S+))?\s*$")


def check(root: Path) -> list[str]:
    """Return the problems found in ``root`` (empty when the release is consistent)."""
    pyproject = root / "pyproject.toml"
    changelog = root / "CHANGELOG.md"
    with pyproject.open("rb") as f:
        version = str(tomllib.load(f)["project"]["version"])
    if not changelog.is_file():
        return [f"{changelog.name} is missing (pyproject version {version})"]
    entries: list[tuple[str, str | None, int, list[str]]] = []
    for lineno, line in enumerate(changelog.read_text().splitlines(), 1):
        m = HEADING.match(line)
        if m:
            entries.append((m["version"], m["date"], lineno, []))
        elif entries and line.strip():
            entries[-1][3].append(line)
    released = [e for e in entries if e[0].lower() != "unreleased"]
    entry = next((e for e in released if e[0] == version), None)
    if entry is None:
        return [f"CHANGELOG.md has no entry for version {version} (pyproject.toml)"]
    problems = []
    _, when, lineno, body = entry
    if when is None:
        problems.append(f"CHANGELOG.md:{lineno}: the {version} entry has no date (- YYYY-MM-DD)")
    else:
        try:
            date.fromisoformat(when)
        except ValueError:
            problems.append(f"CHANGELOG.md:{lineno}: {when!r} is not a date (YYYY-MM-DD)")
    if not body:
        problems.append(f"CHANGELOG.md:{lineno}: the {version} entry is empty")
    if released[0][0] != version:
        problems.append(
            f"CHANGELOG.md:{released[0][2]}: the newest entry is {released[0][0]}, "
            f"not the pyproject version {version}"
        )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="check pyproject version vs CHANGELOG.md")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args(argv)
    problems = check(args.root)
    for p in problems:
        print(f"release check FAILED: {p}", file=sys.stderr)
    if not problems:
        print("release check: pyproject version and CHANGELOG.md agree")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
