"""The one access policy. Every service method asks it before reading or writing; no rule, no access."""
from __future__ import annotations

import datetime as dt
import functools
from typing import Callable, TypeVar

from .audience import SCOPE_FLOOR, Audience
from .errors import NotFound, PermissionDenied
from .identity import Identity

# action -> the lowest audience allowed to attempt it. Record-level rules (consent, embargo,
# workflow state) are applied on top by `can_see_testimony`.
RULES: dict[str, Audience] = {
    "testimony.read": Audience.PUBLIC,
    "testimony.list": Audience.PUBLIC,
    "collection.read": Audience.PUBLIC,
    "search": Audience.PUBLIC,
    "export.audience": Audience.PUBLIC,        # an export for the caller's own audience or below
    "export.queue": Audience.ARCHIVIST,        # an export of many testimonies made by a job
    "export.download": Audience.ARCHIVIST,     # its file, for the audience it was made for or above
    "oai.harvest": Audience.PUBLIC,            # OAI-PMH: the public's views, whoever asks
    "testimony.read_original": Audience.ARCHIVIST,
    "testimony.write": Audience.ARCHIVIST,
    "redaction.write": Audience.ARCHIVIST,
    "consent.write": Audience.ARCHIVIST,
    "consent.read": Audience.ARCHIVIST,         # consent history
    "record.read": Audience.ARCHIVIST,          # record forms: narrators' restricted fields included
    "record.write": Audience.ARCHIVIST,         # collections, testimonies, narrators, authorities
    "testimony.purge": Audience.ADMIN,          # deleting a withdrawn testimony's content for good
    "import": Audience.ARCHIVIST,
    "audit.read": Audience.ARCHIVIST,
    "index.manage": Audience.ARCHIVIST,
    "sensitive.read": Audience.ARCHIVIST,
    "sensitive.write": Audience.ARCHIVIST,
    "dashboard.read": Audience.ARCHIVIST,
    "user.manage": Audience.ADMIN,
    "media.read": Audience.PUBLIC,             # derivatives only; consent and kind applied on top
    "media.write": Audience.ARCHIVIST,
    "media.read_original": Audience.ARCHIVIST,
    "media.fixity": Audience.ARCHIVIST,
    "history.read": Audience.ARCHIVIST,         # revisions and their diffs hold originals
    "history.restore": Audience.ARCHIVIST,      # a restore is a new revision, never a rewrite
    "segment.write": Audience.ARCHIVIST,        # split, merge, retime, describe segments
    "job.read": Audience.ARCHIVIST,             # the job pages: queued slow work and its progress
    "job.run": Audience.ARCHIVIST,              # run a queued job here, queue lost ones again (command line)
}


def allowed(identity: Identity, action: str) -> bool:
    floor = RULES.get(action)
    return floor is not None and identity.audience >= floor


def require(identity: Identity, action: str) -> None:
    if not allowed(identity, action):
        raise PermissionDenied(f"{identity.describe()} may not {action}")


def embargo_running(consent, today: dt.date) -> bool:
    return consent is not None and consent.embargo_until is not None and today < consent.embargo_until


def can_see_testimony(testimony, audience: Audience, today: dt.date) -> bool:
    """Consent gates visibility: published, consent granted for this scope, and no embargo running;
    and the publication gate: not held back for a sensitive term that shows (services/gate.py)."""
    if audience >= Audience.ARCHIVIST:
        return True
    consent = testimony.consent
    return (testimony.state == "published"
            and testimony.held is None
            and consent is not None
            and consent.status == "granted"
            and SCOPE_FLOOR.get(consent.scope, Audience.ADMIN) <= audience
            and not embargo_running(consent, today))


def require_testimony(identity: Identity, testimony, today: dt.date) -> None:
    """Refuse as NotFound, so that a hidden testimony is indistinguishable from a missing one."""
    if testimony is None or not can_see_testimony(testimony, identity.audience, today):
        raise NotFound("no such testimony")


F = TypeVar("F", bound=Callable)


def gated(action: str) -> Callable[[F], F]:
    """Mark a service method with its action and check the policy before the body runs."""
    if action not in RULES:
        raise ValueError(f"no policy rule for action {action!r}")

    def decorate(method: F) -> F:
        @functools.wraps(method)
        def wrapper(self, identity: Identity, *args, **kwargs):
            if not isinstance(identity, Identity):
                raise TypeError(f"{method.__qualname__} takes the caller's Identity first")
            require(identity, action)
            return method(self, identity, *args, **kwargs)

        wrapper.__gate__ = action  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
