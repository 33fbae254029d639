"""Creating and editing the archive's records: collections, testimonies, narrators, authorities.

Every save writes a revision (a snapshot of the record) and an audit event, and re-indexes the
testimonies it changes, in one unit of work. Revisions of records that are not testimonies are
kept under "collection:<slug>", "narrator:<key>" and "authority:<key>". The audit log outlives a
purge, so it names the fields that changed, never their values: a narrator's legal name must not
survive in it.
"""
from __future__ import annotations

import json
import re
from typing import Iterable

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from .. import edtf
from ..errors import ConflictError, NotFound, ValidationError
from ..formats import serialize
from ..formats.json_format import ACCESSION_ID, LANGUAGE
from ..identity import Identity
from ..model import Authority, Collection, Consent, Narrator, Testimony, testimony_narrators
from ..policy import gated
from .gate import protective
from .base import Service

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,49}$")
RECORD_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,49}$")
AUTHORITY_TYPES = ("place", "person", "organisation")
TESTIMONY_FIELDS = ("collection", "title", "summary", "interview_date", "interview_place", "languages",
                    "subjects", "keywords", "places", "interviewers", "rights")
NARRATOR_FIELDS = ("public_name", "legal_name", "contact", "risk_notes", "birth_year", "gender",
                   "nationality", "role")
RESTRICTED = ("legal_name", "contact", "risk_notes")
LIMITS = {"title": 500, "interview_place": 300, "public_name": 200, "legal_name": 300, "gender": 40,
          "nationality": 80, "role": 80, "label": 300, "collection_title": 300}


def revision_target(kind: str, key: str) -> str:
    # Revision.accession_id holds 64 characters; keys made here are at most 50, imported ones may be longer.
    return f"{kind}:{key}"[:64]


def _text(value, field: str, *, required: bool = False, record: str | None = None,
          limit: int | None = None) -> str:
    text = (value or "").strip() if isinstance(value, (str, type(None))) else None
    if text is None:
        raise ValidationError(f"expected text, got {type(value).__name__}", record=record, field=field)
    if required and not text:
        raise ValidationError("is required", record=record, field=field)
    if limit is not None and len(text) > limit:
        raise ValidationError(f"is longer than {limit} characters", record=record, field=field)
    return text


def _raise(exc: Exception):
    raise exc


def _optional(value, field: str, **kw) -> str | None:
    return _text(value, field, **kw) or None


def _strings(values, field: str, record: str | None = None) -> list[str]:
    """A list from a list, or from text with one item per line; blanks and repeats dropped."""
    if values is None:
        return []
    if isinstance(values, str):
        values = values.splitlines()
    out = []
    for value in values:
        if not isinstance(value, str):
            raise ValidationError(f"item {value!r} is not text", record=record, field=field)
        value = value.strip()
        if value and value not in out:
            out.append(value)
    return out


def _languages(values, record: str | None) -> list[str]:
    languages = _strings(values, "languages", record)
    for lang in languages:
        if not LANGUAGE.match(lang):
            raise ValidationError(f"{lang!r} is not a language code (e.g. en, ar, fr, ckb)",
                                  record=record, field="languages")
    return languages


def _date(value, record: str | None) -> str | None:
    text = _optional(value, "interview_date", record=record, limit=64)
    if text is not None:
        try:
            edtf.parse(text)
        except edtf.EdtfError as exc:
            raise ValidationError(str(exc), record=record, field="interview_date") from None
    return text


def _birth_year(value, record: str | None) -> int | None:
    if value in (None, ""):
        return None
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{value!r} is not a year", record=record, field="birth_year") from None
    if not 1850 <= year <= 2100:
        raise ValidationError(f"{year} is not a plausible year of birth", record=record, field="birth_year")
    return year


def _changed(before: dict, after: dict) -> list[str]:
    return sorted(k for k in after if before.get(k) != after.get(k))


def narrator_snapshot(n: Narrator) -> dict:
    return {"id": n.key, **{f: getattr(n, f) for f in NARRATOR_FIELDS}}


def authority_snapshot(a: Authority) -> dict:
    return serialize.authority(a)


def collection_snapshot(c: Collection) -> dict:
    return serialize.collection(c)


