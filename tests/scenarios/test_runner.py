"""The runner: the shipped slice passes, and a broken emulator makes it fail at the right line."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_exchange import MockExchange, ServerConfig
from scenarios import Target, load_file, load_text, parse_target, run_paths, run_scenario

SHIPPED = Path(__file__).resolve().parents[2] / "scenarios" / "spot" / "ticker_subscribe.yaml"

# the first watch opens the connection, so the 800 ms time the withheld ACK, not a handshake
# on a loaded machine (which left the message without the SUBSCRIBE it names)
WITHHELD = """\
name: withheld-ack
targets: [emulator]
setup: {seed: 1, rate: 5}
steps:
  - call: watch_ticker
    args: [BNB/USDT]
    expect: {kind: ticker}
  - emulator: {fault: {kind: withhold_ack, method: SUBSCRIBE}}
  - call: watch_ticker
    args: [BTC/USDT]
    params: {timeout: 800}
    expect: {kind: ticker}
"""


async def test_shipped_ticker_scenario_passes() -> None:
    """The slice scenario passes on the embedded emulator."""
    result = await run_scenario(load_file(SHIPPED), Target("emulator"))
    assert result.status == "passed", result.message
    assert result.duration > 0


async def test_withheld_ack_fails_naming_the_yaml_line(tmp_path: Path) -> None:
    """An emulator scripted to withhold the ACK fails the scenario at the watch step's line."""
    path = tmp_path / "withheld.yaml"
    path.write_text(WITHHELD)
    result = await run_scenario(load_file(path), Target("emulator"))
    assert result.status == "failed"
    assert result.message.startswith(f"{path}:9: watch_ticker raised RequestTimeout")
    assert "SUBSCRIBE btcusdt@ticker" in result.message


@pytest.mark.parametrize(
    ("steps", "line", "fragment"),
    [
        (
            "  - call: watch_ticker\n    args: [BTC/USDT]\n    expect:\n      fields:\n"
            "        last: {lt: 0}\n",
            4,
            "does not satisfy lt 0",
        ),
        (
            "  - call: watch_ticker\n    args: [BTC/USDT]\n    expect:\n      fields:\n"
            "        nope: {eq: 1}\n",
            4,
            "no field 'nope'",
        ),
        (
            "  - call: watch_ticker\n    args: [BTC/USDT]\n    raises: RequestTimeout\n",
            4,
            "returned instead of raising",
        ),
        ("  - call: watch_ticker\n    args: [NOPE/USDT]\n", 4, "raised BadSymbol"),
        ("  - call: watch_nothing\n", 4, "no method 'watch_nothing'"),
        ("  - call: watch_ticker\n    args: [X]\n    raises: Nope\n", 4, "not a client error"),
        ("  - expect_wire:\n      sent: {method: SUBSCRIBE}\n", 4, "sent no frame matching"),
    ],
)
async def test_failures_point_at_their_step(steps: str, line: int, fragment: str) -> None:
    """Each kind of failed expectation names the failing step's line."""
    text = "name: f\ntargets: [emulator]\nsteps:\n" + steps
    result = await run_scenario(load_text(text, "f.yaml"), Target("emulator"))
    assert result.status == "failed"
    assert result.message.startswith(f"f.yaml:{line}: "), result.message
    assert fragment in result.message


async def test_expected_errors_and_wire_answers() -> None:
    """raises: accepts the class or a parent; expect_wire checks error answers; stream_ works."""
    text = """\
name: errors
targets: [emulator]
emulator:
  - fault: {kind: error_reply, method: SUBSCRIBE, code: 2, msg: "Invalid request: invalid stream"}
steps:
  - call: watch_ticker
    args: [BTC/USDT]
    raises: BadRequest
  - expect_wire:
      sent: {method: SUBSCRIBE, params: [btcusdt@ticker]}
      answered: error
  - call: stream_ticker
    args: [ETH/USDT]
    params: {count: 2, unwatch_on_halt: true}
    expect:
      kind: ticker
      fields: {symbol: {eq: ETH/USDT}, info.s: {matches: "^ETH"}, percentage: {type: number}}
  - expect_wire:
      sent: {method: UNSUBSCRIBE, params: [ethusdt@ticker]}
  - emulator: {rate: 0}
  - emulator: {advance_clock: 10}
  - emulator: {push: {frame: {x: 1}}}
"""
    result = await run_scenario(load_text(text, "e.yaml"), Target("emulator"))
    assert result.status == "passed", result.message


