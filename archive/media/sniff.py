"""What kind of file this is, from its first bytes; never from its name."""
from __future__ import annotations

# Formats the archive takes photos in: detected name -> (Pillow format, MIME type).
ACCEPTED = {
    "JPEG": ("JPEG", "image/jpeg"),
    "PNG": ("PNG", "image/png"),
    "WebP": ("WEBP", "image/webp"),
    "TIFF": ("TIFF", "image/tiff"),
    "GIF": ("GIF", "image/gif"),
}
ACCEPTED_LIST = "JPEG, PNG, WebP, TIFF and GIF"

_PREFIXES = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    # Recognised so the refusal can name them; none of these is taken.
    (b"II+\x00", "BigTIFF"),
    (b"MM\x00+", "BigTIFF"),
    (b"BM", "BMP"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"\x00\x00\x02\x00", "CUR"),
    (b"%PDF-", "PDF"),
    (b"8BPS", "Photoshop (PSD)"),
    (b"PK\x03\x04", "ZIP archive"),
    (b"\x1f\x8b", "gzip archive"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000"),
    (b"\xffO\xffQ", "JPEG 2000"),
    (b"\xff\x0a", "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "JPEG XL"),
    (b"v/1\x01", "OpenEXR"),
    (b"qoif", "QOI"),
    (b"DDS ", "DDS"),
    (b"icns", "ICNS"),
    (b"\x0a\x05\x01\x08", "PCX"),
    (b"P1", "PNM"), (b"P2", "PNM"), (b"P3", "PNM"), (b"P4", "PNM"), (b"P5", "PNM"),
    (b"P6", "PNM"),
)

_ISO_BRANDS = {b"avif": "AVIF", b"avis": "AVIF", b"heic": "HEIC", b"heix": "HEIC",
               b"hevc": "HEIC", b"heim": "HEIC", b"heis": "HEIC", b"mif1": "HEIF",
               b"msf1": "HEIF", b"crx ": "Canon CR3 raw", b"qt  ": "QuickTime video"}


def sniff(data: bytes) -> str | None:
    """The detected type's name (e.g. 'JPEG', 'ICO'), or None when nothing is recognised."""
    head = data[:64]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    if head[:4] == b"RIFF":
        return {b"AVI ": "AVI video", b"WAVE": "WAV audio"}.get(head[8:12], "RIFF container")
    if head[4:8] == b"ftyp":
        return _ISO_BRANDS.get(head[8:12], "MP4/ISO media")
    for prefix, name in _PREFIXES:
        if head.startswith(prefix):
            return name
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<?xml", b"<svg", b"<!doctype svg")):
        return "SVG/XML"
    if stripped.startswith((b"<!doctype html", b"<html")):
        return "HTML"
    return None
