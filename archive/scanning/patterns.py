"""Regular expressions (over folded text, see `offsets.fold`) for the spellings of a term.

Arabic names are written with attached clitics and the article (بالرقة, والرقة, للرقة) and
romanised with or without an assimilated article (al-Raqqa, ar-Raqqah, Raqqa). The first word's
article and clitics are left out of a spelling's own pattern and put once in front of all the
spellings of a term set (`lead_for`): each spelling's pattern then starts with a plain letter,
which the regular-expression engine rejects in one comparison, so trying fifty terms at a word
costs little more than trying one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .offsets import fold_text

# Conjunction (و ف), then a preposition (ب ك ل) and/or the article (ال); ل + ال is written لل.
# Only the first word of a term takes them: "خالد والحسن" is not the name "خالد الحسن".
_AR_LEAD = "[\u0648\u0641]?(?:[\u0628\u0643\u0644]?\u0627\u0644|\u0644\u0644|[\u0628\u0643\u0644])?"
# A term written with the article keeps it: "الرقة" matches "بالرقة" and "للرقة" but not "ورقة"
# (paper) or "فرقة" (a band), which a bare "رقة" with a clitic would also read as.
_AR_LEAD_DEFINITE = "[\u0648\u0641]?(?:[\u0628\u0643\u0644]?\u0627\u0644|\u0644\u0644)"
_AR_LEAD_CHARS = frozenset("\u0648\u0641\u0628\u0643\u0644\u0627")
_AR_ARTICLE = "\u0627\u0644"
_AR_OPT_ARTICLE = "(?:\u0627\u0644)?"
# Romanised Arabic article, assimilated or not: al-, el-, ar-, as-, ash-, ad-, adh- ...; "al"/"el"
# may also stand alone before the word. Bare "at "/"an " are English words, so those need a
# hyphen or apostrophe.
_LATIN_ARTICLE_RE = re.compile(r"^(?:al|el|[ae][dnrstz]h?)['-](?=\w)")
_LATIN_OPT_ARTICLE = r"(?:(?:al|el|[ae][dnrstz]h?)['-]|(?:al|el)\s+)?"
_LATIN_LEAD_CHARS = frozenset("ae")
_SEP_LATIN = r"(?:\s*-\s*|\s+)"
# Arabic compounds are written both ways: "عبد الله" and "عبدالله".
_SEP_ARABIC = r"\s*"
_MIN_CORE = 2  # as analysis.stem_arabic: never strip an article off a two-letter word

LATIN, ARABIC, ARABIC_DEFINITE, LITERAL = "latin", "arabic", "arabic-definite", "literal"
_LEADS = {LATIN: _LATIN_OPT_ARTICLE, ARABIC: _AR_LEAD, ARABIC_DEFINITE: _AR_LEAD_DEFINITE,
          LITERAL: ""}


def is_arabic(ch: str) -> bool:
    return "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f"


@dataclass(frozen=True)
class SpellingPattern:
    """One spelling's pattern, without the first word's article/clitics (see `lead_for`)."""
    kind: str
    body: str
    starts_with: frozenset[str]   # folded characters a whole match (lead included) can begin with


def lead_for(kind: str) -> str:
    return _LEADS[kind]


def _latin_word(word: str) -> str:
    article = _LATIN_ARTICLE_RE.match(word)
    core = word[article.end():] if article and len(word) - article.end() >= _MIN_CORE else word
    # Final -a / -ah is one Arabic ta marbuta, romanised both ways (Raqqa, Raqqah; Hama, Hamah).
    tail = ""
    if len(core) >= 4 and core.endswith("ah") and core[-3].isalpha():
        core, tail = core[:-1], "h?"
    elif len(core) >= 3 and core.endswith("a") and core[-2].isalpha():
        tail = "h?"
    pieces = []
    for part in re.split(r"(['-])", core):
        if part == "'":
            pieces.append("'?")  # Ra'ad / Raad
        elif part == "-":
            pieces.append(_SEP_LATIN)
        elif part:
            pieces.append(re.escape(part))
    return "".join(pieces) + tail


def _arabic_core(word: str) -> str:
    if word.startswith(_AR_ARTICLE) and len(word) - len(_AR_ARTICLE) >= _MIN_CORE:
        return word[len(_AR_ARTICLE):]
    return word


def spelling_pattern(spelling: str) -> SpellingPattern | None:
    """The pattern for one spelling of a term; None for a blank spelling."""
    words = fold_text(spelling).split()
    # A standalone romanised article ("Al Raqqa") is the next word's optional article.
    if len(words) > 1 and words[0] in ("al", "el"):
        words = words[1:]
    if not words:
        return None
    parts: list[str] = []
    kind, starts_with = LITERAL, frozenset(words[0][0])
    for i, word in enumerate(words):
        if i:
            both_arabic = is_arabic(words[i - 1][-1]) and is_arabic(word[0])
            parts.append(_SEP_ARABIC if both_arabic else r"\s+")
        if is_arabic(word[0]):
            core = _arabic_core(word)
            parts.append((_AR_OPT_ARTICLE if i else "") + re.escape(core))
            if not i:
                kind = ARABIC_DEFINITE if core != word else ARABIC
                starts_with = _AR_LEAD_CHARS | {core[0]}
        elif word[0].isalpha():
            latin = _latin_word(word)
            parts.append((_LATIN_OPT_ARTICLE if i else "") + latin)
            if not i:
                kind, starts_with = LATIN, _LATIN_LEAD_CHARS | {latin[0]}
        else:
            parts.append(re.escape(word))  # "@handle", "#tag", "1985": matched literally
    last = words[-1][-1]
    # Whole words only. The start is checked by the caller (matches are tried at word starts);
    # a spelling that ends in punctuation ("@handle!") is bounded by it already.
    tail = r"(?!\w)" if (last.isalnum() or is_arabic(last)) else ""
    return SpellingPattern(kind, "".join(parts) + tail, starts_with)
