"""The archive's records, as SQLAlchemy 2 tables. The database is the source of truth."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (JSON, BigInteger, Boolean, Column, Date, DateTime, Float, ForeignKey, Index, Integer,
                        String, Table, Text, UniqueConstraint, false, func)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON}


class Collection(Base):
    __tablename__ = "collections"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    testimonies: Mapped[list["Testimony"]] = relationship(back_populates="collection")


class Authority(Base):
    __tablename__ = "authorities"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(300))
    variants: Mapped[list[str]] = mapped_column(default=list)


testimony_narrators = Table(
    "testimony_narrators", Base.metadata,
    Column("testimony_id", ForeignKey("testimonies.id", ondelete="CASCADE"), primary_key=True),
    Column("narrator_id", ForeignKey("narrators.id", ondelete="CASCADE"), primary_key=True),
)


class Testimony(Base):
    __tablename__ = "testimonies"
    id: Mapped[int] = mapped_column(primary_key=True)
    accession_id: Mapped[str] = mapped_column(String(64), unique=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str] = mapped_column(Text, default="")
    interview_date: Mapped[str | None] = mapped_column(String(64))
    # The date as the source wrote it where it is not a date ("Unknown Date"), or beside an EDTF one.
    interview_date_text: Mapped[str | None] = mapped_column(String(200))
    interview_place: Mapped[str | None] = mapped_column(String(300))
    languages: Mapped[list[str]] = mapped_column(default=list)
    duration: Mapped[float | None] = mapped_column(Float)
    interviewers: Mapped[list[str]] = mapped_column(default=list)
    subjects: Mapped[list[str]] = mapped_column(default=list)
    keywords: Mapped[list[str]] = mapped_column(default=list)
    places: Mapped[list[str]] = mapped_column(default=list)
    rights: Mapped[str] = mapped_column(Text, default="")
    # What OHMS carries (issue 14): the holding repository, the series, funding, the recording's URL.
    repository: Mapped[str | None] = mapped_column(String(300))
    series: Mapped[str | None] = mapped_column(String(300))
    funding: Mapped[str | None] = mapped_column(Text)
    media_url: Mapped[str | None] = mapped_column(String(1000))
    fictional: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(20), default="draft")
    withdrawn_at: Mapped[dt.date | None] = mapped_column(Date)
    # Set (to when) while a published testimony shows a sensitive term unredacted that was registered
    # after it was published: it reaches no audience below archivist until that is resolved.
    held: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    collection: Mapped[Collection] = relationship(back_populates="testimonies")
    narrators: Mapped[list["Narrator"]] = relationship(secondary=testimony_narrators,
                                                       order_by="Narrator.key")
    consent: Mapped["Consent | None"] = relationship(back_populates="testimony", uselist=False,
                                                     cascade="all, delete-orphan")
    transcripts: Mapped[list["Transcript"]] = relationship(back_populates="testimony",
                                                           order_by="Transcript.id",
                                                           cascade="all, delete-orphan")
    redactions: Mapped[list["Redaction"]] = relationship(back_populates="testimony",
                                                         order_by="Redaction.id",
                                                         cascade="all, delete-orphan")
    sensitive_terms: Mapped[list["SensitiveTerm"]] = relationship(back_populates="testimony",
                                                                  cascade="all, delete-orphan")
    media: Mapped[list["MediaAsset"]] = relationship(back_populates="testimony", order_by="MediaAsset.id",
                                                     cascade="all, delete-orphan")


class Narrator(Base):
    __tablename__ = "narrators"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    public_name: Mapped[str] = mapped_column(String(200))
    # Restricted: never shown below archivist, never indexed below staff.
    legal_name: Mapped[str | None] = mapped_column(String(300))
    contact: Mapped[str | None] = mapped_column(Text)
    risk_notes: Mapped[str | None] = mapped_column(Text)
    birth_year: Mapped[int | None] = mapped_column(Integer)
    gender: Mapped[str | None] = mapped_column(String(40))
    nationality: Mapped[str | None] = mapped_column(String(80))
    role: Mapped[str | None] = mapped_column(String(80))


class Consent(Base):
    __tablename__ = "consents"
    id: Mapped[int] = mapped_column(primary_key=True)
    testimony_id: Mapped[int] = mapped_column(ForeignKey("testimonies.id", ondelete="CASCADE"),
                                              unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    scope: Mapped[str] = mapped_column(String(20), default="archive")
    embargo_until: Mapped[dt.date | None] = mapped_column(Date)
    permissions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    date: Mapped[dt.date | None] = mapped_column(Date)
    obtained_by: Mapped[str | None] = mapped_column(String(200))
    withdrawn_date: Mapped[dt.date | None] = mapped_column(Date)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    testimony: Mapped[Testimony] = relationship(back_populates="consent")

    def permits(self, permission: str) -> bool:
        return bool((self.permissions or {}).get(permission, False))


class Transcript(Base):
    __tablename__ = "transcripts"
    __table_args__ = (UniqueConstraint("testimony_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    testimony_id: Mapped[int] = mapped_column(ForeignKey("testimonies.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20), default="original")
    text: Mapped[str] = mapped_column(Text, default="")
    # Fine timing inside the segments: [text_start, text_end, start_s, end_s] per caption cue or sync point.
    cues: Mapped[list[Any] | None] = mapped_column(JSON, default=list)
    # A translation names the transcript of the same testimony it translates (its key; kind is then
    # "translation"), who translated it (free text, or a person authority's key) and whether a machine did.
    translation_of: Mapped[str | None] = mapped_column(String(40))
    translator: Mapped[str | None] = mapped_column(String(300))
    translator_key: Mapped[str | None] = mapped_column(String(200))
    machine: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    testimony: Mapped[Testimony] = relationship(back_populates="transcripts")
    segments: Mapped[list["Segment"]] = relationship(back_populates="transcript", order_by="Segment.seq",
                                                     cascade="all, delete-orphan")


class Segment(Base):
    __tablename__ = "segments"
    id: Mapped[int] = mapped_column(primary_key=True)
    transcript_id: Mapped[int] = mapped_column(ForeignKey("transcripts.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    start: Mapped[float | None] = mapped_column(Float)
    end: Mapped[float | None] = mapped_column(Float)
    title: Mapped[str] = mapped_column(String(500), default="")
    synopsis: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[str]] = mapped_column(default=list)
    # Code-point offsets of the segment's text within its transcript.
    text_start: Mapped[int] = mapped_column(Integer)
    text_end: Mapped[int] = mapped_column(Integer)
    # OHMS index extras: [{"url", "text"}] and [{"lat", "lon", "zoom", "label"}] (location data: views gate them).
    hyperlinks: Mapped[list[Any] | None] = mapped_column(JSON, default=list)
    gps: Mapped[list[Any] | None] = mapped_column(JSON, default=list)
    transcript: Mapped[Transcript] = relationship(back_populates="segments")


class Redaction(Base):
    __tablename__ = "redactions"
    __table_args__ = (UniqueConstraint("testimony_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    testimony_id: Mapped[int] = mapped_column(ForeignKey("testimonies.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    transcript_id: Mapped[int | None] = mapped_column(ForeignKey("transcripts.id", ondelete="CASCADE"),
                                                      index=True)
    start: Mapped[int | None] = mapped_column(Integer)
    end: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text)
    field: Mapped[str | None] = mapped_column(String(60))
    category: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text, default="")
    visible_to: Mapped[str] = mapped_column(String(20), default="archivist")
    replacement: Mapped[str] = mapped_column(String(300), default="[withheld]")
    state: Mapped[str] = mapped_column(String(20), default="proposed")
    proposed_by: Mapped[str | None] = mapped_column(String(200))
    approved_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    testimony: Mapped[Testimony] = relationship(back_populates="redactions")
    transcript: Mapped[Transcript | None] = relationship()


class MediaAsset(Base):
    """A file attached to a testimony. The original is kept by SHA-256 in the media store and is
    restricted; lower audiences only ever get derivatives, named by the asset's random key."""
    __tablename__ = "media_assets"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Random, 64 hex digits: the public name of the asset and of its derivatives' folder, so that
    # URLs neither count the archive's files nor reveal the original's hash.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    testimony_id: Mapped[int] = mapped_column(ForeignKey("testimonies.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    mime: Mapped[str] = mapped_column(String(100))
    bytes: Mapped[int] = mapped_column(BigInteger)
    # Oriented (as displayed) pixels, for photos: the frame redaction boxes use.
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    duration: Mapped[float | None] = mapped_column(Float)
    # Public text written by archivists (shown wherever the photo is shown).
    caption: Mapped[str] = mapped_column(Text, default="")
    # Restricted: a file name may name a person or a place; shown to archivists only.
    filename: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    testimony: Mapped[Testimony] = relationship(back_populates="media")
    redactions: Mapped[list["ImageRedaction"]] = relationship(back_populates="asset",
                                                              order_by="ImageRedaction.id",
                                                              cascade="all, delete-orphan")
    audio_redactions: Mapped[list["AudioRedaction"]] = relationship(back_populates="asset",
                                                                    order_by="AudioRedaction.id",
                                                                    cascade="all, delete-orphan")


