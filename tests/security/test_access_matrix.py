"""The access matrix: every route x every audience x every consent state, against tables written out
by hand here. A route that the tables do not cover fails the suite until someone decides who may use
it; so does a view without a declared audience or a service method without a policy gate.
"""
from __future__ import annotations

import inspect
import re

import pytest

from archive import policy
from archive.audience import Audience
from archive.errors import NotFound, PermissionDenied
from archive.identity import ANONYMOUS, Identity
from tests.conftest import ROOT, csrf_from
from tests.security import canaries, media_canaries
from tests.security.conftest import client_as
from tests.backends import sqlite_only  # noqa: F401,E402  (SQLite only: who may reach which route is decided above the database)

AUDIENCES = ("public", "researcher", "archivist", "admin")


def row(public, researcher, archivist, admin) -> dict[str, int]:
    return dict(zip(AUDIENCES, (public, researcher, archivist, admin)))


# -- the records each per-record route is tried on ----------------------------------------------

STATE_IDS = {
    "open": canaries.OPEN_ID,                       # published, consent granted, scope open
    "researchers": canaries.RESEARCH_ID,            # published, scope researchers
    "embargoed": canaries.HIDDEN["embargoed"][0],   # published, embargo until 2031
    "embargo-tomorrow": canaries.HIDDEN["embargo-tomorrow"][0],
    "embargo-ended": canaries.PAST_EMBARGO_ID,      # embargo_until == today: no longer running
    "pending": canaries.HIDDEN["pending"][0],       # consent pending
    "withdrawn": canaries.HIDDEN["withdrawn"][0],
    "archive-only": canaries.HIDDEN["archive-only"][0],
    "draft": canaries.HIDDEN["draft"][0],
    "in-review": canaries.HIDDEN["in-review"][0],
    "no-transcript": canaries.NOTRANSCRIPT_ID,      # published, publish_transcript = false
    "missing": canaries.MISSING_ID,
}
COLLECTION_SLUGS = {"open": canaries.COLLECTION, "researchers": canaries.RESEARCH_COLLECTION,
                    "sealed": canaries.HIDDEN_COLLECTION, "missing": "cnry-nosuch"}
# media planted by tests/security/media_canaries.py (their keys are random: looked up per app)
ASSET_CASES = dict.fromkeys([*media_canaries.ASSETS, "missing"])

# -- expected statuses --------------------------------------------------------------------------

EVERYONE = row(200, 200, 200, 200)
STAFF_PAGE = row(302, 403, 200, 200)     # anonymous GET -> /signin; researcher refused
STAFF_ACTION = row(403, 403, 302, 302)   # a complete staff POST

READ_TESTIMONY = {                       # /testimonies/<id> and /api/v1/testimonies/<id>
    "open":             row(200, 200, 200, 200),
    "researchers":      row(404, 200, 200, 200),
    "embargoed":        row(404, 404, 200, 200),
    "embargo-tomorrow": row(404, 404, 200, 200),
    "embargo-ended":    row(200, 200, 200, 200),
    "pending":          row(404, 404, 200, 200),
    "withdrawn":        row(410, 410, 200, 200),
    "archive-only":     row(404, 404, 200, 200),
    "draft":            row(404, 404, 200, 200),
    "in-review":        row(404, 404, 200, 200),
    "no-transcript":    row(200, 200, 200, 200),
    "missing":          row(404, 404, 404, 404),
}
# A withdrawn testimony has a tombstone page, not a citation: below staff it is simply not found.
CITE = {**READ_TESTIMONY, "withdrawn": row(404, 404, 200, 200)}
# Dublin Core is the public's record whoever asks: found only where the public may read the testimony.
PUBLIC_RECORD = {state: EVERYONE if READ_TESTIMONY[state]["public"] == 200 else row(404, 404, 404, 404)
                 for state in READ_TESTIMONY}
STAFF_RECORD = {state: (row(302, 403, 404, 404) if state == "missing" else STAFF_PAGE) for state in STATE_IDS}
# Staff POSTs below are sent with a valid CSRF token but an incomplete form, so that an allowed
# audience proves it got past the gate (400/404/200) without changing anything.
WITHDRAW_INCOMPLETE = {state: row(403, 403, 404, 404) if state == "missing" else row(403, 403, 200, 200)
                       for state in STATE_IDS}                    # form shown again, reason missing
