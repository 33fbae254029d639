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


_SELECT = "SELECT rowid, %s FROM seg WHERE rowid BETWEEN ? AND ?" % ", ".join(store.COLUMNS)


class _Words:
    """One column's terms as the index holds them (space-separated): a term is in it if the padded
    string holds it between spaces, which C finds faster than Python splits the text into a set."""
    __slots__ = ("padded", "_set")

    def __init__(self, text: str | None):
        self.padded = " %s " % text if text else ""
        self._set: frozenset | None = None

    def holds_any(self, terms: frozenset) -> bool:
        """For a wildcard's hundreds of terms a set of the column's terms, made once, is quicker."""
        if self._set is None:
            self._set = frozenset(self.padded.split())
        return not terms.isdisjoint(self._set)

    def __contains__(self, term: str) -> bool:
        return (" %s " % term) in self.padded

    def has_prefix(self, prefix: str) -> bool:
        return (" " + prefix) in self.padded


class _Terms(dict):
    """A segment's terms per column (translate.Row), made on first use: a test reads a few columns."""

    def __init__(self, text: dict[str, str]):
        super().__init__()
        self.text = text

    def __missing__(self, column: str) -> _Words:
        value = self[column] = _Words(self.text[column])
        return value


class HitFinder:
    def __init__(self, conn: apsw.Connection, testimonies: int, terms: dict[str, set[str]]):
        self.conn, self.terms = conn, {c: t for c, t in terms.items() if c in store.TEXT_COLUMNS and t}
        self.analysed: dict[int, dict[str, str]] = {}  # rowid -> column -> its index terms
        self.idf = {t: self._idf(t, testimonies) for t in set().union(*self.terms.values())}

    def _idf(self, term: str, testimonies: int) -> float:
        df = next(self.conn.execute("SELECT max(doc) FROM whole_terms WHERE term = ?", (term,)))[0] or 0
        return math.log(1 + (testimonies - df + 0.5) / (df + 0.5))

    def _any_word(self, row: _Terms) -> bool:
        """Holds any of the words: for a testimony found as a whole (its words in different segments)."""
        return any(w in row[c] for c, words in self.terms.items() for w in words)

    def _ranked(self, rows: dict[int, _Terms]) -> list[tuple[int, float]]:
        """The rows by BM25 over their analysed text, which is kept (self.analysed) for the snippets."""
        columns = [c for c in store.TEXT_COLUMNS if c in self.terms]
        if not columns:
            return [(r, 0.0) for r in rows]
        self.analysed.update((rowid, {c: row.text[c] for c in columns}) for rowid, row in rows.items())
        lengths = {c: [len(row.text[c].split()) if row.text[c] else 0 for row in rows.values()] for c in columns}
        average = {c: (sum(v) / len(v)) or 1.0 for c, v in lengths.items()}
        scored = []
        for n, (rowid, row) in enumerate(rows.items()):
            score = 0.0
            for column in columns:
                text = row.text[column]
                if not text:
                    continue
                padded, norm = " %s " % text, _K1 * (1 - _B + _B * lengths[column][n] / average[column])
                for term in self.terms[column]:
                    tf = padded.count(" %s " % term)
                    if tf:
                        score += _WEIGHT[column] * self.idf[term] * tf * (_K1 + 1) / (tf + norm)
            scored.append((rowid, score))
        return sorted(scored, key=lambda rs: (-rs[1], rs[0]))

    def hits(self, num: int, test) -> list[SegmentHit]:
        """`test`: SegmentMatcher's test of a segment, or EVERY."""
        lo, hi = num << store.DOC_BITS, (num << store.DOC_BITS) | store.MAX_DOCS
        found: list[tuple[int, float]] = []
        if test is not EVERY and test is not SegmentMatcher.NOTHING:
            rows = {row[0]: _Terms(dict(zip(store.COLUMNS, row[1:]))) for row in self.conn.execute(_SELECT, (lo, hi))}
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
            'SELECT rowid, doc_id, kind, seq, transcript, start, "end", title, summary, text, text_fr'
            " FROM doc WHERE rowid IN (%s)" % ", ".join("?" * len(found)), [r for r, _ in found])} if found else {}
        hits = []
        for rowid, _ in found:
            if rowid not in rows:
                continue
            _, doc_id, kind, seq, transcript, start, end, title, summary, text, text_fr = rows[rowid]
            stored = {"title": title, "summary": summary, "text": text, "text_fr": text_fr}
            hits.append(SegmentHit(doc_id=doc_id, kind=kind, seq=seq if seq is not None else -1,
                                   transcript=transcript or "", start=start, end=end, title=title or "",
                                   snippet_html=best_snippet(kind, stored, self.terms, self.analysed.get(rowid)),
                                   score=scores[rowid]))
        return hits

