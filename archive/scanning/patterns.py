"""When a word of a text is a word of a term: the scanner's side of the one normaliser.

Words are what the search tokenizer makes of folded text (`offsets.fold`, which is
`archive.search.analysis.normalize` with an offset map): runs of letters and digits, so every run
of anything else (spaces, any dash, `/`, `_`, `.`, NBSP) separates words and invisible characters
join them. A text word is the term's word when any of these agree:

- the folded words are equal (a final romanised ta marbuta aside: Raqqa, Raqqah);
- the index terms are equal, for English, French or Arabic: what search would find, the scanner
  flags ("Quillans" is "Quillan" to Porter; "وحداد" is "حداد" to light10);
- the Arabic cores are equal once the clitics and the article are taken off (بالرقة, والرقة, للرقة
  are الرقة), on every word of a name. A term written with the article keeps it: "الرقة" is not
  "فرقة" (a band), which a bare "رقة" with a clitic would also read as (search's light stemmer still
  reads "ورقة", paper, as "الرقة", so that one is flagged: search would find it).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from archive.search.analysis import stem

from .offsets import fold_text

WORD = re.compile(r"[^\W_]+")
_AR_CONJUNCTIONS = ("", "\u0648", "\u0641")                      # و ف
# A preposition (ب ك ل) and/or the article (ال); ل + ال is written لل. True: the article is there.
_AR_PREFIXES = (("", False), ("\u0628", False), ("\u0643", False), ("\u0644", False),
                ("\u0627\u0644", True), ("\u0628\u0627\u0644", True), ("\u0643\u0627\u0644", True),
                ("\u0644\u0644", True))
_AR_ARTICLE = "\u0627\u0644"
_MIN_CORE = 2  # as analysis.stem_arabic: never strip an article off a two-letter word
# Romanised Arabic article, assimilated or not: al-, el-, ar-, as-, ash-, ad-, adh- ...
LATIN_ARTICLE = re.compile(r"(?:al|el|[ae][dnrstz]h?)$")
# The longest term, in words, whose ways of being written together are all tried; and the longest
# whose Arabic words are also tried with a clitic where they are written together ("خالدوحداد").
MAX_JOINED = 6
MAX_JOINED_CLITICS = 3
# Every conjunction with every preposition and article ("وب", "فبال", ...): a reader reads "خالد‌وبحداد"
# as "Khaled, and by Haddad" whatever the clitics.
_AR_JOINED_CLITICS = tuple(dict.fromkeys(c + p for c in _AR_CONJUNCTIONS for p, _ in _AR_PREFIXES))


def is_arabic(ch: str) -> bool:
    return "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f"


def _latin_form(word: str) -> str:
    # Final -a / -ah is one Arabic ta marbuta, romanised both ways (Raqqa, Raqqah; Hama, Hamah).
    return word[:-1] if len(word) >= 4 and word.endswith("ah") else word


@dataclass(frozen=True)
class Keys:
    """The forms under which a folded word is compared."""
    form: str                              # folded (Latin ta marbuta unified)
    stems: frozenset[str]                  # its index terms in every language analyser
    # Arabic. A text word: every reading of it as clitics + core, (core, written with the article).
    # A term word: the one core (its article off), and whether the term has the article.
    cores: frozenset[tuple[str, bool]] = frozenset()


@lru_cache(maxsize=200_000)
def text_keys(word: str) -> Keys:
    """A text's word, already folded."""
    if word and is_arabic(word[0]):
        cores = set()
        for conjunction in _AR_CONJUNCTIONS:
            if word.startswith(conjunction):
                rest = word[len(conjunction):]
                for prefix, definite in _AR_PREFIXES:
                    if rest.startswith(prefix) and len(rest) - len(prefix) >= _MIN_CORE:
                        cores.add((rest[len(prefix):], definite))
        return Keys(word, frozenset({stem(word)}), frozenset(cores))
    return Keys(_latin_form(word), frozenset({stem(word, "en"), stem(word, "fr")}))


@lru_cache(maxsize=20_000)
def term_keys(word: str) -> Keys:
    """A term's word, already folded."""
    if word and is_arabic(word[0]):
        definite = word.startswith(_AR_ARTICLE) and len(word) - len(_AR_ARTICLE) >= _MIN_CORE
        core = word[len(_AR_ARTICLE):] if definite else word
        return Keys(word, frozenset({stem(word)}), frozenset({(core, definite)}))
    return text_keys(word)


def same_word(text_word: Keys, term_word: Keys) -> bool:
    if text_word.form == term_word.form or text_word.stems & term_word.stems:
        return True
    for core, definite in term_word.cores:
        if (core, True) in text_word.cores or (not definite and (core, False) in text_word.cores):
            return True
    return False


def _joined(seq: list[str], mask: int) -> list[list[str]]:
    """`seq` with the words after each set bit of `mask` written onto the previous one; an Arabic word
    so attached may carry its clitics ("خالد" + "وحداد")."""
    clitics = len(seq) <= MAX_JOINED_CLITICS
    out: list[list[str]] = [[seq[0]]]
    for i, word in enumerate(seq[1:]):
        if not mask >> i & 1:
            out = [prefix + [word] for prefix in out]
            continue
        leads = _AR_JOINED_CLITICS if clitics and is_arabic(word[0]) else ("",)
        out = [prefix[:-1] + [prefix[-1] + lead + word] for prefix in out for lead in leads]
    return out


def spelling_words(spelling: str) -> list[list[str]]:
    """The word sequences a spelling may be written as: its words, without a romanised article
    ("Al-Raqqa" is also "Raqqa"), and its words written together ("KhaledMansour", "عبدالله",
    "Raad" for "Ra'ad"). Empty when it has no letters or digits."""
    words = WORD.findall(fold_text(spelling))
    if not words:
        return []
    forms = [words]
    bare = [w for i, w in enumerate(words) if not (LATIN_ARTICLE.match(w) and i + 1 < len(words))]
    if bare and bare != words:
        forms.append(bare)
    for seq in list(forms):
        if 1 < len(seq) <= MAX_JOINED:
            for mask in range(1, 2 ** (len(seq) - 1)):
                forms.extend(_joined(seq, mask))
    unique = []
    for seq in forms:
        if seq not in unique:
            unique.append(seq)
    return unique
