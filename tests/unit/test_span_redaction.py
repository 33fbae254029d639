"""Span redaction: overlaps, neighbours, scripts with combining marks, and offsets that went stale."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.errors import ValidationError
from archive.redaction import Span, check_span, redact, render

TEXT = "I met Khaled Haddad near Suluk."


def test_one_span():
    assert redact(TEXT, [Span(6, 19, "[name]", text="Khaled Haddad")]) == "I met [name] near Suluk."


def test_overlapping_spans_become_one_region_with_one_replacement():
    out = redact(TEXT, [Span(6, 15, "[a]"), Span(10, 19, "[b]")])
    assert out == "I met [a] near Suluk."


def test_a_span_inside_another_is_absorbed():
    assert redact(TEXT, [Span(6, 19, "[a]"), Span(13, 19, "[b]")]) == "I met [a] near Suluk."


def test_adjacent_spans_keep_their_own_replacements_and_lose_nothing_between():
    assert redact(TEXT, [Span(6, 12, "[first]"), Span(12, 19, "[second]")]) == "I met [first][second] near Suluk."


def test_spans_at_both_ends():
    assert redact(TEXT, [Span(0, 1, "[who]"), Span(25, 31, "[where]")]) == "[who] met Khaled Haddad near [where]"


def test_stale_offsets_are_refused_not_shifted():
    with pytest.raises(ValidationError, match="no longer match"):
        redact(TEXT, [Span(7, 20, "[name]", text="Khaled Haddad")])


@pytest.mark.parametrize("start,end", [(-1, 3), (5, 5), (6, 4), (0, 99)])
def test_out_of_range_or_empty_spans_are_refused(start, end):
    with pytest.raises(ValidationError):
        check_span(TEXT, Span(start, end, "[x]"))


ARABIC = "كان الدليل اسمه سَامِر العلي."


def test_arabic_span_with_harakat():
    start = ARABIC.index("سَامِر")
    span = Span(start, start + len("سَامِر"), "[اسم محجوب]", text="سَامِر")
    assert redact(ARABIC, [span]) == "كان الدليل اسمه [اسم محجوب] العلي."


def test_a_span_that_splits_a_letter_from_its_haraka_is_refused():
    start = ARABIC.index("سَامِر")
    with pytest.raises(ValidationError, match="combining mark"):
        check_span(ARABIC, Span(start, start + 1, "[x]"))       # ends between س and its fatha


def test_latin_combining_accent_is_not_split():
    text = "Rene\u0301 came."
    with pytest.raises(ValidationError):
        check_span(text, Span(0, 4, "[x]"))
    assert redact(text, [Span(0, 5, "[x]")]) == "[x] came."


def test_offsets_count_code_points_not_bytes_or_utf16_units():
    text = "🙂🙂 Omar 🙂"
    start = text.index("Omar")
    assert start == 3
    assert redact(text, [Span(start, start + 4, "[n]", text="Omar")]) == "🙂🙂 [n] 🙂"


def test_a_span_across_a_window_boundary_is_replaced_once_and_leaks_nowhere():
    span = Span(6, 19, "[name]")
    left = redact(TEXT, [span], hi=10)
    right = redact(TEXT, [span], lo=10)
    assert left == "I met [name]" and right == " near Suluk."
    for part in ("Khal", "ddad", "Haddad"):
        assert part not in left + right


def test_revealed_spans_carry_the_original_for_staff():
    pieces = render(TEXT, [Span(6, 19, "[name]", key="R-1", revealed=True)])
    redacted = [p for p in pieces if p.redacted]
    assert redacted[0].original == "Khaled Haddad" and redacted[0].text == "[name]"
    assert render(TEXT, [Span(6, 19, "[name]")])[1].original is None


@given(st.text(alphabet=st.characters(blacklist_categories=("Mn", "Me", "Cs", "Cc")), min_size=1, max_size=60),
       st.lists(st.tuples(st.integers(0, 59), st.integers(1, 8)), max_size=5))
def test_redaction_arithmetic(text, raw):
    spans, taken = [], set()
    for n, (start, length) in enumerate(raw):
        end = min(start + length, len(text))
        if start >= end or taken & set(range(start, end)):
            continue
        taken |= set(range(start, end))
        spans.append(Span(start, end, f"\x00{n}\x00"))
    out = redact(text, spans)
    assert len(out) == len(text) - sum(s.end - s.start for s in spans) + sum(len(s.replacement) for s in spans)
    order = sorted(spans, key=lambda s: s.start)
    positions = [out.index(s.replacement) for s in order]
    assert positions == sorted(positions)
