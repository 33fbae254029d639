"""Audiences, from the least to the most trusted, and how roles and consent scopes map onto them."""
from __future__ import annotations

import enum


class Audience(enum.IntEnum):
    PUBLIC = 0
    RESEARCHER = 1
    ARCHIVIST = 2
    ADMIN = 3

    @classmethod
    def parse(cls, value: "str | Audience") -> "Audience":
        if isinstance(value, Audience):
            return value
        try:
            return cls[str(value).strip().upper()]
        except KeyError:
            raise ValueError(f"unknown audience {value!r} (expected one of: "
                             f"{', '.join(a.label for a in cls)})") from None

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def index_name(self) -> str:
        """The search index this audience reads: archivists and admins share the staff index."""
        return "staff" if self >= Audience.ARCHIVIST else self.label


ROLES = ("researcher", "archivist", "admin")

# Consent scope -> the lowest audience the scope admits.
SCOPE_FLOOR = {
    "open": Audience.PUBLIC,
    "researchers": Audience.RESEARCHER,
    "archive": Audience.ARCHIVIST,
}
SCOPES = tuple(SCOPE_FLOOR)

# Audiences below archivist read their own index; staff reads everything.
INDEXED_AUDIENCES = (Audience.PUBLIC, Audience.RESEARCHER, Audience.ARCHIVIST)
