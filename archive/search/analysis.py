"""Text analysis shared by indexing, querying and the sensitive-term scanner (English, French, Arabic).

`normalize` is the archive's one normaliser: what it folds together, search finds together and the
scanner (archive.scanning, which folds with it) flags together. It removes default-ignorable code
points (zero-width characters, soft hyphen, word joiner, bidi controls, BOM), applies compatibility
forms (NFKC), maps look-alike letters of other scripts onto the Latin letter they imitate (the
confusable skeleton of Unicode TS #39, from ICU's table), case-folds, and folds Latin accents and
Arabic harakat, tatweel and letter forms. Every run of non-letters separates words.

Normalisation happens in token filters, never on the raw text, so token
character offsets stay valid for the highlighter.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from whoosh.analysis import Filter, RegexTokenizer
from whoosh.lang.porter2 import stem as porter_stem
from whoosh.lang.snowball.french import FrenchStemmer

# Python's \w excludes combining marks (Mn), which would split Arabic words
# written with harakat and decomposed Latin text, so marks are allowed inside.
_MARKS = "\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed"
# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt; Python's unicodedata does not
# expose the property): invisible in a rendered page, so "Zor\u200bvath" reads as "Zorvath" and must
# be one word to search and to the scanner. They are word-internal in tokens and removed by normalize.
IGNORABLES = ("\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
              "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3"
              "\U0001d173-\U0001d17a\U000e0000-\U000e0fff")
_IGNORABLE = re.compile("[%s]+" % IGNORABLES)
TOKEN_PATTERN = r"[^\W_](?:[^\W_]|[%s%s])*" % (_MARKS, IGNORABLES)

# Maddah and hamza marks (U+0653-U+0655) are removed only where NFKC did not compose them into their
# letter (after a tatweel, "اـٔ"): composed, أ and ؤ are folded by _AR_LETTERS or kept as letters.
_AR_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u0655\u0670\u0640\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed]")
_AR_LETTERS = str.maketrans({
    "\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627", "\u0671": "\u0627",  # alef forms
    "\u0649": "\u064a",  # alef maqsura -> yeh
    "\u0629": "\u0647",  # ta marbuta -> heh
    "\u06cc": "\u064a",  # Persian yeh, common in mixed-keyboard input
    "\u06a9": "\u0643",  # Persian kaf
})
# Larkey's light10, on normalised text (so ة is already ه and ى is ي). Longest first so "وال" wins
# over "ال"; a lone ب/ف/ل/ك is too often part of the root to strip, so it goes only with the article.
_AR_ARTICLES = ("\u0648\u0627\u0644", "\u0628\u0627\u0644", "\u0641\u0627\u0644",
                "\u0643\u0627\u0644", "\u0627\u0644", "\u0644\u0644")
_AR_SUFFIXES = ("\u0647\u0627", "\u0627\u0646", "\u0627\u062a", "\u0648\u0646", "\u064a\u0646",
                "\u064a\u0647", "\u0647", "\u064a")  # ها ان ات ون ين يه ه ي
_AR_WAW = "\u0648"
_AR_MIN_STEM = 2  # as in light10: only strip a prefix if >= 2 letters remain
_AR_MIN_SUFFIX_STEM = 3  # stricter than light10: most roots have three letters, so keep them whole
_FRENCH = FrenchStemmer().stem
_LATIN_EXTRA = {"æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th"}


def _is_arabic(ch: str) -> bool:
    return "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f"


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    # NFKD would also split Arabic hamza carriers (أ -> ا + hamza), so
    # Arabic is left to the explicit Arabic rules.
    if ch.isascii() or _is_arabic(ch):
        return ch
    if ch in _LATIN_EXTRA:
        return _LATIN_EXTRA[ch]
    return "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))


_SPOOF = None


def _skeleton(ch: str) -> str:
    global _SPOOF
    if _SPOOF is None:
        import icu  # PyICU: ICU ships and maintains the TS #39 confusables table
        _SPOOF = icu.SpoofChecker()
    return _SPOOF.getSkeleton(0, ch)


class _Lookalikes(dict):
    """str.translate table, filled on demand: a letter of another script that imitates Latin letters
    ("о" Cyrillic, "Ζ" Greek, "ı" dotless) becomes those Latin letters, so "Zоrvath" is "Zorvath".

    Only letters whose own fold is not Latin are mapped, and never ASCII or Arabic: TS #39's skeleton
    also maps "m" to "rn" and Arabic heh to "o", which would merge real words of those scripts."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        mapped = ch
        if not ch.isascii() and not _is_arabic(ch) and ch.isalpha() and not _fold_char(ch.casefold()).isascii():
            skeleton = "".join(c for c in unicodedata.normalize("NFKD", _skeleton(ch))
                               if not unicodedata.combining(c))
            if skeleton and skeleton.isascii() and skeleton.isalnum():
                mapped = skeleton
        self[code] = mapped
        return mapped


