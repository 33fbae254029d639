"""Consent changes; withdrawal takes effect in every view and index before the call returns."""
from __future__ import annotations

from ..errors import ConflictError, ValidationError
from ..identity import Identity
from ..model import Consent
from ..policy import gated
from .base import Service


class ConsentService(Service):
    @gated("consent.write")
    def withdraw(self, identity: Identity, accession_id: str, reason: str) -> dict:
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError("a withdrawal needs a reason", record=accession_id, field="reason")
        today = self.archive.today()
        with self.archive.unit_of_work() as session:
            testimony = self.get_testimony(session, accession_id)
            if testimony.state == "withdrawn":
                # The tombstone keeps the date of the narrator's withdrawal; a second one changes nothing.
                raise ConflictError(f"already withdrawn on {testimony.withdrawn_at}", record=accession_id)
            if testimony.consent is None:
                testimony.consent = Consent(status="pending", scope="archive", permissions={})
            before = testimony.consent.status
            testimony.consent.status = "withdrawn"
            testimony.consent.withdrawn_date = today
            testimony.consent.withdrawal_reason = reason
            testimony.state = "withdrawn"
            testimony.withdrawn_at = today
            self.archive.audit.record(session, identity, "consent.withdraw", accession_id,
                                      before=before, reason=reason)
            self.archive.audit.revision(session, identity, accession_id, "consent withdrawn",
                                        {"consent": {"status": "withdrawn", "reason": reason}})
            self.archive.index.sync(session, testimony)
        return {"accession_id": accession_id, "withdrawn_at": today.isoformat()}
