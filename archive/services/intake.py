"""Transcript intake and bulk metadata: OHMS files become draft testimonies, transcript files join
existing ones, CSV rows create or update testimonies. A preview reads without writing.

Every write is one unit of work (database and indexes together) with a revision and an audit
event; a failure leaves no row and no index document. A CSV file is imported row by row, each row
all or nothing, so one bad row is reported (line and field) while the others are kept.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError

from .. import edtf
from ..errors import ConflictError, ValidationError
from ..formats import csv_format, json_format, serialize
from ..identity import Identity
from ..intake import DEFAULT_MAX_BYTES, ParsedTranscript, decode, detect, parse
from ..intake import limits
from ..intake import ohms as ohms_intake
from ..intake.decoding import bom_encoding, check_size
from ..intake.language import guess as guess_language
from ..model import Collection, Consent, Narrator, Segment, SensitiveTerm, Testimony, Transcript
from ..policy import gated
from .base import Service

Progress = Callable[[int, int, str], None]
DEFAULT_COLLECTION = "imports"
DEFAULT_COLLECTION_TITLE = "Imports"
TRANSCRIPT_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
UNDETERMINED = "und"
# Testimony fields an OHMS file fills beyond the archive's own (issue 14).
OHMS_EXTRAS = ("interview_date_text", "repository", "series", "funding", "media_url")        # BCP 47 for "language not identified"
EXCERPT = 160
# OHMS's free-text dates, as its editors write them when the <date value> is empty.
_DATE_FORMATS = (("%d %B %Y", "%Y-%m-%d"), ("%B %d, %Y", "%Y-%m-%d"), ("%B %d %Y", "%Y-%m-%d"),
                 ("%B %Y", "%Y-%m"), ("%Y", "%Y"))


def kind_of(data: bytes, filename: str | None = None) -> str:
    """What an uploaded file is, from its content: "json", "csv", or a transcript format
    ("ohms", "webvtt", "srt", "docx", "text"); ValidationError for anything else."""
    if not data:
        raise ValidationError("the file is empty", file=filename)
    encoding, skip = bom_encoding(data[:4])
    head = data[skip:skip + 64 * 1024]
    if encoding in (None, "utf-8"):
        text = head.decode("utf-8", errors="replace").lstrip()
        if text.startswith("{"):
            return "json"
        if csv_format.looks_like_csv(text):
            return "csv"
    return detect(data, filename)


class IntakeService(Service):
    # -- preview: parse and compare, nothing written ------------------------------------------

    @gated("import")
    def preview(self, identity: Identity, data: bytes, filename: str, language: str | None = None, *,
                into: str | None = None, collection: str | None = None, key: str | None = None,
                replace: bool = False) -> dict:
        """What importing this file would do: its format, metadata, segments, warnings, and the
        records it would create or change (or why it would be refused). Writes nothing."""
        kind = kind_of(data, filename)
        if kind == "csv":
            return {"kind": "csv", "filename": filename, "report": self.import_csv(identity, data, filename,
                                                                               dry_run=True)}
        if kind == "json":
            return self._preview_json(data, filename)
        parsed = parse(data, filename, language=language)
        detected = guess_language(parsed.text) if parsed.language is None and parsed.text.strip() else None
        if detected:
            # Previewed with it and offered for confirmation (the import page's confirm form carries it);
            # never stored unseen: saving without the preview still needs a language.
            parsed.language = language = detected
        out = {"kind": kind, "filename": filename, **_summary(parsed), "problems": [],
               "detected_language": detected}
        with self.archive.db.session() as session:
            if into:
                testimony = self.get_testimony(session, into)
                target = _target(testimony, parsed, filename, language, key, replace)
                out.update(action="replace" if target["existing"] else "add", accession_id=into,
                           testimony_title=testimony.title, transcript_key=target["key"],
                           language=target["language"], problems=target["problems"])
                if kind == "ohms":
                    out["warnings"].append("only the transcript and its segments are taken from an OHMS "
                                           "file added to an existing testimony; its metadata is not")
            elif kind == "ohms":
                record = self._ohms_record(session, parsed, data, filename, collection, check=False)
                out.update(action="create", accession_id=record["accession_id"], record=record,
                           language=record["transcript_language"],
                           transcript_key=record["transcript_key"], problems=record.pop("problems"))
                out["warnings"] += record.pop("warnings")
            else:
                out.update(action=None, problems=[
                    f"a {kind} file holds a transcript only: choose the testimony it belongs to"])
        return out

    @gated("import")
    def import_json(self, identity: Identity, data: bytes, filename: str, *, fictional: bool = False,
                    progress: Progress | None = None) -> dict:
        """A file in the archive's JSON format, uploaded rather than read from disk: all or nothing."""
        return self.archive.transfer.import_document(identity, _json_document(data, filename), source=filename,
                                                     fictional=fictional, progress=progress)

    def _preview_json(self, data: bytes, filename: str) -> dict:
        document = _json_document(data, filename)
        ids = [t["id"] for t in document["testimonies"]]
        with self.archive.db.session() as session:
            taken = set(session.scalars(select(Testimony.accession_id).where(Testimony.accession_id.in_(ids))))
        return {"kind": "json", "filename": filename, "problems": [
            f"{i} already exists in the archive; the file is imported whole or not at all" for i in ids if i in taken],
            "testimonies": [{"accession_id": t["id"], "title": t["title"], "collection": t["collection"],
                             "state": t["state"], "exists": t["id"] in taken} for t in document["testimonies"]],
            "collections": len(document["collections"]), "authorities": len(document["authorities"]),
            "warnings": []}

    # -- OHMS: a new draft testimony ----------------------------------------------------------

    @gated("import")
    def import_ohms(self, identity: Identity, data: bytes, filename: str, collection: str | None = None, *,
                    language: str | None = None) -> str:
        """An OHMS file becomes a draft testimony (consent pending, archive only) with its metadata,
        segments and transcript. Returns the accession id."""
        parsed = parse(data, filename, language=language)
        if parsed.format != "ohms":
            raise ValidationError(f"this is a {parsed.format} file, not OHMS XML: add it to an existing "
                                  f"testimony instead", file=filename)
        with self.archive.unit_of_work() as session:
            record = self._ohms_record(session, parsed, data, filename, collection, check=True)
            accession = record["accession_id"]
            testimony = Testimony(
                accession_id=accession, collection=self._collection(session, record["collection"], filename),
                state="draft", fictional=False, places=[],
                consent=Consent(status="pending", scope="archive", permissions={}),
                **{k: record[k] for k in ("title", "summary", "interview_date", "languages", "duration",
                                          "interviewers", "subjects", "keywords", "rights", *OHMS_EXTRAS)})
            session.add(testimony)
            for n, name in enumerate(record["interviewees"], 1):
                # An OHMS interviewee is a real name: kept restricted, and watched for in the text.
                testimony.narrators.append(Narrator(
                    key=_free_narrator_key(session, accession, n), legal_name=name,
                    public_name=_placeholder_name(accession, n, len(record["interviewees"]))))
                testimony.sensitive_terms.append(SensitiveTerm(term=name, variants=[], category="person"))
            if parsed.text.strip() or parsed.segments:     # an index without a transcript is kept too
                testimony.transcripts.append(_transcript(parsed, record["transcript_key"],
                                                         record["transcript_language"]))
            alternate = _ohms_alternate(data, filename, testimony.transcripts)
            if alternate is not None:
                testimony.transcripts.append(alternate)
            self.archive.audit.record(session, identity, "testimony.import", accession, source=filename,
                                      format="ohms", sha256=hashlib.sha256(data).hexdigest())
            self.archive.audit.revision(session, identity, accession, f"imported from {filename} (OHMS)",
                                        {**serialize.full_testimony(testimony),
                                         "source": {"file": filename, "format": "ohms",
                                                    "metadata": _jsonable(parsed.metadata)}})
            self.archive.index.sync(session, testimony)
        return accession

    def _ohms_record(self, session, parsed: ParsedTranscript, data: bytes, filename: str,
                     collection: str | None, *, check: bool) -> dict:
        """The testimony an OHMS file describes. With check=True a conflict raises; otherwise it is
        listed under "problems" (for the preview)."""
        meta, warnings, problems = parsed.metadata, [], []
        accession = _ohms_accession(meta, data, warnings)
        if session.scalar(select(Testimony.id).where(Testimony.accession_id == accession)):
            conflict = ConflictError(f"testimony {accession} already exists; this OHMS file was imported "
                                     f"before, or its accession id is taken", file=filename,
                                     record=accession, field="accession")
            if check:
                raise conflict
            problems.append(str(conflict))
        slug = collection or DEFAULT_COLLECTION
        if slug != DEFAULT_COLLECTION and not _collection_exists(session, slug):
            if check:
                self._collection(session, slug, filename)
            problems.append(f"no collection {slug!r}")
        language = parsed.language
        if language and not json_format.LANGUAGE.match(language):
            raise ValidationError(f"{language!r} is not a language code (e.g. en, ar, fr)", file=filename,
                                  field="language")
        if parsed.text.strip() and not language:
            warnings.append("the file does not say its language: the transcript is stored as 'und' "
                            "(undetermined); choose a language to set it")
        subjects, keywords = [], list(meta.get("keywords", []))
        for subject in meta.get("subjects", []):
            # Library headings ("Duarte, Ronald, 1930-") have commas, which a search facet cannot hold.
            (keywords if "," in subject else subjects).append(subject)
        if len(subjects) < len(meta.get("subjects", [])):
            warnings.append("subjects with a comma are kept as keywords (a search facet cannot hold a "
                            "comma): " + "; ".join(s for s in meta["subjects"] if "," in s))
        rights = "\n\n".join(v for v in (meta.get("rights"), meta.get("usage")) if v)
        interviewees = list(meta.get("interviewees", []))
        if interviewees:
            warnings.append("interviewee names are kept as the narrators' legal names (restricted) and "
                            "added as sensitive terms; give each narrator a public name before publishing")
        return {
            "accession_id": accession, "collection": slug,
            "title": (meta.get("title") or "").strip()[:500] or f"Untitled OHMS import ({filename})",
            "summary": meta.get("description", ""), "interview_date": _ohms_date(meta, warnings),
            "languages": [language] if language else [], "duration": meta.get("duration"),
            "interviewers": list(meta.get("interviewers", [])), "subjects": subjects,
            "keywords": list(dict.fromkeys(keywords)), "rights": rights, "interviewees": interviewees,
            "transcript_language": language or UNDETERMINED, "transcript_key": language or "t1",
            "interview_date_text": _date_text(meta), "repository": meta.get("repository"),
            "series": meta.get("series_name"), "funding": meta.get("funding"), "media_url": meta.get("media_url"),
            "warnings": warnings, "problems": problems,
        }

    # -- a transcript into an existing testimony ----------------------------------------------

    @gated("testimony.write")
    def add_transcript(self, identity: Identity, accession_id: str, data: bytes, filename: str,
                       language: str | None = None, key: str | None = None, replace: bool = False) -> str:
        """Put a transcript file (text, DOCX, WebVTT, SRT or OHMS) into a testimony; returns its key.
        An existing transcript is replaced only with replace=True, and never while it has redactions."""
        parsed = parse(data, filename, language=language)
        with self.archive.unit_of_work() as session:
            testimony = self.get_testimony(session, accession_id)
            target = _target(testimony, parsed, filename, language, key, replace)
            if target["problems"]:
                raise ConflictError("; ".join(target["problems"]), file=filename, record=accession_id,
                                    field="transcript")
            existing, lang = target["existing"], target["language"]
            if existing is not None:
                # Updated in place: the (testimony, key) row stays, its text and segments are new.
                existing.language, existing.text, existing.kind = lang, parsed.text, "original"
                existing.segments, existing.cues = _segments(parsed), _cues(parsed)
            else:
                testimony.transcripts.append(_transcript(parsed, target["key"], lang))
            if lang != UNDETERMINED and lang not in (testimony.languages or []):
                testimony.languages = [*(testimony.languages or []), lang]
            action = "transcript.replace" if existing is not None else "transcript.add"
            self.archive.audit.record(session, identity, action, accession_id, key=target["key"],
                                      source=filename, format=parsed.format,
                                      sha256=hashlib.sha256(data).hexdigest())
            self.archive.audit.revision(
                session, identity, accession_id,
                f"transcript {target['key']} {'replaced' if existing is not None else 'added'} from {filename}",
                {"transcript": {"key": target["key"], "language": lang, "format": parsed.format,
                                "text": parsed.text, "segments": len(parsed.segments)}})
            self.archive.index.sync(session, testimony)
            return target["key"]

    # -- CSV: one row per testimony -----------------------------------------------------------

    @gated("import")
    def import_csv(self, identity: Identity, data: bytes, filename: str, dry_run: bool = False,
                   progress: Progress | None = None, on_row: Callable[[dict], None] | None = None) -> dict:
        """Create or update testimonies from CSV rows (columns: csv_format.COLUMNS). Each row is
        written on its own, all or nothing: a bad row is reported with its line and field and the
        other rows are still imported. With dry_run, report what would happen and write nothing.
        on_row receives each row's result as soon as that row is written (or refused), before progress."""
        rows = csv_format.read(data, filename, max_bytes=DEFAULT_MAX_BYTES)
        report: dict[str, Any] = {
            "file": filename, "dry_run": dry_run, "rows": [], "created": 0, "updated": 0, "unchanged": 0,
            "failed": 0,
            "note": "Each row is imported on its own: a row with an error is skipped (nothing of it is "
                    "written) and the other rows are imported.",
        }
        for n, row in enumerate(rows, 1):
            entry: dict[str, Any] = {"line": row.line, "accession_id": row.accession_id}
            try:
                if row.error is not None:
                    raise row.error
                if dry_run:
                    with self.archive.db.session() as session:
                        plan = self._plan_row(session, row, filename)
                        session.expunge_all()     # a dry run leaves nothing for the commit to write
                else:
                    with self.archive.unit_of_work() as session:
                        plan = self._plan_row(session, row, filename)
                        if plan["action"] != "unchanged":
                            self._apply_row(session, identity, plan, row, filename)
                done = {"create": "created", "update": "updated", "unchanged": "unchanged"}[plan["action"]]
                status = f"would {plan['action']}" if dry_run and done != "unchanged" else done
                entry.update(status=status, changes=plan["changes"], notes=plan["notes"])
                report[done] += 1
            except ValidationError as exc:
                entry.update(status="error", error=exc.message, field=exc.field, message=str(exc))
                report["failed"] += 1
            except (DataError, IntegrityError) as exc:
                # Checked rows should never get here; if one does, it is refused like any bad row
                # (its unit of work rolled back) and the rows after it still go in.
                reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0][:200]
                message = f"the database refused this row ({reason}); nothing of it was written"
                entry.update(status="error", error=message, field=None,
                             message=f"{filename}, record line {row.line}: {message}")
                report["failed"] += 1
            report["rows"].append(entry)
            if on_row:
                on_row(entry)
            if progress:
                progress(n, len(rows), row.accession_id)
        return report

    def _plan_row(self, session, row: csv_format.CsvRow, filename: str) -> dict:
        """What a row would do to the archive; reads only. Raises ValidationError for a row that
        cannot be applied."""
        where = {"file": filename, "record": f"line {row.line}"}
        values = dict(row.values)
        if "places" in values:
            values["places"] = _place_keys(values["places"], self.authorities(session))
        testimony = self.load_testimony(session, row.accession_id)
        notes: list[str] = []
        if testimony is None:
            if "title" not in values:
                raise ValidationError("is required for a new testimony", field="title", **where)
            values.setdefault("collection", DEFAULT_COLLECTION)
            before: dict[str, Any] = {}
            action = "create"
            notes.append("a new draft testimony, consent pending (archive only)")
        else:
            if testimony.state == "withdrawn":
                raise ConflictError("consent was withdrawn: the record stays as it is", field="accession_id",
                                    **where)
            before = {name: getattr(testimony, name) for name in csv_format.TESTIMONY_COLUMNS
                      if name != "collection"}
            before["collection"] = testimony.collection.slug
            action = "update"
            if testimony.state == "published":
                notes.append("published: the change reaches readers as soon as it is saved")
        slug = values.get("collection")
        if slug and slug != before.get("collection") and slug != DEFAULT_COLLECTION \
                and not _collection_exists(session, slug):
            raise ValidationError(f"no collection {slug!r} (known: {', '.join(_collection_slugs(session))})",
                                  field="collection", **where)
        changes = [{"field": name, "before": _plain(before.get(name)), "after": _plain(values[name])}
                   for name in csv_format.TESTIMONY_COLUMNS
                   if name in values and _plain(before.get(name)) != _plain(values[name])]
        narrator = self._plan_narrator(session, testimony, row, values, where)
        if narrator:
            changes += narrator["changes"]
        if action == "update" and not changes:
            action = "unchanged"
        return {"action": action, "testimony": testimony, "values": values, "changes": changes,
                "narrator": narrator, "notes": notes}

    @staticmethod
    def _plan_narrator(session, testimony, row: csv_format.CsvRow, values: dict, where: dict) -> dict | None:
        given = {c[len("narrator_"):]: values[c] for c in csv_format.NARRATOR_COLUMNS if c in values}
        if not given:
            return None
        key = given.pop("key", None)
        if key is None:
            linked = list(testimony.narrators) if testimony is not None else []
            key = linked[0].key if len(linked) == 1 else f"{row.accession_id[:58]}-N1"
        narrator = session.scalar(select(Narrator).where(Narrator.key == key))
        if narrator is None and "public_name" not in given:
            raise ValidationError(f"is needed to create narrator {key}", field="narrator_public_name", **where)
        changes = [{"field": f"narrator {key} {name}", "before": getattr(narrator, name, None), "after": value}
                   for name, value in given.items() if getattr(narrator, name, None) != value]
        linked = testimony is not None and narrator is not None and narrator in testimony.narrators
        if not linked:
            changes.append({"field": "narrators", "before": None, "after": f"{key} linked"})
        return {"key": key, "narrator": narrator, "fields": given, "changes": changes, "link": not linked}

    def _apply_row(self, session, identity: Identity, plan: dict, row: csv_format.CsvRow, filename: str) -> None:
        values, testimony = plan["values"], plan["testimony"]
        # The collection is looked up (a query, so an autoflush) before anything is added.
        collection = self._collection(session, values["collection"], filename) if "collection" in values \
            else None
        if testimony is None:
            testimony = Testimony(accession_id=row.accession_id, state="draft", fictional=False,
                                  collection=collection,
                                  consent=Consent(status="pending", scope="archive", permissions={}),
                                  summary="", languages=[], interviewers=[], subjects=[], keywords=[],
                                  places=[], rights="")
            session.add(testimony)
        elif collection is not None:
            testimony.collection = collection
        for name in csv_format.TESTIMONY_COLUMNS:
            if name != "collection" and name in values:
                setattr(testimony, name, values[name])
        narrator = plan["narrator"]
        if narrator:
            record = narrator["narrator"]
            if record is None:
                record = Narrator(key=narrator["key"], **narrator["fields"])
                session.add(record)
            else:
                for name, value in narrator["fields"].items():
                    setattr(record, name, value)
            if narrator["link"]:
                testimony.narrators.append(record)
        created = plan["action"] == "create"
        fields = [c["field"] for c in plan["changes"]]
        self.archive.audit.record(session, identity, "testimony.import" if created else "testimony.update",
                                  row.accession_id, source=filename, line=row.line, fields=fields)
        self.archive.audit.revision(
            session, identity, row.accession_id,
            f"{'created' if created else 'updated'} from {filename} line {row.line}",
            serialize.full_testimony(testimony) if created else {"changes": plan["changes"]})
        self.archive.index.sync(session, testimony)

    # -- shared --------------------------------------------------------------------------------

    @staticmethod
    def _collection(session, slug: str, filename: str) -> Collection:
        found = session.scalar(select(Collection).where(Collection.slug == slug))
        if found is not None:
            return found
        if slug == DEFAULT_COLLECTION:
            found = Collection(slug=slug, title=DEFAULT_COLLECTION_TITLE,
                               description="Testimonies imported from OHMS files and spreadsheets, "
                                           "awaiting cataloguing.")
            session.add(found)
            return found
        raise ValidationError(f"no collection {slug!r} (known: {', '.join(_collection_slugs(session))})",
                              file=filename, field="collection")