FORM_INCOMPLETE = {state: row(403, 403, 400, 400) for state in STATE_IDS}   # refused by the form
# (shown again on the testimony's page or its segment editor with its errors: a missing testimony has none)
REDACTION_FORM_INCOMPLETE = {state: row(403, 403, 404, 404) if state == "missing" else row(403, 403, 400, 400)
                             for state in STATE_IDS}
APPROVE_MISSING_KEY = {state: row(403, 403, 404, 404) for state in STATE_IDS}  # key R-99 exists nowhere
PHOTO_DERIVATIVE = {                     # /media/<asset>/thumb.png
    "open-photo":      row(200, 200, 200, 200),
    "research-photo":  row(404, 200, 200, 200),
    "no-images-photo": row(404, 404, 200, 200),     # consent does not permit images
    "hidden-photo":    row(404, 404, 200, 200),     # its testimony is embargoed
    "document":        row(404, 404, 404, 404),     # documents have no derivatives: originals only
    "consent-form":    row(404, 404, 404, 404),
    "open-audio":      row(404, 404, 404, 404),     # a recording has no PNG
    "research-audio":  row(404, 404, 404, 404),
    "no-audio-recording": row(404, 404, 404, 404),
    "hidden-audio":    row(404, 404, 404, 404),
    "open-video":      row(404, 404, 404, 404),
    "no-images-video": row(404, 404, 404, 404),
    "missing":         row(404, 404, 404, 404),
}
RECORDING = {                            # /media/<asset>/audio and /media/<asset>/captions.vtt
    "open-audio":         row(200, 200, 200, 200),
    "research-audio":     row(404, 200, 200, 200),
    "no-audio-recording": row(404, 404, 200, 200),  # consent does not permit audio
    "hidden-audio":       row(404, 404, 200, 200),  # its testimony is embargoed
    "open-photo":         row(404, 404, 404, 404),  # not a recording
    "research-photo":     row(404, 404, 404, 404),
    "no-images-photo":    row(404, 404, 404, 404),
    "hidden-photo":       row(404, 404, 404, 404),
    "document":           row(404, 404, 404, 404),
    "consent-form":       row(404, 404, 404, 404),
    "open-video":         row(404, 404, 404, 404),  # a video is served at /video (captions: below)
    "no-images-video":    row(404, 404, 404, 404),
    "missing":            row(404, 404, 404, 404),
}
VIDEO = {                                # /media/<asset>/video: consent must permit audio and images
    **{case: row(404, 404, 404, 404) for case in RECORDING},
    "open-video":         row(200, 200, 200, 200),
    "no-images-video":    row(404, 404, 200, 200),
}
CAPTIONS = {**RECORDING, "open-video": VIDEO["open-video"], "no-images-video": VIDEO["no-images-video"]}
STAFF_ASSET = {case: (row(302, 403, 404, 404) if case == "missing" else STAFF_PAGE) for case in ASSET_CASES}
ASSET_FORM_INCOMPLETE = {case: row(403, 403, 400, 400) for case in ASSET_CASES}
ASSET_APPROVE_MISSING_KEY = {case: row(403, 403, 404, 404) for case in ASSET_CASES}
# A range is drawn on a recording only: any other asset is refused (400) before the form is read.
RANGE_INCOMPLETE = {case: row(403, 403, 404, 404) if case == "missing" else row(403, 403, 400, 400)
                    for case in ASSET_CASES}
COLLECTION = {
    "open":        row(200, 200, 200, 200),
    "researchers": row(404, 200, 200, 200),
    "sealed":      row(404, 404, 200, 200),
    "missing":     row(404, 404, 404, 404),
}
# Records, consent and purge: a form sent with nothing but its CSRF token is refused (400) once
# the record it edits is found (404 when it is not); the purge is the admin's alone.
EDIT_INCOMPLETE = {state: row(403, 403, 404, 404) if state == "missing" else row(403, 403, 400, 400)
                   for state in STATE_IDS}
STAFF_COLLECTION = {case: (row(302, 403, 404, 404) if case == "missing" else STAFF_PAGE) for case in COLLECTION}
COLLECTION_EDIT_INCOMPLETE = {case: row(403, 403, 404, 404) if case == "missing" else row(403, 403, 400, 400)
                              for case in COLLECTION}
PURGE_PAGE = {state: row(302, 403, 403, 404 if state == "missing" else 200) for state in STATE_IDS}
PURGE_INCOMPLETE = {state: row(403, 403, 403, 404 if state == "missing" else 400) for state in STATE_IDS}

