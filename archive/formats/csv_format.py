"""Testimony metadata as CSV, one row per testimony: reading and checking, nothing written.

A file-level problem (not UTF-8, no header, no `accession_id` column, an unknown or repeated
column) refuses the whole file. A problem in a row is kept on that row, with its line number and
field, so the rows around it can still be imported.

Cells: empty means "leave as it is" (or the default, for a new testimony); a list cell, items
separated by `;`, replaces the whole list; dates are EDTF; languages are codes such as `en`, `ar`,
`fr-CA`. There is no way to empty a field from a CSV file: that is done in the record editor.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from .. import edtf
from ..errors import ValidationError
from ..intake import decode, limits
from ..intake.decoding import check_size
from ..intake.timecode import clock_seconds
from .json_format import ACCESSION_ID, LANGUAGE

# column -> what it holds; README.md and the upload page show this table.
COLUMNS: dict[str, str] = {
    "accession_id": "required: the testimony's id; a new id creates a draft, a known one is updated",
    "collection": "collection id (slug); must exist; new testimonies default to `imports`",
    "title": "required for a new testimony",
    "summary": "free text",
    "interview_date": "EDTF: 2015, 2015-06, 2015-06-02, 2015?, 2014/2015",
    "interview_place": "free text",
    "languages": "language codes separated by `;` (en; ar)",
    "duration": "seconds (3600) or a clock time (1:00:00)",
    "interviewers": "names separated by `;`",
    "subjects": "subjects separated by `;`",
    "keywords": "keywords separated by `;`",
    "places": "place authority ids, labels or variants, separated by `;`",
    "rights": "rights statement",
    "narrator_key": "the narrator's id (default: <accession_id>-N1); an existing narrator is linked",
    "narrator_public_name": "the narrator's public name (pseudonym); needed to create a narrator",
    "narrator_role": "e.g. defector, smuggler, activist",
    "narrator_gender": "free text",
    "narrator_nationality": "free text",
    "narrator_birth_year": "a year, e.g. 1971",
}
# Search facets are comma-joined lists in the index, so their values may not hold a comma.
FACET_COLUMNS = ("subjects", "places")
LIST_COLUMNS = ("languages", "interviewers", "subjects", "keywords", "places")
TESTIMONY_COLUMNS = ("collection", "title", "summary", "interview_date", "interview_place", "languages",
                     "duration", "interviewers", "subjects", "keywords", "places", "rights")
# The database's column widths (PostgreSQL refuses longer values; SQLite would keep them).
MAX_LENGTH = {"collection": 120, "title": 500, "interview_place": 300, "narrator_key": 64,
              "narrator_public_name": 200, "narrator_role": 80, "narrator_gender": 40,
              "narrator_nationality": 80}
NARRATOR_COLUMNS = tuple(c for c in COLUMNS if c.startswith("narrator_"))


@dataclass
class CsvRow:
    line: int                       # where the row starts in the file (1 = the header)
    accession_id: str
    values: dict[str, Any] = field(default_factory=dict)   # non-empty cells, checked and typed
    error: ValidationError | None = None


def looks_like_csv(text: str) -> bool:
    """A first line that is a CSV header naming `accession_id`."""
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    try:
        header = next(csv.reader([first]))
    except (csv.Error, StopIteration):
        return False
    return "accession_id" in [h.strip().lower() for h in header]


def read(data: bytes, filename: str, max_bytes: int | None = None) -> list[CsvRow]:
    if max_bytes is not None:
        check_size(data, filename, max_bytes)
    text = decode(data, filename)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ValidationError(f"not readable as CSV: {exc}", file=filename, record="line 1") from None
    if not header or not any(h.strip() for h in header):
        raise ValidationError("the file has no header row", file=filename, record="line 1")
    columns = [h.strip().lower() for h in header]
    _check_header(columns, filename)
    rows: list[CsvRow] = []
    seen: dict[str, int] = {}
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ValidationError(f"not readable as CSV: {exc}; nothing was imported", file=filename,
                                  record=f"line {start}") from None
        if not any(c.strip() for c in cells):
            continue                # blank lines between rows mean nothing
        if len(rows) >= limits.MAX_CSV_ROWS:
            raise ValidationError(f"more than {limits.MAX_CSV_ROWS:,} rows, over the limit of "
                                  f"{limits.MAX_CSV_ROWS:,} rows for one file; split it into smaller files "
                                  f"and import each (nothing was imported)", file=filename,
                                  record=f"line {start}")
        rows.append(_row(columns, cells, start, filename, seen))
    if not rows:
        raise ValidationError("the file has a header but no rows", file=filename)
    return rows


def _check_header(columns: list[str], filename: str) -> None:
    if "accession_id" not in columns:
        raise ValidationError("the header row has no accession_id column", file=filename,
                              record="line 1", field="accession_id")
    for name in columns:
        if not name:
            raise ValidationError("a column has no name", file=filename, record="line 1")
        if name not in COLUMNS:
            # A misspelt column would otherwise be dropped without a word.
            raise ValidationError(f"unknown column {name!r} (known: {', '.join(COLUMNS)})",
                                  file=filename, record="line 1", field=name)
        if columns.count(name) > 1:
            raise ValidationError(f"column {name!r} appears twice", file=filename, record="line 1",
                                  field=name)


def _row(columns: list[str], cells: list[str], line: int, filename: str, seen: dict[str, int]) -> CsvRow:
    raw = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(columns)}
    row = CsvRow(line=line, accession_id=raw.get("accession_id", ""))
    try:
        if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns):]):
            _fail(filename, line, None, f"the row has {len(cells)} cells, the header {len(columns)}")
        for name, value in raw.items():
            problem = limits.control_problem(value)
            if problem:
                _fail(filename, line, name, problem)
        accession = row.accession_id
        if not accession:
            _fail(filename, line, "accession_id", "is required")
        if not ACCESSION_ID.match(accession):
            _fail(filename, line, "accession_id",
                  f"{accession!r} is not a valid accession id (letters, digits, . _ : -, up to 64)")
        if accession in seen:
            _fail(filename, line, "accession_id",
                  f"{accession} already appears on line {seen[accession]} of this file")
        seen[accession] = line
        for name, value in raw.items():
            if name != "accession_id" and value:
                row.values[name] = _value(name, value, filename, line)
    except ValidationError as exc:
        row.error = exc
    return row


def _fail(filename: str, line: int, name: str | None, message: str):
    raise ValidationError(message, file=filename, record=f"line {line}", field=name)


def _value(name: str, value: str, filename: str, line: int) -> Any:
    if name in LIST_COLUMNS:
        items = list(dict.fromkeys(p.strip() for p in value.split(";") if p.strip()))
        if name == "languages":
            for code in items:
                if not LANGUAGE.match(code):
                    _fail(filename, line, name, f"{code!r} is not a language code (e.g. en, ar, fr)")
        if name in FACET_COLUMNS:
            for item in items:
                if "," in item:
                    _fail(filename, line, name, f"{item!r} has a comma, which a search facet cannot hold; "
                          f"write it without one, or put it under keywords")
        return items
    if name == "interview_date":
        try:
            edtf.parse(value)
        except edtf.EdtfError as exc:
            _fail(filename, line, name, str(exc))
        return value
    if name == "duration":
        try:
            seconds = clock_seconds(value) if ":" in value else float(value)
        except ValueError:
            seconds = -1
        if not seconds >= 0 or seconds == float("inf"):
            _fail(filename, line, name, f"{value[:40]!r} is not a duration (seconds, or h:mm:ss)")
        if seconds > limits.MAX_SECONDS:
            _fail(filename, line, name, f"{value[:40]!r} is over the limit of {limits.MAX_SECONDS:,} seconds")
        return seconds
    if name == "narrator_birth_year":
        low, high = limits.BIRTH_YEARS
        if not (value.isdigit() and len(value) <= 4 and low <= int(value) <= high):
            _fail(filename, line, name, f"{value[:40]!r} is not a year of birth (between {low} and {high})")
        return int(value)
    if len(value) > MAX_LENGTH.get(name, len(value)):
        _fail(filename, line, name, f"is {len(value)} characters long, over the {MAX_LENGTH[name]} allowed")
    return value
