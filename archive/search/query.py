"""Turning user query strings and filter dicts into Whoosh queries.

The query language: words, "phrases", AND/OR/NOT, -word, prefix*, fields (title: narrator: place:
subject: lang: text:), and the filters collection:, role: and year: (year:2015, year:2014..2016,
year:..1990, year:2010..), which may be negated with a leading minus.
"""
from __future__ import annotations

import re

from whoosh import query as wq
from whoosh.qparser import MultifieldPlugin, QueryParser

from .analysis import normalize_pattern
from .expansion import Expander
from .schema import FACET_FIELDS, TEXT_FIELDS

ALLOWED_FIELDS = frozenset(TEXT_FIELDS) | {"lang"}
FILTER_WORDS = ("year", "role", "collection")
_YEAR = re.compile(r"^\s*(\d{1,4})?\s*(\.\.)?\s*(\d{1,4})?\s*$")
# A filter word outside quotes: [-]name:value or [-]name:"value with spaces", with the operator
# written before it (NOT excludes, AND is what a filter does anyway, OR cannot be said) and an
# operator after it, so that taking it out of the text leaves no operator without an operand.
_FILTER = re.compile(r'(?:(?<=[\s(])|^)(?:(?-i:(?P<op>AND|OR|NOT))\s+)?(?P<neg>-?)(?P<name>%s):'
                     r'(?:"(?P<quoted>[^"]*)"|(?P<bare>[^\s()"]+))(?P<after>\s+(?-i:AND|OR)(?=[\s)]|$))?'
                     % "|".join(FILTER_WORDS), re.IGNORECASE)


_SIGN_MINUS = re.compile(r"(?:(?<=\s)|(?<=^)|(?<=\())-(?=[^\s+-])")
_SIGN_PLUS = re.compile(r"(?:(?<=\s)|(?<=^)|(?<=\())\+(?=[^\s+-])")


class QueryError(ValueError):
    """A user-facing problem with the query or filters."""


def _check_balanced(text: str) -> None:
    # Whoosh silently guesses on these; a visible error is kinder than
    # a surprising result set.
    if text.count('"') % 2:
        raise QueryError("Unbalanced quotation marks: close the phrase with a second \".")
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            break
    if depth:
        raise QueryError("Unbalanced parentheses: every ( needs a ).")


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


def _year_bounds(value: str, what: str) -> tuple[int | None, int | None]:
    """'2015' -> (2015, 2015); '2014..2016', '..1990', '2010..' -> their open or closed ends."""
    m = _YEAR.match(str(value))
    if not m or not (m.group(1) or m.group(3)) or (m.group(3) and not m.group(2) and m.group(1)):
        raise QueryError("Bad %s %r: write 2015, 2014..2016, ..1990 or 2010.." % (what, value))
    lo = int(m.group(1)) if m.group(1) else None
    hi = int(m.group(3)) if m.group(3) else None
    if not m.group(2):
        hi = lo
    if lo is not None and hi is not None and lo > hi:
        raise QueryError("Bad %s %r: it ends before it starts." % (what, value))
    return lo, hi


def year_query(value: str) -> wq.Query:
    """Testimonies whose interview-date span overlaps the years asked for."""
    lo, hi = _year_bounds(value, "year")
    return wq.And([wq.NumericRange("year_from", None, hi), wq.NumericRange("year_to", lo, None)])


def _filter_query(name: str, value: str) -> wq.Query:
    name = name.lower()
    if not value.strip():
        raise QueryError("%s: needs a value." % name)
    if name == "year":
        return year_query(value)
    if name == "role":
        return wq.Term("roles", value.strip().lower())
    return wq.Term("collection", value.strip())


_FIELD_NAME = re.compile(r'(?:(?<=[\s(])|^)-?([A-Za-z_]+):(?=\S|$)')
KNOWN_NAMES = ALLOWED_FIELDS | set(FILTER_WORDS)


def _check_field_names(text: str) -> None:
    # Whoosh reads an unknown "colour:red" as the two words, which silently searches for something else.
    outside = re.sub(r'"[^"]*"', " ", text)
    for m in _FIELD_NAME.finditer(outside):
        name = m.group(1)
        if name.lower() not in KNOWN_NAMES:
            raise QueryError("Unknown field %r: use title:, narrator:, place:, subject:, lang:, "
                             "collection:, role: or year:." % name)
        if m.end() == len(outside) or outside[m.end()].isspace():
            raise QueryError("%s: needs a value, as in %s" % (name, {
                "year": "year:2015 or year:2014..2016", "role": "role:teacher",
                "collection": "collection:crossings"}.get(name.lower(), name + ":word")))