def _json_document(data: bytes, filename: str) -> dict:
    check_size(data, filename, DEFAULT_MAX_BYTES)
    return json_format.parse_document(json_format.loads(decode(data, filename), filename), filename)


def _collection_exists(session, slug: str) -> bool:
    return session.scalar(select(Collection.id).where(Collection.slug == slug)) is not None


def _collection_slugs(session) -> list[str]:
    return list(session.scalars(select(Collection.slug).order_by(Collection.slug)))


def _target(testimony: Testimony, parsed: ParsedTranscript, filename: str, language: str | None,
            key: str | None, replace: bool) -> dict:
    """Where a transcript file would go in a testimony, and what stands in the way."""
    problems = []
    lang = language or parsed.language or next(iter(testimony.languages or []), None)
    if not lang:
        raise ValidationError("the file does not say its language and the testimony has none: choose one",
                              file=filename, record=testimony.accession_id, field="language")
    if not json_format.LANGUAGE.match(lang):
        raise ValidationError(f"{lang!r} is not a language code (e.g. en, ar, fr)", file=filename,
                              field="language")
    key = key or lang
    if not TRANSCRIPT_KEY.match(key):
        raise ValidationError(f"{key!r} is not a transcript key (letters, digits, . _ -, up to 40)",
                              file=filename, field="key")
    if not parsed.text.strip():
        problems.append("the file holds no transcript text")
    if testimony.state == "withdrawn":
        problems.append("consent was withdrawn: the record stays as it is")
    elif testimony.state == "published":
        problems.append("the testimony is published: a new transcript would reach readers before anyone "
                        "checked it for names to redact; set it back to draft or in review first")
    existing = next((t for t in testimony.transcripts if t.key == key), None)
    if existing is not None:
        redactions = [r.key for r in testimony.redactions if r.transcript_id == existing.id]
        if redactions:
            problems.append(
                f"transcript {key!r} has redactions ({', '.join(redactions)}) addressed by character "
                f"offsets into its text; replacing the text would leave them covering the wrong words. "
                f"Remove them first, or add this file under another key")
        elif not replace:
            problems.append(f"the testimony already has a transcript {key!r}: choose to replace it, or "
                            f"add this file under another key")
    return {"key": key, "language": lang, "existing": existing, "problems": problems}


