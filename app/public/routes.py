"""The public site: home, search, testimonies, collections. Everything comes through audience views."""
from __future__ import annotations

import datetime as dt
import html
import re
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, g, render_template, request, url_for
from flask_babel import gettext
from werkzeug.datastructures import iter_multi_items

from archive import translations
from archive.citation import DOWNLOADS, STYLES, CitationError, cite, timecode
from archive.errors import NotFound
from archive.formats import results_export
from archive.services.search import FILTER_KEYS, SORTS
from archive.views import direction

from ..identity import archive, audience, current

bp = Blueprint("public", __name__)
EXPORT_LIMIT = 1000


def search_args() -> tuple[str, dict[str, list[str]], int, str]:
    query = request.args.get("q", "")[:500]
    filters = {k: request.args.getlist(k) for k in FILTER_KEYS if request.args.getlist(k)}
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    sort = request.args.get("sort", "relevance")
    return query, filters, page, sort if sort in SORTS else "relevance"


def search_state(query: str, filters: dict, sort: str, **extra) -> dict:
    """URL arguments that reproduce a search: the permalink of what is on screen."""
    state = {k: v for k, v in filters.items() if v}
    if query:
        state["q"] = query
    if sort != "relevance":
        state["sort"] = sort
    return {**state, **extra}


def public_url(endpoint: str, **values) -> str:
    """Absolute URL for citations and exports: the configured public address, else this request's."""
    base = (current_app.config.get("PUBLIC_URL") or request.url_root).rstrip("/")
    return base + url_for(endpoint, **values)


@bp.get("/")
@audience("public")
def home():
    identity = current()
    return render_template("public/home.html", stats=archive().testimonies.stats(identity),
                           collections=archive().testimonies.collections(identity))


@bp.get("/search")
@audience("public")
def search():
    query, filters, page, sort = search_args()
    result = archive().search.search(current(), query, filters, page=page, sort=sort,
                                     pagesize=int(current_app.config["SEARCH_PAGE_SIZE"]))
    labels = archive().search.facet_labels(current(), result.facets)
    return render_template("public/search.html", result=result, query=query, filters=filters, sort=sort,
                           labels=labels, languages=archive().search.hit_languages(current(), result),
                           direction=direction, state=lambda **extra: search_state(query, filters, sort, **extra),
                           clear_url=url_for("public.search", **search_state(query, {}, sort)),
                           toggle=lambda name, value: _toggle(query, filters, sort, name, value),
                           hit_url=_hit_url)


_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)


def _hit_url(accession_id: str, hit) -> str:
    """A segment hit's link: the testimony at the segment, with the words its snippet marked (hl=) so the
    page can mark them where the reader lands. The words are the audience's own text, as the snippet is."""
    words = list(dict.fromkeys(html.unescape(w).strip() for w in _MARK.findall(hit.snippet_html or "")))[:8]
    return (url_for("public.testimony", accession_id=accession_id, hl=[w for w in words if w] or None)
            + f"#seg-{hit.transcript}-{hit.seq}")


def _toggle(query: str, filters: dict[str, list[str]], sort: str, name: str, value: str) -> str:
    """The search URL with one facet value added or removed, keeping everything else (back to page 1)."""
    chosen = {k: list(v) for k, v in filters.items()}
    values = chosen.setdefault(name, [])
    values.remove(value) if value in values else values.append(value)
    return search_url(search_state(query, chosen, sort))


def search_url(state: dict) -> str:
    """url_for("public.search", **state), the same string, without werkzeug matching the rule each time:
    a results page links each facet value (dozens of links), and url_for cost a page about a millisecond."""
    path = g.get("search_path")
    if path is None:
        path = g.search_path = url_for("public.search")
    items = [item for item in iter_multi_items(state) if item[1] is not None]
    return path + "?" + urlencode(items, safe=_URL_SAFE) if items else path


_URL_SAFE = "!$'()*,/:;?@"  # what werkzeug leaves unquoted in a query (werkzeug.urls._urlencode)


