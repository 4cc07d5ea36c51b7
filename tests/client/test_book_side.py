"""One side of a book (sans-I/O): the batched parse of a diff's decimal strings."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from client.protocol.book_side import BookSide, parse_pairs

DECIMAL = st.builds(
    lambda whole, frac, dec: f"{whole}.{frac:0{dec}d}" if dec else str(whole),
    st.integers(0, 10**9),
    st.integers(0, 10**8 - 1),
    st.integers(0, 8),
).filter(lambda s: len(s) <= 16)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(DECIMAL, DECIMAL), min_size=1, max_size=40))
def test_batched_parse_equals_float_of_each_decimal(pairs: list[tuple[str, str]]) -> None:
    """Binance-style decimal strings parse in one call to exactly what ``float()`` gives."""
    values = parse_pairs(pairs)
    assert values is not None
    assert values == [float(x) for pair in pairs for x in pair]
    assert all(type(v) is float for v in values)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), min_size=1, max_size=6))
def test_batched_parse_refuses_or_agrees_on_any_text(pairs: list[tuple[str, str]]) -> None:
    """On any text the batched parse either declines (None: each string is then parsed on its
    own) or gives exactly ``float()`` of each string: nothing splits, merges or turns into a
    bool or an int."""
    values = parse_pairs(pairs)
    if values is not None:
        assert values == [float(x) for pair in pairs for x in pair]
        assert all(type(v) is float for v in values)


def test_batched_parse_declines_what_it_cannot_vouch_for() -> None:
    """Numbers, long strings, exponents, commas and odd pairs are left to ``float()``."""
    assert parse_pairs([(1.0, 2.0), (3.0, 4.0), (5.0, 6.0)]) is None
    assert parse_pairs([("0.10000000000000000001", "1"), ("1", "1"), ("2", "2")]) is None
    assert parse_pairs([("1e5", "1"), ("1", "1"), ("2", "2")]) is None
    assert parse_pairs([("1,2", "1"), ("1", "1"), ("2", "2")]) is None
    assert parse_pairs([("1", "1", "1"), ("2", "2", "2")]) is None
    assert parse_pairs([("true", "1"), ("1", "1"), ("2", "2")]) is None


def test_a_side_folds_a_batch_like_one_level_at_a_time() -> None:
    """A batch folded at once leaves the side as the same pairs set one by one."""
    pairs = [("3", "1"), ("1", "2"), ("2.0", "1"), ("2", "0"), ("4", "5"), ("1.00", "3")]
    batch, single = BookSide(descending=True), BookSide(descending=True)
    batch.apply(pairs)
    for p, q in pairs:
        single.apply([(p, q)])
    assert batch.best() == single.best() == [[4.0, 5.0], [3.0, 1.0], [1.0, 3.0]]