_LOOKALIKES = _Lookalikes()


def _unify(text: str) -> str:
    """Invisible characters out, compatibility forms in, look-alike letters as the Latin they imitate."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKC", _IGNORABLE.sub("", text))
    return text if text.isascii() else text.translate(_LOOKALIKES)


def light_normalize(text: str) -> str:
    """Case-fold and drop invisible characters and Arabic harakat/tatweel; keeps accents and letter
    forms, so the result is still a readable word (used for suggestions)."""
    return _AR_DIACRITICS.sub("", _unify(text).casefold())


def normalize(text: str) -> str:
    """Full matching normalisation: invisible characters, look-alikes, case, Latin accents, Arabic
    letter forms."""
    text = unicodedata.normalize("NFC", light_normalize(text)).translate(_AR_LETTERS)
    if text.isascii():
        return text
    return "".join(_fold_char(c) for c in text)


def strip_arabic_article(word: str) -> str:
    """The conjunction و and the article forms only: what a prefix query may safely drop."""
    if word.startswith(_AR_WAW) and len(word) > 3:
        word = word[1:]
    for art in _AR_ARTICLES:
        if word.startswith(art) and len(word) - len(art) >= _AR_MIN_STEM:
            return word[len(art):]
    return word


def stem_arabic(word: str) -> str:
    """Light10 stemming: prefixes, then each suffix once, longest first."""
    word = strip_arabic_article(word)
    for suffix in _AR_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _AR_MIN_SUFFIX_STEM:
            word = word[:-len(suffix)]
    return word


@lru_cache(maxsize=50000)
def stem(word: str, lang: str = "en") -> str:
    """Stem an already-normalised token with the stemmer of its language (Arabic script: always light10)."""
    if word and _is_arabic(word[0]):
        return stem_arabic(word)
    if word.isascii() and word.isalpha():
        return _FRENCH(word) if lang == "fr" else porter_stem(word)
    return word


def analyze_term(text: str, lang: str = "en") -> str:
    """normalise + stem one word, exactly as the index does."""
    return stem(normalize(text), lang)


def normalize_pattern(text: str) -> str:
    """For prefix/wildcard query text, which Whoosh passes through unanalysed:
    normalise and strip an Arabic article, but no Porter (a prefix is not a word)."""
    text = normalize(text)
    if text and _is_arabic(text[0]):
        text = strip_arabic_article(text)
    return text


@lru_cache(maxsize=200_000)
def _analyze_token(text: str, stemming: bool, lang: str = "en") -> str:
    # Word frequencies follow Zipf's law: a cache makes indexing and highlighting mostly lookups.
    text = normalize(text)
    return stem(text, lang) if stemming else text


class Memo(dict):
    """word -> its analysed form: looked up through map() at C speed, computed on a miss. Emptied when
    it grows past a bound (an archive's vocabulary is far smaller; numbers and typos are not)."""

    def __init__(self, analyse):
        super().__init__()
        self.analyse = analyse

    def __missing__(self, word: str) -> str:
        if len(self) >= 1_000_000:
            self.clear()
        value = self[word] = self.analyse(word)
        return value


_TERM_MEMOS: dict[str, Memo] = {}
READABLE = Memo(light_normalize)  # the unstemmed forms suggestions show


def term_memo(lang: str = "en") -> Memo:
    """word -> its index term in a field of this language (as _analyze_token(word, True, lang))."""
    memo = _TERM_MEMOS.get(lang)
    if memo is None:
        memo = _TERM_MEMOS[lang] = Memo(lambda word: _analyze_token(word, True, lang))
    return memo


class NormalizeFilter(Filter):
    """Full normalisation, then the light stemmers of one language."""

    def __init__(self, stemming: bool = True, lang: str = "en"):
        self.stemming, self.lang = stemming, lang

    def __eq__(self, other):
        return type(self) is type(other) and vars(self) == vars(other)

    def __call__(self, tokens):
        for t in tokens:
            text = _analyze_token(t.text, self.stemming, self.lang)
            if text:
                t.text = text
                yield t


class LightNormalizeFilter(Filter):
    def __call__(self, tokens):
        for t in tokens:
            text = light_normalize(t.text)
            if text:
                t.text = text
                yield t


def tokenizer() -> RegexTokenizer:
    return RegexTokenizer(TOKEN_PATTERN)


def text_analyzer(lang: str = "en"):
    """The analyser for a searchable text field: English (and any other Latin-script language)
    gets Porter, French gets Snowball French; Arabic-script words get light10 in both."""
    return tokenizer() | NormalizeFilter(lang=lang)


def spell_analyzer():
    """Unstemmed, readable forms for suggest/did-you-mean."""
    return tokenizer() | LightNormalizeFilter()
