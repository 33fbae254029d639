"""Errors the core raises; each says what was wrong and where."""
from __future__ import annotations


class ArchiveError(Exception):
    """Base class: a message fit to show to the person who caused it."""


class NotFound(ArchiveError):
    """The record does not exist, or the caller may not know that it does."""


class PermissionDenied(ArchiveError):
    """The access policy refused the action."""


class TooManyAttempts(ArchiveError):
    """Refused for now: too many recent failures (sign-in throttling)."""


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
