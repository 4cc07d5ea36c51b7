"""Generate the API reference from the docstrings (``tox -e docs``) with pdoc.

Every module of the three packages is documented (pdoc alone would follow each package's
``__all__`` and skip the submodules), except the ``__main__`` entry points, which run a CLI on
import. Docstrings are Google style (``Args:``/``Returns:``/``Raises:``).

Usage: ``python scripts/api_docs.py [OUTPUT_DIR]`` (default ``build/docs``, not committed).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

import pdoc
import pdoc.render

PACKAGES = ("client", "mock_exchange", "scenarios")


def modules() -> list[str]:
    """Return every module name of the packages, parents first, without ``__main__``."""
    out: list[str] = []
    for name in PACKAGES:
        pkg = importlib.import_module(name)
        out.append(name)
        for info in pkgutil.walk_packages(pkg.__path__, f"{name}."):
            if info.name.rsplit(".", 1)[-1] != "__main__":
                out.append(info.name)
    return out


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "build/docs")
    names = modules()
    pdoc.render.configure(docformat="google", show_source=False)
    pdoc.pdoc(*names, output_directory=out)
    pages = sorted(out.rglob("*.html"))
    missing = [n for n in names if not (out / (n.replace(".", "/") + ".html")).is_file()]
    if missing:
        print(f"api docs FAILED: no page for {missing}", file=sys.stderr)
        return 1
    print(f"api docs: {len(names)} modules, {len(pages)} pages in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
