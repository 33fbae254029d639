"""Transcript intake: bytes of an uploaded transcript -> a checked `ParsedTranscript`.

Pure library code (no database, no web): `detect` names the format from the content, `parse`
dispatches to the parser for it. Every refusal is a ValidationError naming the file and, where
known, the line.
"""
from __future__ import annotations

from .decoding import DEFAULT_MAX_BYTES, decode
from .result import FORMATS, Cue, ParsedSegment, ParsedTranscript, Turn

__all__ = ["DEFAULT_MAX_BYTES", "FORMATS", "Cue", "ParsedSegment", "ParsedTranscript", "Turn",
           "decode"]
