"""Records to the JSON format: full records for staff, audience views for everyone else."""
from __future__ import annotations

from typing import Any

from .json_format import FORMAT, OHMS_FIELDS


def _iso(d) -> str | None:
    return d.isoformat() if d else None


def document(collections: list[dict], authorities: list[dict], testimonies: list[dict], **extra) -> dict:
    return {"format": FORMAT, **extra, "collections": collections, "authorities": authorities,
            "testimonies": testimonies}


def authority(a) -> dict:
    return {"id": a.key, "type": a.type, "label": a.label, "variants": list(a.variants or [])}


def collection(c) -> dict:
    return {"id": c.slug, "title": c.title, "description": c.description}


def full_testimony(t) -> dict:
    """Everything, originals included: for archivists' exports and revisions only."""
    c = t.consent
    return {
        "id": t.accession_id, "collection": t.collection.slug, "title": t.title, "summary": t.summary,
        "interview_date": t.interview_date, "interview_place": t.interview_place,
        "languages": list(t.languages or []), "duration": t.duration,
        "subjects": list(t.subjects or []), "keywords": list(t.keywords or []),
        "places": list(t.places or []), "interviewers": list(t.interviewers or []), "rights": t.rights,
        **{name: getattr(t, name) for name in OHMS_FIELDS if getattr(t, name) is not None},
        "fictional": t.fictional, "state": t.state,
        "narrators": [{k: v for k, v in {
            "id": n.key, "public_name": n.public_name, "legal_name": n.legal_name, "contact": n.contact,
            "risk_notes": n.risk_notes, "birth_year": n.birth_year, "gender": n.gender,
            "nationality": n.nationality, "role": n.role}.items() if v is not None} for n in t.narrators],
        "consent": None if c is None else {
            "status": c.status, "scope": c.scope, "date": _iso(c.date), "obtained_by": c.obtained_by,
            "embargo_until": _iso(c.embargo_until), "permissions": dict(c.permissions or {}),
            "withdrawn_date": _iso(c.withdrawn_date), "withdrawal_reason": c.withdrawal_reason},
        "transcripts": [{"id": tr.key, "language": tr.language, "kind": tr.kind, "text": tr.text,
                         "segments": [{"start": s.start, "end": s.end, "title": s.title,
                                       "synopsis": s.synopsis, "keywords": list(s.keywords or []),
                                       "text_start": s.text_start, "text_end": s.text_end,
                                       **_extras(s)}
                                      for s in tr.segments], **({"cues": list(tr.cues)} if tr.cues else {}),
                         **translation_fields(tr)}
                        for tr in t.transcripts],
        "redactions": [_full_redaction(r) for r in t.redactions],
        "sensitive_terms": [term(s) for s in t.sensitive_terms],
    }


def translation_fields(tr) -> dict:
    """A translation's link, translator and machine flag, where it has them (files stay as they were
    otherwise)."""
    out = {name: getattr(tr, name) for name in ("translation_of", "translator", "translator_key")
           if getattr(tr, name)}
    if tr.machine:
        out["machine"] = True
    return out


def _extras(segment) -> dict:
    """A segment's hyperlinks and GPS points, where it has any (files stay as they were otherwise)."""
    return {name: [dict(v) for v in getattr(segment, name)] for name in ("hyperlinks", "gps")
            if getattr(segment, name)}


def term(s) -> dict:
    return {"term": s.term, "variants": list(s.variants or []), "category": s.category,
            "visible_to": s.visible_to or "archivist"}


def _full_redaction(r) -> dict:
    out: dict[str, Any] = {"id": r.key}
    if r.field:
        out["field"] = r.field
    else:
        out.update(transcript=r.transcript.key, start=r.start, end=r.end, text=r.text)
    out.update(category=r.category, reason=r.reason, visible_to=r.visible_to, replacement=r.replacement,
               state=r.state, proposed_by=r.proposed_by, approved_by=r.approved_by)
    return out


def view_testimony(view: dict) -> dict:
    """An audience view in the JSON format: redacted text, no redactions, no restricted fields."""
    transcripts = []
    for tr in view["transcripts"]:
        text, segments = "", []
        for s in tr["segments"]:
            segments.append({"start": s["start"], "end": s["end"], "title": s["title"],
                             "synopsis": s["synopsis"], "keywords": s["keywords"],
                             "text_start": len(text), "text_end": len(text) + len(s["text"]),
                             **{k: s[k] for k in ("hyperlinks", "gps") if s.get(k)}})
            text += s["text"]
        if all(s["start"] is None for s in segments):
            segments = []
        cues = [[min(c["at"], len(text)), min(c["at"] + len(c["text"]), len(text)), c["start"], c["end"]]
                for c in tr.get("cues", [])]
        transcripts.append({"id": tr["key"], "language": tr["language"], "kind": tr["kind"],
                            "text": text, "segments": segments, **({"cues": cues} if cues else {}),
                            **{k: tr[k] for k in ("translation_of", "translator", "machine") if tr.get(k)}})
    consent = view["consent"] or {}
    return {
        "id": view["accession_id"], "collection": view["collection"]["id"], "title": view["title"],
        "summary": view["summary"], "interview_date": view["interview_date"],
        "interview_place": view["interview_place"], "languages": view["languages"],
        "duration": view["duration"], "subjects": view["subjects"], "keywords": view["keywords"],
        "places": [p["id"] for p in view["places"]], "interviewers": view["interviewers"],
        "rights": view["rights"], "fictional": view["fictional"], "state": "published",
        **{name: view[name] for name in OHMS_FIELDS if view.get(name) is not None},
        "narrators": [{("id" if k == "key" else k): v for k, v in n.items()} for n in view["narrators"]],
        "consent": {"status": "granted", "scope": consent.get("scope"),
                    "permissions": consent.get("permissions", {})},
        "transcripts": transcripts,
    }