# (endpoint, method) -> (what the route is tried on, table)
MATRIX: dict[tuple[str, str], tuple[str, dict]] = {
    ("static", "GET"):                   ("plain", EVERYONE),
    ("public.home", "GET"):              ("plain", EVERYONE),
    ("public.search", "GET"):            ("plain", EVERYONE),
    ("public.search_help", "GET"):       ("plain", EVERYONE),
    ("public.search_export", "GET"):     ("plain", EVERYONE),
    ("public.citation", "GET"):          ("state", CITE),
    ("api.citation", "GET"):             ("state", CITE),
    ("api.dublin_core", "GET"):          ("state", PUBLIC_RECORD),
    # OHMS XML and captions (issue 14): made from the caller's view; a withdrawn testimony is not found
    ("public.testimony_ohms", "GET"):    ("state", CITE),
    ("api.testimony_ohms", "GET"):       ("state", CITE),
    # (transcript "t" as WebVTT: a transcript withheld by consent is not found below archivist)
    ("public.transcript_captions", "GET"): ("state", {**CITE, "no-transcript": row(404, 404, 200, 200)}),
    ("api.transcript_captions", "GET"):  ("state", {**CITE, "no-transcript": row(404, 404, 200, 200)}),
    ("public.about", "GET"):             ("plain", EVERYONE),
    # the header's language switch (issue 16): sets a cookie and goes back, to anyone
    ("public.choose_language", "GET"):   ("plain", row(302, 302, 302, 302)),
    ("public.collections", "GET"):       ("plain", EVERYONE),
    ("public.collection", "GET"):        ("collection", COLLECTION),
    ("public.testimony", "GET"):         ("state", READ_TESTIMONY),
    ("auth.signin", "GET"):              ("plain", EVERYONE),
    ("auth.signin", "POST"):             ("plain", EVERYONE),    # no credentials: the form again
    ("auth.signout", "POST"):            ("plain", row(302, 302, 302, 302)),
    ("api.index", "GET"):                ("plain", EVERYONE),
    ("api.testimonies", "GET"):          ("plain", EVERYONE),
    ("api.testimony", "GET"):            ("state", READ_TESTIMONY),
    ("api.search", "GET"):               ("plain", EVERYONE),
    ("api.suggest", "GET"):              ("plain", EVERYONE),
    ("api.collections", "GET"):          ("plain", EVERYONE),
    # the API's OpenAPI description and its page: no records, the same to everyone
    ("api.openapi_json", "GET"):         ("plain", EVERYONE),
    ("api.docs", "GET"):                 ("plain", EVERYONE),
    # OAI-PMH: the public's records whoever asks; an error of the protocol is reported in a 200 response
    ("oai.endpoint", "GET"):             ("plain", EVERYONE),
    ("oai.endpoint", "POST"):            ("plain", EVERYONE),
    ("staff.dashboard", "GET"):          ("plain", STAFF_PAGE),
    ("staff.audit", "GET"):              ("plain", STAFF_PAGE),
    # a collection's or the archive's export is a job (issue 16); one testimony's bag is made in the
    # request, which without ?id= says so (400)
    ("staff.queue_export", "POST"):      ("plain", STAFF_ACTION),
    ("staff.export_bag", "GET"):         ("plain", row(302, 403, 400, 400)),
    ("staff.testimony", "GET"):          ("state", STAFF_RECORD),
    ("staff.withdraw", "GET"):           ("state", STAFF_RECORD),
    ("staff.withdraw", "POST"):          ("state", WITHDRAW_INCOMPLETE),
    ("staff.add_redaction", "POST"):     ("state", REDACTION_FORM_INCOMPLETE),
    ("staff.approve_redaction", "POST"): ("state", APPROVE_MISSING_KEY),
    ("staff.set_state", "POST"):         ("state", FORM_INCOMPLETE),
    ("staff.reindex", "POST"):           ("plain", STAFF_ACTION),
    # the redaction editor and sensitive terms: incomplete forms are refused (400); actions on
    # redaction R-99 or sensitive term 99999, which exist nowhere, find nothing (404)
    ("staff.edit_redaction", "POST"):    ("state", REDACTION_FORM_INCOMPLETE),
    ("staff.remove_redaction", "POST"):  ("state", APPROVE_MISSING_KEY),
    ("staff.confirm_removal", "POST"):   ("state", APPROVE_MISSING_KEY),
    ("staff.keep_redaction", "POST"):    ("state", APPROVE_MISSING_KEY),
    ("staff.preview_testimony", "GET"):  ("state", STAFF_RECORD),
    ("staff.sensitive_terms", "GET"):    ("plain", STAFF_PAGE),
    ("staff.add_sensitive_term", "POST"): ("plain", row(403, 403, 400, 400)),
    ("staff.add_testimony_term", "POST"): ("state", REDACTION_FORM_INCOMPLETE),
    ("staff.edit_sensitive_term", "POST"): ("plain", row(403, 403, 400, 400)),
    ("staff.remove_sensitive_term", "POST"): ("plain", row(403, 403, 404, 404)),
    ("staff.redact_all", "POST"):        ("state", FORM_INCOMPLETE),
    # records (narrator N-0001 is linked to no testimony in STATE_IDS: unlinking it finds nothing)
    ("staff.records", "GET"):            ("plain", STAFF_PAGE),
    ("staff.new_collection", "GET"):     ("plain", STAFF_PAGE),
    ("staff.new_collection", "POST"):    ("plain", row(403, 403, 400, 400)),
    ("staff.edit_collection", "GET"):    ("collection", STAFF_COLLECTION),
    ("staff.edit_collection", "POST"):   ("collection", COLLECTION_EDIT_INCOMPLETE),
    ("staff.new_testimony", "GET"):      ("plain", STAFF_PAGE),
    ("staff.new_testimony", "POST"):     ("plain", row(403, 403, 400, 400)),
    ("staff.edit_testimony", "GET"):     ("state", STAFF_RECORD),
    ("staff.edit_testimony", "POST"):    ("state", EDIT_INCOMPLETE),
    ("staff.link_narrator", "POST"):     ("state", FORM_INCOMPLETE),
    ("staff.unlink_narrator", "POST"):   ("state", APPROVE_MISSING_KEY),
    ("staff.new_narrator", "GET"):       ("plain", STAFF_PAGE),
    ("staff.new_narrator", "POST"):      ("plain", row(403, 403, 400, 400)),
    ("staff.edit_narrator", "GET"):      ("plain", STAFF_PAGE),
    ("staff.edit_narrator", "POST"):     ("plain", row(403, 403, 400, 400)),
    ("staff.new_authority", "GET"):      ("plain", STAFF_PAGE),
    ("staff.new_authority", "POST"):     ("plain", row(403, 403, 400, 400)),
    ("staff.edit_authority", "GET"):     ("plain", STAFF_PAGE),
    ("staff.edit_authority", "POST"):    ("plain", row(403, 403, 400, 400)),
    ("staff.pick_records", "GET"):       ("plain", STAFF_PAGE),
    # accounts (admins only; user "nobody-here" does not exist) and the one-time reset link's page
    ("staff.users", "GET"):              ("plain", row(302, 403, 403, 200)),
    ("staff.add_user", "POST"):          ("plain", row(403, 403, 403, 400)),
    ("staff.set_user_role", "POST"):     ("plain", row(403, 403, 403, 400)),
    ("staff.disable_user", "POST"):      ("plain", row(403, 403, 403, 404)),
    ("staff.enable_user", "POST"):       ("plain", row(403, 403, 403, 404)),
    ("staff.reset_user", "POST"):        ("plain", row(403, 403, 403, 404)),
    ("auth.reset_password", "GET"):      ("plain", row(404, 404, 404, 404)),
    ("auth.reset_password", "POST"):     ("plain", row(404, 404, 404, 404)),
    # consent and purge
    ("staff.consent", "GET"):            ("state", STAFF_RECORD),
    ("staff.consent", "POST"):           ("state", EDIT_INCOMPLETE),
    ("staff.upload_consent_form", "POST"): ("state", REDACTION_FORM_INCOMPLETE),   # refused on the consent page
    ("staff.purge", "GET"):              ("state", PURGE_PAGE),
    ("staff.purge", "POST"):             ("state", PURGE_INCOMPLETE),
    ("staff.intake", "GET"):             ("plain", STAFF_PAGE),
    ("staff.intake_preview", "POST"):    ("plain", row(403, 403, 400, 400)),   # no file: the form again
    ("staff.intake_confirm", "POST"):    ("plain", row(403, 403, 400, 400)),   # no upload named
    ("staff.intake_job", "GET"):         ("plain", row(302, 403, 404, 404)),   # no such job
    ("staff.intake_job_status", "GET"):  ("plain", row(302, 403, 404, 404)),
    ("staff.jobs", "GET"):               ("plain", STAFF_PAGE),                # the job queue's pages
    ("staff.job", "GET"):                ("plain", row(302, 403, 404, 404)),   # no such job
    ("staff.job_download", "GET"):       ("plain", row(302, 403, 404, 404)),   # no such export
    ("public.media_derivative", "GET"):  ("asset", PHOTO_DERIVATIVE),
    ("public.media_audio", "GET"):       ("asset", RECORDING),
    ("public.media_captions", "GET"):    ("asset", CAPTIONS),
    ("public.media_video", "GET"):       ("asset", VIDEO),
    ("staff.media", "GET"):              ("state", STAFF_RECORD),
    ("staff.upload_media", "POST"):      ("state", FORM_INCOMPLETE),
    ("staff.media_asset", "GET"):        ("asset", STAFF_ASSET),
    ("staff.media_original", "GET"):     ("asset", STAFF_ASSET),
    ("staff.add_image_redaction", "POST"): ("asset", ASSET_FORM_INCOMPLETE),
    ("staff.approve_image_redaction", "POST"): ("asset", ASSET_APPROVE_MISSING_KEY),
    ("staff.add_audio_range", "POST"):   ("asset", RANGE_INCOMPLETE),
    ("staff.approve_audio_range", "POST"): ("asset", ASSET_APPROVE_MISSING_KEY),   # range R-99: none
    # history and the segment editor: a form with nothing but its CSRF token is refused (400)
    ("staff.history", "GET"):            ("state", STAFF_RECORD),
    ("staff.history_diff", "GET"):       ("state", STAFF_RECORD),
    ("staff.restore_revision", "POST"):  ("state", FORM_INCOMPLETE),
    ("staff.segments", "GET"):           ("state", STAFF_RECORD),
    ("staff.split_segment", "POST"):     ("state", REDACTION_FORM_INCOMPLETE),
    ("staff.merge_segments", "POST"):    ("state", REDACTION_FORM_INCOMPLETE),
    ("staff.transcript_translation", "POST"): ("state", REDACTION_FORM_INCOMPLETE),
    ("staff.retime_segment", "POST"):    ("state", REDACTION_FORM_INCOMPLETE),
    ("staff.describe_segment", "POST"):  ("state", REDACTION_FORM_INCOMPLETE),
}

