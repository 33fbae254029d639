"""Exchange formats of one testimony (issue 14): OHMS XML, and WebVTT / SRT per transcript.

Every file is made from the caller's audience view, so it holds nothing that audience may not see
(redactions applied, restricted fields absent); a testimony the caller may not see, withdrawn ones
included, is NotFound, as on its page.
"""
from __future__ import annotations

from ..errors import NotFound, ValidationError
from ..formats import captions_out, ohms_out
from ..identity import Identity
from ..policy import gated
from .base import Service

CAPTION_FORMATS = captions_out.FORMATS
MEDIA_TYPES = {"ohms": "application/xml", "vtt": "text/vtt", "srt": "application/x-subrip"}


class ExchangeService(Service):
    @gated("testimony.read")
    def ohms(self, identity: Identity, accession_id: str) -> bytes:
        """The testimony as OHMS XML, as the caller may see it."""
        view = self.archive.testimonies.get(identity, accession_id)
        return ohms_out.ohms_xml(view, self.archive.today())

    @gated("testimony.read")
    def captions(self, identity: Identity, accession_id: str, transcript: str, fmt: str) -> str:
        """One transcript as WebVTT (`vtt`) or SRT (`srt`), as the caller may see it."""
        if fmt not in CAPTION_FORMATS:
            raise ValidationError(f"{fmt!r} is not a caption format (choose {' or '.join(CAPTION_FORMATS)})",
                                  field="format")
        view = self.archive.testimonies.get(identity, accession_id)
        found = next((t for t in view["transcripts"] if t["key"] == transcript), None)
        if found is None:
            shown = ", ".join(t["key"] for t in view["transcripts"]) or "none that you may read"
            raise NotFound(f"testimony {accession_id} has no transcript {transcript!r} (transcripts: {shown})")
        return captions_out.to_vtt(found) if fmt == "vtt" else captions_out.to_srt(found)
