"""Scanning a whole testimony record (the JSON format's dict) for terms and identifiers.

Every text an audience below archivist can be shown is scanned: transcript texts, segment titles,
synopses and keywords, the redactable metadata fields, keywords, subjects, places and narrators'
public names. Restricted fields (legal name, contact, risk notes) are not: they are never shown
below archivist, so a name there is expected, not a leak.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from archive.vocabulary import REDACTABLE_FIELDS

from .identifiers import Suggestion, suggest_identifiers
from .terms import Occurrence, compile_terms, find_terms, merge_spans

# Shown to audiences, so scanned, though not field-redactable: a hit there means editing the field.
_LISTED_FIELDS = ("keywords", "subjects", "places")
# What OHMS carries (issue 14): shown to readers, so scanned too.
_OHMS_FIELDS = ("interview_date_text", "repository", "series", "funding", "media_url")


@dataclass(frozen=True)
class Location:
    """Where in a record a text sits.

    field: "text" for a transcript's text; "title", "synopsis", "keywords" for a segment's;
    otherwise the record field ("summary", "interview_place", "narrators.public_name" ...).
    segment: the segment's seq (its 0-based position, as the importer numbers them); for a
    transcript text, the segment the occurrence starts in. index: position in a list field.
    """
    field: str
    transcript: str | None = None
    segment: int | None = None
    index: int | None = None


@dataclass(frozen=True)
class Finding:
    location: Location
    occurrence: Occurrence


@dataclass(frozen=True)
class IdentifierFinding:
    location: Location
    suggestion: Suggestion


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def _redaction_target(r: Any) -> tuple[str | None, str | None]:
    """(field, transcript key) of a redaction given as a JSON dict or a model row."""
    transcript = _get(r, "transcript")
    if transcript is not None and not isinstance(transcript, str):
        transcript = transcript.key   # a model Redaction's relationship
    return _get(r, "field"), transcript


def _texts(record: dict, redactions: Iterable[Any]) -> Iterator[tuple[Location, str, list[tuple[int, int]]]]:
    """(location, text, redacted spans) for every audience-visible text; field-redacted fields
    are hidden whole and skipped."""
    hidden_fields: set[str] = set()
    spans: dict[str, list[tuple[int, int]]] = {}
    for r in redactions:
        field, transcript = _redaction_target(r)
        if field:
            hidden_fields.add(field)
        elif transcript is not None and _get(r, "start") is not None and _get(r, "end") is not None:
            spans.setdefault(transcript, []).append((_get(r, "start"), _get(r, "end")))
    for tr in record.get("transcripts") or ():
        key = tr.get("id") or tr.get("key")
        if tr.get("text"):
            yield Location("text", key), tr["text"], merge_spans(spans.get(key, ()))
        for seq, seg in enumerate(tr.get("segments") or ()):
            for field in ("title", "synopsis"):
                if seg.get(field):
                    yield Location(field, key, seq), seg[field], []
            for i, keyword in enumerate(seg.get("keywords") or ()):
                yield Location("keywords", key, seq, i), keyword, []
            # OHMS index extras (issue 14): link texts and addresses, GPS labels.
            for i, link in enumerate(seg.get("hyperlinks") or ()):
                for part in ("text", "url"):
                    if link.get(part):
                        yield Location(f"hyperlinks.{part}", key, seq, i), link[part], []
            for i, point in enumerate(seg.get("gps") or ()):
                if point.get("label"):
                    yield Location("gps.label", key, seq, i), point["label"], []
    for field in (*REDACTABLE_FIELDS, *_LISTED_FIELDS, *_OHMS_FIELDS):
        value = record.get(field)
        if field in hidden_fields or not value or (field == "interview_date_text" and "interview_date" in hidden_fields):
            continue
        if isinstance(value, str):
            yield Location(field), value, []
        else:
            for i, item in enumerate(value):
                if isinstance(item, str) and item:
                    yield Location(field, index=i), item, []
    for i, narrator in enumerate(record.get("narrators") or ()):
        if narrator.get("public_name"):
            yield Location("narrators.public_name", index=i), narrator["public_name"], []
    # Given by the caller where it knows them: place labels and variants, the collection's title.
    for field, names in (record.get("shown_names") or {}).items():
        for i, name in enumerate(names):
            if name:
                yield Location(field, index=i), name, []


def _segment_of(record: dict, location: Location, start: int) -> Location:
    if location.field != "text":
        return location
    tr = next(t for t in record["transcripts"] if (t.get("id") or t.get("key")) == location.transcript)
    for seq, seg in enumerate(tr.get("segments") or ()):
        if seg["text_start"] <= start < seg["text_end"]:
            return Location("text", location.transcript, seq)
    return location


def scan_record(record: dict, terms: Iterable[Any] | None = None,
                redactions: Iterable[Any] | None = None) -> list[Finding]:
    """Unredacted occurrences of sensitive terms anywhere an audience could read them.

    terms: SensitiveTerm rows, JSON dicts or strings; default the record's own sensitive_terms
    (pass the archive-wide ones as well). redactions: default the record's own.
    """
    compiled = compile_terms(record.get("sensitive_terms") or () if terms is None else terms)
    redactions = record.get("redactions") or () if redactions is None else redactions
    findings = []
    for location, text, redacted in _texts(record, redactions):
        for occ in find_terms(text, compiled, redacted=redacted):
            findings.append(Finding(_segment_of(record, location, occ.start), occ))
    return findings


def scan_record_identifiers(record: dict, redactions: Iterable[Any] | None = None) -> list[IdentifierFinding]:
    """Identifier suggestions anywhere an audience could read them, outside redacted spans."""
    redactions = record.get("redactions") or () if redactions is None else redactions
    findings = []
    for location, text, redacted in _texts(record, redactions):
        for s in suggest_identifiers(text):
            if any(r_start <= s.start and s.end <= r_end for r_start, r_end in redacted):
                continue
            findings.append(IdentifierFinding(_segment_of(record, location, s.start), s))
    return findings
