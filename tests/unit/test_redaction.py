"""Span redaction over code-point offsets: merging, edges, scripts, stale offsets, windows."""
from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.errors import ValidationError
from archive.redaction import Span, check_span, redact, render


def span(start, end, replacement="[X]", **kw) -> Span:
    return Span(start, end, replacement, **kw)


# -- merging -------------------------------------------------------------------------------------

def test_overlapping_spans_merge_into_one_replacement():
    text = "My cousin Khaled Haddad drove."
    a = span(10, 16, "[first]", key="A")     # Khaled
    b = span(13, 23, "[second]", key="B")    # led Haddad
    assert text[10:16] == "Khaled" and text[13:23] == "led Haddad"
    assert redact(text, [a, b]) == "My cousin [first] drove."
    pieces = [p for p in render(text, [b, a]) if p.redacted]
    assert len(pieces) == 1
    assert {s.key for s in pieces[0].spans} == {"A", "B"}


def test_a_span_inside_another_is_absorbed():
    text = "abc SECRETWORD xyz"
    outer, inner = span(4, 14, "[o]"), span(6, 9, "[i]")
    assert redact(text, [inner, outer]) == "abc [o] xyz"


def test_adjacent_spans_stay_apart_and_nothing_between_is_lost():
    text = "KhaledHaddad!"
    out = redact(text, [span(6, 12, "[last]"), span(0, 6, "[first]")])
    assert out == "[first][last]!"
    text = "Khaled Haddad"
    assert redact(text, [span(0, 6, "[a]"), span(7, 13, "[b]")]) == "[a] [b]"


def test_spans_at_the_start_and_end_of_the_text():
    text = "Khaled met Suluk"
    assert redact(text, [span(0, 6, "[n]")]) == "[n] met Suluk"
    assert redact(text, [span(11, 16, "[p]")]) == "Khaled met [p]"
    assert redact(text, [span(0, 16, "[all]")]) == "[all]"
    assert redact(text, [span(0, 6, "[n]"), span(11, 16, "[p]")]) == "[n] met [p]"


def test_no_spans_leaves_the_text_alone():
    assert redact("نص عربي", []) == "نص عربي"


# -- scripts and code points ---------------------------------------------------------------------

NAME = "\u0633\u064e\u0627\u0645\u0650\u0631\u064f"   # سَامِرُ: ends with a damma
ARABIC = f"قال {NAME} العلي كَلِمَة"


def test_arabic_span_including_its_harakat_works():
    start = ARABIC.index(NAME)
    end = start + len(NAME)
    assert unicodedata.combining(ARABIC[end - 1])          # the span ends with the damma
    out = redact(ARABIC, [span(start, end, "[اسم]", text=NAME)])
    assert out == "قال [اسم] العلي كَلِمَة"
    assert "\u064f" not in out.split("العلي")[0]          # no orphaned haraka left behind


def test_arabic_span_ending_before_a_combining_mark_is_refused():
    start = ARABIC.index(NAME)
    end = start + len(NAME) - 1                            # between ر and its damma
    assert unicodedata.combining(ARABIC[end])
    with pytest.raises(ValidationError):
        check_span(ARABIC, span(start, end))
    with pytest.raises(ValidationError):
        redact(ARABIC, [span(start, end, text=NAME[:-1])])


def test_arabic_span_starting_on_a_combining_mark_is_refused():
    start = ARABIC.index(NAME) + 1                         # the fatha after س
    assert unicodedata.combining(ARABIC[start])
    with pytest.raises(ValidationError):
        redact(ARABIC, [span(start, start + 3)])


def test_latin_combining_accent_stays_with_its_letter():
    text = "Rene\u0301 lives in Tel Abyad"                   # e + COMBINING ACUTE ACCENT
    assert unicodedata.combining(text[4])
    with pytest.raises(ValidationError):
        redact(text, [span(0, 4, "[n]")])                  # would leave the accent behind
    assert redact(text, [span(0, 5, "[n]", text="Rene\u0301")]) == "[n] lives in Tel Abyad"


