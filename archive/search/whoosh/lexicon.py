"""Suggestions and spelling correction drawn from one index's lexicon.

Every candidate is checked against live postings: with purge=False a
deleted document's words stay in the lexicon until the next merge, and they
must not resurface through these helpers either.
"""
from __future__ import annotations

from whoosh.reading import TermNotFound

from ..analysis import analyze_term, light_normalize
from ..schema import SPELL_FIELD, TEXT_FIELDS
from ..spelling import corrected

_MAX_SCAN = 5000


def _is_live(reader, field: str, term) -> bool:
    # In a segment without deletions every term of its lexicon belongs to a live document, so a
    # dictionary lookup answers; only segments with deletions need their postings read.
    for leaf, _ in reader.leaf_readers():
        if leaf.has_deletions():
            try:
                if leaf.postings(field, term).is_active():
                    return True
            except TermNotFound:
                pass
        elif (field, term) in leaf:
            return True
    return False


def live_terms(reader, field: str):
    for btext in reader.lexicon(field):
        if _is_live(reader, field, btext):
            yield btext.decode("utf-8")


def suggest(searcher, prefix: str, limit: int = 10) -> list[str]:
    head, _, last = (prefix or "").rstrip("*").rpartition(" ")
    last = light_normalize(last.strip())
    if not last or limit <= 0:
        return []
    reader = searcher.reader()
    found = []
    for n, btext in enumerate(reader.expand_prefix(SPELL_FIELD, last)):
        if n >= _MAX_SCAN:
            break
        if _is_live(reader, SPELL_FIELD, btext):
            found.append((-reader.doc_frequency(SPELL_FIELD, btext), btext.decode("utf-8")))
    head = head.strip()
    return [(head + " " + w if head else w) for _, w in sorted(found)[:limit]]


def _known(reader, word: str) -> bool:
    if _is_live(reader, SPELL_FIELD, light_normalize(word)):
        return True
    return any(_is_live(reader, f, analyze_term(word, "fr" if f == "text_fr" else "en")) for f in TEXT_FIELDS)


def _correct(reader, word: str) -> str | None:
    lw = light_normalize(word)
    for dist in (1, 2) if len(lw) >= 5 else (1,):
        cands = [w for w in reader.terms_within(SPELL_FIELD, lw, dist, prefix=1)
                 if w != lw and _is_live(reader, SPELL_FIELD, w)]
        if cands:
            return min(cands, key=lambda w: (-reader.doc_frequency(SPELL_FIELD, w), w))
    return None


def did_you_mean(searcher, query: str) -> str | None:
    reader = searcher.reader()
    return corrected(query, lambda word: _known(reader, word), lambda word: _correct(reader, word))