# POST routes without CSRF, and why: each writes nothing.
CSRF_EXEMPT = {"oai.endpoint": "harvesters POST the OAI-PMH protocol's arguments; it only reads public records"}

# Extra requests with query arguments: (endpoint, query string) -> table
WITH_ARGS: dict[tuple[str, str], dict] = {
    # One testimony's bag follows the JSON export's rules, and is refused before its first byte.
    ("staff.export_bag", f"id={canaries.OPEN_ID}&audience=researcher"): row(302, 403, 200, 200),
    ("staff.export_bag", f"id={canaries.OPEN_ID}&audience=admin"): row(302, 403, 403, 200),
    ("staff.export_bag", f"id={canaries.OPEN_ID}&audience=public"): row(302, 403, 200, 200),
    ("staff.export_bag", f"id={canaries.HIDDEN['embargoed'][0]}&audience=public"): row(302, 403, 404, 404),
    ("staff.intake", f"into={canaries.HIDDEN['draft'][0]}"): STAFF_PAGE,   # a testimony chosen in advance
    ("staff.audit", "actor=archivist&action=redaction&since=2020-01-01&page=2"): STAFF_PAGE,   # filters
    ("staff.audit", "since=yesterday"):      row(302, 403, 400, 400),    # not a date: said so
    ("api.search", "q=CNRYVISIBLE"):         EVERYONE,
    ("api.search", "q=%22unbalanced"):       EVERYONE,                   # a query error, not a failure
    ("api.suggest", "q=CNRY"):               EVERYONE,
    ("public.search", "q=CNRY*&page=9999"):  EVERYONE,
    ("public.search_export", "q=CNRY*&sort=-date"): EVERYONE,
    ("public.search_export", "q=%22unbalanced"): row(400, 400, 400, 400),  # a query error, said plainly
    ("api.testimonies", f"collection={canaries.HIDDEN_COLLECTION}"): EVERYONE,
}