def _ohms_alternate(data: bytes, filename: str, transcripts: list[Transcript]) -> Transcript | None:
    """An OHMS file's alternate transcript as a second transcript: the translation of the first where
    the file says it translates (<translate>1</translate>) and has a first, else another original."""
    if not ohms_intake.has_alternate(data, filename):
        return None
    parsed = ohms_intake.parse_ohms(data, filename, alternate=True)
    for count, limit, what in ((len(parsed.text), limits.MAX_CHARACTERS, "characters"),
                               (len(parsed.cues), limits.MAX_CUES, "cues"),
                               (len(parsed.segments), limits.MAX_SEGMENTS, "segments")):
        limits.over(count, limit, what, f"{filename} (alternate transcript)")
    parsed.check()
    language = parsed.language or UNDETERMINED
    if not json_format.LANGUAGE.match(language):
        raise ValidationError(f"{language!r} is not a language code (e.g. en, ar, fr)", file=filename,
                              field="transcript_alt_lang")
    taken = {t.key for t in transcripts}
    key = next(k for k in (language if language != UNDETERMINED else "alt", "alt", "t2", "t3") if k not in taken)
    original = transcripts[0].key if transcripts and ohms_intake.says_translated(data, filename) else None
    transcript = _transcript(parsed, key, language)
    if original:
        transcript.kind, transcript.translation_of = "translation", original
    return transcript


