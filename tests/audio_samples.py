"""Recordings for the tests: sine waves written with the wave module, and derivatives decoded back
to samples (with ffmpeg, as the archive makes them) to measure what a listener would hear."""
from __future__ import annotations

import array
import io
import math
import subprocess
import wave

RATE = 8000
FREQUENCY = 440
AMPLITUDE = 10000           # of 32767: a sine at this level has an RMS of about 7071
SINE_RMS = AMPLITUDE / math.sqrt(2)


def sine_wav(seconds: float, rate: int = RATE, frequency: float = FREQUENCY, channels: int = 1) -> bytes:
    """A 16-bit PCM WAV holding a steady sine wave."""
    frames = array.array("h")
    for i in range(int(seconds * rate)):
        value = int(AMPLITUDE * math.sin(2 * math.pi * frequency * i / rate))
        frames.extend([value] * channels)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames.tobytes())
    return buffer.getvalue()


def samples(data: bytes, rate: int = RATE) -> array.array:
    """Any recording ffmpeg reads, decoded to mono 16-bit samples at `rate`."""
    done = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", "pipe:0", "-f", "s16le",
                           "-ac", "1", "-ar", str(rate), "pipe:1"], input=data, capture_output=True,
                          timeout=120, check=True)
    out = array.array("h")
    out.frombytes(done.stdout)
    return out


def rms(decoded: array.array, start: float, end: float, rate: int = RATE) -> float:
    """Root mean square of the samples between two times (seconds)."""
    window = decoded[int(start * rate):int(end * rate)]
    assert len(window) > 0, (start, end, len(decoded))
    return math.sqrt(sum(v * v for v in window) / len(window))


def tagged_wav(seconds: float, title: str) -> bytes:
    """A sine WAV with a LIST/INFO chunk naming it (INAM), as a field recorder writes one."""
    data = bytearray(sine_wav(seconds))
    text = title.encode() + b"\0"
    text += b"\0" * (len(text) % 2)
    info = b"INFO" + b"INAM" + len(text).to_bytes(4, "little") + text
    data += b"LIST" + len(info).to_bytes(4, "little") + info
    data[4:8] = (len(data) - 8).to_bytes(4, "little")
    return bytes(data)


def sine_video(seconds: float, title: str | None = None, video: str = "libx264", container: str = "mp4") -> bytes:
    """A small test-card video with a 440 Hz sine as its sound (ffmpeg's lavfi sources), optionally
    titled in its container's and its video stream's metadata."""
    import tempfile
    from pathlib import Path
    sound = {"mp4": "aac", "webm": "libopus"}[container]
    tags = ["-metadata", f"title={title}", "-metadata:s:v:0", f"title={title}"] if title else []
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"video.{container}"
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi",
                        "-i", "testsrc=size=160x120:rate=10", "-f", "lavfi", "-i", f"sine=frequency={FREQUENCY}",
                        "-t", str(seconds), "-c:v", video, "-pix_fmt", "yuv420p", "-c:a", sound, *tags, str(out)],
                       capture_output=True, timeout=120, check=True)
        return out.read_bytes()


def probe_tags(data: bytes) -> dict:
    """Every metadata tag ffprobe reads in a file (format's and streams'), and its streams' codecs."""
    import json
    import tempfile
    with tempfile.NamedTemporaryFile() as f:
        f.write(data)
        f.flush()
        done = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                               "format_tags:stream_tags:stream=codec_type,codec_name:chapters", "-of", "json",
                               f.name], capture_output=True, timeout=60, check=True)
    return json.loads(done.stdout)


def place_redactions(archive, asset_key: str, identity=None) -> dict:
    """Confirm every transcript redaction of a recording's testimony where its estimate puts it, as an
    archivist does after listening to it there (a span no timed segment holds: the whole recording).
    Until then no audience below archivist hears the recording. Returns {redaction key: (start, end)}."""
    from archive.identity import SYSTEM
    identity = identity or SYSTEM
    placed = {}
    for p in archive.media.placements(identity, asset_key):
        if not p["on_recording"]:
            continue
        if p["confirmed"] is None:
            duration = archive.media.asset(identity, asset_key)["duration"]
            start, end = p["estimate"] or (0.0, duration)
            start = min(start, duration - 0.5)      # (a segment running on after the recording ends)
            archive.media.confirm_transcript_range(identity, asset_key, p["redaction"], start=max(0.0, start),
                                                   end=min(end, duration))
        row = next(q for q in archive.media.placements(identity, asset_key) if q["redaction"] == p["redaction"])
        placed[p["redaction"]] = (row["confirmed"]["start"], row["confirmed"]["end"])
    return placed
