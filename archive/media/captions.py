"""WebVTT captions made from one audience's view of a transcript: a cue per caption cue the
transcript kept on import (archive/formats/captions_out.py), else a cue per timed segment.

The text is the view's (every redaction above the audience already replaced); this module only
lays it out. Cue text is escaped, since WebVTT reads `<` and `&` as markup and a blank line as
the end of a cue.
"""
from __future__ import annotations

import re

from webvtt import Caption, WebVTT

_BLANK_LINES = re.compile(r"\n\s*\n+")


def _timestamp(seconds: float) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def _cue_text(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BLANK_LINES.sub("\n", text.strip()) or " "


def webvtt_for(transcript: dict, duration: float | None = None) -> str:
    """The captions of a transcript view (views._transcript): its cues where it kept them (so the player
    lands on the cue), else one cue per segment with a start time; a segment without an end runs to
    the next one's start, or to the recording's end."""
    from ..formats.captions_out import timed as cue_timing, to_vtt
    if transcript.get("cues") and cue_timing(transcript):
        return to_vtt(transcript)
    vtt = WebVTT()
    segments = [s for s in transcript["segments"] if s["start"] is not None]
    for i, segment in enumerate(segments):
        end = segment["end"]
        if end is None:
            end = segments[i + 1]["start"] if i + 1 < len(segments) else (duration or segment["start"] + 5)
        if end <= segment["start"]:
            continue
        vtt.captions.append(Caption(_timestamp(segment["start"]), _timestamp(end), _cue_text(segment["text"])))
    return vtt.content


def timed(transcript: dict) -> bool:
    return bool(transcript.get("cues")) or any(s["start"] is not None for s in transcript["segments"])
