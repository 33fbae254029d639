"""Downloads of one testimony in exchange formats (issue 14): OHMS XML, and WebVTT / SRT per
transcript. Each is made from the reader's audience view by ExchangeService."""
from __future__ import annotations

from flask import Response

from archive.services.exchange import MEDIA_TYPES

from ..identity import archive, audience, current
from .routes import bp


def download(body: str | bytes, fmt: str, filename: str) -> Response:
    return Response(body, mimetype=MEDIA_TYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "X-Content-Type-Options": "nosniff"})


@bp.get("/testimonies/<accession_id>/ohms.xml")
@audience("public")
def testimony_ohms(accession_id: str):
    return download(archive().exchange.ohms(current(), accession_id), "ohms", f"{accession_id}.ohms.xml")


@bp.get("/testimonies/<accession_id>/transcripts/<transcript>.<caption_format>")
@audience("public")
def transcript_captions(accession_id: str, transcript: str, caption_format: str):
    body = archive().exchange.captions(current(), accession_id, transcript, caption_format)
    return download(body, caption_format, f"{accession_id}-{transcript}.{caption_format}")
