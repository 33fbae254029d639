"""The archive's JSON format ("testimony-archive/1"): validation of a whole file before anything is written.

`parse_document` turns the raw JSON into checked plain dicts or raises ValidationError naming the
file, record and field. Nothing here touches the database.
"""
from __future__ import annotations

import bisect
import datetime as dt
import json
import math
import re
from collections import Counter
from pathlib import Path
from typing import Any

from .. import edtf, model
from ..audience import Audience, SCOPES
from ..errors import ValidationError
from ..intake import limits
from ..vocabulary import (CONSENT_STATUSES, PERMISSIONS, REDACTABLE_FIELDS, REDACTION_CATEGORIES,
                     REDACTION_STATES, WORKFLOW_STATES)
from ..redaction import Span, check_span
from ..translations import link_problem

FORMAT = "testimony-archive/1"
ACCESSION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
# Whom a sensitive term itself may be shown to: it is staff's tool, never read below archivist.
TERM_AUDIENCES = ("archivist", "admin")
# Testimony fields that OHMS carries (issue 14); optional strings in the format.
OHMS_FIELDS = ("interview_date_text", "repository", "series", "funding", "media_url")
SCOPE_ALIASES = {"archive only": "archive", "archive_only": "archive", "archive-only": "archive"}


# The column a record's "id" fills, where it is not `key`.
_ID_COLUMN = {model.Collection: "slug", model.Testimony: "accession_id"}


def _width(table: type | None, field: str) -> int | None:
    """The length of the database column a field fills (PostgreSQL refuses longer text, SQLite
    would keep it), or None."""
    if table is None:
        return None
    column = table.__table__.columns.get(_ID_COLUMN.get(table, "key") if field == "id" else field)
    return getattr(column.type, "length", None) if column is not None else None


class _Checker:
    """Field access that knows where it is, so every error says file, record and field."""

    def __init__(self, file: str, record: str | None, data: Any, table: type | None = None):
        self.file, self.record, self.table = file, record, table
        if not isinstance(data, dict):
            self.fail("expected an object", None)
        self.data = data

    def fail(self, message: str, field: str | None) -> None:
        raise ValidationError(message, file=self.file, record=self.record, field=field)

    def get(self, field: str, kind: type | tuple, *, required: bool = False, default: Any = None):
        value = self.data.get(field)
        if value is None:
            if required:
                self.fail("is required", field)
            return default
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.fail(f"expected {names}, got {type(value).__name__}", field)
        if isinstance(value, str):
            if kind is str and required and not value.strip():
                self.fail("must not be empty", field)
            self.plain(value, field)
            width = _width(self.table, field)
            if width is not None and len(value) > width:
                self.fail(f"is {len(value):,} characters long, over the {width} allowed", field)
        return value

    def plain(self, value: str, field: str) -> None:
        problem = limits.control_problem(value)
        if problem:
            self.fail(problem, field)

    def number(self, field: str, kind: type | tuple, low: float, high: float, unit: str = ""):
        """A number within [low, high]: the database would refuse (or overflow on) anything else."""
        value = self.get(field, kind)
        # (math.isfinite would overflow on an int of 400 digits; an int is finite anyway)
        if value is None:
            return None
        finite = isinstance(value, int) or math.isfinite(value)
        if not (finite and low <= value <= high):
            shown = repr(value) if finite and abs(value) < 10 ** 15 else "a number too large to store"
            self.fail(f"{shown} is not between {_figure(low)} and {_figure(high)}{unit}", field)
        return value

    def strings(self, field: str) -> list[str]:
        values = self.get(field, list, default=[])
        for i, v in enumerate(values):
            if not isinstance(v, str):
                self.fail(f"item {i} is not a string", field)
            self.plain(v, field)
        return list(values)

    def date(self, field: str) -> dt.date | None:
        value = self.get(field, str)
        if value is None:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date (YYYY-MM-DD)", field)

    def choice(self, field: str, choices, default=None, *, required: bool = False) -> str:
        value = self.get(field, str, required=required, default=default)
        if value not in choices:
            self.fail(f"{value!r} is not one of: {', '.join(choices)}", field)
        return value


