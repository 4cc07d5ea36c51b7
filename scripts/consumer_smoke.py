"""Consumer smoke: what a user of the installed wheel does first, run outside the source tree.

``tox -e package`` installs the built wheel into a fresh virtualenv and runs this script from an
empty temporary directory, so every import below comes from the installed wheel, never from the
checkout. It checks that the three packages import from site-packages with their package data
(``py.typed``, ``schema.json``, the scenario library), starts the emulator, watches a ticker,
places an order through the emulator's control API and sees it in the book, places and cancels
an order with the client itself on an emulator account (NEW and CANCELED on ``watch_orders``),
records a few rows with ``python -m client.record``, and plays a public and a private packaged
scenario.

Usage: ``python consumer_smoke.py [--source-tree PATH]`` (fails if a package imports from PATH).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.resources
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGES = ("client", "mock_exchange", "scenarios")
PACKAGE_DATA = {
    "client": ["py.typed"],
    "mock_exchange": ["py.typed"],
    "scenarios": ["py.typed", "schema.json"],
}
SCENARIO_DIRS = ("spot", "usdm", "coinm")
SCENARIOS = (("spot", "ticker_subscribe.yaml"), ("spot", "private", "order_lifecycle.yaml"))


def step(text: str) -> None:
    print(f"consumer smoke: {text}", flush=True)


def check_imports(source_tree: Path | None) -> None:
    """Each package imports, and not from the source tree."""
    for name in PACKAGES:
        mod = importlib.import_module(name)
        where = Path(str(mod.__file__)).resolve()
        if source_tree is not None and where.is_relative_to(source_tree):
            raise SystemExit(f"{name} was imported from the source tree: {where}")
        if "site-packages" not in where.parts:
            raise SystemExit(f"{name} is not an installed package: {where}")
        step(f"import {name} from {where.parent}")


def check_package_data() -> None:
    """py.typed, the scenario schema and every scenario directory are in the wheel."""
    for package, names in PACKAGE_DATA.items():
        root = importlib.resources.files(package)
        for name in names:
            if not root.joinpath(name).is_file():
                raise SystemExit(f"{package}/{name} is missing from the installed package")
    root = importlib.resources.files("scenarios")
    counts = {}
    for d in SCENARIO_DIRS:
        for sub in (d, f"{d}/private"):
            counts[sub] = sum(1 for f in root.joinpath(sub).iterdir() if f.name.endswith(".yaml"))
            if not counts[sub]:
                raise SystemExit(f"scenarios/{sub}/ has no YAML in the installed package")
    step(f"package data present: py.typed x3, schema.json, scenarios {counts}")


async def exercise_emulator_and_client() -> None:
    """Start the emulator, watch a ticker, and place an order through the control API."""
    import aiohttp

    import client
    from mock_exchange import MockExchange, ServerConfig

    async with (
        MockExchange(config=ServerConfig(seed=1, rate=20)) as mx,
        client.Binance(binance_env="local", base_url=mx.base_url) as ex,
    ):
        step(f"emulator listening on {mx.base_url}")
        ticker = await asyncio.wait_for(ex.watch_ticker("BTC/USDT"), 30)
        assert ticker["symbol"] == "BTC/USDT" and ticker["last"], ticker
        step(f"watch_ticker BTC/USDT: last {ticker['last']}")

        # An order placed through the emulator's control API rests in the book the client reads.
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"{mx.base_url}/_mock/order",
                json={
                    "symbol": "BTCUSDT",
                    "side": "BUY",
                    "type": "LIMIT",
                    "price": "1000.00",
                    "quantity": "0.5",
                },
            ) as resp,
        ):
            placed = await resp.json()
        assert resp.status == 200 and placed["status"] == "NEW", placed
        book = await asyncio.wait_for(ex.fetch_order_book_ws("BTC/USDT", 5000), 30)
        assert [1000.0, 0.5] in book["bids"], book["bids"][-3:]
        step(f"control-API order {placed['orderId']} rests in the book")

        await place_and_cancel(mx)


async def place_and_cancel(mx: object) -> None:
    """The private half: an emulator account with a key the emulator generates, an order
    placed over the WebSocket API, seen NEW on watch_orders, canceled, seen CANCELED."""
    import client
    from mock_exchange import MockExchange, generate_account

    assert isinstance(mx, MockExchange)
    account = generate_account("smoke", {"balances": {"USDT": "10000"}})
    mx.add_account(account.registration)
    async with client.Binance(
        account.client_config, binance_env="local", base_url=mx.base_url
    ) as ex:
        await asyncio.wait_for(ex.authenticate(), 30)
        ticker = await asyncio.wait_for(ex.fetch_ticker_ws("BTC/USDT"), 30)
        price = round(float(ticker["bid"]) * 0.9)  # far from the market, inside PERCENT_PRICE
        order = await asyncio.wait_for(
            ex.create_order_ws("BTC/USDT", "limit", "buy", 0.001, price), 30
        )
        seen = await asyncio.wait_for(ex.watch_orders("BTC/USDT"), 30)
        assert any(o["id"] == order["id"] and o["status"] == "open" for o in seen), seen
        step(f"create_order_ws {order['id']}: NEW on watch_orders")
        canceled = await asyncio.wait_for(ex.cancel_order_ws(str(order["id"]), "BTC/USDT"), 30)
        assert canceled["status"] == "canceled", canceled
        seen = await asyncio.wait_for(ex.watch_orders("BTC/USDT"), 30)
        assert any(o["id"] == order["id"] and o["status"] == "canceled" for o in seen), seen
        step(f"cancel_order_ws {order['id']}: CANCELED on watch_orders")


def exercise_recorder(workdir: Path) -> None:
    """``python -m client.record`` runs from the wheel and writes rows."""
    db = workdir / "smoke.sqlite"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "client.record",
            "--db",
            str(db),
            "--symbols",
            "BTC/USDT",
            "--channels",
            "ticker,trades",
            "--max-rows",
            "5",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=workdir,
    )
    if done.returncode != 0:
        raise SystemExit(f"client.record failed ({done.returncode}): {done.stderr}")
    with sqlite3.connect(db) as conn:
        rows = sum(
            conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("tickers", "trades")
        )
    assert rows >= 5, rows
    step(f"python -m client.record wrote {rows} rows")


async def play_scenario() -> None:
    """A packaged public scenario and a private one pass on the embedded emulator."""
    from scenarios import Target, load_file, run_scenario

    for parts in SCENARIOS:
        path = importlib.resources.files("scenarios").joinpath(*parts)
        with importlib.resources.as_file(path) as file:
            scenario = load_file(file)
        result = await asyncio.wait_for(run_scenario(scenario, Target("emulator")), 120)
        if result.status != "passed":
            raise SystemExit(f"scenario {scenario.name}: {result.status}: {result.message}")
        step(f"scenario {scenario.name} passed on the embedded emulator")


def main() -> int:
    """Run every check; exit non-zero on the first failure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-tree", type=Path, default=None)
    args = parser.parse_args()
    source = args.source_tree.resolve() if args.source_tree else None
    if source is not None and Path.cwd().resolve().is_relative_to(source):
        raise SystemExit("run the consumer smoke outside the source tree")
    check_imports(source)
    check_package_data()
    asyncio.run(exercise_emulator_and_client())
    with tempfile.TemporaryDirectory() as tmp:
        exercise_recorder(Path(tmp))
    asyncio.run(play_scenario())
    step("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