def _transcript(parsed: ParsedTranscript, key: str, language: str) -> Transcript:
    return Transcript(key=key, language=language, kind="original", text=parsed.text,
                      segments=_segments(parsed), cues=_cues(parsed))


def _cues(parsed: ParsedTranscript) -> list[list]:
    """The fine timing of every caption cue or sync point: [text_start, text_end, start_s, end_s]."""
    return [[c.text_start, c.text_end, c.start, c.end] for c in parsed.cues]


def _segments(parsed: ParsedTranscript) -> list[Segment]:
    # The archive's segments have keywords only: OHMS index subjects join them.
    return [Segment(seq=seq, start=s.start, end=s.end, title=s.title[:500], synopsis=s.synopsis,
                    keywords=list(dict.fromkeys([*s.keywords, *s.subjects])),
                    text_start=s.text_start, text_end=s.text_end, hyperlinks=list(s.hyperlinks),
                    gps=list(s.gps))
            for seq, s in enumerate(parsed.segments)]


def _summary(parsed: ParsedTranscript) -> dict:
    """The parsed file as a preview page shows it."""
    text = parsed.text
    return {
        "format": parsed.format, "language": parsed.language, "characters": len(text),
        "cues": len(parsed.cues), "speakers": list(parsed.metadata.get("speakers", [])),
        "metadata": {k: v for k, v in _jsonable(parsed.metadata).items()
                     if k not in ("speakers", "notes", "footnotes") and v not in ("", [], None)},
        "segments": [{"start": s.start, "end": s.end, "title": s.title, "synopsis": s.synopsis,
                      "keywords": list(dict.fromkeys([*s.keywords, *s.subjects])),
                      "excerpt": " ".join(text[s.text_start:s.text_end][:EXCERPT * 2].split())[:EXCERPT]}
                     for s in parsed.segments],
        "warnings": list(parsed.warnings),
    }


