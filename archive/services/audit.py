"""The audit log: append-only (the database refuses updates and deletes), readable by staff."""
from __future__ import annotations

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ..formats.serialize import full_testimony
from ..identity import Identity
from ..model import AuditEvent, Revision, Testimony
from ..policy import gated
from .base import Service

# A caller that already passes the whole record (imports) is not stored twice.
_FULL_KEYS = frozenset(("id", "collection", "title", "transcripts", "redactions", "narrators", "consent"))


@event.listens_for(Session, "before_commit")
def _complete_revisions(session: Session) -> None:
    """Give each revision written in this unit of work the whole record as it stands at commit:
    what a diff compares and a restore brings back. Several revisions of one unit of work share
    that state, since they were one change."""
    pending = session.info.pop("revisions", [])
    if not pending:
        return
    # Loaded testimonies come from the session (a bulk import holds them all); each is serialised once.
    loaded = {obj.accession_id: obj for obj in list(session.identity_map.values())
              if isinstance(obj, Testimony) and obj not in session.deleted}
    records: dict[str, dict | None] = {}
    for revision in pending:
        accession = revision.accession_id
        if accession not in records:
            testimony = loaded.get(accession) or session.scalar(
                select(Testimony).where(Testimony.accession_id == accession))
            records[accession] = full_testimony(testimony) if testimony is not None else None
        if records[accession] is not None:
            revision.snapshot = {**revision.snapshot, "testimony": records[accession]}


class AuditService(Service):
    @staticmethod
    def record(session: Session, identity: Identity, action: str, target: str = "", **detail) -> None:
        session.add(AuditEvent(actor=identity.describe(), action=action, target=target, detail=detail))
        session.info["who"] = identity.describe()     # whom the unit of work's jobs are for (services/jobs.py)

    @staticmethod
    def revision(session: Session, identity: Identity, accession_id: str, summary: str, snapshot: dict) -> None:
        """A revision: `snapshot` says what changed ("change"); the whole record after the change
        ("testimony", in the full JSON format) is added when the unit of work commits."""
        change = {k: v for k, v in snapshot.items() if k not in _FULL_KEYS} \
            if _FULL_KEYS <= set(snapshot) else snapshot
        revision = Revision(accession_id=accession_id, author=identity.describe(), summary=summary,
                            snapshot={"change": change})
        session.add(revision)
        session.info.setdefault("revisions", []).append(revision)

    @gated("audit.read")
    def events(self, identity: Identity, limit: int = 200, target: str | None = None) -> list[dict]:
        with self.archive.db.session() as session:
            query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
            if target:
                query = query.where(AuditEvent.target == target)
            return [{"at": e.at.isoformat(timespec="seconds"), "actor": e.actor, "action": e.action,
                     "target": e.target, "detail": e.detail} for e in session.scalars(query)]

    @gated("audit.read")
    def revisions(self, identity: Identity, accession_id: str) -> list[dict]:
        with self.archive.db.session() as session:
            rows = session.scalars(select(Revision).where(Revision.accession_id == accession_id)
                                   .order_by(Revision.id.desc()))
            return [{"at": r.created_at.isoformat(timespec="seconds"), "author": r.author,
                     "summary": r.summary} for r in rows]
