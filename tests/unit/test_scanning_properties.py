"""Properties: a term variant inserted anywhere in random text is found at exactly its offsets."""
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from archive.scanning import find_terms
from archive.scanning.offsets import fold
from archive.search.analysis import normalize

TERMS = [
    {"term": "Raqqa", "variants": ["Al-Raqqah", "الرقة"]},
    {"term": "Khaled Mansour", "variants": ["Khalid Mansour", "خالد منصور"]},
    {"term": "Idoméni", "variants": ["Eidomeni"]},
    {"term": "خالد الحسن", "variants": ["Khaled al-Hassan"]},
]
MARKS = ["\u064e", "\u064f", "\u0650", "\u0651", "\u0652", "\u064b"]
HARAKAT = MARKS + ["\u0651\u064e"]
SPACES = [" ", "  ", "\t", "\n", "\r\n", "\u00a0", " \n "]
# Before: punctuation, so nothing in the filler can join the inserted word (or read as "al ").
BEFORE = [", ", "; ", "(", "«", ".\n", ": ", "،"]
AFTER = [",", ".", ")", "»", " ", "\n", "؟", "'s"]
FILLER = st.text(alphabet=st.sampled_from(list("abdhkr moqéÉ.,\n0123أبتثجرقةوالـ") + MARKS), max_size=40)


@st.composite
def arabic_word(draw, word):
    out = []
    for i, ch in enumerate(word):
        out.append(ch)
        out.append(draw(st.sampled_from([""] * 3 + HARAKAT)))
        if 0 < i < len(word) - 1 and ch not in "اأإآدذرزوةى":   # tatweel only joins joining letters
            out.append(draw(st.sampled_from(["", "", "\u0640", "\u0640\u0640"])))
    return "".join(out)


@st.composite
def latin_word(draw, word):
    out = []
    for ch in word:
        ch = ch.upper() if draw(st.booleans()) else ch.lower()
        if ch in "éÉ" and draw(st.booleans()):
            ch = unicodedata.normalize("NFD", ch)
        out.append(ch)
    return "".join(out)


@st.composite
def written_variant(draw):
    term = draw(st.sampled_from(TERMS))
    spelling = draw(st.sampled_from([term["term"], *term["variants"]]))
    words = spelling.split()
    arabic = "\u0600" <= words[0][0] <= "\u06ff"
    written = [draw(arabic_word(w)) if arabic else draw(latin_word(w)) for w in words]
    if arabic:
        if words[0].startswith("ال"):
            lead = draw(st.sampled_from(["", "و", "ف", "ب", "ك", "وب", "فب", "ل", "ول"]))
            # ل + ال is written لل: the preposition swallows the article's alef.
            written[0] = (lead + written[0]) if not lead.endswith("ل") else lead + written[0][1:]
        else:
            written[0] = draw(st.sampled_from(["", "و", "ف", "ب", "ل", "وب"])) + written[0]
    text = written[0]
    for w in written[1:]:
        text += draw(st.sampled_from(SPACES)) + w
    return term["term"], text


@settings(max_examples=300, deadline=None)
@given(FILLER, st.sampled_from(BEFORE), written_variant(), st.sampled_from(AFTER), FILLER)
def test_an_inserted_variant_is_found_at_its_offsets(head, before, variant, after, tail):
    term_key, written = variant
    text = head + before + written + after + tail
    start = len(head + before)
    found = find_terms(text, TERMS)
    assert (start, start + len(written), term_key) in {(o.start, o.end, o.term_key) for o in found}
    assert all(text[o.start:o.end] == o.matched_text for o in found)


@settings(max_examples=300, deadline=None)
@given(FILLER, written_variant(), FILLER)
def test_a_redaction_over_the_variant_hides_it(head, variant, tail):
    term_key, written = variant
    text = head + "; " + written + "." + tail
    start = len(head) + 2
    found = find_terms(text, TERMS, redacted=[(start, start + len(written))])
    assert all(not (start <= o.start and o.end <= start + len(written)) for o in found)


@given(st.text(alphabet=st.sampled_from(list("aAéÉeß İ-’'.\n0أإآاىيةهـلرق") + MARKS + ["\u0301", "\u0654"]),
               max_size=60))
def test_folding_is_the_search_normalisation_with_a_monotone_offset_map(text):
    folded = fold(text)
    assert folded.text == normalize(text.replace("’", "'"))
    assert len(folded.starts) == len(folded.text)
    assert all(s < e for s, e in zip(folded.starts, folded.ends))
    assert list(folded.starts) == sorted(folded.starts) and list(folded.ends) == sorted(folded.ends)