def _rules(app):
    return {(rule.endpoint, method): rule for rule in app.url_map.iter_rules()
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})}


def _url(rule, kind: str, case: str, assets: dict[str, str] | None = None) -> str:
    values = {"filename": "archive.css", "key": "R-99", "fmt": "csv", "size": "thumb", "term_id": "99999",
              "narrator": "N-0001", "authority": "place:cnry-riverton", "job": "A" * 22,
              "job_id": "99999", "transcript": "t", "caption_format": "vtt"}
    values.update(username="nobody-here", token="not-a-reset-token")       # accounts and reset links
    values["code"] = "en"                                                   # the language switch
    if kind == "asset":
        values["asset"] = assets[case]
    if kind == "state":
        values["accession_id"] = STATE_IDS[case]
    if kind == "collection":
        values["slug"] = COLLECTION_SLUGS[case]
    url = rule.rule
    for name in rule.arguments:
        url = re.sub(r"<(?:[^:<>]+:)?%s>" % name, values[name], url)
    assert "<" not in url, url
    return url


# -- coverage: every route decided, every view declared, every service method gated -------------

def test_every_route_and_method_is_in_the_matrix(security_app):
    routes = set(_rules(security_app))
    assert routes == set(MATRIX), (f"routes nobody has decided on: {sorted(routes - set(MATRIX))}; "
                                   f"stale entries: {sorted(set(MATRIX) - routes)}")
    for (endpoint, _), (kind, table) in MATRIX.items():
        cases = {"plain": None, "state": STATE_IDS, "collection": COLLECTION_SLUGS, "asset": ASSET_CASES}[kind]
        if cases is None:
            assert set(table) == set(AUDIENCES), endpoint
        else:
            assert set(table) == set(cases) and all(set(r) == set(AUDIENCES) for r in table.values()), endpoint