async def test_targets_url_and_live_skips() -> None:
    """A running emulator is a target by URL; live-only validity and bad names are handled."""
    scenario = load_file(SHIPPED)
    async with MockExchange(config=ServerConfig(rate=20)) as mx:
        result = await run_scenario(scenario, parse_target(f"url={mx.base_url}"))
    assert result.status == "passed", result.message
    assert result.target == f"url={mx.base_url}"
    offline_only = load_text("name: o\ntargets: [emulator]\nsteps:\n  - call: load_markets\n")
    skipped = await run_scenario(offline_only, parse_target("sandbox"))
    assert skipped.status == "skipped" and "not valid on testnet" in skipped.message
    with pytest.raises(ValueError, match="unknown target"):
        parse_target("mars")
    assert parse_target("http://127.0.0.1:1").kind == "url"


async def test_run_paths_reports_load_errors(tmp_path: Path) -> None:
    """A file that does not load becomes a failed result instead of stopping the run."""
    (tmp_path / "bad.yaml").write_text("name: bad\n")
    seen: list[str] = []
    results = await run_paths(
        [tmp_path], [Target("emulator")], on_result=lambda r: seen.append(r.status)
    )
    assert [r.status for r in results] == ["failed"] == seen
    assert "bad.yaml:1" in results[0].message


@pytest.mark.parametrize(
    ("steps", "line", "fragment"),
    [
        (
            "  - concurrent:\n      - call: load_markets\n      - - wait: {event: close}\n"
            "          timeout_ms: 200\n",
            6,
            "step did not finish within 200 ms",
        ),
        ("  - send: {conn: nope, frame: {}}\n", 4, "no raw connection 'nope'"),
        (
            "  - open: {conn: c, path: /ws}\n  - close: c\n  - recv: {conn: c}\n",
            6,
            "no raw connection 'c'",
        ),
        (
            "  - open: {conn: c, path: /ws}\n"
            "  - send: {conn: c, frame: {method: LIST_SUBSCRIPTIONS, id: 1}}\n"
            "  - recv: {conn: c, match: {id: 1}, expect: {fields: {result: {length: "
            "{eq: 1}}}}}\n",
            6,
            "len(result) = 0 does not satisfy eq 1",
        ),
        ("  - emulator: {fault: {kind: nonsense}}\n", 4, "emulator fault: unknown fault kind"),
        ("  - call: watch_ticker\n    args: [{$nope: 1}]\n", 4, "unknown template"),
        ("  - call: load_markets\n    args: [1, 2, 3, 4]\n", 4, "load_markets raised TypeError"),
    ],
)
async def test_language_failures_point_at_their_step(steps: str, line: int, fragment: str) -> None:
    """Raw connections, waits, concurrent branches, faults and templates fail at their own line."""
    text = "name: f\ntargets: [emulator]\nsteps:\n" + steps
    result = await run_scenario(load_text(text, "f.yaml"), Target("emulator"))
    assert result.status == "failed"
    assert result.message.startswith(f"f.yaml:{line}: "), result.message
    assert fragment in result.message, result.message


async def test_cleanup_runs_after_a_failure_and_reports_its_own() -> None:
    """Cleanup steps run even when a step failed, and their failures join the message."""
    text = """\
name: c
targets: [emulator]
setup: {rate: 0}
steps:
  - call: load_markets
    raises: BadRequest
cleanup:
  - open: {conn: c, path: /ws}
  - send: {conn: c, frame: {method: LIST_SUBSCRIPTIONS, id: 9}}
  - recv: {conn: c, match: {id: 9}, expect: {fields: {result: {eq: [x]}}}}
"""
    result = await run_scenario(load_text(text, "c.yaml"), Target("emulator"))
    assert result.status == "failed"
    assert result.message.startswith("c.yaml:5: load_markets returned instead of raising")
    assert "; cleanup: c.yaml:10: result = [] does not satisfy eq ['x']" in result.message


