"""Who is asking: every service method takes an Identity first."""
from __future__ import annotations

from dataclasses import dataclass

from .audience import Audience


@dataclass(frozen=True)
class Identity:
    audience: Audience
    user_id: int | None = None
    username: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.audience >= Audience.ARCHIVIST

    def describe(self) -> str:
        return self.username or self.audience.label


ANONYMOUS = Identity(Audience.PUBLIC)
# The command line runs with the operator's authority: whoever has the instance folder has everything.
SYSTEM = Identity(Audience.ADMIN, username="system (command line)")


def for_role(role: str, user_id: int | None = None, username: str | None = None) -> Identity:
    return Identity(Audience.parse(role), user_id=user_id, username=username)