def test_every_view_declares_its_audience(security_app):
    undeclared = sorted(endpoint for endpoint, view in security_app.view_functions.items()
                        if endpoint != "static" and not isinstance(getattr(view, "__audience__", None), Audience))
    assert not undeclared, f"views without @audience(...): {undeclared}"


def test_a_route_that_declares_nothing_is_closed_to_everyone(security_app):
    security_app.add_url_rule("/undeclared", "undeclared", lambda: "open to all!")
    for audience in AUDIENCES:
        response = client_as(security_app, audience).get("/undeclared")
        assert response.status_code == 403 and b"open to all" not in response.get_data(), audience


# -- the matrix itself --------------------------------------------------------------------------

@pytest.mark.parametrize("audience", AUDIENCES)
def test_each_route_answers_each_audience_in_each_state_as_the_matrix_says(security_app, audience):
    app = security_app
    rules = _rules(app)
    client = client_as(app, audience)
    token = csrf_from(client, "/signin")
    assets = {**media_canaries.asset_keys(app.extensions["archive"]), "missing": media_canaries.MISSING_ASSET}
    failures: list[str] = []
    tried = 0
    for (endpoint, method), (kind, table) in MATRIX.items():
        rule = rules[(endpoint, method)]
        cases = [("", table)] if kind == "plain" else list(table.items())
        for case, expected in cases:
            url = _url(rule, kind, case, assets)
            want = expected[audience]
            if method == "GET":
                response = client.get(url)
            else:
                poster = client
                if endpoint == "auth.signout":        # keep this client signed in
                    poster = client_as(app, audience)
                    post_token = csrf_from(poster, "/signin")
                else:
                    post_token = token
                refused = poster.post(url, data={})
                refused.close()
                if refused.status_code not in (400, 403) and endpoint not in CSRF_EXEMPT:
                    failures.append(f"POST {url} without CSRF as {audience}: {refused.status_code}")
                response = poster.post(url, data={"csrf_token": post_token})
            response.close()
            tried += 1
            got = response.status_code
            if got != want:
                failures.append(f"{method} {url} [{case or '-'}] as {audience}: {got}, expected {want}")
            location = response.headers.get("Location", "")
            if endpoint.startswith("api.") and 300 <= got < 400:
                failures.append(f"{url} redirects an API client ({got} -> {location})")
            if got == 302 and endpoint.startswith("staff.") and method == "GET":
                if not location.startswith("/signin"):
                    failures.append(f"{url} redirects {audience} to {location!r}, not /signin")
    for (endpoint, args), expected in WITH_ARGS.items():
        url = _url(rules[(endpoint, "GET")], "plain", "") + "?" + args
        response = client.get(url)
        response.close()
        got = response.status_code
        tried += 1
        if got != expected[audience]:
            failures.append(f"GET {url} as {audience}: {got}, expected {expected[audience]}")
    assert tried > 100
    assert not failures, "\n".join(failures)