async def test_push_templates_and_concurrent_waits_on_the_virtual_clock() -> None:
    """A pushed template frame reaches a raw subscriber, and a frozen clock moves only on demand."""
    text = """\
name: p
targets: [emulator]
setup: {seed: 3, rate: 0, clock: {frozen: true, start_ms: 1700000000000}}
steps:
  - open: {conn: c, path: /stream}
  - send: {conn: c, frame: {method: SUBSCRIBE, params: [btcusdt@ticker], id: 1}}
  - recv: {conn: c, match: {id: 1}}
  - concurrent:
      - recv:
          conn: c
          match: {data: {e: 24hrTicker}}
          expect: {fields: {data.E: {eq: 1700000001000}}}
      - emulator: {advance_clock: 1000}
  - emulator:
      push:
        stream: btcusdt@ticker
        frame: {e: trade, E: {$now: 0}, t: {$seq: trade}, p: {$decimal: [1, 2, 2]}}
  - recv:
      conn: c
      match: {data: {e: trade}}
      expect: {fields: {data.E: {eq: 1700000001000}, data.t: {eq: 1}, data.p: {gte: 1, lte: 2}}}
  - emulator: {clock: resume}
"""
    result = await run_scenario(load_text(text, "p.yaml"), Target("emulator"))
    assert result.status == "passed", result.message


async def test_raw_rest_requests_and_server_settings() -> None:
    """A request step exposes status, lower-case headers and body; a forced 429 carries
    Retry-After; an unknown emulator setting fails the scenario at its top line."""
    text = """\
name: r
targets: [emulator]
setup: {rate: 0, server: {warmup_ms: 0}}
steps:
  - emulator: {fault: {kind: force_429}}
  - request:
      path: /api/v3/ping
      save: limited
      expect: {fields: {status: {eq: 429}, headers.retry-after: {matches: "^[0-9]+$"}}}
  - request:
      path: /api/v3/time
      params: {x: {$int: [1, 2]}}
      expect: {fields: {status: {eq: 200}, body.serverTime: {gt: 0}}}
  - open: {conn: c, path: /ws}
  - emulator: {fault: {kind: close, close_code: 1001}}
  - recv: {conn: c, closed: true, expect: {fields: {code: {eq: 1001}}}}
"""
    result = await run_scenario(load_text(text, "r.yaml"), Target("emulator"))
    assert result.status == "passed", result.message
    bad = load_text(
        "name: b\nsetup: {server: {nope: 1}}\nsteps:\n  - call: load_markets\n", "b.yaml"
    )
    failed = await run_scenario(bad, Target("emulator"))
    assert failed.status == "failed"
    assert failed.message.startswith("b.yaml:2: setup.server: unknown emulator")


async def test_raw_connection_without_pongs_counts_pings_until_closed() -> None:
    """A raw connection opened with pong off sees the server's pings and is closed for them."""
    text = """\
name: p
targets: [emulator]
setup: {rate: 0, clock: {frozen: true}}
steps:
  - open: {conn: s, pong: false}
  - emulator: {advance_clock: 20000}
  - recv: {conn: s, pings: 1, expect: {fields: {pings: {eq: 1}}}}
  - emulator: {advance_clock: 60000}
  - recv: {conn: s, closed: true, expect: {fields: {code: {eq: 1008}}}}
  - recv: {conn: s, pings: 5}
"""
    result = await run_scenario(load_text(text, "p.yaml"), Target("emulator"))
    assert result.status == "failed"
    assert result.message.startswith("p.yaml:10: fewer than 5 pings: closed (code 1008)")
