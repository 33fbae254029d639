"""Recordings for every audience: redacted derivatives, time ranges drawn by archivists, captions.

Part of MediaService (a mixin, so that the media routes keep one service). An audience hears a
derivative of the recording with every range that hides something from it silenced (or toned: the
AUDIO_REDACTION setting): the ranges archivists draw and the time ranges archivists confirm for the
transcript redactions, each concealed on a coarse grid (archive/media/audio.py says how). Below
archivist, a recording is heard only once every transcript redaction hiding from that audience has
a confirmed range on it (views.unplaced_redactions); its proportional estimate is offered to the
archivist as a starting point (`placements`), and heard, if ever, only in staff copies. A derivative is named by a fingerprint of its ranges, so a
reader is only ever given the derivative of the ranges the database holds now: after a rollback,
or if ffmpeg failed, the right one is simply missing, and is built when first asked for.

A video's derivative is the same thing with the picture kept (archive/media/audio.py
`redact_video`): the same ranges silenced in its sound, stored as MP4 or WebM as its picture allows.

A change of a range or of a transcript redaction (IndexService.sync calls `follow_redactions`)
deletes, before it commits, every derivative whose ranges are no longer the database's, and queues a
job (services/jobs.py) that builds the new ones once it has committed: re-encoding takes ffmpeg
seconds to minutes, too long for a request. Until the job is done the recording is withheld (no
derivative of the current ranges: nobody hears the old one); staff see the job on the media page.
"""
from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session, selectinload

from ..audience import Audience
from ..errors import NotFound, ValidationError
from ..identity import Identity
from ..media import MediaStore
from ..media.audio import (DEFAULT_LIMITS, DERIVATIVE_EXT, DERIVATIVE_MIME, DERIVATIVE_PREFIX, FOREVER, MODES,
                           VIDEO_EXTS, VIDEO_MIMES, VIDEO_PREFIX, AudioToolError, TimedSegment, fingerprint,
                           merge, probe_duration, redact, redact_video, span_ranges, video_fingerprint)
from ..media.captions import timed, webvtt_for
from ..audience import SCOPE_FLOOR
from ..media.audio import conceal
from ..model import AudioRedaction, MediaAsset, Redaction, Testimony
from ..policy import gated
from ..views import audio_redaction, hides_from, may_be_heard, transcript_spans, unplaced_redactions, view_for
from .base import marking_audience

log = logging.getLogger(__name__)

# Every audience has its own derivative; archivists' and admins' silence what they may not hear.
AUDIO_AUDIENCES = tuple(Audience)
RECORDING_KINDS = ("audio", "video")


def estimate(redaction: Redaction, duration: float | None) -> list:
    """Where a transcript redaction is heard, by its proportional place in its segments (with
    margins); the whole recording when no timed segment holds it."""
    transcript = redaction.transcript
    segments = [TimedSegment(s.text_start, s.text_end, s.start, s.end) for s in transcript.segments] \
        if transcript else []
    return span_ranges(redaction.start, redaction.end, segments, duration)


def placed(ranges: list) -> bool:
    """Whether an estimate is a place in the recording, not the whole of it."""
    return bool(ranges) and ranges != [(0.0, FOREVER)]


def transcript_ranges(asset: MediaAsset, audience: Audience) -> list:
    """Where the testimony's transcript redactions hiding from `audience` are heard on this recording:
    their confirmed ranges, else (staff copies only: lower audiences get no recording meanwhile)
    their estimates."""
    confirmed = {r.redaction_key: r for r in asset.audio_redactions if r.redaction_key}
    spans = transcript_spans(asset.testimony)
    ranges = []
    for r in spans:
        if not hides_from(r, audience):
            continue
        row = confirmed.pop(r.key, None)
        ranges += [(row.start, row.end)] if row is not None else estimate(r, asset.duration)
    # A confirmed range whose redaction is gone still hides what it was confirmed for.
    ranges += [(r.start, r.end) for r in confirmed.values() if hides_from(r, audience)]
    return ranges


def lowest_listener(asset: MediaAsset) -> Audience | None:
    """The lowest audience below archivist that consent lets hear this recording (None: none may)."""
    consent = asset.testimony.consent
    if consent is None or not consent.permits("publish_audio"):
        return None
    if asset.kind == "video" and not consent.permits("publish_images"):
        return None
    floor = SCOPE_FLOOR.get(consent.scope, Audience.ADMIN)
    return floor if floor < Audience.ARCHIVIST else None


