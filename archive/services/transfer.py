"""Import and export in the archive's JSON format. An import is checked whole, then written a batch
of testimonies at a time, each batch all or nothing."""
from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Callable

from sqlalchemy import select

from ..audience import Audience
from ..errors import ArchiveError, ConflictError, PermissionDenied, ValidationError
from ..formats import json_format, serialize
from ..identity import Identity
from ..model import (Authority, Collection, Consent, Narrator, Redaction, Segment, SensitiveTerm,
                     Testimony, Transcript)
from ..policy import gated
from ..translations import TRANSLATION_FIELDS
from ..views import view_for
from .base import Service
from .sensitive import archive_wide

Progress = Callable[[int, int, str], None]
# An import this large leaves the indexes in many small pieces: tidy them once it is in.
COMPACT_AFTER = 50
# Testimonies per unit of work of an import: a withdrawal waits for one batch at most.
IMPORT_BATCH = 10


class TransferService(Service):
    @gated("import")
    def import_file(self, identity: Identity, path: str | Path, *, fictional: bool = False,
                    progress: Progress | None = None, resume: bool = False) -> dict:
        document = json_format.load(path)
        return self.import_document(identity, document, source=str(path), fictional=fictional,
                                    progress=progress, resume=resume)

    @gated("import")
    def import_document(self, identity: Identity, document: dict, *, source: str | None = None,
                        fictional: bool = False, progress: Progress | None = None,
                        resume: bool = False) -> dict:
        """Write a document checked by json_format.parse_document, a batch of testimonies per unit of
        work: each batch is all or nothing, and the archive's write lock is let go between batches,
        so a withdrawal or a redaction waits for one batch at most. Accession ids the archive holds
        are refused before anything is written, or skipped with `resume` (to finish an import that
        stopped)."""
        source = source or document.get("source", "<input>")
        terms = [*document["sensitive_terms"], *(s for t in document["testimonies"] for s in t["sensitive_terms"])]
        if any(Audience.parse(s.get("visible_to", "archivist")) > identity.audience for s in terms):
            raise PermissionDenied(f"{identity.describe()} may not import terms restricted to admins (in {source})")
        ids = [item["id"] for item in document["testimonies"]]
        with self.archive.db.session() as session:
            existing = set(session.scalars(select(Testimony.accession_id).where(Testimony.accession_id.in_(ids))))
        if existing and not resume:
            first = next(i for i in ids if i in existing)
            raise ConflictError("an accession with this id already exists in the archive (to finish an import "
                                "that stopped, import the file again with --resume: ids already there are "
                                "skipped)", file=source, record=first, field="id")
        todo = [item for item in document["testimonies"] if item["id"] not in existing]
        self._refuse_unknown_collections(document, todo, source)
        written: list[str] = []
        total = len(todo)
        try:
            # The collections, authorities and archive-wide terms go in with the first batch, so a file
            # of one batch or less is still all or nothing.
            for start in range(0, max(total, 1), IMPORT_BATCH):
                self._import_batch(identity, todo[start:start + IMPORT_BATCH], source, fictional, written,
                                   progress, total, document if start == 0 else None)
        except ArchiveError as exc:
            if written:
                note = (f" ({len(written)} testimonies before it are imported; import the file again with "
                        "--resume to add the rest)")
                if isinstance(exc, ValidationError):
                    exc.message += note
                else:
                    exc.args = (f"{exc}{note}",)
            raise
        if len(written) >= COMPACT_AFTER:
            self.archive.indexes.compact()
        return {"testimonies": written, "skipped": sorted(existing), "collections": len(document["collections"]),
                "authorities": len(document["authorities"])}

    def _import_batch(self, identity: Identity, items: list[dict], source: str, fictional: bool,
                      written: list[str], progress: Progress | None, total: int, document: dict | None) -> None:
        # Held until the commit, which completes each revision from the loaded record: the session
        # keeps only weak references, and reloading thousands of testimonies there cost more than importing.
        imported: list[Testimony] = []
        with self.archive.unit_of_work() as session:
            if document is not None:
                self._collections(session, document["collections"])
                self._authorities(session, document["authorities"])
                known = {(t.term, t.category) for t in archive_wide(session)}
                for item in document["sensitive_terms"]:
                    if (item["term"], item["category"]) not in known:
                        session.add(SensitiveTerm(term=item["term"], variants=item["variants"],
                                                  category=item["category"],
                                                  visible_to=item.get("visible_to", "archivist")))
                session.flush()
            collections = {c.slug: c for c in session.scalars(select(Collection))}
            for item in items:
                testimony = self._testimony(session, item, collections, source, fictional)
                self.archive.audit.record(session, identity, "testimony.import", item["id"], source=source)
                self.archive.audit.revision(session, identity, item["id"], f"imported from {Path(source).name}",
                                            serialize.full_testimony(testimony))
                imported.append(testimony)
            # New testimonies delete nothing from the indexes, so no merge is needed.
            if imported:
                self.archive.index.sync(session, *imported, purge=False)
        for item in items:
            written.append(item["id"])
            if progress:
                progress(len(written), total, item["id"])

    def _refuse_unknown_collections(self, document: dict, items: list[dict], source: str) -> None:
        """Checked whole before anything is written: a later batch cannot fail on it half-way."""
        named = {c["id"] for c in document["collections"]}
        with self.archive.db.session() as session:
            named |= set(session.scalars(select(Collection.slug)))
        for item in items:
            if item["collection"] not in named:
                raise ConflictError(f"unknown collection {item['collection']!r}", file=source,
                                    record=item["id"], field="collection")

    def _collections(self, session, items: list[dict]) -> dict[str, Collection]:
        found = {c.slug: c for c in session.scalars(select(Collection))}
        for item in items:
            if item["id"] not in found:
                found[item["id"]] = Collection(slug=item["id"], title=item["title"],
                                               description=item["description"])
                session.add(found[item["id"]])
        return found

    def _authorities(self, session, items: list[dict]) -> None:
        found = self.authorities(session)
        for item in items:
            existing = found.get(item["id"])
            if existing is None:
                session.add(Authority(key=item["id"], type=item["type"], label=item["label"],
                                      variants=item["variants"]))
            else:
                existing.variants = list(dict.fromkeys([*existing.variants, *item["variants"]]))

    def _testimony(self, session, item: dict, collections: dict, source: str, fictional: bool) -> Testimony:
        if session.scalar(select(Testimony.id).where(Testimony.accession_id == item["id"])):
            raise ConflictError("an accession with this id already exists in the archive",
                                file=source, record=item["id"], field="id")
        if item["collection"] not in collections:
            raise ConflictError(f"unknown collection {item['collection']!r}", file=source,
                                record=item["id"], field="collection")
        t = Testimony(accession_id=item["id"], collection=collections[item["collection"]],
                      fictional=item["fictional"] or fictional,
                      **{k: item[k] for k in ("title", "summary", "interview_date", "interview_place",
                                              "languages", "duration", "interviewers", "subjects",
                                              "keywords", "places", "rights", "state",
                                              *json_format.OHMS_FIELDS)})
        session.add(t)
        for n in item["narrators"]:
            narrator = session.scalar(select(Narrator).where(Narrator.key == n["id"]))
            if narrator is None:
                narrator = Narrator(key=n["id"], **{k: v for k, v in n.items() if k != "id"})
            t.narrators.append(narrator)
        c = item["consent"]
        t.consent = Consent(**c)
        if t.state == "withdrawn":
            t.withdrawn_at = c["withdrawn_date"]
        transcripts = {}
        for tr in item["transcripts"]:
            transcript = Transcript(key=tr["id"], language=tr["language"], kind=tr["kind"], text=tr["text"],
                                    cues=tr["cues"], **{k: tr[k] for k in TRANSLATION_FIELDS})
            for seq, s in enumerate(tr["segments"]):
                transcript.segments.append(Segment(seq=seq, **s))
            transcripts[tr["id"]] = transcript
            t.transcripts.append(transcript)
        for r in item["redactions"]:
            t.redactions.append(Redaction(
                key=r["id"], transcript=transcripts.get(r["transcript"]) if r["transcript"] else None,
                **{k: r[k] for k in ("start", "end", "text", "field", "category", "reason", "visible_to",
                                     "replacement", "state", "proposed_by", "approved_by")}))
        for s in item["sensitive_terms"]:
            t.sensitive_terms.append(SensitiveTerm(**s))
        return t

    @gated("export.audience")
    def export(self, identity: Identity, audience: Audience | str | None = None,
               progress: Progress | None = None) -> dict:
        """Every testimony the audience may see, in the JSON format, as that audience sees it."""
        audience = self._export_audience(identity, audience)
        with self.archive.db.session() as session:
            export = _Export(self, session, audience, progress)
            items = list(export.items())
            self.archive.audit.record(session, identity, "export", audience.label, testimonies=len(items))
            collections, places = export.records()
            return serialize.document(collections, places, items, **export.head())

    @gated("export.audience")
    def export_stream(self, identity: Identity, audience: Audience | str | None = None):
        """The same document as `export`, as JSON text in pieces: testimonies are read and written a
        batch at a time, so an export of any size holds one batch in memory, and its first bytes
        leave before the last testimony is read. What would refuse the export is checked first."""
        audience = self._export_audience(identity, audience)
        with self.archive.db.session() as session:
            _Export(self, session, audience).refuse_early()
            # Recorded when asked for: a download cut short has still read restricted material.
            self.archive.audit.record(session, identity, "export", audience.label, streamed=True)
        return self._stream(audience)

    def _stream(self, audience: Audience):
        return self._pieces(audience)

    @gated("export.audience")
    def stream_for(self, identity: Identity, audience: Audience | str | None = None, *,
                   collection: str | None = None, progress: Progress | None = None):
        """The export's JSON text in pieces, of one collection or of everything (the export job's)."""
        return self._pieces(self._export_audience(identity, audience), collection, progress)

    def _pieces(self, audience: Audience, collection: str | None = None, progress: Progress | None = None):
        dumps = partial(json.dumps, ensure_ascii=False)
        with self.archive.db.session() as session:
            ids = None
            if collection is not None:
                ids = list(session.scalars(select(Testimony.id).join(Collection).where(Collection.slug == collection)
                                           .order_by(Testimony.accession_id)))
            export = _Export(self, session, audience, progress, ids=ids)
            yield dumps(export.head())[:-1] + ', "testimonies": [\n'
            for n, item in enumerate(export.items()):
                yield (",\n" if n else "") + dumps(item)
            collections, places = export.records()
            yield '\n], "collections": %s, "authorities": %s}\n' % (dumps(collections), dumps(places))

    @staticmethod
    def _export_audience(identity: Identity, audience: Audience | str | None) -> Audience:
        audience = identity.audience if audience is None else Audience.parse(audience)
        if audience > identity.audience:
            raise PermissionDenied(f"{identity.describe()} may not export for {audience.label}")
        return audience


