"""A small JSON API. Every response is an audience view, the same as the pages."""
from __future__ import annotations

import json
from dataclasses import asdict

from flask import Blueprint, Response, current_app, jsonify, request

from archive.citation import STYLES, CitationError, cite
from archive.errors import NotFound

from ..identity import archive, audience, current
from ..public.routes import page_arg, public_url, search_args

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/")
@audience("public")
def index():
    return jsonify({"endpoints": ["/api/v1/testimonies", "/api/v1/testimonies/<id>", "/api/v1/search?q=",
                                  "/api/v1/testimonies/<id>/citation?segment=", "/api/v1/testimonies/<id>/dc",
                                  "/api/v1/suggest?q=", "/api/v1/collections", "/api/v1/testimonies/<id>/ohms",
                                  "/api/v1/testimonies/<id>/transcripts/<key>.vtt",
                                  "/api/v1/testimonies/<id>/transcripts/<key>.srt"]})


@bp.get("/testimonies")
@audience("public")
def testimonies():
    default = int(current_app.config["LIST_PAGE_SIZE"])
    try:
        per_page = int(request.args.get("per_page", default))
    except ValueError:
        per_page = default
    listed = archive().testimonies.page(current(), collection=request.args.get("collection") or None,
                                        page=page_arg(), per_page=per_page)
    return jsonify({"total": listed["total"], "page": listed["page"], "per_page": listed["per_page"],
                    "pages": listed["pages"], "testimonies": [
        {"id": v["accession_id"], "title": v["title"], "collection": v["collection"]["id"],
         "languages": v["languages"], "interview_date": v["interview_date"]} for v in listed["testimonies"]]})


@bp.get("/testimonies/<accession_id>")
@audience("public")
def testimony(accession_id: str):
    try:
        return jsonify(archive().testimonies.get(current(), accession_id))
    except NotFound:
        tombstone = archive().testimonies.tombstone(current(), accession_id)
        if tombstone is None:
            raise
        return jsonify({"error": "Gone", "tombstone": tombstone}), 410


@bp.get("/search")
@audience("public")
def search():
    query, filters, page, sort = search_args()
    return jsonify(asdict(archive().search.search(current(), query, filters, page=page, sort=sort)))


@bp.get("/testimonies/<accession_id>/citation")
@audience("public")
def citation(accession_id: str):
    view = archive().testimonies.get(current(), accession_id)
    segment = request.args.get("segment") or None
    url = public_url("public.testimony", accession_id=accession_id) + (f"#seg-{segment}" if segment else "")
    try:
        out = {key: cite(view, key, url, repository=current_app.config["SITE_NAME"],
                         accessed=archive().today(), segment=segment) for key in STYLES}
        out["csl-json"] = json.loads(out["csl-json"])   # an object here, not its text
        return jsonify(out)
    except CitationError as exc:
        return jsonify({"error": "Bad request", "detail": str(exc)}), 400


@bp.get("/suggest")
@audience("public")
def suggest():
    return jsonify({"suggestions": archive().search.suggest(current(), request.args.get("q", "")[:100])})


@bp.get("/collections")
@audience("public")
def collections():
    return jsonify({"collections": archive().testimonies.collections(current())})


@bp.get("/testimonies/<accession_id>/ohms")
@audience("public")
def testimony_ohms(accession_id: str):
    """The testimony as OHMS XML, made from the caller's audience view (issue 14)."""
    from ..public.exchange_routes import download
    return download(archive().exchange.ohms(current(), accession_id), "ohms", f"{accession_id}.ohms.xml")


@bp.get("/testimonies/<accession_id>/transcripts/<transcript>.<caption_format>")
@audience("public")
def transcript_captions(accession_id: str, transcript: str, caption_format: str):
    """One transcript as WebVTT or SRT, made from the caller's audience view (issue 14)."""
    from ..public.exchange_routes import download
    body = archive().exchange.captions(current(), accession_id, transcript, caption_format)
    return download(body, caption_format, f"{accession_id}-{transcript}.{caption_format}")


@bp.get("/testimonies/<accession_id>/dc")
@audience("public")
def dublin_core(accession_id: str):
    """The testimony's Dublin Core (oai_dc) as the public sees it, whoever asks (as OAI-PMH serves it)."""
    body = archive().oai.dublin_core(current(), accession_id, repository=current_app.config["SITE_NAME"],
                                     url=public_url("public.testimony", accession_id=accession_id))
    return Response(body, mimetype="application/xml")
