"""The segment editor: split, merge, retime and describe a transcript's timecoded segments.

Segments tile their transcript's text: code-point ranges from 0 to its length, each starting where
the one before ends. Every change is checked against that (`segment_problems`) before it is
written, with a revision, an audit event and the indexes, in one unit of work.
"""
from __future__ import annotations

import re

from sqlalchemy import select

from ..errors import NotFound, ValidationError
from ..identity import Identity
from ..model import Authority, Segment, Testimony, Transcript
from ..policy import gated
from ..redaction import Span
from ..redaction import _splits_cluster as splits_cluster
from ..translations import link_problem, problems as translation_problems
from ..views import direction, hides_from
from .base import Service
from .preview import offset_pieces

# Where a reader would cut: after a sentence (Latin, Arabic, CJK stops) or a line end.
CUT = re.compile(r"(?:[.!?؟۔。][\"'”’)»]*\s+|\n+)")
CONTEXT_CHARS = 36
MAX_CUTS = 40


def segment_problems(text: str, segments, duration: float | None = None) -> list[str]:
    """Everything wrong with a transcript's segments (none: they are valid): numbered 0..n-1 in
    order, contiguous non-empty ranges covering the whole text, no boundary between a letter and
    its combining mark, times not negative, each start before its end, starts in order, within
    the recording."""
    problems = []
    if not segments:
        return problems
    if segments[0].text_start != 0:
        problems.append(f"segment 0 starts at {segments[0].text_start}, not at the start of the text")
    if segments[-1].text_end != len(text):
        problems.append(f"the last segment ends at {segments[-1].text_end}, not at the end of the text ({len(text)})")
    previous = None
    for n, s in enumerate(segments):
        if s.seq != n:
            problems.append(f"segment {n} is numbered {s.seq}")
        if not s.text_start < s.text_end:
            problems.append(f"segment {n} is empty ({s.text_start}..{s.text_end})")
        if previous is not None and s.text_start != previous.text_end:
            problems.append(f"segment {n} starts at {s.text_start}, but segment {n - 1} ends at {previous.text_end}")
        if splits_cluster(text, s.text_start):
            problems.append(f"segment {n} starts between a letter and its combining mark")
        for name in ("start", "end"):
            value = getattr(s, name)
            if value is not None and (value < 0 or (duration is not None and value > duration)):
                problems.append(f"segment {n} {name} {value} is outside the recording (0..{duration})")
        if s.start is not None and s.end is not None and s.end < s.start:
            problems.append(f"segment {n} ends ({s.end}) before it starts ({s.start})")
        if previous is not None and previous.start is not None and s.start is not None and s.start < previous.start:
            problems.append(f"segment {n} starts ({s.start}) before segment {n - 1} ({previous.start})")
        previous = s
    return problems


def check_segments(transcript: Transcript, duration: float | None, accession_id: str) -> None:
    problems = segment_problems(transcript.text, transcript.segments, duration)
    if problems:
        raise ValidationError("; ".join(problems), record=f"{accession_id} transcript {transcript.key}",
                              field="segments")


def _keywords(value) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value)
    seen: list[str] = []
    for item in (str(i).strip() for i in items):
        if item and item not in seen:
            seen.append(item)
    return seen