def unconfirmed_ranges(testimony: Testimony) -> list[str]:
    """Transcript redactions held by a timed segment of a recording that could reach an audience
    below archivist, but whose time range on it no archivist has confirmed (the publication check)."""
    keys: list[str] = []
    for asset in testimony.media:
        audience = lowest_listener(asset) if asset.kind in RECORDING_KINDS else None
        if audience is None:
            continue
        by_key = {r.key: r for r in testimony.redactions}
        for key in unplaced_redactions(asset, audience):
            if key not in keys and placed(estimate(by_key[key], asset.duration)):
                keys.append(key)
    return keys


class RecordingsMixin:
    """Audio derivatives, drawn ranges and captions (mixed into MediaService)."""
    # "silence" or "tone" (app/config.py AUDIO_REDACTION); part of every derivative's fingerprint.
    audio_redaction = "silence"
    audio_limits = DEFAULT_LIMITS

    # --- derivatives ---------------------------------------------------------------------------

    def _audio_ranges(self, asset: MediaAsset, audience: Audience) -> tuple:
        """Every range silenced for `audience`, concealed on the grid: the one source of every
        derivative's ranges and name."""
        drawn = [(r.start, r.end) for r in asset.audio_redactions if r.redaction_key is None and hides_from(r, audience)]
        return conceal(drawn + transcript_ranges(asset, audience))

    def _audio_name(self, asset: MediaAsset, audience: Audience) -> str | None:
        """The derivative's name for `audience`; None while that audience may hear none."""
        if audience < Audience.ARCHIVIST and unplaced_redactions(asset, audience):
            return None
        name = video_fingerprint if asset.kind == "video" else fingerprint
        return name(self._audio_ranges(asset, audience), self.audio_redaction)

    @staticmethod
    def _exts(asset: MediaAsset) -> tuple[str, ...]:
        return VIDEO_EXTS if asset.kind == "video" else (DERIVATIVE_EXT,)

    def _existing(self, store: MediaStore, asset: MediaAsset, audience: Audience, name: str):
        """The path of the derivative called `name` for `audience`, if it is there (else None)."""
        for ext in self._exts(asset):
            path = store.derivative_path(asset.key, audience, name, ext)
            if path.exists():
                return path
        return None

    def _build(self, store: MediaStore, asset: MediaAsset, audience: Audience) -> tuple[bytes, str]:
        """A derivative for `audience` made now from the original: (bytes, extension)."""
        ranges = self._audio_ranges(asset, audience)
        if asset.kind == "video":
            return redact_video(store.path(asset.sha256), ranges, self.audio_redaction, self.audio_limits)
        return redact(store.path(asset.sha256), ranges, self.audio_redaction, self.audio_limits), DERIVATIVE_EXT

    def _derive_audio(self, store: MediaStore, asset: MediaAsset, progress=None) -> None:
        """Build every audience's derivative that is not there yet; drop the ones of older ranges.
        `progress(done, total, message)` after each different derivative made."""
        if self.audio_redaction not in MODES:
            raise ValidationError(f"AUDIO_REDACTION is {self.audio_redaction!r}; expected one of: {', '.join(MODES)}")
        built: dict[str, tuple[bytes, str]] = {}
        names = {a: self._audio_name(asset, a) for a in AUDIO_AUDIENCES}
        todo = {n for a, n in names.items() if n is not None and self._existing(store, asset, a, n) is None}
        if progress:
            progress(0, len(todo), f"recording {asset.key[:12]}: {len(todo)} version(s) to encode")
        # Lowest audiences first: if writing stops half-way, the most exposed copies are the new ones.
        for audience in AUDIO_AUDIENCES:
            name = names[audience]
            try:
                if name is not None and self._existing(store, asset, audience, name) is None:
                    if name not in built:
                        built[name] = self._build(store, asset, audience)
                        if progress:
                            progress(len(built), len(todo),
                                     f"recording {asset.key[:12]}: {len(built)} of {len(todo)} version(s) encoded")
                    data, ext = built[name]
                    store.put_derivative(asset.key, audience, name, data, ext)
            finally:
                self._prune(store, asset, audience, name)

    def _prune(self, store: MediaStore, asset: MediaAsset, audience: Audience, name: str | None) -> None:
        """Delete `audience`'s derivatives of other ranges than `name`'s (all of them for None)."""
        prefix = VIDEO_PREFIX if asset.kind == "video" else DERIVATIVE_PREFIX
        for ext in self._exts(asset):
            for old in store.derivative_names(asset.key, audience, ext):
                if old.startswith(prefix) and old != name:
                    store.derivative_path(asset.key, audience, old, ext).unlink(missing_ok=True)

    def _queue_derivatives(self, session: Session, store: MediaStore, asset: MediaAsset, who: str) -> None:
        """In a writer's unit of work: withhold at once every derivative of ranges the database no
        longer holds, and queue the job that builds the current ones after the commit."""
        missing = False
        for audience in AUDIO_AUDIENCES:
            name = self._audio_name(asset, audience)
            self._prune(store, asset, audience, name)
            missing = missing or (name is not None and self._existing(store, asset, audience, name) is None)
        if missing:     # (an edit that changes no range needs no job)
            self.archive.jobs.queue_job(session, "recording", testimony=asset.testimony.accession_id,
                                  target=asset.key, who=who)

    @gated("media.read")
    def recording_ready(self, identity: Identity, asset_key: str) -> bool:
        """Whether the caller's derivative of a recording it may hear is there to be played now (not
        while a job re-encodes it after a redaction): the testimony page says so instead of a player."""
        store = self._store()
        with self.archive.db.session() as session:
            asset = self._load(session, asset_key)
            if asset is None or asset.kind not in RECORDING_KINDS:
                return False
            name = self._audio_name(asset, identity.audience)
            return name is not None and self._existing(store, asset, identity.audience, name) is not None

    def build_recording(self, asset_key: str, progress=None) -> str:
        """The job's work (services/jobs.py): every audience's derivative of the recording's current
        ranges. Read from the database when it starts, so a job run late or twice builds the same."""
        store = self._store()
        with self.archive.db.session() as session:
            asset = self._load(session, asset_key)
            if asset is None:
                return "the recording is no longer in the archive"
            self._derive_audio(store, asset, progress)
            return f"recording {asset.key[:12]} of {asset.testimony.accession_id}: every version is ready"

    def follow_redactions(self, session: Session, *testimonies: Testimony) -> None:
        """Rebuild the recordings' derivatives of testimonies whose redactions may have changed.

        Called by IndexService.sync inside the writer's unit of work. A derivative that cannot be
        built is left missing (nothing is served until it can be), never stale, and the write that
        hides more goes through: refusing it would keep the words visible in the transcript.
        """
        ids = [t.id for t in testimonies if t.id is not None]
        if not ids or self.archive.media_dir is None:
            return
        assets = session.scalars(select(MediaAsset).where(MediaAsset.testimony_id.in_(ids),
                                                          MediaAsset.kind.in_(RECORDING_KINDS))
                                 .options(selectinload(MediaAsset.audio_redactions))).all()
        if not assets:
            return
        store = self._store()
        for asset in assets:
            if asset.duration is None and not any(store.derivative_names(asset.key, a, e) for a in AUDIO_AUDIENCES
                                                  for e in self._exts(asset)):
                continue    # a recording ffmpeg could not read: kept for archivists, nothing to rebuild
            self._queue_derivatives(session, store, asset, session.info.get("who", "system"))

    def _accept_recording(self, store: MediaStore, asset: MediaAsset) -> str | None:
        """At intake: the duration and every audience's derivative, if ffmpeg can read the recording.

        A recording ffmpeg cannot read is still kept (a damaged field recording may be the only
        one), for archivists only: no derivative, so nobody below hears anything. Returns why.
        """
        try:
            asset.duration = probe_duration(store.path(asset.sha256), self.audio_limits)
            self._queue_derivatives(object_session(asset), store, asset, asset.created_by)
        except AudioToolError as exc:
            log.warning("recording %s kept without derivatives: %s", asset.key[:12], exc)
            return f"{exc.message}; the recording is kept for archivists only until it can be read"
        return None

    # --- ranges drawn by archivists -----------------------------------------------------------

    @gated("redaction.write")
    def add_audio_redaction(self, identity: Identity, asset_key: str, *, start: float, end: float, category: str,
                            reason: str = "", visible_to: str = "archivist") -> dict:
        """Propose a time range; from now on it is silenced for every audience below `visible_to`."""
        visible = marking_audience(category, visible_to, "range")
        store = self._store()
        with self.archive.unit_of_work() as session:
            asset = self._staff_asset(session, asset_key)
            if asset.kind not in RECORDING_KINDS:
                raise ValidationError(f"a {asset.kind} has no time ranges to silence", record=asset.key[:12])
            start, end = _check_range(start, end, asset.duration)
            taken = {r.key for r in asset.audio_redactions}
            n = len(taken) + 1
            while f"A-{n}" in taken:
                n += 1
            redaction = AudioRedaction(key=f"A-{n}", start=start, end=end, category=category, reason=reason or "",
                                       visible_to=visible.label, state="proposed", proposed_by=identity.describe())
            asset.audio_redactions.append(redaction)
            accession = asset.testimony.accession_id
            self.archive.audit.record(session, identity, "media.audio_redaction.add", accession, asset=asset.key,
                                      key=redaction.key, start=start, end=end, category=category,
                                      visible_to=visible.label)
            self.archive.audit.revision(session, identity, accession,
                                        f"range {redaction.key} on {asset.key[:12]} proposed",
                                        {"media": asset.key, "range": redaction.key, "seconds": [start, end]})
            session.flush()
            self._queue_derivatives(session, store, asset, identity.describe())
            return audio_redaction(redaction)

    @gated("redaction.write")
    def approve_audio_redaction(self, identity: Identity, asset_key: str, key: str, *,
                                two_person: bool = True) -> dict:
        with self.archive.unit_of_work() as session:
            asset = self._staff_asset(session, asset_key)
            redaction = next((r for r in asset.audio_redactions if r.key == key), None)
            if redaction is None:
                raise NotFound(f"no range {key} on this recording")
            if two_person and redaction.proposed_by == identity.describe():
                raise ValidationError("a second archivist must approve a redaction", record=key)
            redaction.state, redaction.approved_by = "approved", identity.describe()
            accession = asset.testimony.accession_id
            self.archive.audit.record(session, identity, "media.audio_redaction.approve", accession,
                                      asset=asset.key, key=key)
            self.archive.audit.revision(session, identity, accession,
                                        f"range {key} on {asset.key[:12]} approved", {})
            # (a proposed range already silences: approval changes no sample)
            return audio_redaction(redaction)

    # --- transcript redactions placed in time ---------------------------------------------------

    @gated("testimony.read_original")
    def placements(self, identity: Identity, asset_key: str) -> list[dict]:
        """The testimony's transcript redactions as this recording's timeline offers them: each with
        its proportional estimate (a starting point, or None where no timed segment holds it) and
        the range an archivist confirmed, if any. The hidden text only where the caller may see it."""
        with self.archive.db.session() as session:
            asset = self._staff_asset(session, asset_key)
            if asset.kind not in RECORDING_KINDS:
                return []
            confirmed = {r.redaction_key: r for r in asset.audio_redactions if r.redaction_key}
            out = []
            for r in transcript_spans(asset.testimony):
                guess = estimate(r, asset.duration)
                row = confirmed.get(r.key)
                out.append({
                    "redaction": r.key, "replacement": r.replacement, "category": r.category,
                    "on_recording": may_be_heard(r, asset.duration),
                    "visible_to": r.visible_to, "transcript": r.transcript.key if r.transcript else None,
                    "text": None if hides_from(r, identity.audience) else r.text,
                    "estimate": _within(guess, asset.duration) if placed(guess) else None,
                    "confirmed": None if row is None else {
                        "key": row.key, "start": row.start, "end": row.end, "by": row.proposed_by,
                        "state": row.state, "approved_by": row.approved_by}})
            return out

    @gated("redaction.write")
    def confirm_transcript_range(self, identity: Identity, asset_key: str, redaction_key: str, *,
                                 start: float, end: float) -> dict:
        """Confirm where a transcript redaction is heard on this recording (after listening): from now
        on that range, concealed on the grid, is what is silenced for it. A range confirmed again
        replaces the earlier one and awaits a second archivist's approval again."""
        with self.archive.unit_of_work() as session:
            asset = self._staff_asset(session, asset_key)
            if asset.kind not in RECORDING_KINDS:
                raise ValidationError(f"a {asset.kind} has no time ranges to silence", record=asset.key[:12])
            redaction = next((r for r in transcript_spans(asset.testimony) if r.key == redaction_key), None)
            if redaction is None:
                raise NotFound(f"no transcript redaction {redaction_key} on this testimony")
            start, end = _check_range(start, end, asset.duration)
            row = next((r for r in asset.audio_redactions if r.redaction_key == redaction.key), None)
            if row is None:
                taken = {r.key for r in asset.audio_redactions}
                n = len(taken) + 1
                while f"A-{n}" in taken:
                    n += 1
                row = AudioRedaction(key=f"A-{n}", redaction_key=redaction.key)
                asset.audio_redactions.append(row)
            row.start, row.end = start, end
            row.category, row.reason, row.visible_to = redaction.category, redaction.reason or "", redaction.visible_to
            row.state, row.proposed_by, row.approved_by = "proposed", identity.describe(), None
            accession = asset.testimony.accession_id
            self.archive.audit.record(session, identity, "media.audio_redaction.confirm", accession, asset=asset.key,
                                      key=row.key, redaction=redaction.key, start=start, end=end)
            self.archive.audit.revision(session, identity, accession,
                                        f"range {row.key} on {asset.key[:12]} confirmed for {redaction.key}",
                                        {"media": asset.key, "range": row.key, "redaction": redaction.key,
                                         "seconds": [start, end]})
            # The recording may now reach lower audiences: their views, indexes and derivatives follow.
            self.archive.index.sync(session, asset.testimony)
            return audio_redaction(row)

    # --- reading -------------------------------------------------------------------------------

    @gated("media.read")
    def audio(self, identity: Identity, asset_key: str) -> dict:
        """The recording as the caller's audience hears it: {"path", "mime"} of its derivative.
        NotFound for anything the caller may not hear, exactly as for an asset that does not exist."""
        return self._heard(identity, asset_key, "audio")

    @gated("media.read")
    def video(self, identity: Identity, asset_key: str) -> dict:
        """A video as the caller's audience may watch it: {"path", "mime"} of its derivative (the
        picture as filmed, the sound's ranges silenced). NotFound as `audio` gives it."""
        return self._heard(identity, asset_key, "video")

    def _heard(self, identity: Identity, asset_key: str, kind: str) -> dict:
        store = self._store()
        with self.archive.db.session() as session:
            asset = self._recording(session, identity, asset_key, kind)
            name = self._audio_name(asset, identity.audience)
            if name is None:                # (can_see_asset already said so; kept should it change)
                raise NotFound("no such media")
            path = self._existing(store, asset, identity.audience, name)
            if path is None and self.archive.read_only:
                # Nothing can be built on read-only media: the recording is not there to be heard.
                log.warning("read-only instance: recording %s has no derivative for %s", asset.key[:12],
                            identity.audience.label)
                raise NotFound("no such media")
            if path is None:
                # Being re-encoded after a change, or missing after a rollback or a failed build:
                # withheld (nobody is given an older derivative) until a job has made it from the
                # ranges the database holds; the job is queued if none is on its way. (An immediate
                # queue has made it by the time `ensure` returns.)
                key, accession = asset.key, asset.testimony.accession_id
        if path is None:
            self.archive.jobs.ensure_job("recording", testimony=accession, target=key)
            with self.archive.db.session() as session:
                asset = self._recording(session, identity, asset_key, kind)
                name = self._audio_name(asset, identity.audience)
                path = None if name is None else self._existing(store, asset, identity.audience, name)
            if path is None:
                raise NotFound("no such media")
        ext = Path(path).suffix[1:]
        return {"path": Path(path), "mime": VIDEO_MIMES[ext] if kind == "video" else DERIVATIVE_MIME}

    @gated("media.read")
    def captions(self, identity: Identity, asset_key: str, transcript: str | None = None) -> str:
        """WebVTT captions of a recording from the caller's view of its testimony's transcript (the
        given one, else the first with timed segments): every redaction above the caller applied."""
        with self.archive.db.session() as session:
            asset = self._recording(session, identity, asset_key, *RECORDING_KINDS)
            view = view_for(asset.testimony, identity.audience, self.archive.today())
            choices = [t for t in (view or {}).get("transcripts", []) if timed(t)]
            chosen = next((t for t in choices if transcript is None or t["key"] == transcript), None)
            if chosen is None:
                raise NotFound("no captions for this recording")
            return webvtt_for(chosen, asset.duration)

    def _recording(self, session: Session, identity: Identity, asset_key: str, *kinds: str) -> MediaAsset:
        asset = self._visible(session, identity, asset_key)
        if asset.kind not in kinds:
            raise NotFound("no such media")
        return asset


def _within(ranges: list, duration: float | None) -> list[float]:
    """One range from the first start to the last end, kept inside the recording: what the form offers."""
    start, end = max(0.0, min(a for a, _ in ranges)), max(b for _, b in ranges)
    return [round(start, 3), round(min(end, duration) if duration else end, 3)]


def _check_range(start, end, duration: float | None) -> tuple[float, float]:
    try:
        start, end = float(start), float(end)
    except (TypeError, ValueError):
        raise ValidationError("a range is two numbers of seconds, start and end", field="start") from None
    if not (0 <= start < end < FOREVER):
        raise ValidationError(f"the range {start:g}–{end:g} s is empty or negative", field="end")
    if duration is not None and start >= duration:
        raise ValidationError(f"the range starts at {start:g} s, after the recording's end ({duration:g} s)",
                              field="start")
    if duration is not None and end > duration + 0.001:
        raise ValidationError(f"the range ends at {end:g} s, after the recording's end ({duration:g} s)",
                              field="end")
    return round(start, 3), round(end, 3)
