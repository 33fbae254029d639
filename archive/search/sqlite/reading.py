"""Searching one audience's FTS5 index: the page of results, facets, suggestions, "did you mean".

A page is three steps: one MATCH over `whole` (a row per testimony) gives the testimonies found and
their BM25F scores, which order them and whose facet values (held in memory per index generation)
are counted; then, for the page's testimonies only, each testimony's segments are tested against the
query (translate.SegmentMatcher) and the best of them ranked, their display text highlighted.
"""
from __future__ import annotations

import json
from collections import Counter
from itertools import chain, repeat
from dataclasses import dataclass, field

import apsw
from rapidfuzz import process
from rapidfuzz.distance import OSA
from whoosh import query as wq

from ..analysis import analyze_term, light_normalize, text_analyzer
from ..expansion import Expander
from ..spelling import corrected
from ..query import QueryError, build_filter, parse
from ..results import SearchResult, TestimonyHit, check_sort, empty_result
from ..schema import FACET_FIELDS, TEXT_FIELDS, make_schema
from . import store
from .hits import HitFinder
from .translate import EVERY, NOTHING, SegmentMatcher, Translator, positive_terms

_SCHEMA = make_schema()  # the query parser's analysers, per field
_MAX_SCAN = 5000
_EXPANSION = 1000  # index terms a wildcard or a range may stand for, per column
_WEIGHTS = ", ".join(str(w) for w in store.WEIGHTS)
_ANALYSERS = {"en": text_analyzer("en"), "fr": text_analyzer("fr")}


_FULL_RELOAD = 500  # testimonies changed since the last snapshot beyond which it is read anew
_COLUMNS = "num, accession, title, year, year_from, year_to, facets, fingerprint"


@dataclass
class Snapshot:
    """What a search needs in memory about the testimonies of one index generation."""
    generation: int
    accession: dict[int, str] = field(default_factory=dict)
    title: dict[int, str] = field(default_factory=dict)
    year: dict[int, int] = field(default_factory=dict)
    span: dict[int, tuple[int, int]] = field(default_factory=dict)  # EDTF years: first, last
    stamp: dict[int, str] = field(default_factory=dict)  # each testimony's fingerprint when read
    # Per facet, each testimony's values: counted over thousands of matches with C-speed Counters.
    facets: dict[str, dict[int, list[str]]] = field(default_factory=lambda: {k: {} for k in FACET_FIELDS})
    years: set[int] = field(default_factory=set)

    def _drop(self, num: int) -> None:
        for held in (self.accession, self.title, self.year, self.span, self.stamp, *self.facets.values()):
            held.pop(num, None)

    def _add(self, row) -> None:
        num, accession, title, year, lo, hi, facets, fingerprint = row
        self.accession[num], self.title[num], self.stamp[num] = accession, title, fingerprint
        if year is not None:
            self.year[num] = year
        if lo is not None and hi is not None:
            self.span[num] = (lo, min(hi, lo + 200))
        for key, values in json.loads(facets).items():
            if key in self.facets:
                self.facets[key][num] = values

    def _count_years(self) -> None:
        self.years = set(self.year.values())
        for lo, hi in set(self.span.values()):
            self.years.update(range(lo, hi + 1))

    def copy(self, generation: int) -> "Snapshot":
        return Snapshot(generation, dict(self.accession), dict(self.title), dict(self.year), dict(self.span),
                        dict(self.stamp), {k: dict(v) for k, v in self.facets.items()})


def snapshot(conn: apsw.Connection, previous: Snapshot | None = None) -> Snapshot:
    """The testimonies of the index's current generation. Given the snapshot of an earlier generation,
    only the testimonies written since are read again (found by their fingerprints), so the first search
    after a redaction or a withdrawal does not re-read every testimony's facets."""
    generation = store.generation(conn)
    if previous is not None:
        stamps = dict(conn.execute("SELECT num, fingerprint FROM testimony"))
        changed = [num for num, stamp in stamps.items() if previous.stamp.get(num) != stamp]
        gone = previous.stamp.keys() - stamps.keys()
        if len(changed) + len(gone) <= _FULL_RELOAD:
            snap = previous.copy(generation)
            for num in chain(gone, changed):
                snap._drop(num)
            if changed:
                for row in conn.execute("SELECT %s FROM testimony WHERE num IN (%s)"
                                        % (_COLUMNS, ", ".join("?" * len(changed))), changed):
                    snap._add(row)
            snap._count_years()
            return snap
    snap = Snapshot(generation)
    for row in conn.execute("SELECT %s FROM testimony" % _COLUMNS):
        snap._add(row)
    snap._count_years()
    return snap


