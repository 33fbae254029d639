"""Restoring a testimony from a revision's whole record, and the checks that keep a restore from
showing anything that is hidden now.

A restore brings back metadata, narrators, transcripts with their segments, and redactions; never
consent (what the narrator said last stands) nor the workflow state (publication has its checks).
Sensitive terms are only added, never dropped: they protect. A redaction the restore changes or
brings back is a proposal again, for a second archivist.

Refused, with the reason: a withdrawn testimony (its content stays withdrawn); a redaction that
would let a lower audience read its original; a redaction the revision lacks (restoring would
remove it, and removal takes two archivists); and, as a last check on the result itself, any text
hidden now from the public or researchers (a redacted original, a narrator's restricted fields, a
sensitive term) that the restored record would show them more often than the current one does.
"""
from __future__ import annotations

import json
import re
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.orm import Session

from .audience import Audience
from .errors import ValidationError
from .formats.json_format import OHMS_FIELDS
from .model import Collection, Narrator, Redaction, Segment, SensitiveTerm, Transcript
from .views import view_for

NARRATOR_FIELDS = ("public_name", "legal_name", "contact", "risk_notes", "birth_year", "gender", "nationality",
                   "role")
METADATA_FIELDS = ("title", "summary", "interview_date", "interview_place", "languages", "duration",
                   "interviewers", "subjects", "keywords", "places", "rights", "fictional", *OHMS_FIELDS)
RESTRICTED_NARRATOR_FIELDS = ("legal_name", "contact", "risk_notes")
LOWER = (Audience.PUBLIC, Audience.RESEARCHER)
# An admin-only redaction hides its original from archivists too: checked for them as well.
CHECKED = (*LOWER, Audience.ARCHIVIST)
REDACTION_CONTENT = ("transcript", "start", "end", "text", "field", "category", "reason", "visible_to", "replacement")


# -- refusals before anything is written --------------------------------------------------------------

def refusals(current: dict, restored: dict, *, withdrawn: bool, revision: int) -> list[str]:
    """Why restoring `restored` over `current` (both whole records) must not happen, in words."""
    if withdrawn:
        return [f"consent was withdrawn: restoring revision #{revision} would bring back content the narrator "
                "withdrew (only a purge may change a withdrawn testimony)"]
    problems = []
    old = {r["id"]: r for r in restored.get("redactions", [])}
    for r in current.get("redactions", []):
        was = old.get(r["id"])
        if was is None:
            problems.append(f"redaction {r['id']} hides its original now and revision #{revision} has no such "
                            "redaction: restoring would show it again (a removal takes two archivists: propose "
                            "it on the testimony page)")
        elif Audience.parse(was["visible_to"]) < Audience.parse(r["visible_to"]):
            problems.append(f"redaction {r['id']} shows its original to {r['visible_to']} and above now; revision "
                            f"#{revision} would show it to {was['visible_to']}, a lower audience")
    return problems


def exposures(current: dict, restored: dict, revision: int) -> list[str]:
    """Hidden text that the restored record would show an audience more often than now (each record
    read as the public, a researcher and an archivist would read it once published, open to all)."""
    problems = []
    for audience in CHECKED:
        before, after = _reader_text(current, audience), _reader_text(restored, audience)
        for label, text in guarded(current, audience):
            pattern = re.compile(r"(?<!\w)" + re.escape(text.casefold()) + r"(?!\w)")
            if len(pattern.findall(after)) > len(pattern.findall(before)):
                problems.append(f"revision #{revision} would show the {audience.label} {label}, hidden now")
    return sorted(set(problems))


def guarded(record: dict, audience: Audience) -> list[tuple[str, str]]:
    """(what it is, text) of everything in a whole record hidden from `audience` now."""
    out = []
    for r in record.get("redactions", []):
        if audience >= Audience.parse(r["visible_to"]):
            continue
        values = [r.get("text")] if not r.get("field") else record.get(r["field"])
        for value in values if isinstance(values, list) else [values]:
            out.append((f"what redaction {r['id']} hides", value))
    if audience >= Audience.ARCHIVIST:
        return [(label, value) for label, value in out if isinstance(value, str) and value.strip()]
    for n in record.get("narrators", []):
        for name in RESTRICTED_NARRATOR_FIELDS:
            out.append((f"narrator {n['id']}'s {name.replace('_', ' ')}", n.get(name)))
    for s in record.get("sensitive_terms", []):
        for value in [s["term"], *s.get("variants", [])]:
            out.append(("a sensitive term", value))
    return [(label, value) for label, value in out if isinstance(value, str) and value.strip()]


def _reader_text(record: dict, audience: Audience) -> str:
    view = view_for(_as_published(record), audience, None)
    return json.dumps(view, ensure_ascii=False).casefold() if view else ""


