"""OAI-PMH 2.0 for harvesters, and the Dublin Core export: the public audience's views, nothing else.

`oai_records` remembers every testimony that ever reached the public (`note`, called by every index
sync, so by every write that changes what readers see): the datestamp of the last change of its public
view (a fingerprint of the view tells), or of its leaving the public, when it becomes a deleted record
for good. A testimony that never reached the public has no row: harvesters never learn its id.

Lists page on the (datestamp, accession id) cursor of an index, a bounded number of rows per request;
a resumption token is that cursor, so a change between pages neither skips nor repeats what was not
changed (a changed record moves to the end, where the harvest still finds it).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import IO, Callable

from lxml import etree
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from .. import oai, policy
from ..audience import Audience
from ..formats import dublin_core
from ..errors import NotFound
from ..identity import Identity
from ..model import Authority, Collection, OaiRecord, Testimony, Transcript
from ..policy import gated
from ..views import archive_wide_terms, view_for
from .base import Service

PUBLIC = Audience.PUBLIC
PAGE_SIZE = 50          # records or headers per List* response
SET_PAGE_SIZE = 100     # sets per ListSets response


def fingerprint(view: dict) -> str:
    """What the public sees of a testimony, as a hash: it changes when any of it does."""
    return hashlib.sha256(json.dumps(view, sort_keys=True, ensure_ascii=False, default=str)
                          .encode()).hexdigest()


class OaiService(Service):
    page_size = PAGE_SIZE
    set_page_size = SET_PAGE_SIZE
    _clock = staticmethod(oai.now)   # tests may set another

    # -- keeping oai_records equal to what the public sees ------------------------------------------

    def note(self, session: Session, *testimonies: Testimony) -> None:
        """In the writing unit of work: record what harvesters must learn of these testimonies (a new or
        changed public view gets a new datestamp; leaving the public makes a deleted record)."""
        today = self.archive.today()
        for testimony in testimonies:
            row = session.scalar(select(OaiRecord).where(OaiRecord.accession_id == testimony.accession_id))
            visible = policy.can_see_testimony(testimony, PUBLIC, today)
            if not visible:
                if row is not None and not row.deleted:
                    row.deleted, row.fingerprint, row.datestamp = True, None, self._clock()
                continue
            view = view_for(testimony, PUBLIC, today, self._authorities(session, [testimony]))
            mark = fingerprint(view)
            slug = testimony.collection.slug
            if row is None:
                session.add(OaiRecord(accession_id=testimony.accession_id, set_spec=slug,
                                      datestamp=self._clock(), deleted=False, fingerprint=mark))
            elif row.deleted or row.fingerprint != mark or row.set_spec != slug:
                row.deleted, row.fingerprint, row.set_spec, row.datestamp = False, mark, slug, self._clock()

    def backfill(self) -> int:
        """At start: note the published testimonies the table does not know (an archive older than it,
        an embargo lifted since). The number noted."""
        with self.archive.db.session() as session:
            known = select(OaiRecord.id).where(OaiRecord.accession_id == Testimony.accession_id)
            ids = session.scalars(select(Testimony.id).where(Testimony.state == "published", ~exists(known))
                                  .order_by(Testimony.id)).all()
            noted = 0
            for testimony in self.each_testimony(session, ids=ids):
                if policy.can_see_testimony(testimony, PUBLIC, self.archive.today()):
                    self.note(session, testimony)
                    noted += 1
            return noted

    @classmethod
    def _page_options(cls, transcripts: bool) -> list:
        """What a page's views read, loaded for the whole page at once (a few statements per page, never
        one per testimony): the summary view looks at the segments too (their GPS points and links)."""
        return [*cls._view_options(transcripts), selectinload(Testimony.transcripts).selectinload(Transcript.segments)]

    @staticmethod
    def _authorities(session: Session, testimonies) -> dict[str, Authority]:
        """Only the authorities these testimonies name: a page's cost does not grow with the archive."""
        keys = {key for t in testimonies for key in (t.places or [])}
        if not keys:
            return {}
        return {a.key: a for a in session.scalars(select(Authority).where(Authority.key.in_(keys)))}

    # -- the protocol ------------------------------------------------------------------------------

    @gated("oai.harvest")
    def respond(self, identity: Identity, params: dict[str, list[str]], ctx: oai.Context) -> bytes:
        """The OAI-PMH response to a request's arguments, as the public may see the archive (whoever
        asks: harvesters are the public)."""
        request = None
        try:
            request = oai.parse_request(params)
            ctx = dataclasses.replace(ctx, today=self.archive.today())
            root, _ = oai.envelope(ctx, request, params)
            with self.archive.db.session() as session:
                getattr(self, "_" + request.verb)(session, root, request.args, ctx)
            return oai.serialize(root)
        except oai.OaiError as exc:
            return oai.error(ctx, params, exc, request)

    def _Identify(self, session: Session, root, args: dict, ctx: oai.Context) -> None:
        earliest = session.scalar(select(func.min(OaiRecord.datestamp))) or self._clock()
        out = oai.sub(root, "Identify")
        oai.sub(out, "repositoryName", ctx.repository_name)
        oai.sub(out, "baseURL", ctx.base_url)
        oai.sub(out, "protocolVersion", oai.PROTOCOL_VERSION)
        oai.sub(out, "adminEmail", ctx.admin_email)
        oai.sub(out, "earliestDatestamp", oai.datestamp(earliest))
        oai.sub(out, "deletedRecord", "persistent")
        oai.sub(out, "granularity", oai.GRANULARITY)

    def _row(self, session: Session, ctx: oai.Context, identifier: str) -> OaiRecord:
        accession = oai.accession_of(ctx, identifier)
        row = session.scalar(select(OaiRecord).where(OaiRecord.accession_id == accession))
        if row is None:
            raise oai.OaiError("idDoesNotExist", f"{identifier!r} is not an identifier of this repository")
        return row

    @staticmethod
    def _format(prefix: str) -> oai.MetadataFormat:
        fmt = oai.FORMATS.get(prefix)
        if fmt is None:
            raise oai.OaiError("cannotDisseminateFormat",
                               f"{prefix!r} is not a metadata format of this repository: "
                               f"use {', '.join(oai.FORMATS)}")
        return fmt

    def _ListMetadataFormats(self, session: Session, root, args: dict, ctx: oai.Context) -> None:
        if "identifier" in args:
            self._row(session, ctx, args["identifier"])
        out = oai.sub(root, "ListMetadataFormats")
        for fmt in oai.FORMATS.values():
            item = oai.sub(out, "metadataFormat")
            oai.sub(item, "metadataPrefix", fmt.prefix)
            oai.sub(item, "schema", fmt.schema)
            oai.sub(item, "metadataNamespace", fmt.namespace)

    def _ListSets(self, session: Session, root, args: dict, ctx: oai.Context) -> None:
        state = oai.read_token("ListSets", args["resumptionToken"]) if "resumptionToken" in args \
            else {"i": "", "n": 0}
        public = exists(select(OaiRecord.id).where(OaiRecord.set_spec == Collection.slug,
                                                   OaiRecord.deleted.is_(False)))
        rows = session.execute(select(Collection.slug, Collection.title)
                               .where(public, Collection.slug > state["i"]).order_by(Collection.slug)
                               .limit(self.set_page_size + 1)).all()
        rows = [r for r in rows if oai.set_spec(r.slug)]
        if not rows:
            if "resumptionToken" in args:
                raise oai.OaiError("badResumptionToken", "this resumptionToken has nothing after it")
            raise oai.OaiError("noSetHierarchy", "no collection is open to the public yet")
        more = len(rows) > self.set_page_size
        rows = rows[:self.set_page_size]
        out = oai.sub(root, "ListSets")
        for slug, title in rows:
            item = oai.sub(out, "set")
            oai.sub(item, "setSpec", slug)
            oai.sub(item, "setName", title or slug)
        self._resume(out, "ListSets", {"i": rows[-1].slug, "n": state["n"] + len(rows)}, state["n"], more,
                     "resumptionToken" in args)

    @staticmethod
    def _resume(out, verb: str, state: dict, cursor: int, more: bool, resumed: bool) -> None:
        if more:
            oai.sub(out, "resumptionToken", oai.make_token(verb, state), cursor=str(cursor))
        elif resumed:   # the last part of a list that was resumed ends with an empty token
            oai.sub(out, "resumptionToken", cursor=str(cursor))

    def _list_state(self, args: dict, verb: str) -> dict:
        if "resumptionToken" in args:
            return oai.read_token(verb, args["resumptionToken"])
        self._format(args["metadataPrefix"])
        since, until = oai.bounds(args.get("from"), args.get("until"))
        return {"p": args["metadataPrefix"], "s": args.get("set"), "n": 0, "d": None, "i": "",
                "f": oai.datestamp(since) if since else None, "u": oai.datestamp(until) if until else None}

    def _page(self, session: Session, state: dict) -> tuple[list[OaiRecord], bool]:
        query = select(OaiRecord)
        if state["s"] is not None:
            query = query.where(OaiRecord.set_spec == state["s"])
        if state["f"]:
            query = query.where(OaiRecord.datestamp >= oai.parse_stamp(state["f"]))
        if state["u"]:
            query = query.where(OaiRecord.datestamp <= oai.parse_stamp(state["u"]))
        if state["d"]:
            last = oai.parse_stamp(state["d"])
            query = query.where(or_(OaiRecord.datestamp > last,
                                    and_(OaiRecord.datestamp == last, OaiRecord.accession_id > state["i"])))
        rows = session.scalars(query.order_by(OaiRecord.datestamp, OaiRecord.accession_id)
                               .limit(self.page_size + 1)).all()
        return rows[:self.page_size], len(rows) > self.page_size

    def _list(self, session: Session, root, args: dict, ctx: oai.Context, verb: str) -> None:
        state = self._list_state(args, verb)
        fmt = self._format(state["p"])
        rows, more = self._page(session, state)
        if not rows:
            if "resumptionToken" in args:
                raise oai.OaiError("badResumptionToken", "this resumptionToken has nothing after it")
            raise oai.OaiError("noRecordsMatch", "no record matches these arguments")
        out = oai.sub(root, verb)
        views = self._views(session, [r for r in rows if not r.deleted], fmt)
        for row in rows:
            view = views.get(row.accession_id)
            if verb == "ListIdentifiers":
                oai.header(out, ctx, row.accession_id, row.datestamp, row.set_spec, view is None)
            else:
                self._record(out, ctx, row, view, fmt)
        last = rows[-1]
        self._resume(out, verb, {**state, "d": oai.datestamp(last.datestamp), "i": last.accession_id,
                                 "n": state["n"] + len(rows)}, state["n"], more, "resumptionToken" in args)

    def _ListIdentifiers(self, session: Session, root, args: dict, ctx: oai.Context) -> None:
        self._list(session, root, args, ctx, "ListIdentifiers")

    def _ListRecords(self, session: Session, root, args: dict, ctx: oai.Context) -> None:
        self._list(session, root, args, ctx, "ListRecords")

    def _GetRecord(self, session: Session, root, args: dict, ctx: oai.Context) -> None:
        row = self._row(session, ctx, args["identifier"])
        fmt = self._format(args["metadataPrefix"])
        views = self._views(session, [] if row.deleted else [row], fmt)
        self._record(oai.sub(root, "GetRecord"), ctx, row, views.get(row.accession_id), fmt)

    def _views(self, session: Session, rows: list[OaiRecord], fmt: oai.MetadataFormat) -> dict[str, dict]:
        """The public views of these records' testimonies (a testimony no longer public, which a write
        would have marked deleted, is left out: it is shown as deleted, never as a record)."""
        if not rows:
            return {}
        testimonies = session.scalars(select(Testimony)
                                      .where(Testimony.accession_id.in_([r.accession_id for r in rows]))
                                      .options(*self._page_options(fmt.transcripts))).all()
        authorities = self._authorities(session, testimonies)
        terms = archive_wide_terms(session)
        today = self.archive.today()
        views = {}
        for testimony in testimonies:
            view = view_for(testimony, PUBLIC, today, authorities, transcripts=fmt.transcripts,
                            archive_terms=terms)
            if view is not None:
                views[testimony.accession_id] = view
        return views

    @staticmethod
    def _record(parent, ctx: oai.Context, row: OaiRecord, view: dict | None, fmt: oai.MetadataFormat) -> None:
        record = oai.sub(parent, "record")
        oai.header(record, ctx, row.accession_id, row.datestamp, row.set_spec, view is None)
        if view is not None:
            oai.sub(record, "metadata").append(fmt.render(view, ctx))

    # -- Dublin Core export -------------------------------------------------------------------------

    @gated("oai.harvest")
    def dublin_core(self, identity: Identity, accession_id: str, *, repository: str,
                    url: str | None = None) -> bytes:
        """One testimony's `oai_dc` record as the public sees it (whoever asks); NotFound unless public."""
        with self.archive.db.session() as session:
            testimony = self.load_testimony(session, accession_id)
            today = self.archive.today()
            view = None if testimony is None else view_for(testimony, PUBLIC, today,
                                                          self._authorities(session, [testimony]),
                                                          transcripts=False)
            if view is None:
                raise NotFound("no such testimony")
            return etree.tostring(dublin_core.oai_dc(view, repository=repository, url=url),
                                  xml_declaration=True, encoding="UTF-8")

    @gated("export.audience")
    def export_dc(self, identity: Identity, out: IO[bytes], *, repository: str,
                  url_for: Callable[[str], str | None] = lambda _: None) -> int:
        """Every testimony the public may see as simple Dublin Core XML, written to `out` a testimony at
        a time (whoever asks: Dublin Core is for the public). The number written."""
        written = 0
        with self.archive.db.session() as session:
            terms = archive_wide_terms(session)
            today = self.archive.today()
            ids = session.scalars(select(Testimony.id).where(Testimony.state == "published")
                                  .order_by(Testimony.accession_id)).all()
            with etree.xmlfile(out, encoding="UTF-8") as xf:
                xf.write_declaration()
                with xf.element(f"{{{dublin_core.RECORDS}}}records",
                                nsmap={None: dublin_core.RECORDS, "dc": dublin_core.DC}):
                    for start in range(0, len(ids), 200):
                        batch = session.scalars(select(Testimony).where(Testimony.id.in_(ids[start:start + 200]))
                                                .order_by(Testimony.accession_id)
                                                .options(*self._page_options(False))).all()
                        authorities = self._authorities(session, batch)
                        for testimony in batch:
                            view = view_for(testimony, PUBLIC, today, authorities, transcripts=False,
                                            archive_terms=terms)
                            if view is None:
                                continue
                            xf.write(dublin_core.record(view, repository=repository,
                                                        url=url_for(view["accession_id"])))
                            written += 1
            self.archive.audit.record(session, identity, "export", "public", format="dc", testimonies=written)
        return written
