"""find_terms on real third-party text, read in place from ../shared/realdata (never copied).

Each count is checked against one computed another way: tokens compared to an explicit list of
written forms for the Arabic journal, a plain regular expression over a lower-cased copy for the
English narratives.
"""
import re
import unicodedata
from pathlib import Path

import pytest

from archive.scanning import find_terms
from archive.search.analysis import TOKEN_PATTERN, analyze_term

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"
MUQTABAS = REALDATA / "openarabicpe_muqtabas" / "md"
WPA = REALDATA / "wpa_slave_narratives"

pytestmark = pytest.mark.skipif(not REALDATA.is_dir(), reason="../shared/realdata is not beside the checkout")

_ALEFS = str.maketrans("أإآٱ", "اااا")
_CLITICS = ("", "و", "ف", "ب", "ك", "ل", "وب", "وك", "ول", "فب", "فك", "فل",
            "ال", "وال", "فال", "بال", "كال", "لل", "وبال", "وكال", "فبال", "ولل", "فلل")


def _bare(word: str) -> str:
    """Letters only: harakat and tatweel out, alef forms as one."""
    return "".join(c for c in unicodedata.normalize("NFD", word)
                   if not unicodedata.combining(c) and c != "\u0640").translate(_ALEFS)


def _arabic_forms(text: str, core: str, term: str | None = None) -> list[tuple[int, int]]:
    """Tokens written as the core with clitics, or (given the term) that public search would match
    to it: the ones whose index term, by the search analyser, is the term's."""
    forms = {prefix + core for prefix in _CLITICS}
    searched = analyze_term(term) if term else None
    return [m.span() for m in re.finditer(TOKEN_PATTERN, text)
            if _bare(m.group()) in forms or analyze_term(m.group()) == searched]


def _journal() -> list[tuple[str, str]]:
    return [(p.name, p.read_text(encoding="utf-8")) for p in sorted(MUQTABAS.glob("*.md"))]


def test_an_arabic_word_is_found_with_and_without_clitics_and_harakat():
    # "أمي" (unlettered) appears as أمي, أميّ, الأميّ, الأُمي, والأمي, والأُميّ in one article.
    found, expected, written = [], [], set()
    for name, text in _journal():
        occurrences = find_terms(text, ["أمي"])
        found += [(name, o.start, o.end) for o in occurrences]
        expected += [(name, *span) for span in _arabic_forms(text, "امي", "أمي")]
        written |= {o.matched_text for o in occurrences}
        assert all(text[o.start:o.end] == o.matched_text for o in occurrences)
    assert found == expected
    # Both the diacritised and the prefixed forms are among them; so is الأمية (illiteracy), which
    # light10 search reads as أمي (its ة is a suffix to it), so a search for the word would find it.
    assert {"أمي", "أميّ", "الأُمي", "والأُميّ"} <= written
    assert len([w for w in written if not w.endswith("ة")]) >= 4


@pytest.mark.parametrize("term,core,count", [("ناس", "ناس", 7), ("أمية", "اميه", 13)])
def test_arabic_counts_agree_with_an_independent_token_count(term, core, count):
    found, expected = [], []
    for name, text in _journal():
        found += [(name, o.start, o.end) for o in find_terms(text, [term])]
        expected += [(name, *s) for s in _arabic_forms(text.replace("ة", "ه"), core, term)]
    assert found == expected
    assert len(found) >= count   # the clitic forms, and what search reads as the same word


def test_a_definite_term_keeps_its_article_in_real_text_except_where_search_reads_it_so():
    # الأمية 7 times, والأمية twice, and bare أمية (as in "بني أمية") 4 times: light10 search reads the
    # bare form as the definite one, so the scanner flags it; a band (فرقة) is neither.
    texts = [t for _, t in _journal()]
    definite = [o.matched_text for t in texts for o in find_terms(t, ["الأمية"])]
    bare = [o.matched_text for t in texts for o in find_terms(t, ["أمية"])]
    assert sorted(definite) == sorted(bare)
    assert sum(1 for w in definite if _bare(w) in ("الامية", "والامية")) == 9
    assert all(analyze_term(w) == analyze_term("الأمية") for w in definite)


@pytest.mark.parametrize("path", sorted(WPA.glob("*.txt")) if WPA.is_dir() else [], ids=lambda p: p.stem)
def test_english_names_are_found_across_line_breaks_in_the_narratives(path):
    # Read as stored: a byte-order mark and CRLF line ends both shift offsets if mishandled.
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    lower = text.lower()
    for term, pattern in (("Doctor Miller", r"(?<!\w)doctor\s+miller(?!\w)"),
                          ("Jacksonville", r"(?<!\w)jacksonville(?!\w)")):
        found = find_terms(text, [term])
        assert [(o.start, o.end) for o in found] == [m.span() for m in re.finditer(pattern, lower)]
        assert all(text[o.start:o.end] == o.matched_text for o in found)


def test_the_narratives_hold_the_expected_numbers_of_each_name():
    texts = []
    for path in sorted(WPA.glob("*.txt")):
        with open(path, encoding="utf-8", newline="") as f:
            texts.append(f.read())
    doctors = [o for t in texts for o in find_terms(t, ["Doctor Miller"])]
    assert len(doctors) == 16
    assert sum("\r\n" in o.matched_text for o in doctors) == 2
    assert sum(len(find_terms(t, ["Jacksonville"])) for t in texts) == 37
