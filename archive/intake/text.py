"""Plain-text transcripts (and DOCX once its paragraphs are text): `[hh:mm:ss]` marks become cues
and segment starts, `NAME:` lines become speaker turns, front matter becomes metadata."""
from __future__ import annotations

from collections.abc import Callable

from .decoding import decode
from .result import Cue, ParsedSegment, ParsedTranscript
from .segmenting import paragraph_segments, tile
from .timecode import MARK, clock_seconds, format_clock
from .turns import find_turns, speaker_lookup, speakers


def parse_text(data: bytes, filename: str, *, language: str | None = None) -> ParsedTranscript:
    return transcript_from_text(decode(data, filename), "text", language=language)


def transcript_from_text(raw: str, fmt: str, *, language: str | None = None,
                         where: Callable[[int], str] = lambda n: f"line {n}",
                         metadata: dict | None = None) -> ParsedTranscript:
    """`where` names a source line for warnings (DOCX says which paragraph)."""
    warnings: list[str] = []
    text, marks = _remove_marks(raw, where, warnings)
    turns, header = find_turns(text)
    meta = dict(metadata or {})
    meta.update(header)
    meta["speakers"] = speakers(turns)

    speaker_at = speaker_lookup(turns)
    cues = []
    for i, (offset, seconds, _line) in enumerate(marks):
        nxt = marks[i + 1] if i + 1 < len(marks) else None
        end = nxt[1] if nxt and nxt[1] > seconds else None
        cues.append(Cue(seconds, end, offset, nxt[0] if nxt else len(text),
                        speaker_at(offset)))

    if marks:
        heads: list[ParsedSegment] = []
        previous = None
        for offset, seconds, line in marks:
            if previous is not None and seconds < previous:
                warnings.append(f"{where(line)}: timecode {format_clock(seconds)} goes back from "
                                f"{format_clock(previous)} (a new tape or audio file?); times are "
                                f"kept as written")
            previous = seconds
            if heads and heads[-1].text_start == offset:
                heads.pop()         # two marks with no text between: the later one times it
            heads.append(ParsedSegment(seconds, None, "", "", [], offset, offset))
        for here, after in zip(heads, heads[1:]):
            if after.start is not None and here.start is not None and after.start > here.start:
                here.end = after.start
        segments = tile(text, heads)
    else:
        segments = paragraph_segments(text)
    return ParsedTranscript(format=fmt, text=text, language=language, segments=segments,
                            cues=cues, metadata=meta, warnings=warnings, turns=turns)


def _remove_marks(raw: str, where: Callable[[int], str],
                  warnings: list[str]) -> tuple[str, list[tuple[int, float, int]]]:
    """The text without its timecode marks, and (offset, seconds, line number) for each mark.

    A line holding only marks disappears with its line break, so `[00:00:05]` above a speaker's
    paragraph times the paragraph without leaving a blank line behind.
    """
    out: list[str] = []
    length = 0
    marks: list[tuple[int, float, int]] = []
    for number, line in enumerate(raw.split("\n"), start=1):
        found = []
        for m in MARK.finditer(line):
            try:
                found.append((m, clock_seconds(m.group("clock"))))
            except ValueError:
                warnings.append(f"{where(number)}: {m.group(0)} is not a valid time; "
                                f"left in the text")
        if not found:
            piece = line
        elif not MARK.sub("", line).strip() and len(found) == len(MARK.findall(line)):
            marks.extend((length, seconds, number) for _, seconds in found)
            continue
        else:
            # The kept text's length and last character are tracked, not rejoined at every mark:
            # a long line with many marks would otherwise cost its length times its marks.
            pieces, pos, kept, last = [], 0, 0, ""
            for m, seconds in found:
                piece = line[pos:m.start()]
                pieces.append(piece)
                kept += len(piece)
                last = piece[-1] if piece else last
                after = m.end()
                # "word [00:01:02] word" -> "word word", not two spaces
                if after < len(line) and line[after] in " \t" and (not kept or last in " \t"):
                    after += 1
                marks.append((length + kept, seconds, number))
                pos = after
            pieces.append(line[pos:])
            piece = "".join(pieces)
        out.append(piece)
        length += len(piece) + 1
    text = "\n".join(out)
    # Marks on trailing lines that were removed would point past the end of the text.
    marks = [(min(o, len(text)), s, n) for o, s, n in marks]
    return text, marks
