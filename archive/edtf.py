"""Extended Date/Time Format (EDTF, ISO 8601-2) levels 0 and 1, as archives write interview dates.

Written here because the `edtf` package emits pyparsing warnings at import, and the test suite
runs with warnings as errors; the subset below is what oral-history metadata uses.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

_DATE = re.compile(r"^(?P<year>-?\d{4}|\d{2}XX|\d{3}X)(?:-(?P<month>\d{2}|XX)(?:-(?P<day>\d{2}|XX))?)?"
                   r"(?P<qual>[?~%])?$")
_SEASON_MONTHS = {"21": (3, 5), "22": (6, 8), "23": (9, 11), "24": (12, 12)}


@dataclass(frozen=True)
class EdtfRange:
    text: str
    first_year: int | None       # None: open start
    last_year: int | None        # None: open end
    uncertain: bool


class EdtfError(ValueError):
    pass


def _one(part: str) -> tuple[int, int, bool]:
    m = _DATE.match(part)
    if not m:
        raise EdtfError(f"{part!r} is not an EDTF date (expected e.g. 2015, 2015-06, 2015-06-02, "
                        "2015?, 2014/2015)")
    year = m["year"]
    lo, hi = (int(year.replace("X", "0")), int(year.replace("X", "9")))
    month, day = m["month"], m["day"]
    if month and month != "XX":
        number = int(month)
        if not (1 <= number <= 12 or month in _SEASON_MONTHS):
            raise EdtfError(f"{part!r}: month {month} does not exist")
        if day and day != "XX":
            if number > 12:
                raise EdtfError(f"{part!r}: a season has no day")
            if not 1 <= int(day) <= calendar.monthrange(lo, number)[1]:
                raise EdtfError(f"{part!r}: day {day} does not exist in that month")
    return lo, hi, bool(m["qual"])


def parse(text: str) -> EdtfRange:
    text = (text or "").strip()
    if not text:
        raise EdtfError("empty date")
    if "/" in text:
        left, _, right = text.partition("/")
        first = None if left in ("", "..") else _one(left)
        last = None if right in ("", "..") else _one(right)
        if first is None and last is None:
            raise EdtfError(f"{text!r}: an interval needs at least one end")
        if first and last and first[0] > last[1]:
            raise EdtfError(f"{text!r}: the interval ends before it starts")
        return EdtfRange(text, first[0] if first else None, last[1] if last else None,
                         bool((first and first[2]) or (last and last[2])))
    lo, hi, uncertain = _one(text)
    return EdtfRange(text, lo, hi, uncertain)


def first_year(text: str | None) -> int | None:
    if not text:
        return None
    try:
        return parse(text).first_year
    except EdtfError:
        return None
