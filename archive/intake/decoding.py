"""Bytes to text: strict UTF-8 (or UTF-16 with a BOM), no BOM, LF line ends; and the size limit."""
from __future__ import annotations

import codecs

from ..errors import ValidationError

DEFAULT_MAX_BYTES = 50 * 1024 * 1024

# UTF-32 BOMs first: the UTF-32-LE BOM begins with the UTF-16-LE one.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))


def check_size(data: bytes, filename: str | None, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """Refuse input over the limit before any parser spends memory on it."""
    if len(data) > max_bytes:
        raise ValidationError(
            f"the file is {_size(len(data))}, over the {_size(max_bytes)} limit for transcripts",
            file=filename)
    if not data:
        raise ValidationError("the file is empty", file=filename)


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n} bytes"


def bom_encoding(data: bytes) -> tuple[str | None, int]:
    """The encoding a byte-order mark announces and the mark's length, or (None, 0)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    return None, 0


def decode(data: bytes, filename: str | None = None) -> str:
    """Strict decoding; an undecodable byte is an error naming its offset and line, never a guess."""
    encoding, skip = bom_encoding(data)
    encoding = encoding or "utf-8"
    try:
        text = data[skip:].decode(encoding)
    except UnicodeDecodeError as exc:
        offset = skip + exc.start
        bad = data[offset:offset + 1].hex().upper()
        if encoding == "utf-8":
            line = data.count(b"\n", 0, offset) + 1
            column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
            raise ValidationError(
                f"not valid UTF-8: byte 0x{bad} at byte offset {offset} (line {line}, column "
                f"{column}); save the file as UTF-8", file=filename, record=f"line {line}") from None
        raise ValidationError(f"not valid {encoding.upper()}: byte 0x{bad} at byte offset {offset}",
                              file=filename) from None
    return normalise(text)


def normalise(text: str) -> str:
    """LF line ends, and no U+FEFF anywhere.

    A BOM in mid-text is an artefact of pasted or concatenated files (baltimore_sample.txt has
    one after leading spaces, the sample DOCX one mid-sentence); as a zero-width character it
    would only split words for search and redaction matching.
    """
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
