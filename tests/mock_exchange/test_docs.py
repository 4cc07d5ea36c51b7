"""docs/emulator.md stays in step with the routing tables, and the catalogue is served."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

import mock_exchange
from mock_exchange.surface import BEGIN, END, surface_markdown
from mock_exchange.transports.stream_names import STREAM_CATALOGUE, parse_stream, stream_period

DOC = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"


def test_surface_table_matches_routing_tables() -> None:
    """The generated surface section in docs/emulator.md equals surface_markdown()."""
    text = DOC.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    assert text[start:end] == surface_markdown()


@pytest.mark.parametrize(
    ("venue", "example"),
    [(venue, ex) for venue, rows in STREAM_CATALOGUE.items() for _p, ex in rows],
)
def test_catalogue_examples_parse(venue: str, example: str) -> None:
    """Every documented stream example parses on its venue and has a publishing rule."""
    key = parse_stream(example, venue)  # type: ignore[arg-type]
    assert key is not None
    period = stream_period(venue, key)  # type: ignore[arg-type]
    assert period is None or period > 0


@pytest.mark.parametrize(
    "module",
    sorted(
        m.name
        for m in pkgutil.walk_packages(mock_exchange.__path__, "mock_exchange.")
        if not m.name.endswith("__main__")
    ),
)
def test_every_module_exports_what_it_promises(module: str) -> None:
    """Every mock_exchange module with __all__ defines each name it lists."""
    mod = importlib.import_module(module)
    for name in getattr(mod, "__all__", ()):
        assert hasattr(mod, name), f"{module}.{name}"
