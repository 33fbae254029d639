"""Name and place variants: a query word or phrase that names an authority record searches all its names.

The groups come from the caller (the search service), already cut down to what the audience may
see; this module only finds them in the query text and rewrites it.
"""
from __future__ import annotations

import re
from functools import lru_cache

from .analysis import TOKEN_PATTERN, _is_arabic, normalize, strip_arabic_article

_TOKEN = re.compile(TOKEN_PATTERN)
# Between the words of one name: "Al-Raqqah", "Tel Abyad", "Ra's al-Ayn".
_JOINER = re.compile(r"^[\s\-'’]+$")
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}


def _key_word(word: str) -> str:
    word = normalize(word)
    return strip_arabic_article(word) if word and _is_arabic(word[0]) else word


@lru_cache(maxsize=200_000)
def name_key(name: str) -> tuple[str, ...]:
    """Cached: the search service keys every redacted text of the archive after each write, and the
    same names are redacted again and again."""
    return tuple(_key_word(m.group()) for m in _TOKEN.finditer(name))


class Expander:
    """`present(name)` says whether a name occurs in the audience's own index: only such names are added
    to a query, and so shown as "also searched for", so no name reaches a reader from a record alone."""

    def __init__(self, groups: list[list[str]], present=lambda name: True):
        self.present = present
        self.groups: list[list[str]] = []
        self.keys: dict[tuple[str, ...], int] = {}
        for names in groups:
            names = [n for n in dict.fromkeys(n.strip() for n in names) if n and name_key(n)]
            if len(names) < 2:
                continue
            for name in names:
                self.keys.setdefault(name_key(name), len(self.groups))
            self.groups.append(names)
        self.longest = max((len(k) for k in self.keys), default=0)

    def _quoted_spans(self, text: str) -> list[tuple[int, int]]:
        return [(m.start(), m.end()) for m in re.finditer(r'"[^"]*"', text)]

    def rewrite(self, text: str) -> tuple[str, list[list[str]]]:
        """The query with each recognised name replaced by (name OR variant OR ...), and the groups used."""
        if not self.keys:
            return text, []
        quoted = self._quoted_spans(text)
        tokens = [m for m in _TOKEN.finditer(text)
                  if not any(a <= m.start() < b for a, b in quoted)
                  and m.group() not in _OPERATORS
                  and text[m.end():m.end() + 1] not in (":", "*", "?")]
        out, cursor, used, i = [], 0, [], 0
        while i < len(tokens):
            match = None
            for n in range(min(self.longest, len(tokens) - i), 0, -1):
                run = tokens[i:i + n]
                if any(not _JOINER.match(text[a.end():b.start()]) for a, b in zip(run, run[1:])):
                    continue
                group = self.keys.get(tuple(_key_word(m.group()) for m in run))
                if group is not None:
                    match = (run[0].start(), run[-1].end(), group, n)
                    break
            if match is None:
                i += 1
                continue
            start, end, group, n = match
            typed = text[start:end]
            names = [typed] + [name for name in self.groups[group]
                               if name_key(name) != name_key(typed) and self.present(name)]
            if len(names) == 1:
                i += n
                continue
            alternatives = " OR ".join(f'"{name}"' if len(name_key(name)) > 1 else name for name in names)
            out += [text[cursor:start], f"({alternatives})"]
            cursor, i = end, i + n
            if names[1:] not in used:
                used.append(names[1:])
        out.append(text[cursor:])
        return "".join(out), used
