"""The public site: home, search, testimonies, collections. Everything comes through audience views."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for

from archive.errors import NotFound
from archive.services.search import FILTER_KEYS

from ..identity import archive, audience, current

bp = Blueprint("public", __name__)


def search_args() -> tuple[str, dict[str, list[str]], int]:
    query = request.args.get("q", "")[:500]
    filters = {k: request.args.getlist(k) for k in FILTER_KEYS if request.args.getlist(k)}
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    return query, filters, page


@bp.get("/")
@audience("public")
def home():
    identity = current()
    return render_template("public/home.html", stats=archive().testimonies.stats(identity),
                           collections=archive().testimonies.collections(identity))


@bp.get("/search")
@audience("public")
def search():
    query, filters, page = search_args()
    result = archive().search.search(current(), query, filters, page=page,
                                     pagesize=int(current_app.config["SEARCH_PAGE_SIZE"]))
    labels = archive().search.facet_labels(current(), result.facets)
    return render_template("public/search.html", result=result, query=query, filters=filters,
                           labels=labels, toggle=lambda name, value: _toggle(query, filters, name, value))


def _toggle(query: str, filters: dict[str, list[str]], name: str, value: str) -> str:
    """The search URL with one facet value added or removed, keeping everything else."""
    chosen = {k: list(v) for k, v in filters.items()}
    values = chosen.setdefault(name, [])
    values.remove(value) if value in values else values.append(value)
    return url_for("public.search", q=query, **{k: v for k, v in chosen.items() if v})


@bp.get("/testimonies/<accession_id>")
@audience("public")
def testimony(accession_id: str):
    try:
        view = archive().testimonies.get(current(), accession_id)
    except NotFound:
        tombstone = archive().testimonies.tombstone(current(), accession_id)
        if tombstone is None:
            raise
        return render_template("public/tombstone.html", tombstone=tombstone), 410
    return render_template("public/testimony.html", t=view)


@bp.get("/collections")
@audience("public")
def collections():
    return render_template("public/collections.html", collections=archive().testimonies.collections(current()))


@bp.get("/collections/<slug>")
@audience("public")
def collection(slug: str):
    found = archive().testimonies.collection(current(), slug)
    return render_template("public/collection.html", collection=found,
                           testimonies=archive().testimonies.list(current(), collection=slug))


@bp.get("/about")
@audience("public")
def about():
    return render_template("public/about.html")
