"""Order book sync (sans-I/O): Binance's spot and futures rules, the state table, and a
Hypothesis comparison against a naive reference book."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from client.protocol.book import BookState, BookSync, DiffResult, IllegalBookTransition
from client.types import Symbol

SYM = Symbol("BTC/USDT")


def spot_diff(first: int, last: int, b: Any = (), a: Any = ()) -> dict[str, Any]:
    """A spot ``depthUpdate`` (the docs' shape)."""
    return {"e": "depthUpdate", "E": last, "s": "BNBBTC", "U": first, "u": last, "b": b, "a": a}


def test_docs_example_spot_sequence() -> None:
    """The documented spot example applies: snapshot 157, diff U=157 u=160 spans it."""
    book = BookSync(SYM, futures=False)
    assert book.on_diff(spot_diff(157, 160, [["0.0024", "10"]], [["0.0026", "100"]])) is (
        DiffResult.BUFFERED
    )
    assert book.on_snapshot({"lastUpdateId": 157, "bids": [["0.0023", "1"]], "asks": []})
    assert book.state is BookState.SYNCED and book.nonce == 160
    ob = book.book()
    assert ob["bids"] == [[0.0024, 10.0], [0.0023, 1.0]] and ob["asks"] == [[0.0026, 100.0]]
    assert book.on_diff(spot_diff(150, 160)) is DiffResult.IGNORED
    assert book.on_diff(spot_diff(161, 161, [["0.0024", "0"]])) is DiffResult.APPLIED
    assert book.book(1)["bids"] == [[0.0023, 1.0]]


def test_spot_gap_moves_to_resync_and_hides_the_book() -> None:
    """A spot diff with U > nonce + 1 is a gap: the book is cleared and not handed out."""
    book = BookSync(SYM, futures=False)
    book.on_snapshot({"lastUpdateId": 10, "bids": [["1", "1"]], "asks": []})
    assert book.on_diff(spot_diff(12, 13)) is DiffResult.GAP
    assert book.state is BookState.RESYNC and book.needs_snapshot and book.resyncs == 1
    with pytest.raises(IllegalBookTransition):
        book.book()
    assert book.on_diff(spot_diff(14, 15, [["2", "1"]])) is DiffResult.BUFFERED
    assert book.on_snapshot({"lastUpdateId": 14, "bids": [], "asks": []})
    assert book.book()["bids"] == [[2.0, 1.0]] and book.nonce == 15


def test_two_spellings_of_one_price_apply_in_arrival_order() -> None:
    """Diffs coalesced between reads apply in arrival order even when a price is spelt two ways."""
    book = BookSync(SYM, futures=False)
    book.on_snapshot({"lastUpdateId": 1, "bids": [["1.0", "5"]], "asks": []})
    book.on_diff(spot_diff(2, 2, [["1.0", "3"]]))
    book.on_diff(spot_diff(3, 3, [["1.00", "0"]]))
    book.on_diff(spot_diff(4, 4, [["1.0", "7"]]))
    assert book.book()["bids"] == [[1.0, 7.0]]
    book.on_diff(spot_diff(5, 5, [["1.0", "3"]]))
    book.on_diff(spot_diff(6, 6, [["1.00", "0"]]))
    assert book.book()["bids"] == []


def test_stale_snapshot_is_rejected() -> None:
    """A snapshot older than the first buffered diff (spot rule 3) leaves the book in RESYNC."""
    book = BookSync(SYM, futures=False)
    book.on_diff(spot_diff(200, 205))
    assert not book.on_snapshot({"lastUpdateId": 150, "bids": [], "asks": []})
    assert book.state is BookState.RESYNC and book.nonce is None


def test_futures_rules_use_pu() -> None:
    """Futures: the first diff must span lastUpdateId; then pu must equal the previous u."""
    book = BookSync(Symbol("BTC/USDT:USDT"), futures=True)
    d1 = {"U": 157, "u": 160, "pu": 149, "b": [["0.0024", "10"]], "a": [], "E": 1}
    book.on_diff({"U": 100, "u": 149, "pu": 90, "b": [], "a": [], "E": 0})
    book.on_diff(d1)
    assert book.on_snapshot({"lastUpdateId": 158, "T": 5, "bids": [], "asks": []})
    assert book.nonce == 160 and book.book()["timestamp"] == 1
    assert book.on_diff({"U": 170, "u": 171, "pu": 160, "b": [], "a": [], "E": 2}) is (
        DiffResult.APPLIED
    )
    assert book.on_diff({"U": 150, "u": 171, "pu": 140, "b": [], "a": []}) is DiffResult.IGNORED
    assert book.on_diff({"U": 180, "u": 181, "pu": 175, "b": [], "a": []}) is DiffResult.GAP


def test_illegal_transitions_raise_and_change_nothing() -> None:
    """The state table refuses transitions it does not list, leaving the state unchanged; a
    reset starts a new epoch (snapshots requested before it are discarded)."""
    book = BookSync(SYM, futures=False)
    with pytest.raises(IllegalBookTransition):
        book.refetch()
    assert book.state is BookState.BUFFERING
    book.on_snapshot({"lastUpdateId": 1, "bids": [], "asks": []})
    book.reset()
    assert book.state is BookState.BUFFERING and book.nonce is None and book.epoch == 1


def test_buffer_is_bounded() -> None:
    """The pre-snapshot buffer keeps at most buffer_limit diffs (memory stays bounded)."""
    book = BookSync(SYM, futures=False, buffer_limit=3)
    for i in range(10):
        book.on_diff(spot_diff(i, i))
    assert [d["u"] for d in book.buffer] == [7, 8, 9]


PRICES_B = st.sampled_from(["1", "2", "3", "4", "5"])
PRICES_A = st.sampled_from(["6", "7", "8", "9", "10"])
QTY = st.sampled_from(["0", "0.5", "1", "2"])


Sides = tuple[list[list[float]], list[list[float]]]


def draw_history(
    data: st.DataObject,
    futures: bool,
    prices: tuple[st.SearchStrategy[str], st.SearchStrategy[str]] = (PRICES_B, PRICES_A),
    max_levels: int = 3,
) -> tuple[int, list[dict[str, Any]], dict[int, Sides], list[int]]:
    """Draw a run of diffs; return their count, the diffs, the reference book after each
    update id, and the update ids (100, then each diff's ``u``)."""
    n = data.draw(st.integers(0, 25), "n")
    ref: dict[str, dict[float, float]] = {"b": {}, "a": {}}
    states: dict[int, tuple[list[list[float]], list[list[float]]]] = {}

    def snap() -> tuple[list[list[float]], list[list[float]]]:
        bids = sorted(([p, q] for p, q in ref["b"].items()), reverse=True)
        return bids, sorted([p, q] for p, q in ref["a"].items())

    uid = 100
    states[uid] = snap()
    events: list[dict[str, Any]] = []
    for _ in range(n):
        first = uid + (data.draw(st.integers(1, 3)) if futures else 1)
        last = first + data.draw(st.integers(0, 3))
        b = data.draw(st.lists(st.tuples(prices[0], QTY), max_size=max_levels))
        a = data.draw(st.lists(st.tuples(prices[1], QTY), max_size=max_levels))
        for side, levels in (("b", b), ("a", a)):
            for p, q in levels:
                if float(q) == 0:
                    ref[side].pop(float(p), None)
                else:
                    ref[side][float(p)] = float(q)
        ev: dict[str, Any] = {"U": first, "u": last, "b": b, "a": a, "E": last}
        if futures:
            ev["pu"] = uid
        events.append(ev)
        uid = last
        states[uid] = snap()
    return n, events, states, [100] + [e["u"] for e in events]


@settings(max_examples=150, deadline=None)
@given(data=st.data(), futures=st.booleans())
def test_book_matches_naive_reference(data: st.DataObject, futures: bool) -> None:
    """Whenever the book is SYNCED it equals a naive reference book at its nonce; with no event
    missing after the snapshot it ends SYNCED at the newest state; otherwise it never lies."""
    n, events, states, ids = draw_history(data, futures)
    s = data.draw(st.integers(0, n), "snapshot state")  # index into ids
    start = data.draw(st.integers(0, n), "first delivered event")
    upto = data.draw(st.integers(start - 1, n - 1), "last event before the snapshot")
    drop = data.draw(st.one_of(st.none(), st.integers(0, max(0, n - 1))), "dropped event")
    delivered = [i for i in range(start, n) if i != drop]
    sync = BookSync(SYM, futures=futures)

    def check() -> None:
        if sync.state is BookState.SYNCED:
            assert sync.nonce is not None
            ob = sync.book()
            assert (ob["bids"], ob["asks"]) == states[sync.nonce]

    for i in delivered:
        if i <= upto:
            sync.on_diff(events[i])
    bids, asks = states[ids[s]]
    sync.on_snapshot(
        {
            "lastUpdateId": ids[s],
            "bids": [[str(p), str(q)] for p, q in bids],
            "asks": [[str(p), str(q)] for p, q in asks],
        }
    )
    check()
    for i in delivered:
        if i > upto:
            sync.on_diff(events[i])
            check()
    complete = start <= s and (drop is None or drop < s)
    if complete:
        assert sync.state is BookState.SYNCED and sync.nonce == ids[-1]
    if sync.state is not BookState.SYNCED:
        bids, asks = states[ids[-1]]
        assert sync.on_snapshot(
            {
                "lastUpdateId": ids[-1],
                "bids": [[str(p), str(q)] for p, q in bids],
                "asks": [[str(p), str(q)] for p, q in asks],
            }
        )
        check()


def test_long_prices_keep_exact_levels() -> None:
    """Prices beyond 15 significant digits stay distinct levels (Decimal keys), and a long
    spelling of a short price is the same level as the short one."""
    book = BookSync(SYM, futures=False)
    book.on_snapshot({"lastUpdateId": 1, "bids": [["0.1", "1"]], "asks": []})
    book.on_diff(spot_diff(2, 2, [["0.10000000000000000001", "2"]]))
    book.on_diff(spot_diff(3, 3, [["0.100000000000000000", "3"]]))
    # best first: 0.10000000000000000001 is above 0.1, though both print as 0.1
    assert book.book()["bids"] == [[0.1, 2.0], [0.1, 3.0]]
    assert book.levels() == 2
    book.on_diff(spot_diff(4, 4, [["0.10000000000000000001", "0"], ["0.1", "0"]]))
    assert book.book()["bids"] == [] and book.levels() == 0


# spellings of one price ("2", "2.0") must meet in one level in every mode
SPELT_B = st.sampled_from(["1", "2", "2.0", "3", "4.00", "4", "5"])
SPELT_A = st.sampled_from(["6", "7", "7.0", "8", "9", "9.000", "10"])


@settings(max_examples=150, deadline=None)
@given(data=st.data(), futures=st.booleans(), live_from_start=st.booleans())
def test_live_book_matches_naive_reference(
    data: st.DataObject, futures: bool, live_from_start: bool
) -> None:
    """The live book (kept live from the start, or from the first live read) equals the naive
    reference at its nonce after every diff while SYNCED and is empty with nonce None while
    not; it is one object throughout; copies read along the way keep their contents."""
    n, events, states, ids = draw_history(data, futures, (SPELT_B, SPELT_A), max_levels=6)
    s = data.draw(st.integers(0, n), "snapshot state")
    start = data.draw(st.integers(0, n), "first delivered event")
    upto = data.draw(st.integers(start - 1, n - 1), "last event before the snapshot")
    drop = data.draw(st.one_of(st.none(), st.integers(0, max(0, n - 1))), "dropped event")
    delivered = [i for i in range(start, n) if i != drop]
    sync = BookSync(SYM, futures=futures, live=live_from_start)
    held: list[Any] = []  # the live book, once read
    copies: list[tuple[Any, Sides]] = []

    def check() -> None:
        if sync.state is BookState.SYNCED:
            assert sync.nonce is not None
            if data.draw(st.booleans(), "read a copy"):
                ob = sync.book()
                copies.append((ob, states[sync.nonce]))
            else:
                ob = sync.book(live=True)
                assert not held or ob is held[0]
                held[:1] = [ob]
            assert (ob["bids"], ob["asks"]) == states[sync.nonce] and ob["nonce"] == sync.nonce
        if held:
            live = held[0]
            if sync.state is BookState.SYNCED:
                assert (live["bids"], live["asks"]) == states[sync.nonce]
                assert live["nonce"] == sync.nonce
            else:
                assert live["bids"] == [] and live["asks"] == [] and live["nonce"] is None
        for ob, want in copies:
            assert (ob["bids"], ob["asks"]) == want

    def snapshot(at: int) -> bool:
        bids, asks = states[at]
        return sync.on_snapshot(
            {
                "lastUpdateId": at,
                "bids": [[str(p), str(q)] for p, q in bids],
                "asks": [[str(p), str(q)] for p, q in asks],
            }
        )

    for i in delivered:
        if i <= upto:
            sync.on_diff(events[i])
    snapshot(ids[s])
    check()
    for i in delivered:
        if i > upto:
            sync.on_diff(events[i])
            check()
    if start <= s and (drop is None or drop < s):
        assert sync.state is BookState.SYNCED and sync.nonce == ids[-1]
    if sync.state is not BookState.SYNCED:
        assert snapshot(ids[-1])
        check()


def test_live_book_is_one_object_updated_by_each_diff() -> None:
    """The live book is the same object at every read, changed in place by each diff as it
    arrives (no read needed), emptied while resyncing; a limit gives a copy of the top."""
    book = BookSync(SYM, futures=False, live=True)
    book.on_snapshot({"lastUpdateId": 1, "bids": [["2", "1"], ["1", "1"]], "asks": [["3", "1"]]})
    live = book.book(live=True)
    assert live["bids"] == [[2.0, 1.0], [1.0, 1.0]] and live["nonce"] == 1
    top = book.book(1, live=True)
    book.on_diff(spot_diff(2, 2, [["2", "5"], ["1.5", "1"]], [["3", "0"], ["4", "2"]]))
    assert live["bids"] == [[2.0, 5.0], [1.5, 1.0], [1.0, 1.0]] and live["asks"] == [[4.0, 2.0]]
    assert live["nonce"] == 2 and live["timestamp"] == 2 and live["datetime"] is not None
    assert top["bids"] == [[2.0, 1.0]] and top["asks"] == [[3.0, 1.0]]
    assert book.book(live=True) is live
    assert book.on_diff(spot_diff(4, 4, [["2", "0"]])) is DiffResult.GAP
    assert live["bids"] == [] and live["asks"] == [] and live["nonce"] is None
    book.on_snapshot({"lastUpdateId": 5, "bids": [["1", "3"]], "asks": []})
    assert book.book(live=True) is live and live["bids"] == [[1.0, 3.0]] and live["nonce"] == 5


def test_a_level_that_fails_to_parse_resyncs_a_live_book() -> None:
    """A live book applies each diff on arrival: a level that does not parse is treated as a
    gap (the book resyncs) rather than leaving half a diff applied."""
    book = BookSync(SYM, futures=False, live=True)
    book.on_snapshot({"lastUpdateId": 1, "bids": [["1", "1"]], "asks": []})
    assert book.on_diff(spot_diff(2, 2, [["2", "1"], ["x", "1"]])) is DiffResult.GAP
    assert book.state is BookState.RESYNC and book.bids.levels == []


def test_a_copy_keeps_its_contents_while_the_book_moves_on() -> None:
    """A returned book (full depth or the top ``limit`` levels, best first) is unchanged by
    later diffs that replace, insert and remove levels at its best and worst prices."""
    book = BookSync(SYM, futures=False)
    bids = [[str(10 - i), "1"] for i in range(5)]
    asks = [[str(11 + i), "1"] for i in range(5)]
    book.on_snapshot({"lastUpdateId": 1, "bids": bids, "asks": asks})
    full, top = book.book(), book.book(2)
    want_bids = [[float(10 - i), 1.0] for i in range(5)]
    want_asks = [[float(11 + i), 1.0] for i in range(5)]
    assert (full["bids"], full["asks"]) == (want_bids, want_asks)
    assert (top["bids"], top["asks"]) == (want_bids[:2], want_asks[:2])
    diff = spot_diff(2, 2, [["10", "5"], ["10.5", "2"], ["6", "0"]], [["11", "0"], ["20", "3"]])
    book.on_diff(diff)
    after = book.book()
    assert after["bids"] == [[10.5, 2.0], [10.0, 5.0], [9.0, 1.0], [8.0, 1.0], [7.0, 1.0]]
    assert after["asks"] == [*want_asks[1:], [20.0, 3.0]]
    assert (full["bids"], full["asks"]) == (want_bids, want_asks)
    assert (top["bids"], top["asks"]) == (want_bids[:2], want_asks[:2])


def test_going_live_keeps_earlier_copies() -> None:
    """A copying book turned live by a live read gives its levels fresh lists: copies handed
    out before keep their contents while the live book changes in place."""
    book = BookSync(SYM, futures=False)
    book.on_snapshot({"lastUpdateId": 1, "bids": [["1", "1"]], "asks": [["2", "1"]]})
    copy = book.book()
    live = book.book(live=True)
    book.on_diff(spot_diff(2, 2, [["1", "7"]], [["2", "0"]]))
    assert copy["bids"] == [[1.0, 1.0]] and copy["asks"] == [[2.0, 1.0]]
    assert live["bids"] == [[1.0, 7.0]] and live["asks"] == []
    later = book.book()
    book.on_diff(spot_diff(3, 3, [["1", "8"]]))
    assert later["bids"] == [[1.0, 7.0]] and live["bids"] == [[1.0, 8.0]]


def test_long_prices_keep_exact_levels_in_a_live_book() -> None:
    """A live book keys prices beyond 15 significant digits exactly too (in batches and one by
    one), and a long spelling of a short price is the same level as the short one."""
    book = BookSync(SYM, futures=False, live=True)
    book.on_snapshot({"lastUpdateId": 1, "bids": [["0.1", "1"], ["0.05", "1"]], "asks": []})
    long_ = "0.10000000000000000001"
    book.on_diff(spot_diff(2, 2, [[long_, "2"], ["0.100000000000000000", "3"], ["0.07", "1"]]))
    assert book.book(live=True)["bids"] == [[0.1, 2.0], [0.1, 3.0], [0.07, 1.0], [0.05, 1.0]]
    book.on_diff(spot_diff(3, 3, [[long_, "0"], ["0.1", "0"], ["0.05", "0"]]))
    assert book.book(live=True)["bids"] == [[0.07, 1.0]] and book.levels() == 1


@pytest.mark.parametrize("bad", ["abc", "nan", "inf", "-inf", "1e400"])
@pytest.mark.parametrize("live", [False, True])
def test_a_level_that_is_not_a_finite_number_resyncs_the_book(bad: str, live: bool) -> None:
    """A diff level whose price or amount is not a finite number drops the book to RESYNC
    (at once when live, at the next read otherwise); no level is changed and a new snapshot
    syncs it again."""
    snapshot = {"lastUpdateId": 1, "bids": [["1", "1"], ["0.5", "2"]], "asks": [["2", "1"]]}
    for level in ([bad, "1"], ["1", bad]):
        book = BookSync(SYM, futures=False, live=live)
        book.on_snapshot(snapshot)
        held = book.book(live=live)
        book.on_diff(spot_diff(2, 2, [level]))
        with pytest.raises(IllegalBookTransition):
            book.book(live=live)
        assert book.state is BookState.RESYNC and book.resyncs == 1
        if not live:  # a copy keeps its contents; a live book is emptied (nonce None)
            assert held["bids"] == [[1.0, 1.0], [0.5, 2.0]]
        else:
            assert held["nonce"] is None and held["bids"] == []
        assert book.on_snapshot({**snapshot, "lastUpdateId": 2})
        assert book.book()["bids"] == [[1.0, 1.0], [0.5, 2.0]]
