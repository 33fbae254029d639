"""For the redaction editor (staff only): transcripts with the code-point offset of every rendered
piece, so a selection in the page can be turned into the offsets a redaction is addressed by, and
the testimony side by side as a researcher and the public would read it once published.
"""
from __future__ import annotations

from ..audience import Audience
from ..identity import Identity
from ..policy import gated
from ..redaction import Span, render
from ..views import direction, hides_from, view_for
from .base import Service


def _regions(spans: list[Span]) -> list[tuple[int, int, bool]]:
    """(start, end, every member revealed) of overlapping spans merged, as `render` merges them."""
    regions: list[list] = []
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        if regions and span.start < regions[-1][1]:
            regions[-1][1] = max(regions[-1][1], span.end)
            regions[-1][2] = regions[-1][2] and span.revealed
        else:
            regions.append([span.start, span.end, span.revealed])
    return [tuple(r) for r in regions]


def offset_pieces(text: str, spans: list[Span], lo: int, hi: int) -> list[dict]:
    """`render`'s pieces of text[lo:hi], each with the code-point range of the text it stands for.

    A plain piece is exactly text[start:end]; a redacted one covers start..end and shows its
    replacement (and its original where the reader may see it).
    """
    cursor = lo
    for start, end, revealed in _regions(spans):
        # A hidden region begun before the window renders nothing in it: the window starts after it.
        if start < lo < end and not revealed:
            cursor = min(end, hi)
    out = []
    for piece in render(text, spans, lo=lo, hi=hi):
        if piece.redacted:
            start = max(min(s.start for s in piece.spans), lo)
            end = min(max(s.end for s in piece.spans), hi)
            out.append({"start": start, "end": end, "text": piece.text, "redacted": True,
                        "original": piece.original, "keys": [s.key for s in piece.spans],
                        "why": "; ".join(f"{s.key} · {s.category}" + (f" · {s.reason}" if s.reason else "")
                                         for s in piece.spans)})
            cursor = end
        else:
            out.append({"start": cursor, "end": cursor + len(piece.text), "text": piece.text, "redacted": False})
            cursor += len(piece.text)
    return out


def _gap(gap: tuple[int, str] | None, spans: list[Span]) -> dict | None:
    """The text between two segments when it is white space alone and no redaction covers it."""
    if not gap or not gap[1] or gap[1].strip():
        return None
    start, text = gap
    if any(s.start < start + len(text) and start < s.end for s in spans):
        return None
    return {"start": start, "text": text}


class PreviewService(Service):
    @gated("testimony.read_original")
    def selectable(self, identity: Identity, accession_id: str) -> list[dict]:
        """Every transcript as the caller reads it (originals it is cleared for revealed), in pieces
        that carry their code-point offsets into the transcript text."""
        with self.archive.db.session() as session:
            testimony = self.get_testimony(session, accession_id)
            out = []
            for tr in testimony.transcripts:
                spans = [Span(r.start, r.end, r.replacement, key=r.key, text=r.text, reason=r.reason,
                              category=r.category, revealed=not hides_from(r, identity.audience))
                         for r in testimony.redactions if r.transcript_id == tr.id and r.start is not None]
                bounds = [(s, s.text_start, s.text_end) for s in tr.segments] or [(None, 0, len(tr.text))]
                # The white space between one segment and the next (a line break, say) is carried too,
                # so a selection across segments keeps it: "Emo?\nWatch", not "Emo?Watch".
                gaps = [(hi, tr.text[hi:after]) for (_, _, hi), (_, after, _) in zip(bounds, bounds[1:])]
                out.append({"key": tr.key, "language": tr.language, "kind": tr.kind, "dir": direction(tr.language),
                            "length": len(tr.text),
                            "segments": [{"seq": seq, "start": s.start if s else None, "title": s.title if s else "",
                                          "pieces": offset_pieces(tr.text, spans, lo, hi),
                                          "gap": _gap(gaps[seq] if seq < len(gaps) else None, spans)}
                                         for seq, (s, lo, hi) in enumerate(bounds)]})
            return out

    @gated("testimony.read_original")
    def side_by_side(self, identity: Identity, accession_id: str) -> dict:
        """The testimony as the caller reads it, and as a researcher and the public would read it
        once published (consent as recorded, a pending one taken as granted, after any embargo):
        the view each audience gets from `view_for`, redactions applied, nothing added."""
        today = self.archive.today()
        with self.archive.db.session() as session:
            testimony = self.get_testimony(session, accession_id)
            authorities = self.authorities(session)
            original = view_for(testimony, identity.audience, today, authorities)
            notes: list[str] = []
            lower: dict[str, dict | None] = {}
            withdrawn = testimony.state == "withdrawn"
            if withdrawn:
                notes.append("consent was withdrawn: below archivist only the tombstone remains")
                lower = {"researcher": None, "public": None}
            else:
                # The what-if is made on the loaded records and thrown away: nothing is flushed
                # (no autoflush), and the rollback below discards it before anything else runs.
                with session.no_autoflush:
                    try:
                        day = self._as_published(testimony, today, notes)
                        lower = {a.label: view_for(testimony, a, day, authorities)
                                 for a in (Audience.RESEARCHER, Audience.PUBLIC)}
                    finally:
                        session.rollback()
            self.archive.audit.record(session, identity, "testimony.preview", accession_id)
        consent = original["consent"] or {}
        columns = [{"audience": identity.audience.label, "label": f"Original ({identity.audience.label})",
                    "view": original, "absent": None}]
        for label, view in lower.items():
            absent = None
            if view is None:
                absent = ("withdrawn at the narrator's request" if withdrawn
                          else "no consent is recorded" if not consent
                          else f"consent scope “{consent.get('scope')}” does not admit this audience")
            columns.append({"audience": label, "label": f"As a {label if label != 'public' else 'public visitor'}",
                            "view": view, "absent": absent})
        return {"accession_id": accession_id, "notes": notes, "columns": columns}

    @staticmethod
    def _as_published(testimony, today, notes: list[str]):
        if testimony.state != "published":
            notes.append(f"as it will read once published (it is {testimony.state.replace('_', ' ')} now)")
            testimony.state = "published"
        consent = testimony.consent
        if consent is None:
            return today
        if consent.status == "pending":
            notes.append("taking the pending consent as granted, with the scope and permissions recorded")
            consent.status = "granted"
        if consent.embargo_until is not None and today < consent.embargo_until:
            notes.append(f"after the embargo lifts on {consent.embargo_until.isoformat()}")
            return consent.embargo_until
        return today
