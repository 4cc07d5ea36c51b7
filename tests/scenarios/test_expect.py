"""Expectations: CCXT kinds, predicates, wildcards, ordering and templates (no event loop)."""

from __future__ import annotations

from typing import Any

import pytest

from scenarios.expect import ExpectationFailed, check_expect, resolve_paths, subset
from scenarios.model import Expect
from scenarios.templates import TemplateError, Templates, lookup

BOOK = {
    "symbol": "BTC/USDT",
    "bids": [[101.0, 1.0], [100.5, 2.0]],
    "asks": [[102.0, 1.0], [103.0, 0.5]],
    "timestamp": 5,
    "datetime": None,
    "nonce": 7,
}


def _templates(saved: dict[str, Any] | None = None) -> Templates:
    return Templates(7, lambda: 1_000, saved if saved is not None else {})


def _check(expect: Expect, result: Any, offline: bool = True) -> None:
    check_expect(expect, result, offline, _templates({"first": {"n": 3}}))


def test_order_book_invariants_hold_and_break() -> None:
    """Bids descending, asks ascending and bid < ask hold on a sane book and fail on a bad one."""
    fields = {
        "bids": {"sorted": {"order": "desc", "by": 0, "strict": True}, "length": {"gte": 1}},
        "asks": {"sorted": {"order": "asc", "by": 0}},
        "bids.0.0": {"lt": {"field": "asks.0.0"}},
        "bids.*.1": {"gt": 0},
    }
    _check(Expect("order_book", fields), BOOK)
    crossed = {**BOOK, "bids": [[104.0, 1.0]]}
    with pytest.raises(ExpectationFailed, match=r"bids.0.0 = 104.0 does not satisfy lt"):
        _check(Expect("order_book", fields), crossed)
    unsorted = {**BOOK, "bids": [[100.0, 1.0], [100.5, 1.0]]}
    with pytest.raises(ExpectationFailed, match="does not satisfy sorted"):
        _check(Expect(None, {"bids": {"sorted": {"order": "desc", "by": 0}}}), unsorted)


def test_kinds_name_what_is_missing() -> None:
    """A result that lacks a kind's CCXT keys fails naming them; list kinds check every item."""
    with pytest.raises(ExpectationFailed, match=r"not a order_book: missing \['nonce'\]"):
        _check(Expect("order_book"), {k: v for k, v in BOOK.items() if k != "nonce"})
    with pytest.raises(ExpectationFailed, match="item 1"):
        _check(Expect("ohlcvs"), [[1, 2, 3, 1, 2, 5], [1, 2]])
    with pytest.raises(ExpectationFailed, match="expected no result"):
        _check(Expect("none"), 3)
    _check(Expect("ohlcv"), [1, 2.0, 3, 1, 2, 5])
    _check(Expect("tickers"), {})
    with pytest.raises(ExpectationFailed, match="X: missing"):
        _check(Expect("tickers"), {"X": {"symbol": "X"}})


def test_predicates_on_raw_frames_compare_numeric_strings() -> None:
    """Binance's string prices compare as numbers; length, contains, in, matches and type work."""
    frame = {"p": "0.0010", "q": "10", "list": ["a", "b"], "e": "trade", "n": None}
    _check(
        Expect(
            None,
            {
                "p": {"gt": 0, "lt": "0.002", "type": "string"},
                "list": {"length": {"eq": 2}, "contains": "b"},
                "list.*": {"in": ["a", "b"]},
                "e": {"matches": "^tr"},
                "n": {"not_null": False},
                "q": {"gte": {"$saved": "first.n"}},
            },
        ),
        frame,
    )
    with pytest.raises(ExpectationFailed, match="has no length"):
        _check(Expect(None, {"n": {"length": {"eq": 0}}}), frame)
    with pytest.raises(ExpectationFailed, match="does not satisfy gt"):
        _check(Expect(None, {"e": {"gt": 0}}), frame)
    with pytest.raises(ExpectationFailed, match="no field 'missing'"):
        _check(Expect(None, {"missing": {"eq": 1}}), frame)
    with pytest.raises(ExpectationFailed, match="refers to missing field"):
        _check(Expect(None, {"p": {"eq": {"field": "nope"}}}), frame)


