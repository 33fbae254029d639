"""Errors the core raises; each says what was wrong and where."""
from __future__ import annotations


class ArchiveError(Exception):
    """Base class: a message fit to show to the person who caused it."""


class NotFound(ArchiveError):
    """The record does not exist, or the caller may not know that it does."""


class PermissionDenied(ArchiveError):
    """The access policy refused the action."""


class Busy(ArchiveError):
    """Another write held the archive for longer than a write waits: nothing was written."""


class ValidationError(ArchiveError):
    """Input that cannot be accepted, with where it was found."""

    def __init__(self, message: str, *, file: str | None = None, record: str | None = None,
                 field: str | None = None):
        self.message, self.file, self.record, self.field = message, file, record, field
        super().__init__(str(self))

    def where(self) -> str:
        parts = [p for p in (self.file, self.record and f"record {self.record}",
                             self.field and f"field {self.field}") if p]
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message


class ConflictError(ValidationError):
    """The input clashes with what the archive already holds (e.g. a duplicate accession id)."""


def database_refusal(exc: BaseException) -> str | None:
    """For input the checks let through but the database refused (a value out of range, too long, a
    duplicate): one line for the operator with the database's reason and what to do. Never the SQL
    statement, which can hold restricted text. None for any other exception."""
    from sqlalchemy.exc import DataError, IntegrityError

    if not isinstance(exc, (DataError, IntegrityError)):
        return None
    reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or ["no reason given"])[0][:300]
    return (f"the database refused the data ({reason}); the write that failed was rolled back. "
            f"Correct the value it names and run the command again.")
