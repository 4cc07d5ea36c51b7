"""``python -m mock_exchange serve``: one-line errors and warnings instead of tracebacks."""

from __future__ import annotations

import asyncio
import importlib.metadata
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from mock_exchange import MockExchange, ServerConfig
from mock_exchange.faults import FAULT_KINDS


async def serve_proc(*args: str) -> asyncio.subprocess.Process:
    """Start ``python -m mock_exchange serve ARGS`` with both outputs piped."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mock_exchange",
        "serve",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
async def test_serve_warns_when_bound_beyond_loopback(host: str) -> None:
    """Binding every interface prints one warning naming the control API, then serves."""
    proc = await serve_proc("--host", host, "--port", "0", "--rate", "0", "--no-demo-account")
    assert proc.stdout is not None and proc.stderr is not None
    try:
        listening = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        assert listening.startswith("mock_exchange listening on")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 15) == 0
    err = (await proc.stderr.read()).decode()
    assert f"warning: --host {host} makes the emulator and its control API" in err
    assert "Traceback" not in err


async def test_serve_on_loopback_does_not_warn() -> None:
    """The default bind (127.0.0.1) prints no warning."""
    proc = await serve_proc("--port", "0", "--rate", "0", "--no-demo-account")
    assert proc.stdout is not None and proc.stderr is not None
    try:
        await asyncio.wait_for(proc.stdout.readline(), 30)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 15) == 0
    assert (await proc.stderr.read()).decode() == ""


async def run_to_end(*args: str) -> tuple[int, str, str]:
    """Run ``serve ARGS`` until it exits by itself; return (code, stdout, stderr)."""
    proc = await serve_proc(*args)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def one_line(err: str, fragment: str) -> None:
    """The error output is one line (argparse adds its usage line first) naming the problem."""
    lines = [line for line in err.splitlines() if line and not line.startswith(("usage:", " "))]
    assert "Traceback" not in err and len(lines) == 1 and fragment in lines[0], err


async def test_serve_on_a_busy_port_is_one_line() -> None:
    """A port already taken gives a one-line error and exit 2, not a traceback."""
    async with MockExchange(config=ServerConfig(rate=0)) as mx:
        code, out, err = await run_to_end("--port", str(mx.port), "--no-demo-account")
    assert code == 2 and "listening" not in out
    one_line(err, f"cannot listen on 127.0.0.1:{mx.port}")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--port", "70000"), "argument --port: 70000 is not a port (0-65535)"),
        (("--port", "-1"), "argument --port: -1 is not a port (0-65535)"),
        (("--host", "no-such-host.invalid"), "cannot listen on no-such-host.invalid:0"),
        (("--host", "203.0.113.7"), "cannot listen on 203.0.113.7:0"),
    ],
)
async def test_serve_bad_address_is_one_line(args: tuple[str, ...], fragment: str) -> None:
    """A port out of range or a host that cannot be bound is a one-line error, exit 2."""
    code, out, err = await run_to_end(*args, "--no-demo-account")
    assert code == 2 and "listening" not in out
    one_line(err, fragment)


@pytest.mark.parametrize(
    ("markets", "fragment"),
    [
        ("[{symbol: BTCUSDT, tick_size: abc}]", "market BTCUSDT: tick_size must be a positive"),
        ("[{symbol: BTCUSDT, min_price: 5, max_price: 1}]", "min_price 5 is above max_price 1"),
        ("[{BTCUSDT: {tick_size: 1}}]", "market entry without 'symbol'"),
        ("[{symbol: BTCUSDT, order_types: 5}]", "order_types must be a list of names"),
    ],
)
async def test_serve_inconsistent_markets_is_one_line(
    tmp_path: Path, markets: str, fragment: str
) -> None:
    """A --markets entry with a bad value or contradictory limits is a one-line error."""
    path = tmp_path / "m.yaml"
    path.write_text(markets + "\n")
    code, out, err = await run_to_end("--markets", str(path), "--no-demo-account")
    assert code == 2 and "listening" not in out
    one_line(err, fragment)


async def test_serve_scenario_with_an_unknown_fault_kind_fails_before_listening(
    tmp_path: Path,
) -> None:
    """An unknown fault kind in serve --scenario is reported before anything listens."""
    path = tmp_path / "s.yaml"
    path.write_text("name: s\nemulator:\n  - fault: {kind: explode}\nsteps: []\n")
    code, out, err = await run_to_end("--scenario", str(path), "--no-demo-account")
    assert code == 2 and out == ""
    one_line(err, f"{path}:3: emulator fault: unknown fault kind 'explode'")


async def test_serve_scenario_action_failing_at_run_time_is_one_line(tmp_path: Path) -> None:
    """A script action the running emulator refuses (a gap on an unknown symbol) ends serve
    with a one-line error and exit 2, after shutting the server down cleanly."""
    path = tmp_path / "s.yaml"
    path.write_text("name: s\nemulator:\n  - fault: {kind: gap, symbol: NOPE}\nsteps: []\n")
    code, out, err = await run_to_end("--scenario", str(path), "--no-demo-account", "--port", "0")
    assert code == 2 and "mock_exchange shutting down" in out
    one_line(err, "scenario s: emulator[0]:")


@pytest.mark.parametrize("package", ["mock_exchange", "scenarios"])
async def test_both_clis_print_their_version(package: str) -> None:
    """python -m mock_exchange --version and python -m scenarios --version print the kit's
    version and exit 0."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", package, "--version", stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    assert out.decode().strip() == f"{package} {importlib.metadata.version('binance-pro-kit')}"


@pytest.mark.parametrize("rate", ["-5", "nan", "inf", "1e9", "fast"])
async def test_serve_refuses_a_bad_rate(rate: str) -> None:
    """serve --rate takes a number from 0 to the control API's bound; -5 used to be accepted."""
    code, out, err = await run_to_end("--rate", rate, "--no-demo-account")
    assert code == 2 and "listening" not in out
    one_line(err, f"argument --rate: {rate} is not a rate")


async def test_no_host_404_names_the_real_port() -> None:
    """The answer to a path without a Binance host shows the URL rule with this server's own
    address and port, not a placeholder."""
    async with (
        MockExchange(config=ServerConfig(rate=0)) as mx,
        aiohttp.ClientSession() as s,
        s.get(f"{mx.base_url}/nowhere/api") as r,
    ):
        body = await r.json()
    assert r.status == 404 and body["code"] == -1000
    assert f"http://127.0.0.1:{mx.port}/HOST/PATH" in body["msg"] and "PORT" not in body["msg"]


README = Path(__file__).resolve().parents[2] / "README.md"
EMULATOR_DOC = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"


def test_readme_lists_every_fault_kind_and_says_what_shutdown_does() -> None:
    """The README's fault list names every fault kind (withhold_pongs was missing), and the
    README and docs/emulator.md say that POST /_mock/shutdown only sends serverShutdown."""
    readme = README.read_text(encoding="utf-8")
    faults = readme[readme.index("POST|GET|DELETE faults") :].split(")", 1)[0]
    assert [k for k in FAULT_KINDS if f"`{k}`" not in faults] == []
    for text in (readme, EMULATOR_DOC.read_text(encoding="utf-8")):
        text = " ".join(text.split())
        assert "`POST shutdown` sends `serverShutdown`" in text
        assert "the emulator keeps running" in text
