"""The best few documents of one testimony on a results page, with highlighted snippets.

The testimony's segments are read from `seg` (their terms per column) and tested against the query
in Python (translate.SegmentMatcher); those that match are ranked here with BM25 over their analysed
text, the terms' weights taken once per query from `whole`'s vocabulary.
"""
from __future__ import annotations

import math

import apsw

from ..results import HITS_PER_TESTIMONY, SegmentHit
from ..snippets import best_snippet
from . import store
from .translate import EVERY, SegmentMatcher

_K1, _B = 1.2, 0.75
_WEIGHT = dict(zip(store.COLUMNS, store.WEIGHTS))


# Each column padded with spaces by SQLite ("" when empty): a term is in it if " term " is.
_SELECT = "SELECT rowid, %s FROM seg WHERE rowid BETWEEN ? AND ?" % ", ".join(
    "coalesce(' ' || nullif(%s, '') || ' ', '')" % c for c in store.COLUMNS)


class _Terms(dict):
    """A segment's terms per column as the index holds them (space-separated), each padded with a
    space at both ends: a term is in a column if the padded string holds " term ", which C finds
    faster than Python splits the text into a set (translate.SegmentMatcher tests rows so)."""
    __slots__ = ("_sets",)

    def __init__(self, text, padded: bool = False):
        super().__init__(text if padded else ((c, " %s " % t if t else "") for c, t in dict(text).items()))
        self._sets: dict[str, frozenset] | None = None

    def words(self, column: str) -> frozenset:
        """The column's terms as a set, made once: for a wildcard's hundreds of terms it is quicker."""
        if self._sets is None:
            self._sets = {}
        found = self._sets.get(column)
        if found is None:
            found = self._sets[column] = frozenset(self[column].split())
        return found


class HitFinder:
    def __init__(self, conn: apsw.Connection, testimonies: int, terms: dict[str, set[str]]):
        self.conn, self.terms = conn, {c: t for c, t in terms.items() if c in store.TEXT_COLUMNS and t}
        self.analysed: dict[int, dict[str, str]] = {}  # rowid -> column -> its index terms
        self.idf = {t: self._idf(t, testimonies) for t in set().union(*self.terms.values())}
        # Per column: (" term ", its weight in a score), made once a page.
        self.padded = {c: [(" %s " % t, _WEIGHT[c] * self.idf[t]) for t in terms] for c, terms in self.terms.items()}

    def _idf(self, term: str, testimonies: int) -> float:
        df = next(self.conn.execute("SELECT max(doc) FROM whole_terms WHERE term = ?", (term,)))[0] or 0
        return math.log(1 + (testimonies - df + 0.5) / (df + 0.5))

    def _any_word(self, row: _Terms) -> bool:
        """Holds any of the words: for a testimony found as a whole (its words in different segments)."""
        return any(p in row[c] for c, padded in self.padded.items() for p, _ in padded)

    def _ranked(self, rows: dict[int, _Terms]) -> list[tuple[int, float]]:
        """The rows by BM25 over their analysed text, which is kept (self.analysed) for the snippets."""
        columns = [c for c in store.TEXT_COLUMNS if c in self.terms]
        if not columns:
            return [(r, 0.0) for r in rows]
        self.analysed.update((rowid, {c: row[c] for c in columns}) for rowid, row in rows.items())
        # Terms are one space apart: a padded column of n terms holds n + 1 spaces.
        lengths = {c: [row[c].count(" ") - 1 if row[c] else 0 for row in rows.values()] for c in columns}
        average = {c: (sum(v) / len(v)) or 1.0 for c, v in lengths.items()}
        scored = []
        for n, (rowid, row) in enumerate(rows.items()):
            score = 0.0
            for column in columns:
                padded = row[column]
                if not padded:
                    continue
                norm = _K1 * (1 - _B + _B * lengths[column][n] / average[column])
                for term, weight in self.padded[column]:
                    tf = padded.count(term)
                    if tf:
                        score += weight * tf * (_K1 + 1) / (tf + norm)
            scored.append((rowid, score))
        return sorted(scored, key=lambda rs: (-rs[1], rs[0]))

    def hits(self, num: int, test) -> list[SegmentHit]:
        """`test`: SegmentMatcher's test of a segment, or EVERY."""
        lo, hi = num << store.DOC_BITS, (num << store.DOC_BITS) | store.MAX_DOCS
        found: list[tuple[int, float]] = []
        if test is not EVERY and test is not SegmentMatcher.NOTHING:
            rows = {row[0]: _Terms(zip(store.COLUMNS, row[1:]), padded=True)
                    for row in self.conn.execute(_SELECT, (lo, hi))}
            matched = {r: row for r, row in rows.items() if test(row)} \
                or {r: row for r, row in rows.items() if self._any_word(row)}
            if matched:
                found = self._ranked(matched)[:HITS_PER_TESTIMONY]
        if not found:
            found = [(r, 0.0) for (r,) in self.conn.execute(
                "SELECT rowid FROM doc WHERE rowid BETWEEN ? AND ? ORDER BY rowid LIMIT %d"
                % HITS_PER_TESTIMONY, (lo, hi))]
        scores = dict(found)
        rows = {row[0]: row for row in self.conn.execute(
            "SELECT rowid, %s FROM doc WHERE rowid IN (%s)" % (store._DOC_COLUMNS, ", ".join("?" * len(found))),
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