def test_offsets_are_code_points_even_for_astral_characters():
    text = "😀😀 Khaled 👍🏽 Suluk"
    start = text.index("Khaled")
    assert start == 3                                      # 2 emoji + space: code points, not UTF-16 units
    assert redact(text, [span(start, start + 6, "[n]", text="Khaled")]) == "😀😀 [n] 👍🏽 Suluk"
    s2 = text.index("Suluk")
    assert redact(text, [span(s2, s2 + 5, "[p]", text="Suluk")]) == "😀😀 Khaled 👍🏽 [p]"
    # a whole emoji can be redacted
    assert redact(text, [span(0, 1, "[e]")]) == "[e]😀 Khaled 👍🏽 Suluk"


# -- refusals --------------------------------------------------------------------------------------

def test_offsets_that_no_longer_match_their_text_are_refused_not_shifted():
    text = "A cousin, Khaled Haddad, asked me"
    stale = span(9, 22, "[n]", text="Khaled Haddad")       # one code point early
    with pytest.raises(ValidationError) as info:
        redact(text, [stale])
    assert "Khaled Haddad" in str(info.value)
    with pytest.raises(ValidationError):
        check_span(text, stale)
    # the right offsets are accepted
    assert redact(text, [span(10, 23, "[n]", text="Khaled Haddad")]) == "A cousin, [n], asked me"


def test_text_changed_under_the_span_is_refused():
    with pytest.raises(ValidationError):
        check_span("A cousin, Khalid Haddad", span(10, 23, text="Khaled Haddad"))


@pytest.mark.parametrize("start,end", [(-1, 3), (0, 11), (5, 5), (6, 4), (10, 12), (11, 12)])
def test_out_of_range_or_empty_spans_are_refused(start, end):
    text = "0123456789"
    with pytest.raises(ValidationError):
        check_span(text, span(start, end))
    with pytest.raises(ValidationError):
        redact(text, [span(start, end)])


def test_one_bad_span_refuses_the_whole_rendering():
    text = "Khaled and Suluk"
    with pytest.raises(ValidationError):
        redact(text, [span(0, 6, "[n]"), span(11, 40, "[p]")])


# -- windows (segments) ----------------------------------------------------------------------------

def test_a_span_crossing_a_window_boundary_is_replaced_once_and_leaks_nowhere():
    text = "before QJXKWZ after"
    s = span(7, 13, "[gone]")
    boundary = 10                                          # QJX | KWZ
    first = redact(text, [s], lo=0, hi=boundary)
    second = redact(text, [s], lo=boundary, hi=len(text))
    assert first == "before [gone]"
    assert second == " after"
    for letter in "QJXKWZ":
        assert letter not in first and letter not in second
    assert (first + second).count("[gone]") == 1
    assert first + second == redact(text, [s])


def test_windows_that_cut_a_region_in_three_replace_it_once():
    text = "aa QJXKWZ bb"
    s = span(3, 9, "[r]")
    windows = [(0, 5), (5, 7), (7, len(text))]
    outs = [redact(text, [s], lo=lo, hi=hi) for lo, hi in windows]
    assert outs == ["aa [r]", "", " bb"]


def test_a_window_without_spans_is_the_plain_slice():
    text = "Khaled | the rest"
    assert redact(text, [span(0, 6)], lo=7, hi=len(text)) == "| the rest"


def test_adjacent_spans_across_a_boundary_each_show_in_their_own_window():
    text = "xxAAAABBBByy"
    a, b = span(2, 6, "[a]"), span(6, 10, "[b]")
    assert redact(text, [a, b], lo=0, hi=6) == "xx[a]"
    assert redact(text, [a, b], lo=6, hi=len(text)) == "[b]yy"


# -- revealed spans (staff) ----------------------------------------------------------------------