def _split_filters(text: str) -> tuple[str, list[wq.Query], list[wq.Query]]:
    """Take the filter words out of the text: (rest, required, excluded)."""
    _check_field_names(text)
    required, excluded = [], []

    def take(m: re.Match) -> str:
        if m.group("op") == "OR" or (m.group("after") or "").strip() == "OR":
            raise QueryError("%s: narrows the whole search and cannot be joined with OR; to find several "
                             "%ss, tick them in the list beside the results." % (m.group("name"), m.group("name")))
        value = m.group("quoted") if m.group("quoted") is not None else m.group("bare")
        negated = m.group("neg") or m.group("op") == "NOT"
        (excluded if negated else required).append(_filter_query(m.group("name"), value))
        return " "

    quoted = [(q.start(), q.end()) for q in re.finditer(r'"[^"]*"', text)]
    parts, cursor = [], 0
    for m in _FILTER.finditer(text):
        if any(a < m.start() < b for a, b in quoted):
            continue
        parts += [text[cursor:m.start()], take(m)]
        cursor = m.end()
    parts.append(text[cursor:])
    return "".join(parts).strip(), required, excluded


def parse(schema, text: str, expander: Expander | None = None) -> tuple[wq.Query, list[list[str]]]:
    """The query, and the groups of name variants it was widened with."""
    text = text.strip()
    if not text:
        return wq.Every(), []
    _check_balanced(text)
    text, required, excluded = _split_filters(text)
    used: list[list[str]] = []
    if expander is not None and text:
        text, used = expander.rewrite(text)
    if text:
        # Only a sign that starts a word: "Al-Raqqa" is a name, "-Raqqa" excludes it, "+Raqqa" is the default.
        text = _SIGN_MINUS.sub("NOT ", _SIGN_PLUS.sub("", text))
        parser = _Parser(None, schema)
        parser.add_plugin(MultifieldPlugin(list(TEXT_FIELDS), fieldboosts=TEXT_FIELDS))
        try:
            q = parser.parse(text)
        except (IndexError, KeyError, AttributeError, TypeError, ValueError) as exc:
            # Whoosh's parser fails on some operator sequences ("NOT NOT x"): say so, not a 500.
            raise QueryError("Could not read the query: check its AND, OR, NOT and brackets.") from exc
        for leaf in q.leaves():
            name = getattr(leaf, "fieldname", None)
            if name is not None and name not in ALLOWED_FIELDS:
                raise QueryError("Unknown field %r: use title:, narrator:, place:, subject:, lang:, "
                                 "collection:, role: or year:." % name)
        if q is wq.NullQuery and not required:
            raise QueryError("Nothing to search for: the query has only operators or excluded words.")
        # "(year:2015)": the filter taken out leaves empty brackets, which search everything it narrows
        q = wq.Every() if q is wq.NullQuery else _fix_patterns(q)
    else:
        q = wq.Every()
    if required:
        q = wq.And([q, *required]) if not isinstance(q, wq.Every) else (
            wq.And(required) if len(required) > 1 else required[0])
    if excluded:
        # (AndNot let the first document of the index through a keyword exclusion; And + Not does not)
        q = wq.And([q, wq.Not(wq.Or(excluded))])
    return q, used


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
            subs = [_year_term(v) for v in values]
        elif key == "decade":
            subs = [wq.NumericRange("decade", _int(v), _int(v)) for v in values]
        elif key == "role":
            subs = [wq.Term("roles", str(v).lower()) for v in values]
        else:
            subs = [wq.Term(FACET_FIELDS[key], str(v)) for v in values]
        parts.append(wq.Or(subs) if len(subs) > 1 else subs[0])
    if not parts:
        return None
    return wq.And(parts) if len(parts) > 1 else parts[0]


def _int(value) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise QueryError("Bad number %r in the filters." % value) from None


def _year_term(value: str) -> wq.Query:
    # Facet links carry the interview year itself; a range typed into the URL works too.
    lo, hi = _year_bounds(value, "year filter")
    return wq.NumericRange("year", lo, hi)