def _as_published(record: dict) -> SimpleNamespace:
    """A whole record as a stand-in testimony, published and open to all with every permission: the
    most any audience could ever read of it (redactions applied by `view_for`, as always)."""
    ns = SimpleNamespace
    consent = ns(status="granted", scope="open", embargo_until=None, permissions={}, permits=lambda _: True,
                 date=None, obtained_by=None, withdrawn_date=None, withdrawal_reason=None)
    # (a revision written before segments had links and GPS points, or transcripts cues, has none)
    transcripts = [ns(id=t["id"], key=t["id"], language=t["language"], kind=t["kind"], text=t["text"],
                      cues=t.get("cues") or [], translation_of=t.get("translation_of"),
                      translator=t.get("translator"), translator_key=t.get("translator_key"),
                      machine=bool(t.get("machine")),
                      segments=[ns(**{"hyperlinks": [], "gps": [], **s}) for s in t.get("segments", [])])
                   for t in record.get("transcripts", [])]
    redactions = [ns(key=r["id"], field=r.get("field"), transcript_id=r.get("transcript"), start=r.get("start"),
                     transcript=ns(key=r["transcript"]) if r.get("transcript") else None, proposed_by=None,
                     approved_by=None,
                     end=r.get("end"), text=r.get("text"), replacement=r["replacement"], reason=r.get("reason", ""),
                     category=r["category"], visible_to=r["visible_to"], state=r.get("state"))
                  for r in record.get("redactions", [])]
    narrators = [ns(key=n["id"], **{f: n.get(f) for f in NARRATOR_FIELDS}) for n in record.get("narrators", [])]
    # (places are shared authority records, named the same in both: left out, as is media)
    return ns(accession_id=record["id"], collection=ns(slug=record["collection"], title=""), state="published",
              consent=consent, transcripts=transcripts, redactions=redactions, narrators=narrators, places=[],
              media=[], sensitive_terms=[], withdrawn_at=None, held=None,
              **{f: record.get(f) for f in METADATA_FIELDS if f != "places"})


# -- writing the restored record ----------------------------------------------------------------------

def apply(session: Session, testimony, record: dict, restorer: str) -> dict:
    """Make a loaded testimony say what a whole record says (but for consent and workflow state).
    Returns what was touched: narrators changed, redactions changed or brought back, terms added."""
    collection = session.scalar(select(Collection).where(Collection.slug == record["collection"]))
    if collection is None:
        raise ValidationError(f"collection {record['collection']!r} no longer exists", record=testimony.accession_id,
                              field="collection")
    testimony.collection = collection
    for name in METADATA_FIELDS:
        value = record.get(name)
        if getattr(testimony, name) != value:
            setattr(testimony, name, list(value) if isinstance(value, list) else value)
    narrators, changed_narrators = [], []
    for item in record.get("narrators", []):
        row = session.scalar(select(Narrator).where(Narrator.key == item["id"]))
        if row is None:
            row = Narrator(key=item["id"])
            session.add(row)
        wanted = {f: item.get(f) for f in NARRATOR_FIELDS}
        if any(getattr(row, f) != v for f, v in wanted.items()):
            for f, v in wanted.items():
                setattr(row, f, v)
            changed_narrators.append(row)
        narrators.append(row)
    testimony.narrators = narrators

    transcripts = {t.key: t for t in testimony.transcripts}
    for item in record.get("transcripts", []):
        row = transcripts.get(item["id"])
        if row is None:
            row = Transcript(key=item["id"])
            testimony.transcripts.append(row)
            transcripts[item["id"]] = row
        row.language, row.kind, row.text = item["language"], item["kind"], item["text"]
        # (a revision written before translations had links reads as none)
        row.translation_of, row.translator = item.get("translation_of"), item.get("translator")
        row.translator_key, row.machine = item.get("translator_key"), bool(item.get("machine"))
        wanted = [(s["start"], s["end"], s["title"], s["synopsis"], list(s["keywords"]), s["text_start"],
                   s["text_end"]) for s in item.get("segments", [])]
        have = [(s.start, s.end, s.title, s.synopsis, list(s.keywords or []), s.text_start, s.text_end)
                for s in row.segments]
        if wanted != have:
            row.segments = [Segment(seq=n, start=s[0], end=s[1], title=s[2], synopsis=s[3], keywords=s[4],
                                    text_start=s[5], text_end=s[6]) for n, s in enumerate(wanted)]

    current = {r.key: r for r in testimony.redactions}
    proposed = []
    for item in record.get("redactions", []):
        row = current.get(item["id"])
        wanted = {"transcript": transcripts[item["transcript"]] if item.get("transcript") else None,
                  "start": item.get("start"), "end": item.get("end"), "text": item.get("text"),
                  "field": item.get("field"), "category": item["category"], "reason": item.get("reason", ""),
                  "visible_to": item["visible_to"], "replacement": item["replacement"]}
        if row is not None and all(getattr(row, k) == v for k, v in wanted.items()):
            continue
        if row is None:
            row = Redaction(key=item["id"])
            testimony.redactions.append(row)
        for k, v in wanted.items():
            setattr(row, k, v)
        # Brought back or changed by a restore: a second archivist looks at it again.
        row.state, row.proposed_by, row.approved_by = "proposed", restorer, None
        proposed.append(item["id"])
    for key, row in current.items():
        if key not in {r["id"] for r in record.get("redactions", [])}:
            testimony.redactions.remove(row)     # (`refusals` allows this only for none: kept for safety)
    kept = {t["id"] for t in record.get("transcripts", [])}
    for key, row in list(transcripts.items()):
        if key not in kept:
            testimony.transcripts.remove(row)

    have_terms = {s.term.casefold() for s in testimony.sensitive_terms}
    added_terms = 0
    for item in record.get("sensitive_terms", []):
        if item["term"].casefold() not in have_terms:
            testimony.sensitive_terms.append(SensitiveTerm(term=item["term"], variants=list(item.get("variants", [])),
                                                           category=item.get("category", "other"),
                                                           visible_to=item.get("visible_to", "archivist")))
            added_terms += 1
    return {"narrators": changed_narrators, "redactions": proposed, "terms_added": added_terms}