def test_revealed_spans_carry_the_original_marked_as_redacted():
    text = "A cousin, Khaled Haddad, asked"
    s = span(10, 23, "[name withheld]", key="R-1", text="Khaled Haddad", revealed=True)
    pieces = render(text, [s])
    marked = [p for p in pieces if p.redacted]
    assert len(marked) == 1
    assert marked[0].original == "Khaled Haddad"
    assert marked[0].text == "[name withheld]"
    assert marked[0].spans == (s,)
    assert "".join(p.original if p.original is not None else p.text for p in pieces) == text


def test_unrevealed_spans_carry_no_original():
    text = "A cousin, Khaled Haddad, asked"
    pieces = render(text, [span(10, 23, "[n]")])
    assert all(p.original is None for p in pieces)
    assert not any("Khaled" in p.text for p in pieces)


def test_a_region_mixing_revealed_and_hidden_spans_stays_hidden():
    text = "A cousin, Khaled Haddad, asked"
    seen = span(10, 16, "[a]", revealed=True)
    hidden = span(13, 23, "[b]")
    pieces = render(text, [seen, hidden])
    assert all(p.original is None for p in pieces)
    assert not any("Khal" in p.text or "Haddad" in p.text for p in pieces)


def test_a_revealed_region_crossing_a_window_shows_each_side_in_its_window():
    text = "xx Khaled yy"
    s = span(3, 9, "[n]", revealed=True)
    left = render(text, [s], lo=0, hi=6)
    right = render(text, [s], lo=6, hi=len(text))
    assert [p.original for p in left if p.redacted] == ["Kha"]
    assert [p.original for p in right if p.redacted] == ["led"]


# -- property --------------------------------------------------------------------------------------

# Text letters and replacement letters are disjoint, so an original can only reappear in the
# output by being part of the text that was kept.
TEXT_ALPHABET = "abcxyz عرب😀👍é\n"
# Non-empty, as every real replacement is: an empty one lets the kept runs on both sides join
# into a string that the property would wrongly count as the original reappearing.
REPLACEMENT = st.text(alphabet="[#]_", min_size=1, max_size=5)


@st.composite
def text_and_spans(draw):
    text = draw(st.text(alphabet=TEXT_ALPHABET, min_size=1, max_size=60))
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), min_size=0, max_size=10)))
    spans = []
    for start, end in zip(cuts[::2], cuts[1::2]):
        if start < end:
            spans.append(Span(start, end, draw(REPLACEMENT), text=text[start:end]))
    return text, draw(st.permutations(spans))


@settings(max_examples=300, deadline=None, database=None)
@given(text_and_spans())
def test_redact_never_keeps_an_original_that_the_kept_text_does_not_contain(case):
    text, spans = case
    out = redact(text, list(spans))
    ordered = sorted(spans, key=lambda s: s.start)
    kept, cursor = [], 0
    for s in ordered:
        kept.append(text[cursor:s.start])
        cursor = s.end
    kept.append(text[cursor:])
    for s in spans:
        original = text[s.start:s.end]
        if not any(original in run for run in kept):
            assert original not in out, (text, spans)
    expected_length = len(text) - sum(s.end - s.start for s in spans) + sum(len(s.replacement) for s in spans)
    assert len(out) == expected_length
    # and the kept text survives, in order, around the replacements
    expected = "".join(k + (s.replacement if i < len(ordered) else "")
                       for i, (k, s) in enumerate(zip(kept, ordered + [None])))
    assert out == expected


@settings(max_examples=200, deadline=None, database=None)
@given(text_and_spans(), st.data())
def test_windows_concatenate_to_the_whole_redaction(case, data):
    text, spans = case
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=4)))
    bounds = [0, *cuts, len(text)]
    windows = [redact(text, list(spans), lo=lo, hi=hi) for lo, hi in zip(bounds, bounds[1:])]
    assert "".join(windows) == redact(text, list(spans))