class RecordService(Service):
    # -- reading (staff: these dicts hold restricted narrator fields) ---------------------------

    @gated("record.read")
    def list_collections(self, identity: Identity) -> list[dict]:
        with self.archive.db.session() as session:
            return [collection_snapshot(c) for c in session.scalars(select(Collection).order_by(Collection.slug))]

    @gated("record.read")
    def get_collection(self, identity: Identity, slug: str) -> dict:
        with self.archive.db.session() as session:
            return collection_snapshot(self._collection(session, slug))

    @gated("record.read")
    def list_authorities(self, identity: Identity) -> list[dict]:
        with self.archive.db.session() as session:
            return [authority_snapshot(a) for a in session.scalars(select(Authority).order_by(Authority.key))]

    @gated("record.read")
    def get_authority(self, identity: Identity, key: str) -> dict:
        with self.archive.db.session() as session:
            return authority_snapshot(self._authority(session, key))

    @gated("record.read")
    def list_narrators(self, identity: Identity) -> list[dict]:
        with self.archive.db.session() as session:
            linked = self._narrator_links(session)
            # (a list: public fields only; the restricted ones are read one narrator at a time, audited)
            return [{"id": n.key, "public_name": n.public_name, "role": n.role,
                     "testimonies": linked.get(n.id, [])}
                    for n in session.scalars(select(Narrator).order_by(Narrator.key))]

    @gated("record.read")
    def get_narrator(self, identity: Identity, key: str) -> dict:
        with self.archive.db.session() as session:
            narrator = self._narrator(session, key)
            self.archive.audit.record(session, identity, "narrator.view_restricted", revision_target("narrator", key))
            return {**narrator_snapshot(narrator), "testimonies": self._narrator_links(session).get(narrator.id, [])}

    @gated("record.read")
    def get_testimony_record(self, identity: Identity, accession_id: str) -> dict:
        """The editable fields of a testimony, as stored (no redaction applied: staff only)."""
        with self.archive.db.session() as session:
            testimony = self.get_testimony(session, accession_id)
            record = serialize.full_testimony(testimony)
            return {"accession_id": testimony.accession_id, "state": testimony.state,
                    **{f: record[f] for f in TESTIMONY_FIELDS},
                    "narrators": [narrator_snapshot(n) for n in testimony.narrators]}

    # -- collections ----------------------------------------------------------------------------

    @gated("record.write")
    def create_collection(self, identity: Identity, slug: str, title: str, description: str = "") -> dict:
        slug = _text(slug, "slug", required=True)
        if not SLUG.match(slug):
            raise ValidationError(f"{slug!r} is not a slug (lowercase letters, digits and -, at most 50)",
                                  field="slug")
        title = _text(title, "title", required=True, limit=LIMITS["collection_title"])
        description = _text(description, "description", limit=20000)
        with self.archive.unit_of_work() as session:
            if session.scalar(select(Collection.id).where(Collection.slug == slug)):
                raise ConflictError(f"a collection {slug!r} already exists", record=slug, field="slug")
            collection = Collection(slug=slug, title=title, description=description)
            session.add(collection)
            self._saved(session, identity, "collection.create", revision_target("collection", slug),
                        "collection created", collection_snapshot(collection), ["slug", "title", "description"])
            return collection_snapshot(collection)

    @gated("record.write")
    def edit_collection(self, identity: Identity, slug: str, *, title: str, description: str = "") -> dict:
        title = _text(title, "title", required=True, limit=LIMITS["collection_title"], record=slug)
        description = _text(description, "description", limit=20000, record=slug)
        with self.archive.unit_of_work() as session:
            collection = self._collection(session, slug)
            before = collection_snapshot(collection)
            collection.title, collection.description = title, description
            after = collection_snapshot(collection)
            changed = _changed(before, after)
            self._saved(session, identity, "collection.edit", revision_target("collection", slug),
                        f"collection edited ({', '.join(changed) or 'no change'})", after, changed)
            if changed:
                # Views carry the collection's title: its testimonies' pages and documents follow.
                members = list(session.scalars(select(Testimony).where(Testimony.collection_id == collection.id)))
                self._sync(session, [t.accession_id for t in members])
            return after

    # -- testimonies ----------------------------------------------------------------------------

    @gated("record.write")
    def create_testimony(self, identity: Identity, accession_id: str, *, narrators: Iterable[str] = (),
                         **fields) -> dict:
        """A new testimony: a draft with consent pending (publishing is the workflow's business),
        with the narrators named by key linked in the same unit of work."""
        accession_id = self._accession_id(accession_id)
        with self.archive.unit_of_work() as session:
            if session.scalar(select(Testimony.id).where(Testimony.accession_id == accession_id)):
                raise ConflictError(f"the accession id {accession_id} is already taken by another testimony",
                                    record=accession_id, field="accession_id")
            values = self._testimony_fields(session, fields, accession_id, partial=False)
            linked = self._narrators_by_key(session, narrators, accession_id)
            testimony = Testimony(accession_id=accession_id, state="draft",
                                  consent=Consent(status="pending", scope="archive", permissions={}),
                                  **values)
            testimony.narrators.extend(linked)
            session.add(testimony)
            session.flush()
            self._testimony_saved(session, identity, testimony, "testimony.create", "testimony created",
                                  sorted(values))
            return {"accession_id": accession_id, "state": testimony.state}

    @gated("record.write")
    def check_testimony(self, identity: Identity, accession_id: str | None, *, narrators: Iterable[str] = (),
                        **fields) -> list[ValidationError]:
        """Every objection a save of these values would meet, each naming its field, so a form shows
        them all at once (a save stops at the first). An accession id of None is not checked (an edit)."""
        found: list[ValidationError] = []
        checks = [lambda: self._accession_id(accession_id)] if accession_id is not None else []
        with self.archive.db.session() as session:
            if accession_id is not None:
                checks.append(lambda: session.scalar(select(Testimony.id).where(
                    Testimony.accession_id == (accession_id or "").strip())) and _raise(ConflictError(
                        f"the accession id {accession_id.strip()} is already taken by another testimony",
                        record=accession_id, field="accession_id")))
            checks += [lambda name=name: self._testimony_fields(session, {name: fields[name]}, accession_id,
                                                                 partial=True) for name in fields]
            checks.append(lambda: self._narrators_by_key(session, narrators, accession_id))
            for check in checks:
                try:
                    check()
                except ValidationError as exc:
                    found.append(exc)
        return found

    @gated("record.read")
    def find_records(self, identity: Identity, kind: str, text: str, *, limit: int = 20) -> list[dict]:
        """At most `limit` authority records of a type ("place", "person", "organisation") or narrators
        ("narrator") whose key, label (public name) or a variant holds `text`, for a form's picker."""
        needle = (text or "").strip()[:100]
        limit = max(1, min(int(limit), 50))
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        with self.archive.db.session() as session:
            if kind == "narrator":
                rows = session.scalars(select(Narrator).where(
                    Narrator.key.ilike(like, escape="\\") | Narrator.public_name.ilike(like, escape="\\"))
                    .order_by(Narrator.key).limit(limit))
                return [{"id": n.key, "label": n.public_name} for n in rows]
            if kind not in AUTHORITY_TYPES:
                raise ValidationError(f"{kind!r} is not a kind of record to pick (narrator, "
                                      f"{', '.join(AUTHORITY_TYPES)})", field="type")
            # Variants are stored as JSON text: non-ASCII letters there may be written as \\u escapes.
            as_json = json.dumps(needle)[1:-1].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            rows = session.scalars(select(Authority).where(Authority.type == kind).where(
                Authority.key.ilike(like, escape="\\") | Authority.label.ilike(like, escape="\\")
                | cast(Authority.variants, String).ilike(like, escape="\\")
                | cast(Authority.variants, String).ilike(f"%{as_json}%", escape="\\"))
                .order_by(Authority.key).limit(limit))
            return [{"id": a.key, "label": a.label, "variants": list(a.variants or [])} for a in rows]

    @gated("record.read")
    def resolve_record(self, identity: Identity, kind: str, text: str) -> str | None:
        """The key of the one record of `kind` whose key, label or a variant is `text` (letter case
        aside), or None: lets a form take "Raqqa" where it needs "place:raqqa"."""
        wanted = (text or "").strip().casefold()
        if not wanted:
            return None
        keys = {r["id"] for r in self.find_records(identity, kind, text, limit=50)
                if wanted in {r["id"].casefold(), (r["label"] or "").casefold(),
                              *(v.casefold() for v in r.get("variants", []))}}
        return keys.pop() if len(keys) == 1 else None

    @staticmethod
    def _accession_id(accession_id) -> str:
        accession_id = _text(accession_id, "accession_id", required=True)
        if not ACCESSION_ID.match(accession_id):
            raise ValidationError(f"{accession_id!r} is not a valid accession id (letters, digits and . _ : -, "
                                  "at most 64, starting with a letter or digit)", field="accession_id")
        return accession_id

    @staticmethod
    def _narrators_by_key(session: Session, keys: Iterable[str], record: str | None) -> list[Narrator]:
        keys = list(dict.fromkeys(k.strip() for k in keys if k and k.strip()))
        found = {n.key: n for n in session.scalars(select(Narrator).where(Narrator.key.in_(keys)))} if keys else {}
        unknown = [k for k in keys if k not in found]
        if unknown:
            raise ValidationError(f"no narrator {', '.join(map(repr, unknown))} (create the narrator first, "
                                  "or link one after the testimony is saved)", record=record, field="narrators")
        return [found[k] for k in keys]

    @gated("record.write")
    def edit_testimony(self, identity: Identity, accession_id: str, **fields) -> dict:
        """Change any of the descriptive fields; the ones not given are left as they are."""
        unknown = set(fields) - set(TESTIMONY_FIELDS)
        if unknown:
            raise ValidationError(f"not an editable field: {', '.join(sorted(unknown))}", record=accession_id,
                                  field=sorted(unknown)[0])
        with self.archive.unit_of_work() as session:
            testimony = self.get_testimony(session, accession_id)
            self._refuse_tombstone(testimony)
            values = self._testimony_fields(session, fields, accession_id, partial=True)
            before = serialize.full_testimony(testimony)
            for name, value in values.items():
                setattr(testimony, name, value)
            session.flush()
            after = serialize.full_testimony(testimony)
            changed = _changed(before, after)
            self._testimony_saved(session, identity, testimony, "testimony.edit",
                                  f"edited ({', '.join(changed) or 'no change'})", changed)
            return {"accession_id": accession_id, "changed": changed}

    def _testimony_fields(self, session: Session, fields: dict, record: str, *, partial: bool) -> dict:
        out: dict = {}
        given = (lambda name: name in fields) if partial else (lambda name: True)
        if given("collection"):
            slug = _text(fields.get("collection"), "collection", required=True, record=record)
            collection = session.scalar(select(Collection).where(Collection.slug == slug))
            if collection is None:
                raise ValidationError(f"no collection {slug!r}", record=record, field="collection")
            out["collection"] = collection
        if given("title"):
            out["title"] = _text(fields.get("title"), "title", required=True, record=record, limit=LIMITS["title"])
        if given("summary"):
            out["summary"] = _text(fields.get("summary"), "summary", record=record, limit=50000)
        if given("interview_date"):
            out["interview_date"] = _date(fields.get("interview_date"), record)
        if given("interview_place"):
            out["interview_place"] = _optional(fields.get("interview_place"), "interview_place", record=record,
                                               limit=LIMITS["interview_place"])
        if given("languages"):
            out["languages"] = _languages(fields.get("languages"), record)
        for name in ("subjects", "keywords", "interviewers"):
            if given(name):
                out[name] = _strings(fields.get(name), name, record)
        if given("places"):
            places = _strings(fields.get("places"), "places", record)
            known = set(session.scalars(select(Authority.key).where(Authority.key.in_(places)))) if places else set()
            unknown = [p for p in places if p not in known]
            if unknown:
                raise ValidationError(f"no authority record {unknown[0]!r} (places are authority keys, "
                                      "e.g. place:raqqa; add the authority record first)", record=record,
                                      field="places")
            out["places"] = places
        if given("rights"):
            out["rights"] = _text(fields.get("rights"), "rights", record=record, limit=5000)
        return out

    def _testimony_saved(self, session: Session, identity: Identity, testimony: Testimony, action: str,
                         summary: str, changed: list[str]) -> None:
        self.archive.audit.record(session, identity, action, testimony.accession_id, changed=changed)
        self.archive.audit.revision(session, identity, testimony.accession_id, summary,
                                    serialize.full_testimony(testimony))
        self.archive.index.sync(session, testimony)

    # -- narrators ------------------------------------------------------------------------------

    @gated("record.write")
    def create_narrator(self, identity: Identity, key: str, **fields) -> dict:
        key = _text(key, "key", required=True)
        if not RECORD_KEY.match(key):
            raise ValidationError(f"{key!r} is not a narrator key (letters, digits and . _ : -, at most 50)",
                                  field="key")
        values = self._narrator_fields(fields, key)
        with self.archive.unit_of_work() as session:
            if session.scalar(select(Narrator.id).where(Narrator.key == key)):
                raise ConflictError(f"a narrator {key!r} already exists", record=key, field="key")
            narrator = Narrator(key=key, **values)
            session.add(narrator)
            self._saved(session, identity, "narrator.create", revision_target("narrator", key), "narrator created",
                        narrator_snapshot(narrator), sorted(k for k, v in values.items() if v is not None))
            return {"key": key}

    @gated("record.write")
    def edit_narrator(self, identity: Identity, key: str, **fields) -> dict:
        values = self._narrator_fields(fields, key)
        with self.archive.unit_of_work() as session:
            narrator = self._narrator(session, key)
            before = narrator_snapshot(narrator)
            for name, value in values.items():
                setattr(narrator, name, value)
            after = narrator_snapshot(narrator)
            changed = _changed(before, after)
            self._saved(session, identity, "narrator.edit", revision_target("narrator", key),
                        f"narrator edited ({', '.join(changed) or 'no change'})", after, changed)
            if "legal_name" in changed and "public_name" not in changed:
                # Entering who the narrator is protects: where the name shows, the testimony is held.
                protective(session)
            self._sync(session, self._narrator_links(session).get(narrator.id, []))
            return {"key": key, "changed": changed}

    @gated("record.write")
    def link_narrator(self, identity: Identity, accession_id: str, key: str) -> dict:
        with self.archive.unit_of_work() as session:
            testimony = self.get_testimony(session, accession_id)
            self._refuse_tombstone(testimony)
            narrator = session.scalar(select(Narrator).where(Narrator.key == (key or "").strip()))
            if narrator is None:
                raise ValidationError(f"no narrator {key!r}", record=accession_id, field="narrator")
            if narrator in testimony.narrators:
                raise ConflictError(f"{narrator.key} is already a narrator of {accession_id}",
                                    record=accession_id, field="narrator")
            testimony.narrators.append(narrator)
            session.flush()
            self._testimony_saved(session, identity, testimony, "narrator.link",
                                  f"narrator {narrator.key} linked", ["narrators"])
            return {"accession_id": accession_id, "narrator": narrator.key}

    @gated("record.write")
    def unlink_narrator(self, identity: Identity, accession_id: str, key: str) -> dict:
        with self.archive.unit_of_work() as session:
            testimony = self.get_testimony(session, accession_id)
            narrator = next((n for n in testimony.narrators if n.key == key), None)
            if narrator is None:
                raise NotFound(f"{key} is not a narrator of {accession_id}")
            testimony.narrators.remove(narrator)
            session.flush()
            self._testimony_saved(session, identity, testimony, "narrator.unlink",
                                  f"narrator {narrator.key} unlinked", ["narrators"])
            return {"accession_id": accession_id, "narrator": narrator.key}

    @staticmethod
    def _narrator_fields(fields: dict, record: str) -> dict:
        unknown = set(fields) - set(NARRATOR_FIELDS)
        if unknown:
            raise ValidationError(f"not a narrator field: {', '.join(sorted(unknown))}", record=record,
                                  field=sorted(unknown)[0])
        out = {"public_name": _text(fields.get("public_name"), "public_name", required=True, record=record,
                                    limit=LIMITS["public_name"]),
               "birth_year": _birth_year(fields.get("birth_year"), record)}
        for name in ("legal_name", "gender", "nationality", "role"):
            out[name] = _optional(fields.get(name), name, record=record, limit=LIMITS[name])
        for name in ("contact", "risk_notes"):
            out[name] = _optional(fields.get(name), name, record=record, limit=5000)
        return out

    # -- authorities ----------------------------------------------------------------------------

    @gated("record.write")
    def create_authority(self, identity: Identity, key: str, type: str, label: str, variants=()) -> dict:
        key = _text(key, "key", required=True)
        if not RECORD_KEY.match(key):
            raise ValidationError(f"{key!r} is not an authority key (e.g. place:raqqa; letters, digits and "
                                  ". _ : -, at most 50)", field="key")
        values = self._authority_fields(type, label, variants, key)
        with self.archive.unit_of_work() as session:
            if session.scalar(select(Authority.id).where(Authority.key == key)):
                raise ConflictError(f"an authority record {key!r} already exists", record=key, field="key")
            authority = Authority(key=key, **values)
            session.add(authority)
            self._saved(session, identity, "authority.create", revision_target("authority", key),
                        "authority created", authority_snapshot(authority), ["type", "label", "variants"])
            return authority_snapshot(authority)

    @gated("record.write")
    def edit_authority(self, identity: Identity, key: str, *, type: str, label: str, variants=()) -> dict:
        """Change a label or variants; every testimony naming the authority is re-indexed (its place
        field and search expansion carry the names)."""
        values = self._authority_fields(type, label, variants, key)
        with self.archive.unit_of_work() as session:
            authority = self._authority(session, key)
            before = authority_snapshot(authority)
            for name, value in values.items():
                setattr(authority, name, value)
            after = authority_snapshot(authority)
            changed = _changed(before, after)
            users = [t.accession_id for t in self.all_testimonies(session, transcripts=False)
                     if key in (t.places or [])]
            self._saved(session, identity, "authority.edit", revision_target("authority", key),
                        f"authority edited ({', '.join(changed) or 'no change'})", after, changed,
                        reindexed=len(users))
            if changed:
                self._sync(session, users)
            return {**after, "changed": changed, "reindexed": users}

    @staticmethod
    def _authority_fields(type: str, label: str, variants, record: str) -> dict:
        kind = _text(type, "type", required=True, record=record)
        if kind not in AUTHORITY_TYPES:
            raise ValidationError(f"{kind!r} is not one of: {', '.join(AUTHORITY_TYPES)}", record=record,
                                  field="type")
        label = _text(label, "label", required=True, record=record, limit=LIMITS["label"])
        variants = [v for v in _strings(variants, "variants", record) if v != label]
        if any(len(v) > 300 for v in variants):
            raise ValidationError("a variant is longer than 300 characters", record=record, field="variants")
        return {"type": kind, "label": label, "variants": variants}

    # -- helpers --------------------------------------------------------------------------------

    def _saved(self, session: Session, identity: Identity, action: str, target: str, summary: str,
               snapshot: dict, changed: Iterable[str], **detail) -> None:
        session.flush()
        self.archive.audit.record(session, identity, action, target, changed=list(changed), **detail)
        self.archive.audit.revision(session, identity, target, summary, snapshot)

    def _sync(self, session: Session, accession_ids: Iterable[str]) -> None:
        testimonies = [self.get_testimony(session, a) for a in sorted(set(accession_ids))]
        if testimonies:
            self.archive.index.sync(session, *testimonies)

    @staticmethod
    def _refuse_tombstone(testimony: Testimony) -> None:
        if is_purged(testimony):
            raise ConflictError("this testimony was purged: only its tombstone remains",
                                record=testimony.accession_id)

    @staticmethod
    def _narrator_links(session: Session) -> dict[int, list[str]]:
        links: dict[int, list[str]] = {}
        rows = session.execute(select(testimony_narrators.c.narrator_id, Testimony.accession_id)
                               .join(Testimony, Testimony.id == testimony_narrators.c.testimony_id)
                               .order_by(Testimony.accession_id))
        for narrator_id, accession in rows:
            links.setdefault(narrator_id, []).append(accession)
        return links

    @staticmethod
    def _collection(session: Session, slug: str) -> Collection:
        found = session.scalar(select(Collection).where(Collection.slug == slug))
        if found is None:
            raise NotFound(f"no collection {slug}")
        return found

    @staticmethod
    def _authority(session: Session, key: str) -> Authority:
        found = session.scalar(select(Authority).where(Authority.key == key))
        if found is None:
            raise NotFound(f"no authority record {key}")
        return found

    @staticmethod
    def _narrator(session: Session, key: str) -> Narrator:
        found = session.scalar(select(Narrator).where(Narrator.key == key))
        if found is None:
            raise NotFound(f"no narrator {key}")
        return found


def is_purged(testimony: Testimony) -> bool:
    """A purge leaves a withdrawn testimony without a title (every save and import demands one)."""
    return testimony.state == "withdrawn" and not testimony.title
