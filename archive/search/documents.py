"""Validation and conversion of app-supplied index documents."""
from __future__ import annotations

from .schema import LIST_FIELDS, SPELL_FIELD, TEXT_FIELD_FOR_LANGUAGE, TEXT_FIELDS

_PLAIN = ("transcript", "lang", "collection", "testimony_title")


def _join(values) -> str:
    values = [str(v).strip() for v in (values or []) if str(v).strip()]
    for v in values:
        if "," in v:
            raise ValueError("facet value may not contain a comma: %r" % v)
    return ",".join(values)


def to_fields(doc: dict, accession_id: str | None = None) -> dict:
    """Whoosh field kwargs for one document. Empty values are left out so no
    empty terms enter the lexicon."""
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
    spell = " ".join(out[k] for k in TEXT_FIELDS if k in out)
    if spell:
        out[SPELL_FIELD] = spell
    return out
