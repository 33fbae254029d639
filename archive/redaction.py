"""Span redaction: replace code-point ranges of a text, refusing offsets that no longer fit it."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from .errors import ValidationError


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    replacement: str
    key: str = ""
    text: str | None = None      # what the span covered when it was made
    reason: str = ""
    category: str = ""
    revealed: bool = False       # the reader may see the original, marked as redacted


@dataclass(frozen=True)
class Piece:
    """A run of a rendered text: plain text, or a redacted region (its replacement and the spans)."""
    text: str
    redacted: bool = False
    original: str | None = None           # set only when the caller may see what is behind
    spans: tuple[Span, ...] = ()


def _splits_cluster(text: str, offset: int) -> bool:
    # A combining mark (Arabic harakat, accents) must stay with the letter before it.
    return 0 < offset < len(text) and unicodedata.combining(text[offset]) != 0


def check_span(text: str, span: Span, *, where: str = "") -> None:
    """Refuse a span that is out of range, empty, splits a character, or no longer covers its text."""
    if not (0 <= span.start < span.end <= len(text)):
        raise ValidationError(f"span {span.start}..{span.end} is outside the text "
                              f"(0..{len(text)})", record=where or span.key or None)
    if _splits_cluster(text, span.start) or _splits_cluster(text, span.end):
        raise ValidationError(f"span {span.start}..{span.end} splits a letter from its "
                              "combining mark", record=where or span.key or None)
    if span.text is not None and text[span.start:span.end] != span.text:
        raise ValidationError(
            f"span {span.start}..{span.end} covers {text[span.start:span.end]!r}, "
            f"not {span.text!r}: the offsets no longer match the text",
            record=where or span.key or None)


def _merge(spans: list[Span]) -> list[tuple[int, int, list[Span]]]:
    """Overlapping spans become one region; adjacent spans stay apart, each with its replacement."""
    regions: list[tuple[int, int, list[Span]]] = []
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        if regions and span.start < regions[-1][1]:
            start, end, members = regions[-1]
            regions[-1] = (start, max(end, span.end), members + [span])
        else:
            regions.append((span.start, span.end, [span]))
    return regions


def render(text: str, spans: list[Span], *, lo: int = 0, hi: int | None = None) -> list[Piece]:
    """Pieces of text[lo:hi] with every span replaced (revealed spans: marked around the original).

    A region that begins before `lo` shows its replacement in the window where it begins, so a
    redaction crossing a segment boundary is replaced once and leaks nothing on either side.
    """
    hi = len(text) if hi is None else hi
    for span in spans:
        check_span(text, span)
    pieces: list[Piece] = []
    cursor = lo
    for start, end, members in _merge(spans):
        if end <= lo or start >= hi:
            continue
        if start > cursor:
            pieces.append(Piece(text[cursor:start]))
        shown_from, shown_to = max(start, lo), min(end, hi)
        if all(m.revealed for m in members):
            pieces.append(Piece(members[0].replacement, True, text[shown_from:shown_to], tuple(members)))
        elif start >= lo:
            pieces.append(Piece(members[0].replacement, True, None, tuple(members)))
        cursor = shown_to
    if cursor < hi:
        pieces.append(Piece(text[cursor:hi]))
    return pieces


def redact(text: str, spans: list[Span], *, lo: int = 0, hi: int | None = None) -> str:
    return "".join(p.text for p in render(text, spans, lo=lo, hi=hi))