class ImageRedaction(Base):
    """A rectangle of a photo (x0, y0, x1, y1, half-open, in oriented pixels) filled with an opaque
    colour in the derivatives of every audience below `visible_to`, proposed or approved."""
    __tablename__ = "image_redactions"
    __table_args__ = (UniqueConstraint("asset_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("media_assets.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    x0: Mapped[int] = mapped_column(Integer)
    y0: Mapped[int] = mapped_column(Integer)
    x1: Mapped[int] = mapped_column(Integer)
    y1: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text, default="")
    visible_to: Mapped[str] = mapped_column(String(20), default="archivist")
    state: Mapped[str] = mapped_column(String(20), default="proposed")
    proposed_by: Mapped[str | None] = mapped_column(String(200))
    approved_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    asset: Mapped[MediaAsset] = relationship(back_populates="redactions")

    @property
    def box(self) -> tuple[int, int, int, int]:
        return (self.x0, self.y0, self.x1, self.y1)


class AudioRedaction(Base):
    """A time range of a recording (start..end seconds) silenced, or toned, in the derivatives of
    every audience below `visible_to`, proposed or approved (archive/media/audio.py).

    With `redaction_key`, the range is where an archivist confirmed a transcript redaction of the
    testimony (that key) is heard on this recording; it hides from whom that redaction hides."""
    __tablename__ = "audio_redactions"
    __table_args__ = (UniqueConstraint("asset_id", "key"), UniqueConstraint("asset_id", "redaction_key"))
    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("media_assets.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    redaction_key: Mapped[str | None] = mapped_column(String(64))
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    category: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text, default="")
    visible_to: Mapped[str] = mapped_column(String(20), default="archivist")
    state: Mapped[str] = mapped_column(String(20), default="proposed")
    proposed_by: Mapped[str | None] = mapped_column(String(200))
    approved_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    asset: Mapped[MediaAsset] = relationship(back_populates="audio_redactions")


class FixityRun(Base):
    """One re-hashing of every original the archive holds, and what it found."""
    __tablename__ = "fixity_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    by: Mapped[str] = mapped_column(String(200))
    checked: Mapped[int] = mapped_column(Integer)
    missing: Mapped[int] = mapped_column(Integer)
    changed: Mapped[int] = mapped_column(Integer)
    # {"missing": [sha256...], "changed": [sha256...]}
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SensitiveTerm(Base):
    __tablename__ = "sensitive_terms"
    id: Mapped[int] = mapped_column(primary_key=True)
    # None: archive-wide.
    testimony_id: Mapped[int | None] = mapped_column(ForeignKey("testimonies.id", ondelete="CASCADE"),
                                                     index=True)
    term: Mapped[str] = mapped_column(String(300))
    variants: Mapped[list[str]] = mapped_column(default=list)
    category: Mapped[str] = mapped_column(String(40), default="other")
    # The lowest audience that may read the term itself (name and variants): naming a term says
    # whom it protects. The scanner uses every term whatever the caller's audience.
    visible_to: Mapped[str] = mapped_column(String(20), default="archivist", server_default="archivist")
    testimony: Mapped[Testimony | None] = relationship(back_populates="sensitive_terms")


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class PasswordReset(Base):
    """A one-time password reset link an admin made (archive/services/users.py): only its token's
    SHA-256 is kept; it expires, and its first use spends it."""
    __tablename__ = "password_resets"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(120))


