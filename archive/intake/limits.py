"""What one import may hold (README.md "Limits" states the same figures).

Every limit is checked before or while reading, so a file over one is refused at once with the
limit named, and whatever is accepted costs time in proportion to its size.
"""
from __future__ import annotations

import re

from ..errors import ValidationError

MAX_CHARACTERS = 5_000_000          # one transcript's text
MAX_CUES = 100_000                  # timing cues of one WebVTT / SRT / OHMS transcript
MAX_SEGMENTS = 50_000               # segments of one transcript
MAX_CSV_ROWS = 10_000               # rows of one CSV file
MAX_JSON_DEPTH = 64                 # brackets inside brackets; the archive's own format needs 8
MAX_JSON_BYTES = 512 * 1024 * 1024  # a JSON file read from disk by `python -m app import`
# Times and durations in seconds: 0 .. 1,000 hours.
MAX_SECONDS = 3_600_000
BIRTH_YEARS = (1850, 2100)

# C0 control characters other than tab, line feed and carriage return: PostgreSQL refuses NUL,
# SQLite would keep it, and none of them is text a reader could see or search.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def control_problem(text: str) -> str | None:
    """A message for the first control character in `text`, or None."""
    m = CONTROL.search(text)
    if m is None:
        return None
    return (f"contains the control character U+{ord(m.group()):04X} at character {m.start() + 1}; "
            f"remove it (only tab and line breaks are allowed) and import again")


def over(count: int, limit: int, what: str, filename: str | None, field: str | None = None,
         record: str | None = None) -> None:
    """Refuse `count` things where at most `limit` are allowed."""
    if count > limit:
        raise ValidationError(f"{count:,} {what}, over the limit of {limit:,} {what}; split it into "
                              f"smaller files (README.md, Limits)", file=filename, record=record, field=field)
