"""The audience projection: the only way a testimony leaves the core toward an audience.

`view_for` builds a plain dict from an allow-list of fields, with every redaction above the
audience applied and restricted fields absent (not blank). Pages, JSON, exports and the search
index documents are all made from these dicts.
"""
from __future__ import annotations

import bisect
import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import object_session
from sqlalchemy.orm.exc import UnmappedInstanceError

from . import policy
from .audience import Audience
from .narrator_names import narrator_terms
from .redaction import Piece, Span, render
from .search.expansion import name_key

RTL_LANGUAGES = {"ar", "fa", "he", "ur", "ps", "ckb", "yi", "dv"}
RESTRICTED_NARRATOR_FIELDS = ("legal_name", "contact", "risk_notes")
PUBLIC_NARRATOR_FIELDS = ("key", "public_name", "birth_year", "gender", "nationality", "role")
TOMBSTONE_MESSAGE = "Withdrawn at the narrator's request."


def direction(language: str) -> str:
    return "rtl" if (language or "").split("-")[0].lower() in RTL_LANGUAGES else "ltr"


def hides_from(redaction, audience: Audience) -> bool:
    """Proposed or approved, a redaction hides its original from every audience below `visible_to`."""
    return audience < Audience.parse(redaction.visible_to)


def _span(redaction, revealed: bool) -> Span:
    return Span(redaction.start, redaction.end, redaction.replacement, key=redaction.key,
                text=redaction.text, reason=redaction.reason, category=redaction.category,
                revealed=revealed)


def _field(testimony, name: str, audience: Audience) -> Any:
    value = getattr(testimony, name)
    for redaction in testimony.redactions:
        if redaction.field == name and hides_from(redaction, audience):
            return [redaction.replacement] if isinstance(value, list) else redaction.replacement
    return value


def _pieces_json(pieces: list[Piece]) -> list[dict]:
    out = []
    for p in pieces:
        item: dict[str, Any] = {"text": p.text}
        if p.redacted:
            item["redacted"] = True
            if p.original is not None:
                item["original"] = p.original
                item["redactions"] = [{"key": s.key, "reason": s.reason, "category": s.category}
                                      for s in p.spans]
        out.append(item)
    return out


def _transcript(transcript, redactions, audience: Audience, staff: bool, shown=None) -> dict:
    # Staff see the originals they are cleared for, marked; everything else is replaced.
    spans = [_span(r, revealed=not hides_from(r, audience)) for r in redactions
             if r.transcript_id == transcript.id and r.start is not None
             and (staff or hides_from(r, audience))]
    segments = []
    bounds = [(s, s.text_start, s.text_end) for s in transcript.segments] or \
             [(None, 0, len(transcript.text))]
    for seq, (segment, lo, hi) in enumerate(bounds):
        pieces = render(transcript.text, spans, lo=lo, hi=hi)
        segments.append({
            "seq": seq,
            "start": segment.start if segment else None,
            "end": segment.end if segment else None,
            "title": segment.title if segment else "",
            "synopsis": segment.synopsis if segment else "",
            "keywords": list(segment.keywords) if segment else [],
            "pieces": _pieces_json(pieces),
            # Plain text as this audience reads it: originals where it may see them.
            "text": "".join(p.original if p.original is not None else p.text for p in pieces),
            "hyperlinks": _links(segment, staff, shown),
            "gps": _gps_points(segment, staff, shown),
        })
    return {"key": transcript.key, "language": transcript.language, "kind": transcript.kind,
            "dir": direction(transcript.language), "segments": segments,
            "cues": _cues(transcript, spans, bounds, segments)}


def _translation(out: dict, transcript, original, staff: bool, shown_test, authorities: dict) -> dict:
    """A translation's link to its original, and per segment the original's segments it pairs with and
    the moment it is said (its own start, else its original's): where a search hit lands."""
    from .translations import pairs, parts
    out["translation_of"] = transcript.translation_of
    out["machine"] = bool(transcript.machine)
    person = authorities.get(transcript.translator_key) if transcript.translator_key else None
    translator = transcript.translator or (person.label if person is not None else transcript.translator_key)
    # A translator may be at risk as a narrator is: below archivist, only a name that shows no hidden one.
    if translator and (staff or shown_test()(translator)):
        out["translator"] = translator
    if staff and transcript.translator_key:
        out["translator_key"] = transcript.translator_key
    if original is not None:
        o_parts, t_parts = parts(original), parts(transcript)
        for segment, hit in zip(out["segments"], pairs(o_parts, t_parts)):
            segment["pairs"] = hit
            segment["moment"] = segment["start"] if segment["start"] is not None else \
                (o_parts[hit[0]].start if hit else None)
    return out


