"""Turning user query strings and filter dicts into Whoosh queries."""
from __future__ import annotations

import re

from whoosh import query as wq
from whoosh.qparser import MultifieldPlugin, QueryParser

from .analysis import normalize_pattern
from .schema import FACET_FIELDS, TEXT_FIELDS

ALLOWED_FIELDS = frozenset(TEXT_FIELDS) | {"lang"}
_YEAR = re.compile(r"^\s*(\d{1,4})?\s*(\.\.)?\s*(\d{1,4})?\s*$")


class QueryError(ValueError):
    """A user-facing problem with the query or filters."""


def _check_balanced(text: str) -> None:
    # Whoosh silently guesses on these; a visible error is kinder than
    # a surprising result set.
    if text.count('"') % 2:
        raise QueryError("Unbalanced quotation marks.")
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            break
    if depth:
        raise QueryError("Unbalanced parentheses.")


def _fix_patterns(q: wq.Query) -> wq.Query:
    # Whoosh passes prefix/wildcard text to the index unanalysed, so
    # "Zyx*" would never meet the lower-cased lexicon.
    if isinstance(q, (wq.Prefix, wq.Wildcard)):
        q = q.copy()
        q.text = normalize_pattern(q.text)
        return q
    return q.apply(_fix_patterns)


class _Parser(QueryParser):
    def term_query(self, fieldname, text, termclass, boost=1.0, tokenize=True, removestops=True):
        analysed = super().term_query(fieldname, text, termclass, boost, tokenize, removestops)
        if termclass not in (wq.Prefix, wq.Wildcard) or not (self.schema and fieldname in self.schema):
            return analysed
        # A pattern is not a word: the analyser stems it ("Ferry*" became "ferri*", which matches
        # "ferry" but missed "Ferrylantern"), so look for the unstemmed pattern as well.
        plain = termclass(fieldname, normalize_pattern(text), boost=boost)
        if not isinstance(analysed, termclass) or analysed.text == plain.text:
            return plain
        return wq.Or([plain, analysed])


def parse(schema, text: str) -> wq.Query:
    text = text.strip()
    if not text:
        return wq.Every()
    _check_balanced(text)
    parser = _Parser(None, schema)
    parser.add_plugin(MultifieldPlugin(list(TEXT_FIELDS), fieldboosts=TEXT_FIELDS))
    q = parser.parse(text)
    for leaf in q.leaves():
        name = getattr(leaf, "fieldname", None)
        if name is not None and name not in ALLOWED_FIELDS:
            raise QueryError("Unknown field %r." % name)
    return _fix_patterns(q)


def _year_query(value: str) -> wq.Query:
    m = _YEAR.match(str(value))
    if not m or not (m.group(1) or m.group(3)) or (m.group(3) and not m.group(2) and m.group(1)):
        raise QueryError("Bad year filter %r." % value)
    lo = int(m.group(1)) if m.group(1) else None
    hi = int(m.group(3)) if m.group(3) else None
    if not m.group(2):
        hi = lo
    return wq.NumericRange("year", lo, hi)


def build_filter(filters: dict | None) -> wq.Query | None:
    parts = []
    for key, values in (filters or {}).items():
        if key not in FACET_FIELDS:
            raise QueryError("Unknown filter %r." % key)
        if isinstance(values, (str, int)):
            values = [values]
        values = [v for v in values if v not in (None, "")]
        if not values:
            continue
        if key == "year":
            subs = [_year_query(v) for v in values]
        else:
            subs = [wq.Term(FACET_FIELDS[key], str(v)) for v in values]
        parts.append(wq.Or(subs) if len(subs) > 1 else subs[0])
    if not parts:
        return None
    return wq.And(parts) if len(parts) > 1 else parts[0]
