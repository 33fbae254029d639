"""Keeping the per-audience indexes equal to the audience views, in the same call as every write."""
from __future__ import annotations

from typing import Callable, Iterator

from sqlalchemy.orm import Session

from .. import edtf
from ..audience import INDEXED_AUDIENCES, Audience
from ..identity import Identity
from ..model import Testimony
from ..search.locks import IndexLockTimeout
from .. import policy
from ..policy import gated
from ..views import archive_wide_terms, view_for
from . import reindexing
from .base import Service
from .gate import PROTECTIVE, protective

CHUNK_WORDS = 300


def _chunks(text: str) -> Iterator[str]:
    """Untimed transcripts are indexed in chunks of a few hundred words, so snippets stay cheap."""
    words = text.split(" ")
    for i in range(0, len(words), CHUNK_WORDS):
        yield " ".join(words[i:i + CHUNK_WORDS])


def _years(date) -> dict:
    """The interview year (facets, sorting) and the span of years it may be (year: queries).

    An uncertain or approximate date ("2015?", "2015~") may be a year out either way, so it answers
    year:2014 and year:2016 too; an unknown digit ("201X") spans its decade; an open interval ends
    where its known end is.
    """
    if not isinstance(date, str):  # withheld from this audience, or none
        return {}
    try:
        span = edtf.parse(date)
    except edtf.EdtfError:
        return {}
    slack = 1 if span.uncertain else 0
    lo = span.first_year if span.first_year is not None else span.last_year
    hi = span.last_year if span.last_year is not None else span.first_year
    return {"year": lo, "year_from": lo - slack, "year_to": hi + slack}


def documents(view: dict) -> list[dict]:
    """Index documents for one audience, made from that audience's view and nothing else."""
    accession = view["accession_id"]
    places = view["places"]
    common = {
        "testimony": accession,
        "narrator": " ".join(n.get("public_name", "") + " " + n.get("legal_name", "")
                             for n in view["narrators"]).strip(),
        "place": " ".join(" ".join([p["label"], *p["variants"]]) for p in places),
        "subject": "; ".join(view["subjects"] + view["keywords"]),
        "collection": view["collection"]["id"],
        "languages": view["languages"],
        "places": [p["id"] for p in places],
        "subjects": view["subjects"],
        "has_audio": "yes" if any(m["kind"] in ("audio", "video") for m in view.get("media") or []) else "no",
        "roles": sorted({n["role"].replace(",", " ") for n in view["narrators"] if n.get("role")}),
        **_years(view["interview_date"]),
        "testimony_title": view["title"],
    }
    interview_place = view["interview_place"] if isinstance(view["interview_place"], str) else ""
    docs = [{**common, "place": f"{common['place']} {interview_place}".strip(),
             "doc_id": f"{accession}#meta", "kind": "meta", "seq": -1, "transcript": "",
             "start": None, "end": None, "title": view["title"], "summary": view["summary"] or "",
             "text": "", "lang": (view["languages"] or [""])[0]}]
    n = 0
    for transcript in view["transcripts"]:
        for segment in transcript["segments"]:
            timed = segment["start"] is not None
            parts = [segment["text"]] if timed else list(_chunks(segment["text"]))
            for part in parts:
                # A hit names its segment in its transcript (the page's #seg-<transcript>-<seq>) and the
                # moment it is said: an untimed translation's segment, its original's.
                docs.append({**common, "doc_id": f"{accession}#s{n}", "kind": "segment", "seq": segment["seq"],
                             "transcript": transcript["key"], "start": segment.get("moment", segment["start"]),
                             "end": segment["end"],
                             "title": segment["title"],
                             "summary": " ".join([segment["synopsis"], " ".join(segment["keywords"])]).strip(),
                             "text": part, "lang": transcript["language"]})
                n += 1
    return docs


def audience_documents(testimony: Testimony, today, authorities: dict, terms) -> dict[str, list[dict]]:
    """The documents of one testimony in each audience's index that may see it (a full pass reads the
    archive-wide sensitive terms once and hands them in as `terms`)."""
    out = {}
    for audience in INDEXED_AUDIENCES:
        view = view_for(testimony, audience, today, authorities, archive_terms=terms)
        if view:
            out[audience.index_name] = documents(view)
    return out