def test_emulator_fields_only_offline() -> None:
    """Exact emulator values are checked offline and ignored on live targets."""
    expect = Expect(None, {}, {"p": {"eq": "999"}})
    _check(expect, {"p": "1"}, offline=False)
    with pytest.raises(ExpectationFailed):
        _check(expect, {"p": "1"}, offline=True)


def test_paths_subsets_and_lookup() -> None:
    """Wildcards fan out over lists and objects; subset matching is recursive; -1 indexes back."""
    assert list(resolve_paths({"a": [{"b": 1}, {"b": 2}]}, "a.*.b")) == [("a.0.b", 1), ("a.1.b", 2)]
    assert list(resolve_paths({"a": {"x": 1}}, "*")) == [("a", {"x": 1})]
    with pytest.raises(KeyError):
        list(resolve_paths({"a": 1}, "a.*"))
    assert lookup({"a": [1, 2, 3]}, "a.-1") == 3
    with pytest.raises(KeyError):
        lookup({"a": [1]}, "a.5")
    assert subset({"error": {"code": 2}}, {"error": {"code": 2, "msg": "x"}, "id": 1})
    assert not subset({"params": ["a"]}, {"params": ["a", "b"]})
    assert subset([{"a": 1}], [{"a": 1, "b": 2}])


def test_templates_are_seeded_and_report_errors() -> None:
    """The same seed renders the same values; unknown templates and missing saves raise."""
    frame = {
        "i": {"$int": [1, 1000]},
        "d": {"$decimal": ["0.1", "2", 4]},
        "c": {"$choice": ["BUY", "SELL"]},
        "s": [{"$seq": "t"}, {"$seq": "t"}],
        "now": {"$now": 5},
        "kept": {"a": 1, "b": 2},
    }
    one, two = _templates().render(frame), _templates().render(frame)
    assert one == two
    assert 1 <= one["i"] <= 1000 and one["s"] == [1, 2] and one["now"] == 1005
    assert len(one["d"].split(".")[1]) == 4 and one["c"] in ("BUY", "SELL")
    assert one["kept"] == {"a": 1, "b": 2}
    with pytest.raises(TemplateError, match="unknown template"):
        _templates().render({"$nope": 1})
    with pytest.raises(TemplateError, match="nothing saved"):
        _templates().render({"$saved": "x.y"})
    with pytest.raises(TemplateError, match=r"\$int"):
        _templates().render({"$int": "x"})
    book = _templates({"book": {"bids": [[90123.45, 1.0]]}})
    price = {"$floor": [{"$mul": [{"$saved": "book.bids.0.0"}, "0.8"]}, "0.01"]}
    assert book.render(price) == "72098.76"
    with pytest.raises(TemplateError, match="step must be positive"):
        book.render({"$floor": [1, 0]})


def test_faker_templates_are_seeded() -> None:
    """$faker calls a seeded Faker provider, with keyword arguments, and rejects unknown ones."""
    spec = {"n": {"$faker": ["pyint", {"min_value": 5, "max_value": 9}]}, "w": {"$faker": "word"}}
    one, two = _templates().render(spec), _templates().render(spec)
    assert one == two and 5 <= one["n"] <= 9 and isinstance(one["w"], str)
    with pytest.raises(TemplateError, match="no provider"):
        _templates().render({"$faker": "_private"})


def test_wildcard_references_bind_to_the_same_element() -> None:
    """A {field: "*.3"} reference under a "*.2" path compares within each element, and $ is
    the result itself."""
    candles = [[1, 10.0, 12.0, 9.0, 11.0, 1.0], [2, 11.0, 11.5, 10.5, 11.2, 2.0]]
    fields = {"$": {"length": {"eq": 2}}, "*.2": {"gte": {"field": "*.3"}}}
    _check(Expect("ohlcvs", fields), candles)
    bad = [[1, 10.0, 12.0, 9.0, 11.0, 1.0], [2, 11.0, 10.0, 10.5, 11.2, 2.0]]
    with pytest.raises(ExpectationFailed, match=r"^1\.2 = 10.0 does not satisfy gte"):
        _check(Expect("ohlcvs", fields), bad)
