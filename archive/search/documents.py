"""Validation and conversion of app-supplied index documents."""
from __future__ import annotations

import hashlib
import json
import re

from .analysis import TOKEN_PATTERN
from .schema import FACET_FIELDS, LIST_FIELDS, SPELL_FIELD, TEXT_FIELD_FOR_LANGUAGE, TEXT_FIELDS

_PLAIN = ("has_audio", "transcript", "lang", "collection", "testimony_title")
_TOKEN = re.compile(TOKEN_PATTERN)
_SPELL_SOURCES = tuple(TEXT_FIELDS) + ("text_fr",)


def _join(values) -> str:
    values = [str(v).strip() for v in (values or []) if str(v).strip()]
    for v in values:
        if "," in v:
            raise ValueError("facet value may not contain a comma: %r" % v)
    return ",".join(values)


def to_fields(doc: dict, accession_id: str | None = None) -> dict:
    """Whoosh field kwargs for one document, without the spelling words (see testimony_fields).
    Empty values are left out so no empty terms enter the lexicon."""
    for key in ("doc_id", "testimony", "kind"):
        if not doc.get(key):
            raise ValueError("index document lacks %r" % key)
    if accession_id is not None and doc["testimony"] != accession_id:
        # Otherwise the doc would outlive every later replace/remove of
        # the testimony it is filed under.
        raise ValueError("document %r belongs to %r, not %r"
                         % (doc["doc_id"], doc["testimony"], accession_id))
    if doc["kind"] not in ("meta", "segment"):
        raise ValueError("bad kind %r" % doc["kind"])
    out = {"doc_id": doc["doc_id"], "testimony": doc["testimony"], "kind": doc["kind"],
           "seq": int(doc.get("seq", -1)), "start": doc.get("start"), "end": doc.get("end")}
    for key in _PLAIN + tuple(TEXT_FIELDS):
        value = doc.get(key) or ""
        if value:
            out[key] = str(value)
    text_field = TEXT_FIELD_FOR_LANGUAGE.get((doc.get("lang") or "").split("-")[0].lower())
    if text_field and "text" in out:
        out[text_field] = out.pop("text")
    for key in LIST_FIELDS:
        joined = _join(doc.get(key))
        if joined:
            out[key] = joined
    for key in ("year", "year_from", "year_to"):
        if doc.get(key) is not None:
            out[key] = int(doc[key])
    if doc.get("year") is not None:
        out["decade"] = int(doc["year"]) // 10 * 10
    out["facets"] = facet_column(out)
    return out


def facet_column(fields: dict) -> bytes:
    """Per facet, the document's values as the facet counts show them."""
    values = {}
    for key, field in FACET_FIELDS.items():
        value = fields.get(field)
        if value is None or value == "":
            values[key] = []
        elif key in ("year", "decade"):
            values[key] = [str(value)]
        elif key == "collection":
            values[key] = [value]
        else:
            values[key] = list(dict.fromkeys(value.split(",")))
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def testimony_fields(docs: list[dict], accession_id: str | None = None, spelling: bool = True) -> list[dict]:
    """Field kwargs for all of one testimony's documents.

    The first document carries the testimony's spelling words (each distinct word of its text
    fields once: repeating them on every segment document made them nearly half of all postings)
    and a fingerprint of the whole set, so an unchanged testimony is not rewritten.
    """
    fields = [to_fields(d, accession_id) for d in docs]
    if not fields:
        return fields
    fingerprint = hashlib.sha256(repr(fields).encode("utf-8")).hexdigest()
    # (`spelling` False: the caller collects the words itself, as the SQLite engine does while analysing)
    words = dict.fromkeys(w for f in fields for key in _SPELL_SOURCES if key in f
                          for w in _TOKEN.findall(f[key])) if spelling else None
    if words:
        fields[0][SPELL_FIELD] = " ".join(words)
    fields[0]["fingerprint"] = fingerprint
    return fields
