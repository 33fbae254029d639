"""Which transcript format a file holds, judged from its bytes (the extension is only a hint
for messages: people rename files, and a PNG called .txt must not reach a text parser)."""
from __future__ import annotations

import re

from ..errors import ValidationError
from .decoding import bom_encoding
from .docx import open_docx_zip
from .ohms import NAMESPACES

# Magic numbers of files people upload by mistake, named so the refusal says what was sent.
_BINARIES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"), (b"GIF89a", "a GIF image"), (b"%PDF-", "a PDF document"),
    (b"II*\x00", "a TIFF image"), (b"MM\x00*", "a TIFF image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Office file (.doc); save it as .docx"),
    (b"{\\rtf", "an RTF document; save it as .docx or plain text"),
    (b"ID3", "an MP3 audio file"), (b"fLaC", "a FLAC audio file"), (b"OggS", "an Ogg media file"),
    (b"\x1f\x8b", "a gzip archive"), (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"), (b"\x1a\x45\xdf\xa3", "a Matroska/WebM video"),
)
_SNIFF_BYTES = 64 * 1024
_XML_PROLOGUE = re.compile(r"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>", re.S)
_ROOT = re.compile(r"<(?:([\w.\-]+):)?([A-Za-z_][\w.\-]*)")


def detect(data: bytes, filename: str | None = None) -> str:
    """One of "ohms", "webvtt", "srt", "docx", "text"; ValidationError for anything else."""
    if not data:
        raise ValidationError("the file is empty", file=filename)
    head = data[:_SNIFF_BYTES]
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        open_docx_zip(data, filename)
        return "docx"
    for magic, what in _BINARIES:
        if head.startswith(magic):
            raise ValidationError(f"the file is {what}, not a transcript", file=filename)
    if head[:4] == b"RIFF" and head[8:12] in (b"WAVE", b"AVI ", b"WEBP"):
        raise ValidationError(f"the file is a {head[8:12].decode().strip()} file (RIFF), not a "
                              f"transcript", file=filename)
    if head[4:8] == b"ftyp":
        raise ValidationError("the file is an MP4/MOV/M4A media file, not a transcript",
                              file=filename)

    encoding, skip = bom_encoding(head)
    if encoding is None and b"\x00" in head:
        raise ValidationError("the file is binary (it contains NUL bytes), not a text transcript",
                              file=filename)
    sniff = head[skip:].decode(encoding or "utf-8", errors="replace").replace("\ufeff", "")
    start = sniff.lstrip()
    if re.match(r"WEBVTT(?:[ \t\r\n]|$)", start):
        return "webvtt"
    if start.startswith("<"):
        return _xml_kind(start, filename)
    lines = [line.strip() for line in start.splitlines()[:3]]
    if len(lines) >= 2 and lines[0].isdigit() and "-->" in lines[1]:
        return "srt"
    return "text"


def _xml_kind(start: str, filename: str | None) -> str:
    body = _XML_PROLOGUE.sub("", start).lstrip()
    m = _ROOT.match(body)
    root_tag = body[:body.find(">") + 1]
    if m and (m.group(2) == "ROOT" or any(f"{q}{ns}{q}" in root_tag for ns in NAMESPACES
                                          for q in "\"'")):
        return "ohms"
    root = f"<{m.group(2)}>" if m else "markup"
    raise ValidationError(f"the file is XML/HTML ({root}) but not OHMS XML (root <ROOT>); "
                          f"no other XML transcript format is read", file=filename)
