"""WebVTT and SRT out, per transcript, from an audience view (issue 14).

A transcript's cues (the fine timing kept from caption files and OHMS sync) become the caption cues,
their text redacted as the audience reads it; a transcript without cues is timed by its segments.
The speaker of a turn (`NAME: ` before a cue's text in the transcript) becomes a WebVTT voice.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass

from webvtt import Caption, WebVTT

from ..errors import ValidationError

FORMATS = ("vtt", "srt")
_LABEL = re.compile(r"(?:^|\n)([^\n:]{1,80}): $")
# A cue whose end is not known lasts until the next one, or this long.
LAST_CUE_SECONDS = 5.0


@dataclass
class TimedText:
    start: float
    end: float
    text: str
    voice: str | None = None


def timed(transcript: dict, *, fill: bool = True) -> list[TimedText]:
    """The transcript view's cues (or, without cues, its timed segments) in time order. With fill, a
    cue whose end is not known ends where the next begins (else LAST_CUE_SECONDS later)."""
    out: list[TimedText] = []
    if not transcript.get("cues"):
        out = [TimedText(s["start"], s["end"], s["text"].strip()) for s in transcript["segments"]
               if s["start"] is not None and s["text"].strip()]
    text = "".join(s["text"] for s in transcript["segments"])
    cursor = 0
    for cue in transcript.get("cues") or []:
        m = _LABEL.search(text, cursor, cue["at"]) if cue["at"] >= cursor else None
        voice = m.group(1).strip() if m else None
        cursor = max(cursor, cue["at"] + len(cue["text"]))
        if cue["text"].strip():
            out.append(TimedText(cue["start"], cue["end"], cue["text"].strip(), voice))
    for i, item in enumerate(out):
        if fill and (item.end is None or item.end < item.start):
            after = out[i + 1].start if i + 1 < len(out) else None
            item.end = after if after is not None and after > item.start else item.start + LAST_CUE_SECONDS
    return out


def _clock(seconds: float) -> str:
    millis = int(round(seconds * 1000))
    return f"{millis // 3_600_000:02d}:{millis // 60_000 % 60:02d}:{millis // 1000 % 60:02d}.{millis % 1000:03d}"


def _escape(text: str) -> str:
    # WebVTT cue text: & < > are markup; "-->" would end the timing line; a blank line ends the cue.
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"\n\s*\n", "\n", text).strip()


def _plain(text: str) -> str:
    return re.sub(r"\n\s*\n", "\n", text.replace("-->", "->")).strip()


def to_vtt(transcript: dict) -> str:
    """A WebVTT file of the transcript view's cues (voices as <v> spans)."""
    items = _require(transcript)
    captions = []
    for item in items:
        text = _escape(item.text)
        if item.voice:
            text = f"<v {_escape(item.voice)}>{text}"
        captions.append(Caption(_clock(item.start), _clock(item.end), text))
    header = f"WEBVTT\nLanguage: {transcript['language']}" if transcript.get("language") else "WEBVTT"
    body = WebVTT(captions=captions).content
    return header + body[len("WEBVTT"):]


def to_srt(transcript: dict) -> str:
    """An SRT file of the transcript view's cues (a speaker's turn starts `NAME: `)."""
    items = _require(transcript)
    captions = [Caption(_clock(i.start), _clock(i.end), _plain(f"{i.voice}: {i.text}" if i.voice else i.text))
                for i in items]
    out = io.StringIO()
    WebVTT(captions=captions).write(out, format="srt")
    return out.getvalue()


def _require(transcript: dict) -> list[TimedText]:
    items = timed(transcript)
    if not items:
        raise ValidationError(f"transcript {transcript['key']!r} has no timing (no cues and no timed "
                              f"segments), so it cannot be written as captions", field="transcript")
    return items
