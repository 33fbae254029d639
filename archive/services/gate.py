"""One door to readers: the publication checks, run on every write that changes what an audience
below archivist can see, whatever service it came through (a form, an import in any format, the CLI,
the API, a restore, an authority or collection edit).

Every such write re-indexes the testimonies it changes (`IndexService.sync`), and the gate runs there,
before anything is written to an index:

- A testimony that starts to reach readers in this write (published, or imported published, or its
  consent granted or widened while published) must pass every check `draft -> published` runs, or the
  write is refused with the reasons.
- A testimony that already reaches readers may not be changed so that a sensitive term shows: the
  write is refused with the reasons.
- A translation may not reach readers while a span redacted in its original has no counterpart
  redaction in the translation's paired segment(s) (archive/translations.py): a write that would
  publish it, or change a published testimony's transcripts, segments or redactions (a removal) while
  it is so, is refused with the segment and span. Until it passes, the views leave it out below
  archivist (so a redaction proposed in the original withholds the translation at once).
- A write that only protects (a term registered, a narrator's name entered, a redaction proposed) is
  never refused: a testimony it shows to hold an unredacted term is *held* instead, out of every
  audience below archivist at once, listed on the dashboard, and back when the occurrences are gone.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from ..audience import Audience
from ..errors import ValidationError
from ..model import Consent, Redaction, Segment, Testimony, Transcript
from ..policy import SCOPE_FLOOR
from ..translations import problems as translation_problems

PROTECTIVE = "protective"


def protective(session: Session) -> None:
    """Mark this unit of work as one that only hides: it holds testimonies instead of being refused."""
    session.info["gate"] = PROTECTIVE


def _change(obj, name: str):
    """(changed, the value before) of an attribute in this session's pending changes."""
    history = inspect(obj).attrs[name].history
    return history.has_changes(), (history.deleted[0] if history.deleted else None)


def _entering(testimony: Testimony, new: bool) -> bool:
    """Whether these pending changes may make the testimony reach readers it did not reach before: a
    new record, a move to published, consent granted, a wider scope, a shorter embargo."""
    if new:
        return True
    changed, before = _change(testimony, "state")
    return changed and before != "published"


def _consent_entering(consent, new: bool) -> bool:
    if new:
        return True
    changed, before = _change(consent, "status")
    if changed and before != "granted":
        return True
    changed, before = _change(consent, "scope")
    if changed and SCOPE_FLOOR.get(consent.scope, Audience.ADMIN) < SCOPE_FLOOR.get(before, Audience.ADMIN):
        return True
    changed, before = _change(consent, "embargo_until")
    return changed and (consent.embargo_until is None or (before is not None and consent.embargo_until < before))


@event.listens_for(Session, "before_flush")
def _note_entering(session: Session, _context, _instances) -> None:
    """Every flush of every unit of work notes the testimonies it may bring to readers, so the gate knows
    them even after an earlier flush has cleared the pending changes."""
    entering = session.info.setdefault("entering", set())
    translating = session.info.setdefault("translating", set())
    deleted = set(session.deleted)
    for obj in [*session.new, *session.dirty, *deleted]:
        owner = _transcripts_owner(obj, deleted)
        if owner is not None:
            translating.add(owner)
    for obj, new in [*((o, True) for o in session.new), *((o, False) for o in session.dirty)]:
        if isinstance(obj, Testimony) and _entering(obj, new):
            entering.add(obj.accession_id)
        elif isinstance(obj, Consent) and _consent_entering(obj, new) and obj.testimony is not None:
            entering.add(obj.testimony.accession_id)


def _transcripts_owner(obj, deleted: set) -> str | None:
    """The accession id of the testimony whose transcripts, segments or (removed) redactions this change
    touches: what may make a translation say what its original hides."""
    if isinstance(obj, Segment):
        obj = obj.transcript
    elif isinstance(obj, Redaction):
        return obj.testimony.accession_id if obj in deleted and obj.testimony is not None else None
    elif isinstance(obj, Testimony):
        # (a redaction removed from the collection is an orphan that no longer knows its testimony)
        return obj.accession_id if inspect(obj).attrs.redactions.history.deleted else None
    if isinstance(obj, Transcript) and obj.testimony is not None:
        return obj.testimony.accession_id
    return None


def _may_reach_readers(testimony: Testimony) -> bool:
    """Published with consent granted for a scope below archivist: readers see it now, or will when an
    embargo lifts with no write at all."""
    consent = testimony.consent
    return (testimony.state == "published" and consent is not None and consent.status == "granted"
            and consent.scope in ("open", "researchers"))


class PublicationGate:
    def __init__(self, archive):
        self.archive = archive

    def check(self, session: Session, testimonies) -> None:
        """Refuse the write (ValidationError) or hold testimonies, as the module says."""
        from .sensitive import describe, scan_testimony
        from .testimonies import TestimonyService

        protecting = session.info.get("gate") == PROTECTIVE
        session.flush()
        entering = session.info.get("entering", set())
        refused: list[str] = []
        for testimony in testimonies:
            if not _may_reach_readers(testimony):
                testimony.held = None
                continue
            if testimony.accession_id in entering and testimony.held is None and not protecting:
                problems = TestimonyService.publication_problems(testimony)
                if problems:
                    refused.append(f"{testimony.accession_id}: " + "; ".join(problems))
                continue
            untranslated = translation_problems(testimony) \
                if not protecting and testimony.accession_id in session.info.get("translating", ()) else []
            if untranslated:
                # (only a write to the transcripts or segments, or a removal of a redaction: a write that
                # only hides, or changes something else, is not refused; the views leave the translation out)
                refused.append(f"{testimony.accession_id}: " + "; ".join(untranslated))
                continue
            findings = scan_testimony(session, testimony)
            if not findings:
                testimony.held = None
            elif protecting or testimony.held is not None:
                testimony.held = testimony.held or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
            else:
                refused.append(f"{testimony.accession_id}: it is published and would show sensitive terms "
                               f"unredacted: {describe(findings, self._hidden(session, testimony))}")
        if refused:
            raise ValidationError("refused, because readers would see what the publication checks stop: "
                                  + " | ".join(refused))

    @staticmethod
    def _hidden(session: Session, testimony: Testimony) -> set[str]:
        # The testimony's own terms as well as the archive-wide ones: either may be an admin's only.
        from .sensitive import archive_wide, hidden_keys
        return hidden_keys([*testimony.sensitive_terms, *archive_wide(session)], Audience.ARCHIVIST)

    @staticmethod
    def held(session: Session) -> list[Testimony]:
        """Testimonies held back from readers, oldest first (the dashboard's list)."""
        return list(session.scalars(select(Testimony).where(Testimony.held.is_not(None))
                                    .order_by(Testimony.held)))

