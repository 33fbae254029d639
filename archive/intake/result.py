"""What every intake parser returns: text, timed segments, fine timing cues, metadata, warnings.

Offsets are code-point offsets into `ParsedTranscript.text` (Python string indexes), the same unit
as `archive.model.Segment.text_start/text_end` and redaction spans.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FORMATS = ("ohms", "webvtt", "srt", "docx", "text")


@dataclass
class ParsedSegment:
    """A stretch of the transcript, as an OHMS index point or a group of cues describes it."""
    start: float | None
    end: float | None
    title: str
    synopsis: str
    keywords: list[str]
    text_start: int
    text_end: int
    subjects: list[str] = field(default_factory=list)
    # OHMS keeps the opening words of the segment; kept so a reviewer can check the alignment.
    partial_transcript: str = ""
    # OHMS index extras: [{"url", "text"}] and [{"lat", "lon", "zoom", "label"}].
    hyperlinks: list[dict] = field(default_factory=list)
    gps: list[dict] = field(default_factory=list)


@dataclass
class Cue:
    """A fine timing anchor: a caption cue, a `[hh:mm:ss]` mark or an OHMS sync point."""
    start: float
    end: float | None
    text_start: int
    text_end: int
    speaker: str | None = None


@dataclass
class Turn:
    """A speaker turn (`JONES: ...`, `<v Jones>`): who speaks from text_start to text_end."""
    speaker: str
    text_start: int
    text_end: int


@dataclass
class ParsedTranscript:
    format: str
    text: str
    language: str | None
    segments: list[ParsedSegment]
    cues: list[Cue]
    metadata: dict[str, Any]
    warnings: list[str]
    turns: list[Turn] = field(default_factory=list)

    def check(self) -> None:
        """Raise AssertionError unless segments tile the text and every offset is inside it."""
        problems = offset_problems(self)
        if problems:
            raise AssertionError("; ".join(problems))


def offset_problems(parsed: ParsedTranscript) -> list[str]:
    """Every broken offset invariant, in words (empty when the result is consistent)."""
    n = len(parsed.text)
    problems = []
    expected = 0
    for i, s in enumerate(parsed.segments):
        if s.text_start != expected:
            problems.append(f"segment {i} starts at {s.text_start}, expected {expected}")
        if not s.text_start <= s.text_end <= n:
            problems.append(f"segment {i} spans {s.text_start}..{s.text_end} outside 0..{n}")
        expected = s.text_end
    if parsed.segments and expected != n:
        problems.append(f"segments end at {expected}, text is {n} long")
    if not parsed.segments and parsed.text.strip():
        problems.append("text but no segments")
    for kind, spans in (("cue", parsed.cues), ("turn", parsed.turns)):
        for i, c in enumerate(spans):
            if not 0 <= c.text_start <= c.text_end <= n:
                problems.append(f"{kind} {i} spans {c.text_start}..{c.text_end} outside 0..{n}")
    return problems
