"""Recordings for lower audiences: time ranges silenced (or covered by a tone) with ffmpeg.

A derivative is the whole recording re-encoded as Opus in Ogg, with every range that hides
something from its audience replaced sample by sample (ffmpeg's `aeval` works per sample, so the
edges are exact, not rounded to a frame). Ranges come from two places:

- ranges an archivist draws on the recording (AudioRedaction rows);
- transcript redactions, at the time range an archivist confirmed for each on the recording (an
  AudioRedaction row naming the redaction). Audiences below archivist hear no recording at all
  while one of its transcript redactions hiding from them has no confirmed range
  (services/recordings.py). For that confirmation, and for the staff's own copies meanwhile, a
  span is estimated by its proportional place in its segment (`span_ranges`): the code points a..b
  of a segment whose text runs lo..hi and whose time runs t0..t1 are taken to be heard at
  t0 + (a-lo)/(hi-lo)*(t1-t0) to t0 + (b-lo)/(hi-lo)*(t1-t0), widened by TRANSCRIPT_MARGIN seconds
  on each side; a span that no timed segment holds is estimated as the whole recording. Such a
  guess is never what a lower audience hears: speech is not that regular, and a guess as long as
  the span tells the length of the name.

Every range, drawn or confirmed, is then concealed (`conceal`): widened by SILENCE_EDGE on each
side, snapped outward to a grid of SILENCE_GRID seconds and made at least SILENCE_MINIMUM long.
Readers see a segment's times and a redaction's replacement; a silence as long as the name would
let them solve for its length. On the grid, every name said in up to SILENCE_MINIMUM - SILENCE_GRID
- 2 * SILENCE_EDGE seconds (1.5 s: any single name) leaves the same SILENCE_MINIMUM of silence.

ffmpeg decodes files from strangers: it runs in a child process with an empty environment, a
forced demuxer (the container checked at intake), local files only, memory, CPU and output limits
and a wall-clock timeout.

Videos get the same treatment (`redact_video`): the audio track silenced or toned by the same
filter, the picture left as it is. The picture is copied, not re-encoded, where a browser plays it
in a container that holds it: H.264 goes into MP4 (with AAC sound), VP8, VP9 and AV1 into WebM
(with Opus); any other codec (Theora, MPEG-4 part 2, HEVC...) is re-encoded once as H.264 in MP4,
the one pairing every browser plays and that libx264 encodes quickly. H.264's SEI units (where
encoders and cameras write free text: x264's settings, a maker's notes) are dropped from the copy.
Nothing hides faces: a video reaches an audience below archivist only where consent permits both
audio and images (archive/views.py can_see_asset).
"""
from __future__ import annotations

import hashlib
import json
import math
import re
import resource
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from ..errors import ValidationError
from .kinds import recording_format

MODES = ("silence", "tone")
TRANSCRIPT_MARGIN = 0.5            # seconds added before and after a transcript span's estimate
SILENCE_EDGE = 0.25                # seconds added to each side of a range before snapping (hand-marked edges)
SILENCE_GRID = 2.0                 # seconds: every silenced range starts and ends on a multiple of this
SILENCE_MINIMUM = 4.0              # seconds: the shortest silence (a multiple of SILENCE_GRID)
DERIVATIVE_EXT = "ogg"
DERIVATIVE_MIME = "audio/ogg"
DERIVATIVE_PREFIX = "audio-"
TONE_HZ = 1000
TONE_LEVEL = 0.1                   # about -20 dBFS: audible, never loud
BITRATE = "64k"
FOREVER = 1e9                      # "to the end", in seconds, for ffmpeg's expressions
# Version of what the derivative is made of: bump it and every derivative is rebuilt.
# (2: ranges concealed on the grid)
RECIPE = 2
VIDEO_PREFIX = "video-"
VIDEO_RECIPE = 2
# video codec (ffprobe's name) -> the container its copy goes into; anything else is re-encoded
_COPIED_VIDEO = {"h264": "mp4", "vp8": "webm", "vp9": "webm", "av1": "webm"}
VIDEO_EXTS = ("mp4", "webm")
VIDEO_MIMES = {"mp4": "video/mp4", "webm": "video/webm"}
_VIDEO_AUDIO = {"mp4": ["-c:a", "aac", "-b:a", "96k"], "webm": ["-c:a", "libopus", "-b:a", BITRATE]}
# (H.264's NAL unit type 6 is SEI: free-form text and user data, never needed to decode a picture)
_VIDEO_BSF = {"h264": ["-bsf:v", "filter_units=remove_types=6"]}


