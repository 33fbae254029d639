"""Photos, recordings and documents attached to testimonies; redaction boxes; fixity.

Originals are kept by SHA-256 and read by archivists only (audited). Lower audiences get
derivatives: pixels only, every box hiding from them filled, stored under the asset's random key
per audience. Derivatives are rebuilt inside the unit of work that changes a box, before it
commits: if anything fails afterwards, a derivative hides more than the database says, never less.
"""
from __future__ import annotations

import hashlib
import secrets
import time
from pathlib import PurePath
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..audience import Audience
from ..errors import ConflictError, NotFound, ValidationError
from ..identity import Identity
from ..media import DEFAULT_SIZES, Fixity, MediaStore, accept_photo, build_derivatives, inspect_image
from ..media.images import DEFAULT_MAX_BYTES, BLACK
from ..media.kinds import check_pdf, check_recording, is_pdf
from ..model import FixityRun, ImageRedaction, MediaAsset, Testimony
from ..policy import gated
from ..views import MEDIA_KINDS, asset_view, can_see_asset, hides_from, image_redaction, media_for
from .base import Service, marking_audience
from .recordings import RecordingsMixin

MAX_RECORDING_BYTES = 4 * 1024 ** 3
MAX_CAPTION = 2000
# A file no row owns is an orphan only once it is this old: younger, it may belong to an intake that
# has not committed yet (a recording's derivatives can take ffmpeg up to 30 minutes each).
ORPHAN_GRACE_SECONDS = 3 * 3600
# Every audience has its own derivatives; archivists' and admins' show the boxes they may not lift.
DERIVED_AUDIENCES = tuple(Audience)

Progress = Callable[[int, int, str], None]


