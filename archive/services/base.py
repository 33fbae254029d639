"""What every service shares: the archive it belongs to and a few lookups."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..audience import Audience
from ..errors import NotFound, ValidationError
from ..model import Authority, Testimony, Transcript
from ..vocabulary import REDACTION_CATEGORIES


def marking_audience(category: str, visible_to: str, what: str) -> Audience:
    """The lowest audience that may see what a box or a range hides, after checking the category."""
    if category not in REDACTION_CATEGORIES:
        raise ValidationError(f"unknown category {category!r}", field="category")
    try:
        visible = Audience.parse(visible_to)
    except ValueError as exc:
        raise ValidationError(str(exc), field="visible_to") from None
    if visible == Audience.PUBLIC:
        raise ValidationError(f"a {what} the public may see hides nothing; choose researcher or above",
                              field="visible_to")
    return visible


class Service:
    def __init__(self, archive):
        self.archive = archive

    @staticmethod
    def load_testimony(session: Session, accession_id: str) -> Testimony | None:
        return session.scalar(
            select(Testimony).where(Testimony.accession_id == accession_id).options(
                selectinload(Testimony.consent), selectinload(Testimony.narrators),
                selectinload(Testimony.redactions), selectinload(Testimony.sensitive_terms),
                selectinload(Testimony.collection), selectinload(Testimony.media),
                selectinload(Testimony.transcripts).selectinload(Transcript.segments)))

    def get_testimony(self, session: Session, accession_id: str) -> Testimony:
        testimony = self.load_testimony(session, accession_id)
        if testimony is None:
            raise NotFound("no such testimony")
        return testimony

    @staticmethod
    def authorities(session: Session) -> dict[str, Authority]:
        return {a.key: a for a in session.scalars(select(Authority))}

    @staticmethod
    def _view_options(transcripts: bool) -> list:
        options = [selectinload(Testimony.consent), selectinload(Testimony.narrators),
                   selectinload(Testimony.redactions), selectinload(Testimony.collection),
                   selectinload(Testimony.sensitive_terms)]
        if transcripts:
            # Full views list media too; loading them here saves a query per testimony.
            options += [selectinload(Testimony.transcripts).selectinload(Transcript.segments),
                        selectinload(Testimony.media)]
        return options

    @classmethod
    def all_testimonies(cls, session: Session, *, transcripts: bool = True):
        """Every testimony with what its views need; without transcripts for lists and counts."""
        return session.scalars(select(Testimony).order_by(Testimony.accession_id)
                               .options(*cls._view_options(transcripts)))

    @staticmethod
    def all_testimony_ids(session: Session) -> list[int]:
        return session.scalars(select(Testimony.id).order_by(Testimony.accession_id)).all()

    @classmethod
    def testimonies_by_id(cls, session: Session, ids: list[int]):
        """These testimonies with their transcripts, in accession order."""
        return session.scalars(select(Testimony).where(Testimony.id.in_(ids))
                               .order_by(Testimony.accession_id).options(*cls._view_options(True)))

    @classmethod
    def each_testimony(cls, session: Session, batch: int = 200, ids: list[int] | None = None):
        """Every testimony (or those of `ids`) with its transcripts, loaded a batch at a time: a pass
        over a large archive holds one batch in memory, not the whole archive (loaded objects are let
        go once unused)."""
        ids = cls.all_testimony_ids(session) if ids is None else ids
        for start in range(0, len(ids), batch):
            yield from cls.testimonies_by_id(session, ids[start:start + batch])
