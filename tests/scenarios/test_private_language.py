"""The scenario language's private half: setup accounts, signed raw steps, user-data waits,
expected errors as data, cleanups, and the static checks validate and run share."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_exchange import ServerConfig, generate_account
from mock_exchange.script import load_scenario_script
from scenarios import ScenarioError, Target, load_text, run_scenario
from scenarios.checks import scenario_problems
from scenarios.templates import TemplateError, Templates

ACCOUNT = "  account: {balances: {USDT: '1000', BTC: '1'}}\n"


def _scenario(body: str, *, setup: str = ACCOUNT, targets: str = "[emulator]") -> str:
    return f"name: p\ntargets: {targets}\nsetup:\n  rate: 0\n{setup}steps:\n{body}"


async def _run(text: str, target: str = "emulator") -> tuple[str, str]:
    from scenarios import parse_target

    result = await run_scenario(load_text(text, "p.yaml"), parse_target(target))
    return result.status, result.message


def test_setup_account_errors_name_their_line() -> None:
    """A key type the emulator cannot make is refused by the schema at its line; a bad
    amount by the emulator's own setup check (the one validator validate and run share)."""
    with pytest.raises(ScenarioError, match=r"p\.yaml:5: setup/account/key_type"):
        dsa = "  account: {key_type: dsa}\n"
        load_text(_scenario("  - call: fetch_balance\n", setup=dsa), "p.yaml")
    bad = load_text(
        _scenario("  - call: fetch_balance\n", setup="  account: {balances: {USDT: '-1'}}\n"),
        "p.yaml",
    )
    (problem,) = scenario_problems(bad)
    assert problem.startswith("p.yaml:4: ") and "setup.account.balances.USDT" in problem


def test_account_references_are_checked_statically() -> None:
    """``$account`` and ``sign`` naming an undeclared account, and extra accounts in a
    scenario valid live, are reported with their lines before anything runs."""
    text = _scenario(
        "  - call: fetch_balance\n    params: {api_key: {$account: other.apiKey}}\n"
        "  - open: {conn: a, service: spot_ws_api}\n"
        "  - send: {conn: a, frame: {id: 1, method: session.logon}, sign: ghost}\n"
    )
    problems = scenario_problems(load_text(text, "p.yaml"))
    assert problems == [
        "p.yaml:7: no account 'other' (declared: main)",
        "p.yaml:10: no account 'ghost' (declared: main)",
    ]
    live = _scenario(
        "  - call: fetch_balance\n",
        setup=ACCOUNT + "  accounts: {ro: {permissions: [reading]}}\n",
        targets="[emulator, testnet]",
    )
    (problem,) = scenario_problems(load_text(live, "p.yaml"))
    assert "setup.accounts (ro) exist on emulator targets only" in problem


def test_serve_scenario_registers_generated_accounts(tmp_path: Path) -> None:
    """``serve --scenario`` accepts setup accounts: each gets a fresh key registered at start,
    and the lines it prints give the client's credentials (throwaway emulator keys)."""
    path = tmp_path / "s.yaml"
    path.write_text(
        _scenario(
            "  - call: fetch_balance\n",
            setup="  account: {key_type: ed25519, balances: {USDT: '5'}}\n",
        )
    )
    script = load_scenario_script(path)
    config = script.apply_setup(ServerConfig())
    (registered,) = config.accounts
    assert registered["balances"] == {"USDT": "5"} and "PUBLIC KEY" in registered["publicKey"]
    (line,) = script.account_lines()
    assert registered["apiKey"] in line and "PRIVATE KEY" in line
    assert "PRIVATE" not in repr(script.accounts[0])


def test_generated_keys_never_show_in_repr() -> None:
    """A generated account's repr names its kind, never its key or secret."""
    made = generate_account("main", {"key_type": "hmac"})
    assert made.api_key not in repr(made) and made.secret not in repr(made)
    assert made.registration["secret"] == made.client_config["secret"]


