"""Cutting a transcript into segments that tile its text: by paragraph groups, or at given heads."""
from __future__ import annotations

from .result import ParsedSegment

PARAGRAPH_GROUP_CHARS = 2000


def chunk_starts(text: str, limit: int = PARAGRAPH_GROUP_CHARS) -> list[int]:
    """Offsets where groups of whole paragraphs of up to ~`limit` characters begin.

    A cut prefers a blank line, then a line end, then a sentence end, then a space, so a reader
    never lands mid-word; a single longer paragraph is cut as well, as a segment is a unit of
    reading and of search hits.
    """
    starts = [0]
    pos, end = 0, len(text)
    while end - pos > limit:
        window = text[pos:pos + limit]
        floor = limit // 4          # never make a tiny group just to reach a blank line
        for sep in ("\n\n", "\n", ". ", " "):
            at = window.rfind(sep)
            if at >= floor:
                cut = pos + at + len(sep)
                break
        else:
            cut = pos + limit
        while cut < end and text[cut] == "\n":
            cut += 1
        if cut >= end:
            break
        starts.append(cut)
        pos = cut
    return starts if text else []


def paragraph_segments(text: str, limit: int = PARAGRAPH_GROUP_CHARS) -> list[ParsedSegment]:
    return tile(text, [blank(offset) for offset in chunk_starts(text, limit)])


def blank(text_start: int, start: float | None = None, end: float | None = None,
          title: str = "") -> ParsedSegment:
    return ParsedSegment(start=start, end=end, title=title, synopsis="", keywords=[],
                         text_start=text_start, text_end=text_start)


def tile(text: str, heads: list[ParsedSegment], *, lead_start: float | None = None,
         lead_end: float | None = None) -> list[ParsedSegment]:
    """Close each segment where the next begins and the last at the end of the text.

    `heads` must be in text order (callers clamp offsets to keep it so). Text before the first
    head becomes an untitled leading segment unless it is only whitespace, in which case the
    first head is moved back to 0.
    """
    if not heads:
        return [blank(0, lead_start, lead_end)] if text else []
    heads = list(heads)
    first = heads[0].text_start
    if first > 0:
        if text[:first].strip():
            heads.insert(0, blank(0, lead_start, lead_end))
        else:
            heads[0].text_start = 0
    for here, after in zip(heads, heads[1:]):
        here.text_end = after.text_start
    heads[-1].text_end = len(text)
    return heads
