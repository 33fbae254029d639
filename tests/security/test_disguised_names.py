"""Issue 12, finding 1: a name in disguise is still the name. The scanner folds text exactly as the
search analysers do, so whatever public search would find, the scanner flags (both engines share
the analysers: tests/security/test_disguise_gate.py runs the gate on each)."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from archive.scanning import find_terms
from tests.security.disguises import ARABIC_TERM, LATIN_TERM, TERMS, disguise, search_would_match, text_with_disguise

# Each spelling below was accepted for publication by the scanner of 3a1d074 while public search
# found it (issue 12, finding 1).
SLIPPED_THROUGH = [
    "Zorvath-Quillan", "Zorvath\u2011Quillan", "Zor\u200bvath Quillan", "Zorvath\u200cQuillan",
    "Zorvath/Quillan", "Zorvath_Quillan", "Zorvath.Quillan", "Zоrvаth Quillаn",  # Cyrillic о, а
    "خالد وحداد", "وخالد وحداد", "ZORVATH QUILLAN's", "Zorvath\u00a0\u00a0Quillan", "Ζorvath Ｑuillan",
    "Zor\u00advath Quil\u2060lan", "Zorvath\u200e Quillan",
]


@pytest.mark.parametrize("written", SLIPPED_THROUGH)
def test_each_disguise_that_slipped_through_is_flagged(written):
    text = f"He said that {written} crossed at night."
    found = find_terms(text, TERMS)
    assert found, f"{written!r} not flagged"
    assert all(text[o.start:o.end] == o.matched_text for o in found)


def test_a_one_word_term_is_flagged_wherever_search_finds_the_word():
    # Porter indexes "Quillans" as "quillan": a public search for the name finds it.
    assert [o.matched_text for o in find_terms("the Quillans left", ["Quillan"])] == ["Quillans"]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Found by hypothesis: the names joined by a zero-width non-joiner, the second with a conjunction and a
# preposition ("وب"), which the joined forms did not try together.
@example(("خالد حداد", ("قال خ\u200bا\u200bلـ\u200bد\u200b\u200cوبح\u200bداد ثم",
                         "خ\u200bا\u200bلـ\u200bد\u200b\u200cوبح\u200bداد")))
@given(st.sampled_from([LATIN_TERM, ARABIC_TERM, "Idoméni", "الرقة"]).flatmap(
    lambda term: st.tuples(st.just(term), text_with_disguise(term))))
def test_every_generated_disguise_is_flagged_at_its_place(case):
    term, (text, written) = case
    found = find_terms(text, TERMS)
    start = text.index(written)
    assert any(o.start <= start + 1 and o.end >= start + len(written.rstrip("s’'")) - 1 for o in found), \
        (written, [(o.start, o.end, o.matched_text) for o in found])


@settings(max_examples=400, deadline=None)
@given(st.sampled_from([LATIN_TERM, ARABIC_TERM, "Quillan", "Zorvath", "حداد"]).flatmap(
    lambda term: st.tuples(st.just(term), text_with_disguise(LATIN_TERM if term[0].isascii() else ARABIC_TERM))))
def test_whatever_public_search_would_find_the_scanner_flags(case):
    term, (text, _) = case
    if search_would_match(text, term):
        assert find_terms(text, [term]), text


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("zorvathquilanZQ -_./\u200b\u00adаоΖ'sخالدحداوب\u064e")), max_size=40))
def test_random_text_search_would_match_is_flagged(text):
    for term in (LATIN_TERM, ARABIC_TERM, "Quillan"):
        if search_would_match(text, term):
            assert find_terms(text, [term]), (text, term)


@settings(max_examples=100, deadline=None)
@given(disguise(LATIN_TERM))
def test_a_redaction_over_the_disguise_hides_it(written):
    text = "Before; " + written + ". After"
    start = 8
    found = find_terms(text, TERMS, redacted=[(start, start + len(written))])
    assert all(not (start <= o.start and o.end <= start + len(written)) for o in found)
