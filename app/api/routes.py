"""A small JSON API. Every response is an audience view, the same as the pages.

Each route's docstring ends with its OpenAPI operation (YAML after `---`): app/api/openapi.py builds
/api/v1/openapi.json from them, so the description is made from the routes that serve it."""
from __future__ import annotations

import json
from dataclasses import asdict

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from archive.citation import STYLES, CitationError, cite
from archive.errors import NotFound

from ..identity import archive, audience, current
from ..public.routes import page_arg, public_url, search_args
from . import openapi

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/")
@audience("public")
def index():
    """The API's routes.
    ---
    get:
      summary: The API's routes
      operationId: index
      responses:
        200:
          description: The paths of the API (its full description is at /api/v1/openapi.json).
          content:
            application/json:
              schema: Endpoints
    """
    return jsonify({"endpoints": ["/api/v1/testimonies", "/api/v1/testimonies/<id>", "/api/v1/search?q=",
                                  "/api/v1/testimonies/<id>/citation?segment=", "/api/v1/testimonies/<id>/dc",
                                  "/api/v1/suggest?q=", "/api/v1/collections", "/api/v1/testimonies/<id>/ohms",
                                  "/api/v1/testimonies/<id>/transcripts/<key>.vtt",
                                  "/api/v1/testimonies/<id>/transcripts/<key>.srt",
                                  "/api/v1/openapi.json", "/api/v1/docs"]})


@bp.get("/openapi.json")
@audience("public")
def openapi_json():
    """This API's OpenAPI 3.1 description.
    ---
    get:
      summary: This API's OpenAPI 3.1 description
      operationId: openapi
      responses:
        200:
          description: The OpenAPI document, generated from the routes.
          content:
            application/json:
              schema:
                type: object
                required: [openapi, info, paths]
    """
    return jsonify(openapi.document(current_app._get_current_object()))


@bp.get("/docs")
@audience("public")
def docs():
    """This API's description as a page.
    ---
    get:
      summary: This API's description as a page
      operationId: docs
      responses:
        200:
          description: Every operation with its parameters and answers, in HTML.
          content:
            text/html:
              schema:
                type: string
    """
    document = openapi.document(current_app._get_current_object())
    return render_template("api/docs.html", doc=document, operations=openapi.operations(document),
                           schema_name=openapi.schema_name)


@bp.get("/testimonies")
@audience("public")
def testimonies():
    """Testimonies the caller may see, a page at a time.
    ---
    get:
      summary: Testimonies the caller may see, a page at a time
      operationId: listTestimonies
      parameters:
        - {name: collection, in: query, schema: {type: string}, description: "Only this collection (its id)."}
        - {name: page, in: query, schema: {type: integer, minimum: 1, default: 1},
           description: "The page (a value that is not a whole number is page 1)."}
        - {name: per_page, in: query, schema: {type: integer, minimum: 1, maximum: 100},
           description: "Testimonies per page (brought within 1..100; the site's default when absent)."}
      responses:
        200:
          description: One page of testimony summaries.
          content:
            application/json:
              schema: TestimonyPage
    """
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
    """One testimony as the caller may see it.
    ---
    get:
      summary: One testimony as the caller may see it
      operationId: getTestimony
      parameters:
        - {name: accession_id, in: path, required: true, schema: {type: string}, description: "e.g. OH-2015-0001"}
      responses:
        200:
          description: The caller's audience view (redactions above it replaced, restricted fields absent).
          content:
            application/json:
              schema: Testimony
        404: {$ref: "#/components/responses/NotFound"}
        410: {$ref: "#/components/responses/Gone"}
    """
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
    """Full-text search in what the caller may see.
    ---
    get:
      summary: Full-text search in what the caller may see
      operationId: search
      parameters:
        - {name: q, in: query, schema: {type: string, maxLength: 500},
           description: "Words, \\"phrases\\", OR, NOT, prefix*, fields such as place:Raqqa."}
        - {name: page, in: query, schema: {type: integer, minimum: 1, default: 1}}
        - {name: sort, in: query, schema: {type: string, enum: [relevance, date, -date, accession], default: relevance}}
        - {name: collection, in: query, schema: {type: array, items: {type: string}}, explode: true}
        - {name: language, in: query, schema: {type: array, items: {type: string}}, explode: true}
        - {name: place, in: query, schema: {type: array, items: {type: string}}, explode: true}
        - {name: subject, in: query, schema: {type: array, items: {type: string}}, explode: true}
        - {name: role, in: query, schema: {type: array, items: {type: string}}, explode: true}
        - {name: decade, in: query, schema: {type: array, items: {type: string}}, explode: true}
        - {name: year, in: query, schema: {type: array, items: {type: string}}, explode: true}
        - {name: audio, in: query, schema: {type: array, items: {type: string}}, explode: true}
      responses:
        200:
          description: Testimonies with their best hits, facets and paging (`error` says why a query could not be read).
          content:
            application/json:
              schema: SearchResult
    """
    query, filters, page, sort = search_args()
    return jsonify(asdict(archive().search.search(current(), query, filters, page=page, sort=sort)))


