"""The best few documents of one testimony on a results page, with highlighted snippets.

The testimony's segments are read from `seg` (their terms per column, only the columns the query and
the ranking use) as plain tuples and tested against the query in Python (translate.SegmentMatcher);
those that match are ranked here with BM25 over their analysed text, the terms' weights taken once per
query from `whole`'s vocabulary. Snippets are cut from the display text by the word offsets `doc`
holds and the segment's terms read for the ranking: no text is tokenised or analysed here.
"""
from __future__ import annotations

import math

import apsw

from ..results import HITS_PER_TESTIMONY, SegmentHit
from ..snippets import best_snippet
from . import store
from .translate import AT, EVERY, SegmentMatcher, Segments

_K1, _B = 1.2, 0.75
_WEIGHT = dict(zip(store.COLUMNS, store.WEIGHTS))
_DOC_SELECT = "SELECT rowid, %s FROM doc WHERE rowid IN (%%s)" % store._DOC_COLUMNS


def _select(columns: frozenset) -> str:
    """The segments of a testimony as translate.Row tuples: the asked columns padded with spaces by
    SQLite ("" when empty), the others "" (their text is neither copied nor made a Python string)."""
    return "SELECT rowid, %s FROM seg WHERE rowid BETWEEN ? AND ?" % ", ".join(
        "coalesce(' ' || nullif(%s, '') || ' ', '')" % c if c in columns else "''" for c in store.COLUMNS)


class HitFinder:
    def __init__(self, conn: apsw.Connection, testimonies: int, terms: dict[str, set[str]]):
        self.conn, self.terms = conn, {c: t for c, t in terms.items() if c in store.TEXT_COLUMNS and t}
        self.analysed: dict[int, dict[str, str]] = {}  # rowid -> column -> its index terms
        self.idf = {t: self._idf(t, testimonies) for t in set().union(*self.terms.values())}
        # The ranked columns in store's order, each as (its place in a Row, its name, [(" term ", its
        # weight in a score)]), made once a page.
        self.ranked = [(AT[c], c, [(" %s " % t, _WEIGHT[c] * self.idf[t]) for t in self.terms[c]])
                       for c in store.TEXT_COLUMNS if c in self.terms]
        self._selects: dict[frozenset, str] = {}

    def _idf(self, term: str, testimonies: int) -> float:
        df = next(self.conn.execute("SELECT max(doc) FROM whole_terms WHERE term = ?", (term,)))[0] or 0
        return math.log(1 + (testimonies - df + 0.5) / (df + 0.5))

    def _any_word(self, row: tuple) -> bool:
        """Holds any of the words: for a testimony found as a whole (its words in different segments)."""
        return any(p in row[at] for at, _, padded in self.ranked for p, _ in padded)

    def _ranked(self, rows: list[tuple]) -> list[tuple[int, float]]:
        """The rows by BM25 over their analysed text."""
        if not self.ranked:
            return [(row[0], 0.0) for row in rows]
        # Each row's score sums its columns' terms in the same order, whichever loop is outside.
        scores = [0.0] * len(rows)
        for at, _, padded in self.ranked:
            texts = [row[at] for row in rows]
            joined = "\n".join(texts)  # (a padded term cannot span two texts)
            norms = None
            for term, weight in padded:
                if term not in joined:
                    continue
                counts = [text.count(term) for text in texts]
                if not any(counts):
                    continue
                if norms is None:
                    # Terms are one space apart: a padded column of n terms holds n + 1 spaces.
                    lengths = [text.count(" ") - 1 if text else 0 for text in texts]
                    average = (sum(lengths) / len(lengths)) or 1.0
                    norms = [_K1 * (1 - _B + _B * length / average) for length in lengths]
                for n, tf in enumerate(counts):
                    if tf:
                        scores[n] += weight * tf * (_K1 + 1) / (tf + norms[n])
        return sorted(((row[0], score) for row, score in zip(rows, scores)), key=lambda rs: (-rs[1], rs[0]))

    def hits(self, num: int, test, columns: frozenset = frozenset()) -> list[SegmentHit]:
        """`test`: SegmentMatcher's test of a segment, or EVERY; `columns`: those the test reads."""
        lo, hi = num << store.DOC_BITS, (num << store.DOC_BITS) | store.MAX_DOCS
        found: list[tuple[int, float]] = []
        if test is not EVERY and test is not SegmentMatcher.NOTHING:
            select = self._selects.get(columns)
            if select is None:
                select = self._selects[columns] = _select(columns | self.terms.keys())
            rows = Segments(self.conn.execute(select, (lo, hi)))
            matched = [rows[i] for i in sorted(test(rows))] or [row for row in rows if self._any_word(row)]
            if matched:
                found = self._ranked(matched)[:HITS_PER_TESTIMONY]
                # The shown rows' analysed text, for their snippets.
                shown = dict(found)
                self.analysed.update((row[0], {c: row[at] for at, c, _ in self.ranked})
                                     for row in matched if row[0] in shown)
        if not found:
            found = [(r, 0.0) for (r,) in self.conn.execute(
                "SELECT rowid FROM doc WHERE rowid BETWEEN ? AND ? ORDER BY rowid LIMIT %d"
                % HITS_PER_TESTIMONY, (lo, hi))]
        scores = dict(found)
        rows = {row[0]: row for row in self.conn.execute(_DOC_SELECT % ", ".join("?" * len(found)),
                                                         [r for r, _ in found])} if found else {}
        hits = []
        for rowid, _ in found:
            if rowid not in rows:
                continue
            _, doc_id, kind, seq, transcript, start, end, *shown = rows[rowid]
            title = shown[0]
            stored, offsets = dict(zip(store.DISPLAYED, shown)), dict(zip(store.DISPLAYED, shown[4:]))
            hits.append(SegmentHit(doc_id=doc_id, kind=kind, seq=seq if seq is not None else -1,
                                   transcript=transcript or "", start=start, end=end, title=title or "",
                                   snippet_html=best_snippet(kind, stored, self.terms, self.analysed.get(rowid),
                                                             offsets),
                                   score=scores[rowid]))
        return hits