@bp.get("/search/help")
@audience("public")
def search_help():
    return render_template("public/search_help.html")


@bp.get("/search/export.<fmt>")
@audience("public")
def search_export(fmt: str):
    if fmt not in ("csv", "json"):
        abort(404)
    query, filters, _, sort = search_args()
    result = archive().search.search_all(current(), query, filters, sort=sort, limit=EXPORT_LIMIT)
    if result.error:
        return render_template("error.html", code=400, title=gettext("That search could not run"), detail=result.error), 400
    data = results_export.rows(
        result.testimonies,
        lambda acc: public_url("public.testimony", accession_id=acc),
        lambda acc, hit: public_url("public.testimony", accession_id=acc) + f"#seg-{hit.transcript}-{hit.seq}",
        timecode)
    stamp = dt.date.today().isoformat()
    if fmt == "csv":
        # With a byte order mark, so a spreadsheet reads the file as UTF-8 (Arabic, accents) and not in
        # the machine's legacy code page. content_type, not mimetype: Flask would add a second charset.
        body, content_type = "\ufeff" + results_export.to_csv(data), "text/csv; charset=utf-8"
    else:
        meta = {"query": query, "filters": filters, "sort": sort, "total": result.total,
                "exported": len(data), "permalink": public_url("public.search", **search_state(query, filters, sort))}
        body, content_type = results_export.to_json(data, meta), "application/json"
    return Response(body, content_type=content_type, headers={
        "Content-Disposition": f'attachment; filename="search-{stamp}.{fmt}"'})


@bp.get("/testimonies/<accession_id>/cite")
@audience("public")
def citation(accession_id: str):
    view = archive().testimonies.get(current(), accession_id)
    style = request.args.get("style", "chicago")
    segment = request.args.get("segment") or None
    url = public_url("public.testimony", accession_id=accession_id) + (f"#seg-{segment}" if segment else "")
    try:
        text = cite(view, style, url, repository=current_app.config["SITE_NAME"],
                    accessed=archive().today(), segment=segment)
    except CitationError as exc:
        return render_template("error.html", code=400, title=gettext("No citation"), detail=str(exc)), 400
    if request.args.get("download"):
        ext, mimetype = DOWNLOADS[style]
        return Response(text, mimetype=f"{mimetype}; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{accession_id}.{ext}"'})
    citations = {name: cite(view, key, url, repository=current_app.config["SITE_NAME"],
                            accessed=archive().today(), segment=segment) for key, name in STYLES.items()}
    # Without PUBLIC_URL the address is the host this request named: the page says which.
    asked_host = None if current_app.config.get("PUBLIC_URL") else request.host
    return render_template("public/cite.html", t=view, citations=citations, segment=segment, url=url,
                           asked_host=asked_host)


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
    # A recording being re-encoded after a redaction (archive/services/jobs.py) is withheld: said, not played.
    withheld = {m["id"] for m in view.get("media") or [] if m["kind"] in ("audio", "video")
                and not archive().media.recording_ready(current(), m["id"])}
    return render_template("public/testimony.html", t=view, styles=STYLES, withheld=withheld,
                           reading=translations.reading(view["transcripts"]))


@bp.get("/collections")
@audience("public")
def collections():
    return render_template("public/collections.html", collections=archive().testimonies.collections(current()))


@bp.get("/collections/<slug>")
@audience("public")
def collection(slug: str):
    found = archive().testimonies.collection(current(), slug)
    listed = archive().testimonies.page(current(), collection=slug, page=page_arg(),
                                        per_page=int(current_app.config["LIST_PAGE_SIZE"]))
    return render_template("public/collection.html", collection=found, listed=listed,
                           testimonies=listed["testimonies"])


def page_arg() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


@bp.get("/about")
@audience("public")
def about():
    return render_template("public/about.html")


from . import media_routes  # noqa: E402,F401  (photo derivatives on this blueprint)
from . import exchange_routes  # noqa: E402,F401  (OHMS, WebVTT and SRT downloads, issue 14)
from . import language_routes  # noqa: E402,F401  (the header's language switch, issue 16)
