"""Where each environment lives: prod, testnet (alias sandbox), demo, and a local emulator.

The ``local`` environment takes the prod URLs and applies the emulator's URL rule:
``https://HOST/PATH`` -> ``http://127.0.0.1:PORT/HOST/PATH`` (``wss`` -> ``ws``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal
from urllib.parse import urlsplit

__all__ = ["ENVIRONMENTS", "Endpoints", "EnvName", "endpoints_for", "normalise_env", "rewrite_url"]

EnvName = Literal["prod", "testnet", "demo", "local"]


@dataclass(frozen=True)
class Endpoints:
    """Hosts of one environment, per service (:mod:`client.venues` says which venue uses which)."""

    name: str
    spot_rest: str
    spot_streams: str
    spot_ws_api: str
    usdm_rest: str
    usdm_streams: str
    usdm_ws_api: str
    coinm_rest: str
    coinm_streams: str
    coinm_ws_api: str
    papi_rest: str = ""
    """Portfolio margin REST host; empty where the environment has none (testnet, demo)."""


ENVIRONMENTS: dict[str, Endpoints] = {
    "prod": Endpoints(
        "prod",
        spot_rest="https://api.binance.com",
        spot_streams="wss://stream.binance.com:9443",
        spot_ws_api="wss://ws-api.binance.com:443/ws-api/v3",
        usdm_rest="https://fapi.binance.com",
        usdm_streams="wss://fstream.binance.com",
        usdm_ws_api="wss://ws-fapi.binance.com/ws-fapi/v1",
        coinm_rest="https://dapi.binance.com",
        coinm_streams="wss://dstream.binance.com",
        coinm_ws_api="wss://ws-dapi.binance.com/ws-dapi/v1",
        papi_rest="https://papi.binance.com",
    ),
    "testnet": Endpoints(
        "testnet",
        spot_rest="https://testnet.binance.vision",
        spot_streams="wss://stream.testnet.binance.vision",
        spot_ws_api="wss://ws-api.testnet.binance.vision/ws-api/v3",
        usdm_rest="https://testnet.binancefuture.com",
        usdm_streams="wss://fstream.binancefuture.com",
        usdm_ws_api="wss://testnet.binancefuture.com/ws-fapi/v1",
        coinm_rest="https://testnet.binancefuture.com",
        coinm_streams="wss://dstream.binancefuture.com",
        coinm_ws_api="wss://testnet.binancefuture.com/ws-dapi/v1",
    ),
    "demo": Endpoints(
        "demo",
        spot_rest="https://demo-api.binance.com",
        spot_streams="wss://demo-stream.binance.com:9443",
        spot_ws_api="wss://demo-ws-api.binance.com/ws-api/v3",
        usdm_rest="https://demo-fapi.binance.com",
        usdm_streams="wss://demo-fstream.binance.com",
        usdm_ws_api="wss://testnet.binancefuture.com/ws-fapi/v1",
        coinm_rest="https://demo-dapi.binance.com",
        coinm_streams="wss://dstream.binancefuture.com",
        coinm_ws_api="wss://testnet.binancefuture.com/ws-dapi/v1",
    ),
}

_ALIASES = {"sandbox": "testnet", "production": "prod", "live": "prod", "emulator": "local"}


def normalise_env(name: str) -> str:
    """Return the canonical environment name (``sandbox`` -> ``testnet``).

    Raises:
        ValueError: the name is not an environment.
    """
    key = _ALIASES.get(name.strip().lower(), name.strip().lower())
    if key not in ENVIRONMENTS and key != "local":
        raise ValueError(
            f"unknown binance_env {name!r}; expected prod, testnet, sandbox, demo or local"
        )
    return key


def rewrite_url(url: str, base_url: str) -> str:
    """Apply the emulator URL rule to one Binance URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "wss"):
        return url
    netloc = urlsplit(base_url).netloc
    scheme = "ws" if parts.scheme == "wss" else "http"
    query = f"?{parts.query}" if parts.query else ""
    return f"{scheme}://{netloc}/{parts.netloc}{parts.path}{query}"


def endpoints_for(name: str, base_url: str | None = None, *, mirror: str = "prod") -> Endpoints:
    """Return the endpoints of environment ``name``.

    ``local`` needs ``base_url`` (the emulator's ``http://127.0.0.1:PORT``) and rewrites the
    URLs of ``mirror`` (default prod) with the URL rule.

    Raises:
        ValueError: unknown environment, or ``local`` without a base URL.
    """
    key = normalise_env(name)
    if key != "local":
        return ENVIRONMENTS[key]
    if not base_url:
        raise ValueError("binance_env 'local' needs base_url (the emulator's http://HOST:PORT)")
    src = ENVIRONMENTS[normalise_env(mirror)]
    fields = {
        f: rewrite_url(getattr(src, f), base_url) for f in src.__dataclass_fields__ if f != "name"
    }
    return replace(src, name="local", **fields)