def _ohms_accession(meta: dict, data: bytes, warnings: list[str]) -> str:
    for name, label in (("accession", "<accession>"), ("id", "the record id")):
        value = (meta.get(name) or "").strip()
        if not value:
            continue
        if json_format.ACCESSION_ID.match(value):
            if name == "id":
                warnings.append(f"the file has no usable <accession>: the accession id is {label}, {value}")
            return value
        warnings.append(f"{label} {value!r} is not a valid accession id (letters, digits, . _ : -)")
    # Derived from the content, so importing the same file twice is still a conflict.
    made = "OHMS-" + hashlib.sha256(data).hexdigest()[:12]
    warnings.append(f"the file has no accession or record id: the accession id is {made}")
    return made


def _ohms_date(meta: dict, warnings: list[str]) -> str | None:
    for raw in (meta.get("date"), meta.get("date_text")):
        raw = (raw or "").strip()
        if not raw:
            continue
        try:
            return edtf.parse(raw).text
        except edtf.EdtfError:
            pass
        for pattern, out in _DATE_FORMATS:
            try:
                return dt.datetime.strptime(raw, pattern).strftime(out)
            except ValueError:
                continue
        warnings.append(f"interview date {raw!r} is not a date the archive can read; left empty")
    return None


def _placeholder_name(accession: str, n: int, of: int) -> str:
    """A narrator's public name until an archivist gives one: which interviewee of which testimony
    (the interviewee's own name is restricted), so that narrators of different imports stay apart."""
    return (f"Narrator of {accession}" if of == 1 else f"Narrator {n} of {accession}")[:200]


def _date_text(meta: dict) -> str | None:
    """The date as the file wrote it, when that says more than the date itself ("Unknown Date")."""
    text = (meta.get("date_text") or "").strip()[:200]
    return text or None


def _free_narrator_key(session, accession: str, n: int) -> str:
    key = f"{accession[:58]}-N{n}"
    while session.scalar(select(Narrator.id).where(Narrator.key == key)) is not None:
        n += 100
        key = f"{accession[:58]}-N{n}"
    return key


def _place_keys(values: list[str], authorities: dict) -> list[str]:
    """Places as authority ids: an id stays, a label or variant becomes its record's id."""
    names = {}
    for key, a in authorities.items():
        for name in (a.label, *(a.variants or [])):
            names.setdefault(name.casefold(), key)
    return list(dict.fromkeys(v if v in authorities else names.get(v.casefold(), v) for v in values))


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, (list, tuple)) else value


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