class MediaService(RecordingsMixin, Service):
    def _store(self) -> MediaStore:
        if self.archive.media_dir is None:
            raise ValidationError("This archive has no media store configured (MEDIA_DIR)")
        return MediaStore(self.archive.media_dir)

    # --- intake ------------------------------------------------------------------------------

    @gated("media.write")
    def add(self, identity: Identity, accession_id: str, data: bytes, filename: str | None = None,
            kind: str = "photo", caption: str = "") -> dict:
        """Attach a file to a testimony: checked from its content, stored, registered, audited."""
        if kind not in MEDIA_KINDS:
            raise ValidationError(f"unknown kind {kind!r} (expected one of: {', '.join(MEDIA_KINDS)})",
                                  file=filename, field="kind")
        caption = (caption or "").strip()
        if len(caption) > MAX_CAPTION:
            raise ValidationError(f"the caption is longer than {MAX_CAPTION} characters", file=filename,
                                  field="caption")
        # Only the last part of a path is a file name; a client's folders are none of our business.
        name = PurePath((filename or "").replace("\\", "/")).name[:300] or None
        store = self._store()
        with self.archive.db.session() as session:     # refuse an unknown testimony before decoding
            if session.scalar(select(Testimony.id).where(Testimony.accession_id == accession_id)) is None:
                raise NotFound("no such testimony")
        sha256 = key = None
        existed = True
        try:
            width = height = None
            digest = hashlib.sha256(data).hexdigest()
            # An original already on disk may be an orphan: touched, it is in flight again, and a
            # `fixity --repair` running now leaves it alone.
            store.touch(digest)
            if kind == "photo":
                existed = store.exists(digest)
                sha256 = digest                           # from here on a failure removes what was stored
                photo = accept_photo(store, data, name)   # decoded in the sandbox, then stored
                mime, width, height = photo.info.mime, photo.info.width, photo.info.height
            else:
                mime = self._check_other(kind, data, name)
                existed = store.exists(digest)
                sha256 = digest
                store.put(data)
            with self.archive.unit_of_work() as session:
                testimony = self.get_testimony(session, accession_id)
                twin = next((a for a in testimony.media if a.sha256 == sha256), None)
                if twin is not None:
                    raise ConflictError(f"this file is already attached to {accession_id} "
                                        f"as a {twin.kind} ({twin.key[:12]})", file=name)
                key = secrets.token_hex(32)
                asset = MediaAsset(key=key, kind=kind, sha256=sha256, mime=mime,
                                   bytes=len(data), width=width, height=height, caption=caption,
                                   filename=name, created_by=identity.describe())
                testimony.media.append(asset)
                session.flush()
                self.archive.audit.record(session, identity, "media.add", accession_id, asset=asset.key,
                                          kind=kind, sha256=sha256, bytes=len(data))
                self.archive.audit.revision(session, identity, accession_id, f"{kind} {asset.key[:12]} added",
                                            {"media": {"key": asset.key, "kind": kind, "sha256": sha256}})
                if kind == "photo":
                    self._derive(store, asset, data)
                warning = self._accept_recording(store, asset) if kind in ("audio", "video") else None
                # The publication gate reads the caption (public text); the "recording" facet follows.
                self.archive.index.sync(session, testimony)
                result = self._describe(asset, identity.audience)
                if warning:
                    result["warning"] = warning
        except BaseException:
            if sha256 is not None:
                self._discard(store, sha256, existed)
            if key is not None:
                store.remove_derivatives_of(key)
            raise
        return result

    def _check_other(self, kind: str, data: bytes, name: str | None) -> str:
        if kind in ("audio", "video"):
            return check_recording(data, kind, name, MAX_RECORDING_BYTES)
        # documents and consent forms: a PDF, or an image decoded like a photo (never shown below staff)
        if is_pdf(data):
            return check_pdf(data, name, DEFAULT_MAX_BYTES)
        try:
            return inspect_image(data, name).mime
        except ValidationError as exc:
            raise ValidationError(f"{exc.message}; a {kind} must be a PDF or an image", file=name) from None

    @staticmethod
    def _discard(store: MediaStore, sha256: str, existed: bool) -> None:
        """Undo what a failed add wrote: its original (unless it was already there)."""
        if not existed:
            store.path(sha256).unlink(missing_ok=True)

    # --- derivatives -------------------------------------------------------------------------

    @staticmethod
    def _boxes(asset: MediaAsset, audience: Audience) -> tuple:
        return tuple(sorted(r.box for r in asset.redactions if hides_from(r, audience)))

    def _derive(self, store: MediaStore, asset: MediaAsset, data: bytes | None = None) -> None:
        """(Re)build every audience's derivatives of a photo from its original and its boxes."""
        if data is None:
            if store.fixity(asset.sha256) is not Fixity.OK:
                # Derivatives of bytes that are not the original would publish something unreviewed.
                raise ValidationError(f"the original {asset.sha256} is {store.fixity(asset.sha256).value}; "
                                      "run `python -m app fixity`", record=asset.key[:12])
            data = store.read(asset.sha256)
        built: dict[tuple, dict[str, bytes]] = {}
        for audience in DERIVED_AUDIENCES:
            boxes = self._boxes(asset, audience)
            if boxes not in built:
                built[boxes] = build_derivatives(data, boxes, DEFAULT_SIZES, fill=BLACK,
                                                 filename=asset.filename)
        # Lowest audiences first: if writing stops half-way, the most exposed copies are the new ones.
        for audience in DERIVED_AUDIENCES:
            for size, blob in built[self._boxes(asset, audience)].items():
                store.put_derivative(asset.key, audience, size, blob)

    # --- redaction boxes ---------------------------------------------------------------------

    @gated("redaction.write")
    def add_redaction(self, identity: Identity, asset_key: str, *, box, category: str, reason: str = "",
                      visible_to: str = "archivist") -> dict:
        """Propose a box; from now on it is filled in every derivative of the audiences below `visible_to`."""
        visible = marking_audience(category, visible_to, "box")
        store = self._store()
        with self.archive.unit_of_work() as session:
            asset = self._staff_asset(session, asset_key)
            if asset.kind != "photo":
                raise ValidationError(f"a {asset.kind} is never shown below archivist: it needs no boxes",
                                      record=asset.key[:12])
            x0, y0, x1, y1 = _check_box(box, asset)
            count = len(asset.redactions)
            key = f"B-{count + 1}"
            while any(r.key == key for r in asset.redactions):
                count += 1
                key = f"B-{count + 1}"
            redaction = ImageRedaction(key=key, x0=x0, y0=y0, x1=x1, y1=y1, category=category,
                                       reason=reason or "", visible_to=visible.label, state="proposed",
                                       proposed_by=identity.describe())
            asset.redactions.append(redaction)
            accession = asset.testimony.accession_id
            self.archive.audit.record(session, identity, "media.redaction.add", accession, asset=asset.key,
                                      key=key, box=[x0, y0, x1, y1], category=category, visible_to=visible.label)
            self.archive.audit.revision(session, identity, accession,
                                        f"box {key} on {asset.key[:12]} proposed",
                                        {"media": asset.key, "box": key, "rect": [x0, y0, x1, y1]})
            session.flush()
            self._derive(store, asset)
            return image_redaction(redaction)

    @gated("redaction.write")
    def approve_redaction(self, identity: Identity, asset_key: str, key: str, *, two_person: bool = True) -> dict:
        with self.archive.unit_of_work() as session:
            asset = self._staff_asset(session, asset_key)
            redaction = next((r for r in asset.redactions if r.key == key), None)
            if redaction is None:
                raise NotFound(f"no box {key} on this photo")
            if two_person and redaction.proposed_by == identity.describe():
                raise ValidationError("a second archivist must approve a redaction", record=key)
            redaction.state, redaction.approved_by = "approved", identity.describe()
            accession = asset.testimony.accession_id
            self.archive.audit.record(session, identity, "media.redaction.approve", accession,
                                      asset=asset.key, key=key)
            self.archive.audit.revision(session, identity, accession, f"box {key} on {asset.key[:12]} approved", {})
            # (a proposed box already hides: approval changes no pixel)
            return image_redaction(redaction)

    # --- reading -----------------------------------------------------------------------------

    @gated("media.read")
    def assets_for(self, identity: Identity, accession_id: str) -> list[dict]:
        """The testimony's media the caller may see (NotFound if it may not see the testimony)."""
        from .. import policy
        with self.archive.db.session() as session:
            testimony = self.load_testimony(session, accession_id)
            policy.require_testimony(identity, testimony, self.archive.today())
            return media_for(testimony, identity.audience, self.archive.today())

    @gated("media.read")
    def asset(self, identity: Identity, asset_key: str) -> dict:
        """One asset as the caller may see it, with its testimony's accession id."""
        with self.archive.db.session() as session:
            asset = self._visible(session, identity, asset_key)
            return self._describe(asset, identity.audience)

    @gated("media.read")
    def derivative(self, identity: Identity, asset_key: str, size: str) -> bytes:
        """A photo's PNG at one size, redacted for the caller's audience; NotFound for anything the
        caller may not see, exactly as for an asset that does not exist."""
        if size not in DEFAULT_SIZES:
            raise NotFound("no such media")
        with self.archive.db.session() as session:
            asset = self._visible(session, identity, asset_key)
            if asset.kind != "photo":
                raise NotFound("no such media")
            key = asset.key
        return self._store().read_derivative(key, identity.audience, size)

    @gated("media.read_original")
    def original(self, identity: Identity, asset_key: str) -> dict:
        """The bytes as received, for archivists; every reading is audited."""
        with self.archive.unit_of_work() as session:
            asset = self._staff_asset(session, asset_key)
            data = self._store().read(asset.sha256)
            self.archive.audit.record(session, identity, "media.read_original", asset.testimony.accession_id,
                                      asset=asset.key, sha256=asset.sha256)
            return {"data": data, "mime": asset.mime, "filename": asset.filename, "sha256": asset.sha256,
                    "kind": asset.kind}

    # --- fixity ------------------------------------------------------------------------------

    @gated("media.fixity")
    def fixity(self, identity: Identity, progress: Progress | None = None, *, repair: bool = False,
               grace: float = ORPHAN_GRACE_SECONDS) -> dict:
        """Re-hash every original the archive registers; record the run; report missing or changed
        originals, and files no row owns (orphans: left by a process killed before its commit).
        With repair, delete the orphans. A file written less than `grace` seconds ago is not an
        orphan yet, only "in flight": its intake may still be running."""
        store = self._store()
        owners, keys = self._owners()
        # Listed after the rows are read: a file whose row commits in between is young, so in flight.
        unowned = store.unowned(set(owners), keys)
        found: dict[str, list[str]] = {"missing": [], "changed": []}
        for n, sha in enumerate(sorted(owners), 1):
            result = store.fixity(sha)
            if result is not Fixity.OK:
                found[result.value].append(sha)
            if progress:
                progress(n, len(owners), sha)
        cutoff = time.time() - grace
        orphans = [c for c in unowned if c.modified <= cutoff]
        removed = []
        if repair and orphans:
            now_owned, now_keys = self._owners()     # once more, just before deleting
            removed = [c.name for c in orphans if _owner_of(c.name) not in now_owned
                       and _owner_of(c.name) not in now_keys and store.remove_unowned(c, cutoff)]
        found.update(orphans=[c.name for c in orphans], removed=removed)
        with self.archive.unit_of_work() as session:
            run = FixityRun(by=identity.describe(), checked=len(owners), missing=len(found["missing"]),
                            changed=len(found["changed"]), detail=found)
            session.add(run)
            self.archive.audit.record(session, identity, "media.fixity", "", checked=len(owners),
                                      missing=len(found["missing"]), changed=len(found["changed"]),
                                      orphans=len(orphans), removed=len(removed))
            session.flush()
            report = _run(run)
        report["assets"] = {sha: owners[sha] for sha in found["missing"] + found["changed"]}
        report["in_flight"] = len(unowned) - len(orphans)
        return report

    def _owners(self) -> tuple[dict[str, list[str]], set[str]]:
        """Every registered original (SHA-256 -> "accession key" of its assets), and every asset key."""
        with self.archive.db.session() as session:
            owners: dict[str, list[str]] = {}
            keys: set[str] = set()
            for sha, accession, key in session.execute(
                    select(MediaAsset.sha256, Testimony.accession_id, MediaAsset.key)
                    .join(Testimony, MediaAsset.testimony_id == Testimony.id).order_by(MediaAsset.id)):
                owners.setdefault(sha, []).append(f"{accession} {key[:12]}")
                keys.add(key)
        return owners, keys

    @gated("media.fixity")
    def last_fixity(self, identity: Identity) -> dict | None:
        with self.archive.db.session() as session:
            run = session.scalar(select(FixityRun).order_by(FixityRun.id.desc()).limit(1))
            return _run(run) if run else None

    # --- lookups -----------------------------------------------------------------------------

    @staticmethod
    def _load(session: Session, asset_key: str) -> MediaAsset | None:
        if not isinstance(asset_key, str) or len(asset_key) != 64:
            return None
        return session.scalar(select(MediaAsset).where(MediaAsset.key == asset_key).options(
            selectinload(MediaAsset.redactions), selectinload(MediaAsset.audio_redactions),
            selectinload(MediaAsset.testimony).selectinload(Testimony.consent)))

    def _visible(self, session: Session, identity: Identity, asset_key: str) -> MediaAsset:
        asset = self._load(session, asset_key)
        if asset is None or not can_see_asset(asset, identity.audience, self.archive.today()):
            raise NotFound("no such media")
        return asset

    def _staff_asset(self, session: Session, asset_key: str) -> MediaAsset:
        asset = self._load(session, asset_key)
        if asset is None:
            raise NotFound("no such media")
        return asset

    @staticmethod
    def _describe(asset: MediaAsset, audience: Audience) -> dict:
        return {**asset_view(asset, audience), "accession_id": asset.testimony.accession_id}


