"""Word (.docx) transcripts: the body's paragraphs and tables, in order, read as plain text."""
from __future__ import annotations

import io
import zipfile

import docx
from docx.table import Table

from ..errors import ValidationError
from .decoding import DEFAULT_MAX_BYTES, normalise
from .result import ParsedTranscript
from .text import transcript_from_text

# The uncompressed document is allowed this many times the size limit of the upload: Word XML is
# verbose, but a zip bomb inflates by thousands.
INFLATION_ALLOWANCE = 10


def open_docx_zip(data: bytes, filename: str | None) -> zipfile.ZipFile:
    """The archive, or a ValidationError when it is damaged or is not a Word document."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise ValidationError(f"the file is a damaged or truncated ZIP/DOCX archive ({exc})",
                              file=filename) from None
    if "word/document.xml" not in names:
        raise ValidationError("the file is a ZIP archive but not a Word document "
                              "(no word/document.xml)", file=filename)
    return archive


def parse_docx(data: bytes, filename: str, *, language: str | None = None,
               max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedTranscript:
    archive = open_docx_zip(data, filename)
    inflated = sum(info.file_size for info in archive.infolist())
    if inflated > max_bytes * INFLATION_ALLOWANCE:
        raise ValidationError(f"the DOCX inflates to {inflated} bytes, more than "
                              f"{INFLATION_ALLOWANCE} times the size limit: refused as a "
                              f"possible zip bomb", file=filename)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - broken parts raise KeyError, BadZipFile (CRC), lxml errors...
        raise ValidationError(f"cannot read the Word document: {exc}", file=filename) from None

    paragraphs: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                paragraphs.append("\t".join(cell.text for cell in row.cells))
        else:
            paragraphs.append(block.text)
    paragraphs = [normalise(p) for p in paragraphs]
    text = "\n".join(paragraphs)

    # Text line number -> paragraph number, so warnings point at what Word shows.
    line_to_paragraph: list[int] = []
    for number, p in enumerate(paragraphs, start=1):
        line_to_paragraph.extend([number] * (p.count("\n") + 1))

    def where(line: int) -> str:
        return f"paragraph {line_to_paragraph[min(line, len(line_to_paragraph)) - 1]}"

    props = document.core_properties
    metadata = {k: v for k, v in {"title": props.title, "author": props.author,
                                  "language": props.language}.items() if v and v.strip()}
    return transcript_from_text(text, "docx", language=language or metadata.get("language"),
                                where=where, metadata=metadata)