def _cues(transcript, spans: list[Span], bounds: list, segments: list[dict]) -> list[dict]:
    """The fine timing (caption cues, OHMS sync points) as {start, end, at, text}: `at` is where the
    cue begins in the transcript as this audience reads it (its segments' texts joined), `text` the
    cue's words redacted as the segments redact them (a span is replaced once, where it begins)."""
    text = transcript.text
    if not transcript.cues:
        return []
    if not spans:
        return [{"start": start, "end": end, "at": lo, "text": text[lo:hi]}
                for lo, hi, start, end in transcript.cues]

    def shown(lo: int, hi: int) -> str:
        return "".join(p.original if p.original is not None else p.text for p in render(text, spans, lo=lo, hi=hi))
    los = [lo for _, lo, _ in bounds]
    offsets, total = [], 0
    for segment in segments:
        offsets.append(total)
        total += len(segment["text"])
    # The spans' union as disjoint sorted ranges: a cue whose segment holds none before or within it
    # is read as stored (no render: a transcript of many cues costs its length, not cues x spans).
    merged: list[list[int]] = []
    for span in sorted(spans, key=lambda sp: sp.start):
        if merged and span.start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], span.end)
        else:
            merged.append([span.start, span.end])
    ends = [e for _, e in merged]

    def touched(a: int, b: int) -> bool:
        k = bisect.bisect_right(ends, a)
        return k < len(merged) and merged[k][0] < b
    out = []
    for lo, hi, start, end in transcript.cues:
        i = max(bisect.bisect_right(los, lo) - 1, 0)
        seg_lo = bounds[i][1]
        if not touched(seg_lo, max(hi, lo + 1)):
            out.append({"start": start, "end": end, "at": offsets[i] + lo - seg_lo, "text": text[lo:hi]})
            continue
        at = offsets[i] + len(shown(seg_lo, lo)) if lo > seg_lo else offsets[i]
        out.append({"start": start, "end": end, "at": at, "text": shown(lo, hi)})
    return out


def _links(segment, staff: bool, shown) -> list[dict]:
    """An index point's hyperlinks; below archivist none whose text or address shows a hidden name."""
    links = list(segment.hyperlinks or []) if segment is not None else []
    if staff:
        return [dict(link) for link in links]
    return [dict(link) for link in links if shown(link.get("text") or "") and shown(link.get("url") or "")]


def _gps_points(segment, staff: bool, shown) -> list[dict]:
    """GPS points are location data, gated like places: below archivist only a point whose label
    names no hidden name or place (an unlabelled point may be of an undisclosed place: never)."""
    points = list(segment.gps or []) if segment is not None else []
    if staff:
        return [dict(p) for p in points]
    return [dict(p) for p in points if (p.get("label") or "").strip() and shown(p["label"])]


def _shown_test(testimony, audience: Audience, archive_terms: list | None):
    """text -> whether an audience below archivist may read it beside the index: it overlaps no hidden
    name (hidden_names, and a withheld interview place) and the scanner, which sees through disguised
    spellings, finds none of the testimony's sensitive terms or redacted texts in it."""
    from .scanning import compile_terms, find_terms
    hidden = hidden_names(testimony, audience, archive_terms)
    place = testimony.interview_place
    withheld_place = bool(place) and _field(testimony, "interview_place", audience) != place
    if withheld_place:
        hidden = hidden | {name_key(place)}
    terms = list(testimony.sensitive_terms or [])
    terms += archive_terms if archive_terms is not None else (
        archive_wide_terms(object_session(testimony)) if object_session(testimony) is not None else [])
    terms += [term for _, term in narrator_terms(testimony)]
    terms += [r.text for r in testimony.redactions if r.text and hides_from(r, audience)]
    if withheld_place:
        terms.append(place)
    compiled = compile_terms(terms)

    def shown(text: str) -> bool:
        return shows_name(text, hidden) and not find_terms(text, compiled)
    return shown


def _narrator(narrator, staff: bool) -> dict:
    fields = PUBLIC_NARRATOR_FIELDS + (RESTRICTED_NARRATOR_FIELDS if staff else ())
    return {f: getattr(narrator, f) for f in fields if getattr(narrator, f) is not None}


