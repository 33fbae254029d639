"""OAI-PMH 2.0 at /oai: GET or POST, the public audience's views (archive/services/oai.py)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, request

from archive.oai import Context

from ..identity import archive, audience, current
from ..public.routes import public_url
from ..security import csrf

bp = Blueprint("oai", __name__)


def context() -> Context:
    base = public_url("oai.endpoint")
    config = current_app.config
    return Context(base_url=base, repository_name=config["SITE_NAME"],
                   repository_identifier=config["OAI_REPOSITORY_IDENTIFIER"] or urlsplit(base).hostname or "localhost",
                   admin_email=config["OAI_ADMIN_EMAIL"],
                   url_for=lambda accession: public_url("public.testimony", accession_id=accession))


@bp.route("/oai", methods=["GET", "POST"])
@audience("public")
@csrf.exempt      # harvesters POST the protocol's arguments; nothing is written
def endpoint():
    params = request.form if request.method == "POST" else request.args
    body = archive().oai.respond(current(), {k: params.getlist(k) for k in params}, context())
    return Response(body, mimetype="text/xml", content_type="text/xml; charset=utf-8")
