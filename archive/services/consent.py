"""Consent: recording it, its history, withdrawal and purge. Every change takes effect in every view
and index before the call returns; granting never publishes (the workflow does that)."""
from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import delete, select

from ..audience import SCOPES, Audience
from ..errors import ConflictError, NotFound, ValidationError
from ..formats.json_format import SCOPE_ALIASES
from ..identity import Identity
from ..media import MediaStore
from ..model import Consent, MediaAsset, Revision, testimony_narrators
from ..policy import gated
from ..vocabulary import PERMISSIONS
from ..reserve import spends_reserve
from .base import Service
from .records import is_purged, revision_target

CONSENT_FIELDS = ("status", "scope", "embargo_until", "permissions", "date", "obtained_by",
                  "withdrawn_date", "withdrawal_reason")
# `record` sets these; a withdrawal goes through `withdraw` (reason, tombstone), never through `record`.
RECORDABLE_STATUSES = ("pending", "granted")


def consent_snapshot(consent: Consent | None) -> dict | None:
    if consent is None:
        return None
    out = {}
    for name in CONSENT_FIELDS:
        value = getattr(consent, name)
        out[name] = value.isoformat() if isinstance(value, dt.date) else value
    out["permissions"] = {k: bool(v) for k, v in sorted((consent.permissions or {}).items())}
    return out


