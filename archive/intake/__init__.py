"""Transcript intake: bytes of an uploaded transcript -> a checked `ParsedTranscript`.

Pure library code (no database, no web): `detect` names the format from the content, `parse`
dispatches to the parser for it (plain text, DOCX, WebVTT, SRT, OHMS XML). Every refusal is a
ValidationError naming the file and, where known, the line (`record="line 12"`) or field.
"""
from __future__ import annotations

from .decoding import DEFAULT_MAX_BYTES, decode
from .detection import detect
from .dispatch import parse
from .result import FORMATS, Cue, ParsedSegment, ParsedTranscript, Turn, offset_problems

__all__ = ["DEFAULT_MAX_BYTES", "FORMATS", "Cue", "ParsedSegment", "ParsedTranscript", "Turn",
           "decode", "detect", "offset_problems", "parse"]
