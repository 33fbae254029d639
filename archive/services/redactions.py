"""Proposing, approving, editing and removing redactions. A proposal hides its words from lower
indexes at once; anything that would show words again (a removal, a lower `visible_to`) waits for
a second archivist when the two-person rule is on.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..audience import Audience
from ..errors import NotFound, ValidationError
from ..identity import Identity
from ..model import AuditEvent, Redaction, Testimony
from ..policy import gated
from ..redaction import Span, check_span
from ..vocabulary import REDACTABLE_FIELDS, REDACTION_CATEGORIES
from ..reserve import spends_reserve
from .gate import protective
from .base import Service

REMOVAL_PROPOSED = "removal_proposed"


def _category(category: str) -> str:
    if category not in REDACTION_CATEGORIES:
        raise ValidationError(f"unknown category {category!r} (categories: {', '.join(REDACTION_CATEGORIES)})",
                              field="category")
    return category


def _audience(visible_to: str, accession_id: str) -> str:
    try:
        return Audience.parse(visible_to).label
    except ValueError as exc:
        raise ValidationError(str(exc), record=accession_id, field="visible_to") from None


def _next_key(session: Session, testimony: Testimony) -> str:
    """A key no redaction of this testimony has ever had: a removed redaction's key is never reused,
    so the audit log's "R-4 approved" always means one redaction."""
    removed = {(e.detail or {}).get("key") for e in session.scalars(
        select(AuditEvent).where(AuditEvent.target == testimony.accession_id,
                                 AuditEvent.action == "redaction.remove"))}
    taken = {r.key for r in testimony.redactions} | removed
    n = session.scalar(select(func.count()).select_from(Redaction)
                       .where(Redaction.testimony_id == testimony.id)) + 1
    while f"R-{n}" in taken:
        n += 1
    return f"R-{n}"


def propose(session: Session, archive, identity: Identity, testimony: Testimony, *, category: str,
            replacement: str, reason: str = "", visible_to: str = "archivist", transcript: str | None = None,
            start: int | None = None, end: int | None = None, text: str | None = None,
            field: str | None = None) -> Redaction:
    """Add a proposed redaction to a loaded testimony inside the caller's unit of work, with its audit
    event and revision; the caller re-indexes. Shared by `RedactionService.add` and "redact all"."""
    accession_id = testimony.accession_id
    _category(category)
    visible = _audience(visible_to, accession_id)
    protective(session)   # a proposal hides at once; it never makes anything show
    redaction = Redaction(category=category, replacement=replacement or "[withheld]", reason=reason or "",
                          visible_to=visible, state="proposed", proposed_by=identity.describe())
    if field is not None:
        if field not in REDACTABLE_FIELDS:
            raise ValidationError(f"field {field!r} cannot be redacted", record=accession_id, field="field")
        redaction.field = field
    else:
        target = next((t for t in testimony.transcripts if t.key == transcript), None)
        if target is None:
            raise ValidationError(f"no transcript {transcript!r}", record=accession_id, field="transcript")
        if not all(isinstance(o, int) and not isinstance(o, bool) for o in (start, end)):
            raise ValidationError("a transcript redaction needs start and end offsets",
                                  record=accession_id, field="start")
        span = Span(start, end, redaction.replacement, text=text if text is not None else target.text[start:end])
        check_span(target.text, span, where=accession_id)
        redaction.transcript, redaction.start, redaction.end, redaction.text = target, start, end, span.text
    redaction.key = _next_key(session, testimony)
    testimony.redactions.append(redaction)
    archive.audit.record(session, identity, "redaction.add", accession_id, key=redaction.key,
                         category=category, visible_to=visible)
    archive.audit.revision(session, identity, accession_id, f"redaction {redaction.key} added",
                           {"redaction": redaction.key})
    return redaction


