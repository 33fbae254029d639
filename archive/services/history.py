"""A testimony's history for archivists: its revisions, what changed between two of them (or a
revision and the record now), restoring one as a new revision, and the audit log, filtered."""
from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from .. import restoring
from ..errors import NotFound, ValidationError
from ..formats.serialize import full_testimony
from ..identity import Identity
from ..model import AuditEvent, Revision, Testimony, testimony_narrators
from ..policy import gated
from ..revision_diff import diff_records, withheld
from .base import Service
from .segments import check_segments

CURRENT = "current"
AUDIT_PAGE_SIZE = 50


def _describe(r: Revision) -> dict:
    return {"id": r.id, "at": r.created_at.isoformat(timespec="seconds"), "author": r.author, "summary": r.summary,
            "whole": "testimony" in (r.snapshot or {})}


class HistoryService(Service):
    @gated("history.read")
    def revisions(self, identity: Identity, accession_id: str) -> list[dict]:
        """Every revision of a testimony, newest first; `whole` says it can be compared and restored."""
        with self.archive.db.session() as session:
            self.get_testimony(session, accession_id)
            rows = session.scalars(select(Revision).where(Revision.accession_id == accession_id)
                                   .order_by(Revision.id.desc()))
            return [_describe(r) for r in rows]

    @gated("history.read")
    def diff(self, identity: Identity, accession_id: str, before: int | None = None,
             after: int | str | None = None) -> dict:
        """What changed from revision `before` to revision `after`, or to the record now. Without
        either: what the newest revision changed (from the one before it). Reading one is audited:
        it holds originals."""
        with self.archive.db.session() as session:
            testimony = self.get_testimony(session, accession_id)
            if before is None:
                whole = [r.id for r in session.scalars(select(Revision).where(Revision.accession_id == accession_id)
                                                       .order_by(Revision.id.desc()))
                         if "testimony" in (r.snapshot or {})]
                if after not in (None, CURRENT):
                    whole = [n for n in whole if n < int(self._revision(session, accession_id, after).id)]
                elif len(whole) > 1:
                    after, whole = whole[0], whole[1:]
                if not whole:
                    return {"accession_id": accession_id, "title": testimony.title, "state": testimony.state,
                            "before": None, "after": None, "diff": None}
                before = whole[0]
            old = self._revision(session, accession_id, before)
            if after in (None, CURRENT):
                new_record, new_label = full_testimony(testimony), {"id": CURRENT, "label": "the record now"}
            else:
                new = self._revision(session, accession_id, after)
                new_record, new_label = new.snapshot["testimony"], self._label(new)
            old_label = self._label(old)
            # Originals above the reader (admin-only redactions, for an archivist) stay replaced.
            shown = withheld([old.snapshot["testimony"], new_record, full_testimony(testimony)], identity.audience)
            diff = diff_records(shown[0], shown[1], (old_label["label"], new_label["label"]))
            self.archive.audit.record(session, identity, "history.view", accession_id, before=old.id,
                                      after=new_label["id"])
            return {"accession_id": accession_id, "title": testimony.title, "state": testimony.state,
                    "before": old_label, "after": new_label, "diff": diff}

    @gated("history.restore")
    def restore(self, identity: Identity, accession_id: str, revision_id: int) -> dict:
        """Bring back what revision #N held, as a new revision "restored from #N"; history is never
        rewritten. Refused, with every reason, where it would show anything hidden now."""
        with self.archive.unit_of_work() as session:
            testimony = self.get_testimony(session, accession_id)
            revision = self._revision(session, accession_id, revision_id)
            record = revision.snapshot["testimony"]
            current = full_testimony(testimony)
            problems = restoring.refusals(current, record, withdrawn=testimony.state == "withdrawn",
                                          revision=revision.id)
            if problems:
                raise ValidationError("cannot restore: " + "; ".join(problems), record=accession_id)
            others = self._sharing(session, testimony, record)
            others_before = {t.accession_id: full_testimony(t) for t in others}
            with session.no_autoflush:
                touched = restoring.apply(session, testimony, record, identity.describe())
            session.flush()
            for tr in testimony.transcripts:
                check_segments(tr, testimony.duration, accession_id)
            problems = restoring.exposures(current, full_testimony(testimony), revision.id)
            for other in others:
                problems += [f"{p} in {other.accession_id}" for p in
                             restoring.exposures(others_before[other.accession_id], full_testimony(other), revision.id)]
            if problems:
                # Raising rolls the whole unit of work back: nothing of the restore is kept.
                raise ValidationError("cannot restore: " + "; ".join(problems), record=accession_id)
            summary = f"restored from #{revision.id}"
            self.archive.audit.record(session, identity, "history.restore", accession_id, revision=revision.id,
                                      redactions_proposed=touched["redactions"],
                                      narrators=[n.key for n in touched["narrators"]],
                                      terms_added=touched["terms_added"])
            self.archive.audit.revision(session, identity, accession_id, summary, {"restored_from": revision.id})
            self.archive.index.sync(session, testimony, *others)
            return {"accession_id": accession_id, "restored_from": revision.id,
                    "redactions_proposed": touched["redactions"], "summary": summary}

    @gated("audit.read")
    def audit_log(self, identity: Identity, *, actor: str | None = None, action: str | None = None,
                  target: str | None = None, since: dt.date | None = None, until: dt.date | None = None,
                  page: int = 1, per_page: int = AUDIT_PAGE_SIZE) -> dict:
        """Audit events, newest first, filtered: `actor` and `target` exactly, `action` exactly or as
        a family ("redaction" is every redaction.* action), `since`..`until` inclusive days."""
        if not isinstance(page, int) or page < 1:
            raise ValidationError(f"page {page!r} is not a page number", field="page")
        if since and until and since > until:
            raise ValidationError(f"the range starts ({since}) after it ends ({until})", field="until")
        conditions = []
        if actor:
            conditions.append(AuditEvent.actor == actor.strip())
        if action:
            action = action.strip()
            conditions.append(or_(AuditEvent.action == action, AuditEvent.action.startswith(action + ".",
                                                                                              autoescape=True)))
        if target:
            conditions.append(AuditEvent.target == target.strip())
        if since:
            conditions.append(AuditEvent.at >= dt.datetime.combine(since, dt.time()))
        if until:
            conditions.append(AuditEvent.at < dt.datetime.combine(until + dt.timedelta(days=1), dt.time()))
        with self.archive.db.session() as session:
            total = session.scalar(select(func.count()).select_from(AuditEvent).where(*conditions))
            pages = max(1, math.ceil(total / per_page))
            rows = session.scalars(select(AuditEvent).where(*conditions).order_by(AuditEvent.id.desc())
                                   .offset((page - 1) * per_page).limit(per_page))
            events = [{"id": e.id, "at": e.at.isoformat(timespec="seconds"), "actor": e.actor, "action": e.action,
                       "target": e.target, "detail": e.detail} for e in rows]
            actions = sorted(session.scalars(select(AuditEvent.action).distinct()))
            actors = sorted(session.scalars(select(AuditEvent.actor).distinct()))
        families = sorted({a.split(".")[0] for a in actions if "." in a})
        return {"events": events, "total": total, "page": page, "pages": pages, "per_page": per_page,
                "actions": sorted(set(actions) | set(families)), "actors": actors}

    # -- helpers ----------------------------------------------------------------------------------

    @staticmethod
    def _revision(session: Session, accession_id: str, revision_id) -> Revision:
        try:
            number = int(revision_id)
        except (TypeError, ValueError):
            raise ValidationError(f"{revision_id!r} is not a revision number", record=accession_id,
                                  field="revision") from None
        revision = session.get(Revision, number)
        if revision is None or revision.accession_id != accession_id:
            raise NotFound(f"no revision #{number} of {accession_id}")
        if "testimony" not in (revision.snapshot or {}):
            raise ValidationError(f"revision #{number} records only what it changed, not the whole record, "
                                  "so it cannot be compared or restored", record=accession_id, field="revision")
        return revision

    @staticmethod
    def _label(r: Revision) -> dict:
        return {"id": r.id, "label": f"revision #{r.id}", "at": r.created_at.isoformat(timespec="seconds"),
                "author": r.author, "summary": r.summary}

    @staticmethod
    def _sharing(session: Session, testimony: Testimony, record: dict) -> list[Testimony]:
        """Other testimonies with a narrator the restore may change (narrator records are shared)."""
        keys = [n["id"] for n in record.get("narrators", [])]
        if not keys:
            return []
        from ..model import Narrator
        ids = select(testimony_narrators.c.testimony_id).join(
            Narrator, Narrator.id == testimony_narrators.c.narrator_id).where(Narrator.key.in_(keys))
        return list(session.scalars(select(Testimony).where(Testimony.id.in_(ids), Testimony.id != testimony.id)))