@dataclass(frozen=True)
class AudioLimits:
    """What one ffmpeg run may use. The defaults fit a few hours of speech on a small machine."""
    wall_seconds: float = 1800.0
    cpu_seconds: int = 3600
    memory_bytes: int = 2 * 1024 ** 3
    output_bytes: int = 2 * 1024 ** 3


DEFAULT_LIMITS = AudioLimits()
# container (kinds.recording_format) -> ffmpeg demuxer
_DEMUXERS = {"WAV": "wav", "MP3": "mp3", "Ogg": "ogg", "FLAC": "flac", "MP4": "mov", "WebM": "matroska"}

Range = tuple[float, float]


class AudioToolError(ValidationError):
    """ffmpeg is missing, refused the file, overran its limits or failed."""


def ffmpeg_available() -> bool:
    return shutil.which("ffmpeg") is not None and shutil.which("ffprobe") is not None


# --- ranges ------------------------------------------------------------------------------------

def merge(ranges: Iterable[Range]) -> tuple[Range, ...]:
    """Sorted, non-overlapping ranges, widened to whole milliseconds (never narrowed)."""
    cleaned = sorted((max(0.0, math.floor(a * 1000) / 1000), math.ceil(min(b, FOREVER) * 1000) / 1000)
                     for a, b in ranges if b > a and b > 0)
    out: list[list[float]] = []
    for a, b in cleaned:
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return tuple((a, b) for a, b in out)


def conceal(ranges: Iterable[Range], edge: float = SILENCE_EDGE, grid: float = SILENCE_GRID,
            minimum: float = SILENCE_MINIMUM) -> tuple[Range, ...]:
    """The ranges to silence for these: each widened by `edge`, snapped outward to the grid and made
    at least `minimum` long, then merged. Used for every derivative (services/recordings.py), so
    that a silence's length says nothing finer than the grid about what it hides."""
    cells = max(1, math.ceil(minimum / grid - 1e-9))
    out = []
    for a, b in ranges:
        if b <= a:
            continue
        if b >= FOREVER:
            out.append((0.0 if a <= edge else math.floor((a - edge) / grid) * grid, FOREVER))
            continue
        first = math.floor(max(0.0, a - edge) / grid + 1e-9)
        last = math.ceil((b + edge) / grid - 1e-9)
        # Too short: grown by whole cells after it, so that every short name gets the same silence
        # and merged silences stay on the grid.
        last = max(last, first + cells)
        out.append((first * grid, last * grid))
    return merge(out)


@dataclass(frozen=True)
class TimedSegment:
    """A segment's text offsets (code points of its transcript) and its time, if it has one."""
    text_start: int
    text_end: int
    start: float | None
    end: float | None


def segment_times(segments: Sequence[TimedSegment], duration: float | None) -> list[TimedSegment]:
    """Segments with an end: their own, else the next segment's start, else the recording's end."""
    out = []
    for i, s in enumerate(segments):
        end = s.end
        if end is None and s.start is not None:
            following = next((n.start for n in segments[i + 1:] if n.start is not None), None)
            end = following if following is not None else (duration if duration else FOREVER)
        out.append(TimedSegment(s.text_start, s.text_end, s.start, end))
    return out