def _snapshot(r: Redaction) -> dict:
    """What a revision keeps of a redaction, originals included (revisions are staff-only and go with
    a purge; the append-only audit log gets keys and categories, never the hidden words)."""
    out = {"key": r.key, "category": r.category, "reason": r.reason, "visible_to": r.visible_to,
           "replacement": r.replacement, "state": r.state, "proposed_by": r.proposed_by,
           "approved_by": r.approved_by}
    if r.field:
        out["field"] = r.field
    else:
        out.update(transcript=r.transcript.key if r.transcript else None, start=r.start, end=r.end, text=r.text)
    return out


class RedactionService(Service):
    @gated("redaction.write")
    @spends_reserve
    def add(self, identity: Identity, accession_id: str, *, category: str, replacement: str,
            reason: str = "", visible_to: str = "archivist", transcript: str | None = None,
            start: int | None = None, end: int | None = None, text: str | None = None,
            field: str | None = None) -> dict:
        _category(category)
        _audience(visible_to, accession_id)
        with self.archive.unit_of_work() as session:
            testimony = self.get_testimony(session, accession_id)
            redaction = propose(session, self.archive, identity, testimony, category=category,
                                replacement=replacement, reason=reason, visible_to=visible_to,
                                transcript=transcript, start=start, end=end, text=text, field=field)
            self.archive.index.sync(session, testimony)
            return {"key": redaction.key, "state": redaction.state}

    @gated("redaction.write")
    @spends_reserve
    def approve(self, identity: Identity, accession_id: str, key: str, *, two_person: bool = True) -> dict:
        with self.archive.unit_of_work() as session:
            protective(session)
            testimony = self.get_testimony(session, accession_id)
            redaction = self._redaction(testimony, key)
            if redaction.state == REMOVAL_PROPOSED:
                raise ValidationError("its removal is proposed: confirm the removal or keep the redaction",
                                      record=key)
            if two_person and redaction.proposed_by == identity.describe():
                raise ValidationError("a second archivist must approve a redaction", record=key)
            redaction.state, redaction.approved_by = "approved", identity.describe()
            self.archive.audit.record(session, identity, "redaction.approve", accession_id, key=key)
            self.archive.audit.revision(session, identity, accession_id, f"redaction {key} approved", {})
            return {"key": key, "state": "approved"}

    @gated("redaction.write")
    def edit(self, identity: Identity, accession_id: str, key: str, *, replacement: str | None = None,
             reason: str | None = None, category: str | None = None, visible_to: str | None = None) -> dict:
        """Change what a redaction shows and why. An edit is a new proposal (a second archivist
        approves it again); it may keep or raise the lowest audience, never lower it, since that
        would show the original at once: lowering goes through removal, which takes two archivists."""
        changes: dict = {}
        if replacement is not None:
            replacement = replacement.strip()
            if not replacement:
                raise ValidationError("a redaction needs a replacement", record=key, field="replacement")
            changes["replacement"] = replacement
        if reason is not None:
            changes["reason"] = reason.strip()
        if category is not None:
            changes["category"] = _category(category)
        if visible_to is not None:
            changes["visible_to"] = _audience(visible_to, accession_id)
        with self.archive.unit_of_work() as session:
            testimony = self.get_testimony(session, accession_id)
            redaction = self._redaction(testimony, key)
            if redaction.state == REMOVAL_PROPOSED:
                raise ValidationError("its removal is proposed: confirm the removal or keep the redaction first",
                                      record=key)
            if "visible_to" in changes and \
                    Audience.parse(changes["visible_to"]) < Audience.parse(redaction.visible_to):
                raise ValidationError(
                    f"lowering who may see the original (from {redaction.visible_to} to {changes['visible_to']}) "
                    "would show it at once: remove the redaction instead (a second archivist confirms)",
                    record=key, field="visible_to")
            changed = sorted(k for k, v in changes.items() if getattr(redaction, k) != v)
            if not changed:
                return {"key": key, "state": redaction.state, "changed": []}
            before = _snapshot(redaction)
            for name in changed:
                setattr(redaction, name, changes[name])
            redaction.state, redaction.proposed_by, redaction.approved_by = "proposed", identity.describe(), None
            self.archive.audit.record(session, identity, "redaction.edit", accession_id, key=key, changed=changed,
                                      **{k: changes[k] for k in changed if k in ("category", "visible_to")})
            self.archive.audit.revision(session, identity, accession_id,
                                        f"redaction {key} edited ({', '.join(changed)})",
                                        {"before": before, "after": _snapshot(redaction)})
            self.archive.index.sync(session, testimony)
            return {"key": key, "state": redaction.state, "changed": changed}

    @gated("redaction.write")
    def remove(self, identity: Identity, accession_id: str, key: str, *, two_person: bool = True) -> dict:
        """Ask to remove a redaction. Removing one shows its original again, so under the two-person
        rule it is only marked (and keeps hiding) until another archivist confirms the removal."""
        if not two_person:
            return self._delete(identity, accession_id, key, requested=False)
        with self.archive.unit_of_work() as session:
            testimony = self.get_testimony(session, accession_id)
            redaction = self._redaction(testimony, key)
            if redaction.state == REMOVAL_PROPOSED:
                raise ValidationError(f"its removal was already proposed by {redaction.proposed_by}", record=key)
            before = _snapshot(redaction)
            redaction.state, redaction.proposed_by, redaction.approved_by = \
                REMOVAL_PROPOSED, identity.describe(), None
            self.archive.audit.record(session, identity, "redaction.remove_request", accession_id, key=key)
            self.archive.audit.revision(session, identity, accession_id, f"removal of redaction {key} proposed",
                                        {"before": before})
            return {"key": key, "state": REMOVAL_PROPOSED}

    @gated("redaction.write")
    def confirm_removal(self, identity: Identity, accession_id: str, key: str, *, two_person: bool = True) -> dict:
        return self._delete(identity, accession_id, key, requested=True, two_person=two_person)

    @gated("redaction.write")
    def keep(self, identity: Identity, accession_id: str, key: str) -> dict:
        """Refuse a proposed removal: the redaction stays, as a proposal a second archivist approves."""
        with self.archive.unit_of_work() as session:
            testimony = self.get_testimony(session, accession_id)
            redaction = self._redaction(testimony, key)
            if redaction.state != REMOVAL_PROPOSED:
                raise ValidationError("no removal of this redaction is proposed", record=key)
            requested_by = redaction.proposed_by
            redaction.state, redaction.proposed_by = "proposed", identity.describe()
            self.archive.audit.record(session, identity, "redaction.keep", accession_id, key=key,
                                      removal_requested_by=requested_by)
            self.archive.audit.revision(session, identity, accession_id,
                                        f"redaction {key} kept (removal refused)", {"redaction": key})
            return {"key": key, "state": "proposed"}

    def _delete(self, identity: Identity, accession_id: str, key: str, *, requested: bool,
                two_person: bool = True) -> dict:
        with self.archive.unit_of_work() as session:
            testimony = self.get_testimony(session, accession_id)
            redaction = self._redaction(testimony, key)
            if requested:
                if redaction.state != REMOVAL_PROPOSED:
                    raise ValidationError("no removal of this redaction is proposed", record=key)
                if two_person and redaction.proposed_by == identity.describe():
                    raise ValidationError("a second archivist must confirm the removal of a redaction", record=key)
            before = _snapshot(redaction)
            testimony.redactions.remove(redaction)
            self.archive.audit.record(session, identity, "redaction.remove", accession_id, key=key,
                                      requested_by=before["proposed_by"] if requested else identity.describe())
            self.archive.audit.revision(session, identity, accession_id, f"redaction {key} removed",
                                        {"removed": before})
            # The original shows again wherever its audience may read it, in pages and indexes alike.
            self.archive.index.sync(session, testimony)
            return {"key": key, "state": "removed"}

    @staticmethod
    def _redaction(testimony: Testimony, key: str) -> Redaction:
        redaction = next((r for r in testimony.redactions if r.key == key), None)
        if redaction is None:
            raise NotFound(f"no redaction {key} on {testimony.accession_id}")
        return redaction