class _Export:
    """One export's pass over the archive: its testimonies a batch at a time, then the records
    (collections, places) those testimonies use."""

    def __init__(self, service: Service, session, audience: Audience, progress: Progress | None = None,
                 ids: list[int] | None = None):
        self.service, self.session, self.audience, self.progress = service, session, audience, progress
        self.ids = ids  # these testimonies only (a bag of one testimony or one collection), else all
        self.authorities = service.authorities(session)
        self.today = service.archive.today()
        self.shown: dict[str, list[str]] = {}  # place -> variants every view holding it shows
        self.used_collections: set[str] = set()
        self.used_places: set[str] = set()

    def refuse_early(self) -> None:
        if Audience.ARCHIVIST <= self.audience < Audience.ADMIN:
            held = self.session.scalar(select(Testimony.accession_id).join(Redaction)
                                       .where(Redaction.visible_to == "admin").limit(1))
            if held is not None:
                raise PermissionDenied(f"{held} holds redactions only an admin may export")

    def head(self) -> dict:
        extra = {"audience": self.audience.label, "exported_on": self.today.isoformat()}
        if self.audience >= Audience.ARCHIVIST:
            # Archive-wide sensitive terms (no testimony) belong in a full export too.
            extra["sensitive_terms"] = [
                serialize.term(s)
                for s in self.session.scalars(select(SensitiveTerm).where(SensitiveTerm.testimony_id.is_(None))
                                              .order_by(SensitiveTerm.id))
                if self.audience >= Audience.parse(s.visible_to or "archivist")]
        return {"format": serialize.FORMAT, **extra}

    def items(self):
        audience = self.audience
        ids = self.service.all_testimony_ids(self.session) if self.ids is None else self.ids
        for n, t in enumerate(self.service.each_testimony(self.session, ids=ids), 1):
            if audience >= Audience.ARCHIVIST:
                if audience < Audience.ADMIN and any(r.visible_to == "admin" for r in t.redactions):
                    raise PermissionDenied(f"{t.accession_id} holds redactions only an admin may export")
                item = serialize.full_testimony(t)
                # A term above the audience is left out, not refused as an admin-only redaction is:
                # the record is whole without it, and scanning on import protects nothing less.
                item["sensitive_terms"] = [s for s in item["sensitive_terms"]
                                           if audience >= Audience.parse(s["visible_to"])]
            else:
                view = view_for(t, audience, self.today, self.authorities)
                item = serialize.view_testimony(view) if view else None
                for p in view["places"] if view else ():
                    self.shown[p["id"]] = [v for v in self.shown.get(p["id"], p["variants"]) if v in p["variants"]]
            if item is not None:
                self.used_collections.add(item["collection"])
                self.used_places.update(item["places"])
                yield item
            if self.progress:
                self.progress(n, len(ids), t.accession_id)

    def records(self) -> tuple[list[dict], list[dict]]:
        collections = [serialize.collection(c) for c in self.session.scalars(select(Collection))
                       if c.slug in self.used_collections]
        places = [serialize.authority(a) for a in self.authorities.values()
                  if self.audience >= Audience.ARCHIVIST or a.key in self.used_places]
        if self.audience < Audience.ARCHIVIST:
            # The views already left out names hidden from this audience; the records follow them.
            places = [{**p, "variants": self.shown.get(p["id"], [])} for p in places]
        return collections, places
