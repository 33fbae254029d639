"""A parsed query (the Whoosh query tree that archive.search.query builds) as an FTS5 MATCH expression.

The query language, its parser and its analysers stay the archive's own; this module only says the
same thing in FTS5's syntax. Filters on collections, places, languages, roles and years become terms
of the `keys` column (see store.key), so one expression answers text and filters together.

`SegmentMatcher` walks the query the same way but says it as a Python test of one segment's terms:
segments are a plain table (purged by zeroing rows, not by rewriting an FTS5 index), and a results
page tests the few hundred segments of its twenty testimonies.
"""
from __future__ import annotations

from typing import Callable, Iterable

from whoosh import query as wq

from ..query import QueryError
from . import store

EVERY = None  # no MATCH at all: every testimony
NOTHING = '{keys}: "knothing"'  # a key no row holds
_ALL = '{keys}: "%s"' % store.ALL
_FIELD_KEYS = {"collection": "collection", "languages": "languages", "places": "places",
               "subjects": "subjects", "roles": "roles", "has_audio": "has_audio", "lang": "lang"}
_MAX_EXPANSION = 200


def quote(term: str) -> str:
    return '"%s"' % term.replace('"', '""')


class Translator:
    """`years`: the years some testimony's interview may fall in (open ranges stop at them);
    `expand(column, glob, low, high)`: index terms of a column for wildcards and term ranges."""

    def __init__(self, years: Iterable[int], expand: Callable[[str, str | None, str, str], list[str]],
                 phrases: bool = True):
        self.years = sorted(set(years))
        self.expand = expand
        # False for a table without positions: a phrase becomes all of its words.
        self.phrases = phrases

    def __call__(self, q: wq.Query):
        return self._node(q)

    # -- leaves ------------------------------------------------------------
    def _column(self, name: str) -> str:
        if name not in store.TEXT_COLUMNS:
            raise QueryError("Unknown field %r: use title:, narrator:, place:, subject:, lang:, "
                             "collection:, role: or year:." % name)
        return name

    # The expression's parts; SegmentMatcher says each as a test instead.
    NOTHING, ALL = NOTHING, _ALL

    def term_in(self, columns: list[str], term: str):
        return "{%s}: %s" % (" ".join(columns), quote(term))

    def words_in(self, columns: list[str], words: list[str], slop: int):
        column = " ".join(columns)
        if not self.phrases:
            return "{%s}: (%s)" % (column, " AND ".join(quote(w) for w in words))
        if slop > 1 and len(words) > 1:
            return "{%s}: NEAR(%s, %d)" % (column, " ".join(quote(w) for w in words), slop - 1)
        return "{%s}: %s" % (column, quote(" ".join(words)))

    def prefix_in(self, column: str, prefix: str):
        return "{%s}: %s *" % (column, quote(prefix))

    def any_in(self, column: str, terms: list[str]):
        return "{%s}: (%s)" % (column, " OR ".join(quote(t) for t in terms))

    def all_of(self, parts: list):
        return "(%s)" % " AND ".join(parts)

    def any_of(self, parts: list):
        return "(%s)" % " OR ".join(parts)

    def but_not(self, positives: list, negatives: list):
        return "((%s) NOT (%s))" % (" AND ".join(positives) if positives else self.ALL, " OR ".join(negatives))

    # -- leaves ------------------------------------------------------------
    def _term(self, q: wq.Term):
        if q.fieldname in _FIELD_KEYS:
            column = "lang" if q.fieldname == "lang" else "keys"
            value = q.text.lower() if q.fieldname == "roles" else q.text
            return self.term_in([column], store.key(_FIELD_KEYS[q.fieldname], value))
        return self.term_in([self._column(q.fieldname)], q.text)

    def _phrase(self, q: wq.Phrase, columns: list[str] | None = None):
        words = [w for w in q.words if w]
        if not words:
            return self.NOTHING
        return self.words_in(columns or [self._column(q.fieldname)], words, q.slop)

    def _prefix(self, q: wq.Prefix):
        column = self._column(q.fieldname)
        return self.prefix_in(column, q.text) if q.text else self.ALL

    def _listed(self, column: str, terms: list[str]):
        if not terms:
            return self.NOTHING
        return self.any_in(column, terms[:_MAX_EXPANSION])

    def _wildcard(self, q: wq.Wildcard):
        column = self._column(q.fieldname)
        glob = q.text.replace("[", "[[]")
        literal = ""
        for ch in q.text:
            if ch in "*?":
                break
            literal += ch
        return self._listed(column, self.expand(column, glob, literal, literal + "\U0010ffff" if literal else ""))

    def _term_range(self, q: wq.TermRange):
        column = self._column(q.fieldname)
        terms = self.expand(column, None, q.start or "", q.end + "\x00" if q.end else "")
        terms = [t for t in terms if not (q.startexcl and t == q.start) and not (q.endexcl and t == q.end)]
        return self._listed(column, terms)

    def _years(self, kind: str, lo, hi, present: Iterable[int]):
        wanted = [y for y in present if (lo is None or y >= lo) and (hi is None or y <= hi)]
        if not wanted:
            return self.NOTHING
        return self.any_in("keys", [store.year_key(kind, y) for y in wanted])

    def _numeric(self, q: wq.NumericRange):
        if q.fieldname == "year":
            return self._years("y", q.start, q.end, self.years)
        if q.fieldname == "decade":
            decades = sorted({y // 10 * 10 for y in self.years})
            return self._years("d", q.start, q.end, decades)
        raise QueryError("Cannot search the field %r by range." % q.fieldname)

    # -- compounds ---------------------------------------------------------
    def _span(self, children: list) -> tuple[str | None, list]:
        """year_query's pair (year_from <= hi, year_to >= lo): testimonies whose span overlaps lo..hi."""
        ranges = {c.fieldname: c for c in children
                  if isinstance(c, wq.NumericRange) and c.fieldname in ("year_from", "year_to")}
        if set(ranges) != {"year_from", "year_to"}:
            return None, children
        rest = [c for c in children if c not in ranges.values()]
        return self._years("z", ranges["year_to"].start, ranges["year_from"].end, self.years), rest

    def _and(self, children: list):
        span, children = self._span(list(children))
        positives, negatives = ([span] if span else []), []
        for child in children:
            if isinstance(child, wq.Not):
                negatives.append(self._node(child.query))
            elif isinstance(child, wq.AndNot):
                positives.append(self._node(child.a))
                negatives.append(self._node(child.b))
            else:
                positives.append(self._node(child))
        positives = [p for p in positives if p is not EVERY]
        if any(p is self.NOTHING for p in positives):
            return self.NOTHING
        if any(n is EVERY for n in negatives):
            return self.NOTHING
        negatives = [n for n in negatives if n is not self.NOTHING]
        if not negatives:
            if not positives:
                return EVERY
            return positives[0] if len(positives) == 1 else self.all_of(positives)
        return self.but_not(positives, negatives)

    def _or(self, children: list):
        parts, by_text, by_phrase = [], {}, {}
        for child in children:
            if type(child) is wq.Term and child.fieldname in store.TEXT_COLUMNS:
                by_text.setdefault(child.text, []).append(child.fieldname)
                continue
            if type(child) is wq.Phrase and child.fieldname in store.TEXT_COLUMNS:
                by_phrase.setdefault((tuple(child.words), child.slop), []).append(child)
                continue
            part = self._node(child)
            if part is EVERY:
                return EVERY
            if part is not self.NOTHING:
                parts.append(part)
        # The default query asks each word (and phrase) of every text field: one column filter for
        # all of them, so FTS5 reads a common word's positions once, not once per field.
        for text, columns in by_text.items():
            parts.append(self.term_in(list(dict.fromkeys(columns)), text))
        for phrases in by_phrase.values():
            part = self._phrase(phrases[0], list(dict.fromkeys(p.fieldname for p in phrases)))
            if part is not self.NOTHING:
                parts.append(part)
        if not parts:
            return self.NOTHING
        return parts[0] if len(parts) == 1 else self.any_of(parts)

    def _node(self, q: wq.Query):
        if isinstance(q, wq.Every):
            return EVERY
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return self.NOTHING
        if isinstance(q, wq.Not):
            return self._and([q])
        if isinstance(q, wq.AndNot):
            return self._and([q])
        if isinstance(q, (wq.AndMaybe,)):
            return self._node(q.a)
        if isinstance(q, wq.Require):
            return self._and([q.a, q.b])
        if isinstance(q, wq.And):
            return self._and(q.subqueries)
        if isinstance(q, (wq.Or, wq.DisjunctionMax)):
            return self._or(q.subqueries)
        if isinstance(q, wq.Phrase):
            return self._phrase(q)
        if isinstance(q, wq.Prefix):
            return self._prefix(q)
        if isinstance(q, wq.Wildcard):
            return self._wildcard(q)
        if isinstance(q, wq.NumericRange):
            return self._numeric(q)
        if isinstance(q, wq.TermRange):
            return self._term_range(q)
        if isinstance(q, wq.Term):
            return self._term(q)
        raise QueryError("This query cannot be searched here (%s)." % type(q).__name__)


# A segment as HitFinder reads it: (rowid, then each of store.COLUMNS padded with a space at both ends,
# "" when empty or not asked for). A term is in a column if the padded text holds " term ": C finds
# that faster than Python splits the text, and a plain tuple costs nothing to make.
Row = tuple
AT = {column: i + 1 for i, column in enumerate(store.COLUMNS)}


class Segments(list):
    """A testimony's segments (Rows) as a test reads them, with each column's texts joined once (a
    word that is in none of them costs one search, not one per segment: a name's variants are many
    words, most of them in few columns)."""
    __slots__ = ("_joined",)

    def joined(self, at: int) -> str:
        try:
            held = self._joined
        except AttributeError:
            held = self._joined = {}
        text = held.get(at)
        if text is None:
            # A padded term (" term ") cannot span two segments: each is padded, and joined by "\n".
            text = held[at] = "\n".join([row[at] for row in self])
        return text


def _none(rows: list) -> set:
    return set()


def _every(rows: list) -> set:
    return set(range(len(rows)))


class SegmentMatcher(Translator):
    """The query as a test of a testimony's segments (`Segments`, a list of `Row`s): which of them (their places in
    the list) hold the query's words? Like the FTS5 expression for a table without positions, a phrase
    asks for all of its words. Each word is looked for in each segment once, in a comprehension, and
    the query's operators are set operations over the segments found."""
    NOTHING = staticmethod(_none)
    ALL = staticmethod(_every)

    def __init__(self, years: Iterable[int], expand: Callable[[str, str | None, str, str], list[str]]):
        super().__init__(years, expand, phrases=False)
        self.columns: set[str] = set()

    def test(self, q: wq.Query) -> tuple:
        """The test of `q`, and the columns it reads (the only ones a page needs read of its segments)."""
        self.columns = set()
        return self(q), frozenset(self.columns)

    def _at(self, column: str) -> int:
        self.columns.add(column)
        return AT[column]

    # A term is in a column if the padded column holds " term " (made once per query, not per row).
    def _found(self, columns: list[str], padded: str):
        ats = [self._at(c) for c in columns]
        if len(ats) == 1:
            at = ats[0]
            return lambda rows: {i for i, row in enumerate(rows) if padded in row[at]} \
                if padded in rows.joined(at) else set()
        return lambda rows: {i for at in ats if padded in rows.joined(at)
                             for i, row in enumerate(rows) if padded in row[at]}

    def term_in(self, columns: list[str], term: str):
        return self._found(columns, " %s " % term)

    def words_in(self, columns: list[str], words: list[str], slop: int):
        return self.all_of([self._found(columns, " %s " % w) for w in words])

    def prefix_in(self, column: str, prefix: str):
        return self._found([column], " " + prefix)

    def any_in(self, column: str, terms: list[str]):
        if len(terms) > 8:  # a wildcard's hundreds of terms: a set of the column's words is quicker
            at, wanted = self._at(column), frozenset(terms)
            return lambda rows: {i for i, row in enumerate(rows) if not wanted.isdisjoint(row[at].split())}
        return self.any_of([self._found([column], " %s " % t) for t in terms])

    def all_of(self, parts: list):
        def test(rows):
            found = parts[0](rows)
            for part in parts[1:]:
                if not found:
                    break
                found &= part(rows)
            return found
        return test

    def any_of(self, parts: list):
        return lambda rows: set().union(*(part(rows) for part in parts))

    def but_not(self, positives: list, negatives: list):
        kept = self.all_of(positives) if positives else self.ALL
        return lambda rows: kept(rows).difference(*(n(rows) for n in negatives))


def positive_terms(q: wq.Query, expand_prefix: Callable[[str, str], list[str]]) -> dict[str, set[str]]:
    """Per text field, the terms a hit may have matched (not those under NOT), for highlighting."""
    out: dict[str, set[str]] = {}

    def walk(node, negated: bool) -> None:
        if isinstance(node, wq.Not):
            walk(node.query, not negated)
        elif isinstance(node, wq.AndNot):
            walk(node.a, negated)
            walk(node.b, not negated)
        elif isinstance(node, wq.Phrase):
            if not negated:
                out.setdefault(node.fieldname, set()).update(w for w in node.words if w)
        elif isinstance(node, wq.Prefix):
            if not negated and node.fieldname in store.TEXT_COLUMNS and node.text:
                out.setdefault(node.fieldname, set()).update(expand_prefix(node.fieldname, node.text))
        elif isinstance(node, wq.Term):
            if not negated:
                out.setdefault(node.fieldname, set()).add(node.text)
        elif isinstance(node, wq.CompoundQuery) or hasattr(node, "subqueries"):
            for child in node.subqueries:
                walk(child, negated)
        elif isinstance(node, wq.BinaryQuery):
            walk(node.a, negated)
            walk(node.b, negated)
    walk(q, False)
    return out
