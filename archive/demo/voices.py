"""Fictional recordings for the demo collection, so that a fresh `make run` shows the player, the
synced transcript and an audio redaction without anyone bringing a recording of their own.

Each demo transcript with timed segments is spoken by espeak-ng (Debian's speech synthesiser), one
segment at a time, sped up where needed and padded with silence to the times the demo file gives, so
the transcript follows the recording. Each transcript redaction is spoken as a piece of its own: its
time in the recording is then known exactly, and that range is confirmed on the recording (as an
archivist would after listening), so every audience that reads "[name withheld]" hears silence there.
"""
from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

from ..identity import Identity

RATE = 22050                      # espeak-ng's own rate, 16-bit mono
VOICES = {"en": "en-gb", "fr": "fr-fr", "ar": "ar"}
SPEED, MAX_SPEED = 165, 450       # words per minute
MARGIN = 0.15                     # seconds of silence added on each side of a redacted piece


class SpeechUnavailable(RuntimeError):
    """espeak-ng or ffmpeg is not installed."""


def available() -> bool:
    return bool(shutil.which("espeak-ng") and shutil.which("ffmpeg"))


def _speak(text: str, voice: str, speed: int) -> bytes:
    """16-bit mono PCM at RATE. Written to a file (espeak-ng's WAV on stdout has no length)."""
    with tempfile.TemporaryDirectory(prefix="demo-voice-") as folder:
        out = Path(folder) / "piece.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(out), "--stdin"],
                       input=text.encode("utf-8"), capture_output=True, timeout=60, check=True)
        with wave.open(str(out), "rb") as piece:
            if piece.getframerate() != RATE or piece.getnchannels() != 1 or piece.getsampwidth() != 2:
                raise SpeechUnavailable("espeak-ng wrote an unexpected format")
            return piece.readframes(piece.getnframes())


def _seconds(frames: bytes) -> float:
    return len(frames) / 2 / RATE


def _silence(seconds: float) -> bytes:
    return b"\0\0" * max(0, int(round(seconds * RATE)))


def _pieces(text: str, start: int, end: int, spans: list[tuple[int, int, str]]) -> list[tuple[str, str | None]]:
    """The segment's text [start, end) cut at the redactions inside it: (text, redaction id or None)."""
    pieces, at = [], start
    for s, e, key in sorted(spans):
        if s < start or e > end:
            continue
        if s > at:
            pieces.append((text[at:s], None))
        pieces.append((text[s:e], key))
        at = e
    if at < end:
        pieces.append((text[at:end], None))
    return [(t, key) for t, key in pieces if t.strip()]


@dataclass
class Recording:
    wav: bytes
    ranges: dict[str, tuple[float, float]]     # redaction id -> seconds where it is spoken


def speak_transcript(transcript: dict, redactions: list[dict]) -> Recording:
    """The transcript spoken segment by segment, each fitted to its [start, end) window."""
    if not available():
        raise SpeechUnavailable("the demo recordings need espeak-ng and ffmpeg (apt-get install espeak-ng ffmpeg)")
    voice = VOICES.get(transcript.get("language", "en"), "en-gb")
    text = transcript["text"]
    spans = [(r["start"], r["end"], r["id"]) for r in redactions
             if r.get("transcript") == transcript.get("language") and "start" in r]
    frames, ranges = bytearray(), {}
    for segment in transcript["segments"]:
        # (a segment that overran at the fastest speed delays the next one: no silence then)
        frames += _silence(segment["start"] - _seconds(frames))
        window = segment["end"] - segment["start"]
        pieces = _pieces(text, segment["text_start"], segment["text_end"], spans)
        speed = SPEED
        spoken = [_speak(t, voice, speed) for t, _ in pieces]
        margins = MARGIN * 2 * sum(1 for _, key in pieces if key)
        natural = sum(_seconds(s) for s in spoken) + margins
        if natural > window * 0.97:
            speed = min(MAX_SPEED, int(SPEED * natural / (window * 0.9)) + 1)
            spoken = [_speak(t, voice, speed) for t, _ in pieces]
        for (_, key), sound in zip(pieces, spoken):
            if key:
                frames += _silence(MARGIN)
                at = _seconds(frames)
                frames += sound
                ranges[key] = (round(max(0.0, at - MARGIN), 2), round(_seconds(frames) + MARGIN, 2))
                frames += _silence(MARGIN)
            else:
                frames += sound
    frames += _silence(transcript["segments"][-1]["end"] - _seconds(frames))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(frames))
    return Recording(buffer.getvalue(), ranges)


def add_recordings(archive, identity: Identity, document: dict, progress=None) -> int:
    """Speak every timed transcript of the demo document and attach it to its testimony, with the
    range of each transcript redaction confirmed and approved. Returns how many were attached."""
    testimonies = [t for t in document["testimonies"] if t.get("state") != "withdrawn"
                   and any(tr.get("segments") for tr in t.get("transcripts", []))]
    done = 0
    for item in testimonies:
        transcript = next(tr for tr in item["transcripts"] if tr.get("segments"))
        recording = speak_transcript(transcript, item.get("redactions", []))
        asset = archive.media.add(identity, item["id"], recording.wav, filename=f"{item['id']}-demo.wav",
                                  kind="audio", caption="Fictional recording, spoken by a speech synthesiser")
        for key, (start, end) in recording.ranges.items():
            row = archive.media.confirm_transcript_range(identity, asset["id"], key, start=start, end=end)
            archive.media.approve_audio_redaction(identity, asset["id"], row["key"], two_person=False)
        done += 1
        if progress:
            progress(done, len(testimonies), item["id"])
    return done
