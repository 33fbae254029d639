"""`parse`: size limit, format detection from content, then the parser for that format."""
from __future__ import annotations

from . import limits
from .captions import parse_srt, parse_webvtt
from .decoding import DEFAULT_MAX_BYTES, check_size, decode
from .detection import detect
from .docx import parse_docx
from .ohms import parse_ohms
from .result import ParsedTranscript
from .text import parse_text


def parse(data: bytes, filename: str, *, language: str | None = None,
          max_bytes: int = DEFAULT_MAX_BYTES, chapters: bytes | None = None) -> ParsedTranscript:
    """Read one uploaded transcript. `chapters` (WebVTT only) is a chapters track whose cues
    become the segments; `language` overrides what the file says."""
    check_size(data, filename, max_bytes)
    if chapters is not None:
        check_size(chapters, f"{filename} (chapters)", max_bytes)
    fmt = detect(data, filename)
    # Counted in the bytes, before a parser builds anything: refused at once, not after minutes.
    if fmt in ("webvtt", "srt"):
        limits.over(data.count(b"-->"), limits.MAX_CUES, "cues", filename)
    elif fmt == "text":
        limits.over(len(decode(data, filename)), limits.MAX_CHARACTERS, "characters", filename)
    if fmt == "webvtt":
        parsed = parse_webvtt(data, filename, language=language, chapters=chapters)
    elif fmt == "srt":
        parsed = parse_srt(data, filename, language=language)
    elif fmt == "docx":
        parsed = parse_docx(data, filename, language=language, max_bytes=max_bytes)
    elif fmt == "ohms":
        parsed = parse_ohms(data, filename, language=language)
    else:
        parsed = parse_text(data, filename, language=language)
    if chapters is not None and fmt != "webvtt":
        parsed.warnings.append(f"a chapters track applies to WebVTT only; ignored for {fmt}")
    limits.over(len(parsed.text), limits.MAX_CHARACTERS, "characters", filename)
    limits.over(len(parsed.cues), limits.MAX_CUES, "cues", filename)
    limits.over(len(parsed.segments), limits.MAX_SEGMENTS, "segments", filename)
    parsed.check()      # a broken offset is a bug here, never something to store
    return parsed