def _stable(response) -> bytes:
    """The body without the signed-in visitor's CSRF token (it carries a timestamp)."""
    return re.sub(rb'name="csrf_token" value="[^"]*"', b'name="csrf_token"', response.get_data())


def test_staff_routes_give_no_existence_oracle_below_archivist(security_app):
    """Below archivist a staff URL answers the same for a hidden record as for a missing one."""
    for audience in ("public", "researcher"):
        client = client_as(security_app, audience)
        for path in ("/staff/testimonies/{}", "/staff/testimonies/{}/withdraw"):
            missing = client.get(path.format(canaries.MISSING_ID))
            for accession in STATE_IDS.values():
                response = client.get(path.format(accession))
                same = lambda r, a: (r.status_code, _stable(r).replace(a.encode(), b"ID"),  # noqa: E731
                                     r.headers.get("Location", "").replace(a, "ID"))
                assert same(response, accession) == same(missing, canaries.MISSING_ID), (audience, accession)


def test_the_states_in_the_matrix_are_the_states_of_the_records(security_app):
    """The matrix's names for its records are true: each record is in the state it is named for."""
    from archive.identity import SYSTEM
    archive = security_app.extensions["archive"]
    staff = {state: archive.testimonies.get(SYSTEM, accession) for state, accession in STATE_IDS.items()
             if state != "missing"}
    assert staff["open"]["consent"]["scope"] == "open" and staff["open"]["state"] == "published"
    assert staff["researchers"]["consent"]["scope"] == "researchers"
    assert staff["embargoed"]["consent"]["embargo_until"] > canaries.TODAY.isoformat()
    assert staff["embargo-tomorrow"]["consent"]["embargo_until"] > canaries.TODAY.isoformat()
    assert staff["embargo-ended"]["consent"]["embargo_until"] == canaries.TODAY.isoformat()
    assert staff["pending"]["consent"]["status"] == "pending"
    assert staff["withdrawn"]["state"] == "withdrawn" and staff["withdrawn"]["consent"]["status"] == "withdrawn"
    assert staff["archive-only"]["consent"]["scope"] == "archive"
    assert staff["draft"]["state"] == "draft" and staff["in-review"]["state"] == "in_review"
    assert staff["no-transcript"]["consent"]["permissions"]["publish_transcript"] is False
    assert {s: v["reaches"] for s, v in staff.items()} == {
        "open": "public", "researchers": "researcher", "embargoed": "archivist",
        "embargo-tomorrow": "archivist", "embargo-ended": "public", "pending": "archivist",
        "withdrawn": "archivist", "archive-only": "archivist", "draft": "archivist",
        "in-review": "archivist", "no-transcript": "public"}


# -- services: one gate in front of every method ------------------------------------------------

# Public names on service objects that are not service calls: storage helpers used inside a unit of
# work (they take a database Session or a loaded record, never an Identity). The web layer must
# never call them.
INTERNAL_HELPERS = {
    "load_testimony": "Session", "get_testimony": "Session", "authorities": "Session",
    "all_testimonies": "Session", "each_testimony": "Session", "all_testimony_ids": "Session",
    "testimonies_by_id": "Session", "record": "Session", "revision": "Session",
    "sync": "Session", "write_deferred": "Session", "write_now": "Session",
    # Rewrites from the database what a killed process left pending: reveals nothing, needs no caller.
    "replay_pending": "nothing",
    "publication_problems": "Testimony",
    "follow_redactions": "Session",
    # OAI-PMH (services/oai.py): what harvesters learn of a write, noted in its unit of work; at start,
    # the published testimonies the table does not know yet (reveals nothing, needs no caller).
    "note": "Session", "backfill": "nothing",
    # The job queue (services/jobs.py): a job added in the writer's unit of work; a job made for a
    # recording whose derivative is missing (it reveals nothing: the caller was already let through);
    # the worker's part of a recording job (it takes the job's target, from the database).
    "queue_job": "Session", "ensure_job": "nothing", "build_recording": "nothing",
    # Search in the database (issue 13): the index rows written in the writer's unit of work; at start,
    # who keeps the database's search index (reveals nothing, needs no caller).
    "write_in_transaction": "Session", "claim": "nothing",
}