class IndexService(Service):
    def sync(self, session: Session, *testimonies, purge: bool = True) -> None:
        """Bring testimonies in every audience's index to their current views, in the writing
        service's unit of work.

        The publication gate runs first (services/gate.py). Then what only removes or hides is
        written at once, before the commit: a testimony an audience may no longer see is physically
        gone from its index before the call returns, and a crash can only leave an index hiding
        more than the database. Everything else (a new testimony, an edit) is written after the
        database commits (`write_deferred`). Each testimony is marked pending in the index folder
        before any index write and unmarked once the unit of work is done; a process killed in between
        leaves the mark, replayed at the next start or search: no index ever holds what the database
        never accepted, and none lacks for long what it did.
        """
        self.archive.gate.check(session, testimonies)
        self.archive.oai.note(session, *testimonies)   # what harvesters learn of it (services/oai.py)
        if self.archive.indexes.in_database:
            # Written by write_in_transaction just before the commit, from the records as they are then.
            held = session.info.setdefault("in_transaction", {})
            for testimony in testimonies:
                entry = held.setdefault(testimony.accession_id, [testimony, True])
                entry[1] = entry[1] and purge
            self.archive.media.follow_redactions(session, *testimonies)
            return
        session.info.setdefault("touched", set()).update(t.accession_id for t in testimonies)
        protecting = session.info.get("gate") == PROTECTIVE
        today = self.archive.today()
        now: dict[Testimony, set[str]] = {}
        deferred = session.info.setdefault("deferred", {})
        for testimony in testimonies:
            for audience in INDEXED_AUDIENCES:
                # Decided by the policy alone: the views are built once, when they are written.
                if protecting or not policy.can_see_testimony(testimony, audience, today):
                    now.setdefault(testimony, set()).add(audience.index_name)
                else:
                    entry = deferred.setdefault(testimony.accession_id, [testimony, set(), True])
                    entry[1].add(audience.index_name)
                    entry[2] = entry[2] and purge
        self.archive.indexes.mark_pending([t.accession_id for t in testimonies])
        if now:
            self._write(session, now.items(), purge)
        # Recordings follow their transcripts' redactions, in the same unit of work.
        self.archive.media.follow_redactions(session, *testimonies)

    def write_in_transaction(self, session: Session) -> None:
        """Before the commit, for an engine in the database: every testimony `sync` was given, written to
        every audience's tables in the session's own transaction, so that the records and their index
        rows commit together or not at all."""
        held = session.info.pop("in_transaction", None)
        if held:
            every = {a.index_name for a in INDEXED_AUDIENCES}
            self._write(session, [(t, every) for t, _ in held.values()], all(p for _, p in held.values()))

    def write_deferred(self, session: Session) -> None:
        """After the commit: write what `sync` deferred, from the committed records. A failure here
        loses nothing: the pending marks stay, and are replayed."""
        deferred = session.info.pop("deferred", None)
        if deferred:
            self._write(session, [(t, audiences) for t, audiences, _ in deferred.values()],
                        all(purge for _, _, purge in deferred.values()))

    def write_now(self, session: Session, *testimonies) -> None:
        """Write these testimonies to every audience's index at once, from what the session holds (a
        repair, outside any unit of work)."""
        every = {a.index_name for a in INDEXED_AUDIENCES}
        self._write(session, [(t, every) for t in testimonies], True)

    def _write(self, session: Session, targets, purge: bool) -> None:
        """Each (testimony, audiences) written to those audiences' indexes from its views now."""
        authorities = self.authorities(session)
        today = self.archive.today()
        batches: dict[str, dict[str, list[dict]]] = {}
        for testimony, audiences in targets:
            for audience in INDEXED_AUDIENCES:
                if audience.index_name in audiences:
                    view = view_for(testimony, audience, today, authorities)
                    batches.setdefault(audience.index_name, {})[testimony.accession_id] = \
                        documents(view) if view else []
        if batches and self.archive.indexes.in_database:
            self.archive.indexes.replace_in_audiences(batches, purge=purge, session=session)
        elif batches:
            self.archive.indexes.replace_in_audiences(batches, purge=purge)

    def replay_pending(self, *, wait: bool = True) -> list[str]:
        """Rewrite from the database the testimonies a unit of work marked pending and never finished
        (its process died between its index writes and its commit). Without `wait`, does nothing while
        another writer holds the indexes (it finishes its own). The testimonies replayed."""
        if self.archive.read_only:
            return []   # nothing can be written: searches serve what the indexes hold (readonly.start)
        if not self.archive.indexes.pending():
            return []
        try:
            with self.archive.indexes.writing(timeout=None if wait else 0):
                pending = self.archive.indexes.pending()
                self._resync(pending)
                return pending
        except IndexLockTimeout:
            return []

    def _all_docs(self, session: Session, audience: Audience) -> Iterator[dict]:
        authorities = self.authorities(session)
        today = self.archive.today()
        for testimony in self.each_testimony(session):
            view = view_for(testimony, audience, today, authorities)
            if view:
                yield from documents(view)

    def _all_views(self, session: Session, ids: list[int]) -> Iterator[tuple[str, dict[str, list[dict]]]]:
        """These testimonies once each, with the documents of each audience that may see it."""
        authorities = self.authorities(session)
        today = self.archive.today()
        terms = archive_wide_terms(session)  # read-only pass under the write lock: read them once
        for testimony in self.each_testimony(session, ids=ids):
            yield testimony.accession_id, audience_documents(testimony, today, authorities, terms)

    def _resync(self, accession_ids) -> None:
        """Make the indexes say what the database says about these testimonies (after a rollback)."""
        with self.archive.indexes.writing(), self.archive.db.session() as session:
            protective(session)   # a repair is never refused: what it finds showing, it holds
            for accession in sorted(accession_ids):
                testimony = self.load_testimony(session, accession)
                if testimony is None and self.archive.indexes.in_database:
                    self.archive.indexes.remove_testimony(accession, session=session)
                elif testimony is None:
                    self.archive.indexes.remove_testimony(accession)
                else:
                    self.archive.gate.check(session, [testimony])
                    self.archive.oai.note(session, testimony)
                    self.write_now(session, testimony)
        self.archive.indexes.clear_pending(accession_ids)

    def claim(self, take_over: bool = False) -> None:
        """Record in the database who keeps its search index, or refuse to go on: a server with a local
        engine (whoosh, sqlite) on a database whose index another instance folder keeps, or the database
        itself (engine postgresql), would answer searches from an index that never sees the others'
        writes, so a withdrawal through one server would stay findable on another. `take_over`: the
        other instance folder is gone for good (the archive moved, or was restored here)."""
        import os
        import secrets
        import socket

        from ..errors import ArchiveError
        from ..model import SearchIndexOwner
        indexes = self.archive.indexes
        me = ""
        if not indexes.in_database:
            # The folder's host and path (a lost index rebuilt in place is still its own) and a token kept
            # in it (a folder copied or moved whole, as a restore or a test's copy does, is still its own).
            token_file = indexes.root / ".owner"
            try:
                token = token_file.read_text().strip()
            except OSError:
                token = secrets.token_hex(8)
                indexes.root.mkdir(parents=True, exist_ok=True, mode=0o700)
                fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w") as out:
                    out.write(token + "\n")
            me = "%s:%s#%s" % (socket.gethostname(), indexes.root.resolve(), token)

        def same(owner: str) -> bool:
            where, _, theirs = owner.partition("#")
            here, _, mine = me.partition("#")
            return bool(owner) and (where == here or bool(theirs) and theirs == mine)

        with self.archive.db.session() as session:
            row = session.get(SearchIndexOwner, 1, with_for_update=True)
            if row is None:
                session.add(SearchIndexOwner(id=1, engine=indexes.engine, owner=me))
                return
            if not (indexes.in_database or take_over or same(row.owner)):
                where = ("the database itself (SEARCH_ENGINE=postgresql)" if row.engine == "postgresql"
                         else "the instance folder %s (SEARCH_ENGINE=%s)" % (row.owner.partition("#")[0], row.engine))
                raise ArchiveError(
                    "This database's search index is kept by %s; this server's index would be a folder of "
                    "its own (%s), which never sees the other servers' writes: a withdrawal through one of "
                    "them would stay findable here. To run several servers on one database, set "
                    "SEARCH_ENGINE=postgresql on every one of them and run `python -m app init`; if that "
                    "other instance folder is gone for good, run `python -m app init --take-over-index` here."
                    % (where, indexes.root))
            row.engine, row.owner = indexes.engine, me

    @gated("index.manage")
    def reindex(self, identity: Identity, progress: Callable[[str, int], None] | None = None) -> dict:
        """Rebuild every audience's index from the database into fresh directories, then swap."""
        with self.archive.indexes.writing(), self.archive.db.session() as session:
            testimonies = self._every_view(session)
            self.archive.indexes.rebuild(testimonies=testimonies, progress=progress,
                                         audiences=[a.index_name for a in INDEXED_AUDIENCES])
            # Every committed change is in the new indexes: nothing is pending any more.
            self.archive.indexes.clear_pending(self.archive.indexes.pending())
            self.archive.audit.record(session, identity, "index.rebuild")
        return {a.index_name: len(self.archive.indexes.testimony_ids(a.index_name)) for a in INDEXED_AUDIENCES}

    def _every_view(self, session: Session) -> Iterator[tuple[str, dict]]:
        """Every testimony's views, listed only when the rebuild first asks for them: once it holds its
        lock. (An engine in the database locks its tables inside `rebuild`, not in `writing`; listed
        before, a testimony another server committed in between was left out of the rebuilt tables.)"""
        ids = self.all_testimony_ids(session)
        prepare = self.archive.indexes.prepare
        if reindexing.usable(self.archive.db.url, prepare, len(ids)):
            yield from reindexing.prepared_views(self.archive.db.url, self.archive.today(), ids, prepare)
        else:
            yield from self._all_views(session, ids)

    @gated("index.manage")
    def check(self, identity: Identity) -> dict[str, dict[str, list[str]]]:
        """Per audience: testimonies missing from the index, and indexed ones the audience may not see."""
        report = {}
        with self.archive.db.session() as session:
            authorities = self.authorities(session)
            today = self.archive.today()
            testimonies = list(self.all_testimonies(session))
            for audience in INDEXED_AUDIENCES:
                expected = {t.accession_id for t in testimonies
                            if view_for(t, audience, today, authorities) is not None}
                actual = self.archive.indexes.testimony_ids(audience.index_name)
                report[audience.index_name] = {"missing": sorted(expected - actual),
                                               "unexpected": sorted(actual - expected)}
        return report

    @gated("index.manage")
    def catch_up(self, identity: Identity) -> list[str]:
        """Index testimonies whose embargo has lifted since they were last indexed."""
        report = self.check(identity)
        stale = sorted({a for r in report.values() for a in r["missing"] + r["unexpected"]})
        self._resync(stale)
        return stale
