"""Disguised spellings of sensitive names, as an attacker or a careless keyboard would write them.

Each disguise reads as the name to a person (invisible characters, look-alike letters of other
scripts, any separator, case, accents, Arabic clitics on every word, harakat, tatweel, alef forms),
so the scanner must flag every one; `search_would_match` says whether the public index would find
the term in a text, by the search analysers themselves, for the property that pins the two together.
"""
from __future__ import annotations

import unicodedata

from hypothesis import strategies as st

from archive.search.analysis import text_analyzer

LATIN_TERM = "Zorvath Quillan"
ARABIC_TERM = "خالد حداد"
TERMS = [{"term": LATIN_TERM, "variants": [ARABIC_TERM]}, {"term": "Idoméni"}, {"term": "الرقة"}]

INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u00ad", "\u2060", "\u200e", "\u200f", "\ufeff", "\u202a", "\u2066"]
SEPARATORS = [" ", "  ", "\u00a0", "\t", "\n", "-", "\u2010", "\u2011", "\u2013", "/", "_", ".", ". ", " - ",
              "\u200c", "\u200b", "", "\u202f", "\u3000"]
# Cyrillic and Greek letters that look like Latin ones (in ICU's confusables table).
LOOKALIKES = {"a": "аɑ", "o": "оοօ", "e": "е", "c": "с", "p": "р", "x": "х", "y": "у", "i": "іı",
              "Z": "ΖＺ", "Q": "Ｑ", "v": "ѵν", "h": "һ", "l": "ⅼｌ", "n": "ո", "u": "υ"}
HARAKAT = ["\u064e", "\u064f", "\u0650", "\u0651", "\u0652", "\u064b", "\u0651\u064e"]
AR_LEADS = ["", "و", "ف", "ب", "ل", "وب", "ال", "وال", "بال"]
FILLER_EN = "the river crossing was at night and we waited by the old mill for the boat".split()
FILLER_AR = "عبرنا النهر في الليل وانتظرنا قرب الطاحونة القديمة حتى جاء القارب".split()
FILLER_FR = "nous avons traversé la rivière de nuit et attendu près du vieux moulin".split()


@st.composite
def latin_word(draw, word: str) -> str:
    out = []
    for ch in word:
        choice = draw(st.integers(0, 5))
        if choice == 0 and ch in LOOKALIKES:
            ch = draw(st.sampled_from(LOOKALIKES[ch]))
        elif choice == 1:
            ch = ch.swapcase()
        elif choice == 2 and ch.isalpha():
            ch = unicodedata.normalize("NFC", ch + draw(st.sampled_from(["\u0301", "\u0308", "\u0300"])))
        out.append(ch)
        if draw(st.integers(0, 6)) == 0:
            out.append(draw(st.sampled_from(INVISIBLE)))
    return "".join(out)


@st.composite
def arabic_word(draw, word: str) -> str:
    out = [draw(st.sampled_from(AR_LEADS))] if not word.startswith("ال") else [draw(st.sampled_from(["", "و", "ب"]))]
    for i, ch in enumerate(word):
        if ch == "ا" and draw(st.booleans()):
            ch = draw(st.sampled_from(["أ", "إ", "آ"]))
        out.append(ch)
        out.append(draw(st.sampled_from([""] * 3 + HARAKAT)))
        if 0 < i < len(word) - 1 and ch not in "اأإآدذرزوةى" and draw(st.integers(0, 3)) == 0:
            out.append("\u0640")
        if draw(st.integers(0, 8)) == 0:
            out.append(draw(st.sampled_from(INVISIBLE)))
    return "".join(out)


@st.composite
def disguise(draw, term: str) -> str:
    words = term.split()
    arabic = "\u0600" <= words[0][0] <= "\u06ff"
    written = [draw(arabic_word(w) if arabic else latin_word(w)) for w in words]
    text = written[0]
    for w in written[1:]:
        text += draw(st.sampled_from(SEPARATORS)) + w
    if not arabic:
        text += draw(st.sampled_from(["", "'s", "’s", "s"]))
    return text


@st.composite
def text_with_disguise(draw, term: str) -> tuple[str, str]:
    """(a text of a language with the disguised term inside, the disguise)."""
    filler = draw(st.sampled_from([FILLER_EN, FILLER_AR, FILLER_FR]))
    head = " ".join(draw(st.lists(st.sampled_from(filler), max_size=8)))
    tail = " ".join(draw(st.lists(st.sampled_from(filler), max_size=8)))
    written = draw(disguise(term))
    return f"{head}, {written}, {tail}.", written


def _tokens(text: str, lang: str) -> list[str]:
    return [t.text for t in text_analyzer(lang)(text)]


def search_would_match(text: str, term: str) -> bool:
    """Whether the public index (any language's analyser) would match the term in `text`: as a
    phrase, or any word of it where the term is one word."""
    for lang in ("en", "fr", "ar"):
        words, wanted = _tokens(text, lang), _tokens(term, lang)
        if wanted and any(words[i:i + len(wanted)] == wanted for i in range(len(words) - len(wanted) + 1)):
            return True
    return False