class Revision(Base):
    __tablename__ = "revisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    accession_id: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    author: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    snapshot: Mapped[dict[str, Any]] = mapped_column(default=dict)


class AuditEvent(Base):
    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, server_default=func.now())
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(80))
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class OaiRecord(Base):
    """What OAI-PMH harvesters have been shown of a testimony that once reached the public: the
    datestamp of the last change of its public view (or of its leaving the public: then `deleted`),
    its set (collection slug) and a fingerprint of that view (archive/oai.py). Never removed."""
    __tablename__ = "oai_records"
    __table_args__ = (Index("ix_oai_records_datestamp", "datestamp", "accession_id"),
                      Index("ix_oai_records_set_datestamp", "set_spec", "datestamp", "accession_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    accession_id: Mapped[str] = mapped_column(String(64), unique=True)
    set_spec: Mapped[str] = mapped_column(String(120))
    datestamp: Mapped[dt.datetime] = mapped_column(DateTime)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    fingerprint: Mapped[str | None] = mapped_column(String(64))


class Job(Base):
    """Slow work queued off the request (archive/services/jobs.py): the queue carries only the id;
    this row is the truth any server reads for the job pages. Written in the unit of work that made
    the work necessary, so no job exists for a change the database did not commit."""
    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))               # "recording": a recording's derivatives
    testimony: Mapped[str | None] = mapped_column(String(200), index=True)
    target: Mapped[str | None] = mapped_column(String(200), index=True)    # e.g. the media asset's key
    state: Mapped[str] = mapped_column(String(20), index=True)  # queued, running, finished, failed
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    started: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished: Mapped[dt.datetime | None] = mapped_column(DateTime)
    heartbeat: Mapped[dt.datetime | None] = mapped_column(DateTime)
    who: Mapped[str] = mapped_column(String(200))


class SearchIndexOwner(Base):
    """Who keeps this database's search index (one row): the instance folder of a local engine's index,
    or "" for the postgresql engine, whose index is in the database (services/indexing.py, claim)."""
    __tablename__ = "search_index_owner"
    id: Mapped[int] = mapped_column(primary_key=True)
    engine: Mapped[str] = mapped_column(String(20))
    owner: Mapped[str] = mapped_column(String(1000))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