def test_every_public_service_method_is_gated(security_app):
    archive = security_app.extensions["archive"]
    ungated, seen = [], set()
    for service in archive.services():
        for name in dir(service):
            member = getattr(service, name)
            if name.startswith("_") or not callable(member) or inspect.isclass(member):
                continue
            seen.add(name)
            if hasattr(member, "__gate__"):
                assert member.__gate__ in policy.RULES, f"{type(service).__name__}.{name}"
                first = list(inspect.signature(member).parameters)[0]
                assert first == "identity", f"{type(service).__name__}.{name} takes {first!r} first"
                continue
            if name in INTERNAL_HELPERS:
                params = list(inspect.signature(member).parameters.values())
                wanted = INTERNAL_HELPERS[name]
                if wanted in ("Session", "Testimony"):
                    annotation = str(params[0].annotation)
                    assert wanted in annotation, f"{type(service).__name__}.{name} takes {annotation} first"
                continue
            ungated.append(f"{type(service).__name__}.{name}")
    assert not ungated, f"service methods without @gated: {ungated}"
    assert seen >= {"get", "list", "add", "approve", "withdraw", "search", "suggest", "export", "import_file"}
    # the web layer only ever reaches gated calls
    source = "\n".join(p.read_text() for p in (ROOT / "app").rglob("*.py"))
    # (ConsentService.record is a gated service call that shares its name with AuditService.record)
    called = {name for name in INTERNAL_HELPERS if re.search(r"(?<!\.consent)\.%s\(" % name, source)}
    assert not called, f"app/ calls service internals: {called}"


def test_every_gated_method_refuses_an_identity_below_its_rule(security_app):
    """Called with the audience just below its rule, each gated method refuses before doing anything."""
    archive = security_app.extensions["archive"]
    checked = []
    for service in archive.services():
        for name in dir(service):
            member = getattr(service, name)
            action = getattr(member, "__gate__", None)
            if name.startswith("_") or action is None:
                continue
            floor = policy.RULES[action]
            with pytest.raises(TypeError):
                member("not an identity")
            if floor == Audience.PUBLIC:
                continue
            below = Identity(Audience(floor - 1), username="matrix")
            with pytest.raises(PermissionDenied):
                member(below)
            checked.append(f"{type(service).__name__}.{name}")
    assert {"UserService.add", "RedactionService.add", "ConsentService.withdraw", "IndexService.reindex",
            "TransferService.import_file", "AuditService.events"} <= set(checked)


def test_named_gated_calls_refuse_lower_identities(security_app):
    archive = security_app.extensions["archive"]
    public = ANONYMOUS
    researcher = Identity(Audience.RESEARCHER, username="researcher")
    archivist = Identity(Audience.ARCHIVIST, username="archivist")
    calls = {
        "users.add as archivist": lambda: archive.users.add(archivist, "mallory", "admin", "a long password 123"),
        "users.set_role as archivist": lambda: archive.users.set_role(archivist, "researcher", "admin"),
        "users.list as archivist": lambda: archive.users.list(archivist),
        "redactions.add as researcher": lambda: archive.redactions.add(
            researcher, canaries.OPEN_ID, category="person", replacement="[x]", field="title"),
        "redactions.approve as researcher": lambda: archive.redactions.approve(researcher, canaries.OPEN_ID, "R-1"),
        "consent.withdraw as researcher": lambda: archive.consent.withdraw(researcher, canaries.OPEN_ID, "why"),
        "testimonies.set_state as researcher": lambda: archive.testimonies.set_state(
            researcher, canaries.HIDDEN["draft"][0], "published"),
        "transfer.import_document as researcher": lambda: archive.transfer.import_document(researcher, {}),
        "transfer.export(researcher, archivist)": lambda: archive.transfer.export(researcher, "archivist"),
        "transfer.export(researcher, admin)": lambda: archive.transfer.export(researcher, "admin"),
        "transfer.export(public, researcher)": lambda: archive.transfer.export(public, "researcher"),
        "transfer.export(archivist, admin)": lambda: archive.transfer.export(archivist, "admin"),
        "index.reindex as researcher": lambda: archive.index.reindex(researcher),
        "audit.events as researcher": lambda: archive.audit.events(researcher),
        "audit.revisions as public": lambda: archive.audit.revisions(public, canaries.OPEN_ID),
    }
    for label, call in calls.items():
        with pytest.raises(PermissionDenied):
            call()
            pytest.fail(f"{label} was allowed")
    # nothing changed
    assert archive.testimonies.get(public, canaries.OPEN_ID)["state"] == "published"
    # a hidden record is refused as missing (NotFound), so the refusal is no existence oracle
    for accession in (canaries.HIDDEN["draft"][0], canaries.MISSING_ID):
        with pytest.raises(NotFound):
            archive.testimonies.get(researcher, accession)
