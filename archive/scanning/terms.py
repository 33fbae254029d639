"""Finding sensitive terms (names, places, handles) in a text, in every script and spelling.

The text is folded as search folds it (`offsets.fold`) and cut into the words search would index;
a term matches where its words are consecutive words of the text, each compared as `patterns`
says (the same folded word, the same index term in any language, the same Arabic core). What
separates the words does not matter (any space, dash, slash, dot, line break, or nothing: a name
written together is still the name), as it does not to a phrase search. Every word is a candidate
start, so a term nested inside another ("Mansour" inside "Khaled Mansour") is still reported.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable, Sequence

from .offsets import fold, fold_text
from .patterns import LATIN_ARTICLE, WORD, Keys, same_word, spelling_words, term_keys, text_keys


@dataclass(frozen=True)
class Term:
    """A sensitive term as the scanner sees it: its key (the preferred spelling) and its variants."""
    term: str
    variants: tuple[str, ...] = ()
    category: str = "other"

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.term, *self.variants)


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a term in a text; start/end are code-point offsets into the original text.

    `matched_text == text[start:end]`. An Arabic occurrence covers its attached clitics ("بالرقة"
    whole), so redacting it never leaves a dangling "بال". `partly_redacted` marks an occurrence
    that overlaps a redaction without being inside it: part of the name is still visible.
    """
    start: int
    end: int
    matched_text: str
    term_key: str
    variant: str
    category: str = "other"
    partly_redacted: bool = False


def as_term(obj: Any) -> Term:
    """A Term from a SensitiveTerm or Authority (row or JSON dict), a Term or a bare string.

    Authorities (Raqqa, Al-Raqqah, الرقة) are accepted because their variants are exactly the
    spellings a place name must be looked for in."""
    if isinstance(obj, Term):
        return obj
    if isinstance(obj, str):
        return Term(obj)
    if isinstance(obj, dict):
        return Term(obj.get("term") or obj["label"], tuple(obj.get("variants") or ()),
                    obj.get("category") or obj.get("type") or "other")
    term = getattr(obj, "term", None) or obj.label
    category = getattr(obj, "category", None) or getattr(obj, "type", None) or "other"
    return Term(term, tuple(obj.variants or ()), category)


@dataclass(frozen=True)
class _Spelling:
    term: Term
    spelling: str
    keys: tuple[Keys, ...]     # one per word
    lead: str                  # punctuation the spelling starts with ("@" of "@handle"), folded


@dataclass(frozen=True)
class TermSet:
    """A compiled term set: reuse it to scan many texts with the same terms."""
    terms: tuple[Term, ...]
    spellings: tuple[_Spelling, ...]
    # A text word's forms -> the spellings whose first word it may be: a word is compared with a
    # handful of spellings, not with every one.
    by_form: dict[str, tuple[int, ...]]
    by_stem: dict[str, tuple[int, ...]]
    by_core: dict[str, tuple[int, ...]]

    def find(self, text: str, *, redacted: Iterable[tuple[int, int]] = ()) -> list[Occurrence]:
        return find_terms(text, self, redacted=redacted)

    def candidates(self, word: Keys) -> set[int]:
        found = set(self.by_form.get(word.form, ()))
        for s in word.stems:
            found.update(self.by_stem.get(s, ()))
        for core, _ in word.cores:
            found.update(self.by_core.get(core, ()))
        return found


@lru_cache(maxsize=64)
def _compile(terms: tuple[Term, ...]) -> TermSet:
    spellings: list[_Spelling] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for term in terms:
        for spelling in term.spellings:
            folded = fold_text(spelling)
            first = WORD.search(folded)
            lead = folded[:first.start()].strip() if first else ""
            for words in spelling_words(spelling):
                # Two spellings that fold alike ("خالد الحسن", "خالد الحَسَن") are one alternative.
                if (term.term, tuple(words)) in seen:
                    continue
                seen.add((term.term, tuple(words)))
                spellings.append(_Spelling(term, spelling, tuple(term_keys(w) for w in words), lead))
    # Longer spellings first: at one position "Khaled Mansour" wins over a term "Khaled".
    spellings.sort(key=lambda s: -len(s.keys))
    by_form: dict[str, list[int]] = {}
    by_stem: dict[str, list[int]] = {}
    by_core: dict[str, list[int]] = {}
    for i, sp in enumerate(spellings):
        first = sp.keys[0]
        by_form.setdefault(first.form, []).append(i)
        for s in first.stems:
            by_stem.setdefault(s, []).append(i)
        for core, _ in first.cores:
            by_core.setdefault(core, []).append(i)
    freeze = lambda d: {k: tuple(v) for k, v in d.items()}  # noqa: E731
    return TermSet(terms, tuple(spellings), freeze(by_form), freeze(by_stem), freeze(by_core))