def span_ranges(start: int, end: int, segments: Sequence[TimedSegment], duration: float | None = None,
                margin: float = TRANSCRIPT_MARGIN) -> list[Range]:
    """Where a transcript span [start, end) is heard, by its proportional place in its segments
    (see the module's docstring); the whole recording if no timed segment holds it."""
    ranges: list[Range] = []
    covered = 0
    for s in segment_times(segments, duration):
        lo, hi = s.text_start, s.text_end
        a, b = max(start, lo), min(end, hi)
        if a >= b:
            continue
        if s.start is None or s.end is None or hi <= lo:
            return [(0.0, FOREVER)]
        covered += b - a
        length = s.end - s.start
        ranges.append((s.start + (a - lo) / (hi - lo) * length - margin,
                       s.start + (b - lo) / (hi - lo) * length + margin))
    if covered < end - start:           # some of the span lies outside every segment
        return [(0.0, FOREVER)]
    return ranges


def fingerprint(ranges: Sequence[Range], mode: str) -> str:
    """The derivative's name: what it hides and how, so a derivative is never served for other ranges."""
    payload = json.dumps({"recipe": RECIPE, "mode": mode, "ranges": [list(r) for r in merge(ranges)]})
    return DERIVATIVE_PREFIX + hashlib.sha256(payload.encode()).hexdigest()[:24]


def video_fingerprint(ranges: Sequence[Range], mode: str) -> str:
    """A video derivative's name, as `fingerprint` names a recording's (another recipe, another prefix)."""
    payload = json.dumps({"recipe": VIDEO_RECIPE, "mode": mode, "ranges": [list(r) for r in merge(ranges)]})
    return VIDEO_PREFIX + hashlib.sha256(payload.encode()).hexdigest()[:24]


def mask_expression(ranges: Sequence[Range]) -> str:
    """1 inside any range, 0 outside, as an ffmpeg expression of t (seconds)."""
    if not ranges:
        return "0"
    return "gt(" + "+".join(f"between(t\\,{a:.3f}\\,{b:.3f})" for a, b in ranges) + "\\,0)"


def audio_filter(ranges: Sequence[Range], mode: str) -> str:
    """An `aeval` filter keeping samples outside the ranges and replacing those inside."""
    if mode not in MODES:
        raise ValidationError(f"unknown audio redaction mode {mode!r} (expected one of: {', '.join(MODES)})")
    mask = mask_expression(merge(ranges))
    if mode == "silence":
        expression = f"val(ch)*(1-{mask})"
    else:
        expression = f"val(ch)*(1-{mask})+{TONE_LEVEL}*sin(2*PI*{TONE_HZ}*t)*{mask}"
    return f"aeval=exprs={expression}:c=same"


# --- ffmpeg ----------------------------------------------------------------------------------------

def _limit(limits: AudioLimits):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.output_bytes, limits.output_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def _run(args: list[str], limits: AudioLimits, what: str) -> bytes:
    program = shutil.which(args[0])
    if program is None:
        raise AudioToolError(f"{args[0]} is not installed: `make install` installs Debian's ffmpeg "
                             f"(needed to {what})")
    try:
        done = subprocess.run([program, *args[1:]], capture_output=True, timeout=limits.wall_seconds, env={},
                              preexec_fn=_limit(limits), check=False)
    except subprocess.TimeoutExpired:
        raise AudioToolError(f"ffmpeg took longer than {limits.wall_seconds:.0f} s to {what}") from None
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        # ffmpeg names its input by path: the message reaches pages, and the path says where the archive keeps files.
        last = re.sub(r"(?:/[^\s:'\"/]+)+/?", "<file>", detail[-1]) if detail else f"exit {done.returncode}"
        raise AudioToolError(f"ffmpeg could not {what}: {last}")
    if len(done.stdout) > limits.output_bytes:
        raise AudioToolError(f"ffmpeg wrote more than {limits.output_bytes:,} bytes to {what}")
    return done.stdout


def _input(path: Path, head: bytes) -> list[str]:
    container = recording_format(head)
    if container is None:
        raise AudioToolError("the file is not a recording the archive takes", file=path.name)
    # A forced demuxer and local files only: a crafted file cannot make ffmpeg fetch anything.
    return ["-f", _DEMUXERS[container], "-protocol_whitelist", "file", "-i", f"file:{path.resolve()}"]


