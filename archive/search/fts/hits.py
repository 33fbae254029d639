"""The best few documents of one testimony on a results page, with highlighted snippets.

FTS5's bm25() recomputes each phrase's document frequency over the whole table on every query, so
asking it to rank the segments of twenty testimonies would cost twenty scans of the index. The
segments that match are found by FTS5 within the testimony's rows (cheap: a rowid range), and
ranked here with BM25 over their analysed text, the terms' weights taken once per query.
"""
from __future__ import annotations

import math

import apsw

from ..results import SegmentHit
from ..searching import HITS_PER_TESTIMONY
from ..snippets import best_snippet
from . import store
from .translate import EVERY, NOTHING, quote

_K1, _B = 1.2, 0.75
_WEIGHT = dict(zip(store.COLUMNS, store.WEIGHTS))


class HitFinder:
    def __init__(self, conn: apsw.Connection, testimonies: int, terms: dict[str, set[str]]):
        self.conn, self.terms = conn, {c: t for c, t in terms.items() if c in store.TEXT_COLUMNS and t}
        self.analysed: dict[int, dict[str, str]] = {}  # rowid -> column -> its index terms
        self.idf = {t: self._idf(t, testimonies) for t in set().union(*self.terms.values())}
        # Segments holding any of the words: for a testimony found as a whole (its words in different segments).
        self.any_word = " OR ".join("{%s}: (%s)" % (c, " OR ".join(quote(t) for t in sorted(ts)))
                                    for c, ts in self.terms.items())

    def _idf(self, term: str, testimonies: int) -> float:
        df = next(self.conn.execute("SELECT max(doc) FROM whole_terms WHERE term = ?", (term,)))[0] or 0
        return math.log(1 + (testimonies - df + 0.5) / (df + 0.5))

    def _matching(self, expression, lo: int, hi: int) -> list[int]:
        return [r for (r,) in self.conn.execute(
            "SELECT rowid FROM seg WHERE seg MATCH ? AND rowid BETWEEN ? AND ?", (expression, lo, hi))]

    def _ranked(self, rowids: list[int]) -> list[tuple[int, float]]:
        """The rows by BM25 over their analysed text, which is kept (self.analysed) for the snippets."""
        columns = [c for c in store.TEXT_COLUMNS if c in self.terms]
        if not columns:
            return [(r, 0.0) for r in rowids]
        rows = list(self.conn.execute("SELECT rowid, %s FROM seg WHERE rowid IN (%s)"
                                      % (", ".join(columns), ", ".join("?" * len(rowids))), rowids))
        self.analysed.update((row[0], dict(zip(columns, row[1:]))) for row in rows)
        lengths = {c: [len(row[i + 1].split()) if row[i + 1] else 0 for row in rows] for i, c in enumerate(columns)}
        average = {c: (sum(v) / len(v)) or 1.0 for c, v in lengths.items()}
        scored = []
        for n, row in enumerate(rows):
            score = 0.0
            for i, column in enumerate(columns):
                text = row[i + 1]
                if not text:
                    continue
                padded, norm = " %s " % text, _K1 * (1 - _B + _B * lengths[column][n] / average[column])
                for term in self.terms[column]:
                    tf = padded.count(" %s " % term)
                    if tf:
                        score += _WEIGHT[column] * self.idf[term] * tf * (_K1 + 1) / (tf + norm)
            scored.append((row[0], score))
        return sorted(scored, key=lambda rs: (-rs[1], rs[0]))

    def hits(self, num: int, expression) -> list[SegmentHit]:
        lo, hi = num << store.DOC_BITS, (num << store.DOC_BITS) | store.MAX_DOCS
        found: list[tuple[int, float]] = []
        if expression not in (EVERY, NOTHING):
            rowids = self._matching(expression, lo, hi) or (self._matching(self.any_word, lo, hi)
                                                            if self.any_word else [])
            if rowids:
                found = self._ranked(rowids)[:HITS_PER_TESTIMONY]
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

