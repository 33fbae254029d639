"""A snippet made from the places of the matched words (an engine that keeps each term's positions)
is the snippet made by analysing every word of the text: same window, same marks, same escaping."""
from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from archive.search.analysis import TOKEN_PATTERN, term_memo
from archive.search.snippets import highlight, highlight_places

_TOKEN = re.compile(TOKEN_PATTERN)
WORDS = ["river", "rivers", "crossed", "crossing", "the", "night", "<b>", "&", "Ferry", "l'été", "حلب", "filler",
         "filler", "filler", "filler", "a"]
GAPS = [" ", ", ", ". ", " — ", "\n", " <i> ", " & "]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(GAPS)), min_size=1, max_size=160),
       st.sets(st.sampled_from(["river", "crossed", "night", "ferry", "حلب", "filler"]), min_size=1, max_size=3),
       st.sampled_from([5, 12, 40]))
def test_places_make_the_snippet_that_analysis_makes(pieces, queried, window):
    text = "".join(w + g for w, g in pieces)
    memo = term_memo("en")
    terms = {memo[w] for w in queried}
    places = [i for i, w in enumerate(_TOKEN.findall(text)) if memo[w] in terms]
    assert highlight_places(text, places, window) == highlight(text, terms, window)


def test_no_places_no_snippet():
    assert highlight_places("the river at night", []) is None