def _date(value, field: str, record: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError(f"{value!r} is not a date (YYYY-MM-DD)", record=record, field=field) from None


def _permissions(value, record: str) -> dict[str, bool]:
    """From {"quote": True, ...} or from the names of the permissions granted; every one is stated."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        value = {name: True for name in value}
    for name, granted in value.items():
        if name not in PERMISSIONS:
            raise ValidationError(f"unknown permission {name!r} (known: {', '.join(PERMISSIONS)})",
                                  record=record, field="permissions")
        if not isinstance(granted, bool):
            raise ValidationError(f"permission {name!r} must be true or false", record=record, field="permissions")
    return {name: bool(value.get(name, False)) for name in PERMISSIONS}


class ConsentService(Service):
    @gated("consent.write")
    def record(self, identity: Identity, accession_id: str, status: str, scope: str,
               embargo_until=None, permissions=None, date=None, obtained_by: str | None = None) -> dict:
        """Record what the narrator consented to. A change that narrows an audience's view is out of
        its index before this returns; a grant leaves the workflow state alone."""
        status = (status or "").strip()
        if status == "withdrawn":
            raise ValidationError("withdrawing consent has its own action (with a reason and a tombstone)",
                                  record=accession_id, field="status")
        if status not in RECORDABLE_STATUSES:
            raise ValidationError(f"{status!r} is not one of: {', '.join(RECORDABLE_STATUSES)}",
                                  record=accession_id, field="status")
        scope = SCOPE_ALIASES.get((scope or "").strip(), (scope or "").strip())
        if scope not in SCOPES:
            raise ValidationError(f"{scope!r} is not one of: {', '.join(SCOPES)}", record=accession_id,
                                  field="scope")
        embargo_until = _date(embargo_until, "embargo_until", accession_id)
        date = _date(date, "date", accession_id)
        permissions = _permissions(permissions, accession_id)
        obtained_by = (obtained_by or "").strip() or None
        if obtained_by is not None and len(obtained_by) > 200:
            raise ValidationError("is longer than 200 characters", record=accession_id, field="obtained_by")
        today = self.archive.today()
        if date is not None and date > today:
            raise ValidationError(f"{date} is in the future", record=accession_id, field="date")
        if status == "granted":
            if date is None:
                raise ValidationError("a granted consent needs the date it was given", record=accession_id,
                                      field="date")
            if obtained_by is None:
                raise ValidationError("a granted consent needs who obtained it", record=accession_id,
                                      field="obtained_by")
        if embargo_until is not None and date is not None and embargo_until <= date:
            raise ValidationError("the embargo ends before consent was given", record=accession_id,
                                  field="embargo_until")
        with self.archive.unit_of_work() as session:
            testimony = self.get_testimony(session, accession_id)
            if testimony.state == "withdrawn":
                raise ConflictError(f"consent was withdrawn on {testimony.withdrawn_at}: a withdrawal is final",
                                    record=accession_id, field="status")
            if testimony.consent is None:
                testimony.consent = Consent(status="pending", scope="archive", permissions={})
            consent = testimony.consent
            before = consent_snapshot(consent)
            consent.status, consent.scope, consent.embargo_until = status, scope, embargo_until
            consent.permissions, consent.date, consent.obtained_by = permissions, date, obtained_by
            after = consent_snapshot(consent)
            changed = [k for k in CONSENT_FIELDS if before.get(k) != after.get(k)]
            # The audit log outlives a purge: field names and vocabulary values, no names of people.
            self.archive.audit.record(session, identity, "consent.record", accession_id, changed=changed,
                                      status=status, scope=scope)
            self.archive.audit.revision(session, identity, accession_id,
                                        f"consent recorded ({', '.join(changed) or 'no change'})",
                                        {"consent": after})
            self.archive.index.sync(session, testimony)
            return {"accession_id": accession_id, "changed": changed, "consent": after,
                    "state": testimony.state}

    @gated("consent.read")
    def history(self, identity: Identity, accession_id: str) -> list[dict]:
        """The consent's changes, oldest first: when, who, and each changed field's old and new value.
        Read from the revisions (which keep the consent as it was after each change)."""
        with self.archive.db.session() as session:
            self.get_testimony(session, accession_id)
            revisions = session.scalars(select(Revision).where(Revision.accession_id == accession_id)
                                        .order_by(Revision.id))
            out, state = [], None
            for revision in revisions:
                consent = _consent_in(revision.snapshot or {})
                if consent is None:
                    continue
                new = {**(state or {}), **consent}
                if "reason" in consent and "withdrawal_reason" not in consent:   # older withdrawals
                    new["withdrawal_reason"] = consent["reason"]
                    new.pop("reason")
                changes = {k: [None if state is None else state.get(k), new.get(k)]
                           for k in CONSENT_FIELDS if (state or {}).get(k) != new.get(k) and k in new}
                if changes:
                    out.append({"at": revision.created_at.isoformat(timespec="seconds"),
                                "author": revision.author, "summary": revision.summary, "changes": changes})
                state = new
            return out

    @gated("consent.write")
    @spends_reserve
    def withdraw(self, identity: Identity, accession_id: str, reason: str) -> dict:
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError("a withdrawal needs a reason", record=accession_id, field="reason")
        today = self.archive.today()
        with self.archive.unit_of_work() as session:
            testimony = self.get_testimony(session, accession_id)
            if testimony.state == "withdrawn":
                # The tombstone keeps the date of the narrator's withdrawal; a second one changes nothing.
                raise ConflictError(f"already withdrawn on {testimony.withdrawn_at}", record=accession_id)
            if testimony.consent is None:
                testimony.consent = Consent(status="pending", scope="archive", permissions={})
            before = testimony.consent.status
            testimony.consent.status = "withdrawn"
            testimony.consent.withdrawn_date = today
            testimony.consent.withdrawal_reason = reason
            testimony.state = "withdrawn"
            testimony.withdrawn_at = today
            self.archive.audit.record(session, identity, "consent.withdraw", accession_id,
                                      before=before, reason=reason)
            self.archive.audit.revision(session, identity, accession_id, "consent withdrawn",
                                        {"consent": consent_snapshot(testimony.consent)})
            self.archive.index.sync(session, testimony)
        return {"accession_id": accession_id, "withdrawn_at": today.isoformat()}

    @gated("testimony.purge")
    def purge(self, identity: Identity, accession_id: str, confirmation: str) -> dict:
        """Delete a withdrawn testimony's content for good: transcripts, segments, redactions, its
        sensitive terms, media rows and files, narrators nobody else names, and every revision.
        What remains is the tombstone (accession id, withdrawal date) and an audit entry naming
        only the accession id and who purged it."""
        if (confirmation or "").strip() != accession_id:
            raise ValidationError(f"type the accession id {accession_id} to confirm the purge",
                                  record=accession_id, field="confirmation")
        store = MediaStore(self.archive.media_dir) if self.archive.media_dir else None
        with self.archive.unit_of_work() as session:
            testimony = self.load_testimony(session, accession_id)
            if testimony is None:
                raise NotFound("no such testimony")
            if testimony.state != "withdrawn":
                raise ValidationError(f"only a withdrawn testimony may be purged; {accession_id} is "
                                      f"{testimony.state.replace('_', ' ')}: withdraw consent first",
                                      record=accession_id, field="state")
            if is_purged(testimony):
                raise ConflictError("already purged: only its tombstone remains", record=accession_id)
            files = [(a.sha256, a.key) for a in testimony.media]
            if files and store is None:
                raise ValidationError("this archive has no media store configured (MEDIA_DIR): its files "
                                      "cannot be deleted", record=accession_id)
            # Redactions point at transcripts: they go first.
            testimony.redactions.clear()
            session.flush()
            testimony.transcripts.clear()
            testimony.sensitive_terms.clear()
            testimony.media.clear()
            narrators = list(testimony.narrators)
            testimony.narrators.clear()
            session.flush()
            for narrator in narrators:
                still = session.scalar(select(testimony_narrators.c.testimony_id)
                                       .where(testimony_narrators.c.narrator_id == narrator.id).limit(1))
                if still is None:
                    session.execute(delete(Revision).where(
                        Revision.accession_id == revision_target("narrator", narrator.key)))
                    session.delete(narrator)
            session.execute(delete(Revision).where(Revision.accession_id == accession_id))
            withdrawn = testimony.withdrawn_at or (testimony.consent.withdrawn_date if testimony.consent else None)
            # The tombstone: what the public page needs (accession id, withdrawn, date), nothing said.
            for name, value in (("title", ""), ("summary", ""), ("interview_date", None),
                                ("interview_place", None), ("languages", []), ("duration", None),
                                ("interviewers", []), ("subjects", []), ("keywords", []), ("places", []),
                                ("rights", ""), ("withdrawn_at", withdrawn)):
                setattr(testimony, name, value)
            if testimony.consent is None:
                testimony.consent = Consent()
            consent = testimony.consent
            consent.status, consent.scope, consent.permissions, consent.withdrawn_date = \
                "withdrawn", "archive", {}, withdrawn
            consent.embargo_until = consent.date = consent.obtained_by = consent.withdrawal_reason = None
            self.archive.audit.record(session, identity, "testimony.purge", accession_id)
            # Out of every index, its segments rewritten so no word of it stays in the files. The
            # staff index keeps the tombstone's one bare document (accession id and collection, as a
            # rebuild from the database makes it), so the index check and rebuilds agree.
            self.archive.index.sync(session, testimony)
            shared = {sha for sha, _ in files if session.scalar(
                select(MediaAsset.id).where(MediaAsset.sha256 == sha).limit(1)) is not None}
        self._checkpoint()
        # Files go once the database has forgotten them: a failed commit leaves everything in place.
        left = []
        for sha256, key in files:
            if store is None:
                continue
            try:
                _remove_derivatives(store, key)
                if sha256 not in shared:       # the same bytes may be attached to another testimony
                    store.path(sha256).unlink(missing_ok=True)
            except OSError as exc:
                left.append(f"{sha256} ({exc.strerror})")
        if left:
            raise ValidationError(f"purged from the database, but the files of {len(left)} asset(s) could not "
                                  f"all be deleted from the media store: {', '.join(left)}", record=accession_id)
        return {"accession_id": accession_id, "purged": True, "files": len(files),
                "withdrawn_at": withdrawn.isoformat() if withdrawn else None}

    def _checkpoint(self) -> None:
        """On SQLite, copy the write-ahead log into the database file and empty it: secure_delete
        overwrites the purged rows in the file, but until a checkpoint the log still holds the pages
        as they were. (A reader holding an old snapshot makes it busy: the next checkpoint does it.)"""
        engine = self.archive.db.engine
        if engine.dialect.name != "sqlite":
            return
        for _ in range(3):
            with engine.connect() as connection:
                busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()[0]
            if not busy:
                return
            time.sleep(0.05)


def _consent_in(snapshot: dict) -> dict | None:
    """The consent a revision kept: in the whole record ("testimony"), in what changed ("change"),
    or (revisions written before revisions held both) at the top."""
    for holder in (snapshot.get("testimony"), snapshot.get("change"), snapshot):
        if isinstance(holder, dict) and isinstance(holder.get("consent"), dict):
            return holder["consent"]
    return None


def _remove_derivatives(store: MediaStore, key: str) -> None:
    """Every derivative of an asset, of every type (photos' PNGs, recordings' Ogg files, leftovers of
    interrupted writes), for every audience, and the folders named after it."""
    for audience in Audience:
        folder = store.derivative_path(key, audience, "x").parent
        if folder.is_dir():
            for path in folder.iterdir():
                path.unlink(missing_ok=True)
            folder.rmdir()
