"""Highlighted, HTML-safe snippets.

Whoosh's highlighter re-analyses every token of every hit through its fragment scorer, which made
snippets most of a search page's time; this one looks each word up in the (cached) analyser and
marks the words whose index form the hit matched. All document text goes through html.escape;
only our own <mark> tags are emitted raw.
"""
from __future__ import annotations

import html
import re
from array import array
from itertools import chain, compress, count, islice

from .analysis import TOKEN_PATTERN, term_memo

FALLBACK_CHARS = 200
WINDOW_WORDS = 40
_SPLIT = re.compile("(%s)" % TOKEN_PATTERN)  # the pattern has no group of its own
_TOKEN = re.compile(TOKEN_PATTERN)
# html.escape(quote=True) as one table: a snippet escapes every gap between its words.
_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


def plain_snippet(text: str) -> str:
    if len(text) > FALLBACK_CHARS:
        cut = text.rfind(" ", 0, FALLBACK_CHARS)
        text = text[: cut if cut > 0 else FALLBACK_CHARS] + " …"
    return html.escape(text)


def word_offsets(text: str) -> bytes | None:
    """Where each word of `text` starts and ends (the tokeniser's words, as the index analyses them), as
    an index stores them so that a snippet need not tokenise the text again: a type code ("H" when
    every offset fits in 16 bits, else "I") and the array's bytes, start and end of each word in turn.
    None for a text without words."""
    spans = array("I", chain.from_iterable(m.span() for m in _TOKEN.finditer(text)))
    if not spans:
        return None
    if len(text) < 1 << 16:
        return b"H" + array("H", spans).tobytes()
    return b"I" + spans.tobytes()


def _offsets(stored: bytes) -> array:
    found = array(chr(stored[0]))
    found.frombytes(stored[1:])
    return found


def highlight(text: str, terms: set[str], window: int = WINDOW_WORDS, lang: str = "en",
              analysed: str | None = None, offsets: bytes | None = None) -> str | None:
    """The densest window of `window` words holding matched terms, with those words marked.

    `analysed`: the text's index terms, space-separated, as the index holds them (one per word, words
    whose analysis is empty left out). When it has a term for every word, the words are matched by
    it; otherwise each word is analysed here (a memo, but a process's first pages meet new words).
    `offsets`: word_offsets(text) as the index stored it; with `analysed` holding a term for each of
    its words, the text is not tokenised again (only the window's words are cut out of it)."""
    if offsets is not None and analysed:
        spans = _offsets(offsets)
        padded = analysed if analysed[0] == " " else " %s " % analysed
        if len(spans) == 2 * (padded.count(" ") - 1):  # a term for every word
            return _window(text, spans, _hit_words(padded, terms), window)
    # One pass of the tokeniser: the gaps and the words, alternately (gap, word, gap, ..., word, gap).
    parts = _SPLIT.split(text)
    words = parts[1::2]
    index_terms = analysed.split() if analysed is not None else ()
    if len(index_terms) != len(words):
        index_terms = map(term_memo(lang).__getitem__, words)
    hits = list(compress(count(), map(terms.__contains__, index_terms)))
    if not hits:
        return None
    first, last = _best_window(hits, len(words), window)
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


def _hit_words(padded: str, terms: set[str]) -> list[int]:
    """The places of the words whose term is in `terms`, in a text's terms padded with spaces (" a b "):
    each term found by C's search, its place the number of spaces before it; a few hits in a long
    segment cost a few searches, not a Python step per word."""
    if len(terms) > 16:  # a prefix's hundreds of terms: one pass over the words is quicker
        return list(compress(count(), map(terms.__contains__, padded.split())))
    found = []
    for term in terms:
        needle = " %s " % term
        step = len(needle) - 1  # the next word starts at this one's closing space
        at = padded.find(needle)
        while at >= 0:
            found.append(at)
            at = padded.find(needle, at + step)
    found.sort()
    hits, word, last = [], 0, 0
    for at in found:
        word += padded.count(" ", last, at)
        last = at
        hits.append(word)
    return hits


def _best_window(hits: list[int], words: int, window: int) -> tuple[int, int]:
    """The first and last word of the window starting near the hit with most hits in the next `window`
    words (one pass: a common word can be hit hundreds of times in a long segment)."""
    best, most, end = hits[0], 0, 0
    for start, i in enumerate(hits):
        while end < len(hits) and hits[end] < i + window:
            end += 1
        if end - start > most:
            best, most = i, end - start
    first = max(0, min(best - 5, words - window))
    return first, min(words, first + window) - 1


def _window(text: str, spans: array, hits: list[int], window: int) -> str | None:
    """highlight's window cut out of the text by its words' stored offsets (spans: start, end of each
    word in turn); the same words, gaps and marks as the tokenised path above."""
    if not hits:
        return None
    words = len(spans) // 2
    first, last = _best_window(hits, words, window)
    more = last < words - 1
    # The text from the first word to the last (to the end if nothing is cut), escaped a stretch at a
    # time: the stretches between marked words, and each marked word. (Escaping is per character, so
    # this is the word-by-word escaping of the tokenised path above.)
    out, at = [], spans[2 * first]
    for i in hits:
        if first <= i <= last and spans[2 * i] >= at:  # (a word hit twice is marked once)
            out.append(text[at:spans[2 * i]].translate(_ESCAPE))
            out.append("<mark>%s</mark>" % text[spans[2 * i]:spans[2 * i + 1]].translate(_ESCAPE))
            at = spans[2 * i + 1]
    out.append(text[at:spans[2 * last + 1] if more else len(text)].translate(_ESCAPE))
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


def highlight_places(text: str, places: list[int], window: int = WINDOW_WORDS) -> str | None:
    """highlight's window and marks, the matched words given by their places among the text's words
    (from 0, ascending), as an engine that keeps each term's positions knows them."""
    if not places:
        return None
    # The text is cut into words only as far as the best window could reach: its start as if the text
    # ran on, then every hit of a window starting at or before the best hit (a common word's segment
    # has hundreds of words, its snippet forty).
    first, _ = _best_window(places, 1 << 30, window)
    reach = islice(_TOKEN.finditer(text), first + window + 7)
    spans = array("I", chain.from_iterable(m.span() for m in reach))
    words = len(spans) // 2
    return _window(text, spans, [i for i in places if i < words], window)


def best_snippet(kind: str, stored: dict, terms: dict[str, set[str]], analysed: dict | None = None,
                 offsets: dict | None = None, places: dict | None = None) -> str:
    """The first of a document's display fields with a matched term highlighted, else its text plain.
    `analysed`, `offsets`: the fields' index terms and words' offsets where the engine holds them (see
    highlight). `places`: where the engine knows the matched words' places (highlight_places), by
    field; a field it lists as None, or leaves out while `places` is None, is analysed here."""
    fields = ("text", "text_fr", "title") if kind == "segment" else ("summary", "title")
    for name in fields:
        if terms.get(name) and stored.get(name):
            if places is not None and places.get(name, ()) is not None:
                out = highlight_places(stored[name], places.get(name, ()))
            else:
                out = highlight(stored[name], terms[name], lang="fr" if name == "text_fr" else "en",
                                analysed=(analysed or {}).get(name), offsets=(offsets or {}).get(name))
            if out:
                return out
    for name in fields:
        if stored.get(name):
            return plain_snippet(stored[name])
    return ""
