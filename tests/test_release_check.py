"""scripts/release_check.py: the pyproject version must have a dated CHANGELOG.md entry."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "release_check", ROOT / "scripts" / "release_check.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


release_check = _load()


def _project(tmp_path: Path, version: str, changelog: str | None) -> Path:
    (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "x"\nversion = "{version}"\n')
    if changelog is not None:
        (tmp_path / "CHANGELOG.md").write_text(changelog)
    return tmp_path


GOOD = (
    "# Changelog\n\n## [Unreleased]\n\n"
    "## [1.2.0] - 2026-01-02\n\n- Added x.\n\n"
    "## [1.1.0] - 2025-12-01\n\n- y\n"
)


def test_repository_is_consistent() -> None:
    """This repository's pyproject version has its CHANGELOG.md entry."""
    assert release_check.check(ROOT) == []
    assert release_check.main(["--root", str(ROOT)]) == 0


def test_consistent_project_passes(tmp_path: Path) -> None:
    """A dated, non-empty entry for the version, newest after Unreleased, passes."""
    assert release_check.check(_project(tmp_path, "1.2.0", GOOD)) == []


@pytest.mark.parametrize(
    ("version", "changelog", "problem"),
    [
        ("1.3.0", GOOD, "no entry for version 1.3.0"),
        ("1.2.0", None, "CHANGELOG.md is missing"),
        ("1.1.0", GOOD, "the newest entry is 1.2.0, not the pyproject version 1.1.0"),
        ("1.2.0", "## [1.2.0]\n- x\n", "CHANGELOG.md:1: the 1.2.0 entry has no date"),
        ("1.2.0", "## [1.2.0] - soon\n- x\n", "'soon' is not a date"),
        ("1.2.0", "## [1.2.0] - 2026-01-02\n\n## [1.1.0] - 2025-01-01\n- y\n", "entry is empty"),
    ],
)
def test_inconsistent_project_fails(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    version: str,
    changelog: str | None,
    problem: str,
) -> None:
    """A missing, undated, empty or not-newest entry fails with a message saying which."""
    root = _project(tmp_path, version, changelog)
    assert any(problem in p for p in release_check.check(root)), release_check.check(root)
    assert release_check.main(["--root", str(root)]) == 1
    assert "release check FAILED" in capsys.readouterr().err
