"""Highlighted, HTML-safe snippets.

Whoosh's highlighter re-analyses every token of every hit through its fragment scorer, which made
snippets most of a search page's time; this one looks each word up in the (cached) analyser and
marks the words whose index form the hit matched. All document text goes through html.escape;
only our own <mark> tags are emitted raw.
"""
from __future__ import annotations

import html
import re
from itertools import compress, count

from .analysis import TOKEN_PATTERN, term_memo

FALLBACK_CHARS = 200
WINDOW_WORDS = 40
_SPLIT = re.compile("(%s)" % TOKEN_PATTERN)  # the pattern has no group of its own
# html.escape(quote=True) as one table: a snippet escapes every gap between its words.
_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


def plain_snippet(text: str) -> str:
    if len(text) > FALLBACK_CHARS:
        cut = text.rfind(" ", 0, FALLBACK_CHARS)
        text = text[: cut if cut > 0 else FALLBACK_CHARS] + " …"
    return html.escape(text)


def highlight(text: str, terms: set[str], window: int = WINDOW_WORDS, lang: str = "en",
              analysed: str | None = None) -> str | None:
    """The densest window of `window` words holding matched terms, with those words marked.

    `analysed`: the text's index terms, space-separated, as the index holds them (one per word, words
    whose analysis is empty left out). When it has a term for every word, the words are matched by
    it; otherwise each word is analysed here (a memo, but a process's first pages meet new words)."""
    # One pass of the tokeniser: the gaps and the words, alternately (gap, word, gap, ..., word, gap).
    parts = _SPLIT.split(text)
    words = parts[1::2]
    index_terms = analysed.split() if analysed is not None else ()
    if len(index_terms) != len(words):
        index_terms = map(term_memo(lang).__getitem__, words)
    hits = list(compress(count(), map(terms.__contains__, index_terms)))
    if not hits:
        return None
    # The window starting at the hit with most hits in the next `window` words (one pass: a common
    # word can be hit hundreds of times in a long segment).
    best, most, end = hits[0], 0, 0
    for start, i in enumerate(hits):
        while end < len(hits) and hits[end] < i + window:
            end += 1
        if end - start > most:
            best, most = i, end - start
    first = max(0, min(best - 5, len(words) - window))
    last = min(len(words), first + window) - 1
    marked = set(hits)
    out = []
    for i in range(first, last + 1):
        if i > first:
            out.append(parts[2 * i].translate(_ESCAPE))  # the gap before word i
        word = words[i].translate(_ESCAPE)
        out.append(f"<mark>{word}</mark>" if i in marked else word)
    more = last < len(words) - 1
    if not more:
        out.append(parts[-1].translate(_ESCAPE))
    return ("… " if first else "") + "".join(out).strip() + (" …" if more else "")


def snippet(hit, kind: str, stored: dict, highlight_terms: bool) -> str:
    """A Whoosh hit's snippet, marking the terms it matched."""
    terms: dict[str, set[str]] = {}
    if highlight_terms and hit.results.has_matched_terms():
        for name, term in hit.matched_terms():
            if name in _DISPLAYED:  # (numeric fields' terms are not text)
                terms.setdefault(name, set()).add(term.decode("utf-8") if isinstance(term, bytes) else term)
    return best_snippet(kind, stored, terms)


_DISPLAYED = ("text", "text_fr", "title", "summary")


def best_snippet(kind: str, stored: dict, terms: dict[str, set[str]], analysed: dict | None = None) -> str:
    """The first of a document's display fields with a matched term highlighted, else its text plain.
    `analysed`: the fields' index terms where the engine holds them (see highlight)."""
    fields = ("text", "text_fr", "title") if kind == "segment" else ("summary", "title")
    for name in fields:
        if terms.get(name) and stored.get(name):
            out = highlight(stored[name], terms[name], lang="fr" if name == "text_fr" else "en",
                            analysed=(analysed or {}).get(name))
            if out:
                return out
    for name in fields:
        if stored.get(name):
            return plain_snippet(stored[name])
    return ""