def _consent(consent, staff: bool) -> dict | None:
    if consent is None:
        return None
    view = {"scope": consent.scope,
            "permissions": {k: bool(v) for k, v in (consent.permissions or {}).items()}}
    if staff:
        view.update(status=consent.status, date=_iso(consent.date), obtained_by=consent.obtained_by,
                    embargo_until=_iso(consent.embargo_until),
                    withdrawn_date=_iso(consent.withdrawn_date),
                    withdrawal_reason=consent.withdrawal_reason)
    return view


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def view_for(testimony, audience: Audience, today: dt.date, authorities: dict | None = None,
             *, transcripts: bool = True, archive_terms: list | None = None) -> dict | None:
    """The testimony as `audience` may see it today, or None if it may not see it at all.

    With transcripts=False the view is a summary for lists: the same fields, no transcript text.
    `archive_terms`: the archive-wide sensitive terms, read once by a caller that makes many views in
    one read-only pass (a reindex); otherwise each view reads them.
    """
    audience = Audience.parse(audience)
    if testimony is None or not policy.can_see_testimony(testimony, audience, today):
        return None
    staff = audience >= Audience.ARCHIVIST
    consent = testimony.consent
    authorities = authorities or {}
    hidden = set() if staff or not testimony.places else hidden_names(testimony, audience, archive_terms)
    # (only where transcripts are shown: a list's summary loads none, and would cost a query each)
    located = transcripts and not staff and any(s.gps or s.hyperlinks for t in testimony.transcripts
                                                for s in t.segments)
    # GPS points and links are gated like places, also against a withheld interview place.
    shown = _shown_test(testimony, audience, archive_terms) if located else None
    view: dict[str, Any] = {
        "accession_id": testimony.accession_id,
        "audience": audience.label,
        "collection": {"id": testimony.collection.slug, "title": testimony.collection.title},
        "languages": list(testimony.languages or []),
        "duration": testimony.duration,
        "subjects": list(testimony.subjects or []),
        "keywords": list(testimony.keywords or []),
        "places": [p for p in (_place(key, authorities, hidden) for key in testimony.places or []) if p],
        "rights": testimony.rights,
        "fictional": testimony.fictional,
        "state": testimony.state,
        "narrators": [_narrator(n, staff) for n in testimony.narrators],
        "consent": _consent(consent, staff),
    }
    for name in ("title", "summary", "interview_date", "interview_place", "interviewers",
                 "repository", "series", "funding"):
        view[name] = _field(testimony, name, audience)
    # The date as written goes where the date goes: withheld with it.
    view["interview_date_text"] = testimony.interview_date_text \
        if view["interview_date"] == testimony.interview_date else view["interview_date"]
    if testimony.media_url and (staff or (consent is not None and consent.permits("publish_audio")
                                          and not any(hides_from(r, audience) for r in transcript_spans(testimony)))):
        # An outside recording plays what no derivative silenced: below archivist only with no
        # transcript redaction hiding anything from this audience.
        view["media_url"] = testimony.media_url
    publish_transcript = staff or (consent is not None and consent.permits("publish_transcript"))
    view["transcripts"] = _transcripts(testimony, audience, staff, shown, archive_terms, authorities) \
        if publish_transcript and transcripts else []
    view["transcript_withheld"] = not publish_transcript
    if transcripts:
        # (summaries for lists leave media out: a list page shows none, and loading it costs a query each)
        view["media"] = media_for(testimony, audience, today)
    if staff:
        view["field_redactions"] = {
            r.field: {"replacement": r.replacement, "reason": r.reason, "visible_to": r.visible_to,
                      "state": r.state, "key": r.key}
            for r in testimony.redactions if r.field}
        view["redactions"] = [_redaction(r, audience) for r in testimony.redactions]
        view["sensitive_terms"] = [{"term": s.term, "variants": list(s.variants or []),
                                    "category": s.category} for s in testimony.sensitive_terms
                                   if audience >= Audience.parse(s.visible_to or "archivist")]
        view["withdrawn_at"] = _iso(testimony.withdrawn_at)
        view["reaches"] = next(a.label for a in Audience
                               if policy.can_see_testimony(testimony, a, today))
    return view


def _terms_or_none(testimony, archive_terms: list | None) -> list:
    """The archive-wide terms: given, read from the testimony's session, or none for a stand-in record
    (a restore's what-if view: a plain object, not a loaded row)."""
    if archive_terms is not None:
        return archive_terms
    try:
        session = object_session(testimony)
    except UnmappedInstanceError:
        return []
    return archive_wide_terms(session) if session is not None else []


