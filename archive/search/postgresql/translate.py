"""A parsed query (the Whoosh query tree of archive.search.query) as a PostgreSQL tsquery.

Each document's tsvector holds its words as `column:term` lexemes (see tables.py), so a field-bound
term is one lexeme, a phrase is `<->` between lexemes of one column, a prefix is `:*`. Filters are
`keys:` lexemes (store.key). The tree is walked by the SQLite engine's Translator; only the syntax
differs.
"""
from __future__ import annotations

from ..sqlite import store
from ..sqlite.translate import EVERY, Translator

NOTHING = "'keys:knothing'"   # a lexeme no document holds
ALL = "'keys:%s'" % store.ALL  # one every document holds

__all__ = ["ALL", "EVERY", "NOTHING", "TsqueryTranslator", "lexeme", "quote"]


def lexeme(column: str, term: str) -> str:
    return "%s:%s" % (column, term)


def quote(value: str) -> str:
    """A lexeme as tsquery (and tsvector) input: quoted, its quotes doubled and backslashes escaped."""
    return "'%s'" % value.replace("\\", "\\\\").replace("'", "''")


class TsqueryTranslator(Translator):
    NOTHING, ALL = NOTHING, ALL

    def term_in(self, columns: list[str], term: str):
        parts = [quote(lexeme(c, term)) for c in columns]
        return parts[0] if len(parts) == 1 else "(%s)" % " | ".join(parts)

    def words_in(self, columns: list[str], words: list[str], slop: int):
        out = []
        for column in columns:
            lexemes = [quote(lexeme(column, w)) for w in words]
            if len(lexemes) == 1:
                out.append(lexemes[0])
            elif slop <= 1:
                out.append("(%s)" % " <-> ".join(lexemes))
            elif len(lexemes) == 2:   # within `slop` words, in order
                out.append("(%s)" % " | ".join("%s <%d> %s" % (lexemes[0], d, lexemes[1])
                                                for d in range(1, slop + 1)))
            else:                     # a sloppy phrase of more words: all of them
                out.append("(%s)" % " & ".join(lexemes))
        return out[0] if len(out) == 1 else "(%s)" % " | ".join(out)

    def prefix_in(self, column: str, prefix: str):
        return "%s:*" % quote(lexeme(column, prefix))

    def any_in(self, column: str, terms: list[str]):
        return "(%s)" % " | ".join(quote(lexeme(column, t)) for t in terms)

    def all_of(self, parts: list):
        return "(%s)" % " & ".join(parts)

    def any_of(self, parts: list):
        return "(%s)" % " | ".join(parts)

    def but_not(self, positives: list, negatives: list):
        return "(%s & !(%s))" % (" & ".join(positives) if positives else self.ALL, " | ".join(negatives))
