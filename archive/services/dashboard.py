"""The archivist's dashboard: what waits for the person signed in, and what happened lately.

Every panel is a query limited to what it shows, with a COUNT(*) of the rest: loading the dashboard
costs the same at 10 testimonies and at 10,000.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..audience import INDEXED_AUDIENCES, SCOPE_FLOOR, Audience
from ..identity import Identity
from ..model import AuditEvent, Consent, Redaction, Revision, Testimony
from ..policy import gated
from .base import Service
from .sensitive import archive_wide, findings_summary

EMBARGO_HORIZON_DAYS = 90
AWAITING = ("proposed", "removal_proposed")
# Rows a panel shows; the rest are counted ("and 40 more").
PANEL_ROWS = 20
# Reading is audited too, but a dashboard of page views would bury the changes.
QUIET_ACTIONS = ("testimony.view_original", "testimony.preview", "signin.ok", "signin.failed", "signin.throttled")


def _summary(t) -> dict:
    c = t.consent
    return {"accession_id": t.accession_id, "title": t.title, "state": t.state,
            "consent": c.status if c else "missing", "scope": c.scope if c else None,
            "embargo_until": c.embargo_until.isoformat() if c and c.embargo_until else None,
            "updated_at": t.updated_at.isoformat(timespec="minutes") if t.updated_at else None}


def visible_to(audience: Audience, today: dt.date):
    """policy.can_see_testimony as an SQL condition (over testimonies outer-joined to consents), for
    counting what an audience's index should hold without a view of each testimony."""
    if audience >= Audience.ARCHIVIST:
        return Testimony.id.is_not(None)
    scopes = [scope for scope, floor in SCOPE_FLOOR.items() if floor <= audience]
    return ((Testimony.state == "published") & Testimony.held.is_(None) & (Consent.status == "granted")
            & Consent.scope.in_(scopes) & (Consent.embargo_until.is_(None) | (Consent.embargo_until <= today)))


class DashboardService(Service):
    @gated("dashboard.read")
    def panels(self, identity: Identity, *, activity: int = 15, rows: int = PANEL_ROWS) -> dict:
        """Each panel's first `rows` entries, and under "totals" how many each holds in all."""
        me = identity.describe()
        today = self.archive.today()
        horizon = today + dt.timedelta(days=EMBARGO_HORIZON_DAYS)
        live = Testimony.state != "withdrawn"
        mine = select(Revision.accession_id).where(Revision.author == me).distinct()
        lists = {
            "my_drafts": (Testimony.state == "draft") & Testimony.accession_id.in_(mine),
            "in_review": Testimony.state == "in_review",
            "embargoes_lifting": live & (Consent.embargo_until > today) & (Consent.embargo_until <= horizon),
            "consent_pending": live & (Consent.id.is_(None) | (Consent.status == "pending")),
            # Published, but a term registered since shows unredacted: no reader sees them meanwhile.
            "held": Testimony.held.is_not(None),
        }
        order = {"embargoes_lifting": (Consent.embargo_until, Testimony.accession_id),
                 "held": (Testimony.held, Testimony.accession_id)}
        with self.archive.db.session() as session:
            panels, totals = {}, {}
            for name, where in lists.items():
                query = select(Testimony).outerjoin(Consent).where(where)
                totals[name] = self._count(session, query)
                panels[name] = [self._entry(name, t, today) for t in session.scalars(
                    query.order_by(*order.get(name, (Testimony.accession_id,))).limit(rows)
                    .options(selectinload(Testimony.consent)))]

            waiting = (select(Redaction, Testimony.accession_id).join(Testimony)
                       .where(Redaction.state.in_(AWAITING), live))
            totals["awaiting_second"] = self._count(session, waiting)
            panels["awaiting_second"] = [
                {"accession_id": accession, "key": r.key, "state": r.state, "category": r.category,
                 "replacement": r.replacement, "proposed_by": r.proposed_by,
                 # the two-person rule: someone else's proposal is the one this archivist can act on
                 "mine": r.proposed_by == me}
                for r, accession in session.execute(
                    waiting.order_by(Testimony.accession_id, Redaction.id).limit(rows))]

            events = session.scalars(select(AuditEvent).where(AuditEvent.action.not_in(QUIET_ACTIONS))
                                     .order_by(AuditEvent.id.desc()).limit(activity))
            panels["activity"] = [{"at": e.at.isoformat(timespec="seconds"), "actor": e.actor,
                                   "action": e.action, "target": e.target} for e in events]
            panels["unredacted"], totals["unredacted"] = self._unredacted(session, identity, rows)
            panels["indexes"] = self._index_counts(session, today)
        panels["horizon_days"] = EMBARGO_HORIZON_DAYS
        panels["totals"], panels["rows"] = totals, rows
        return panels

    @gated("dashboard.read")
    def unredacted(self, identity: Identity, rows: int = PANEL_ROWS) -> dict:
        """The unredacted-terms panel alone (the sensitive-terms page shows it too): findings, and how
        many testimonies may hold one in all."""
        with self.archive.db.session() as session:
            findings, total = self._unredacted(session, identity, rows)
        return {"findings": findings, "total": total, "rows": rows}

    @staticmethod
    def _entry(panel: str, testimony: Testimony, today: dt.date) -> dict:
        entry = _summary(testimony)
        if panel == "embargoes_lifting":
            entry["days"] = (testimony.consent.embargo_until - today).days
        elif panel == "held":
            entry["held"] = testimony.held.isoformat(timespec="minutes")
        return entry

    @staticmethod
    def _count(session, query) -> int:
        return session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))

    def _unredacted(self, session, identity: Identity, rows: int) -> tuple[list[dict], int]:
        """Where a sensitive term still shows unredacted, among the testimonies that may hold one: the
        ones the publication gate holds back and the drafts and those in review (publishing checks
        the rest). The `rows` most recently changed of them are scanned, not the whole archive; the
        second value is how many may hold one in all."""
        candidates = Testimony.held.is_not(None) | Testimony.state.in_(("draft", "in_review"))
        total = self._count(session, select(Testimony.id).where(candidates))
        wide = archive_wide(session)
        out = []
        for testimony in session.scalars(select(Testimony).where(candidates)
                                         .order_by(Testimony.updated_at.desc(), Testimony.id.desc())
                                         .limit(rows).options(*self._view_options(True))):
            summary = findings_summary(session, testimony, wide, identity.audience)
            if summary:
                out.append(summary)
        return sorted(out, key=lambda f: f["accession_id"]), total

    def _index_counts(self, session, today: dt.date) -> dict[str, dict[str, int]]:
        """Per audience index: how many testimonies it holds and how many the database says that
        audience may see today. A difference means it needs `python -m app check` (which compares
        them testimony by testimony) or a rebuild; the dashboard does not compare every testimony."""
        out = {}
        for audience in INDEXED_AUDIENCES:
            expected = session.scalar(select(func.count(Testimony.id)).select_from(Testimony)
                                      .outerjoin(Consent).where(visible_to(audience, today)))
            held = self.archive.indexes.browse(audience.index_name, {}, 1, 1).total
            out[audience.index_name] = {"indexed": held, "expected": expected}
        return out