def _transcripts(testimony, audience: Audience, staff: bool, shown, archive_terms, authorities: dict) -> list[dict]:
    """The transcripts `audience` may read: below archivist, no translation that still says what a
    redaction of its original hides (archive/translations.py)."""
    from .translations import blocked
    by_key = {t.key: t for t in testimony.transcripts}
    withheld = set() if staff else blocked(testimony)
    tests: list = []

    def shown_test():
        if not tests:
            tests.append(shown or _shown_test(testimony, audience, _terms_or_none(testimony, archive_terms)))
        return tests[0]
    out = []
    for t in testimony.transcripts:
        if t.key in withheld:
            continue
        item = _transcript(t, testimony.redactions, audience, staff, shown)
        if t.translation_of or t.kind == "translation":
            original = by_key.get(t.translation_of) if t.translation_of not in withheld else None
            _translation(item, t, original, staff, shown_test, authorities)
        out.append(item)
    return out


# Kinds of media asset. Documents and consent forms are restricted originals: never below archivist.
MEDIA_KINDS = ("photo", "audio", "video", "document", "consent-form")
RESTRICTED_MEDIA_KINDS = ("document", "consent-form")


def can_see_asset(asset, audience: Audience, today: dt.date) -> bool:
    """Consent gates media as it gates the testimony: below archivist, an asset reaches an audience
    only with its testimony, and then only as consent permits: a photo with `publish_images`, a
    recording with `publish_audio`, a video with both (its derivative silences the redacted ranges
    of its sound, but nothing hides a face in its picture); documents and consent forms never."""
    testimony = asset.testimony
    if not policy.can_see_testimony(testimony, audience, today):
        return False
    if audience >= Audience.ARCHIVIST:
        return True
    consent = testimony.consent
    if asset.kind == "photo":
        return consent is not None and consent.permits("publish_images")
    if asset.kind == "audio":
        # Heard only as a derivative with the audience's ranges silenced (services/recordings.py).
        return consent is not None and consent.permits("publish_audio") and not unplaced_redactions(asset, audience)
    if asset.kind == "video":
        # Heard and seen as a derivative: ranges silenced as for audio, the picture as filmed.
        return consent is not None and consent.permits("publish_audio") and consent.permits("publish_images") \
            and not unplaced_redactions(asset, audience)
    return False


def transcript_spans(testimony) -> list:
    """The testimony's redactions of transcript text: what its recordings may have to silence."""
    return [r for r in testimony.redactions if r.transcript_id is not None and r.start is not None]


def unplaced_redactions(asset, audience: Audience) -> list[str]:
    """Keys of the transcript redactions hiding from `audience` that no archivist has placed in time
    on this recording. While there is one, `audience` gets no recording: a proportional guess can
    miss the spoken name, and one as long as the span tells the name's length."""
    placed = {r.redaction_key for r in asset.audio_redactions if r.redaction_key}
    return [r.key for r in transcript_spans(asset.testimony)
            if r.key not in placed and hides_from(r, audience) and may_be_heard(r, asset.duration)]


def may_be_heard(redaction, duration: float | None) -> bool:
    """Whether a transcript redaction may be heard on a recording this long: not when every segment
    holding its span is timed to start after the recording ends (the segments' times say so, not a
    guess within them); otherwise, or when not known, it may."""
    if duration is None or redaction.transcript is None:
        return True
    holding = [s for s in redaction.transcript.segments
               if s.text_start < redaction.end and redaction.start < s.text_end]
    covered = sum(min(redaction.end, s.text_end) - max(redaction.start, s.text_start) for s in holding)
    if not holding or covered < redaction.end - redaction.start:
        return True
    return any(s.start is None or s.start < duration for s in holding)


def media_for(testimony, audience: Audience, today: dt.date) -> list[dict]:
    """The testimony's media as `audience` may see it: photos only where consent permits images."""
    audience = Audience.parse(audience)
    return [asset_view(a, audience) for a in testimony.media if can_see_asset(a, audience, today)]


def asset_view(asset, audience: Audience) -> dict:
    """One asset for an audience already allowed to see it (`can_see_asset`).

    A caption is public text written by archivists for whoever may see the photo; the file's
    original name may identify someone and is shown to staff only, as are hash, type and boxes.
    """
    from .media.images import DEFAULT_SIZES
    from .media.worker import scaled_size
    item: dict[str, Any] = {"id": asset.key, "kind": asset.kind, "caption": asset.caption or ""}
    if asset.kind == "photo":
        item["width"], item["height"] = asset.width, asset.height
        item["sizes"] = {name: list(scaled_size(asset.width, asset.height, longest))
                         for name, longest in DEFAULT_SIZES.items()}
    if asset.kind in ("audio", "video"):
        item["duration"] = asset.duration
    if Audience.parse(audience) >= Audience.ARCHIVIST:
        item.update(sha256=asset.sha256, mime=asset.mime, bytes=asset.bytes, filename=asset.filename,
                    created_at=asset.created_at.isoformat(timespec="seconds") if asset.created_at else None,
                    created_by=asset.created_by, duration=asset.duration,
                    redactions=[image_redaction(r) for r in asset.redactions])
        if asset.kind in ("audio", "video"):
            item["audio_redactions"] = [audio_redaction(r) for r in asset.audio_redactions]
    return item


