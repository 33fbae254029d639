"""Finding sensitive terms (names, places, handles) in a text, in every script and spelling.

A term set is compiled once (one alternation per possible first character, see `patterns`) and
run over the folded text (see `offsets.fold`) in one pass. Every word start is a candidate, so a
term nested inside another ("Mansour" inside "Khaled Mansour") is still reported as its own term.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable, Sequence

from .offsets import fold, fold_text
from .patterns import SpellingPattern, lead_for, spelling_pattern


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
class TermSet:
    """A compiled term set: reuse it to scan many texts with the same terms."""
    terms: tuple[Term, ...]
    # For each character a match can begin with, one alternation of the spellings that can begin
    # with it: a word is tried against a handful of branches, not against every spelling.
    by_first: dict[str, re.Pattern]
    starts: re.Pattern | None              # where a match may begin: word starts, "@", "#" ...
    groups: tuple[tuple[Term, str], ...]   # group name "v<i>" -> (term, spelling)

    def find(self, text: str, *, redacted: Iterable[tuple[int, int]] = ()) -> list[Occurrence]:
        return find_terms(text, self, redacted=redacted)


@lru_cache(maxsize=64)
def _compile(terms: tuple[Term, ...]) -> TermSet:
    seen: set[tuple[str, str, str]] = set()
    spellings: list[tuple[int, SpellingPattern, Term, str]] = []
    for term in terms:
        for spelling in term.spellings:
            pattern = spelling_pattern(spelling)
            # Two spellings that fold alike ("خالد الحسن", "خالد الحَسَن") are one alternative.
            if pattern is None or (term.term, pattern.kind, pattern.body) in seen:
                continue
            seen.add((term.term, pattern.kind, pattern.body))
            spellings.append((len(fold_text(spelling)), pattern, term, spelling))
    # Python's alternation takes the first branch that matches, so longer spellings go first:
    # at one position "Khaled Mansour" wins over a term "Khaled".
    spellings.sort(key=lambda s: -s[0])
    branches: dict[str, dict[str, list[str]]] = {}
    for i, (_, pattern, _, _) in enumerate(spellings):
        for ch in pattern.starts_with:
            branches.setdefault(ch, {}).setdefault(pattern.kind, []).append(
                f"(?P<v{i}>{pattern.body})")
    by_first = {ch: re.compile("|".join(f"{lead_for(kind)}(?:{'|'.join(alts)})"
                                        for kind, alts in kinds.items()))
                for ch, kinds in branches.items()}
    punct = "".join(sorted(ch for ch in branches if not ch.isalnum() and ch != "_"))
    starts = None
    if branches:
        starts = re.compile(r"(?<!\w)\w" + (f"|[{re.escape(punct)}]" if punct else ""))
    groups = tuple((term, spelling) for *_, term, spelling in spellings)
    return TermSet(terms, by_first, starts, groups)


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


def find_terms(text: str, terms: Iterable[Any] | TermSet, *,
               redacted: Iterable[tuple[int, int]] = ()) -> list[Occurrence]:
    """Every occurrence of the terms in `text`, in text order, outside the redacted spans.

    An occurrence wholly inside a redacted span is already hidden and is left out. One that only
    overlaps a redaction is kept, marked `partly_redacted`: the part outside still shows (a
    redaction over "Khaled" leaves "Mansour" readable), which is exactly what a reviewer must see.
    """
    compiled = compile_terms(terms)
    if compiled.starts is None or not text:
        return []
    folded = fold(text)
    haystack = folded.text
    by_first = compiled.by_first
    redacted = merge_spans(redacted)
    found: list[Occurrence] = []
    for candidate in compiled.starts.finditer(haystack):
        pos = candidate.start()
        branch = by_first.get(haystack[pos])
        m = branch.match(haystack, pos) if branch is not None else None
        if m is None:
            continue
        name = m.lastgroup
        f_start, f_end = m.span()
        term, spelling = compiled.groups[int(name[1:])]
        start, end = folded.original_span(f_start, f_end)
        state = _redaction_state(start, end, redacted)
        if state == "inside":
            continue
        found.append(Occurrence(start, end, text[start:end], term.term, spelling, term.category,
                                state == "partly"))
    return _drop_nested(found)


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
