"""The audit log: append-only (the database refuses updates and deletes), readable by staff."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..identity import Identity
from ..model import AuditEvent, Revision
from ..policy import gated
from .base import Service


class AuditService(Service):
    @staticmethod
    def record(session: Session, identity: Identity, action: str, target: str = "", **detail) -> None:
        session.add(AuditEvent(actor=identity.describe(), action=action, target=target, detail=detail))

    @staticmethod
    def revision(session: Session, identity: Identity, accession_id: str, summary: str, snapshot: dict) -> None:
        session.add(Revision(accession_id=accession_id, author=identity.describe(), summary=summary,
                             snapshot=snapshot))

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