def test_account_template_reads_only_declared_accounts() -> None:
    """``{$account: main.apiKey}`` reads the run's account; an unknown one says which exist."""
    t = Templates(0, lambda: 0, {}, {"main": {"apiKey": "k", "secret": "s", "key_type": "hmac"}})
    assert t.render({"$account": "main.apiKey"}) == "k"
    with pytest.raises(TemplateError, match="no account 'ro' on this target"):
        t.render({"$account": "ro.apiKey"})
    assert t.render({"$add": ["0.1", "0.005"]}) == "0.105"


async def test_expected_errors_waits_and_signed_raw_steps_on_the_emulator() -> None:
    """Errors become data ``expect`` checks; a signed raw request and frame are accepted;
    a user-data wait counts the events it matches and ``at_most`` fails on more."""
    text = _scenario(
        "  - call: create_order\n    args: [BTC/USDT, limit, buy, 100, 50000]\n"
        "    raises: InsufficientFunds\n"
        "    expect: {kind: error, fields: {code: {eq: -2010}, error: {eq: InsufficientFunds}}}\n"
        "  - request: {path: /api/v3/account, auth: signed,"
        " expect: {fields: {status: {eq: 200}}}}\n"
        "  - request: {path: /api/v3/account, auth: key, raises: BadRequest}\n"
        "  - open: {conn: a, service: spot_ws_api}\n"
        "  - send: {conn: a, sign: true,"
        " frame: {id: s, method: userDataStream.subscribe.signature}}\n"
        "  - recv: {conn: a, match: {id: s}, expect: {fields: {status: {eq: 200}}}}\n"
        "  - call: authenticate\n"
        "  - call: create_order\n    args: [BTC/USDT, limit, buy, 0.001, 50000]\n    save: o\n"
        "  - wait: {user_event: executionReport, match: {i: {$saved: o.info.orderId}, x: NEW}}\n"
        "  - wait: {user_event: executionReport, count: 0, at_most: 0}\n"
    )
    status, message = await _run(text)
    assert status == "failed"
    assert message.startswith("p.yaml:21: 1 executionReport events were seen, at most 0")


async def test_cleanup_skips_what_was_never_saved_and_tolerates_gone_orders() -> None:
    """A cleanup step about a result never saved is skipped, a tolerated error counts as
    done, and ``unless_saved`` leaves alone what the scenario already cleaned up."""
    text = _scenario(
        "  - call: create_order\n    args: [BTC/USDT, limit, buy, 0.001, 50000]\n    save: o\n"
        "  - call: cancel_order\n    args: [{$saved: o.id}, BTC/USDT]\n    save: gone\n"
        "cleanup:\n"
        "  - call: cancel_order\n    args: [{$saved: o.id}, BTC/USDT]\n"
        "    tolerate: [OrderNotFound]\n"
        "  - call: cancel_order\n    args: [{$saved: never.id}, BTC/USDT]\n"
        "  - call: cancel_order\n    args: [{$saved: o.id}, BTC/USDT]\n    unless_saved: gone\n"
    )
    result = await run_scenario(load_text(text, "p.yaml"), Target("emulator"))
    assert result.status == "passed", result.message
    assert result.skipped_steps == ["p.yaml:17 (cleanup: nothing was saved to clean up)"]
    untolerated = text.replace("    tolerate: [OrderNotFound]\n", "")
    status, message = await _run(untolerated)
    assert status == "failed" and "OrderNotFound" in message


async def test_raw_frame_errors_decode_through_the_client_table() -> None:
    """``recv`` with ``raises`` decodes a WS API error answer with the client's error table."""
    text = _scenario(
        "  - open: {conn: a, service: spot_ws_api}\n"
        "  - send: {conn: a, frame: {id: l, method: session.logon, params: {}}, sign: true}\n"
        "  - recv: {conn: a, match: {id: l}, raises: AuthenticationError,"
        " expect: {fields: {code: {eq: -2028}, error.msg: {matches: HMAC}}}}\n"
        "  - send: {conn: a, frame: {id: t, method: time}}\n"
        "  - recv: {conn: a, match: {id: t}, raises: AuthenticationError}\n"
    )
    status, message = await _run(text)
    assert status == "failed"
    assert message.startswith("p.yaml:11: ") and "decodes to no error" in message
