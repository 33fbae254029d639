"""A parsed query evaluated over the postings (`search_<audience>_post`): the testimonies it finds, each
with a BM25F score, as dicts {num: score} combined by set operations.

The tree is walked by the SQLite engine's Translator, as the FTS5 expression is made from it, and it
means the same: every word is looked for in the whole testimony (an AND holds if its parts are anywhere
in it), a word's frequency is its counts per column times the column's weight (store.WEIGHTS), scored
with FTS5's bm25 (k1 1.2, b 0.75, the testimony's length in words). A word costs one index-only scan
of its postings: a row per testimony holding it. A phrase of two words, the first very common ("the
school"), is one lexeme (tables.COMMON). Any other phrase's testimonies are those holding all its words
(and pairs), then checked on their documents (tsquery by TsqueryTranslator): a narrator's, place's or
subject's on the meta document alone, others segment by segment for a few candidates, through the GIN
index for many (Reader.verify).
"""
from __future__ import annotations

import math

from ..sqlite import store
from ..sqlite.translate import Translator
from . import tables
from .translate import TsqueryTranslator, lexeme

K1, B = 1.2, 0.75
_EVERY_DOCUMENT = frozenset(("narrator", "place", "subject"))   # (archive.services.indexing.documents)
WEIGHT = dict(zip(store.COLUMNS, store.WEIGHTS))


class _Nothing(dict):
    """(Compared by identity, as the Translator does; never changed.)"""


NOTHING = _Nothing()


def all_of(parts: list[dict]) -> dict:
    parts = sorted(parts, key=len)
    out = dict(parts[0])
    for part in parts[1:]:
        if not out:
            break
        out = {n: s + part[n] for n, s in out.items() if n in part}
    return out


def any_of(parts: list[dict]) -> dict:
    out = {}
    for part in parts:
        for n, s in part.items():
            out[n] = out.get(n, 0.0) + s
    return out


class PostingsMatcher(Translator):
    NOTHING = NOTHING

    def __init__(self, reader):
        super().__init__(reader.snap.years, reader._expand)
        self.reader = reader
        self.post, self.doc = reader.post, reader.doc
        self.tsquery = TsqueryTranslator(reader.snap.years, reader._expand)

    @property
    def ALL(self):
        return dict.fromkeys(self.reader.snap.length, 0.0)

    # -- reading postings --------------------------------------------------------------------
    def _scored(self, rows) -> dict:
        """(num, weighted frequency) rows as {num: bm25}; testimonies not in the snapshot left out."""
        snap = self.reader.snap
        lengths, n = snap.length, len(snap.length)
        if not rows or not n:
            return {}
        idf = math.log((n - len(rows) + 0.5) / (len(rows) + 0.5))
        if idf <= 0:
            idf = 1e-6
        avg = snap.average_length or 1.0
        k1b, k = K1 * B / avg, K1 * (1 - B)
        out = {}
        for num, f in rows:
            length = lengths.get(num)
            if length is not None:
                out[num] = idf * f * (K1 + 1) / (f + k + k1b * length) if f else 0.0
        return out

    def _postings(self, columns_terms: list[tuple[str, str]], suffix: str = "") -> dict:
        """The testimonies holding any of these (column, term) lexemes (`suffix`: tables.PAIR, pairs)."""
        cur = self.reader.cur
        if len(columns_terms) == 1:
            column, term = columns_terms[0]
            cur.execute("SELECT num, tf * %%s FROM %s WHERE lexeme = %%s" % self.post,
                        (WEIGHT.get(column, 0.0), lexeme(column + suffix, term)))
        else:
            # Each lexeme's postings read by its index (LATERAL, OFFSET 0: never a join the planner may
            # choose to make by reading the whole table, as it does while the table's statistics are old).
            cur.execute("SELECT p.num, sum(p.tf * u.w) FROM unnest(%%s::text[], %%s::float8[]) AS u(l, w) "
                        "CROSS JOIN LATERAL (SELECT num, tf FROM %s WHERE lexeme = u.l OFFSET 0) p GROUP BY p.num"
                        % self.post,
                        ([lexeme(c + suffix, t) for c, t in columns_terms],
                         [WEIGHT.get(c, 0.0) for c, _ in columns_terms]))
        return self._scored(cur.fetchall())

    # -- the Translator's parts, as sets of testimonies ---------------------------------------
    def term_in(self, columns: list[str], term: str):
        return self._postings([(c, term) for c in columns])

    def words_in(self, columns: list[str], words: list[str], slop: int):
        if len(words) == 1:
            return self.term_in(columns, words[0])
        pairs = [a + " " + b for a, b in zip(words, words[1:]) if a in tables.COMMON] if slop <= 1 else []
        if len(words) == 2 and pairs:   # a common word and the next: one lexeme, the phrase itself
            return self._postings([(c, pairs[0]) for c in columns], tables.PAIR)
        found = all_of([self.term_in(columns, w) for w in words]
                       + [self._postings([(c, p) for c in columns], tables.PAIR) for p in pairs])
        if not found:
            return found
        by_num = self.reader.snap.accession
        candidates = [by_num[n] for n in found]
        # A narrator's, a place's or a subject's words are the same in every document of a testimony
        # (the meta document's places hold the segments'): its meta document alone is checked for them.
        meta = [c for c in columns if c in _EVERY_DOCUMENT]
        rest = [c for c in columns if c not in _EVERY_DOCUMENT]
        held = set(self.reader.verify(self.tsquery.words_in(meta, words, slop), candidates, True)) if meta else set()
        left = [a for a in candidates if a not in held]
        if rest and left:
            held.update(self.reader.verify(self.tsquery.words_in(rest, words, slop), left))
        num = self.reader.snap.num
        return {num[a]: found[num[a]] for a in held if a in num and num[a] in found}

    def prefix_in(self, column: str, prefix: str):
        cur = self.reader.cur
        low = lexeme(column, prefix)
        cur.execute("SELECT num, sum(tf) * %%s FROM %s WHERE lexeme >= %%s AND lexeme < %%s GROUP BY num"
                    % self.post, (WEIGHT.get(column, 0.0), low, low + "\U0010ffff"))
        return self._scored(cur.fetchall())

    def any_in(self, column: str, terms: list[str]):
        return self._postings([(column, t) for t in terms])

    def all_of(self, parts: list):
        return all_of(parts)

    def any_of(self, parts: list):
        return any_of(parts)

    def but_not(self, positives: list, negatives: list):
        kept = all_of(positives) if positives else self.ALL
        gone = set().union(*negatives)
        return {n: s for n, s in kept.items() if n not in gone}
