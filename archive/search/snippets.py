"""Highlighted, HTML-safe snippets."""
from __future__ import annotations

import html

from whoosh.highlight import ContextFragmenter, Formatter, Highlighter, get_text

FALLBACK_CHARS = 200


class MarkFormatter(Formatter):
    """Every piece of document text goes through html.escape; only our own
    <mark> tags are emitted raw."""

    between = " … "

    def _text(self, text):
        return html.escape(text)

    def format_token(self, text, token, replace=False):
        return "<mark>%s</mark>" % html.escape(get_text(text, token, replace))


def highlighter() -> Highlighter:
    return Highlighter(fragmenter=ContextFragmenter(maxchars=300, surround=80),
                       formatter=MarkFormatter())


def plain_snippet(text: str) -> str:
    if len(text) > FALLBACK_CHARS:
        cut = text.rfind(" ", 0, FALLBACK_CHARS)
        text = text[: cut if cut > 0 else FALLBACK_CHARS] + " …"
    return html.escape(text)


def snippet(hit, kind: str, stored: dict, highlight: bool) -> str:
    fields = ("text", "title") if kind == "segment" else ("summary", "title")
    if highlight:
        for name in fields:
            if stored.get(name):
                out = hit.highlights(name, top=2)
                if out:
                    return out
    for name in fields:
        if stored.get(name):
            return plain_snippet(stored[name])
    return ""
