"""The URL rule and the host table: which Binance host name serves what.

One rule serves every Binance host on one port: ``https://HOST/PATH`` is served at
``http://127.0.0.1:PORT/HOST/PATH`` and ``wss://HOST/PATH`` at ``ws://127.0.0.1:PORT/HOST/PATH``.
HOST may carry a port (``stream.binance.com:9443``), served the same as without. A request whose
first path segment is not a known host is routed by its ``Host`` header instead, so the same
handlers answer a client that reaches the emulator through DNS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

__all__ = [
    "HOSTS",
    "URL_RULE",
    "Environment",
    "HostInfo",
    "Service",
    "resolve",
    "rewrite_url",
    "service_for",
]

URL_RULE = (
    "https://HOST/PATH -> http://127.0.0.1:PORT/HOST/PATH and "
    "wss://HOST/PATH -> ws://127.0.0.1:PORT/HOST/PATH (HOST may carry :443 or :9443)"
)

Service = Literal[
    "spot-rest",
    "spot-streams",
    "spot-wsapi",
    "usdm-rest",
    "usdm-streams",
    "usdm-wsapi",
    "coinm-rest",
    "coinm-streams",
    "coinm-wsapi",
    "futures-testnet",  # testnet.binancefuture.com serves fapi, dapi and ws-fapi paths
]
Environment = Literal["prod", "testnet", "demo"]


@dataclass(frozen=True)
class HostInfo:
    """What a Binance host name serves and in which environment."""

    host: str
    service: Service
    environment: Environment


def _table() -> dict[str, HostInfo]:
    rows: list[tuple[str, Service, Environment]] = [
        ("api.binance.com", "spot-rest", "prod"),
        ("api-gcp.binance.com", "spot-rest", "prod"),
        ("api1.binance.com", "spot-rest", "prod"),
        ("api2.binance.com", "spot-rest", "prod"),
        ("api3.binance.com", "spot-rest", "prod"),
        ("api4.binance.com", "spot-rest", "prod"),
        ("data-api.binance.vision", "spot-rest", "prod"),
        ("testnet.binance.vision", "spot-rest", "testnet"),
        ("api1.testnet.binance.vision", "spot-rest", "testnet"),
        ("demo-api.binance.com", "spot-rest", "demo"),
        ("stream.binance.com", "spot-streams", "prod"),
        ("data-stream.binance.vision", "spot-streams", "prod"),
        ("stream.testnet.binance.vision", "spot-streams", "testnet"),
        ("demo-stream.binance.com", "spot-streams", "demo"),
        ("ws-api.binance.com", "spot-wsapi", "prod"),
        ("ws-api.testnet.binance.vision", "spot-wsapi", "testnet"),
        ("demo-ws-api.binance.com", "spot-wsapi", "demo"),
        ("fapi.binance.com", "usdm-rest", "prod"),
        ("demo-fapi.binance.com", "usdm-rest", "demo"),
        ("fstream.binance.com", "usdm-streams", "prod"),
        ("fstream.binancefuture.com", "usdm-streams", "testnet"),
        ("stream.binancefuture.com", "usdm-streams", "testnet"),
        ("demo-fstream.binance.com", "usdm-streams", "demo"),
        ("ws-fapi.binance.com", "usdm-wsapi", "prod"),
        ("dapi.binance.com", "coinm-rest", "prod"),
        ("demo-dapi.binance.com", "coinm-rest", "demo"),
        ("dstream.binance.com", "coinm-streams", "prod"),
        ("dstream.binancefuture.com", "coinm-streams", "testnet"),
        ("ws-dapi.binance.com", "coinm-wsapi", "prod"),
        ("testnet.binancefuture.com", "futures-testnet", "testnet"),
    ]
    return {h: HostInfo(h, s, e) for h, s, e in rows}


HOSTS: dict[str, HostInfo] = _table()


def _strip_port(host: str) -> str:
    return host.rsplit(":", 1)[0] if ":" in host else host


def resolve(path: str, host_header: str | None = None) -> tuple[HostInfo, str] | None:
    """Split a request path by the URL rule into (host info, Binance path).

    ``/stream.binance.com:9443/ws/0`` gives (stream.binance.com, ``/ws/0``). When the first
    segment is not a known host, the ``Host`` header is tried with the whole path. Returns
    None when neither names a known host.
    """
    stripped = path.lstrip("/")
    first, _, rest = stripped.partition("/")
    info = HOSTS.get(_strip_port(first).lower())
    if info is not None:
        return info, "/" + rest
    if host_header:
        info = HOSTS.get(_strip_port(host_header).lower())
        if info is not None:
            return info, path if path.startswith("/") else "/" + path
    return None


_FUTURES_TESTNET_SERVICES: dict[str, Service] = {"fapi": "usdm-rest", "dapi": "coinm-rest"}


def service_for(info: HostInfo, path: str) -> Service:
    """Return the service answering ``path`` on ``info``'s host.

    ``testnet.binancefuture.com`` serves fapi, dapi and ws-fapi paths: its first path segment
    picks the service. Every other host serves one service.
    """
    if info.service != "futures-testnet":
        return info.service
    first = path.strip("/").split("/", 1)[0]
    return _FUTURES_TESTNET_SERVICES.get(first, "futures-testnet")


def rewrite_url(url: str, base_url: str) -> str:
    """Apply the URL rule: point a Binance ``https``/``wss`` URL at an emulator base URL.

    ``base_url`` is the emulator's ``http://127.0.0.1:PORT``. ``wss://`` becomes ``ws://``.
    URLs that are already plain ``http``/``ws`` are returned unchanged.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("https", "wss"):
        return url
    base = urlsplit(base_url)
    scheme = "ws" if parts.scheme == "wss" else "http"
    tail = parts.path or ""
    query = f"?{parts.query}" if parts.query else ""
    return f"{scheme}://{base.netloc}/{parts.netloc}{tail}{query}"