def _head(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(4096)


def probe_duration(path: Path, limits: AudioLimits = DEFAULT_LIMITS) -> float | None:
    """The recording's duration in seconds, as ffprobe reads it (None if it cannot say)."""
    args = ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json",
            *_input(Path(path), _head(Path(path)))]
    answer = _run(args[:1] + ["-hide_banner"] + args[1:], limits, "read the recording's duration")
    try:
        return float(json.loads(answer)["format"]["duration"])
    except (ValueError, KeyError, TypeError):
        return None


def redact(path: Path, ranges: Sequence[Range], mode: str = "silence",
           limits: AudioLimits = DEFAULT_LIMITS) -> bytes:
    """The recording at `path` as Opus in Ogg, with the ranges silenced (or toned), without metadata."""
    path = Path(path)
    args = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", *_input(path, _head(path)),
            "-vn", "-sn", "-dn", "-map_metadata", "-1", "-map_chapters", "-1",
            "-af", audio_filter(ranges, mode), "-c:a", "libopus", "-b:a", BITRATE,
            "-fflags", "+bitexact", "-f", "ogg", "pipe:1"]
    return _run(args, limits, "make the redacted recording")



def probe_streams(path: Path, limits: AudioLimits = DEFAULT_LIMITS) -> list[dict]:
    """The file's streams as ffprobe reads them: [{"codec_type": "video", "codec_name": "h264"}, ...]."""
    path = Path(path)
    args = ["ffprobe", "-hide_banner", "-v", "error", "-show_entries", "stream=codec_type,codec_name",
            "-of", "json", *_input(path, _head(path))]
    try:
        return list(json.loads(_run(args, limits, "read the video's streams")).get("streams") or [])
    except (ValueError, AttributeError):
        raise AudioToolError("ffprobe's answer about the video's streams could not be read") from None


def video_plan(streams: Sequence[dict]) -> tuple[str, bool, bool]:
    """(container, copy the picture?, has sound?) for a video of these streams."""
    video = next((s.get("codec_name") for s in streams if s.get("codec_type") == "video"), None)
    if video is None:
        raise AudioToolError("the file holds no video stream; attach it as audio")
    sound = any(s.get("codec_type") == "audio" for s in streams)
    if video in _COPIED_VIDEO:
        return _COPIED_VIDEO[video], True, sound
    return "mp4", False, sound


def redact_video(path: Path, ranges: Sequence[Range], mode: str = "silence",
                 limits: AudioLimits = DEFAULT_LIMITS) -> tuple[bytes, str]:
    """The video at `path` with its sound's ranges silenced (or toned), without metadata or chapters:
    (bytes, extension). The picture is copied where its container allows (see the module's docstring)."""
    path = Path(path)
    streams = probe_streams(path, limits)
    container, copy, sound = video_plan(streams)
    codec = next(s.get("codec_name") for s in streams if s.get("codec_type") == "video")
    picture = ["-c:v", "copy"] if copy else ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
                                              "-pix_fmt", "yuv420p"]
    audio = ["-map", "0:a:0", "-af", audio_filter(ranges, mode), *_VIDEO_AUDIO[container]] if sound else []
    # Copied or encoded here, H.264 loses its SEI units (x264 writes its settings in one).
    bsf = _VIDEO_BSF.get(codec if copy else "h264", [])
    muxing = ["-movflags", "+faststart"] if container == "mp4" else []
    # A seekable file, not a pipe: MP4 needs its index in front (faststart) and WebM its cues,
    # or a browser cannot seek in what it fetches with Range requests.
    with tempfile.TemporaryDirectory(prefix="archive-video-") as folder:
        out = Path(folder) / f"derivative.{container}"
        args = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", *_input(path, _head(path)),
                "-map", "0:v:0", *audio, "-sn", "-dn", "-map_metadata", "-1", "-map_chapters", "-1",
                *picture, *bsf, *muxing, "-fflags", "+bitexact", "-flags:v", "+bitexact",
                "-flags:a", "+bitexact", "-f", container, f"file:{out}"]
        _run(args, limits, "make the redacted video")
        return out.read_bytes(), container