def image_redaction(r) -> dict:
    """A photo's redaction box, for staff."""
    return {"key": r.key, "box": [r.x0, r.y0, r.x1, r.y1], "category": r.category, "reason": r.reason,
            "visible_to": r.visible_to, "state": r.state, "proposed_by": r.proposed_by,
            "approved_by": r.approved_by}


def audio_redaction(r) -> dict:
    """A recording's silenced time range, for staff."""
    return {"key": r.key, "start": r.start, "end": r.end, "category": r.category, "reason": r.reason,
            "visible_to": r.visible_to, "state": r.state, "proposed_by": r.proposed_by,
            "approved_by": r.approved_by, "redaction": r.redaction_key}


def archive_wide_terms(session) -> list:
    """The sensitive terms registered for the whole archive (no testimony)."""
    from .model import SensitiveTerm  # the model imports nothing from here; kept local to stay light
    return session.scalars(select(SensitiveTerm).where(SensitiveTerm.testimony_id.is_(None))).all()


def hidden_names(testimony, audience: Audience, archive_terms: list | None = None) -> set[tuple[str, ...]]:
    """Names an audience below archivist must not be shown, even as another spelling of a place:
    every sensitive term (this testimony's, archive-wide and its narrators' legal names) and every
    text redacted from it."""
    terms = list(testimony.sensitive_terms or [])
    if archive_terms is not None:
        terms += archive_terms
    else:
        session = object_session(testimony)
        if session is not None:
            terms += archive_wide_terms(session)
    terms += [term for _, term in narrator_terms(testimony)]
    names = {name_key(n) for t in terms for n in [t.term, *(t.variants or [])]}
    names |= {name_key(r.text) for r in testimony.redactions if r.text and hides_from(r, audience)}
    names.discard(())
    return names


# Words that many names and phrases share ("the farm near Suluk", "Tel Abyad"): sharing one of them is
# no overlap. Any other shared word is.
_FUNCTION_WORDS = frozenset(name_key(w)[0] for w in (
    "the", "a", "an", "of", "near", "in", "at", "on", "by", "to", "and", "or", "from", "al", "el", "la", "le",
    "les", "de", "du", "des", "et", "près", "في", "من", "على", "الى", "عند", "قرب", "و"))


def shows_name(name: str, hidden: set[tuple[str, ...]]) -> bool:
    """False where the name overlaps a hidden name in any way: holds it, is part of it ("Suluk" of
    "the farm near Suluk"), or shares a word with it other than a function word."""
    words = name_key(name)
    content = {w for w in words if w not in _FUNCTION_WORDS}
    return not any(content.intersection(h) or
                   any(words[i:i + len(h)] == h for i in range(len(words) - len(h) + 1))
                   for h in hidden)


def _place(key: str, authorities: dict, hidden: set[tuple[str, ...]]) -> dict | None:
    authority = authorities.get(key)
    if authority is None:
        return {"id": key, "label": key, "variants": []}
    if hidden and not shows_name(authority.label, hidden):
        return None   # the label itself names what is hidden: the place is not shown at all
    return {"id": key, "label": authority.label,
            "variants": [v for v in authority.variants or [] if shows_name(v, hidden)]}


def _redaction(r, audience: Audience) -> dict:
    out = {"key": r.key, "category": r.category, "reason": r.reason, "visible_to": r.visible_to,
           "replacement": r.replacement, "state": r.state, "proposed_by": r.proposed_by,
           "approved_by": r.approved_by}
    if r.field:
        out["field"] = r.field
    else:
        out.update(transcript=r.transcript.key if r.transcript else None, start=r.start, end=r.end)
        if not hides_from(r, audience):
            out["text"] = r.text
    return out


def tombstone_for(testimony) -> dict | None:
    """What remains public of a withdrawn testimony: its accession id, the fact, and the date."""
    if testimony is None or testimony.state != "withdrawn":
        return None
    return {"accession_id": testimony.accession_id, "message": TOMBSTONE_MESSAGE,
            "withdrawn_at": _iso(testimony.withdrawn_at)}
