"""Each package exports exactly what its ``__all__`` promises."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize(
    "module",
    [
        "client",
        "client.methods",
        "client.protocol",
        "client.venues",
        "client.errors",
        "client.types",
        "mock_exchange",
        "mock_exchange.server",
        "mock_exchange.routing",
        "scenarios",
        "scenarios.runner",
    ],
)
def test_all_names_exist(module: str) -> None:
    """Every name in __all__ is importable from the module."""
    mod = importlib.import_module(module)
    assert mod.__all__, module
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.{name}"


def test_public_surface() -> None:
    """The headline names are exported."""
    import client
    import mock_exchange
    import scenarios

    assert {"Binance", "binance", "NetworkError", "RequestTimeout", "Ticker"} <= set(client.__all__)
    assert {"MockExchange", "URL_RULE", "rewrite_url"} <= set(mock_exchange.__all__)
    assert {"run_scenario", "load_file", "Target"} <= set(scenarios.__all__)
