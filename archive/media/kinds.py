"""What recordings and documents the archive takes, decided from their first bytes, never their name.

Photos have their own, deeper intake (images.py: a full decode in a sandbox). Recordings are kept
as restricted originals, so a magic-number check is what stands between an upload and the store;
documents may be PDFs (checked here) or images (decoded like photos by the caller).
"""
from __future__ import annotations

from ..errors import ValidationError
from .sniff import sniff

RECORDING_LIST = "WAV, MP3, Ogg, FLAC, MP4 and WebM"
# ISO media brands of MP4 audio and video (HEIC/AVIF photos and QuickTime share the container).
_MP4_BRANDS = {b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"M4A ",
               b"M4B ", b"M4V ", b"M4VH", b"M4VP", b"avc1", b"dash", b"f4v ", b"f4a ", b"MSNV"}
# container -> MIME type for an audio asset and for a video asset (None: holds no video)
_MIMES = {
    "WAV": ("audio/wav", None),
    "MP3": ("audio/mpeg", None),
    "FLAC": ("audio/flac", None),
    "Ogg": ("audio/ogg", "video/ogg"),
    "MP4": ("audio/mp4", "video/mp4"),
    "WebM": ("audio/webm", "video/webm"),
}


def recording_format(data: bytes) -> str | None:
    """The container named by the content ('WAV', 'MP3', 'Ogg', 'FLAC', 'MP4', 'WebM'), or None."""
    head = data[:64]
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "WAV"
    if head.startswith(b"ID3") or _mpeg_audio_frame(head):
        return "MP3"
    if head.startswith(b"OggS"):
        return "Ogg"
    if head.startswith(b"fLaC"):
        return "FLAC"
    if head[4:8] == b"ftyp" and head[8:12] in _MP4_BRANDS:
        return "MP4"
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in data[:4096]:
        return "WebM"
    return None


def _mpeg_audio_frame(head: bytes) -> bool:
    # A bare MPEG-1/2 Layer III frame header: sync bits, layer III, a real bitrate and sample rate.
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    layer, bitrate, rate = (head[1] >> 1) & 3, head[2] >> 4, (head[2] >> 2) & 3
    return layer == 1 and bitrate not in (0, 15) and rate != 3


def check_recording(data: bytes, kind: str, filename: str | None, max_bytes: int) -> str:
    """The MIME type of an acceptable audio or video file, or a ValidationError saying why not."""
    _check_size(data, filename, max_bytes)
    container = recording_format(data)
    if container is None:
        other = sniff(data)
        found = f"{_a(other)} file" if other else "not a recognised recording"
        raise ValidationError(f"The file is {found}; only {RECORDING_LIST} recordings are accepted",
                              file=filename)
    audio, video = _MIMES[container]
    if kind == "video" and video is None:
        raise ValidationError(f"The file is {container} audio, not a video; attach it as audio",
                              file=filename)
    return audio if kind == "audio" else video


def is_pdf(data: bytes) -> bool:
    return data.startswith(b"%PDF-")


def check_pdf(data: bytes, filename: str | None, max_bytes: int) -> str:
    """A PDF that is whole (ends with its %%EOF marker), or a ValidationError."""
    _check_size(data, filename, max_bytes)
    if not is_pdf(data):
        raise ValidationError("The file is not a PDF", file=filename)
    if b"%%EOF" not in data[-2048:]:
        raise ValidationError("The PDF is truncated (no %%EOF marker at its end)", file=filename)
    return "application/pdf"


def _check_size(data: bytes, filename: str | None, max_bytes: int) -> None:
    if not data:
        raise ValidationError("The file is empty", file=filename)
    if len(data) > max_bytes:
        raise ValidationError(f"The file is {len(data):,} bytes, more than the {max_bytes:,}-byte limit",
                              file=filename)


def _a(name: str) -> str:
    return f"an {name}" if name[0] in "AEFHILMNORSX" else f"a {name}"
