"""Reading testimonies and collections, each through the audience view; workflow changes by staff."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from .. import policy
from ..audience import Audience
from ..errors import NotFound, ValidationError
from ..identity import Identity
from ..model import Authority, Collection, Revision, Testimony
from ..vocabulary import WORKFLOW_STATES
from ..policy import gated
from ..translations import problems as translation_problems
from ..views import archive_wide_terms, tombstone_for, view_for
from .base import Service
from .recordings import unconfirmed_ranges
from .sensitive import archive_wide, describe, hidden_keys, scan_testimony

# Revisions that are review itself, not authorship: approving, adding or removing redactions (each
# under its own two-person rule), image boxes and sensitive terms only hide more or are checked twice
# already. Whoever made any other change since may not be the one who reviews it.
REVIEW_ACTS = ("state ", "redaction ", "removal of redaction ", "box ", "sensitive term ")
SECOND_ARCHIVIST = "a second archivist must review it"
# Testimonies on a page of a list (a collection's page, the API's list); the API may ask for up to the most.
LIST_PAGE = 20
MAX_LIST_PAGE = 100


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
        """Every testimony the caller may see, a view of each: a pass over the whole archive, for the
        command line and tests. Pages use `page`, whose cost does not grow with the archive."""
        with self.archive.db.session() as session:
            authorities = self.authorities(session)
            today = self.archive.today()
            views = (view_for(t, identity.audience, today, authorities, transcripts=False)
                     for t in self.all_testimonies(session, transcripts=False))
            return [v for v in views if v and (collection is None or v["collection"]["id"] == collection)]

    def _browse(self, identity: Identity, collection: str | None = None, page: int = 1,
                per_page: int = 1):
        """The caller's audience index, which holds exactly what that audience may see: its counts
        and one page of accession ids, by accession id."""
        # A change a killed process left pending is replayed by whoever reads next (as search does).
        self.archive.index.replay_pending(wait=False)
        return self.archive.indexes.browse(identity.audience.index_name,
                                           {"collection": [collection]} if collection else {},
                                           page=page, pagesize=per_page)

    @gated("testimony.list")
    def page(self, identity: Identity, collection: str | None = None, page: int = 1,
             per_page: int = LIST_PAGE) -> dict:
        """One page of the testimonies the caller may see (of a collection), by accession id, with
        their number: ids from the audience's index, summary views built for the page only."""
        per_page = min(max(1, int(per_page)), MAX_LIST_PAGE)
        found = self._browse(identity, collection, max(1, int(page)), per_page)
        ids = [hit.accession_id for hit in found.testimonies]
        views = []
        if ids:
            with self.archive.db.session() as session:
                rows = {t.accession_id: t for t in session.scalars(
                    select(Testimony).where(Testimony.accession_id.in_(ids))
                    .options(*self._view_options(False)))}
                keys = {key for t in rows.values() for key in t.places or []}
                authorities = {a.key: a for a in session.scalars(select(Authority).where(Authority.key.in_(keys)))}
                terms = archive_wide_terms(session)
                today = self.archive.today()
                for accession in ids:
                    # The view decides again: an embargo that began since the index was written hides it.
                    view = view_for(rows.get(accession), identity.audience, today, authorities,
                                    transcripts=False, archive_terms=terms)
                    if view:
                        views.append(view)
        return {"total": found.total, "page": found.page, "per_page": found.pagesize, "pages": found.pages,
                "testimonies": views}

    def _counts(self, identity: Identity) -> dict[str, dict[str, int]]:
        return {key: dict(values) for key, values in self._whole(identity)[1].items()}

    def _whole(self, identity: Identity) -> tuple[int, dict[str, list]]:
        """The caller's whole index counted (its total and every facet's values): counting reads every
        testimony the audience may see, so the home, collections and staff pages share one count per
        version of the index (every write moves the version on, on any server) instead of counting
        again for every request."""
        index = identity.audience.index_name
        self.archive.index.replay_pending(wait=False)
        version = self.archive.indexes.version(index)
        cache = self.__dict__.setdefault("_whole_counts", {})
        cached = cache.get(index)
        if version and cached is not None and cached[0] == version:
            return cached[1]
        found = self._browse(identity)
        counted = (found.total, {key: list(values) for key, values in found.facets.items()})
        cache[index] = (version, counted)     # (read before counting: a later write only counts again)
        return counted

    @gated("collection.read")
    def collections(self, identity: Identity) -> list[dict]:
        """Collections with the number of testimonies the caller may see in each (the collection
        facet of the caller's index)."""
        counts = self._counts(identity).get("collection", {})
        with self.archive.db.session() as session:
            rows = session.scalars(select(Collection).order_by(Collection.title))
            return [{"id": c.slug, "title": c.title, "description": c.description,
                     "count": counts.get(c.slug, 0)} for c in rows
                    if counts.get(c.slug) or identity.is_staff]

    @gated("collection.read")
    def collection(self, identity: Identity, slug: str) -> dict:
        with self.archive.db.session() as session:
            found = session.scalar(select(Collection).where(Collection.slug == slug))
        count = self._browse(identity, slug).total if found is not None else 0
        if found is None or not (count or identity.is_staff):
            raise NotFound("no such collection")
        return {"id": found.slug, "title": found.title, "description": found.description, "count": count}

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
        problems += translation_problems(testimony)
        unplaced = unconfirmed_ranges(testimony)
        if unplaced:
            problems.append("transcript redactions without a confirmed time range on the recording "
                            "(place them on its timeline): " + ", ".join(unplaced))
        return problems

    @gated("testimony.list")
    def stats(self, identity: Identity) -> dict:
        """How many testimonies the caller may see, in which languages and collections (from the
        caller's index); for staff, how many are in each workflow state (one GROUP BY)."""
        total, facets = self._whole(identity)
        languages = sorted(value for value, _ in facets.get("language", []))
        staff = {}
        if identity.audience >= Audience.ARCHIVIST:
            with self.archive.db.session() as session:
                staff = dict(session.execute(select(Testimony.state, func.count()).group_by(Testimony.state)).all())
        return {"testimonies": total, "languages": languages,
                "collections": len(facets.get("collection", [])), "by_state": staff}
