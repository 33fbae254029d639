"""Reading testimonies and collections, each through the audience view; workflow changes by staff."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from .. import policy
from ..audience import Audience
from ..errors import NotFound, ValidationError
from ..identity import Identity
from ..model import Collection, Revision, Testimony
from ..vocabulary import WORKFLOW_STATES
from ..policy import gated
from ..views import tombstone_for, view_for
from .base import Service
from .recordings import unconfirmed_ranges
from .sensitive import archive_wide, describe, hidden_keys, scan_testimony


# Revisions that are review itself, not authorship: approving, adding or removing redactions (each
# under its own two-person rule), image boxes and sensitive terms only hide more or are checked twice
# already. Whoever made any other change since may not be the one who reviews it.
REVIEW_ACTS = ("state ", "redaction ", "removal of redaction ", "box ", "sensitive term ")
SECOND_ARCHIVIST = "a second archivist must review it"


def _not_reviewers(session: Session, accession_id: str) -> set[str]:
    """Who may not publish: whoever submitted the testimony for review (or, arriving in review by
    import, imported it) and whoever last changed it."""
    submitter = editor = None
    rows = session.scalars(select(Revision).where(Revision.accession_id == accession_id)
                           .order_by(Revision.id.desc()))
    for r in rows:
        if r.summary.startswith("state "):
            if submitter is None and r.summary.endswith("-> in_review"):
                submitter = r.author
        elif not r.summary.startswith(REVIEW_ACTS) and editor is None:
            editor = r.author
            submitter = submitter or r.author
        if submitter is not None and editor is not None:
            break
    return {a for a in (submitter, editor) if a is not None}


class TestimonyService(Service):
    @gated("testimony.read")
    def get(self, identity: Identity, accession_id: str) -> dict:
        """The testimony as the caller may see it; NotFound if it may not (indistinguishable from absent)."""
        with self.archive.db.session() as session:
            testimony = self.load_testimony(session, accession_id)
            policy.require_testimony(identity, testimony, self.archive.today())
            view = view_for(testimony, identity.audience, self.archive.today(), self.authorities(session))
            if identity.is_staff:
                # Reading originals of at-risk narrators is itself a fact worth keeping.
                self.archive.audit.record(session, identity, "testimony.view_original", accession_id)
            return view

    @gated("testimony.read")
    def tombstone(self, identity: Identity, accession_id: str) -> dict | None:
        """The public trace of a withdrawn testimony, or None."""
        with self.archive.db.session() as session:
            return tombstone_for(self.load_testimony(session, accession_id))

    @gated("testimony.list")
    def list(self, identity: Identity, collection: str | None = None) -> list[dict]:
        with self.archive.db.session() as session:
            authorities = self.authorities(session)
            today = self.archive.today()
            views = (view_for(t, identity.audience, today, authorities, transcripts=False)
                     for t in self.all_testimonies(session, transcripts=False))
            return [v for v in views if v and (collection is None or v["collection"]["id"] == collection)]

    @gated("collection.read")
    def collections(self, identity: Identity) -> list[dict]:
        """Collections with the number of testimonies the caller may see in each."""
        counts: dict[str, int] = {}
        for view in self.list(identity):
            counts[view["collection"]["id"]] = counts.get(view["collection"]["id"], 0) + 1
        with self.archive.db.session() as session:
            rows = session.scalars(select(Collection).order_by(Collection.title))
            return [{"id": c.slug, "title": c.title, "description": c.description,
                     "count": counts.get(c.slug, 0)} for c in rows
                    if counts.get(c.slug) or identity.is_staff]

    @gated("collection.read")
    def collection(self, identity: Identity, slug: str) -> dict:
        for c in self.collections(identity):
            if c["id"] == slug:
                return c
        raise NotFound("no such collection")

    @gated("testimony.write")
    def set_state(self, identity: Identity, accession_id: str, state: str, *, two_person: bool = True) -> dict:
        """Move a testimony through the workflow. Under the two-person rule (TWO_PERSON_RULE) it is
        published only from "in review", by an archivist who neither submitted it nor last changed it."""
        if state not in WORKFLOW_STATES or state == "withdrawn":
            raise ValidationError(f"{state!r} is not a state this action can set", field="state")
        with self.archive.unit_of_work() as session:
            testimony = self.get_testimony(session, accession_id)
            if testimony.state == "withdrawn":
                # Consent was withdrawn: the record keeps its tombstone; only a purge may remove it.
                raise ValidationError("a withdrawn testimony stays withdrawn", record=accession_id,
                                      field="state")
            if state == "published":
                problems = self.publication_problems(testimony, identity.audience)
                if two_person and testimony.state != "published":
                    problems = self._review_problems(session, identity, testimony) + problems
                if problems:
                    raise ValidationError("cannot publish: " + "; ".join(problems), record=accession_id)
            before = testimony.state
            testimony.state = state
            self.archive.audit.record(session, identity, "testimony.state", accession_id,
                                      before=before, after=state)
            self.archive.audit.revision(session, identity, accession_id, f"state {before} -> {state}",
                                        {"state": state})
            self.archive.index.sync(session, testimony)
            return {"accession_id": accession_id, "state": state}

    @gated("testimony.write")
    def may_publish(self, identity: Identity, accession_id: str, *, two_person: bool = True) -> bool:
        """Whether the caller may be the one to publish (the other checks aside): what decides whether
        the staff page offers Publish at all."""
        with self.archive.db.session() as session:
            testimony = self.get_testimony(session, accession_id)
            if testimony.state in ("published", "withdrawn"):
                return testimony.state == "published"
            return not two_person or not self._review_problems(session, identity, testimony)

    @staticmethod
    def _review_problems(session: Session, identity: Identity, testimony: Testimony) -> list[str]:
        if testimony.state != "in_review":
            return [f"{SECOND_ARCHIVIST}: submit it for review (in review) first"]
        if identity.describe() in _not_reviewers(session, testimony.accession_id):
            return [f"{SECOND_ARCHIVIST}: you submitted or last changed it"]
        return []

    @staticmethod
    def publication_problems(testimony: Testimony, audience: Audience = Audience.ARCHIVIST) -> list[str]:
        """Every reason the testimony may not be published yet (none: it may), worded for `audience`:
        a sensitive term it may not read is counted, not named."""
        problems = []
        consent = testimony.consent
        if consent is None or consent.status != "granted":
            problems.append("consent is " + (consent.status if consent else "missing"))
        unreviewed = [r.key for r in testimony.redactions if r.state != "approved"]
        if unreviewed:
            problems.append("redactions awaiting review: " + ", ".join(unreviewed))
        session = object_session(testimony)
        unredacted = scan_testimony(session, testimony) if session is not None else []
        if unredacted:
            hidden = hidden_keys([*testimony.sensitive_terms, *archive_wide(session)], audience)
            problems.append("sensitive terms unredacted: " + describe(unredacted, hidden))
        unplaced = unconfirmed_ranges(testimony)
        if unplaced:
            problems.append("transcript redactions without a confirmed time range on the recording "
                            "(place them on its timeline): " + ", ".join(unplaced))
        return problems

    @gated("testimony.list")
    def stats(self, identity: Identity) -> dict:
        views = self.list(identity)
        languages = sorted({lang for v in views for lang in v["languages"]})
        staff = {}
        if identity.audience >= Audience.ARCHIVIST:
            with self.archive.db.session() as session:
                staff = dict(session.execute(select(Testimony.state, func.count()).group_by(Testimony.state)).all())
        return {"testimonies": len(views), "languages": languages,
                "collections": len({v["collection"]["id"] for v in views}), "by_state": staff}