def compile_terms(terms: Iterable[Any]) -> TermSet:
    """Compile terms (SensitiveTerm rows, dicts, Terms or strings) once for many scans."""
    if isinstance(terms, TermSet):
        return terms
    return _compile(tuple(as_term(t) for t in terms))


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching spans as one: adjacent redactions hide a name between them jointly."""
    merged: list[list[int]] = []
    for start, end in sorted((int(s), int(e)) for s, e in spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def _redaction_state(start: int, end: int, redacted: Sequence[tuple[int, int]]) -> str:
    for r_start, r_end in redacted:
        if r_start <= start and end <= r_end:
            return "inside"
        if r_start < end and start < r_end:
            return "partly"
    return "clear"


def _article_before(haystack: str, words: list[re.Match], i: int) -> bool:
    """Whether word i is a romanised article joined to the next word: "al-", "ar-", "el ", "al ".."""
    if i + 1 >= len(words) or not LATIN_ARTICLE.match(words[i].group()):
        return False
    gap = haystack[words[i].end():words[i + 1].start()]
    return gap in ("-", "'") or (words[i].group() in ("al", "el") and gap.isspace())


def find_terms(text: str, terms: Iterable[Any] | TermSet, *,
               redacted: Iterable[tuple[int, int]] = ()) -> list[Occurrence]:
    """Every occurrence of the terms in `text`, in text order, outside the redacted spans.

    An occurrence wholly inside a redacted span is already hidden and is left out. One that only
    overlaps a redaction is kept, marked `partly_redacted`: the part outside still shows (a
    redaction over "Khaled" leaves "Mansour" readable), which is exactly what a reviewer must see.
    """
    compiled = compile_terms(terms)
    if not compiled.spellings or not text:
        return []
    folded = fold(text)
    haystack = folded.text
    words = list(WORD.finditer(haystack))
    word_keys = [text_keys(m.group()) for m in words]
    redacted = merge_spans(redacted)
    found: list[Occurrence] = []
    for i, first in enumerate(word_keys):
        candidates = compiled.candidates(first)
        if not candidates:
            continue
        for index in sorted(candidates):
            spelling = compiled.spellings[index]
            end = _match(spelling.keys, words, word_keys, haystack, i)
            if end is None:
                continue
            f_start = words[i].start()
            if i and _article_before(haystack, words, i - 1):
                f_start = words[i - 1].start()
            if spelling.lead and haystack[f_start - len(spelling.lead):f_start] == spelling.lead:
                f_start -= len(spelling.lead)
            start, stop = folded.original_span(f_start, words[end].end())
            state = _redaction_state(start, stop, redacted)
            if state != "inside":
                term = spelling.term
                found.append(Occurrence(start, stop, text[start:stop], term.term, spelling.spelling,
                                        term.category, state == "partly"))
            break   # the longest spelling of any term at this word; nested terms start elsewhere
    return _drop_nested(found)


def _match(keys: tuple[Keys, ...], words: list[re.Match], word_keys: list[Keys], haystack: str,
           i: int) -> int | None:
    """The index of the last text word of the spelling starting at word i, or None."""
    if not same_word(word_keys[i], keys[0]):
        return None
    j = i
    for key in keys[1:]:
        j += 1
        if j < len(words) and not same_word(word_keys[j], key) and _article_before(haystack, words, j):
            j += 1   # "Khaled al-Hassan" is the name "Khaled Hassan"
        if j >= len(words) or not same_word(word_keys[j], key):
            return None
    return j


def _drop_nested(found: list[Occurrence]) -> list[Occurrence]:
    """One term matched twice in one place ("al-Raqqa" and its "Raqqa") is one occurrence."""
    found.sort(key=lambda o: (o.start, -o.end))
    kept: list[Occurrence] = []
    reach: dict[str, int] = {}
    for occ in found:
        if reach.get(occ.term_key, -1) >= occ.end:
            continue
        reach[occ.term_key] = max(reach.get(occ.term_key, -1), occ.end)
        kept.append(occ)
    return kept
