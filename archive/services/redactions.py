"""Adding and approving redactions. A new redaction hides its words from lower indexes at once."""
from __future__ import annotations

from sqlalchemy import func, select

from ..audience import Audience
from ..errors import NotFound, ValidationError
from ..identity import Identity
from ..model import Redaction
from ..vocabulary import REDACTABLE_FIELDS, REDACTION_CATEGORIES
from ..policy import gated
from ..redaction import Span, check_span
from .base import Service


class RedactionService(Service):
    @gated("redaction.write")
    def add(self, identity: Identity, accession_id: str, *, category: str, replacement: str,
            reason: str = "", visible_to: str = "archivist", transcript: str | None = None,
            start: int | None = None, end: int | None = None, text: str | None = None,
            field: str | None = None) -> dict:
        if category not in REDACTION_CATEGORIES:
            raise ValidationError(f"unknown category {category!r}", field="category")
        try:
            visible = Audience.parse(visible_to).label
        except ValueError as exc:
            raise ValidationError(str(exc), record=accession_id, field="visible_to") from None
        with self.archive.unit_of_work() as session:
            testimony = self.get_testimony(session, accession_id)
            redaction = Redaction(category=category, replacement=replacement or "[withheld]",
                                  reason=reason, visible_to=visible, state="proposed",
                                  proposed_by=identity.describe())
            if field is not None:
                if field not in REDACTABLE_FIELDS:
                    raise ValidationError(f"field {field!r} cannot be redacted", field="field")
                redaction.field = field
            else:
                target = next((t for t in testimony.transcripts if t.key == transcript), None)
                if target is None:
                    raise ValidationError(f"no transcript {transcript!r}", record=accession_id, field="transcript")
                if not all(isinstance(o, int) and not isinstance(o, bool) for o in (start, end)):
                    raise ValidationError("a transcript redaction needs start and end offsets",
                                          record=accession_id, field="start")
                span = Span(start, end, replacement, text=text if text is not None else target.text[start:end])
                check_span(target.text, span, where=accession_id)
                redaction.transcript, redaction.start, redaction.end, redaction.text = target, start, end, span.text
            count = session.scalar(select(func.count()).select_from(Redaction)
                                   .where(Redaction.testimony_id == testimony.id))
            redaction.key = f"R-{count + 1}"
            while any(r.key == redaction.key for r in testimony.redactions):
                redaction.key = f"R-{int(redaction.key[2:]) + 1}"
            testimony.redactions.append(redaction)
            self.archive.audit.record(session, identity, "redaction.add", accession_id, key=redaction.key,
                                      category=category, visible_to=visible)
            self.archive.audit.revision(session, identity, accession_id, f"redaction {redaction.key} added",
                                        {"redaction": redaction.key})
            self.archive.index.sync(session, testimony)
            return {"key": redaction.key, "state": redaction.state}

    @gated("redaction.write")
    def approve(self, identity: Identity, accession_id: str, key: str, *, two_person: bool = True) -> dict:
        with self.archive.unit_of_work() as session:
            testimony = self.get_testimony(session, accession_id)
            redaction = next((r for r in testimony.redactions if r.key == key), None)
            if redaction is None:
                raise NotFound(f"no redaction {key} on {accession_id}")
            if two_person and redaction.proposed_by == identity.describe():
                raise ValidationError("a second archivist must approve a redaction", record=key)
            redaction.state, redaction.approved_by = "approved", identity.describe()
            self.archive.audit.record(session, identity, "redaction.approve", accession_id, key=key)
            self.archive.audit.revision(session, identity, accession_id, f"redaction {key} approved", {})
            return {"key": key, "state": "approved"}
