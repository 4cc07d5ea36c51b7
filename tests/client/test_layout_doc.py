"""docs/decisions.md's client layout tree names every module of client/ and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_layout_tree_matches_the_package() -> None:
    """Each client module has one line in the tree under "## Layout: client", and each line
    names a module that exists."""
    text = (ROOT / "docs" / "decisions.md").read_text(encoding="utf-8")
    section = text[text.index("## Layout: client") :]
    tree = section[section.index("```") + 3 :]
    tree = tree[: tree.index("```")]
    listed: list[str] = []
    folders: list[tuple[int, str]] = []
    for line in tree.strip("\n").splitlines():
        indent = len(line) - len(line.lstrip())
        name = line.split()[0]
        folders = [(i, f) for i, f in folders if i < indent]
        if name.endswith("/"):
            folders.append((indent, name))
        else:
            listed.append("".join(f for _, f in folders) + name)
    actual = sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "client").rglob("*.py")
        if "__pycache__" not in p.parts
    )
    assert sorted(listed) == actual
    assert len(listed) == len(set(listed))
    assert all(re.fullmatch(r"[\w/]+\.py", n) for n in listed)
