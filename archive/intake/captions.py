"""WebVTT and SubRip captions, read with webvtt-py: cue texts joined into a transcript, `<v Name>`
voices as speakers, markup stripped; segments of about a minute, or a chapters track's chapters.

webvtt-py is lenient: it skips (VTT) or silently drops (SRT) a cue whose timing line it cannot
read. An archive must not lose testimony quietly, so every line with `-->` (or that looks like a
timing line without one) is checked here first, and a bad one is an error naming its line.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from ..errors import ValidationError
from .decoding import decode
from .result import Cue, ParsedSegment, ParsedTranscript, Turn
from .segmenting import blank, tile
from .timecode import clock_seconds, format_clock

SEGMENT_SECONDS = 60.0

_VTT_TS = r"(?:\d+:)?\d{1,2}:\d{1,2}\.\d{1,3}"
_SRT_TS = r"\d+:\d{1,2}:\d{1,2}[,.]\d{1,3}"
_ANY_TS = r"(?:\d+:)?\d{1,2}:\d{2}[,.]\d{1,3}"
_TIMING = {"webvtt": re.compile(rf"^\s*({_VTT_TS})[ \t]*-->[ \t]*({_VTT_TS})(?=\s|$)"),
           "srt": re.compile(rf"^\s*({_SRT_TS})[ \t]*-->[ \t]*({_SRT_TS})\s*(?:X1:.*)?$")}
_EXPECTED = {"webvtt": "hh:mm:ss.ttt --> hh:mm:ss.ttt", "srt": "hh:mm:ss,ttt --> hh:mm:ss,ttt"}
# A line that opens with a timestamp but has no arrow is a broken timing line, not caption text.
_TIMED_NO_ARROW = re.compile(rf"^\s*{_ANY_TS}(?:\s|$)")

_VOICE = re.compile(r"<v(?:\.[\w.-]+)?[ \t]+([^>]+)>")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)     # OHMS writes <br> inside VTT cues
_TAG = re.compile(r"<[^>\n]*>")
_ASS = re.compile(r"\{\\[^}\n]*\}")                     # {\an8} positioning in SRT
_ENTITY = re.compile(r"&(amp|lt|gt|nbsp|lrm|rlm|quot|apos);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "nbsp": "\u00a0", "lrm": "\u200e", "rlm": "\u200f",
             "quot": '"', "apos": "'"}


@dataclass
class Timing:
    line: int           # line number in the file
    start: float
    end: float


@dataclass
class Caption:
    start: float
    end: float | None
    raw: str            # cue payload with its markup
    line: int


def parse_webvtt(data: bytes, filename: str, *, language: str | None = None,
                 chapters: bytes | None = None) -> ParsedTranscript:
    source = decode(data, filename)
    captions, vtt = read_vtt(source, filename)
    header = _header_fields(vtt.metadata)
    metadata: dict = {"cue_count": len(captions)}
    if vtt.header_text.strip():
        metadata["header_text"] = vtt.header_text.strip()
    if header:
        metadata["header"] = header
    notes = [*vtt.header_comments, *(n for c in vtt.captions for n in c.comments),
             *vtt.footer_comments]
    if notes:
        metadata["notes"] = notes
    language = language or header.get("language") or None
    parsed = transcript_from_captions(captions, "webvtt", language, metadata)
    if chapters is not None:
        chapter_caps, _ = read_vtt(decode(chapters, f"{filename} (chapters)"),
                                   f"{filename} (chapters)")
        parsed.segments = chapter_segments(parsed, chapter_caps)
    return parsed


def parse_srt(data: bytes, filename: str, *, language: str | None = None) -> ParsedTranscript:
    source = decode(data, filename)
    lines = source.split("\n")
    timings = check_timings(lines, "srt", filename)
    try:
        srt = webvtt.WebVTT.from_buffer([source], format="srt")
    except (MalformedFileError, MalformedCaptionError) as exc:
        raise ValidationError(f"not a readable SubRip file ({exc}): it must open with a cue "
                              f"number, then a '{_EXPECTED['srt']}' line", file=filename,
                              record="line 1") from None
    captions = _with_lines(srt.captions, timings)
    return transcript_from_captions(captions, "srt", language, {"cue_count": len(captions)})


def read_vtt(source: str, filename: str, line_offset: int = 0):
    """Captions with their line numbers, and webvtt-py's object for the header and notes.

    `line_offset` shifts reported line numbers when the VTT sits inside another file (OHMS).
    """
    lines = source.split("\n")
    timings = check_timings(lines, "webvtt", filename, line_offset)
    try:
        vtt = webvtt.WebVTT.from_string(source)
    except (MalformedFileError, MalformedCaptionError) as exc:
        raise ValidationError(f"not a readable WebVTT file ({exc}): it must start with 'WEBVTT'",
                              file=filename, record=f"line {line_offset + 1}") from None
    return _with_lines(vtt.captions, timings), vtt


def check_timings(lines: list[str], fmt: str, filename: str, line_offset: int = 0) -> list[Timing]:
    timings = []
    for number, line in enumerate(lines, start=1 + line_offset):
        if "-->" in line:
            m = _TIMING[fmt].match(line)
            if not m:
                raise ValidationError(f"bad cue timing {line.strip()!r}; expected "
                                      f"'{_EXPECTED[fmt]}'", file=filename, record=f"line {number}")
            try:
                start, end = (clock_seconds(t.replace(",", ".")) for t in m.groups())
            except ValueError as exc:
                raise ValidationError(f"bad cue timing {line.strip()!r}: {exc}", file=filename,
                                      record=f"line {number}") from None
            timings.append(Timing(number, start, end))
        elif _TIMED_NO_ARROW.match(line):
            raise ValidationError(f"cue timing line {line.strip()!r} has no '-->'; expected "
                                  f"'{_EXPECTED[fmt]}'", file=filename, record=f"line {number}")
    return timings


def _with_lines(library_captions, timings: list[Timing]) -> list[Caption]:
    """Pair webvtt-py's captions with the checked timing lines, in order, to know their lines.

    The library drops cues without text, so a caption is matched to the next timing line with
    the same times.
    """
    out, k = [], 0
    for cap in library_captions:
        start = cap.start_time.in_milliseconds() / 1000
        end = cap.end_time.in_milliseconds() / 1000
        while k < len(timings) and (abs(timings[k].start - start) > 0.0005
                                    or abs(timings[k].end - end) > 0.0005):
            k += 1
        line = timings[k].line if k < len(timings) else 0
        k += 1
        out.append(Caption(start, end, cap.raw_text, line))
    return out


def _header_fields(lines: list[str]) -> dict[str, str]:
    fields = {}
    for line in lines:
        key, sep, value = line.partition(":")
        if sep and key.strip():
            fields[key.strip().lower()] = value.strip()
    return fields


def cue_paragraphs(raw: str) -> list[tuple[str | None, str]]:
    """(voice or None, plain text) pieces of one cue: a voice tag starts a new piece.

    Caption line wraps are display layout, so lines join with a space; an explicit <br> (OHMS)
    is a paragraph break and is kept as a blank line.
    """
    pieces: list[tuple[str | None, str]] = []
    pos, voice = 0, None
    for m in [*_VOICE.finditer(raw), None]:
        chunk = raw[pos:m.start() if m else len(raw)]
        if chunk.strip() or m is None:
            pieces.append((voice, _plain(chunk)))
        if m:
            voice, pos = m.group(1).strip(), m.end()
    return [(v, t) for v, t in pieces if t] or [(voice, "")]


def _plain(chunk: str) -> str:
    paragraphs = []
    for part in _BREAK.split(chunk):
        part = _ASS.sub("", _TAG.sub("", part))
        part = _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], part)
        part = " ".join(part.split())
        if part:
            paragraphs.append(part)
    return "\n\n".join(paragraphs)


def transcript_from_captions(captions: list[Caption], fmt: str, language: str | None,
                             metadata: dict) -> ParsedTranscript:
    """Join cues into text: one cue per line, a blank line and `NAME: ` where the voice changes.

    A cue without a voice tag in a file that has voices continues the previous speaker (OHMS
    writes long answers as several cues, only the first tagged).
    """
    warnings: list[str] = []
    voiced = any(_VOICE.search(c.raw) for c in captions)
    parts: list[str] = []
    length = 0
    cues: list[Cue] = []
    block_starts: list[int] = []    # where each cue's text begins, its speaker label included
    turns: list[Turn] = []
    speaker: str | None = None
    previous_start: float | None = None
    words_end = 0                   # end of the last non-empty text: where a turn ends

    def emit(piece: str) -> None:
        nonlocal length
        parts.append(piece)
        length += len(piece)

    for cap in captions:
        end = cap.end
        if end is not None and end < cap.start:
            warnings.append(f"line {cap.line}: cue ends ({format_clock(end)}) before it starts "
                            f"({format_clock(cap.start)}); its end is ignored")
            end = None
        if previous_start is not None and cap.start < previous_start:
            warnings.append(f"line {cap.line}: cue starts at {format_clock(cap.start)}, before "
                            f"the cue above it ({format_clock(previous_start)})")
        previous_start = cap.start
        for n, (voice, piece) in enumerate(cue_paragraphs(cap.raw)):
            new_turn = voiced and voice is not None and (voice != speaker or not turns)
            if length:
                emit("\n\n" if new_turn else "\n")
            block = length
            if new_turn:
                if turns:
                    turns[-1].text_end = words_end
                speaker = voice
                turns.append(Turn(voice, length, length))
                emit(f"{voice}: ")
            emit(piece)
            if piece:
                words_end = length
            if n == 0:
                block_starts.append(block)
            cues.append(Cue(cap.start, end, length - len(piece), length,
                            speaker if voiced else None))
    text = "".join(parts)
    if turns:
        turns[-1].text_end = len(text)
    # (start, end, offset) per caption: a caption split by voices is grouped as one.
    starts = [(cap.start, cap.end if cap.end is not None and cap.end >= cap.start else None, block)
              for cap, block in zip(captions, block_starts)]
    if voiced:
        metadata["speakers"] = list(dict.fromkeys(t.speaker for t in turns))
    if not text.strip():
        warnings.append("the file has no caption text")
    parsed = ParsedTranscript(format=fmt, text=text, language=language, segments=[], cues=cues,
                              metadata=metadata, warnings=warnings, turns=turns)
    parsed.segments = minute_segments(parsed, starts)
    return parsed


def minute_segments(parsed: ParsedTranscript,
                    starts: list[tuple[float, float | None, int]]) -> list[ParsedSegment]:
    """Consecutive cues grouped until a group spans about SEGMENT_SECONDS (or time goes back)."""
    heads: list[ParsedSegment] = []
    for start, end, block in starts:
        head = heads[-1] if heads else None
        if head is None or not 0 <= start - head.start < SEGMENT_SECONDS:
            if head is not None and head.text_start == block:
                heads.pop()
            heads.append(blank(block, start, end))
        elif end is not None and (head.end is None or end > head.end):
            head.end = end
    return tile(parsed.text, heads)


def chapter_segments(parsed: ParsedTranscript, chapters: list[Caption]) -> list[ParsedSegment]:
    """One segment per chapter cue, holding the caption cues that start within it."""
    cue_times = [c.start for c in parsed.cues]
    heads = []
    floor = 0
    for ch in sorted(chapters, key=lambda c: c.start):
        i = bisect.bisect_left(cue_times, ch.start)
        offset = _line_start(parsed.text, parsed.cues[i].text_start) if i < len(parsed.cues) \
            else len(parsed.text)
        offset = max(offset, floor)
        floor = offset
        title = " ".join(_plain(ch.raw).split())
        heads.append(blank(offset, ch.start, ch.end, title))
    return tile(parsed.text, heads)


def _line_start(text: str, offset: int) -> int:
    """Back to the start of the line, so a speaker label stays with its words."""
    return text.rfind("\n", 0, offset) + 1