def _time(value, name: str, where: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = round(float(value), 3)
    except (TypeError, ValueError):
        raise ValidationError(f"{value!r} is not a time in seconds", record=where, field=name) from None
    if number != number or number < 0:
        raise ValidationError(f"{value!r} is not a time in seconds", record=where, field=name)
    return number


class SegmentService(Service):
    @gated("testimony.read_original")
    def editor(self, identity: Identity, accession_id: str) -> dict:
        """Every transcript's segments as the caller may read them (offsets on every piece), with
        the places a split may go: after a sentence or a line, never inside a redaction."""
        with self.archive.db.session() as session:
            testimony = self.get_testimony(session, accession_id)
            transcripts = []
            for tr in testimony.transcripts:
                redactions = [r for r in testimony.redactions if r.transcript_id == tr.id and r.start is not None]
                spans = [Span(r.start, r.end, r.replacement, key=r.key, text=r.text, reason=r.reason,
                              category=r.category, revealed=not hides_from(r, identity.audience))
                         for r in redactions]
                segments = []
                whole = [] if tr.segments or not tr.text else [
                    Segment(seq=0, start=None, end=None, title="", synopsis="", keywords=[], text_start=0,
                            text_end=len(tr.text))]
                for s in tr.segments or whole:
                    pieces = offset_pieces(tr.text, spans, s.text_start, s.text_end)
                    segments.append({
                        "seq": s.seq, "start": s.start, "end": s.end, "title": s.title, "synopsis": s.synopsis,
                        "keywords": list(s.keywords or []), "text_start": s.text_start, "text_end": s.text_end,
                        "pieces": pieces, "cuts": self._cuts(tr.text, s, redactions, pieces)})
                transcripts.append({"key": tr.key, "language": tr.language, "kind": tr.kind,
                                    "dir": direction(tr.language), "length": len(tr.text), "segments": segments,
                                    "translation_of": tr.translation_of, "translator": tr.translator,
                                    "translator_key": tr.translator_key, "machine": bool(tr.machine)})
            gaps = translation_problems(testimony)
            # The editor shows originals the caller is cleared for: a view of restricted material.
            self.archive.audit.record(session, identity, "testimony.view_original", accession_id, page="segments")
            return {"accession_id": accession_id, "title": testimony.title, "duration": testimony.duration,
                    "state": testimony.state, "transcripts": transcripts, "translation_gaps": gaps}

    @gated("segment.write")
    def split(self, identity: Identity, accession_id: str, transcript: str, seq: int, offset: int,
              start: float | None = None, title: str = "") -> dict:
        """Cut segment `seq` at a code-point offset of the transcript; the second part begins at
        `start` seconds, or at the time interpolated between the segment's start and end."""
        with self.archive.unit_of_work() as session:
            testimony, tr, segment = self._segment(session, accession_id, transcript, seq)
            where = f"{accession_id} transcript {transcript} segment {seq}"
            if not isinstance(offset, int) or isinstance(offset, bool) or \
                    not segment.text_start < offset < segment.text_end:
                raise ValidationError(f"offset {offset} is not inside segment {seq} "
                                      f"({segment.text_start + 1}..{segment.text_end - 1})", record=where, field="offset")
            if splits_cluster(tr.text, offset):
                raise ValidationError(f"offset {offset} falls between a letter and its combining mark",
                                      record=where, field="offset")
            inside = [r.key for r in testimony.redactions
                      if r.transcript_id == tr.id and r.start is not None and r.start < offset < r.end]
            if inside:
                raise ValidationError(f"offset {offset} is inside redaction {', '.join(inside)}: split before or after it",
                                      record=where, field="offset")
            start = _time(start, "start", where)
            if start is None and segment.start is not None:
                end = segment.end if segment.end is not None else self._next_start(tr, seq, testimony.duration)
                if end is not None:
                    share = (offset - segment.text_start) / (segment.text_end - segment.text_start)
                    start = round(segment.start + (end - segment.start) * share, 3)
            if start is not None and segment.start is not None and not segment.start < start:
                raise ValidationError(f"the second part must start after {segment.start}s", record=where, field="start")
            if start is not None and segment.end is not None and not start < segment.end:
                raise ValidationError(f"the second part must start before {segment.end}s", record=where, field="start")
            if start is not None and segment.start is None and seq > 0 and tr.segments[seq - 1].start is not None \
                    and start < tr.segments[seq - 1].start:
                raise ValidationError(f"the second part must start after {tr.segments[seq - 1].start}s",
                                      record=where, field="start")
            for later in tr.segments[seq + 1:]:
                later.seq += 1
            second = Segment(seq=seq + 1, start=start, end=segment.end, title=(title or "").strip()[:500],
                             synopsis="", keywords=[], text_start=offset, text_end=segment.text_end)
            segment.text_end = offset
            if start is not None:
                segment.end = start
            tr.segments.insert(seq + 1, second)
            return self._written(session, identity, testimony, tr, "segment.split",
                                 f"segment {seq} of {transcript} split at {offset}",
                                 seq=seq, offset=offset, start=start)

    @gated("segment.write")
    def merge(self, identity: Identity, accession_id: str, transcript: str, seq: int) -> dict:
        """Join segment `seq` and the one after it: the first keeps its title (or takes the second's),
        synopses are joined, keywords united."""
        with self.archive.unit_of_work() as session:
            testimony, tr, first = self._segment(session, accession_id, transcript, seq)
            if seq + 1 >= len(tr.segments):
                raise ValidationError(f"segment {seq} is the last: nothing follows it to merge with",
                                      record=f"{accession_id} transcript {transcript}", field="seq")
            second = tr.segments[seq + 1]
            first.text_end = second.text_end
            first.end = second.end if second.end is not None else first.end
            first.title = first.title or second.title
            first.synopsis = "\n\n".join(s for s in (first.synopsis, second.synopsis) if s)
            first.keywords = _keywords([*(first.keywords or []), *(second.keywords or [])])
            tr.segments.remove(second)
            for later in tr.segments[seq + 1:]:
                later.seq -= 1
            return self._written(session, identity, testimony, tr, "segment.merge",
                                 f"segments {seq} and {seq + 1} of {transcript} merged", seq=seq)

    @gated("segment.write")
    def retime(self, identity: Identity, accession_id: str, transcript: str, seq: int,
               start: float | None, end: float | None) -> dict:
        """Set a segment's start and end (seconds): after the previous segment's start and end,
        before the next one's start, and within the recording."""
        with self.archive.unit_of_work() as session:
            testimony, tr, segment = self._segment(session, accession_id, transcript, seq)
            where = f"{accession_id} transcript {transcript} segment {seq}"
            start, end = _time(start, "start", where), _time(end, "end", where)
            if start is None and end is not None:
                raise ValidationError("a segment with an end needs a start", record=where, field="start")
            if start is not None and end is not None and not start < end:
                raise ValidationError(f"the start ({start}s) must come before the end ({end}s)", record=where, field="end")
            duration = testimony.duration
            for name, value in (("start", start), ("end", end)):
                if value is not None and duration is not None and value > duration:
                    raise ValidationError(f"{value}s is after the end of the recording ({duration}s)",
                                          record=where, field=name)
            before = tr.segments[seq - 1] if seq > 0 else None
            after = tr.segments[seq + 1] if seq + 1 < len(tr.segments) else None
            if start is not None and before is not None:
                floor = max(t for t in (before.start, before.end) if t is not None) \
                    if (before.start, before.end) != (None, None) else None
                if floor is not None and start < floor:
                    raise ValidationError(f"the start ({start}s) is before segment {seq - 1} ends ({floor}s)",
                                          record=where, field="start")
            if after is not None and after.start is not None:
                last = end if end is not None else start
                if last is not None and last > after.start:
                    raise ValidationError(f"{'the end' if end is not None else 'the start'} ({last}s) is after "
                                          f"segment {seq + 1} starts ({after.start}s)", record=where,
                                          field="end" if end is not None else "start")
            changes = {"start": [segment.start, start], "end": [segment.end, end]}
            segment.start, segment.end = start, end
            return self._written(session, identity, testimony, tr, "segment.retime",
                                 f"segment {seq} of {transcript} retimed", seq=seq, times=changes)

    @gated("segment.write")
    def describe(self, identity: Identity, accession_id: str, transcript: str, seq: int, *,
                 title: str | None = None, synopsis: str | None = None, keywords=None) -> dict:
        """Change a segment's title, synopsis or keywords (a list, or a comma-separated string)."""
        with self.archive.unit_of_work() as session:
            testimony, tr, segment = self._segment(session, accession_id, transcript, seq)
            where = f"{accession_id} transcript {transcript} segment {seq}"
            changes = {}
            if title is not None:
                if len(title.strip()) > 500:
                    raise ValidationError("a title has at most 500 characters", record=where, field="title")
                changes["title"] = title.strip()
            if synopsis is not None:
                changes["synopsis"] = synopsis.strip()
            if keywords is not None:
                changes["keywords"] = _keywords(keywords)
            changed = sorted(k for k, v in changes.items() if getattr(segment, k) != v)
            if not changed:
                return {"accession_id": accession_id, "transcript": transcript, "seq": seq, "changed": []}
            for name in changed:
                setattr(segment, name, changes[name])
            # (the log keeps which fields changed, not the words: a title may name someone)
            result = self._written(session, identity, testimony, tr, "segment.describe",
                                   f"segment {seq} of {transcript}: {', '.join(changed)} edited",
                                   seq=seq, changed=changed)
            return {**result, "changed": changed}

    @gated("segment.write")
    def translation(self, identity: Identity, accession_id: str, transcript: str, *,
                    translation_of: str | None, translator: str | None = None,
                    translator_key: str | None = None, machine: bool = False) -> dict:
        """Mark a transcript as the translation of another of the testimony (or, with none, as an
        original), with its translator (free text, or a person authority's key) and whether a machine
        made it. A published testimony's translation must pass the publication checks (the gate)."""
        with self.archive.unit_of_work() as session:
            testimony = self.get_testimony(session, accession_id)
            tr = next((t for t in testimony.transcripts if t.key == transcript), None)
            if tr is None:
                raise NotFound(f"no transcript {transcript} in {accession_id}")
            where = f"{accession_id} transcript {transcript}"
            if testimony.state == "withdrawn":
                raise ValidationError("a withdrawn testimony stays as it was withdrawn", record=where)
            translation_of = (translation_of or "").strip() or None
            links = {t.key: t.translation_of for t in testimony.transcripts}
            links[tr.key] = translation_of
            problem = link_problem(tr.key, translation_of, links)
            translating = [t.key for t in testimony.transcripts if t.translation_of == tr.key]
            if problem is None and translation_of and translating:
                problem = f"transcript {', '.join(translating)} translates this one: it stays the original"
            if problem:
                raise ValidationError(problem, record=where, field="translation_of")
            translator = (translator or "").strip() or None
            if translator and len(translator) > 300:
                raise ValidationError("a translator's name has at most 300 characters", record=where,
                                      field="translator")
            translator_key = (translator_key or "").strip() or None
            if translator_key:
                person = session.scalar(select(Authority).where(Authority.key == translator_key))
                if person is None or person.type != "person":
                    raise ValidationError(f"{translator_key!r} is not a person's authority record", record=where,
                                          field="translator_key")
            changes = {"translation_of": translation_of, "translator": translator,
                       "translator_key": translator_key, "machine": bool(machine),
                       "kind": "translation" if translation_of else "original"}
            changed = sorted(k for k, v in changes.items() if getattr(tr, k) != v)
            if not changed:
                return {"accession_id": accession_id, "transcript": transcript, "changed": []}
            for name in changed:
                setattr(tr, name, changes[name])
            self.archive.audit.record(session, identity, "transcript.translation", accession_id,
                                      transcript=tr.key, changed=changed)
            self.archive.audit.revision(session, identity, accession_id,
                                        f"transcript {tr.key}: {', '.join(changed)} edited",
                                        {"transcript": tr.key, "translation_of": translation_of})
            self.archive.index.sync(session, testimony)
            return {"accession_id": accession_id, "transcript": transcript, "changed": changed}

    # -- helpers ----------------------------------------------------------------------------------

    def _segment(self, session, accession_id: str, transcript: str, seq) -> tuple[Testimony, Transcript, Segment]:
        testimony = self.get_testimony(session, accession_id)
        tr = next((t for t in testimony.transcripts if t.key == transcript), None)
        if tr is None:
            raise NotFound(f"no transcript {transcript} in {accession_id}")
        if not tr.segments and tr.text and seq == 0:
            # A transcript without segments reads as one; editing it makes that one real.
            tr.segments.append(Segment(seq=0, start=None, end=None, title="", synopsis="", keywords=[],
                                       text_start=0, text_end=len(tr.text)))
        if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < len(tr.segments):
            raise NotFound(f"no segment {seq} in transcript {transcript} of {accession_id}")
        return testimony, tr, tr.segments[seq]

    @staticmethod
    def _next_start(tr: Transcript, seq: int, duration: float | None) -> float | None:
        following = [s.start for s in tr.segments[seq + 1:] if s.start is not None]
        return following[0] if following else duration

    def _written(self, session, identity: Identity, testimony: Testimony, tr: Transcript, action: str,
                 summary: str, **detail) -> dict:
        check_segments(tr, testimony.duration, testimony.accession_id)
        self.archive.audit.record(session, identity, action, testimony.accession_id, transcript=tr.key, **detail)
        self.archive.audit.revision(session, identity, testimony.accession_id, summary,
                                    {"segments": {"transcript": tr.key, **detail}})
        self.archive.index.sync(session, testimony)
        return {"accession_id": testimony.accession_id, "transcript": tr.key, "segments": len(tr.segments)}

    @staticmethod
    def _cuts(text: str, segment: Segment, redactions, pieces: list[dict]) -> list[dict]:
        """Offsets after a sentence or line inside the segment where a split may go, each with the
        words either side as the caller reads them (a hidden original is shown by its replacement)."""
        out = []
        for match in CUT.finditer(text, segment.text_start, segment.text_end):
            offset = match.end()
            if not segment.text_start < offset < segment.text_end or splits_cluster(text, offset) or \
                    any(r.start < offset < r.end for r in redactions):
                continue
            before = after = ""
            for p in pieces:
                shown = p["text"]
                if p["end"] <= offset:
                    before += shown
                elif p["start"] >= offset:
                    after += shown
                else:   # a plain piece holding the offset (never a redaction: those are skipped)
                    before += shown[:offset - p["start"]]
                    after += shown[offset - p["start"]:]
            # (whole words only at the cut ends of the context)
            left, right = before[-CONTEXT_CHARS:].split(), after[:CONTEXT_CHARS].split()
            if len(before) > CONTEXT_CHARS and len(left) > 1:
                left = left[1:]
            if len(after) > CONTEXT_CHARS and len(right) > 1:
                right = right[:-1]
            out.append({"offset": offset, "before": " ".join(left), "after": " ".join(right)})
            if len(out) == MAX_CUTS:
                break
        return out
