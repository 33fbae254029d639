"""Pattern suggestions for identifiers a transcript should not show: phone numbers, e-mail
addresses, social-media handles, coordinates, passport/ID numbers, vehicle plates, exact dates
of birth.

These are suggestions for an archivist to confirm, so each pattern errs towards silence on the
numbers every testimony is full of: years, year ranges, timecodes (00:12:30), accession ids
(ARC-2019-004), ages, prices. Where a format is too common to guess from its shape alone (a bare
ID number, a plate like DEMO-4471) it is suggested only after a word that says what it is
("passport", "plate number", "رقم الهوية").
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# One-for-one, so offsets in the translated text are offsets in the original.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫٬", "0123456789" "0123456789" ".,")
_HARAKAT = "[\u064b-\u0652\u0670\u0640]*"

PHONE, EMAIL, HANDLE, COORDINATES = "phone", "email", "handle", "coordinates"
ID_NUMBER, VEHICLE_PLATE, DATE_OF_BIRTH = "id_number", "vehicle_plate", "date_of_birth"
KINDS = (PHONE, EMAIL, HANDLE, COORDINATES, ID_NUMBER, VEHICLE_PLATE, DATE_OF_BIRTH)


@dataclass(frozen=True)
class Suggestion:
    """A span that looks like an identifier; `text == original[start:end]`."""
    kind: str
    start: int
    end: int
    text: str


def _ar(word: str) -> str:
    """An Arabic word that may carry harakat or tatweel between its letters."""
    return "".join(re.escape(c) + _HARAKAT if c != " " else r"\s+" for c in word)


# A number's neighbours: not glued to a word, a decimal point, a time (":"), a path or range ("/",
# "-"), so "ARC-2019-004", "00:12:30" and "3.5" never yield a piece that looks like a phone.
_NUM_START = r"(?<![\w.,+/:\-])"
_NUM_END = r"(?![\w/:\-]|[.,]\d)"

_PHONE_INTL = re.compile(_NUM_START + r"(?:\+|00)\d{1,3}(?:[ .\-]?\(?\d{1,4}\)?){2,6}" + _NUM_END)
_PHONE_LOCAL = re.compile(_NUM_START + r"0\d{1,4}(?:[ .\-]?\d{2,4}){1,4}" + _NUM_END)

_EMAIL = re.compile(r"(?<![\w.+\-])[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,}(?!\w)")
_HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z_][\w.]{2,29}(?<!\.)(?![\w@])")

_DMS_ONE = (r"\d{1,3}\s?°\s?(?:\d{1,2}(?:\.\d+)?\s?['′’]\s?"
            r"(?:\d{1,2}(?:\.\d+)?\s?(?:\"|″|''|”)\s?)?)?[NSEW](?![A-Za-z])")
_COORD_DMS = re.compile(rf"(?<![\w.]){_DMS_ONE}(?:\s*[,;/]?\s*{_DMS_ONE})?")
_COORD_HEMI = re.compile(r"(?<![\w.])\d{1,2}(?:\.\d+)?\s?°?\s?[NS]\s*[,;/]?\s*"
                         r"\d{1,3}(?:\.\d+)?\s?°?\s?[EW](?![A-Za-z])")
# Two bare decimals are coordinates only within range and not one pair in a longer list
# ("2.0, 3.1 and 4.2").
_COORD_DEC = re.compile(r"(?<![\w.,\-])(?P<lat>-?\d{1,2}\.\d{1,8})\s*,\s*(?P<lon>-?\d{1,3}\.\d{1,8})"
                        r"(?![\w.]|\s*,\s*-?\d|\s+(?:and|or|et|ou|\u0648)\s*-?\d)")

# Passport and national ID shapes: a short letter prefix, then a long digit run (N1234567,
# AB1234567). Four digits are not enough: ISO9001, B1944, COVID19 are not documents.
_ID_SHAPE = re.compile(r"(?<![\w\-])[A-Z]{1,3}\d{5,10}[A-Z]?(?![\w\-])")
_ID_CONTEXT = re.compile(
    r"(?i:\b(?:passports?|passeport|ID|identity|identit[ée]|national\s+(?:number|no\.?|ID)|"
    r"(?:ID|identity)\s+card|carte\s+d'identit[ée])\b|"
    + "|".join(_ar(w) for w in ("جواز", "الجواز", "هوية", "الهوية", "الرقم الوطني", "البطاقة")) +
    r")[^\S\n]*(?:(?i:number|no\.?|num[ée]ro|n°|#)|" + _ar("رقم") + r"|" + _ar("رقمه") +
    r")?[^\S\n]*[:#]?[^\S\n]*(?P<id>[A-Za-z]{0,3}\d[\d\-]{4,14}\d[A-Za-z]?)(?![\w\-])")

_PLATE_SHAPES = [
    re.compile(r"(?<![\w\-])[A-Z]{2}[ \-]\d{3}[ \-][A-Z]{2}(?![\w\-])"),   # AB-123-CD (France)
    re.compile(r"(?<![\w\-])[A-Z]{2}\d{2}\s?[A-Z]{3}(?![\w\-])"),          # AB12 CDE (UK)
    re.compile(_NUM_START + r"\d{1,3}-\d{5,6}" + _NUM_END),               # 12-34567 (Syria, Iraq)
]
_PLATE_CONTEXT = re.compile(
    r"(?i:\b(?:(?:licen[cs]e|number|registration)\s+plates?|plates?|registration|"
    r"immatriculation|plaque)\b|" + _ar("لوحة") + "|" + _ar("نمرة") + r")"
    r"[^\S\n]*(?:(?i:number|no\.?|num[ée]ro|n°|#)|" + _ar("رقم") + r")?[^\S\n]*[:#]?[^\S\n]*"
    # Plates are capitals and digits; a lower-case word after one is the sentence going on.
    r"(?P<plate>(?=[\w\-]*\d)(?=[A-Z0-9 \-]{4})[A-Z0-9]{1,8}(?:[ \-][A-Z0-9]{1,8}){0,2})(?![\w\-])")

_EN_MONTHS = (r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
              r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?")
_FR_MONTHS = r"janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre"
_AR_MONTHS = "|".join(_ar(m) for m in (
    "كانون الثاني", "كانون الأول", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب", "أيلول",
    "تشرين الأول", "تشرين الثاني", "يناير", "فبراير", "مارس", "أبريل", "إبريل", "مايو", "يونيو",
    "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"))
_MONTH = rf"(?:(?i:{_EN_MONTHS}|{_FR_MONTHS})\.?|{_AR_MONTHS})"
_YEAR = r"(?:1[89]|20)\d\d"
# An exact date: a day, a month and a year. A year or a month-and-year alone is not a birth date
# anyone can be found by, and the birth year is a public field of the narrator.
_EXACT_DATE = (
    rf"(?:\d{{1,2}}(?i:st|nd|rd|th|er)?\s+(?i:of\s+)?{_MONTH},?\s+(?:{_ar('عام')}\s+|{_ar('سنة')}\s+)?{_YEAR}"
    rf"|{_MONTH}\s+\d{{1,2}}(?i:st|nd|rd|th)?,?\s+{_YEAR}"
    rf"|{_YEAR}-\d{{1,2}}-\d{{1,2}}"
    rf"|\d{{1,2}}[/.\-]\d{{1,2}}[/.\-](?:{_YEAR}|\d\d))(?![\w/.\-]\d|\d)")
_BIRTH = (r"(?i:\bborn(?:\s+on)?|\bd\.?o\.?b\.?|\bdate\s+of\s+birth|\bbirth\s*date|\bbirthday|"
          r"\bn[ée]e?\s+le|\bdate\s+de\s+naissance)|"
          + "|".join(_ar(w) for w in ("ولد", "ولدت", "مواليد", "من مواليد", "تاريخ الميلاد",
                                       "تاريخ الولادة", "ميلادي", "ميلاده")))
_DATE_OF_BIRTH = re.compile(
    rf"(?:{_BIRTH})[^\S\n]*(?:[:\-]|(?i:on|the|in|le)\b|{_ar('في')}|{_ar('بتاريخ')})?[^\S\n]*"
    rf"(?:(?i:the)\s+)?(?P<date>{_EXACT_DATE})")


def _digits(text: str) -> int:
    return sum(c.isdigit() for c in text)


def _phones(text: str):
    for m in _PHONE_INTL.finditer(text):
        if 8 <= _digits(m.group()) <= 15:
            yield PHONE, m.start(), m.end()
    for m in _PHONE_LOCAL.finditer(text):
        # Nine digits at least: "03-12-1985" (a date, eight digits) is not a phone number.
        if 9 <= _digits(m.group()) <= 12:
            yield PHONE, m.start(), m.end()


def _coordinates(text: str):
    for rx in (_COORD_DMS, _COORD_HEMI):
        for m in rx.finditer(text):
            yield COORDINATES, m.start(), m.end()
    for m in _COORD_DEC.finditer(text):
        if abs(float(m["lat"])) <= 90 and abs(float(m["lon"])) <= 180:
            yield COORDINATES, m.start(), m.end()


def _group(kind: str, rx: re.Pattern, group: str, text: str, *, min_digits: int = 0):
    for m in rx.finditer(text):
        if _digits(m[group]) >= min_digits:
            yield kind, m.start(group), m.end(group)


def _whole(kind: str, rxs, text: str):
    for rx in rxs:
        for m in rx.finditer(text):
            yield kind, m.start(), m.end()


def suggest_identifiers(text: str) -> list[Suggestion]:
    """Spans of `text` that look like identifiers, in text order, never overlapping."""
    scan = text.translate(_DIGITS)
    # Earlier finders win an overlap: a DOB is not also a plate, an e-mail is not also a handle.
    finders = (
        _whole(EMAIL, [_EMAIL], scan),
        _whole(HANDLE, [_HANDLE], scan),
        _group(DATE_OF_BIRTH, _DATE_OF_BIRTH, "date", scan),
        # A number after "passport" or "plate" is that, whatever else its shape suggests.
        _group(VEHICLE_PLATE, _PLATE_CONTEXT, "plate", scan),
        _group(ID_NUMBER, _ID_CONTEXT, "id", scan, min_digits=6),
        _coordinates(scan),
        _phones(scan),
        _whole(VEHICLE_PLATE, _PLATE_SHAPES, scan),
        _whole(ID_NUMBER, [_ID_SHAPE], scan),
    )
    taken: list[tuple[int, int]] = []
    found: list[Suggestion] = []
    for finder in finders:
        for kind, start, end in finder:
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            found.append(Suggestion(kind, start, end, text[start:end]))
    found.sort(key=lambda s: (s.start, s.end))
    return found