def _figure(n: float) -> str:
    return f"{n:,}" if n >= 10_000 else f"{n}"    # 3,600,000 seconds, but the year 2100


def load(path: str | Path) -> dict:
    """Read and check a file; raise ValidationError with the file name on any problem."""
    name = str(path)
    try:
        size = Path(path).stat().st_size
        if size > limits.MAX_JSON_BYTES:
            raise ValidationError(f"the file is {size:,} bytes, over the limit of {limits.MAX_JSON_BYTES:,} "
                                  f"bytes for a JSON file; split it into smaller files", file=name)
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ValidationError(f"cannot read: {exc.strerror}", file=name) from None
    return parse_document(loads(raw, name), name)


# A JSON string (escapes included): its brackets are text, not nesting.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def loads(raw: bytes | str, name: str) -> object:
    """Bytes (UTF-8) or text to plain JSON values, refusing what the json module would crash on or
    misread: nesting deeper than limits.MAX_JSON_DEPTH (a RecursionError), NaN and Infinity."""
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise ValidationError(f"not valid UTF-8 at byte {exc.start}", file=name) from None
    _check_depth(text, name)

    def constant(word: str):
        raise ValidationError(f"{word} is not a number the archive can store (JSON has no NaN or "
                              f"Infinity); write a number or leave the field out", file=name)

    try:
        # Over 4,000 digits Python refuses to convert; as infinity the range checks name the field.
        return json.loads(text, parse_constant=constant,
                          parse_int=lambda s: int(s) if len(s) < 4000 else math.inf)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
                              file=name) from None
    except RecursionError:      # (the depth check should have refused it first)
        raise ValidationError(f"nested more than {limits.MAX_JSON_DEPTH} deep", file=name) from None