@bp.get("/testimonies/<accession_id>/citation")
@audience("public")
def citation(accession_id: str):
    """A testimony's citation in every style.
    ---
    get:
      summary: A testimony's citation in every style
      operationId: citeTestimony
      parameters:
        - {name: accession_id, in: path, required: true, schema: {type: string}}
        - {name: segment, in: query, schema: {type: string},
           description: "Cite one segment: the transcript's key and the segment's number, e.g. en-3."}
      responses:
        200:
          description: Chicago, APA, BibTeX, RIS and CSL-JSON.
          content:
            application/json:
              schema: Citation
        400: {$ref: "#/components/responses/BadRequest"}
        404: {$ref: "#/components/responses/NotFound"}
    """
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
    """Words to complete a search with.
    ---
    get:
      summary: Words to complete a search with
      operationId: suggest
      parameters:
        - {name: q, in: query, schema: {type: string}, description: "The start of a word (first 100 characters)."}
      responses:
        200:
          description: Words of the caller's index that start so.
          content:
            application/json:
              schema: Suggestions
    """
    return jsonify({"suggestions": archive().search.suggest(current(), request.args.get("q", "")[:100])})


@bp.get("/collections")
@audience("public")
def collections():
    """Collections with what the caller may see in each.
    ---
    get:
      summary: Collections with what the caller may see in each
      operationId: listCollections
      responses:
        200:
          description: The collections holding a testimony the caller may see (staff see all).
          content:
            application/json:
              schema: Collections
    """
    return jsonify({"collections": archive().testimonies.collections(current())})


@bp.get("/testimonies/<accession_id>/ohms")
@audience("public")
def testimony_ohms(accession_id: str):
    """The testimony as OHMS XML, made from the caller's audience view (issue 14).
    ---
    get:
      summary: The testimony as OHMS XML
      operationId: testimonyOhms
      parameters:
        - {name: accession_id, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: OHMS XML (the Nunn Center's ohms.xsd) of the caller's view.
          content:
            application/xml:
              schema: {type: string}
        404: {$ref: "#/components/responses/NotFound"}
    """
    from ..public.exchange_routes import download
    return download(archive().exchange.ohms(current(), accession_id), "ohms", f"{accession_id}.ohms.xml")


@bp.get("/testimonies/<accession_id>/transcripts/<transcript>.<caption_format>")
@audience("public")
def transcript_captions(accession_id: str, transcript: str, caption_format: str):
    """One transcript as WebVTT or SRT, made from the caller's audience view (issue 14).
    ---
    get:
      summary: One transcript as WebVTT or SRT
      operationId: transcriptCaptions
      parameters:
        - {name: accession_id, in: path, required: true, schema: {type: string}}
        - {name: transcript, in: path, required: true, schema: {type: string, pattern: "^[^./]+$"},
           description: "The transcript's key, e.g. en."}
        - {name: caption_format, in: path, required: true, schema: {type: string, enum: [vtt, srt]}}
      responses:
        200:
          description: The captions, cue by cue where the transcript kept its cues, else by segment.
          content:
            text/vtt:
              schema: {type: string}
            application/x-subrip:
              schema: {type: string}
        400: {$ref: "#/components/responses/BadRequest"}
        404: {$ref: "#/components/responses/NotFound"}
    """
    from ..public.exchange_routes import download
    body = archive().exchange.captions(current(), accession_id, transcript, caption_format)
    return download(body, caption_format, f"{accession_id}-{transcript}.{caption_format}")


@bp.get("/testimonies/<accession_id>/dc")
@audience("public")
def dublin_core(accession_id: str):
    """The testimony's Dublin Core (oai_dc) as the public sees it, whoever asks (as OAI-PMH serves it).
    ---
    get:
      summary: The testimony's Dublin Core (oai_dc) as the public sees it
      operationId: testimonyDublinCore
      parameters:
        - {name: accession_id, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: An oai_dc record, whoever asks (Dublin Core is for the public).
          content:
            application/xml:
              schema: {type: string}
        404: {$ref: "#/components/responses/NotFound"}
    """
    body = archive().oai.dublin_core(current(), accession_id, repository=current_app.config["SITE_NAME"],
                                     url=public_url("public.testimony", accession_id=accession_id))
    return Response(body, mimetype="application/xml")