class Reader:
    def __init__(self, conn: apsw.Connection, snap: Snapshot):
        self.conn, self.snap = conn, snap
        self.translate = Translator(snap.years, self._expand)
        self.segment_test = SegmentMatcher(snap.years, self._expand)
        self._expander: tuple = (None, None)
        self._expansions: dict[tuple, dict[str, list[str]]] = {}

    def expander(self, variants: list[list[str]] | None) -> Expander:
        """The name-variant expander for these groups (the search service hands the same list until
        its groups change), made once: it keys every name of every authority record."""
        if self._expander[0] is not variants:
            self._expander = (variants, Expander(variants or [], self.present))
        return self._expander[1]

    # -- vocabulary ----------------------------------------------------------
    def _expand(self, column: str, glob: str | None, low: str, high: str) -> list[str]:
        """A column's index terms in [low, high) matching glob, the first _EXPANSION of them.

        fts5vocab reads each term's postings to count them and cannot skip to a column, so one pass
        over the range serves every column, and both translations of the query (the page and its
        segments), from a small cache of this index generation's expansions."""
        key = (glob, low, high)
        found = self._expansions.get(key)
        if found is None:
            sql, args = "SELECT term, col FROM whole_terms WHERE 1", []
            if low:
                sql, args = sql + " AND term >= ?", args + [low]
            if high:
                sql, args = sql + " AND term < ?", args + [high]
            if glob:
                sql, args = sql + " AND term GLOB ?", args + [glob]
            found = {}
            for term, col in self.conn.execute(sql, args):
                terms = found.setdefault(col, [])
                if len(terms) < _EXPANSION:
                    terms.append(term)
                elif all(len(found.get(c, ())) >= _EXPANSION for c in store.TEXT_COLUMNS):
                    break
            if len(self._expansions) >= 64:
                self._expansions.clear()
            self._expansions[key] = found
        return found.get(column, [])

    def _expand_prefix(self, column: str, prefix: str) -> list[str]:
        return self._expand(column, None, prefix, prefix + "\U0010ffff")[:200]

    def has_term(self, column: str, term: str) -> bool:
        return next(self.conn.execute("SELECT 1 FROM whole_terms WHERE term = ? AND col = ? LIMIT 1",
                                      (term, column)), None) is not None

    def present(self, name: str) -> bool:
        """Does this name occur (every word of it) in the index's text? (for Expander)"""
        for column in TEXT_FIELDS:
            analyser = _ANALYSERS["fr" if column == "text_fr" else "en"]
            words = [t.text for t in analyser(name)]
            if words and all(self.has_term(column, w) for w in words):
                return True
        return False

    # -- the page ------------------------------------------------------------
    def search(self, text: str, filters, page: int, pagesize: int, sort: str, expander) -> SearchResult:
        result = empty_result(text, page, pagesize, sort)
        page, pagesize = result.page, result.pagesize
        try:
            check_sort(sort)
            q, result.expanded = parse(_SCHEMA, text, expander)
            flt = build_filter(filters)
            whole = q if flt is None else (flt if isinstance(q, wq.Every) else wq.And([q, flt]))
            expression = self.translate(whole)
            scores = self._match(expression)
        except QueryError as exc:
            result.error = str(exc)
            return result
        except apsw.SQLError as exc:
            result.error = "Could not understand the query (%s)." % exc
            return result
        scored = not isinstance(q, wq.Every)
        result.facets = self._facets(scores)
        order = self._order(scores, sort, scored)
        result.total = len(order)
        shown = order[(page - 1) * pagesize: page * pagesize]
        if not shown:
            return result
        finder = HitFinder(self.conn, len(self.snap.accession),
                           positive_terms(q, self._expand_prefix) if scored else {})
        segment_test, columns = self.segment_test.test(q) if scored else (EVERY, frozenset())
        for num in shown:
            result.testimonies.append(TestimonyHit(self.snap.accession[num], self.snap.title[num],
                                                   scores[num], finder.hits(num, segment_test, columns)))
        return result

    def browse(self, filters, page: int, pagesize: int) -> SearchResult:
        """Every testimony (within `filters`) by accession id, from the snapshot held in memory: facet
        counts of all, ids and titles of the page, no segment read."""
        result = empty_result("", page, pagesize, "accession")
        try:
            flt = build_filter(filters)
            scores = self._match(EVERY if flt is None else self.translate(flt))
        except QueryError as exc:
            result.error = str(exc)
            return result
        result.facets = self._facets(scores)
        order = self._order(scores, "accession", False)
        result.total = len(order)
        for num in order[(result.page - 1) * result.pagesize: result.page * result.pagesize]:
            result.testimonies.append(TestimonyHit(self.snap.accession[num], self.snap.title[num], 0.0, []))
        return result

    def _match(self, expression) -> dict[int, float]:
        if expression is EVERY:
            return dict.fromkeys(self.snap.accession, 0.0)
        if expression == NOTHING:
            return {}
        # bm25() is lower for better matches.
        scores = dict(self.conn.execute("SELECT rowid, -bm25(whole, %s) FROM whole WHERE whole MATCH ?"
                                        % _WEIGHTS, (expression,)))
        for num in scores.keys() - self.snap.accession.keys():  # written since the snapshot was read
            del scores[num]
        return scores

    def _facets(self, scores: dict[int, float]) -> dict[str, list[tuple[str, int]]]:
        out = {}
        for key, values in self.snap.facets.items():
            counts = Counter(chain.from_iterable(map(values.get, scores, repeat(()))))
            out[key] = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return out

    def _order(self, scores: dict[int, float], sort: str, scored: bool) -> list[int]:
        accession = self.snap.accession
        if sort == "accession" or (sort == "relevance" and not scored):
            return sorted(scores, key=accession.__getitem__)
        if sort in ("date", "-date"):
            years = self.snap.year
            dated = sorted((n for n in scores if n in years), key=lambda n: (years[n], accession[n]),
                           reverse=sort == "-date")
            return dated + sorted((n for n in scores if n not in years), key=accession.__getitem__)
        return sorted(scores, key=lambda n: (-scores[n], accession[n]))

    # -- words ---------------------------------------------------------------
    def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        head, _, last = (prefix or "").rstrip("*").rpartition(" ")
        last = light_normalize(last.strip())
        if not last or limit <= 0:
            return []
        found = sorted((-doc, term) for term, doc in self.conn.execute(
            "SELECT word, docs FROM spell WHERE word >= ? AND word < ? LIMIT %d" % _MAX_SCAN,
            (last, last + "\U0010ffff")))
        head = head.strip()
        return [(head + " " + w if head else w) for _, w in found[:limit]]

    def _spelt(self, word: str) -> bool:
        return next(self.conn.execute("SELECT 1 FROM spell WHERE word = ?", (word,)), None) is not None

    def _known(self, word: str) -> bool:
        if self._spelt(light_normalize(word)):
            return True
        return any(self.has_term(c, analyze_term(word, "fr" if c == "text_fr" else "en")) for c in TEXT_FIELDS)

    def _correct(self, word: str) -> str | None:
        lw = light_normalize(word)
        longest = 2 if len(lw) >= 5 else 1
        candidates = list(self.conn.execute(
            "SELECT word, docs FROM spell WHERE word >= ? AND word < ? AND length(word) BETWEEN ? AND ?",
            (lw[0], lw[0] + "\U0010ffff", len(lw) - longest, len(lw) + longest)))
        return nearest(lw, candidates, longest)

    def did_you_mean(self, query: str) -> str | None:
        return corrected(query, self._known, self._correct)

    def live_values(self, field_name: str) -> set[str]:
        key = next((k for k, f in FACET_FIELDS.items() if f == field_name), None)
        if key is None:
            raise ValueError("no such field %r" % field_name)
        return set(chain.from_iterable(self.snap.facets[key].values()))


def nearest(word: str, candidates: list[tuple[str, int]], limit: int) -> str | None:
    """The candidate (term, testimonies holding it) nearest to `word` within `limit` edits, a swap of
    neighbours counting as one (as in "sodliers"); at equal distance the most frequent. A typo search
    compares thousands of words: rapidfuzz measures them in C."""
    found = process.extract(word, [term for term, _ in candidates], scorer=OSA.distance,
                            score_cutoff=limit, limit=None)
    best = [(distance, -candidates[i][1], term) for term, distance, i in found if term != word]
    return min(best)[2] if best else None
