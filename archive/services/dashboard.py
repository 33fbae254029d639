"""The archivist's dashboard: what waits for the person signed in, and what happened lately."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from ..identity import Identity
from ..model import AuditEvent, Revision
from ..policy import gated
from .base import Service

EMBARGO_HORIZON_DAYS = 90
AWAITING = ("proposed", "removal_proposed")
# Reading is audited too, but a dashboard of page views would bury the changes.
QUIET_ACTIONS = ("testimony.view_original", "testimony.preview", "signin.ok", "signin.failed", "signin.throttled")


def _summary(t) -> dict:
    c = t.consent
    return {"accession_id": t.accession_id, "title": t.title, "state": t.state,
            "consent": c.status if c else "missing", "scope": c.scope if c else None,
            "embargo_until": c.embargo_until.isoformat() if c and c.embargo_until else None,
            "updated_at": t.updated_at.isoformat(timespec="minutes") if t.updated_at else None}


class DashboardService(Service):
    @gated("dashboard.read")
    def panels(self, identity: Identity, *, activity: int = 15) -> dict:
        me = identity.describe()
        today = self.archive.today()
        horizon = today + dt.timedelta(days=EMBARGO_HORIZON_DAYS)
        with self.archive.db.session() as session:
            testimonies = [t for t in self.all_testimonies(session, transcripts=False) if t.state != "withdrawn"]
            mine = set(session.scalars(select(Revision.accession_id).where(Revision.author == me).distinct()))
            awaiting = [{"accession_id": t.accession_id, "key": r.key, "state": r.state, "category": r.category,
                         "replacement": r.replacement, "proposed_by": r.proposed_by,
                         # the two-person rule: someone else's proposal is the one this archivist can act on
                         "mine": r.proposed_by == me}
                        for t in testimonies for r in t.redactions if r.state in AWAITING]
            embargoes = sorted((t for t in testimonies if t.consent and t.consent.embargo_until
                                and today < t.consent.embargo_until <= horizon),
                               key=lambda t: t.consent.embargo_until)
            events = session.scalars(select(AuditEvent).where(AuditEvent.action.not_in(QUIET_ACTIONS))
                                     .order_by(AuditEvent.id.desc()).limit(activity))
            panels = {
                "my_drafts": [_summary(t) for t in testimonies if t.state == "draft" and t.accession_id in mine],
                "in_review": [_summary(t) for t in testimonies if t.state == "in_review"],
                "awaiting_second": awaiting,
                "embargoes_lifting": [{**_summary(t), "days": (t.consent.embargo_until - today).days}
                                      for t in embargoes],
                "consent_pending": [_summary(t) for t in testimonies
                                    if t.consent is None or t.consent.status == "pending"],
                "activity": [{"at": e.at.isoformat(timespec="seconds"), "actor": e.actor, "action": e.action,
                              "target": e.target} for e in events],
                "horizon_days": EMBARGO_HORIZON_DAYS,
                # Published, but a term registered since shows unredacted: no reader sees them meanwhile.
                "held": [{**_summary(t), "held": t.held.isoformat(timespec="minutes")}
                         for t in self.archive.gate.held(session)],
            }
        panels["unredacted"] = self.archive.sensitive.archive_findings(identity)
        return panels