def _check_depth(text: str, name: str) -> None:
    """Refuse deep nesting by counting brackets outside strings: linear, and no recursion."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    depth = 0
    for char in brackets:
        if char in "[{":
            depth += 1
            if depth > limits.MAX_JSON_DEPTH:
                raise ValidationError(f"nested more than {limits.MAX_JSON_DEPTH} deep (lists and objects "
                                      f"inside each other); the archive's format needs far fewer: is "
                                      f"this the right file?", file=name)
        else:
            depth -= 1


def parse_document(data: Any, file: str = "<input>") -> dict:
    top = _Checker(file, None, data)
    if top.get("format", str, required=True) != FORMAT:
        top.fail(f"unsupported format {data.get('format')!r} (expected {FORMAT!r})", "format")
    collections = [_collection(_Checker(file, f"collection #{i + 1}", c, model.Collection))
                   for i, c in enumerate(top.get("collections", list, default=[]))]
    authorities = [_authority(_Checker(file, f"authority #{i + 1}", a, model.Authority))
                   for i, a in enumerate(top.get("authorities", list, default=[]))]
    testimonies = []
    seen: set[str] = set()
    for i, raw in enumerate(top.get("testimonies", list, default=[])):
        record = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else f"testimony #{i + 1}"
        t = _testimony(_Checker(file, record, raw, model.Testimony))
        if t["id"] in seen:
            raise ValidationError("duplicate accession id in this file", file=file, record=t["id"], field="id")
        seen.add(t["id"])
        testimonies.append(t)
    _unique(file, "collection", [c["id"] for c in collections])
    _unique(file, "authority", [a["id"] for a in authorities])
    return {"source": file, "collections": collections, "authorities": authorities, "testimonies": testimonies,
            "sensitive_terms": [_term(_Checker(file, f"sensitive term #{i + 1}", s, model.SensitiveTerm))
                                for i, s in enumerate(top.get("sensitive_terms", list, default=[]))]}


def _unique(file: str, what: str, ids: list[str]) -> None:
    dupes = sorted(i for i, n in Counter(ids).items() if n > 1)
    if dupes:
        raise ValidationError(f"duplicate {what} id {dupes[0]!r}", file=file, record=dupes[0], field="id")


def _collection(c: _Checker) -> dict:
    return {"id": c.get("id", str, required=True), "title": c.get("title", str, required=True),
            "description": c.get("description", str, default="")}


def _authority(c: _Checker) -> dict:
    return {"id": c.get("id", str, required=True), "type": c.get("type", str, required=True),
            "label": c.get("label", str, required=True), "variants": c.strings("variants")}


def _term(c: _Checker) -> dict:
    # Absent, a term is shown to every archivist: files written before terms had an audience.
    return {"term": c.get("term", str, required=True), "variants": c.strings("variants"),
            "category": c.choice("category", REDACTION_CATEGORIES, default="other"),
            "visible_to": c.choice("visible_to", TERM_AUDIENCES, default="archivist")}


def _testimony(c: _Checker) -> dict:
    accession = c.get("id", str, required=True)
    if not ACCESSION_ID.match(accession):
        c.fail(f"{accession!r} is not a valid accession id (letters, digits, . _ : -)", "id")
    date = c.get("interview_date", str)
    if date is not None:
        try:
            edtf.parse(date)
        except edtf.EdtfError as exc:
            c.fail(str(exc), "interview_date")
    languages = c.strings("languages")
    for lang in languages:
        if not LANGUAGE.match(lang):
            c.fail(f"{lang!r} is not a language code (e.g. en, ar, fr)", "languages")
    for field in ("subjects", "places"):
        for value in c.strings(field):
            if "," in value:
                # Facets are filed comma-separated in the search index; a name heading belongs in keywords.
                c.fail(f"{value!r} contains a comma: {field} are facet values without commas "
                       "(put a name heading such as 'Duarte, Ronald, 1930-' in keywords)", field)
    t = {
        "id": accession,
        "collection": c.get("collection", str, required=True),
        "title": c.get("title", str, required=True),
        "summary": c.get("summary", str, default=""),
        "interview_date": date,
        "interview_place": c.get("interview_place", str),
        "languages": languages,
        "duration": c.number("duration", (int, float), 0, limits.MAX_SECONDS, " seconds"),
        "interviewers": c.strings("interviewers"),
        "subjects": c.strings("subjects"),
        "keywords": c.strings("keywords"),
        "places": c.strings("places"),
        "rights": c.get("rights", str, default=""),
        **{name: c.get(name, str) for name in OHMS_FIELDS},
        "fictional": c.get("fictional", bool, default=False),
        "state": c.choice("state", WORKFLOW_STATES, default="draft"),
        "narrators": [_narrator(_Checker(c.file, f"{accession} narrator #{i + 1}", n, model.Narrator))
                      for i, n in enumerate(c.get("narrators", list, default=[]))],
        "consent": _consent(_Checker(c.file, accession, c.get("consent", dict, default={}), model.Consent)),
        "sensitive_terms": [_term(_Checker(c.file, accession, s, model.SensitiveTerm))
                            for s in c.get("sensitive_terms", list, default=[])],
    }
    t["transcripts"] = [_transcript(_Checker(c.file, accession, tr, model.Transcript), i)
                        for i, tr in enumerate(c.get("transcripts", list, default=[]))]
    _unique(c.file, "transcript", [tr["id"] for tr in t["transcripts"]])
    links = {tr["id"]: tr["translation_of"] for tr in t["transcripts"]}
    for tr in t["transcripts"]:
        problem = link_problem(tr["id"], tr["translation_of"], links)
        if problem:
            c.fail(problem, f"transcripts.{tr['id']}.translation_of")
    t["redactions"] = [_redaction(_Checker(c.file, accession, r, model.Redaction), t, i)
                       for i, r in enumerate(c.get("redactions", list, default=[]))]
    _unique(c.file, "redaction", [r["id"] for r in t["redactions"]])
    return t


def _narrator(c: _Checker) -> dict:
    n = {"id": c.get("id", str, required=True), "public_name": c.get("public_name", str, required=True)}
    for field in ("legal_name", "contact", "risk_notes", "gender", "nationality", "role"):
        n[field] = c.get(field, str)
    n["birth_year"] = c.number("birth_year", int, *limits.BIRTH_YEARS)
    return n


def _consent(c: _Checker) -> dict:
    scope = c.data.get("scope", "archive")
    if isinstance(scope, str):
        c.data = {**c.data, "scope": SCOPE_ALIASES.get(scope, scope)}
    permissions = c.get("permissions", dict, default={})
    for key, value in permissions.items():
        if key not in PERMISSIONS:
            c.fail(f"unknown permission {key!r} (known: {', '.join(PERMISSIONS)})", "consent.permissions")
        if not isinstance(value, bool):
            c.fail(f"permission {key!r} must be true or false", "consent.permissions")
    return {"status": c.choice("status", CONSENT_STATUSES, default="pending"),
            "scope": c.choice("scope", SCOPES, default="archive"),
            "embargo_until": c.date("embargo_until"), "date": c.date("date"),
            "obtained_by": c.get("obtained_by", str), "permissions": dict(permissions),
            "withdrawn_date": c.date("withdrawn_date"),
            "withdrawal_reason": c.get("withdrawal_reason", str)}


def _transcript(c: _Checker, index: int) -> dict:
    text = c.get("text", str, default="").replace("\r\n", "\n").replace("\r", "\n")
    limits.over(len(text), limits.MAX_CHARACTERS, "characters", c.file, "text", c.record)
    tr = {"id": c.get("id", str, default=str(index + 1)), "language": c.get("language", str, required=True),
          "kind": c.get("kind", str, default="original"), "text": text,
          "translation_of": c.get("translation_of", str), "translator": c.get("translator", str),
          "translator_key": c.get("translator_key", str), "machine": c.get("machine", bool, default=False)}
    if tr["translation_of"]:
        tr["kind"] = "translation"
    raw_segments = c.get("segments", list, default=[])
    limits.over(len(raw_segments), limits.MAX_SEGMENTS, "segments", c.file, "segments", c.record)
    segments = []
    for i, s in enumerate(raw_segments):
        sc = _Checker(c.file, f"{c.record} transcript {tr['id']} segment #{i + 1}", s, model.Segment)
        start, end = (sc.number(f, (int, float), 0, limits.MAX_SECONDS, " seconds") for f in ("start", "end"))
        if start is not None and end is not None and end < start:
            sc.fail(f"ends ({end}) before it starts ({start})", "end")
        segments.append({"start": start, "end": end, "title": sc.get("title", str, default=""),
                         "synopsis": sc.get("synopsis", str, default=""), "keywords": sc.strings("keywords"),
                         "text_start": sc.number("text_start", int, 0, len(text)),
                         "text_end": sc.number("text_end", int, 0, len(text)),
                         "hyperlinks": _hyperlinks(sc), "gps": _gps(sc)})
    _place_segments(c, text, segments)
    tr["segments"] = segments
    tr["cues"] = _cues(c, tr["id"], text)
    return tr


def _hyperlinks(c: _Checker) -> list[dict]:
    links = []
    for i, link in enumerate(c.get("hyperlinks", list, default=[])):
        lc = _Checker(c.file, f"{c.record} hyperlink #{i + 1}", link)
        links.append({"url": lc.get("url", str, default=""), "text": lc.get("text", str, default="")})
    return links


def _gps(c: _Checker) -> list[dict]:
    points = []
    for i, point in enumerate(c.get("gps", list, default=[])):
        pc = _Checker(c.file, f"{c.record} GPS point #{i + 1}", point)
        points.append({"lat": pc.number("lat", (int, float), -90, 90),
                       "lon": pc.number("lon", (int, float), -180, 180),
                       "zoom": pc.number("zoom", int, 0, 30), "label": pc.get("label", str, default="")})
        if points[-1]["lat"] is None or points[-1]["lon"] is None:
            pc.fail("a GPS point needs lat and lon", "lat")
    return points


def _cues(c: _Checker, key: str, text: str) -> list[list]:
    """[text_start, text_end, start_s, end_s] per cue: offsets inside the text, times in order."""
    raw = c.get("cues", list, default=[])
    limits.over(len(raw), limits.MAX_CUES, "cues", c.file, "cues", c.record)
    cues = []
    for i, cue in enumerate(raw):
        ok = isinstance(cue, list) and len(cue) == 4 and all(
            isinstance(v, int) and not isinstance(v, bool) for v in cue[:2]) and \
            all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                for v in cue[2:3]) and (cue[3] is None or isinstance(cue[3], (int, float))
                                        and not isinstance(cue[3], bool) and math.isfinite(cue[3]))
        if not ok or not 0 <= cue[0] <= cue[1] <= len(text) or not 0 <= cue[2] <= limits.MAX_SECONDS:
            raise ValidationError(f"cue #{i + 1} is not [text_start, text_end, start seconds, end seconds or "
                                  f"null] within the text ({len(text)} characters)", file=c.file,
                                  record=f"{c.record} transcript {key}", field="cues")
        cues.append(list(cue))
    return cues


def _place_segments(c: _Checker, text: str, segments: list[dict]) -> None:
    """Give every segment a contiguous code-point range of the text, covering all of it.

    Files that carry only timecodes get ranges at line breaks, in proportion to time.
    """
    if not segments:
        return
    if all(s["text_start"] is not None for s in segments):
        starts = [s["text_start"] for s in segments]
        if starts != sorted(starts) or starts[0] < 0 or starts[-1] > len(text):
            c.fail("segment text_start offsets must increase and lie within the text", "segments")
    else:
        total = max((s["end"] or s["start"] or 0) for s in segments) or 1
        breaks = [0] + [m.end() for m in re.finditer("\n", text)]
        starts, floor = [], 0
        for s in segments:
            target = len(text) * (s["start"] or 0) / total
            starts.append(floor := _nearest_break(breaks, floor, target))
        starts[0] = 0
    for i, s in enumerate(segments):
        s["text_start"] = 0 if i == 0 else starts[i]
        s["text_end"] = starts[i + 1] if i + 1 < len(segments) else len(text)


def _nearest_break(breaks: list[int], floor: int, target: float) -> int:
    """The break nearest `target` among those at or after `floor` (the earlier on a tie), by
    bisection: a scan of every break for every segment was quadratic."""
    i = bisect.bisect_left(breaks, max(target, floor))
    after = breaks[i] if i < len(breaks) else None
    before = breaks[i - 1] if i > 0 and breaks[i - 1] >= floor else None
    if before is None:
        return after if after is not None else floor
    if after is None or target - before <= after - target:
        return before
    return after


def _redaction(c: _Checker, testimony: dict, index: int) -> dict:
    r = {"id": c.get("id", str, default=f"R-{index + 1}"),
         "category": c.choice("category", REDACTION_CATEGORIES, required=True),
         "reason": c.get("reason", str, default=""),
         # An empty replacement would hide that anything was withheld.
         "replacement": c.get("replacement", str, default="") or "[withheld]",
         "state": c.choice("state", REDACTION_STATES, default="proposed"),
         "transcript": c.get("transcript", str), "field": c.get("field", str),
         "start": c.number("start", int, 0, limits.MAX_CHARACTERS),
         "end": c.number("end", int, 0, limits.MAX_CHARACTERS), "text": c.get("text", str),
         "proposed_by": c.get("proposed_by", str), "approved_by": c.get("approved_by", str)}
    c.record = f"{testimony['id']} redaction {r['id']}"
    visible_to = c.get("visible_to", str, default="archivist")
    try:
        r["visible_to"] = Audience.parse(visible_to).label
    except ValueError as exc:
        c.fail(str(exc), "visible_to")
    if (r["field"] is None) == (r["transcript"] is None):
        c.fail("a redaction names either a field or a transcript span", "field")
    if r["field"] is not None:
        if r["field"] not in REDACTABLE_FIELDS:
            c.fail(f"field {r['field']!r} cannot be redacted (redactable: {', '.join(REDACTABLE_FIELDS)})", "field")
        return r
    transcript = next((t for t in testimony["transcripts"] if t["id"] == r["transcript"]), None)
    if transcript is None:
        c.fail(f"no transcript {r['transcript']!r} in this testimony", "transcript")
    if r["start"] is None or r["end"] is None or r["text"] is None:
        c.fail("a span redaction needs start, end and text", "start")
    try:
        check_span(transcript["text"], Span(r["start"], r["end"], r["replacement"], text=r["text"]))
    except ValidationError as exc:
        c.fail(exc.message, "start")
    return r