def _check_box(box, asset: MediaAsset) -> tuple[int, int, int, int]:
    if not (isinstance(box, (tuple, list)) and len(box) == 4 and all(type(v) is int for v in box)):
        raise ValidationError("a box is four whole numbers x0, y0, x1, y1", field="box")
    x0, y0, x1, y1 = box
    if not (0 <= x0 < x1 <= asset.width and 0 <= y0 < y1 <= asset.height):
        raise ValidationError(f"box ({x0}, {y0}, {x1}, {y1}) is empty or outside the "
                              f"{asset.width}x{asset.height} photo", field="box")
    return x0, y0, x1, y1


def _owner_of(name: str) -> str:
    """The SHA-256 or asset key a store path is named after ("" for a temporary file: no owner)."""
    part = name.rsplit("/", 1)[-1]
    return "" if part.startswith(".tmp-") else part


def _run(run: FixityRun) -> dict:
    orphans, removed = list(run.detail.get("orphans", [])), list(run.detail.get("removed", []))
    return {"at": run.at.isoformat(timespec="seconds"), "by": run.by, "checked": run.checked,
            "missing": list(run.detail.get("missing", [])), "changed": list(run.detail.get("changed", [])),
            "orphans": orphans, "removed": removed,
            "ok": run.missing == 0 and run.changed == 0 and set(orphans) <= set(removed)}
